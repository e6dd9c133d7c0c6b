"""The vectorised/faster analysis steps give the numbers of the plain reference loops.

Each reference below is the straightforward per-position / per-lag / per-interval loop
the fast code replaced (kept here, not in the package, as the specification)."""

from __future__ import annotations

import numpy as np
import pytest

from ecgchat_desktop.analysis import atrial, engine, preprocess, qrs_detect
from ecgchat_desktop.analysis.template_match import TemplateMatcher


def _reference_corr(x, tmpl, start):
    t = tmpl - tmpl.mean(axis=1, keepdims=True)
    tn = np.linalg.norm(t) + 1e-12
    w = x[:, start:start + tmpl.shape[1]]
    w = w - w.mean(axis=1, keepdims=True)
    wn = np.sqrt((w * w).sum()) + 1e-12
    return float((w * t).sum() / (wn * tn)), float(wn / tn)


def _reference_lag_match(x, centers, tmpl, a, max_lag):
    n, length = x.shape[1], tmpl.shape[1]
    lags = np.arange(-max_lag, max_lag + 1, 2 if max_lag > 8 else 1)
    best_c = np.full(centers.size, -np.inf)
    best_l = np.zeros(centers.size, dtype=np.int64)
    best_r = np.zeros(centers.size)
    for k, c0 in enumerate(centers):
        for lag in lags:
            s = c0 + lag - a
            if s < 0 or s + length > n:
                continue
            c, r = _reference_corr(x, tmpl, s)
            if c > best_c[k]:
                best_c[k], best_l[k], best_r[k] = c, lag, r
    return best_l, best_c, best_r


def _reference_extra_p(x, peaks, tmpl, tmpl_start_rel, t_end_rel, fs):
    n, length = x.shape[1], tmpl.shape[1]
    step, min_gap = max(1, int(0.004 * fs)), int(0.2 * fs)
    counts = []
    for k in range(1, peaks.size):
        a = peaks[k - 1] + t_end_rel + int(0.02 * fs)
        b = peaks[k] + tmpl_start_rel - int(0.04 * fs)
        if a < 0 or b + length >= n or b - a < step:
            counts.append(0)
            continue
        found = []
        for s in range(a, b, step):
            c, r = _reference_corr(x, tmpl, s)
            if c >= atrial.MATCH_CORR and 0.5 < r < 2.0:
                found.append((c, s))
        taken = []
        for c, s in sorted(found, reverse=True):
            if all(abs(s - t) >= min_gap for t in taken):
                taken.append(s)
        counts.append(len(taken))
    return np.asarray(counts, dtype=float)


def _ecg_like(seed=0, seconds=10.0, fs=500.0, n_leads=3, av_block=False):
    """Beats with a P wave (and, with av_block, a blocked P between the beats) plus noise."""
    rng = np.random.default_rng(seed)
    n = int(seconds * fs)
    t = np.arange(n) / fs
    x = 0.02 * rng.standard_normal((n_leads, n))
    gains = rng.uniform(0.5, 1.5, n_leads)
    peaks = np.arange(int(0.8 * fs), n - int(0.8 * fs), int(1.1 * fs))
    for p in peaks:
        for centre, width, amp in ((p, 0.012, 1.0), (p + 0.3 * fs, 0.05, 0.3), (p - 0.16 * fs, 0.02, 0.15)):
            x += gains[:, None] * amp * np.exp(-0.5 * ((t - centre / fs) / width) ** 2)[None, :]
        if av_block:
            x += gains[:, None] * 0.15 * np.exp(-0.5 * ((t - (p + 0.55 * fs) / fs) / 0.02) ** 2)[None, :]
    return x, peaks.astype(np.int64)


def test_template_matcher_equals_direct_correlation():
    x, _ = _ecg_like(seed=1)
    m = TemplateMatcher(x)
    tmpl = x[:, 300:360].copy()
    starts = np.array([-5, 0, 17, 250, 300, 2000, x.shape[1] - 60, x.shape[1] - 59])
    corr, ratio, valid = m.correlate(tmpl, starts)
    assert valid.tolist() == [False, True, True, True, True, True, True, False]
    assert corr[0] == -np.inf and ratio[-1] == 0.0
    for s, c, r, ok in zip(starts, corr, ratio, valid):
        if ok:
            rc, rr = _reference_corr(x, tmpl, int(s))
            assert c == pytest.approx(rc, abs=1e-9) and r == pytest.approx(rr, abs=1e-9)
    assert corr[4] == pytest.approx(1.0, abs=1e-9)  # the template's own position
    # A longer template afterwards reuses or extends the cached spectrum correctly.
    long_t = x[:, 1000:1400]
    c2, _, _ = m.correlate(long_t, np.array([1000, 1200]))
    assert c2[0] == pytest.approx(1.0, abs=1e-9)
    assert c2[1] == pytest.approx(_reference_corr(x, long_t, 1200)[0], abs=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lag_match_equals_reference_loop(seed):
    x, peaks = _ecg_like(seed=seed)
    x = preprocess.highpass(x, 500.0)
    rng = np.random.default_rng(seed)
    centers = peaks + rng.integers(-6, 7, peaks.size)
    centers = np.concatenate(([5], centers, [x.shape[1] - 3]))  # windows partly/all outside
    tmpl = x[:, peaks[1] - 100:peaks[1] - 60]  # P wave with margins
    for max_lag in (15, 20, 6):
        got = engine._lag_match(x, centers, tmpl, 100, max_lag)
        ref = _reference_lag_match(x, centers, tmpl, 100, max_lag)
        np.testing.assert_array_equal(got[0], ref[0])
        np.testing.assert_allclose(got[1], ref[1], atol=1e-9)
        np.testing.assert_allclose(got[2], ref[2], atol=1e-9)


@pytest.mark.parametrize("av_block", [False, True])
def test_extra_p_counts_equal_reference_loop(av_block):
    fs = 500.0
    x, peaks = _ecg_like(seed=3, seconds=20.0, av_block=av_block)
    a, b = int(-0.16 * fs) - 25, int(-0.16 * fs) + 25
    tmpl = x[:, peaks[:, None] + np.arange(a, b)].mean(axis=1)  # the mean P wave
    got = atrial.extra_p_counts(x, peaks, tmpl, a, int(0.45 * fs), fs)
    ref = _reference_extra_p(x, peaks, tmpl, a, int(0.45 * fs), fs)
    np.testing.assert_array_equal(got, ref)
    assert (got.sum() > 0) == av_block  # the blocked P waves are found, and only those


def test_extra_p_counts_on_real_ecg_equal_reference_loop(data_dir):
    from ecgchat_desktop.io import read_ecg

    ecg = read_ecg(data_dir / "ludb" / "data" / "1.hea")
    fs = float(ecg.sampling_rate_hz)
    x, _ = preprocess.clean(np.asarray(ecg.signals_mv, dtype=np.float64), fs)
    peaks = qrs_detect.detect(x, fs)
    tmpl = np.median(np.stack([x[:, p - 120:p - 40] for p in peaks[1:-1]]), axis=0)
    got = atrial.extra_p_counts(x, peaks, tmpl, -120, 200, fs)
    ref = _reference_extra_p(x, peaks, tmpl, -120, 200, fs)
    np.testing.assert_array_equal(got, ref)
    lag = engine._lag_match(x, peaks, tmpl, 120, 15)
    ref_lag = _reference_lag_match(x, peaks, tmpl, 120, 15)
    np.testing.assert_array_equal(lag[0], ref_lag[0])
    np.testing.assert_allclose(lag[1], ref_lag[1], atol=1e-9)
