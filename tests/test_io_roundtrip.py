"""read_ecg(write(x)) gives x back within one quantisation step, for every writer and several sources."""

from __future__ import annotations

import os
from datetime import date, datetime

import numpy as np
import pydicom
import pytest

from ecgchat_desktop.ecg import DeviceMeasurements, Ecg, MedianBeats, Patient
from ecgchat_desktop.io import read_ecg, write_ecg
from ecgchat_desktop.settings import SAMPLES_DIR

SOURCES = {
    "ptbxl": SAMPLES_DIR / "ptbxl-00008" / "00008_hr.hea",
    "dicom": SAMPLES_DIR / "dicom" / "ecgtoolkit-example.dcm",
}
# written quantum: 1 uV in WFDB and DICOM (signals within +-32 mV), 1 nV printed in CSV
STEP_MV = {".hea": 0.001, ".dcm": 0.001, ".csv": 0.000001}


def _assert_same(a: Ecg, b: Ecg, step: float, metadata: bool) -> None:
    assert b.lead_names == a.lead_names
    assert b.sampling_rate_hz == pytest.approx(a.sampling_rate_hz, rel=1e-9)
    assert b.n_samples == a.n_samples
    assert np.array_equal(np.isnan(a.signals_mv), np.isnan(b.signals_mv))
    ok = ~np.isnan(a.signals_mv)
    assert np.max(np.abs(a.signals_mv[ok] - b.signals_mv[ok])) <= step / 2 + 1e-6
    if metadata:
        info_a, info_b = a.info_dict(), b.info_dict()
        info_a.pop("format"), info_b.pop("format")
        assert info_a == info_b
        assert b.patient == a.patient


@pytest.mark.parametrize("source", sorted(SOURCES))
@pytest.mark.parametrize("ext", [".hea", ".dcm", ".csv"])
def test_round_trip(tmp_path, source, ext):
    original = read_ecg(SOURCES[source])
    out = write_ecg(original, tmp_path / f"rt{ext}")
    back = read_ecg(out)
    _assert_same(original, back, STEP_MV[ext], metadata=ext != ".csv")
    # nothing but the written files remains in the folder (no temporary leftovers)
    expected = {f"rt{ext}"} | ({"rt.dat"} if ext == ".hea" else set())
    assert set(os.listdir(tmp_path)) == expected


def _synthetic() -> Ecg:
    rng = np.random.default_rng(7)
    signals = np.cumsum(rng.normal(0, 0.02, (12, 4000)), axis=1).astype(np.float32)
    signals[3, 100:110] = np.nan
    signals[0, 0] = 40.0  # beyond int16 at 1 uV: a coarser step for this lead
    medians = rng.normal(0, 0.3, (12, 400)).astype(np.float32)
    return Ecg(
        signals_mv=signals, sampling_rate_hz=400.0,
        lead_names=("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"),
        patient=Patient(id="P-1", name="Doe, Jane", sex="F", birth_date=date(1960, 2, 29), age_years=64.0),
        acquired_at=datetime(2024, 3, 1, 8, 15, 30, 250000), device="Cart 9000",
        device_measurements=DeviceMeasurements(hr_bpm=72, rr_ms=833, p_ms=100, pr_ms=160, qrs_ms=92, qt_ms=380,
                                               qtc_ms=416, p_axis_deg=50, qrs_axis_deg=-30, t_axis_deg=40),
        device_statements=("Sinus rhythm", "Left axis deviation"),
        median_beats=MedianBeats(signals_mv=medians, sampling_rate_hz=400.0,
                                 lead_names=("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")),
        file_diagnoses=("Left axis deviation",),
    )


@pytest.mark.parametrize("ext", [".hea", ".dcm"])
def test_round_trip_everything_carried(tmp_path, ext):
    ecg = _synthetic()
    back = read_ecg(write_ecg(ecg, tmp_path / f"full{ext}"))
    assert back.device_measurements == ecg.device_measurements
    assert back.device_statements == ecg.device_statements
    assert back.patient == ecg.patient and back.acquired_at == ecg.acquired_at and back.device == ecg.device
    ok = ~np.isnan(ecg.signals_mv)
    # lead I holds 40 mV: its step is 40/32767 mV; the other leads keep 1 uV
    err = np.abs(np.nan_to_num(back.signals_mv) - np.nan_to_num(ecg.signals_mv))
    assert err[0].max() <= 40.0 / 32767 and err[1:][ok[1:]].max() <= 0.0005 + 1e-6
    assert np.array_equal(np.isnan(back.signals_mv), ~ok)
    if ext == ".dcm":
        assert back.median_beats is not None
        assert np.max(np.abs(back.median_beats.signals_mv - ecg.median_beats.signals_mv)) <= 0.0005 + 1e-6
    else:
        assert back.file_diagnoses == ecg.file_diagnoses


def test_dicom_written_is_valid_waveform(tmp_path):
    out = write_ecg(read_ecg(SOURCES["ptbxl"]), tmp_path / "x.dcm")
    ds = pydicom.dcmread(out)
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.9.1.1"  # 12-Lead ECG Waveform Storage
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    group = ds.WaveformSequence[0]
    assert group.MultiplexGroupLabel == "RHYTHM" and group.WaveformSampleInterpretation == "SS"
    codes = [ch.ChannelSourceSequence[0].CodeValue for ch in group.ChannelDefinitionSequence]
    assert codes == ["2:1", "2:2", "2:61", "2:62", "2:63", "2:64", "2:3", "2:4", "2:5", "2:6", "2:7", "2:8"]
    # pydicom's own decoding agrees with ours
    ours = read_ecg(out).signals_mv
    theirs = ds.waveform_array(0).T * 1e-3
    assert np.allclose(ours, theirs, atol=1e-6)


def test_long_record_goes_to_general_ecg(tmp_path, data_dir):
    ecg = read_ecg(data_dir / "wfdb-formats" / "s0010_re.hea")  # 15 leads, 38.4 s at 1 kHz
    out = write_ecg(ecg, tmp_path / "ptb.dcm")
    assert pydicom.dcmread(out).SOPClassUID == "1.2.840.10008.5.1.4.1.1.9.1.2"
    _assert_same(ecg, read_ecg(out), 0.001, metadata=True)


def test_overwrite_is_atomic(tmp_path):
    target = tmp_path / "x.csv"
    target.write_text("old content")
    write_ecg(read_ecg(SOURCES["ptbxl"]), target)
    assert target.read_text().startswith("time_s,")
    assert os.listdir(tmp_path) == ["x.csv"]


@pytest.mark.parametrize("source", ["dicom", "ptbxl"])
def test_written_dicom_passes_dciodvfy(tmp_path, source):
    """The independent DICOM validator (dicom3tools) finds no IOD error in what we write.

    Only exception: a source without an acquisition time (PTB-XL WFDB) leaves the type 1
    Acquisition DateTime empty, by design: we do not invent an acquisition time.
    """
    import shutil
    import subprocess

    if shutil.which("dciodvfy") is None:
        pytest.skip("dciodvfy (apt package dicom3tools) not installed")
    out = write_ecg(read_ecg(SOURCES[source]), tmp_path / "v.dcm")
    proc = subprocess.run(["dciodvfy", str(out)], capture_output=True, text=True, timeout=60)
    errors = [line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith("Error")]
    if source == "ptbxl":
        assert errors == ["Error - Empty attribute (no value) Type 1 Required Element=<AcquisitionDateTime> "
                          "Module=<WaveformIdentification>"]
    else:
        assert errors == []


SHARED_SOURCES = [
    "formats/dicom/hemodynamic-240hz.dcm",   # NaN padding samples, 0.00122 mV steps
    "ludb/data/1.hea",                       # per-lead gains and baselines
    "cinc/orig500/chapman/JS00001.hea",      # .mat storage
    "wfdb-formats/mixedsignals.hea",         # 249.89 Hz after frame expansion
    "wfdb-formats/test_generator_2.edf",     # EDF, non-standard channel names, 600 s
]


@pytest.mark.parametrize("source", SHARED_SOURCES)
@pytest.mark.parametrize("ext", [".hea", ".dcm", ".csv"])
def test_round_trip_shared_sources(data_dir, tmp_path, source, ext):
    original = read_ecg(data_dir / source)
    back = read_ecg(write_ecg(original, tmp_path / f"rt{ext}"))
    # 1 uV steps when the signal fits in int16 (all of these do); CSV prints 1 nV
    _assert_same(original, back, STEP_MV[ext], metadata=ext != ".csv")


# --- property: any plausible recording survives every writer -------------------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_NAMES = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6", "X", "Y", "Z", "MLII")


@st.composite
def _recordings(draw):
    n_leads = draw(st.integers(1, 15))
    n_samples = draw(st.integers(2, 600))
    fs = draw(st.sampled_from([100.0, 128.0, 250.0, 257.0, 360.0, 500.0, 1000.0]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    signals = rng.uniform(-30, 30, (n_leads, n_samples)).astype(np.float32)
    if draw(st.booleans()):
        signals[rng.random(signals.shape) < 0.05] = np.nan
    signals[:, 0] = 0.5  # at least one finite sample per lead
    names = draw(st.permutations(_NAMES))[:n_leads]
    return Ecg(signals_mv=signals, sampling_rate_hz=fs, lead_names=tuple(names))


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ecg=_recordings(), ext=st.sampled_from([".hea", ".dcm", ".csv"]))
def test_property_round_trip(tmp_path, ecg, ext):
    out = write_ecg(ecg, tmp_path / f"p{ext}")
    back = read_ecg(out)
    _assert_same(ecg, back, STEP_MV[ext], metadata=False)
