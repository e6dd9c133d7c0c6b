"""HL7 aECG reader: the ECG Toolkit / FDA examples, edge cases and hostile files."""

from __future__ import annotations

import re
from datetime import date, datetime

import numpy as np
import pytest

from ecgchat_desktop.io import detect_format, read_ecg
from ecgchat_desktop.io import hl7_aecg
from ecgchat_desktop.io.errors import CorruptFileError, ImplausibleContentError, UnsupportedFormatError
from io_broken_inputs import (
    BILLION_LAUGHS,
    EXTERNAL_ENTITY,
    expect_typed_error,
    random_bytes,
    truncation_points,
)

pytestmark = pytest.mark.timeout(120)

MINIMAL = """<?xml version="1.0" encoding="UTF-8"?>
<AnnotatedECG xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <effectiveTime><center value="20240131120000"/></effectiveTime>
 <component><series><code code="RHYTHM"/>
  <component><sequenceSet>
   <component><sequence><code code="TIME_ABSOLUTE"/>
     <value xsi:type="GLIST_TS"><head value="20240131120000"/><increment value="{inc}" unit="{inc_unit}"/></value></sequence></component>
   <component><sequence><code code="MDC_ECG_LEAD_I"/>
     <value xsi:type="SLIST_PQ"><origin value="{origin}" unit="{unit}"/><scale value="{scale}" unit="{unit}"/><digits>{digits}</digits></value></sequence></component>
   <component><sequence><code code="MDC_ECG_LEAD_AVR"/>
     <value xsi:type="SLIST_PQ"><origin value="{origin}" unit="{unit}"/><scale value="{scale}" unit="{unit}"/><digits>{digits}</digits></value></sequence></component>
  </sequenceSet></component>
 </series></component>
</AnnotatedECG>
"""


def minimal(tmp_path, name="ecg.xml", inc="0.002", inc_unit="s", origin="0", scale="5", unit="uV",
            digits="0 100 200 -100 -200 0 1 2 3 4"):
    path = tmp_path / name
    path.write_text(MINIMAL.format(inc=inc, inc_unit=inc_unit, origin=origin, scale=scale, unit=unit,
                                   digits=digits), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def toolkit(data_dir):
    return data_dir / "formats" / "hl7-aecg" / "ecgtoolkit-example.xml"


def _digits_of_lead(path, lead_code, occurrence=0):
    """Independent reading: the raw digits of one lead with a regular expression."""
    text = re.sub(r"<!--.*?-->", "", path.read_text(encoding="utf-8"), flags=re.S)
    pattern = re.compile(
        r'<sequence[^>]*>\s*<code code="%s"[^>]*/>\s*<value[^>]*>.*?<scale value="([^"]+)" unit="([^"]+)"/>\s*<digits>([^<]*)</digits>'
        % lead_code, re.S)
    match = list(pattern.finditer(text))[occurrence]
    assert match.group(2) == "uV"
    return np.array(match.group(3).split(), dtype=float) * float(match.group(1)) / 1000.0


def test_toolkit_example_signals_and_rate(toolkit):
    ecg = read_ecg(toolkit)
    assert ecg.source_format == "hl7-aecg"
    assert detect_format(toolkit) == "hl7-aecg"
    assert ecg.sampling_rate_hz == 500.0
    assert ecg.n_samples == 5000
    assert set(ecg.lead_names) == {"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"}
    for code, name in (("MDC_ECG_LEAD_I", "I"), ("MDC_ECG_LEAD_AVR", "aVR"), ("MDC_ECG_LEAD_V6", "V6")):
        expected = _digits_of_lead(toolkit, code)
        np.testing.assert_allclose(ecg.lead(name), expected, atol=1e-6)
    # Einthoven holds within quantisation (2.5 uV steps, rounding by the device).
    residual = ecg.lead("III") - (ecg.lead("II") - ecg.lead("I"))
    assert np.abs(residual).max() <= 0.0051


def test_toolkit_example_metadata(toolkit):
    ecg = read_ecg(toolkit)
    assert ecg.patient.id == "SBJ-123"
    assert ecg.patient.sex == "M"
    assert ecg.patient.birth_date == date(1953, 5, 8)
    assert ecg.patient.age_years == pytest.approx(49.5, abs=0.1)
    assert ecg.acquired_at == datetime(2002, 11, 22, 9, 10, 0)
    assert "ELI250" in ecg.device and "Mortara" in ecg.device
    m = ecg.device_measurements
    assert (m.pr_ms, m.qrs_ms, m.qt_ms, m.qtc_ms) == (148, 120, 420, 443)
    assert (m.p_axis_deg, m.qrs_axis_deg, m.t_axis_deg) == (44, -61, 86)
    assert m.p_ms == 102
    assert "Sinus Rhythm" in ecg.device_statements
    assert any("dizzy" in c for c in ecg.comments)


def test_toolkit_example_median_beats(toolkit):
    ecg = read_ecg(toolkit)
    beats = ecg.median_beats
    assert beats is not None
    assert beats.sampling_rate_hz == 500.0
    assert beats.signals_mv.shape == (12, 599)
    np.testing.assert_allclose(beats.signals_mv[beats.lead_names.index("II")],
                               _digits_of_lead(toolkit, "MDC_ECG_LEAD_II", occurrence=1), atol=1e-6)


def test_fda_subject_file(data_dir):
    ecg = read_ecg(data_dir / "formats" / "hl7-aecg" / "fda-subject1_0.xml")
    assert ecg.n_leads == 12 and ecg.sampling_rate_hz == 500.0
    assert ecg.patient.id == "subject1"
    assert ecg.device_measurements.qrs_ms == 120


def test_fda_minimum_is_a_valid_one_lead_ecg(data_dir):
    """The minimum aECG has one lead of 13 samples: tiny but real, so it is read, not refused."""
    ecg = read_ecg(data_dir / "formats" / "hl7-aecg" / "fda-minimum_aecg.xml")
    assert ecg.lead_names == ("II",)
    assert ecg.n_samples == 13
    np.testing.assert_allclose(ecg.signals_mv[0, :4], [-0.005, -0.005, -0.005, -0.005])
    assert ecg.device_measurements.is_empty()


def test_fda_empty_gives_typed_error(data_dir):
    path = data_dir / "formats" / "hl7-aecg" / "fda-empty.xml"
    with pytest.raises(ImplausibleContentError, match="no waveform"):
        read_ecg(path)


def test_units_and_origin_are_applied(tmp_path):
    ecg = read_ecg(minimal(tmp_path, origin="0.5", scale="0.01", unit="mV", digits="0 10 -10"))
    np.testing.assert_allclose(ecg.lead("I"), [0.5, 0.6, 0.4], atol=1e-6)
    ecg = read_ecg(minimal(tmp_path, name="b.xml", scale="5", unit="uV", digits="0 200 -200"))
    np.testing.assert_allclose(ecg.lead("aVR"), [0.0, 1.0, -1.0], atol=1e-6)
    ecg = read_ecg(minimal(tmp_path, name="c.xml", inc="4", inc_unit="ms"))
    assert ecg.sampling_rate_hz == pytest.approx(250.0)


@pytest.mark.parametrize("kwargs,error", [
    ({"inc": "0"}, ImplausibleContentError),
    ({"inc": "-0.002"}, ImplausibleContentError),
    ({"inc": "abc"}, CorruptFileError),
    ({"scale": "0"}, ImplausibleContentError),
    ({"unit": "mmHg"}, ImplausibleContentError),
    ({"digits": "1 2 x 4"}, CorruptFileError),
    ({"digits": "nan nan nan"}, ImplausibleContentError),
    ({"digits": ""}, ImplausibleContentError),
])
def test_absurd_values_give_typed_errors(tmp_path, kwargs, error):
    path = minimal(tmp_path, **kwargs)
    with pytest.raises(error):
        read_ecg(path)
    expect_typed_error(hl7_aecg, path)


def test_empty_and_random_files(tmp_path):
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    expect_typed_error(hl7_aecg, empty)
    for seed in range(5):
        junk = tmp_path / f"junk{seed}.xml"
        junk.write_bytes(random_bytes(3000, seed))
        assert not hl7_aecg.sniff(junk, junk.read_bytes()[:4096])
        with pytest.raises(UnsupportedFormatError):
            read_ecg(junk)
        expect_typed_error(hl7_aecg, junk)


def test_truncated_files(tmp_path, toolkit):
    data = toolkit.read_bytes().rstrip()  # cutting only trailing white space leaves a valid file
    for cut in truncation_points(len(data)):
        path = tmp_path / f"cut{cut}.xml"
        path.write_bytes(data[:cut])
        expect_typed_error(hl7_aecg, path)


def test_hostile_xml_is_refused(tmp_path):
    laughs = tmp_path / "laughs.xml"
    laughs.write_text(BILLION_LAUGHS + '<AnnotatedECG xmlns="urn:hl7-org:v3">&lol9;</AnnotatedECG>')
    error = expect_typed_error(hl7_aecg, laughs)
    assert "entities" in str(error)
    xxe = tmp_path / "xxe.xml"
    xxe.write_text(EXTERNAL_ENTITY + '<AnnotatedECG xmlns="urn:hl7-org:v3">&xxe;</AnnotatedECG>')
    expect_typed_error(hl7_aecg, xxe)
    deep = tmp_path / "deep.xml"
    depth = 200_000
    deep.write_text('<AnnotatedECG xmlns="urn:hl7-org:v3">' + "<component>" * depth + "</component>" * depth
                    + "</AnnotatedECG>")
    error = expect_typed_error(hl7_aecg, deep)
    assert "nested" in str(error)
    flat = tmp_path / "flat.xml"
    flat.write_text('<AnnotatedECG xmlns="urn:hl7-org:v3">' + "<c/>" * 600_000 + "</AnnotatedECG>")
    error = expect_typed_error(hl7_aecg, flat)
    assert "elements" in str(error)


def test_sniff_needs_the_hl7_root_not_the_extension(tmp_path):
    other = tmp_path / "note.xml"
    other.write_text('<?xml version="1.0"?><AnnotatedECG><x/></AnnotatedECG>')
    assert not hl7_aecg.sniff(other, other.read_bytes())
    renamed = tmp_path / "ecg.dat"
    renamed.write_bytes(minimal(tmp_path).read_bytes())
    assert hl7_aecg.sniff(renamed, renamed.read_bytes())
    assert read_ecg(renamed).source_format == "hl7-aecg"


def _sequence_set(head, increment, leads):
    parts = [f'<component><sequence><code code="TIME_ABSOLUTE"/><value xsi:type="GLIST_TS"><head value="{head}"/>'
             f'<increment value="{increment}" unit="s"/></value></sequence></component>']
    for code, digits in leads:
        parts.append(f'<component><sequence><code code="{code}"/><value xsi:type="SLIST_PQ">'
                     f'<origin value="0" unit="uV"/><scale value="1" unit="uV"/><digits>{digits}</digits>'
                     f'</value></sequence></component>')
    return "<component><sequenceSet>" + "".join(parts) + "</sequenceSet></component>"


def _two_set_file(tmp_path, second_head="20240131120002.500", second_increment="0.002"):
    first = " ".join(["1000"] * 1250)
    second = " ".join(["-500"] * 1250)
    body = (_sequence_set("20240131120000.000", "0.002", [("MDC_ECG_LEAD_I", first), ("MDC_ECG_LEAD_II", first)])
            + _sequence_set(second_head, second_increment, [("MDC_ECG_LEAD_V1", second)]))
    path = tmp_path / "sets.xml"
    path.write_text('<AnnotatedECG xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                    '<component><series><code code="RHYTHM"/>' + body + "</series></component></AnnotatedECG>")
    return path


def test_sequence_sets_recorded_one_after_another_share_one_time_axis(tmp_path):
    ecg = read_ecg(_two_set_file(tmp_path))
    assert ecg.lead_names == ("I", "II", "V1")
    assert ecg.n_samples == 2500
    i, v1 = ecg.lead("I"), ecg.lead("V1")
    np.testing.assert_allclose(i[:1250], 1.0)
    assert np.isnan(i[1250:]).all() and np.isnan(v1[:1250]).all()
    np.testing.assert_allclose(v1[1250:], -0.5)
    assert any("sequence sets" in c for c in ecg.comments)


def test_sequence_sets_with_absurd_start_or_rate_are_refused(tmp_path):
    with pytest.raises(ImplausibleContentError, match="span"):
        read_ecg(_two_set_file(tmp_path, second_head="29990131120002.500"))
    with pytest.raises(UnsupportedFormatError, match="different sampling rates"):
        read_ecg(_two_set_file(tmp_path, second_increment="0.004"))


def test_root_behind_a_long_comment_is_still_detected(tmp_path):
    """The dispatcher hands sniffers 4 kB; a longer header comment must not hide the aECG root."""
    text = minimal(tmp_path).read_text(encoding="utf-8")
    long = tmp_path / "long-comment.xml"
    long.write_text(text.replace("<AnnotatedECG", "<!-- " + "x" * 9000 + " -->\n<AnnotatedECG", 1), encoding="utf-8")
    assert detect_format(long) == "hl7-aecg"
    assert read_ecg(long).lead_names == ("I", "aVR")


def test_interpretation_container_statements(tmp_path):
    path = minimal(tmp_path)
    text = path.read_text(encoding="utf-8").replace(
        "</sequenceSet></component>",
        "</sequenceSet></component>"
        "<subjectOf><annotationSet><component><annotation><code code=\"MDC_ECG_INTERPRETATION\"/>"
        "<component><annotation><code code=\"MDC_ECG_INTERPRETATION_STATEMENT\"/>"
        "<value xsi:type=\"ST\">Sinus rhythm</value></annotation></component>"
        "<component><annotation><code code=\"MDC_ECG_INTERPRETATION_STATEMENT\"/>"
        "<value xsi:type=\"ST\">Left axis deviation</value></annotation></component>"
        "<component><annotation><code code=\"MDC_ECG_INTERPRETATION_SUMMARY\"/>"
        "<value xsi:type=\"CE\" code=\"ABNORMAL\" displayName=\"Abnormal ECG\"/></annotation></component>"
        "</annotation></component>"
        "<component><annotation><code code=\"MDC_ECG_HEART_RATE\"/><value xsi:type=\"PQ\" value=\"72\" unit=\"bpm\"/>"
        "</annotation></component></annotationSet></subjectOf>", 1)
    path.write_text(text, encoding="utf-8")
    ecg = read_ecg(path)
    assert ecg.device_statements == ("Sinus rhythm", "Left axis deviation", "Abnormal ECG")
    assert ecg.device_measurements.hr_bpm == 72


def test_time_zone_offset_is_kept_as_a_comment(tmp_path):
    path = minimal(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace('<center value="20240131120000"/>',
                                                             '<center value="20240131120000+0100"/>'), encoding="utf-8")
    ecg = read_ecg(path)
    assert ecg.acquired_at == datetime(2024, 1, 31, 12, 0, 0)
    assert ecg.acquired_at.tzinfo is None
    assert "acquisition time zone: UTC+0100" in ecg.comments


def test_utf16_file_is_detected_and_read(tmp_path):
    text = minimal(tmp_path).read_text(encoding="utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    path = tmp_path / "utf16.xml"
    path.write_bytes(text.encode("utf-16"))  # with byte-order mark
    assert detect_format(path) == "hl7-aecg"
    np.testing.assert_allclose(read_ecg(path).lead("I")[:3], [0.0, 0.5, 1.0], atol=1e-6)
