"""WFDB reader against wfdb's own rdrecord, on every shared WFDB test file and real databases."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecgchat_desktop.io import (
    ImplausibleContentError,
    MissingDataFileError,
    detect_format,
    read_ecg,
)
from ecgchat_desktop.io.lead_labels import lead_label
from ecgchat_desktop.io.wfdb_reader import parse_comments

_MV = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "v": 1000.0, "": 1.0}

# Files of wfdb-formats that must be read, and those that must fail with a typed error.
READABLE = [
    "03700181", "100_3chan", "3000003_0003", "310derive", "310derive_2", "310derive_3",
    "311derive", "311derive_2", "311derive_3", "311derive_4", "a103l", "binformats",
    "flac_3_constant", "flacformats", "mixedsignals", "p10143", "s0010_re", "test01_00s",
    "test01_00s_frame", "test01_00s_skew", "test01_00s_skewframe", "v102s",
    "multi-segment/041s/041s", "multi-segment/041s/041s01", "multi-segment/fixed1/v102s",
    "multi-segment/p000878/3269321_0002", "multi-segment/s25047/s25047-2704-05-04-10-44",
    "multi-segment/s25047/3234460_0001", "multi-segment/s00001/3975656_0005",
]
FAILING = {
    # header names 100.dat, which lives in mitdb, not here
    "100": MissingDataFileError,
    "100-no-len": MissingDataFileError,
    "100skew": MissingDataFileError,
    "test_generator_2": MissingDataFileError,
    # segments whose files were not shipped
    "multi-segment/p000878/p000878-2137-10-26-16-57": MissingDataFileError,
    "multi-segment/s00001/s00001-2896-10-10-00-31": MissingDataFileError,
    "multi-segment/s00001/3975656_0009": MissingDataFileError,
    # a layout header has no samples; numerics records and PLETH-only segments have no ECG
    "multi-segment/s25047/3234460_layout": ImplausibleContentError,
    "multi-segment/s25047/s25047-2704-05-04-10-44n": ImplausibleContentError,
    "multi-segment/s00001/s00001-2896-10-09-01-56n": ImplausibleContentError,
    "multi-segment/p000878/3269321_0001": ImplausibleContentError,
    # only a gap ("~") in the one segment: every sample NaN
    "multi-segment/s00001/s00001-2896-10-09-01-56": ImplausibleContentError,
}


def _assert_matches_rdrecord(ecg, stem: Path) -> None:
    """Each lead equals wfdb.rdrecord's physical signal (in mV) within one quantisation step."""
    header = wfdb.rdheader(str(stem))
    rate_ratio = ecg.sampling_rate_hz / float(header.fs)
    expanded = rate_ratio > 1.0001
    ref = wfdb.rdrecord(str(stem), smooth_frames=not expanded)
    if expanded:
        columns = [np.asarray(s, dtype=np.float64) for s in ref.e_p_signal]
    else:
        columns = [ref.p_signal[:, j] for j in range(ref.p_signal.shape[1])]
    gains = ref.adc_gain
    if gains is None:  # multi-segment: the coarsest quantum of any segment holding the channel
        segs = [g for g in wfdb.rdheader(str(stem), rd_segments=True).segments if g is not None]
        gains = [min((g.adc_gain[g.sig_name.index(n)] for g in segs if n in g.sig_name), default=200.0)
                 for n in ref.sig_name]
    j = 0
    for k, lead in enumerate(ecg.lead_names):
        while lead_label(ref.sig_name[j]) != lead:
            j += 1  # a dropped (non-ECG) channel
        unit = (ref.units[j] or "").strip().lower()
        factor = _MV[unit]
        expected = columns[j] * factor
        got = ecg.signals_mv[k].astype(np.float64)
        assert got.shape == expected.shape, (lead, got.shape, expected.shape)
        assert np.array_equal(np.isnan(got), np.isnan(expected)), lead
        step = factor / (gains[j] or 200.0)
        ok = ~np.isnan(expected)
        # float32 (the Ecg contract) cannot hold a quantum of 0.005 mV at 10^7 mV (fmt 32 test data)
        tolerance = step + np.abs(expected[ok]) * 2.0 ** -23
        assert np.all(np.abs(got[ok] - expected[ok]) <= tolerance), lead
        j += 1


@pytest.mark.parametrize("name", READABLE)
def test_wfdb_formats_match_rdrecord(data_dir, name):
    stem = data_dir / "wfdb-formats" / name
    hea = Path(str(stem) + ".hea")
    assert detect_format(hea) == "wfdb"
    ecg = read_ecg(hea)
    assert ecg.source_format == "wfdb"
    assert ecg.n_leads >= 1 and ecg.n_samples >= 1
    _assert_matches_rdrecord(ecg, stem)


@pytest.mark.parametrize("name", sorted(FAILING))
def test_wfdb_formats_typed_errors(data_dir, name):
    hea = Path(str(data_dir / "wfdb-formats" / name) + ".hea")
    with pytest.raises(FAILING[name]) as info:
        read_ecg(hea)
    assert str(hea.name) in str(info.value) or hea.parent.name in str(info.value)


def test_non_ecg_channels_dropped_with_note(data_dir):
    ecg = read_ecg(data_dir / "wfdb-formats" / "a103l.hea")
    assert ecg.lead_names == ("II", "V")
    assert any("PLETH" in c and "not loaded" in c for c in ecg.comments)
    mixed = read_ecg(data_dir / "wfdb-formats" / "mixedsignals.hea")
    assert mixed.lead_names == ("II", "III", "V")
    # 4 samples per frame at a frame rate of 62.4725 Hz: the true rate is kept
    assert mixed.sampling_rate_hz == pytest.approx(4 * 62.4725)


def test_samples_per_frame_expanded_to_true_rate(data_dir):
    ecg = read_ecg(data_dir / "wfdb-formats" / "multi-segment" / "041s" / "041s.hea")
    assert ecg.sampling_rate_hz == 500.0  # 212x4 at 125 frames/s
    assert ecg.n_samples == 8000


def test_data_file_path_accepted(data_dir):
    by_dat = read_ecg(data_dir / "ptb-xl" / "records500" / "00000" / "00001_hr.dat")
    by_hea = read_ecg(data_dir / "ptb-xl" / "records500" / "00000" / "00001_hr.hea")
    assert np.array_equal(by_dat.signals_mv, by_hea.signals_mv)
    mat = read_ecg(data_dir / "wfdb-formats" / "a103l.mat")
    assert mat.lead_names == ("II", "V")
    # any data file its header names: the PTB record's Frank leads, a format-test file
    assert detect_format(data_dir / "wfdb-formats" / "s0010_re.xyz") == "wfdb"
    assert read_ecg(data_dir / "wfdb-formats" / "binformats.d3").n_leads == 10


def test_skewed_record_with_its_data_file(data_dir, tmp_path):
    # 100skew.hea needs mitdb's 100.dat beside it.
    shutil.copy(data_dir / "wfdb-formats" / "100skew.hea", tmp_path / "100skew.hea")
    (tmp_path / "100.dat").symlink_to(data_dir / "mitdb" / "100.dat")
    ecg = read_ecg(tmp_path / "100skew.hea")
    _assert_matches_rdrecord(ecg, tmp_path / "100skew")
    plain = read_ecg(data_dir / "mitdb" / "100.hea")
    # channel 1 is shifted by 3 samples
    assert np.allclose(ecg.signals_mv[1, :1000], plain.signals_mv[1, 3:1003])


def test_units_converted_to_mv(data_dir, tmp_path):
    shutil.copy(data_dir / "wfdb-formats" / "test01_00s.dat", tmp_path / "u.dat")
    (tmp_path / "u.hea").write_text(
        "u 4 500 4000\n"
        "u.dat 16 100/uV 16 0 10 114 0 I\n"
        "u.dat 16 100/V 16 0 -8 941 0 II\n"
        "u.dat 16 100 16 0 -57 -119 0 V1\n"
        "u.dat 16 100/mmHg 16 0 -66 -401 0 ABP\n")
    ecg = read_ecg(tmp_path / "u.hea")
    ref = wfdb.rdrecord(str(tmp_path / "u"))
    assert ecg.lead_names == ("I", "II", "V1")
    assert np.allclose(ecg.signals_mv[0], ref.p_signal[:, 0] / 1000.0, atol=1e-6)
    assert np.allclose(ecg.signals_mv[1], ref.p_signal[:, 1] * 1000.0, rtol=1e-6)
    assert np.allclose(ecg.signals_mv[2], ref.p_signal[:, 2], atol=1e-6)


# --- real databases: a handful of records each ---------------------------------------
SAMPLES = [
    "ptb-xl/records500/00000/00001_hr", "ptb-xl/records500/00000/00008_hr",
    "ptb-xl/records500/00000/00017_hr", "ptb-xl/records500/00000/00100_hr",
    "ludb/data/1", "ludb/data/2", "ludb/data/77", "ludb/data/140",
    "qtdb/sel100", "qtdb/sel102", "qtdb/sel116", "qtdb/sel123",
    "mitdb/100", "mitdb/203",
    "cinc/cpsc2018/A0001", "cinc/georgia/E00001", "cinc/chapman/JS00001", "cinc/ptb/S0001",
    "cinc/ningbo/JS11438", "cinc/ptbxl/HR03961", "cinc/cpsc2018_extra/Q0001",
    "cinc/orig500/chapman/JS00001", "cinc/orig500/cpsc2018/A0001",
]


@pytest.mark.parametrize("name", SAMPLES)
def test_databases_match_rdrecord(data_dir, name):
    stem = data_dir / name
    if not Path(str(stem) + ".hea").is_file():
        pytest.skip(f"{name} not in this copy of the shared data")
    ecg = read_ecg(Path(str(stem) + ".hea"))
    _assert_matches_rdrecord(ecg, stem)


def test_ptbxl_twelve_leads(data_dir):
    ecg = read_ecg(data_dir / "ptb-xl" / "records500" / "00000" / "00001_hr.hea")
    assert ecg.lead_names == ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
    assert ecg.sampling_rate_hz == 500.0 and ecg.n_samples == 5000
    assert ecg.signals_mv.dtype == np.float32
    # Einthoven: III = II - I within quantisation of the stored leads
    assert np.max(np.abs(ecg.lead("III") - (ecg.lead("II") - ecg.lead("I")))) < 0.01


def test_challenge_comments(data_dir):
    ecg = read_ecg(data_dir / "cinc" / "orig500" / "chapman" / "JS00001.hea")
    assert ecg.patient.age_years == 85 and ecg.patient.sex == "M"
    assert ecg.file_diagnoses == (
        "atrial fibrillation (SNOMED CT 164889003)",
        "right bundle branch block (SNOMED CT 59118001)",
        "t wave abnormal (SNOMED CT 164934002)",
    )


def test_ludb_comments(data_dir):
    ecg = read_ecg(data_dir / "ludb" / "data" / "1.hea")
    assert ecg.patient.age_years == 51 and ecg.patient.sex == "F"
    assert ecg.file_diagnoses[0] == "Rhythm: Sinus bradycardia"
    assert "Left ventricular hypertrophy" in ecg.file_diagnoses


def test_mitbih_and_ptb_comments(data_dir):
    mit = read_ecg(data_dir / "mitdb" / "100.hea")
    assert (mit.patient.age_years, mit.patient.sex) == (69, "M")
    ptb = read_ecg(data_dir / "wfdb-formats" / "s0010_re.hea")
    assert (ptb.patient.age_years, ptb.patient.sex) == (81, "F")
    assert ptb.file_diagnoses[0] == "Myocardial infarction"
    assert ptb.lead_names[-3:] == ("X", "Y", "Z")


def test_parse_comments_styles():
    assert parse_comments(["Age: NaN", "Sex: Female", "Dx: 426783006,999999"]) == (
        None, "F", ["sinus rhythm (SNOMED CT 426783006)", "SNOMED CT 999999"])
    assert parse_comments(["<age>: 25  <sex>: M  <diagnoses>: (none)  <medications>: (none)"]) == (25.0, "M", [])
    assert parse_comments(["<age>: ?? <sex>: ?"]) == (None, None, [])
    assert parse_comments(["<age>: 64", "<sex>: M", "<diagnoses>:", "Rhythm: Sinus rhythm.", "LVH."]) == (
        64.0, "M", ["Rhythm: Sinus rhythm", "LVH"])


def test_channel_numbers_are_not_leads(data_dir):
    assert read_ecg(data_dir / "wfdb-formats" / "test01_00s.hea").lead_names == ("ECG 1", "ECG 2", "ECG 3", "ECG 4")
    assert read_ecg(data_dir / "wfdb-formats" / "310derive_3.hea").lead_names == ("ch1",)
    assert lead_label("lead II") == "II" and lead_label("AVR") == "aVR" and lead_label("v1") == "V1"
    assert lead_label("signal 2") == "signal 2" and lead_label("col 0") == "col 0"
