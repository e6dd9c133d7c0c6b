"""SCP-ECG reader: the ECG Toolkit example, records written to the standard by tests, broken files."""

from __future__ import annotations

import struct
from datetime import date, datetime

import numpy as np
import pytest

from ecgchat_desktop.io import detect_format, read_ecg
from ecgchat_desktop.io import scp
from ecgchat_desktop.io.errors import CorruptFileError, ImplausibleContentError, UnsupportedFormatError
from io_broken_inputs import expect_typed_error, random_bytes, truncation_points
from scp_fixture import SwitchingEncoder, build_scp, measurements_section, patch_section

pytestmark = pytest.mark.timeout(120)

LEADS = ("I", "II", "V1", "V2")


@pytest.fixture(scope="module")
def example(data_dir):
    return data_dir / "formats" / "scp-ecg" / "ecgtoolkit-example.scp"


def _random_walk(shape, seed, step=40):
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.integers(-step, step + 1, size=shape), axis=1)


def test_example_reads_with_default_huffman_and_second_differences(example):
    ecg = read_ecg(example)
    assert detect_format(example) == "scp-ecg"
    assert ecg.source_format == "scp-ecg"
    assert ecg.sampling_rate_hz == 500.0
    assert ecg.n_samples == 5000
    assert ecg.lead_names == ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
    # All values are multiples of the 2.5 uV amplitude unit and plausible ECG amplitudes.
    steps = ecg.signals_mv / 0.0025
    assert np.abs(steps - np.round(steps)).max() < 1e-3
    assert 0.5 < np.abs(ecg.signals_mv).max() < 5.0
    residual = ecg.lead("III") - (ecg.lead("II") - ecg.lead("I"))
    assert np.abs(residual).max() <= 0.0051


def test_example_metadata_and_measurements(example):
    ecg = read_ecg(example)
    assert ecg.patient.id == "SBJ-123"
    assert ecg.patient.name == "Clark"
    assert ecg.patient.sex == "M"
    assert ecg.patient.birth_date == date(1953, 5, 8)
    assert ecg.acquired_at == datetime(2002, 11, 22, 9, 10, 0)
    assert ecg.device == "ELI250"  # the converter's own name is not taken for the manufacturer
    m = ecg.device_measurements
    assert (m.pr_ms, m.qrs_ms, m.qt_ms, m.qtc_ms) == (148, 120, 420, 443)
    assert (m.p_axis_deg, m.qrs_axis_deg, m.t_axis_deg) == (44, -61, 86)
    assert m.p_ms == 102
    assert m.hr_bpm is None  # the file says 'not computed' (29999 / 0)
    beats = ecg.median_beats
    assert beats is not None and beats.signals_mv.shape == (12, 599) and beats.sampling_rate_hz == 500.0


@pytest.mark.parametrize("huffman", [True, False, "custom"])
@pytest.mark.parametrize("difference_mode", [0, 1, 2])
def test_written_records_round_trip(tmp_path, huffman, difference_mode):
    rhythm = _random_walk((4, 1500), seed=difference_mode, step=300)  # exercises 8- and 16-bit escapes
    path = tmp_path / "rec.scp"
    path.write_bytes(build_scp(rhythm, LEADS, interval_us=4000, avm_nv=5000, huffman=huffman,
                               difference_mode=difference_mode))
    ecg = read_ecg(path)
    assert ecg.sampling_rate_hz == 250.0
    assert ecg.lead_names == LEADS
    np.testing.assert_allclose(ecg.signals_mv, rhythm * 0.005, atol=1e-5)
    assert ecg.patient.sex == "F" and ecg.patient.birth_date == date(1960, 2, 29)


def test_reference_beat_subtraction_is_undone(tmp_path):
    rhythm = _random_walk((4, 2000), seed=7, step=5)
    reference = _random_walk((4, 300), seed=8, step=30)
    fiducial = 100
    zones = [(0, 150, 250, 449), (0, 850, 950, 1149), (1, 1300, 1400, 1599), (0, 1900, 2000, 2000)]
    path = tmp_path / "subtracted.scp"
    path.write_bytes(build_scp(rhythm, LEADS, reference=reference, fiducial=fiducial, zones=zones))
    ecg = read_ecg(path)
    np.testing.assert_allclose(ecg.signals_mv, rhythm * 0.005, atol=1e-5)
    np.testing.assert_allclose(ecg.median_beats.signals_mv, reference * 0.005, atol=1e-5)


def test_measurements_and_statements_sections(tmp_path):
    path = tmp_path / "m.scp"
    section7 = measurements_section(100, 200, 260, 356, 660, 50, -30, 40, rr_ms=800,
                                    ventricular_rate=75, qtc=440)
    path.write_bytes(build_scp(_random_walk((4, 500), 1), LEADS, measurements=section7,
                               statements=["Sinus rhythm", "Left axis deviation"]))
    ecg = read_ecg(path)
    m = ecg.device_measurements
    assert (m.pr_ms, m.qrs_ms, m.qt_ms, m.p_ms, m.rr_ms) == (160, 96, 400, 100, 800)
    assert (m.hr_bpm, m.qtc_ms) == (75, 440)
    assert (m.p_axis_deg, m.qrs_axis_deg, m.t_axis_deg) == (50, -30, 40)
    assert ecg.device_statements == ("Sinus rhythm", "Left axis deviation")


def test_empty_random_and_truncated(tmp_path, example):
    empty = tmp_path / "empty.scp"
    empty.write_bytes(b"")
    expect_typed_error(scp, empty)
    for seed in range(5):
        junk = tmp_path / f"junk{seed}.scp"
        junk.write_bytes(random_bytes(4000, seed))
        assert not scp.sniff(junk, junk.read_bytes())
        with pytest.raises(UnsupportedFormatError):
            read_ecg(junk)
        expect_typed_error(scp, junk)
    data = example.read_bytes()
    for cut in truncation_points(len(data)):
        path = tmp_path / f"cut{cut}.scp"
        path.write_bytes(data[:cut])
        expect_typed_error(scp, path)


def test_damaged_bytes_fail_the_crc(tmp_path, example):
    data = bytearray(example.read_bytes())
    data[20000] ^= 0x55
    path = tmp_path / "flipped.scp"
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError, match="CRC"):
        read_ecg(path)


# Forged files: CRCs are right, the declared values are absurd.
@pytest.mark.parametrize("section_id,offset,value,error", [
    (6, 2, struct.pack("<H", 0), ImplausibleContentError),            # sample interval 0 us
    (6, 0, struct.pack("<H", 0), ImplausibleContentError),            # amplitude unit 0 nV
    (6, 4, bytes([7]), CorruptFileError),                             # unknown difference mode
    (6, 6, struct.pack("<H", 65535), CorruptFileError),               # lead byte count beyond section
    (3, 0, bytes([0]), ImplausibleContentError),                      # no leads
    (3, 2 + 4, struct.pack("<I", 4_000_000_000), ImplausibleContentError),  # end sample 4e9
    (3, 2 + 4, struct.pack("<I", 40_000_000), CorruptFileError),      # 40 M samples from 2.5 kB
    (3, 2 + 9, struct.pack("<II", 3_000_000_000, 3_000_004_999), ImplausibleContentError),  # lead 2 starts at 3e9
    (2, 0, struct.pack("<H", 5000), CorruptFileError),                # 5000 Huffman tables
    (2, 0, struct.pack("<H", 1), CorruptFileError),                   # table with no structures
    (1, 1, struct.pack("<H", 60000), CorruptFileError),               # tag length beyond section
    (0, 10 * 6 + 6, struct.pack("<I", 10_000_000), CorruptFileError),  # pointer outside the record
])
def test_absurd_declared_values(tmp_path, example, section_id, offset, value, error):
    path = tmp_path / "forged.scp"
    path.write_bytes(patch_section(example.read_bytes(), section_id, offset, value))
    with pytest.raises(error):
        read_ecg(path)
    expect_typed_error(scp, path)


def test_huge_record_length_is_refused(tmp_path, example):
    data = bytearray(example.read_bytes())
    struct.pack_into("<I", data, 2, 0xFFFFFFF0)
    path = tmp_path / "long.scp"
    path.write_bytes(bytes(data))
    expect_typed_error(scp, path)


def test_mutated_huffman_data_never_crash(tmp_path, example):
    """Random byte changes inside the compressed rhythm, CRCs repaired: typed error or a valid Ecg."""
    data = example.read_bytes()
    rng = np.random.default_rng(3)
    for i in range(40):
        offset = int(rng.integers(6 + 12 * 2, 3000))
        forged = patch_section(data, 6, offset, bytes(rng.integers(0, 256, size=3, dtype=np.uint8)))
        path = tmp_path / f"m{i}.scp"
        path.write_bytes(forged)
        try:
            ecg = read_ecg(path)
        except (CorruptFileError, ImplausibleContentError):
            continue
        assert ecg.signals_mv.shape == (12, 5000)


def test_bimodal_flag_without_protected_zones_is_a_typed_error(tmp_path, example):
    """The example has no QRS zones in section 4: a decimated rhythm could not be rebuilt."""
    path = tmp_path / "bimodal.scp"
    forged = patch_section(example.read_bytes(), 6, 2, struct.pack("<H", 8000))  # 125 Hz, 1/4 of section 5
    path.write_bytes(patch_section(forged, 6, 5, bytes([1])))
    with pytest.raises(CorruptFileError, match="protected zones"):
        read_ecg(path)


def test_bimodal_compression_is_rebuilt(tmp_path):
    """Written to EN 1064's bimodal scheme: QRS zones at full rate, 1/4 rate elsewhere, reference beat subtracted.

    Our own writer and reader agree on the scheme; no bimodal file from a device was available
    to check the reconstruction against, so this guards the decoding logic, not conformance.
    """
    n, rate = 2500, 500
    t = np.arange(n) / rate
    smooth = np.rint(400 * np.sin(2 * np.pi * 1.2 * t) + 150 * np.sin(2 * np.pi * 0.3 * t)).astype(np.int64)
    beat = np.zeros(200, dtype=np.int64)
    beat[90:110] = np.rint(1500 * np.hanning(20)).astype(np.int64)  # a QRS-like spike
    fiducials = [400, 1000, 1600, 2200]
    rhythm = np.tile(smooth, (4, 1))
    for fc in fiducials:
        rhythm[:, fc - 100:fc + 100] += beat
    zones = [(0, fc - 99, fc, fc + 100) for fc in fiducials]
    protected = [(fc - 20, fc + 20) for fc in fiducials]
    path = tmp_path / "bimodal.scp"
    path.write_bytes(build_scp(rhythm, LEADS, reference=np.tile(beat, (4, 1)), fiducial=100, zones=zones,
                               decimation=4, protected=protected))
    ecg = read_ecg(path)
    assert ecg.sampling_rate_hz == 500.0 and ecg.n_samples == n
    assert any("bimodal" in c for c in ecg.comments)
    got = ecg.signals_mv / 0.005
    for qb, qe in protected:  # protected zones come back exactly
        np.testing.assert_allclose(got[:, qb - 1:qe], rhythm[:, qb - 1:qe], atol=1e-3)
    error = np.abs(got - rhythm)
    assert error.max() < 0.03 * np.abs(rhythm).max()  # decimated stretches: within 3 % of full scale
    assert error.mean() < 2.0


def test_huffman_table_switching(tmp_path):
    rng = np.random.default_rng(5)
    values = rng.choice([0, 1, -1, 5, 5, 5, 300, -2000], size=(4, 1200))
    path = tmp_path / "switching.scp"
    path.write_bytes(build_scp(values, LEADS, huffman=SwitchingEncoder(), difference_mode=0))
    ecg = read_ecg(path)
    np.testing.assert_allclose(ecg.signals_mv, values * 0.005, atol=1e-6)
