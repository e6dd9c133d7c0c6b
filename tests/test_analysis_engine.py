"""measure(): end-to-end on synthetic ECGs with known intervals and on real records."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from ecgchat_desktop.analysis import measure
from ecgchat_desktop.analysis.measurements import Measurements
from ecgchat_desktop.analysis.synthetic import synthetic_ecg
from ecgchat_desktop.ecg import Ecg, canonical_lead_name


def load_wfdb(path) -> Ecg:
    import wfdb

    rec = wfdb.rdrecord(str(path))
    x = rec.p_signal.T.astype(np.float32)
    for i, unit in enumerate(rec.units):
        if unit.lower() in ("uv", "µv"):
            x[i] /= 1000.0
    return Ecg(signals_mv=x, sampling_rate_hz=rec.fs,
               lead_names=[canonical_lead_name(n) for n in rec.sig_name], source_path=str(path))


def test_synthetic_intervals_come_back():
    ecg, truth = synthetic_ecg(hr_bpm=72, pr_ms=170, p_ms=100, qrs_ms=96, qt_ms=390, noise_mv=0.005)
    m = measure(ecg)
    assert m.hr_bpm == pytest.approx(72, abs=0.5)
    # Every interval to within 2 ms (one 500-Hz working sample): QRS boundaries from the
    # velocity, P and T ends placed where the unsmoothed curve leaves the baseline
    # (delineate._knee).
    assert m.qrs_ms == pytest.approx(truth.qrs_ms, abs=2.0)
    assert m.pr_ms == pytest.approx(truth.pr_ms, abs=2.0)
    assert m.p_ms == pytest.approx(truth.p_ms, abs=2.0)
    assert m.qt_ms == pytest.approx(truth.qt_ms, abs=2.0)
    assert m.p_wave_fraction == 1.0
    assert all(v is not None for v in m.qtc_ms.values())
    assert set(m.lead_quality.values()) == {"good"}
    assert len(m.r_peaks) == len(truth.qrs_onsets_s)


_SYNTHETIC_CASES = [
    dict(hr_bpm=60, pr_ms=160, p_ms=100, qrs_ms=90, qt_ms=400),
    dict(hr_bpm=90, pr_ms=140, p_ms=80, qrs_ms=110, qt_ms=360),
    dict(hr_bpm=50, pr_ms=220, p_ms=120, qrs_ms=80, qt_ms=440),
    dict(hr_bpm=65, pr_ms=200, p_ms=90, qrs_ms=120, qt_ms=420, seed=5),
]


@pytest.mark.parametrize("fs", [500.0, 1000.0])
@pytest.mark.parametrize("kw", _SYNTHETIC_CASES + [dict(hr_bpm=72, pr_ms=170, p_ms=100, qrs_ms=96, qt_ms=390)])
def test_synthetic_intervals_over_a_range(kw, fs):
    # 500 Hz and 1000 Hz recordings are measured at their own rate. P and T ends are
    # placed where the unsmoothed curve leaves the baseline (delineate._knee), so the sharp
    # corners of the synthetic waves come back within a fraction of a sample, not one
    # smoothing half-width outside them.
    ecg, truth = synthetic_ecg(fs=fs, noise_mv=0.005, **kw)
    m = measure(ecg)
    assert m.qrs_ms == pytest.approx(truth.qrs_ms, abs=2.0)
    assert m.pr_ms == pytest.approx(truth.pr_ms, abs=2.0)
    assert m.p_ms == pytest.approx(truth.p_ms, abs=2.0)
    assert m.qt_ms == pytest.approx(truth.qt_ms, abs=2.0)


@pytest.mark.parametrize("kw", _SYNTHETIC_CASES)
def test_synthetic_intervals_at_250_hz(kw):
    # Up-sampled to the 500-Hz working rate: the interpolation rounds the corners, and the
    # T end lands up to 5 ms late; PR, P and QRS still within 3 ms.
    ecg, truth = synthetic_ecg(fs=250.0, noise_mv=0.005, **kw)
    m = measure(ecg)
    assert m.qrs_ms == pytest.approx(truth.qrs_ms, abs=3.0)
    assert m.pr_ms == pytest.approx(truth.pr_ms, abs=3.0)
    assert m.p_ms == pytest.approx(truth.p_ms, abs=3.0)
    assert m.qt_ms == pytest.approx(truth.qt_ms, abs=5.0)


def test_synthetic_without_p_reports_absent_p():
    ecg, _ = synthetic_ecg(p_present=False, noise_mv=0.005)
    m = measure(ecg)
    assert m.p_ms is None and m.pr_ms is None and m.p_axis_deg is None
    assert m.p_wave_fraction == 0.0
    assert m.qrs_ms is not None


@pytest.mark.parametrize("fs", [100.0, 250.0, 360.0, 1000.0])
def test_any_rate_and_single_lead(fs):
    ecg, truth = synthetic_ecg(fs=fs, lead_names=("II",), hr_bpm=80, noise_mv=0.005)
    m = measure(ecg)
    assert m.hr_bpm == pytest.approx(80, abs=1.0)
    assert m.qrs_ms == pytest.approx(truth.qrs_ms, abs=12.0 if fs < 200 else 6.0)
    # r_peaks index the original recording.
    assert max(m.r_peaks) < ecg.n_samples
    assert m.sampling_rate_hz == fs


def test_measurements_serialise_round_trip():
    ecg, _ = synthetic_ecg(noise_mv=0.005)
    m = measure(ecg)
    again = Measurements.from_dict(m.to_dict())
    assert again.qrs_ms == m.qrs_ms and again.median.r_index == m.median.r_index
    assert again.lead_amplitudes["V5"].r_mv == m.lead_amplitudes["V5"].r_mv


def test_normal_sinus_ludb(data_dir):
    m = measure(load_wfdb(data_dir / "ludb" / "data" / "1"))  # sinus bradycardia, LVH
    assert 40 < m.hr_bpm < 55
    assert m.p_wave_fraction >= 0.8
    # Cardiologists (LUDB, global over 12 leads): PR 144, QRS 107 ms.
    assert 120 <= m.pr_ms <= 180 and 85 <= m.qrs_ms <= 135 and 360 <= m.qt_ms <= 520
    assert m.median is not None and m.median.n_beats_used >= 5


def test_atrial_fibrillation_has_no_p_and_irregular_rr(data_dir):
    # PTB-XL 307 (fold 1): AFIB.
    m = measure(load_wfdb(data_dir / "ptb-xl" / "records500" / "00000" / "00307_hr"))
    assert m.rr_irregularity > 0.08
    assert m.p_ms is None and m.pr_ms is None
    assert m.n_paced == 0 and not m.pacing_spikes


def test_paced_ludb_record_has_spikes(data_dir):
    m = measure(load_wfdb(data_dir / "ludb" / "data" / "34"))  # ventricular pacing
    assert len(m.pacing_spikes) >= 5
    assert m.n_paced >= 5


def test_one_lead_off_is_excluded_and_measurement_continues(data_dir):
    ecg = load_wfdb(data_dir / "ludb" / "data" / "1")
    sig = np.array(ecg.signals_mv)
    sig[ecg.lead_names.index("V3")] = 0.0
    m = measure(ecg.with_changes(signals_mv=sig))
    assert m.lead_quality["V3"] == "lead_off"
    assert any("V3" in note for note in m.analysis_notes)
    assert "V3" not in m.lead_amplitudes
    assert 40 < m.hr_bpm < 55 and m.qrs_ms is not None


def test_analysis_imports_no_gui_or_ml_stack():
    code = ("import sys, ecgchat_desktop.analysis as a; "
            "bad=[m for m in sys.modules if m.split('.')[0] in ('PySide6','torch','llama_cpp')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_no_p_overlays_when_p_is_absent(data_dir):
    m = measure(load_wfdb(data_dir / "ptb-xl" / "records500" / "00000" / "00307_hr"))  # AFIB
    assert all(b.p_onset is None and b.p_offset is None for b in m.beats)


def test_noisy_pr_segment_does_not_pull_the_qrs_onset_early():
    # 0.01-mV white noise on every lead, 31 seeds: one lead's 10-ms "quiet run" found inside
    # its noisy PR segment used to set the global (earliest-lead) QRS onset up to 36 ms
    # early (PR short and QRS long by as much). A lead's onset well before the combined one
    # now counts only where that lead itself moves (delineate._confirmed_earliest).
    kw = dict(hr_bpm=60, pr_ms=160, p_ms=100, qrs_ms=90, qt_ms=400)
    qrs_err, pr_err = [], []
    for seed in range(31):
        ecg, truth = synthetic_ecg(noise_mv=0.01, seed=seed, **kw)
        m = measure(ecg)
        qrs_err.append(m.qrs_ms - truth.qrs_ms)
        pr_err.append(m.pr_ms - truth.pr_ms)
    assert max(qrs_err) <= 6.0 and min(qrs_err) >= -6.0
    assert min(pr_err) >= -8.0
