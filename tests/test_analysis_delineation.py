"""Delineation: per-lead QRS onset vote, per-lead P durations, wave-end refinement."""

from __future__ import annotations

import numpy as np
import pytest

from ecgchat_desktop.analysis import delineate, measure
from ecgchat_desktop.analysis.synthetic import synthetic_ecg

FS = 500.0


def _median_like(ecg, truth):
    """One clean beat [leads, samples] cut around the third QRS, and its R index."""
    x = np.asarray(ecg.signals_mv, dtype=float)
    on = int(round(truth.qrs_onsets_s[2] * FS))
    a = on - int(0.45 * FS)
    beat = x[:, a: a + int(1.2 * FS)].copy()
    r = on - a + int(0.45 * truth.qrs_ms / 1000.0 * FS)  # the synthetic R peak
    return beat, r, on - a


def test_qrs_onset_vote_ignores_one_lead_with_an_early_deflection():
    ecg, truth = synthetic_ecg(noise_mv=0.0)
    beat, r, on_true = _median_like(ecg, truth)
    on_clean, _ = delineate.qrs_bounds_fused(beat, r, FS)
    assert on_clean == pytest.approx(on_true, abs=1.0)
    # V5's whole waveform 60 ms early (one lead out of step, e.g. a stray deflection before
    # the QRS): the combined spatial velocity starts there, the vote discards that lead.
    v5 = list(ecg.lead_names).index("V5")
    beat[v5] = np.roll(beat[v5], -int(0.06 * FS))
    on_combined, _ = delineate.qrs_bounds(beat, r, FS)
    assert on_combined < on_true - 0.04 * FS
    on_vote, _ = delineate.qrs_bounds_fused(beat, r, FS)
    assert on_vote == pytest.approx(on_true, abs=1.0)


def test_per_lead_p_duration_filled_where_a_p_wave_is_clear():
    ecg, truth = synthetic_ecg(noise_mv=0.005, hr_bpm=70, pr_ms=170, p_ms=110)
    m = measure(ecg)
    p_ii = m.lead_amplitudes["II"].p_ms
    assert p_ii == pytest.approx(truth.p_ms, abs=6.0)
    # aVL carries a 0.015 mV P wave (gain 0.1): too small to time, so no duration there.
    assert m.lead_amplitudes["aVL"].p_ms is None
    # No lead's own P is longer than the global P (earliest onset to latest offset).
    assert all(la.p_ms is None or la.p_ms <= m.p_ms + 1e-6 for la in m.lead_amplitudes.values())


def test_per_lead_p_duration_absent_without_p_waves():
    ecg, _ = synthetic_ecg(noise_mv=0.005, p_present=False)
    m = measure(ecg)
    assert m.p_ms is None
    assert all(la.p_ms is None for la in m.lead_amplitudes.values())


def test_lead_ii_p_duration_on_a_real_record(data_dir):
    # LUDB record 1 (sinus rhythm): the cardiologist's lead-II P waves last 94 ms (median
    # over the marked beats); per-lead P from the median beat lands within 12 ms.
    import wfdb

    from ecgchat_desktop.io import read_ecg

    rec = data_dir / "ludb" / "data" / "1"
    m = measure(read_ecg(str(rec) + ".hea"))
    ann = wfdb.rdann(str(rec), "ii")
    sym, smp = list(ann.symbol), list(ann.sample)
    durs = [(smp[i + 1] - smp[i - 1]) * 2.0 for i, s in enumerate(sym)
            if s == "p" and 0 < i < len(sym) - 1 and sym[i - 1] == "(" and sym[i + 1] == ")"]
    ref = float(np.median(durs))
    assert m.lead_amplitudes["II"].p_ms == pytest.approx(ref, abs=12.0)


def test_t_end_follows_leads_that_end_later():
    # Two synthetic ECGs, identical except that in three leads the T wave ends 40 ms later
    # (QT 430 instead of 390 there): the global T end (CSE: the latest over the leads) moves
    # later, never past those leads' end.
    names = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
    base_ecg, truth = synthetic_ecg(noise_mv=0.002, qt_ms=390)
    late_ecg, _ = synthetic_ecg(noise_mv=0.002, qt_ms=430)
    x = np.array(base_ecg.signals_mv, dtype=float)
    y = np.array(late_ecg.signals_mv, dtype=float)
    for lead in ("I", "aVF", "V6"):
        k = names.index(lead)
        x[k] = y[k]
    m0 = measure(base_ecg)
    m1 = measure(base_ecg.with_changes(signals_mv=x.astype(np.float32)))
    assert m0.qt_ms == pytest.approx(truth.qt_ms, abs=2.0)
    assert m0.qt_ms + 6.0 <= m1.qt_ms <= truth.qt_ms + 40.0 + 2.0


def test_agreeing_drops_outliers_and_needs_three():
    fs = 500.0
    v = np.array([100.0, 102.0, 104.0, 160.0, np.nan])
    assert list(delineate._agreeing(v, fs)) == [100.0, 102.0, 104.0]
    assert delineate._agreeing(np.array([100.0, 101.0, np.nan]), fs) is None


def test_steep_wave_before_a_long_quiet_stretch_is_not_the_qrs():
    # Two leads (no per-lead vote): a sharp 24-ms deflection, as steep as a third of the
    # QRS, ends 40 ms before the QRS (a large P on a low-voltage QRS, QTDB sel39). The
    # quiet stretch between them separates the waves: the onset stays the QRS's own.
    ecg, truth = synthetic_ecg(noise_mv=0.0)
    beat, r, on_true = _median_like(ecg, truth)
    beat = beat[[0, 1]].copy()
    on_clean, _ = delineate.qrs_bounds(beat, r, FS)
    assert on_clean == pytest.approx(on_true, abs=2.0)
    v = delineate.spatial_velocity(beat, FS)
    w = int(0.024 * FS)
    tri = np.concatenate([np.linspace(0, 1, w // 2), np.linspace(1, 0, w - w // 2)])
    slope = 1.0 / (w // 2)  # mV per sample of the unit triangle
    end = on_true - int(0.04 * FS)
    bump = tri * (0.35 * v.max() / slope)
    beat[:, end - w:end] += bump[None, :] / np.sqrt(2.0)
    assert delineate.spatial_velocity(beat, FS)[end - w:end].max() >= 0.3 * v.max()
    on, _ = delineate.qrs_bounds(beat, r, FS)
    assert on == pytest.approx(on_true, abs=2.0)


def test_biphasic_t_ends_after_its_second_phase():
    # A deep negative phase (ST depression / first half of a biphasic T) right before a
    # positive T: the T ends after the positive phase, not at the crossing between them
    # (QTDB sel44, sel301 read 150-185 ms early before).
    ecg, truth = synthetic_ecg(noise_mv=0.0, hr_bpm=60, qt_ms=400)
    beat, r, on_true = _median_like(ecg, truth)
    end_true = on_true + 0.4 * FS
    t_pk = int(round(on_true + truth.t_peak_ms / 1000.0 * FS))
    clean = delineate.delineate(beat, r, FS, 1.0)
    assert clean.t_offset == pytest.approx(end_true, abs=0.012 * FS)
    idx = np.arange(beat.shape[1])
    dip = np.exp(-0.5 * ((idx - (t_pk - 0.14 * FS)) / (0.03 * FS)) ** 2)
    beat = beat - 1.3 * beat[:, t_pk:t_pk + 1] * dip[None, :]
    bi = delineate.delineate(beat, r, FS, 1.0)
    assert bi.t_peak < t_pk - 0.08 * FS  # the deeper, negative phase is the largest
    assert bi.t_offset == pytest.approx(end_true, abs=0.02 * FS)


@pytest.mark.parametrize("leads", [slice(None), slice(0, 2)])
def test_qrs_onset_includes_a_slurred_delta_wave(leads):
    # Pre-excitation: a slow 50-ms upstroke in the direction of the QRS's first deflection
    # runs straight into it (MIT-BIH 230 read the delta as part of the P wave). The QRS
    # starts where the slur starts, on 12 leads (vote) and on 2 leads (combined velocity).
    ecg, truth = synthetic_ecg(noise_mv=0.0)
    beat, r, on_true = _median_like(ecg, truth)
    beat = beat[leads].copy()
    d = int(0.05 * FS)
    u = beat[:, r] - beat[:, on_true]  # towards the R: the delta runs into the upstroke
    bump = np.zeros(beat.shape[1])
    bump[on_true - d:on_true + 1] = np.linspace(0.0, 0.15, d + 1)
    bump[on_true:on_true + int(0.06 * FS)] = np.linspace(0.15, 0.0, int(0.06 * FS))
    beat = beat + u[:, None] * bump[None, :]
    fn = delineate.qrs_bounds_fused if beat.shape[0] >= 3 else delineate.qrs_bounds
    on, _ = fn(beat, r, FS)
    assert on == pytest.approx(on_true - d, abs=0.008 * FS)


@pytest.mark.parametrize("corner", [100.0, 100.25, 100.5, 100.75])
@pytest.mark.parametrize("outward", [1, -1])
def test_knee_places_a_sharp_wave_end_within_a_fraction_of_a_sample(corner, outward):
    # A magnitude curve: rectified noise on the baseline, a ramp from the corner into the
    # wave. The trapezium on a smoothed curve starts one smoothing half-width outside.
    rng = np.random.default_rng(1)
    x = np.arange(200, dtype=float)
    inside = np.maximum(0.0, (x - corner) * -outward) * 0.02
    noise = rng.normal(0.0, 0.002, (12, x.size))
    y = np.sqrt(inside ** 2 + (noise ** 2).sum(axis=0))
    start = corner + 1.5 * outward
    assert delineate._knee(y, start, outward, FS) == pytest.approx(corner, abs=0.5)
    # Inward only: a start inside the wave cannot move out.
    inner = corner - 1.5 * outward
    assert (delineate._knee(y, inner, outward, FS, inward_only=True) - inner) * outward <= 0


def test_knee_keeps_the_end_of_a_wave_that_fades_slowly_nearby():
    # A quadratic tail meeting the baseline at 100: the knee stays within its reach.
    x = np.arange(200, dtype=float)
    y = np.where(x < 100, ((100 - x) / 30.0) ** 2, 0.0)
    k = delineate._knee(y, 98.0, 1, FS)
    assert abs(k - 98.0) <= delineate.KNEE_REACH_S * FS + 1e-9
    assert k == pytest.approx(100.0, abs=1.0)


def test_light_smoothing_leaves_a_sharp_corner_in_place():
    x = np.zeros((2, 60))
    x[:, 30:] = np.arange(30) * 0.05  # the wave leaves zero after sample 30
    light = delineate._light(x, FS)
    assert np.all(light[:, :31] == 0.0) and light[0, 31] > 0
    # A moving average of the same width spreads it one sample outwards.
    assert delineate._smooth(x, delineate.LIGHT_SMOOTH_S * FS)[0, 30] > 0


def test_synthetic_p_and_t_ends_on_the_median_beat_within_one_ms():
    # The ends themselves, not only the intervals: each within 1 ms of the known corner
    # (a little noise, as on the median of many beats).
    ecg, truth = synthetic_ecg(noise_mv=0.001, hr_bpm=60, pr_ms=160, p_ms=100, qrs_ms=90, qt_ms=400)
    beat, r, on_true = _median_like(ecg, truth)
    b = delineate.delineate(beat, r, FS, 1.0)
    ms = 1000.0 / FS
    assert b.qrs_onset == pytest.approx(on_true, abs=1.0 / ms)
    assert b.p_onset == pytest.approx(on_true - 160 / ms, abs=1.0 / ms)
    assert b.p_offset == pytest.approx(on_true - 60 / ms, abs=1.0 / ms)
    assert b.t_offset == pytest.approx(on_true + 400 / ms, abs=1.0 / ms)


@pytest.mark.parametrize("fs", [500.0, 1000.0])
def test_light_smoothing_is_a_running_median(fs):
    # The 500-Hz path is element-wise; both rates must equal scipy's running median.
    from scipy.ndimage import median_filter

    rng = np.random.default_rng(3)
    w = max(1, int(round(delineate.LIGHT_SMOOTH_S * fs))) | 1
    for shape in [(12, 150), (1, 40), (2, 2)]:
        x = rng.normal(size=shape)
        assert np.array_equal(delineate._light(x, fs), median_filter(x, size=(1, w), mode="nearest"))


@pytest.mark.parametrize("leads", [12, 2])
@pytest.mark.parametrize("seed", [3, 4])
def test_qrs_offset_not_carried_on_by_noise_inside_the_qrs_window(leads, seed):
    # LUDB's recorder low-passes the signal only outside a window of about -60..+85 ms around
    # each QRS: high-frequency noise inside that window alone (a few microvolts against a
    # quiet baseline) carried the plain-velocity offset to the window's end. The offset
    # searched on the smoothed leads holds it near the true end.
    ecg, truth = synthetic_ecg(noise_mv=0.0, qrs_ms=90)
    beat, r, on_true = _median_like(ecg, truth)
    beat = beat[:leads]
    off_true = on_true + 0.09 * FS
    on_clean, off_clean = delineate.qrs_bounds_fused(beat, r, FS)
    assert off_clean == pytest.approx(off_true, abs=2.0)
    rng = np.random.default_rng(seed)
    a, b = int(on_true - 0.06 * FS), int(off_true + 0.05 * FS)
    noisy = beat.copy()
    noisy[:, a:b] += rng.normal(0.0, 0.003, size=(leads, b - a))
    # The plain velocity alone runs on into the noise (what happened before) ...
    _, off_plain = delineate._qrs_bounds_smoothed(delineate.uniform_filter1d(
        delineate.spatial_velocity(noisy, FS), delineate.V_SMOOTH, mode="nearest"), r, FS, delineate.FLOOR_FACTOR)
    assert off_plain - 1.0 > off_true + 0.015 * FS
    # ... the gated offset does not.
    _, off_noisy = delineate.qrs_bounds_fused(noisy, r, FS)
    assert off_noisy == pytest.approx(off_true, abs=0.006 * FS)
    # Without such noise the plain offset stands: the same number as with the check left out.
    v = delineate.spatial_velocity(beat, FS)
    v_sm = delineate.uniform_filter1d(v, delineate.V_SMOOTH, mode="nearest")
    assert delineate.qrs_bounds(beat, r, FS, velocity=(v, v_sm, None)) == delineate.qrs_bounds(beat, r, FS)
