"""Each step of the measurement engine on its own: filters, quality, detection, pacing,
beat classes, axes, QTc, rhythm statistics (real records and synthetic signals)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ecgchat_desktop.analysis import (
    axes,
    measure,
    preprocess,
    qrs_detect,
    quality,
    rhythm,
)
from ecgchat_desktop.analysis.synthetic import synthetic_ecg
from ecgchat_desktop.ecg import Ecg

from test_analysis_engine import load_wfdb

FS = 500.0


# --- preprocessing -------------------------------------------------------------
def test_mains_detected_and_notched():
    ecg, _ = synthetic_ecg(noise_mv=0.005)
    t = np.arange(ecg.n_samples) / FS
    for mains in (50.0, 60.0):
        x = np.array(ecg.signals_mv, dtype=float) + 0.2 * np.sin(2 * np.pi * mains * t)
        assert preprocess.detect_mains_hz(x, FS) == mains
        y, found = preprocess.clean(x, FS)
        assert found == mains
        # The interference is gone: residual at the mains frequency far below 0.2 mV.
        ref, _ = preprocess.clean(np.array(ecg.signals_mv, dtype=float), FS, mains_hz=mains)
        assert np.abs(y - ref)[:, 1000:-1000].max() < 0.02
    assert preprocess.detect_mains_hz(np.array(ecg.signals_mv, dtype=float), FS) is None


def test_baseline_wander_removed_without_shifting_waves():
    ecg, truth = synthetic_ecg(noise_mv=0.005)
    t = np.arange(ecg.n_samples) / FS
    wander = 0.8 * np.sin(2 * np.pi * 0.2 * t) + 0.3 * np.sin(2 * np.pi * 0.45 * t + 1)
    drifting = ecg.with_changes(signals_mv=np.array(ecg.signals_mv) + wander.astype(np.float32))
    m0, m1 = measure(ecg), measure(drifting)
    assert m1.qrs_ms == pytest.approx(m0.qrs_ms, abs=2.0)
    assert m1.qt_ms == pytest.approx(m0.qt_ms, abs=6.0)
    # Spline baseline: ST level stays at the isoelectric line despite 0.8 mV of wander.
    assert abs(m1.lead_amplitudes["II"].st_j60_mv) < 0.05
    assert m1.r_peaks == pytest.approx(m0.r_peaks, abs=1)


def test_resampling_keeps_timing():
    ecg, truth = synthetic_ecg(fs=250.0, noise_mv=0.005)
    x = np.array(ecg.signals_mv, dtype=float)
    up = preprocess.resample(x, 250.0, 500.0)
    assert up.shape[1] == 2 * x.shape[1] - 1
    # R peak of lead II at the same time (within one 500-Hz sample).
    assert abs(np.argmax(up[1]) / 500.0 - np.argmax(x[1]) / 250.0) <= 0.002
    down = preprocess.resample(up, 500.0, 250.0)
    assert abs(down.shape[1] - x.shape[1]) <= 1


# --- lead quality ----------------------------------------------------------------
def test_quality_labels_each_failure_mode():
    ecg, _ = synthetic_ecg(noise_mv=0.01)
    x = np.array(ecg.signals_mv, dtype=float)
    rng = np.random.default_rng(1)
    x[ecg.lead_names.index("V1")] = 0.0                                   # electrode off
    x[ecg.lead_names.index("V2")] = rng.normal(0, 0.003, x.shape[1])      # no ECG at all
    v3 = ecg.lead_names.index("V3")
    x[v3] = np.clip(x[v3] * 4, -0.3, 0.3)                                 # amplifier clipping
    x[ecg.lead_names.index("V4")] += rng.normal(0, 0.4, x.shape[1])       # muscle noise
    x[ecg.lead_names.index("V5"), 1000:3500] = 1.5                        # 50 % flat, railed
    xc, _ = preprocess.clean(x, FS)
    labels = [q for q, _ in quality.assess_all(x, xc, FS, FS)]
    got = dict(zip(ecg.lead_names, labels))
    assert got["V1"] == "lead_off"
    assert got["V2"] == "flat"
    assert got["V3"] == "saturated"
    assert got["V4"] == "noisy"
    assert got["V5"] == "lead_off"
    assert got["II"] == got["V6"] == "good"
    m = measure(ecg.with_changes(signals_mv=x.astype(np.float32)))
    assert m.lead_quality == got
    assert m.qrs_ms == pytest.approx(90.0, abs=4.0)  # bad leads did not disturb the fiducials


def test_real_noisy_lead_flagged(data_dir):
    # PTB-XL 385 (fold 1): aVR carries strong noise, the other leads are clean.
    m = measure(load_wfdb(data_dir / "ptb-xl" / "records500" / "00000" / "00385_hr"))
    assert m.lead_quality["aVR"] == "noisy"
    assert sum(q == "good" for q in m.lead_quality.values()) >= 10


# --- QRS detection ---------------------------------------------------------------
def _mitdb(data_dir, rec, seconds):
    import wfdb

    r = wfdb.rdrecord(str(data_dir / "mitdb" / rec), sampto=int(360 * seconds))
    a = wfdb.rdann(str(data_dir / "mitdb" / rec), "atr", sampto=int(360 * seconds))
    ecg = Ecg(signals_mv=r.p_signal.T.astype(np.float32), sampling_rate_hz=360.0, lead_names=r.sig_name)
    return ecg, a


@pytest.mark.parametrize("rec", ["100", "119", "208"])
def test_detection_against_mitdb_annotations(data_dir, rec):
    ecg, ann = _mitdb(data_dir, rec, 120)
    ref = np.array([s for s, sym in zip(ann.sample, ann.symbol) if sym in "NLRBAaJSVrFejnE/fQ?"])
    m = measure(ecg)
    det = np.array(m.r_peaks)
    tp = sum(np.abs(det - s).min() <= 54 for s in ref)
    assert tp / ref.size >= 0.99 and tp / det.size >= 0.99


def test_detection_survives_one_lead_failing_mid_record():
    ecg, truth = synthetic_ecg(noise_mv=0.01, duration_s=20.0, hr_bpm=75)
    x = np.array(ecg.signals_mv, dtype=float)
    x[:, 5000:] *= 1.0
    x[1, 5000:] = 0.0  # lead II drops out half way
    peaks = qrs_detect.detect(preprocess.clean(x, FS)[0], FS)
    assert peaks.size == len(truth.qrs_onsets_s)


def test_irregular_rhythm_detected_and_flagged():
    ecg, truth = synthetic_ecg(noise_mv=0.01, duration_s=30.0, hr_bpm=90, rr_jitter=0.35, p_present=False)
    m = measure(ecg)
    assert m.n_beats == len(truth.qrs_onsets_s)
    assert m.rr_irregularity > 0.08
    regular = measure(synthetic_ecg(noise_mv=0.01, duration_s=30.0, hr_bpm=90)[0])
    assert regular.rr_irregularity < 0.02


# --- pacing and beat classes -----------------------------------------------------
def test_pacing_spikes_only_in_paced_records(data_dir):
    paced = measure(load_wfdb(data_dir / "ludb" / "data" / "34"))
    assert len(paced.pacing_spikes) >= 8 and paced.n_paced >= 8
    for rec in ("1", "29"):  # 29: sharp narrow R waves that look spike-like
        m = measure(load_wfdb(data_dir / "ludb" / "data" / rec))
        assert m.pacing_spikes == [] and m.n_paced == 0


def test_ventricular_ectopics_classified_and_kept_out_of_median(data_dir):
    ecg, ann = _mitdb(data_dir, "119", 120)  # ventricular bigeminy episodes
    m = measure(ecg)
    rp = np.array(m.r_peaks)
    v_ok = n_ok = v_total = n_total = 0
    for s, sym in zip(ann.sample, ann.symbol):
        j = int(np.argmin(np.abs(rp - s)))
        if abs(rp[j] - s) > 54:
            continue
        if sym == "V":
            v_total += 1
            v_ok += m.beats[j].beat_class == "ventricular_ectopic"
        elif sym == "N":
            n_total += 1
            n_ok += m.beats[j].beat_class == "dominant"
    assert v_total > 10 and v_ok / v_total >= 0.95
    assert n_ok / n_total >= 0.95
    assert m.median.n_beats_used <= m.n_dominant
    assert m.n_ventricular_ectopic >= v_ok


def test_premature_similar_beat_is_supraventricular():
    ecg, truth = synthetic_ecg(noise_mv=0.005, duration_s=12.0, hr_bpm=60)
    x = np.array(ecg.signals_mv, dtype=float)
    # Copy beat 5 (with its P wave) 350 ms earlier into beat 6's place: a premature beat
    # with the same QRS.
    on = [int(t * FS) for t in truth.qrs_onsets_s]
    seg = x[:, on[5] - 150: on[5] + 300].copy()
    x[:, on[6] - 200: on[6] + 450] = 0.0
    start = on[6] - 150 - int(0.35 * FS)
    x[:, start: start + seg.shape[1]] = seg
    m = measure(ecg.with_changes(signals_mv=x.astype(np.float32)))
    assert m.n_supraventricular_ectopic == 1
    assert m.n_ventricular_ectopic == 0


# --- axes, QTc, rhythm numbers ---------------------------------------------------
@pytest.mark.parametrize("angle", [-60.0, 0.0, 45.0, 75.0, 120.0, -150.0])
def test_frontal_axis_from_projections(angle):
    vec = np.array([math.cos(math.radians(angle)), math.sin(math.radians(angle))])
    vals = {}
    for name, (ang, gain) in axes._LEAD_GEOMETRY.items():
        vals[name] = gain * (vec @ [math.cos(math.radians(ang)), math.sin(math.radians(ang))])
    assert axes.frontal_axis_deg(vals) == pytest.approx(angle, abs=0.2)
    # Two leads suffice; one is not enough.
    assert axes.frontal_axis_deg({"I": vals["I"], "aVF": vals["aVF"]}) == pytest.approx(angle, abs=0.2)
    assert axes.frontal_axis_deg({"I": vals["I"]}) is None


def test_qtc_formulas():
    q = rhythm.qtc(400.0, 800.0)
    assert q["bazett"] == pytest.approx(400 / math.sqrt(0.8))
    assert q["fridericia"] == pytest.approx(400 / 0.8 ** (1 / 3))
    assert q["framingham"] == pytest.approx(400 + 154 * 0.2)
    assert q["hodges"] == pytest.approx(400 + 1.75 * 15)
    assert rhythm.qtc(None, 800.0) == {k: None for k in ("bazett", "fridericia", "framingham", "hodges")}


def test_rr_statistics():
    peaks_s = np.cumsum([0.0, 1.0, 0.8, 1.0, 0.8, 1.0])
    st = rhythm.rr_statistics(peaks_s)
    assert st["rr_ms"] == pytest.approx(920.0)
    assert st["hr_bpm"] == pytest.approx(60000 / 920.0)
    assert st["rmssd_ms"] == pytest.approx(200.0)
    assert st["rr_min_ms"] == pytest.approx(800.0) and st["rr_max_ms"] == pytest.approx(1000.0)


# --- clinical records --------------------------------------------------------------
def test_bundle_branch_blocks_are_wide(data_dir):
    lbbb = measure(load_wfdb(data_dir / "ptb-xl" / "records500" / "00000" / "00279_hr"))  # CLBBB, fold 5
    rbbb = measure(load_wfdb(data_dir / "ptb-xl" / "records500" / "00000" / "00424_hr"))  # CRBBB, fold 5
    assert lbbb.qrs_ms >= 120 and rbbb.qrs_ms >= 120
    # RBBB: rsR' (a second positive wave) in V1.
    assert rbbb.lead_amplitudes["V1"].r_prime_mv is not None


def test_per_beat_fiducials_index_the_original_recording():
    ecg, truth = synthetic_ecg(fs=250.0, noise_mv=0.005, hr_bpm=70)
    m = measure(ecg)
    onsets = np.array([b.qrs_onset for b in m.beats], dtype=float)
    expected = np.array(truth.qrs_onsets_s) * 250.0
    assert np.abs(onsets - expected).max() <= 1.5
    for b in m.beats:
        assert b.p_onset < b.qrs_onset < b.r_peak < b.qrs_offset < b.t_peak < b.t_offset


def test_blocked_p_waves_counted_for_av_block():
    # 2:1 AV block: ventricles at 40/min, atria at 80/min, the blocked P in the TP segment.
    ecg, _ = synthetic_ecg(hr_bpm=40, blocked_p_ms=(750.0,), noise_mv=0.005)
    m = measure(ecg)
    assert m.p_per_qrs == pytest.approx(2.0, abs=0.2)
    assert m.atrial_rate_bpm == pytest.approx(80.0, abs=8.0)
    normal = measure(synthetic_ecg(hr_bpm=40, noise_mv=0.005)[0])
    assert normal.p_per_qrs == pytest.approx(1.0, abs=0.1)
