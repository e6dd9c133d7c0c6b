"""Delineation speed-ups give exactly the numbers of the straightforward computation.

`delineate` computes the P-window curves once for all leads, the voting leads' velocities
in one pass, np.percentile/np.median from one partition, and the T curves once per beat.
Each is only valid if it reproduces, bit for bit, what the per-lead / per-call code
computed; these tests hold that (the 232-record findings fingerprint in
benchmarks/findings_fingerprint.py checks the whole chain).
"""

from __future__ import annotations

import numpy as np
import pytest

from ecgchat_desktop.analysis import delineate
from ecgchat_desktop.analysis.synthetic import synthetic_ecg


def _noisy_window(fs: float, seed: int) -> np.ndarray:
    """A P-window-like stretch [12 leads, ~0.3 s]: a slow bump plus noise and drift."""
    rng = np.random.default_rng(seed)
    n = int(0.3 * fs)
    t = np.arange(n) / fs
    bump = np.exp(-0.5 * ((t - 0.15) / 0.03) ** 2)
    gains = rng.uniform(-0.2, 0.2, size=(12, 1))
    drift = rng.normal(0, 0.02, size=(12, 1)) * t
    return gains * bump + drift + rng.normal(0, 0.01, size=(12, n))


@pytest.mark.parametrize("fs", [100.0, 250.0, 360.0, 500.0, 1000.0])
def test_per_lead_p_curves_equal_those_of_the_lead_alone(fs):
    raw = _noisy_window(fs, seed=int(fs))
    whole, leads = delineate._p_curves(raw, fs)
    assert len(leads) == raw.shape[0]
    for i in range(raw.shape[0]):
        alone, alone_leads = delineate._p_curves(raw[i:i + 1], fs)
        for c in (alone, alone_leads[0]):
            assert np.array_equal(leads[i].sp, c.sp)
            assert np.array_equal(leads[i].spl, c.spl)
            assert np.array_equal(leads[i].sp0, c.sp0)
            assert np.array_equal(leads[i].ds, c.ds)
            assert np.array_equal(c.ds, np.gradient(c.sp))
            assert leads[i].noise == c.noise
    # The all-leads curves are the spatial magnitude, not any one lead's.
    assert not np.array_equal(whole.sp, leads[0].sp)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 20, 21, 30, 56, 80, 81, 100])
def test_percentile_and_median_match_numpy(n):
    rng = np.random.default_rng(n)
    for _ in range(50):
        a = rng.normal(size=n) * rng.choice([1e-3, 1.0, 1e3])
        a[rng.random(n) < 0.2] = a[0]  # ties
        if rng.random() < 0.2:
            a = np.abs(a)  # velocities are non-negative
        for pct in (0, 10, 25, 33.3, 50, 66.7, 90, 100):
            assert delineate._percentile(a, pct) == float(np.percentile(a, pct))
        assert delineate._median(a) == float(np.median(a))


def test_percentile_and_median_with_nan_are_numpys():
    a = np.array([0.3, np.nan, 0.1, 0.2])
    with np.errstate(invalid="ignore"):
        assert np.isnan(delineate._percentile(a, 25)) and np.isnan(delineate._median(a))


def _beat(noise_mv: float):
    ecg, truth = synthetic_ecg(noise_mv=noise_mv)
    fs = ecg.sampling_rate_hz
    x = np.asarray(ecg.signals_mv, dtype=float)
    on = int(round(truth.qrs_onsets_s[2] * fs))
    a = on - int(0.45 * fs)
    beat = x[:, a: a + int(1.2 * fs)].copy()
    return beat, on - a + int(0.45 * truth.qrs_ms / 1000.0 * fs), fs


def test_per_lead_qrs_bounds_with_precomputed_velocity_are_the_same():
    beat, r, fs = _beat(noise_mv=0.02)
    d = np.diff(beat, axis=1)
    v_raw = np.sqrt(d * d)
    v_sm = delineate.uniform_filter1d(v_raw, delineate.V_SMOOTH, axis=-1, mode="nearest")
    # The offset's velocity: a centred (odd-width) moving average of the signal first.
    w = int(round(delineate.QRS_OFF_SMOOTH_S * fs)) | 1
    ds = np.diff(delineate.uniform_filter1d(beat, w, axis=-1, mode="nearest"), axis=1)
    v_off = delineate.uniform_filter1d(np.abs(ds), delineate.V_SMOOTH, axis=-1, mode="nearest")
    assert np.array_equal(v_off, delineate._offset_velocity(beat, fs))
    found = 0
    for i in range(beat.shape[0]):
        plain = delineate.qrs_bounds(beat[i:i + 1], r, fs, delineate.FLOOR_FACTOR_1LEAD, delta=False)
        given = delineate.qrs_bounds(beat[i:i + 1], r, fs, delineate.FLOOR_FACTOR_1LEAD, delta=False,
                                     velocity=(v_raw[i], v_sm[i], v_off[i]))
        assert plain == given
        found += plain[0] is not None
    assert found >= 6


def test_t_search_leaves_the_shared_t_curves_untouched():
    # The second T search reuses the first's curves (and its answer when the limit is the
    # same): that is only right if a search never writes into them.
    beat, r, fs = _beat(noise_mv=0.01)
    on, off = delineate.qrs_bounds_fused(beat, r, fs)
    ion, ioff = int(round(on)), int(round(off))
    base = beat[:, ion - int(0.02 * fs): ion - int(0.004 * fs)].mean(axis=1, keepdims=True)
    c = delineate._t_curves(beat, base, ioff, fs)
    before = {k: np.copy(getattr(c, k)) for k in ("sm", "sml", "st", "stl", "st0")}
    lim = delineate._t_end_max(beat.shape[1], r, on, fs, 1.0, beat.shape[1])
    first = delineate._t_wave(beat, c, ioff, lim, fs)
    assert first[1] is not None
    for k, v in before.items():
        assert np.array_equal(getattr(c, k), v), k
    assert delineate._t_wave(beat, c, ioff, lim, fs) == first
    # A fresh set of curves gives the same answer.
    assert delineate._t_wave(beat, delineate._t_curves(beat, base, ioff, fs), ioff, lim, fs) == first


def test_fused_bounds_with_two_leads_are_the_combined_bounds():
    # Fewer than 3 leads: no vote, the combined bounds with their delta-wave search, exactly
    # as qrs_bounds gives them (the fused path defers that search until it is needed).
    beat, r, fs = _beat(noise_mv=0.01)
    for rows in ((0, 1), (1, 7), (6,)):
        sub = beat[list(rows)]
        assert delineate.qrs_bounds_fused(sub, r, fs) == delineate.qrs_bounds(sub, r, fs)
