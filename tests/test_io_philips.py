"""Philips (Sierra) XML reader: 1.03 and 1.04 (UTF-16) files, checked against sierraecg; broken files."""

from __future__ import annotations

import re
from datetime import date, datetime

import numpy as np
import pytest

from ecgchat_desktop.io import detect_format, read_ecg
from ecgchat_desktop.io import philips_xml
from ecgchat_desktop.io.errors import CorruptFileError, ImplausibleContentError, UnsupportedFormatError
from io_broken_inputs import BILLION_LAUGHS, expect_typed_error, random_bytes, truncation_points

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def folder(data_dir):
    return data_dir / "formats" / "philips-xml"


@pytest.mark.parametrize("name", ["sierra-1.03.xml", "sierra-1.04.xml"])
def test_signals_match_sierraecg(folder, name):
    """Independent reading: the sierraecg package's decoder, times the file's resolution (5 uV)."""
    sierraecg = pytest.importorskip("sierraecg")
    path = folder / name
    ecg = read_ecg(path)
    assert detect_format(path) == "philips-xml"
    assert ecg.sampling_rate_hz == 500.0
    assert ecg.n_samples == 5500  # Philips records are 11 s
    assert ecg.lead_names == ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
    reference = sierraecg.read_file(str(path))
    ecg_part = np.isfinite(ecg.signals_mv[0])
    assert ecg_part[:5200].all() and not ecg_part[-1]  # the calibration tail is masked
    for lead in reference.leads:
        ours = ecg.lead(lead.label)
        np.testing.assert_allclose(ours[ecg_part], lead.samples[ecg_part].astype(float) * 0.005, atol=1e-6)


@pytest.mark.parametrize("name", ["sierra-1.03.xml", "sierra-1.04.xml"])
def test_derived_limb_leads_obey_einthoven(folder, name):
    ecg = read_ecg(folder / name)
    body = slice(0, 5200)  # after about 10.5 s: flat line and calibration pulse, set to missing
    i, ii, iii = (ecg.lead(n)[body] for n in ("I", "II", "III"))
    assert np.abs(iii - (ii - i)).max() <= 0.0101  # within two 5 uV steps
    assert np.abs(ecg.lead("aVR")[body] + (i + ii) / 2).max() <= 0.0101
    assert 0.5 < np.abs(ecg.signals_mv[:, body]).max() < 10
    note = next(c for c in ecg.comments if "calibration pulse" in c)
    start_s = float(note.split("-")[0])
    assert 10.4 < start_s < 10.7 and note.split(" s:")[0].endswith("11.00")
    assert np.isnan(ecg.signals_mv[:, int(start_s * 500) + 1:]).all()
    assert np.isfinite(ecg.signals_mv[:, : int(start_s * 500) - 1]).all()


def test_version_103_metadata(folder):
    ecg = read_ecg(folder / "sierra-1.03.xml")
    assert ecg.patient.id == "1112010721168bdc"
    assert ecg.patient.sex == "M" and ecg.patient.age_years == 50
    assert ecg.acquired_at == datetime(2011, 12, 1, 7, 27, 34)
    assert ecg.device.startswith("HeartstartMRx")
    m = ecg.device_measurements
    assert (m.hr_bpm, m.pr_ms, m.qrs_ms, m.qt_ms, m.qtc_ms) == (41, 151, 135, 476, 393)
    assert (m.p_axis_deg, m.qrs_axis_deg, m.t_axis_deg) == (66, -21, 59)
    assert ecg.device_statements[0].startswith("Sinus bradycardia")
    assert "ABNORMAL ECG" in ecg.device_statements
    assert any("Acute MI" in s for s in ecg.device_statements)
    assert ecg.median_beats is None


def test_version_104_utf16_metadata_and_median_beats(folder):
    path = folder / "sierra-1.04.xml"
    assert path.read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff")  # really UTF-16
    ecg = read_ecg(path)
    assert ecg.patient.name == "ZZDEMOPTONLY, ADULT"
    assert ecg.patient.birth_date == date(1950, 1, 1)
    assert ecg.patient.age_years == pytest.approx(60.0, abs=0.1)
    assert "PageWriter Touch" in ecg.device
    m = ecg.device_measurements
    assert (m.hr_bpm, m.rr_ms, m.p_ms, m.pr_ms, m.qrs_ms, m.qt_ms, m.qtc_ms) == (84, 714, 148, 144, 84, 352, 417)
    assert (m.p_axis_deg, m.qrs_axis_deg, m.t_axis_deg) == (81, 78, 67)
    assert ecg.device_statements[0].startswith("SINUS RHYTHM")
    beats = ecg.median_beats
    assert beats.signals_mv.shape == (12, 600)  # 32767 padding removed
    assert beats.sampling_rate_hz == 500.0
    assert np.isfinite(beats.signals_mv).all()
    # Median and rhythm amplitudes agree (resolution 2.5 uV for beats, 5 uV for rhythm).
    v3_beat = beats.signals_mv[beats.lead_names.index("V3")]
    assert v3_beat.min() == pytest.approx(np.nanmin(ecg.lead("V3")), abs=0.5)


def test_invalid_version_is_a_clear_typed_error(folder):
    path = folder / "sierra-invalid-version.xml"
    with pytest.raises(UnsupportedFormatError, match=r"version 1\.05 is not supported"):
        read_ecg(path)


def _variant(tmp_path, folder, name, old, new, count=1):
    text = (folder / "sierra-1.03.xml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return path


@pytest.mark.parametrize("old,new,error", [
    ("<samplingrate>500</samplingrate>", "<samplingrate>0</samplingrate>", ImplausibleContentError),
    ("<signalresolution>5</signalresolution>", "<signalresolution>0</signalresolution>", ImplausibleContentError),
    ('durationperchannel="11000"', 'durationperchannel="900000000000"', ImplausibleContentError),
    ('durationperchannel="11000"', 'durationperchannel="0"', ImplausibleContentError),
    ('durationperchannel="11000"', 'durationperchannel="22000"', CorruptFileError),  # data too short
    ('compressmethod="XLI"', 'compressmethod="ZIP"', UnsupportedFormatError),
    ('dataencoding="Base64"', 'dataencoding="Hex"', UnsupportedFormatError),
    ('nbitspersample="16">', 'nbitspersample="16">%%%', CorruptFileError),  # not base64
    ("<numberchannelsallocated>12</numberchannelsallocated>",
     "<numberchannelsallocated>999</numberchannelsallocated>", CorruptFileError),
])
def test_absurd_values(tmp_path, folder, old, new, error):
    path = _variant(tmp_path, folder, "bad.xml", old, new)
    with pytest.raises(error):
        read_ecg(path)
    expect_typed_error(philips_xml, path)


def test_xli_chunk_with_huge_declared_size(tmp_path, folder):
    import base64
    text = (folder / "sierra-1.03.xml").read_text(encoding="utf-8")
    match = re.search(r'(<parsedwaveforms[^>]*>)([^<]*)(</parsedwaveforms>)', text)
    data = bytearray(base64.b64decode("".join(match.group(2).split())))
    data[0:4] = (2_000_000_000).to_bytes(4, "little")
    path = tmp_path / "huge.xml"
    path.write_text(text[:match.start(2)] + base64.b64encode(bytes(data)).decode() + text[match.end(2):])
    with pytest.raises(CorruptFileError, match="XLI chunk"):
        read_ecg(path)


def test_mutated_xli_data_never_crash(tmp_path, folder):
    import base64
    text = (folder / "sierra-1.03.xml").read_text(encoding="utf-8")
    match = re.search(r'(<parsedwaveforms[^>]*>)([^<]*)(</parsedwaveforms>)', text)
    original = base64.b64decode("".join(match.group(2).split()))
    rng = np.random.default_rng(11)
    for i in range(25):
        data = bytearray(original)
        for _ in range(4):
            data[int(rng.integers(0, len(data)))] = int(rng.integers(0, 256))
        path = tmp_path / f"m{i}.xml"
        path.write_text(text[:match.start(2)] + base64.b64encode(bytes(data)).decode() + text[match.end(2):])
        try:
            ecg = read_ecg(path)
        except (CorruptFileError, ImplausibleContentError):
            continue
        assert ecg.signals_mv.shape == (12, 5500)


def test_empty_random_truncated_and_hostile(tmp_path, folder):
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    expect_typed_error(philips_xml, empty)
    for seed in range(3):
        junk = tmp_path / f"junk{seed}.xml"
        junk.write_bytes(random_bytes(2000, seed))
        assert not philips_xml.sniff(junk, junk.read_bytes())
        expect_typed_error(philips_xml, junk)
    for name in ("sierra-1.03.xml", "sierra-1.04.xml"):
        data = (folder / name).read_bytes()
        data = data[: len(data.decode("utf-16" if name.endswith("1.04.xml") else "utf-8").rstrip().encode(
            "utf-16-le" if name.endswith("1.04.xml") else "utf-8")) + (2 if name.endswith("1.04.xml") else 0)]
        for cut in truncation_points(len(data)):
            path = tmp_path / f"cut{cut}.xml"
            path.write_bytes(data[:cut])
            expect_typed_error(philips_xml, path)
    laughs = tmp_path / "laughs.xml"
    laughs.write_text(BILLION_LAUGHS + "<restingecgdata>&lol9;</restingecgdata>")
    assert philips_xml.sniff(laughs, laughs.read_bytes())
    expect_typed_error(philips_xml, laughs)
