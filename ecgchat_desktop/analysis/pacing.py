"""Pacemaker spike detection on the raw (unfiltered, original-rate) signal.

A pacing spike is a deflection of a few milliseconds at most that leaves and returns
to a signal which is otherwise nearly still around it. Detection needs
at least ~300 Hz sampling; below that the acquiring device has already smeared spikes.
"""

from __future__ import annotations

import numpy as np

MIN_RATE_HZ = 300.0
MIN_SPIKE_MV = 0.25


def _spike_score(x: np.ndarray, fs: float) -> np.ndarray:
    """Per lead and sample: excursion (mV) of a narrow out-and-back deflection, 0 elsewhere.

    The excursion must leave and return within 4 ms (same sign on both sides) and be at
    least 1.5 times the signal's range in the 10 ms on either side of it: an R apex
    moves as much in its neighbourhood as at its tip, a spike does not.
    """
    w = max(1, int(round(0.004 * fs)))
    k = max(w + 2, int(round(0.010 * fs)))
    n = x.shape[1]
    pad = np.pad(x, ((0, 0), (k, k)), mode="edge")
    c = pad[:, k:k + n]
    dl = c - pad[:, k - w:k - w + n]
    dr = c - pad[:, k + w:k + w + n]
    same = np.sign(dl) == np.sign(dr)
    exc = np.where(same, np.minimum(np.abs(dl), np.abs(dr)), 0.0)
    win = k - w
    # Range of the `win` samples ending w + 1 before / starting w + 1 after each sample,
    # evaluated only where the excursion is large enough to matter (cheap).
    out = np.zeros_like(exc)
    li, ti = np.nonzero(exc >= MIN_SPIKE_MV)
    if li.size == 0:
        return out
    left = np.stack([pad[li, ti + j] for j in range(0, win)])              # x[i-k .. i-w-1]
    right = np.stack([pad[li, ti + k + w + 1 + j] for j in range(0, win)])  # x[i+w+1 .. i+k]
    rng = np.maximum(np.ptp(left, axis=0), np.ptp(right, axis=0))
    keep = exc[li, ti] >= 1.5 * rng
    out[li[keep], ti[keep]] = exc[li[keep], ti[keep]]
    return out


def detect_spikes(raw: np.ndarray, fs: float, usable: np.ndarray | None = None) -> np.ndarray:
    """Sample indices (original rate) of pacing spikes; `raw` is [leads, samples] in mV."""
    if fs < MIN_RATE_HZ or raw.shape[1] < fs:
        return np.zeros(0, dtype=np.int64)
    x = np.nan_to_num(np.asarray(raw, dtype=np.float64))
    if usable is not None and usable.any():
        x = x[usable]
    score = _spike_score(x, fs)
    hit = (score >= MIN_SPIKE_MV).any(axis=0)
    if not hit.any():
        return np.zeros(0, dtype=np.int64)
    total = score.sum(axis=0)
    # Group hits closer than 20 ms into one spike.
    idx = np.flatnonzero(hit)
    groups = np.split(idx, np.flatnonzero(np.diff(idx) > int(0.02 * fs)) + 1)
    spikes = np.asarray([int(g[np.argmax(total[g])]) for g in groups], dtype=np.int64)
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
