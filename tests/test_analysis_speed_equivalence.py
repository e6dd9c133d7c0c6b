"""The vectorised/faster analysis steps give the numbers of the plain reference loops.

Each reference below is the straightforward per-position / per-lag / per-interval loop
the fast code replaced (kept here, not in the package, as the specification)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from ecgchat_desktop.analysis import amplitudes, atrial, engine, preprocess, qrs_detect
from ecgchat_desktop.analysis.measurements import LeadAmplitudes
from ecgchat_desktop.analysis.template_match import correlate_runs


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


def test_correlate_runs_equals_direct_correlation(monkeypatch):
    x, _ = _ecg_like(seed=1)
    n = x.shape[1]
    tmpl = x[:, 300:360].copy()
    first = np.array([-5, 0, 17, 250, 2000, n - 70, n - 59])
    count = np.array([4, 1, 3, 60, 2, 6, 3])
    corr, ratio = correlate_runs(x, tmpl, first, count, 2)
    assert corr.shape == ratio.shape == (first.size, 60)
    for i, (f, c) in enumerate(zip(first, count)):
        for j in range(60):
            s = f + 2 * j
            if j >= c or s < 0 or s + 60 > n:
                assert corr[i, j] == -np.inf and ratio[i, j] == 0.0
            else:
                rc, rr = _reference_corr(x, tmpl, int(s))
                assert corr[i, j] == pytest.approx(rc, abs=1e-9) and ratio[i, j] == pytest.approx(rr, abs=1e-9)
    assert corr[3, 25] == pytest.approx(1.0, abs=1e-9)  # the template's own position (250 + 2 * 25)
    assert np.isfinite(corr[0, 3]) and corr[0, 2] == -np.inf  # window at -1 leaves, at +1 is inside
    # Many runs are processed in chunks (forced small here): same result as one by one.
    from ecgchat_desktop.analysis import template_match

    many = np.arange(0, n - 200, 7)
    monkeypatch.setattr(template_match, "_CHUNK_ELEMENTS", 3 * 84 * 40)  # 40 runs per chunk
    c_all, _ = correlate_runs(x, tmpl, many, 9, 3)
    monkeypatch.undo()
    c_one = np.vstack([correlate_runs(x, tmpl, many[i:i + 1], 9, 3)[0] for i in range(0, many.size, 50)])
    np.testing.assert_allclose(c_all[::50], c_one, atol=1e-12)


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


@pytest.mark.parametrize("n, nperseg, fs", [(5000, 1024, 500.0), (5001, 1024, 500.0), (10000, 2048, 1000.0),
                                            (1024, 1024, 500.0), (3000, 999, 360.0)])
def test_welch_psd_equals_scipy_welch(n, nperseg, fs):
    from scipy import signal

    x = np.random.default_rng(n).standard_normal((4, n))
    f0, p0 = signal.welch(x, fs=fs, nperseg=nperseg, axis=-1)
    f1, p1 = preprocess._welch_psd(x, fs, nperseg)
    np.testing.assert_allclose(f1, f0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(p1, p0, rtol=1e-9, atol=1e-15 * p0.max())


def _reference_quality(raw, x_clean, fs_raw, fs_clean, band):
    """The per-lead rules applied one lead at a time, as first written."""
    from ecgchat_desktop.analysis import quality as q

    def still_blocks(r):
        win = max(4, int(0.1 * fs_raw))
        n = r.size // win
        if n < 5:
            return np.zeros(max(n, 0), dtype=bool)
        blocks = r[: n * win].reshape(n, win)
        still = (blocks.max(axis=1) - blocks.min(axis=1)) < 0.004
        out = np.zeros(n, dtype=bool)
        d = np.diff(np.concatenate(([0], still.astype(np.int8), [0])))
        for a, b in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)):
            if b - a >= 5:
                out[a:b] = True
        return out

    def saturated(r):
        hi, lo = np.nanmax(r), np.nanmin(r)
        tol = 1e-6 * max(1.0, abs(hi), abs(lo))
        at_rail = (r >= hi - tol) | (r <= lo + tol)
        if at_rail.mean() <= 0.02:
            return float(at_rail.mean())
        d = np.diff(np.concatenate(([0], at_rail.astype(np.int8), [0])))
        lengths = np.flatnonzero(d == -1) - np.flatnonzero(d == 1)
        return float(lengths[lengths >= 3].sum() / r.size)

    still = [still_blocks(np.nan_to_num(raw[i])) for i in range(raw.shape[0])]
    common = np.mean(still, axis=0) > 0.5 if raw.shape[0] > 1 else still[0]
    ratios = q.noise_ratios(x_clean, fs_clean, band)
    out = []
    for i in range(raw.shape[0]):
        finite = np.isfinite(raw[i])
        own = float(np.mean(still[i] & ~common)) if still[i].size else 0.0
        r = raw[i][finite]
        core = x_clean[i, int(fs_clean):-int(fs_clean)]
        if finite.mean() < 0.5:
            out.append((q.LEAD_OFF, "mostly missing samples"))
        elif np.ptp(r) == 0:
            out.append((q.LEAD_OFF, "constant signal"))
        elif own > 0.3:
            out.append((q.LEAD_OFF, f"{own:.0%} of the recording flat"))
        elif np.ptp(core) < 0.05:
            out.append((q.FLAT, "peak-to-peak below 0.05 mV"))
        elif saturated(r) > 0.02:
            out.append((q.SATURATED, f"{saturated(r):.0%} of samples at the rails"))
        elif ratios[i] < 5.0:
            out.append((q.NOISY, f"QRS/noise ratio {ratios[i]:.1f}"))
        else:
            out.append((q.GOOD, None))
    return out


def test_quality_all_leads_at_once_equals_lead_by_lead(data_dir):
    from ecgchat_desktop.analysis import quality
    from ecgchat_desktop.io import read_ecg

    fs = 500.0
    raw = np.asarray(read_ecg(data_dir / "ludb" / "data" / "1.hea").signals_mv, dtype=np.float64)
    rng = np.random.default_rng(0)
    bad = raw.copy()
    bad[0] = 0.0                                    # constant
    bad[1, 1000:3500] = 0.3                         # half the recording still
    bad[2] = np.clip(bad[2], -0.05, 0.05)           # clipped at the rails
    bad[3] = 0.004 * rng.standard_normal(raw.shape[1])  # moving, but far below any ECG: flat
    bad[4] += 0.5 * rng.standard_normal(raw.shape[1])  # noisy
    bad[5, :3000] = np.nan                          # mostly missing
    bad[6, 100:200] = np.nan                        # a short gap
    bad[7] = np.nan
    paused = raw.copy()
    paused[:, 2000:2600] = 0.0                      # a pause in every lead: the ECG's own
    labels_seen = set()
    for r in (raw, bad, paused, raw[:1], bad[2:3]):
        x_clean, _ = preprocess.clean(np.nan_to_num(r), fs)
        band = qrs_detect.qrs_band(x_clean, fs)
        got = quality.assess_all(r, x_clean, fs, fs, band)
        assert got == _reference_quality(r, x_clean, fs, fs, band)
        labels_seen |= {lab for lab, _ in got}
    assert labels_seen == {quality.GOOD, quality.NOISY, quality.FLAT, quality.SATURATED, quality.LEAD_OFF}


def _reference_spikes(raw, fs):
    """Pacing spikes from the dense per-sample score, as first written."""
    from ecgchat_desktop.analysis import pacing

    x = np.nan_to_num(np.asarray(raw, dtype=np.float64))
    w = max(1, int(round(0.004 * fs)))
    k = max(w + 2, int(round(0.010 * fs)))
    n = x.shape[1]
    pad = np.pad(x, ((0, 0), (k, k)), mode="edge")
    c = pad[:, k:k + n]
    dl = c - pad[:, k - w:k - w + n]
    dr = c - pad[:, k + w:k + w + n]
    exc = np.where(np.sign(dl) == np.sign(dr), np.minimum(np.abs(dl), np.abs(dr)), 0.0)
    score = np.zeros_like(exc)
    for li, ti in zip(*np.nonzero(exc >= pacing.MIN_SPIKE_MV)):
        rng = max(np.ptp(pad[li, ti:ti + k - w]), np.ptp(pad[li, ti + k + w + 1:ti + 2 * k + 1]))
        if exc[li, ti] >= 1.5 * rng:
            score[li, ti] = exc[li, ti]
    hit = np.flatnonzero((score >= pacing.MIN_SPIKE_MV).any(axis=0))
    if hit.size == 0:
        return np.zeros(0, dtype=np.int64)
    total = score.sum(axis=0)
    groups = np.split(hit, np.flatnonzero(np.diff(hit) > int(0.02 * fs)) + 1)
    spikes = np.asarray([int(g[np.argmax(total[g])]) for g in groups], dtype=np.int64)
    return spikes if spikes.size <= 5 * n / fs else np.zeros(0, dtype=np.int64)


@pytest.mark.parametrize("record", ["ludb/data/1", "ludb/data/127", "ludb/data/140", "mitdb/107"])
def test_pacing_spikes_sparse_equal_dense_reference(data_dir, record):
    from ecgchat_desktop.analysis import pacing
    from ecgchat_desktop.io import read_ecg

    ecg = read_ecg(data_dir / (record + ".hea"))
    fs = float(ecg.sampling_rate_hz)
    x = np.asarray(ecg.signals_mv, dtype=np.float64)[:, : int(20 * fs)]
    got = pacing.detect_spikes(x, fs)
    np.testing.assert_array_equal(got, _reference_spikes(x, fs))
    # Spikes at the very edges and a gap of NaN are handled like the dense version.
    x2 = x.copy()
    x2[0, 3] += 2.0
    x2[1, -2] -= 2.0
    x2[-1, 500:520] = np.nan
    for s in range(1000, x2.shape[1] - 100, int(0.8 * fs)):
        x2[:, s] += 1.0
    got2 = pacing.detect_spikes(x2, fs)
    np.testing.assert_array_equal(got2, _reference_spikes(x2, fs))
    assert got2.size >= 10


def test_frontal_axis_closed_form_equals_least_squares():
    from ecgchat_desktop.analysis import axes

    geometry = axes._LEAD_GEOMETRY
    rng = np.random.default_rng(0)
    names = ["I", "II", "III", "aVR", "aVL", "aVF", "V1"]
    for _ in range(3000):
        vals = {n: float(rng.normal() * 10 ** rng.uniform(-3, 3))
                for n in rng.choice(names, size=rng.integers(0, 8), replace=False)}
        rows = [(geometry[n][1] * np.cos(np.radians(geometry[n][0])), geometry[n][1] * np.sin(np.radians(geometry[n][0])))
                for n in vals if n in geometry]
        got = axes.frontal_axis_deg(vals)
        if len(rows) < 2:
            assert got is None
            continue
        vec = np.linalg.lstsq(np.asarray(rows), np.asarray([vals[n] for n in vals if n in geometry]), rcond=None)[0]
        assert got == float(round(np.degrees(np.arctan2(vec[1], vec[0])), 1))



# The per-lead amplitude code as first written (one lead at a time), the reference for
# `all_lead_amplitudes`. The Q/R/S/R′ wave parsing is per lead in production too (amplitudes._qrs_waves); the
# reference uses it as is and checks the vectorised rest (baseline, amplitudes, ST, T, P).


def _ref_lead_amplitudes(x: np.ndarray, bounds, fs: float) -> LeadAmplitudes:
    """Measurements on one lead's median beat `x` with the global bounds."""
    out = LeadAmplitudes()
    if bounds.qrs_onset is None or bounds.qrs_offset is None:
        return out
    n = x.size
    on, off = int(round(bounds.qrs_onset)), int(round(bounds.qrs_offset))
    a, b = max(0, on - int(0.02 * fs)), max(1, on - int(0.004 * fs))
    base = float(np.mean(x[a:b]))
    y = x - base
    q = y[on:off + 1]
    if q.size < 3:
        return out
    out.qrs_pp_mv = float(q.max() - q.min())
    out.qrs_area_mv_ms = float(np.trapezoid(q, dx=1000.0 / fs))
    amplitudes._qrs_waves(q, fs, out)
    # ST at J and J+60 ms.
    if off < n:
        out.st_j_mv = float(y[off])
    j60 = off + int(round(0.06 * fs))
    if j60 < n:
        out.st_j60_mv = float(y[j60])
        j40, j80 = off + int(0.04 * fs), min(n - 1, off + int(0.08 * fs))
        slope = (y[j80] - y[j40]) / 0.04  # mV/s
        out.st_slope = "up" if slope > 0.5 else ("down" if slope < -0.5 else "flat")
    # T wave: from J+40 ms to T offset.
    if bounds.t_offset is not None:
        ta, tb = off + int(0.04 * fs), min(n, int(round(bounds.t_offset)) + 1)
        t = y[ta:tb]
        if t.size > 3:
            out.t_pos_mv = float(max(t.max(), 0.0))
            out.t_neg_mv = float(min(t.min(), 0.0))
            out.t_mv = out.t_pos_mv if out.t_pos_mv >= -out.t_neg_mv else out.t_neg_mv
    # P wave.
    if bounds.p_present and bounds.p_onset is not None and bounds.p_offset is not None:
        pa, pb = int(round(bounds.p_onset)), int(round(bounds.p_offset)) + 1
        p = y[pa:pb]
        if p.size > 3:
            out.p_pos_mv = float(max(p.max(), 0.0))
            out.p_neg_mv = float(min(p.min(), 0.0))
            out.p_mv = out.p_pos_mv if out.p_pos_mv >= -out.p_neg_mv else out.p_neg_mv
            neg = p < -0.02
            out.p_neg_ms = float(neg.sum() * 1000.0 / fs) if neg.any() else 0.0
    return out


def _median_beats_and_bounds(data_dir, records):
    from ecgchat_desktop.analysis import measure
    from ecgchat_desktop.analysis.delineate import WaveBounds
    from ecgchat_desktop.io import read_ecg

    for rec in records:
        m = measure(read_ecg(data_dir / (rec + ".hea")))
        mb = m.median
        med = np.asarray(mb.signals_mv)
        yield rec, med, mb.sampling_rate_hz, WaveBounds(
            qrs_onset=mb.qrs_onset, qrs_offset=mb.qrs_offset, p_onset=mb.p_onset, p_offset=mb.p_offset,
            t_peak=mb.t_peak, t_offset=mb.t_offset, p_present=mb.p_onset is not None)


def test_all_lead_amplitudes_equal_per_lead_reference(data_dir):
    from dataclasses import asdict, replace

    from ecgchat_desktop.analysis import amplitudes

    records = ["ludb/data/1", "ludb/data/14", "ludb/data/52", "ludb/data/127", "cinc/cpsc2018/A0001",
               "ptb-xl/records500/00000/00008_hr", "mitdb/119"]
    n_compared = 0
    for rec, med, fs, bounds in _median_beats_and_bounds(data_dir, records):
        variants = [bounds, replace(bounds, p_present=False), replace(bounds, t_offset=None),
                    replace(bounds, qrs_offset=bounds.qrs_offset + 7 if bounds.qrs_offset else None)]
        for b in variants:
            got = amplitudes.all_lead_amplitudes(med, b, fs)
            for i in range(med.shape[0]):
                ref = _ref_lead_amplitudes(med[i], b, fs)
                assert asdict(got[i]) == asdict(ref), (rec, i)
                assert asdict(amplitudes.all_lead_amplitudes(med[i][None, :], b, fs)[0]) == asdict(ref)
                n_compared += 1
    assert n_compared > 200


def test_local_reference_rr_equals_per_beat_median():
    from ecgchat_desktop.analysis import beat_classify

    rng = np.random.default_rng(4)
    for n in (0, 1, 2, 5, 17, 18, 40, 301):
        rr = rng.uniform(0.4, 1.4, n)
        if n:
            rr[0] = np.nan
        if n > 10:
            rr[rng.choice(n, 3, replace=False)] = np.nan
        for half in (8, 2):
            ref = np.array([np.median(s[np.isfinite(s)]) if np.isfinite(s).any() else np.nan
                            for s in (rr[max(0, i - half): i + half + 1] for i in range(n))])
            np.testing.assert_array_equal(beat_classify.local_reference_rr(rr, half), ref)


@pytest.mark.parametrize("record", ["mitdb/119", "mitdb/207", "mitdb/105"])
def test_likely_noise_equals_per_beat_rule(data_dir, record):
    from ecgchat_desktop.analysis import beat_classify
    from ecgchat_desktop.io import read_ecg

    ecg = read_ecg(data_dir / "mitdb" / (record.split("/")[1] + ".hea"))
    fs0 = float(ecg.sampling_rate_hz)
    x = preprocess.resample(np.asarray(ecg.signals_mv, dtype=np.float64)[:, : int(300 * fs0)], fs0, 500.0)
    x, _ = preprocess.clean(x, 500.0)
    energy = qrs_detect.qrs_energy(x, 500.0)
    peaks = qrs_detect.detect(x, 500.0, energy)
    classes = beat_classify.classify(x, energy, peaks, 500.0)
    rr = np.diff(peaks) / 500.0
    ref_rr = beat_classify.local_reference_rr(np.concatenate(([np.nan], rr)))
    expected = np.zeros(peaks.size, bool)
    for k in range(1, peaks.size - 1):
        if classes.correlation[k] >= 0.5 or classes.best_other_corr[k] >= 0.9:
            continue
        total = rr[k - 1] + rr[k]
        expected[k] = bool(np.isfinite(ref_rr[k]) and abs(total - ref_rr[k]) < 0.15 * ref_rr[k])
    np.testing.assert_array_equal(beat_classify.likely_noise(classes, peaks, 500.0), expected)
    labels = np.asarray(classes.labels)
    assert set(labels) <= {"dominant", "ventricular_ectopic", "supraventricular_ectopic", "unknown", "paced"}
    assert (labels == "dominant").any()


@pytest.mark.parametrize("fs_in, fs_out, n", [(100.0, 500.0, 1000), (360.0, 500.0, 20000), (250.0, 500.0, 3001),
                                             (257.0, 500.0, 999), (100.0, 1000.0, 7), (100.0, 500.0, 3),
                                             (200.0, 500.0, 2)])
def test_upsampling_equals_scipy_pchip(fs_in, fs_out, n):
    from scipy.interpolate import PchipInterpolator

    rng = np.random.default_rng(n)
    x = np.cumsum(rng.standard_normal((3, n)), axis=1)
    if n > 40:
        x[0, 10:20] = 1.0          # a flat stretch (zero slopes)
        x[1, 30:33] = [0.0, 0.0, 5.0]  # a step (slope sign changes)
    n_out = int(np.floor((n - 1) * fs_out / fs_in)) + 1
    ref = PchipInterpolator(np.arange(n), x, axis=-1)(np.arange(n_out) * (fs_in / fs_out))
    np.testing.assert_array_equal(preprocess.resample(x, fs_in, fs_out), ref)
    np.testing.assert_array_equal(preprocess.resample(x[0], fs_in, fs_out), ref[0])


def test_zero_phase_filter_equals_scipy_sosfiltfilt():
    from scipy import signal

    rng = np.random.default_rng(7)
    for _ in range(150):
        order = int(rng.integers(1, 5))
        fs = float(rng.choice([100.0, 250.0, 360.0, 500.0, 1000.0]))
        kind = str(rng.choice(["lowpass", "highpass", "bandpass"]))
        cut = ((float(rng.uniform(0.5, 5.0)), float(rng.uniform(10.0, 0.4 * fs))) if kind == "bandpass"
               else float(rng.uniform(0.5, 0.4 * fs)))
        sos = preprocess._butter(order, cut, kind, fs)
        shape = [(int(rng.integers(40, 2000)),), (int(rng.integers(1, 13)), int(rng.integers(40, 2000))),
                 (2, 3, int(rng.integers(40, 300)))][int(rng.integers(0, 3))]
        x = rng.standard_normal(shape)
        if rng.random() < 0.3:
            x = x.astype(np.float32)
        padlen = None if rng.random() < 0.5 else int(rng.integers(0, shape[-1] - 1))
        ref = signal.sosfiltfilt(sos, x, axis=-1, padtype="odd", padlen=padlen)
        got = preprocess._sosfiltfilt(sos, x, padlen=padlen)
        assert got.dtype == ref.dtype and got.shape == ref.shape
        np.testing.assert_array_equal(got, ref)
    with pytest.raises(ValueError):  # too short for the padding: scipy's own error
        preprocess._sosfiltfilt(preprocess._butter(4, 20.0, "lowpass", 500.0), np.ones(10))


# --- Median beat: the per-lag alignment loop and numpy's median (the replaced code) ---

def _ref_stack(x, peaks, pre, post):
    n = x.shape[1]
    idx = peaks[:, None] + np.arange(-pre, post)[None, :]
    valid = (idx >= 0) & (idx < n)
    w = np.transpose(x[:, np.clip(idx, 0, n - 1)], (1, 0, 2)).copy()
    w[~np.broadcast_to(valid[:, None, :], w.shape)] = np.nan
    return w


def _ref_align(x, peaks, fs, usable, reference=None):
    from ecgchat_desktop.analysis import median_beat as mb

    peaks = np.asarray(peaks, dtype=np.int64)
    ref = peaks if reference is None else np.asarray(reference, dtype=np.int64)
    if peaks.size == 0 or ref.size < 3:
        return peaks
    use = usable if usable.any() else np.ones(x.shape[0], bool)
    lag = int(mb.ALIGN_S * fs)
    qa, qb = int(0.06 * fs), int(0.08 * fs)
    if ref.size > mb.MAX_BEATS:
        ref = ref[np.unique(np.linspace(0, ref.size - 1, mb.MAX_BEATS).astype(int))]
    core = _ref_stack(x[use], ref, qa, qb)
    full = ~np.isnan(core).any(axis=(1, 2))
    tmpl = np.median(core[full], axis=0) if full.sum() >= 3 else np.nanmedian(core, axis=0)
    tmpl = np.nan_to_num(tmpl - np.nanmean(tmpl, axis=1, keepdims=True))
    q = _ref_stack(x[use], peaks, qa + lag, qb + lag)
    scores = np.full((peaks.size, 2 * lag + 1), -np.inf)
    for j, s in enumerate(range(-lag, lag + 1)):
        seg = q[:, :, lag + s: lag + s + qa + qb]
        seg = seg - np.nanmean(seg, axis=2, keepdims=True)
        scores[:, j] = np.nansum(seg * tmpl[None], axis=(1, 2))
    return peaks + (np.argmax(scores, axis=1) - lag)


def _ref_build(x, peaks, fs, usable, aligned=False):
    import warnings

    from ecgchat_desktop.analysis import median_beat as mb

    peaks = np.asarray(peaks, dtype=np.int64)
    if peaks.size > mb.MAX_BEATS:
        peaks = peaks[np.unique(np.linspace(0, peaks.size - 1, mb.MAX_BEATS).astype(int))]
    pre, post = int(mb.PRE_S * fs), int(mb.POST_S * fs)
    if not aligned and peaks.size >= 3:
        peaks = _ref_align(x, peaks, fs, usable)
    stack = _ref_stack(x, peaks, pre, post)
    whole = ~np.isnan(stack).any(axis=(1, 2))
    if whole.sum() >= max(3, 0.5 * peaks.size):
        return np.median(stack[whole], axis=0), pre, peaks
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(stack, axis=0)
    return np.nan_to_num(med), pre, peaks


def _cleaned_with_peaks(data_dir, record, seconds=None):
    from ecgchat_desktop.io import read_ecg

    ecg = read_ecg(data_dir / (record + ".hea"))
    fs0 = float(ecg.sampling_rate_hz)
    raw = np.asarray(ecg.signals_mv, dtype=np.float64)
    if seconds is not None:
        raw = raw[:, : int(seconds * fs0)]
    fs = engine.working_rate_hz(fs0)
    x, _ = preprocess.clean(preprocess.resample(raw, fs0, fs), fs)
    return x, qrs_detect.detect(x, fs), fs


@pytest.mark.parametrize("record, seconds", [("ludb/data/1", None), ("ludb/data/33", None),
                                             ("cinc/cpsc2018/A0001", None), ("mitdb/207", 120.0),
                                             ("mitdb/100", 600.0), ("ptb-xl/records500/00000/00008_hr", None)])
def test_median_beat_equals_reference_loop(data_dir, record, seconds):
    from ecgchat_desktop.analysis import median_beat

    x, peaks, fs = _cleaned_with_peaks(data_dir, record, seconds)
    rng = np.random.default_rng(peaks.size)
    usable = np.ones(x.shape[0], bool)
    masks = [usable] + ([usable & (rng.random(x.shape[0]) < 0.6)] if x.shape[0] > 2 else [])
    # Edge beats (windows leaving the recording), fewer than 3 beats, odd and even counts.
    sets = [peaks, peaks[1:], peaks[:2], np.concatenate(([5], peaks, [x.shape[1] - 3])), peaks[::3]]
    for use in masks:
        for p in sets:
            np.testing.assert_array_equal(median_beat.align(x, p, fs, use), _ref_align(x, p, fs, use))
            np.testing.assert_array_equal(median_beat.align(x, p, fs, use, reference=p[::2]),
                                          _ref_align(x, p, fs, use, reference=p[::2]))
            for aligned in (False, True):
                got, ref = median_beat.build(x, p, fs, use, aligned), _ref_build(x, p, fs, use, aligned)
                np.testing.assert_array_equal(got[0], ref[0])
                assert got[1] == ref[1]
                np.testing.assert_array_equal(got[2], ref[2])


def test_median_beat_with_gaps_equals_reference_loop():
    from ecgchat_desktop.analysis import median_beat

    x, peaks = _ecg_like(seed=3, n_leads=4)
    x[1, 1200:1400] = np.nan  # a gap inside one beat's window: the NaN-aware path
    for p in (peaks, peaks[:4]):
        for aligned in (False, True):
            got, ref = median_beat.build(x, p, 500.0, np.ones(4, bool), aligned), \
                _ref_build(x, p, 500.0, np.ones(4, bool), aligned)
            np.testing.assert_array_equal(got[0], ref[0])
            np.testing.assert_array_equal(got[2], ref[2])
    # Contiguous like numpy's median: sums over a strided copy round differently downstream.
    assert median_beat.build(x, peaks[:5], 500.0, np.ones(4, bool), True)[0].flags.c_contiguous


def test_median_of_windows_equals_numpy_median():
    from ecgchat_desktop.analysis import median_beat

    rng = np.random.default_rng(11)
    for n in range(1, 40):
        w = rng.standard_normal((3, n, 37))
        w[:, :, 5] = 1.0                       # ties
        w[0, : n // 2, 6] = -0.0               # signed zeros among ties
        got = median_beat._median_axis1(w)
        np.testing.assert_array_equal(got, np.median(w, axis=1))
        assert got.flags.c_contiguous
    # no beats at all: numpy's all-NaN answer, not an IndexError
    empty = np.zeros((3, 0, 37))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = np.median(empty, axis=1)
    np.testing.assert_array_equal(median_beat._median_axis1(empty), want)
    # the network really sorts: every comparator list orders any input
    for n in range(1, median_beat.NETWORK_MAX_BEATS + 1):
        v = list(rng.permutation(n))
        for a, b in median_beat._sorting_network(n):
            if v[a] > v[b]:
                v[a], v[b] = v[b], v[a]
        assert v == sorted(v), n


def test_interp_rows_equals_np_interp_per_row():
    rng = np.random.default_rng(5)
    x = np.arange(-20, 5030)
    for n_pts in (1, 2, 3, 5, 30):
        xp = rng.uniform(0, 5000, n_pts)
        if n_pts > 2:
            xp[1] = 700.0                          # a knot on the sample grid
        xp = np.sort(xp)
        fp = rng.uniform(-1, 1, (7, n_pts))
        got = qrs_detect._interp_rows(x, xp, fp)
        ref = np.stack([np.interp(x, xp, row) for row in fp])
        np.testing.assert_array_equal(got, ref)
        # C order, so a sum over the rows adds them one after another as before.
        assert got.flags.c_contiguous
        e = rng.random(got.shape)
        np.testing.assert_array_equal((got * e).sum(axis=0), (ref * e).sum(axis=0))


def test_percentile_and_median_equal_numpy():
    rng = np.random.default_rng(9)
    for n in (1, 2, 3, 4, 5, 50, 51, 999, 1000, 1001):
        for pct in (98.0, 50.0, 30.0, 80.0, 100.0, 0.0):
            a = rng.exponential(1.0, (3, 4, n))
            a[0, 0, : n // 3] = 0.5                  # ties
            pc, mid = preprocess.percentile_and_median(a, pct)
            np.testing.assert_array_equal(pc, np.percentile(a, pct, axis=-1))
            np.testing.assert_array_equal(mid, np.median(a, axis=-1))


def test_noise_ratios_equal_numpy_percentiles(data_dir):
    from ecgchat_desktop.analysis import quality
    from ecgchat_desktop.io import read_ecg

    raw = np.asarray(read_ecg(data_dir / "ludb" / "data" / "7.hea").signals_mv, dtype=np.float64)
    raw[0] = 0.0                                                    # a constant lead
    raw[1] += 0.3 * np.random.default_rng(2).standard_normal(raw.shape[1])  # a noisy one
    for fs, x in ((500.0, raw), (500.0, raw[:, :1700]), (250.0, raw[:3, ::2])):
        xc, _ = preprocess.clean(x, fs)
        band = qrs_detect.qrs_band(xc, fs)
        win = max(8, int(0.25 * fs))
        n = (xc.shape[1] - 1) // win
        hf = np.diff(xc[:, : n * win + 1], axis=1).reshape(xc.shape[0], n, win)
        b = band[:, : n * win].reshape(xc.shape[0], n, win)
        ref = np.percentile(b.max(axis=2) - b.min(axis=2), 80, axis=1) / (
            4.0 * (np.percentile(hf.std(axis=2), 30, axis=1) / np.sqrt(2.0) + 1e-6))
        np.testing.assert_array_equal(quality.noise_ratios(xc, fs, band), ref)


def test_record_whose_dominant_family_is_empty_is_measured(data_dir):
    """A 125-Hz multi-segment record where no beat window correlates with the medoid (its
    window is flat): measure() must report, never raise (the beat-class template used to
    index an empty beat list)."""
    from ecgchat_desktop.analysis import measure
    from ecgchat_desktop.io import read_ecg

    m = measure(read_ecg(data_dir / "wfdb-formats" / "multi-segment" / "s00001" / "3975656_0001.hea"))
    assert m.hr_bpm is not None and len(m.r_peaks) > 0
