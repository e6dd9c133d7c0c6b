"""Median (representative) beat per lead from the dominant beats.

Beats are first aligned on their fiducial, then each is shifted by the lag (within
+-10 ms) that best matches the provisional median QRS of the usable leads, so jitter of
the fiducial does not blur the QRS. The sample-wise median over beats suppresses
noise and non-repeating activity (e.g. fibrillatory waves, isolated artefacts).
"""

from __future__ import annotations

import numpy as np

PRE_S = 0.6
POST_S = 0.8
MAX_BEATS = 600
ALIGN_S = 0.010


def _stack(x: np.ndarray, peaks: np.ndarray, pre: int, post: int) -> np.ndarray:
    """[beats, leads, pre + post] with NaN outside the recording."""
    n = x.shape[1]
    idx = peaks[:, None] + np.arange(-pre, post)[None, :]
    valid = (idx >= 0) & (idx < n)
    w = x[:, np.clip(idx, 0, n - 1)]  # [leads, beats, len]
    w = np.transpose(w, (1, 0, 2)).copy()
    w[~np.broadcast_to(valid[:, None, :], w.shape)] = np.nan
    return w


def align(x: np.ndarray, peaks: np.ndarray, fs: float, usable: np.ndarray,
          reference: np.ndarray | None = None) -> np.ndarray:
    """Each fiducial shifted (within +-10 ms) to best match the median QRS of the
    `reference` beats (default: all), on the usable leads."""
    peaks = np.asarray(peaks, dtype=np.int64)
    ref = peaks if reference is None else np.asarray(reference, dtype=np.int64)
    if peaks.size == 0 or ref.size < 3:
        return peaks
    use = usable if usable.any() else np.ones(x.shape[0], bool)
    lag = int(ALIGN_S * fs)
    qa, qb = int(0.06 * fs), int(0.08 * fs)
    if ref.size > MAX_BEATS:
        ref = ref[np.unique(np.linspace(0, ref.size - 1, MAX_BEATS).astype(int))]
    core = _stack(x[use], ref, qa, qb)
    full = ~np.isnan(core).any(axis=(1, 2))
    tmpl = np.median(core[full], axis=0) if full.sum() >= 3 else np.nanmedian(core, axis=0)
    tmpl = np.nan_to_num(tmpl - np.nanmean(tmpl, axis=1, keepdims=True))
    q = _stack(x[use], peaks, qa + lag, qb + lag)  # [beats, leads, len]
    scores = np.full((peaks.size, 2 * lag + 1), -np.inf)
    for j, s in enumerate(range(-lag, lag + 1)):
        seg = q[:, :, lag + s: lag + s + qa + qb]
        seg = seg - np.nanmean(seg, axis=2, keepdims=True)
        scores[:, j] = np.nansum(seg * tmpl[None], axis=(1, 2))
    return peaks + (np.argmax(scores, axis=1) - lag)


def build(x: np.ndarray, peaks: np.ndarray, fs: float, usable: np.ndarray,
          aligned: bool = False) -> tuple[np.ndarray, int, np.ndarray]:
    """Median beat [leads, pre + post], index of the fiducial, and the aligned peaks used.
    With `aligned` the peaks are taken as already aligned (see `align`)."""
    peaks = np.asarray(peaks, dtype=np.int64)
    if peaks.size > MAX_BEATS:
        peaks = peaks[np.unique(np.linspace(0, peaks.size - 1, MAX_BEATS).astype(int))]
    pre, post = int(PRE_S * fs), int(POST_S * fs)
    if not aligned and peaks.size >= 3:
        peaks = align(x, peaks, fs, usable)
    stack = _stack(x, peaks, pre, post)
    whole = ~np.isnan(stack).any(axis=(1, 2))
    if whole.sum() >= max(3, 0.5 * peaks.size):
        # Beats with a complete window only: plain median, much faster than nanmedian.
        return np.median(stack[whole], axis=0), pre, peaks
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(stack, axis=0)
    return np.nan_to_num(med), pre, peaks
