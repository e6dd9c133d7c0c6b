"""GE MUSE XML reader, tested with files written to GE's layout (tests/ge_muse_fixture.py)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from ecgchat_desktop.io import detect_format, read_ecg
from ecgchat_desktop.io import ge_muse_xml
from ecgchat_desktop.io.errors import CorruptFileError, ImplausibleContentError, UnsupportedFormatError
from conftest import TEST_DATA
from ge_muse_fixture import STORED_LEADS, UV_PER_BIT, muse_xml
from io_broken_inputs import BILLION_LAUGHS, EXTERNAL_ENTITY, expect_typed_error, random_bytes, truncation_points

pytestmark = pytest.mark.timeout(120)

FIXTURE = TEST_DATA / "ge-muse" / "ptbxl-00001-muse.xml"
STEP_MV = UV_PER_BIT / 1000.0


def _synthetic(n=2500, rate=500):
    t = np.arange(n) / rate
    leads = {name: 0.8 * np.sin(2 * np.pi * (1.1 + 0.1 * k) * t) + 0.1 * k for k, name in enumerate(STORED_LEADS)}
    return leads


def _write(tmp_path, text, name="muse.xml"):
    path = tmp_path / name
    path.write_text(text, encoding="iso-8859-1")
    return path


def test_fixture_reads_as_twelve_leads():
    ecg = read_ecg(FIXTURE)
    assert detect_format(FIXTURE) == "ge-muse-xml"
    assert ecg.source_format == "ge-muse-xml"
    assert ecg.sampling_rate_hz == 500.0 and ecg.n_samples == 5000
    assert ecg.lead_names == ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
    assert any("derived from I and II" in c for c in ecg.comments)


def test_fixture_matches_the_original_ptbxl_record(data_dir):
    """Stored leads within half a 4.88 uV step; derived III/aVR/aVL/aVF within two steps of PTB-XL's own."""
    wfdb = pytest.importorskip("wfdb")
    record = wfdb.rdrecord(str(data_dir / "ptb-xl" / "records500" / "00000" / "00001_hr"))
    ecg = read_ecg(FIXTURE)
    for i, raw in enumerate(record.sig_name):
        name = raw if raw.upper() not in ("AVR", "AVL", "AVF") else "a" + raw[1:].upper()
        tolerance = STEP_MV / 2 + 1e-6 if name in STORED_LEADS else 2 * STEP_MV
        assert np.abs(ecg.lead(name) - record.p_signal[:, i]).max() <= tolerance, name


def test_fixture_metadata_measurements_statements():
    ecg = read_ecg(FIXTURE)
    assert ecg.patient.id == "15709"
    assert ecg.patient.sex == "F" and ecg.patient.age_years == 56
    assert ecg.patient.name == "PTBXL, ONE"
    assert ecg.acquired_at == datetime(1984, 11, 9, 9, 17, 34)
    assert ecg.device.startswith("GE MAC5500")
    m = ecg.device_measurements
    assert (m.hr_bpm, m.pr_ms, m.qrs_ms, m.qt_ms, m.qtc_ms) == (63, 160, 88, 400, 409)
    assert (m.p_axis_deg, m.qrs_axis_deg, m.t_axis_deg) == (52, 31, 40)
    assert ecg.device_statements == ("Sinus rhythm", "Low voltage QRS in limb leads", "Otherwise normal ECG")


def test_fixture_median_beats_have_derived_leads():
    beats = read_ecg(FIXTURE).median_beats
    assert beats.signals_mv.shape == (12, 600)
    assert beats.sampling_rate_hz == 500.0
    idx = {n: i for i, n in enumerate(beats.lead_names)}
    s = beats.signals_mv
    np.testing.assert_allclose(s[idx["III"]], s[idx["II"]] - s[idx["I"]], atol=1e-6)
    np.testing.assert_allclose(s[idx["aVR"]], -(s[idx["I"]] + s[idx["II"]]) / 2, atol=1e-6)


def test_twelve_stored_leads_millivolt_units_and_rate_exponent(tmp_path):
    leads = _synthetic()
    leads.update({"III": leads["II"] - leads["I"], "aVR": -(leads["I"] + leads["II"]) / 2,
                  "aVL": leads["I"] - leads["II"] / 2, "aVF": leads["II"] - leads["I"] / 2})
    text = muse_xml(leads, 500, uv_per_bit=0.001, units="MILLIVOLTS")
    text = text.replace("<SampleBase>500</SampleBase>\n      <SampleExponent>0</SampleExponent>",
                        "<SampleBase>50</SampleBase>\n      <SampleExponent>1</SampleExponent>")
    ecg = read_ecg(_write(tmp_path, text))
    assert ecg.sampling_rate_hz == 500.0
    assert not any("derived" in c for c in ecg.comments)
    for name, values in leads.items():
        np.testing.assert_allclose(ecg.lead(name), values, atol=0.0006)


def test_statement_lines_join_until_endsline(tmp_path):
    text = muse_xml(_synthetic(), 500, statements=("Sinus rhythm",))
    text = text.replace(
        "<Modality>RESTING</Modality>",
        "<Modality>RESTING</Modality>\n<DiagnosisStatement><StmtText>Left axis</StmtText></DiagnosisStatement>"
        "\n<DiagnosisStatement><StmtFlag>ENDSLINE</StmtFlag><StmtText>deviation</StmtText></DiagnosisStatement>")
    assert read_ecg(_write(tmp_path, text)).device_statements == ("Left axis deviation", "Sinus rhythm")


def test_crc_mismatch_is_reported(tmp_path):
    text = muse_xml(_synthetic(), 500)
    start = text.index("<LeadDataCRC32>") + len("<LeadDataCRC32>")
    end = text.index("</LeadDataCRC32>")
    ecg = read_ecg(_write(tmp_path, text[:start] + "12345" + text[end:]))
    assert any("CRC32" in c for c in ecg.comments)


@pytest.mark.parametrize("old,new,error", [
    ("<WaveformType>Rhythm</WaveformType>", "<WaveformType>Other</WaveformType>", ImplausibleContentError),
    ("<SampleBase>500</SampleBase>", "<SampleBase>0</SampleBase>", ImplausibleContentError),
    ("<SampleExponent>0</SampleExponent>", "<SampleExponent>99</SampleExponent>", ImplausibleContentError),
    ("<LeadAmplitudeUnitsPerBit>4.88<", "<LeadAmplitudeUnitsPerBit>0<", ImplausibleContentError),
    ("<LeadAmplitudeUnits>MICROVOLTS<", "<LeadAmplitudeUnits>MMHG<", ImplausibleContentError),
    ("<LeadSampleSize>2<", "<LeadSampleSize>4<", UnsupportedFormatError),
    ("<LeadSampleCountTotal>2500<", "<LeadSampleCountTotal>900000000<", CorruptFileError),
    ("<LeadID>I</LeadID>", "<LeadID></LeadID>", CorruptFileError),
    ("<WaveFormData>", "<WaveFormData>!!", CorruptFileError),
    ("<WaveFormData>", "<WaveFormData>AAA=", CorruptFileError),  # odd byte count
])
def test_absurd_values(tmp_path, old, new, error):
    text = muse_xml(_synthetic(), 500)
    assert old in text
    path = _write(tmp_path, text.replace(old, new, 1))
    with pytest.raises(error):
        read_ecg(path)
    expect_typed_error(ge_muse_xml, path)


def test_empty_random_truncated_and_hostile(tmp_path):
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    expect_typed_error(ge_muse_xml, empty)
    for seed in range(3):
        junk = tmp_path / f"junk{seed}.xml"
        junk.write_bytes(random_bytes(2000, seed))
        assert not ge_muse_xml.sniff(junk, junk.read_bytes())
        expect_typed_error(ge_muse_xml, junk)
    data = FIXTURE.read_bytes().rstrip()
    for cut in truncation_points(len(data)):
        path = tmp_path / f"cut{cut}.xml"
        path.write_bytes(data[:cut])
        expect_typed_error(ge_muse_xml, path)
    laughs = tmp_path / "laughs.xml"
    laughs.write_text(BILLION_LAUGHS + "<RestingECG>&lol9;</RestingECG>")
    expect_typed_error(ge_muse_xml, laughs)
    xxe = tmp_path / "xxe.xml"
    xxe.write_text(EXTERNAL_ENTITY + "<RestingECG><PatientDemographics><PatientID>&xxe;</PatientID>"
                   "</PatientDemographics></RestingECG>")
    expect_typed_error(ge_muse_xml, xxe)


def test_sniff_is_by_root_element(tmp_path):
    renamed = _write(tmp_path, muse_xml(_synthetic(), 500), name="export.txt")
    assert read_ecg(renamed).source_format == "ge-muse-xml"
    other = _write(tmp_path, "<?xml version='1.0'?><RestingECGs/>", name="other.xml")
    assert not ge_muse_xml.sniff(other, other.read_bytes())


@pytest.mark.parametrize("record", ["00014_hr", "00161_hr", "00439_hr"])  # folds 7, 5, 7: not the test split
def test_written_ptbxl_records_derive_limb_leads_within_quantisation(tmp_path, data_dir, record):
    wfdb = pytest.importorskip("wfdb")
    from ge_muse_fixture import from_ptbxl

    source = data_dir / "ptb-xl" / "records500" / "00000" / record
    path = _write(tmp_path, from_ptbxl(source, with_median=False))
    ecg = read_ecg(path)
    original = wfdb.rdrecord(str(source))
    for i, raw in enumerate(original.sig_name):
        name = raw if raw.upper() not in ("AVR", "AVL", "AVF") else "a" + raw[1:].upper()
        tolerance = STEP_MV / 2 + 1e-6 if name in STORED_LEADS else 2 * STEP_MV
        assert np.abs(ecg.lead(name) - original.p_signal[:, i]).max() <= tolerance, (record, name)
