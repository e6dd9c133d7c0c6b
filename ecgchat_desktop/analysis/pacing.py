"""Pacemaker spike detection on the raw (unfiltered, original-rate) signal.

A pacing spike is a deflection of a few milliseconds at most that leaves and returns
to a signal which is otherwise nearly still around it. Detection needs
at least ~300 Hz sampling; below that the acquiring device has already smeared spikes.
"""

from __future__ import annotations

import numpy as np

MIN_RATE_HZ = 300.0
MIN_SPIKE_MV = 0.25


def _spike_score(x: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Narrow out-and-back deflections: (lead, sample, excursion in mV) of each one.

    The excursion must leave and return within 4 ms (same sign on both sides) and be at
    least 1.5 times the signal's range in the 10 ms on either side of it: an R apex
    moves as much in its neighbourhood as at its tip, a spike does not. The signal is
    taken as constant beyond its ends. Only samples whose step from 4 ms before is
    already large enough are examined further (a small minority): no full-size
    temporaries beyond that one difference.
    """
    w = max(1, int(round(0.004 * fs)))
    k = max(w + 2, int(round(0.010 * fs)))
    n = x.shape[1]
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))
    if n <= w:
        return empty
    dl = np.empty_like(x)
    dl[:, w:] = x[:, w:] - x[:, :-w]
    dl[:, :w] = x[:, :w] - x[:, :1]
    li, ti = np.nonzero(np.abs(dl) >= MIN_SPIKE_MV)
    if li.size == 0:
        return empty
    c = x[li, ti]
    dl = dl[li, ti]
    dr = c - x[li, np.minimum(ti + w, n - 1)]
    exc = np.minimum(np.abs(dl), np.abs(dr))
    cand = (np.sign(dl) == np.sign(dr)) & (exc >= MIN_SPIKE_MV)
    li, ti, exc = li[cand], ti[cand], exc[cand]
    if li.size == 0:
        return empty
    # Range of the k - w samples ending w + 1 before / starting w + 1 after each sample.
    left = x[li[:, None], np.clip(ti[:, None] + np.arange(-k, -w)[None, :], 0, n - 1)]
    right = x[li[:, None], np.clip(ti[:, None] + np.arange(w + 1, k + 1)[None, :], 0, n - 1)]
    rng = np.maximum(np.ptp(left, axis=1), np.ptp(right, axis=1))
    keep = exc >= 1.5 * rng
    return li[keep], ti[keep], exc[keep]


def detect_spikes(raw: np.ndarray, fs: float, usable: np.ndarray | None = None) -> np.ndarray:
    """Sample indices (original rate) of pacing spikes; `raw` is [leads, samples] in mV."""
    if fs < MIN_RATE_HZ or raw.shape[1] < fs:
        return np.zeros(0, dtype=np.int64)
    x = np.asarray(raw, dtype=np.float64)
    if not np.isfinite(x).all():
        x = np.nan_to_num(x)
    if usable is not None and usable.any():
        x = x[usable]
    _, ti, exc = _spike_score(x, fs)
    if ti.size == 0:
        return np.zeros(0, dtype=np.int64)
    # Summed excursion over the leads at each spike sample.
    idx, inverse = np.unique(ti, return_inverse=True)
    total = np.bincount(inverse, weights=exc, minlength=idx.size)
    # Group hits closer than 20 ms into one spike.
    cuts = np.flatnonzero(np.diff(idx) > int(0.02 * fs)) + 1
    spikes = np.asarray([int(g[np.argmax(t)]) for g, t in zip(np.split(idx, cuts), np.split(total, cuts))],
                        dtype=np.int64)
    # A pacemaker fires far fewer than 5 times a second; more means noise, not pacing.
    if spikes.size > 5 * raw.shape[1] / fs:
        return np.zeros(0, dtype=np.int64)
    return spikes


def blank_spikes(x: np.ndarray, spikes_working: np.ndarray, fs: float) -> np.ndarray:
    """Replace +-6 ms around each spike by linear interpolation (so filters do not ring)."""
    if spikes_working.size == 0:
        return x
    y = np.array(x, dtype=np.float64, copy=True)
    half = max(2, int(round(0.006 * fs)))
    n = y.shape[-1]
    for s in spikes_working:
        a, b = max(0, int(s) - half), min(n - 1, int(s) + half)
        t = np.linspace(0.0, 1.0, b - a + 1)
        y[..., a:b + 1] = y[..., a:a + 1] + (y[..., b:b + 1] - y[..., a:a + 1]) * t
    return y


def confirm_spikes(spikes_working: np.ndarray, qrs_peaks_working: np.ndarray, fs: float) -> np.ndarray:
    """Drop candidate spikes that sit on a QRS apex (within 20 ms of its energy peak: a sharp
    R, not a stimulus; stimuli precede the paced QRS peak by 40 ms or more); keep the rest
    only if at least two remain (one isolated candidate is more likely an artefact)."""
    if spikes_working.size == 0:
        return spikes_working
    if qrs_peaks_working.size:
        j = np.clip(np.searchsorted(qrs_peaks_working, spikes_working), 1, qrs_peaks_working.size - 1) \
            if qrs_peaks_working.size > 1 else np.zeros(spikes_working.size, dtype=np.int64)
        near = np.minimum(np.abs(qrs_peaks_working[j] - spikes_working),
                          np.abs(qrs_peaks_working[np.maximum(j - 1, 0)] - spikes_working))
        keep = near > 0.02 * fs
        spikes_working = spikes_working[keep]
    return spikes_working if spikes_working.size >= 2 else spikes_working[:0]
