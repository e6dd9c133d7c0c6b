"""Median (representative) beat per lead from the dominant beats.

Beats are first aligned on their fiducial, then each is shifted by the lag (within
+-10 ms) that best matches the provisional median QRS of the usable leads, so jitter of
the fiducial does not blur the QRS. The sample-wise median over beats suppresses
noise and non-repeating activity (e.g. fibrillatory waves, isolated artefacts).
"""

from __future__ import annotations

from functools import lru_cache

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


NETWORK_MAX_BEATS = 24  # up to here a comparator network beats numpy's sort (10-s ECGs: 5-20 beats)


@lru_cache(maxsize=None)
def _sorting_network(n: int) -> tuple[tuple[int, int], ...]:
    """Comparators (i, j), i < j, of Batcher's odd-even merge sort for n items (the network
    for the next power of two, without the comparators that touch its empty slots: those
    act as +inf and never move)."""
    p = 1
    while p < n:
        p *= 2
    out = []
    size = 1
    while size < p:
        k = size
        while k >= 1:
            for j in range(k % size, p - k, 2 * k):
                for i in range(min(k, p - j - k)):
                    if (i + j) // (2 * size) == (i + j + k) // (2 * size) and i + j + k < n:
                        out.append((i + j, i + j + k))
            k //= 2
        size *= 2
    return tuple(out)


def _median_axis1(w: np.ndarray) -> np.ndarray:
    """`np.median(w, axis=1)` of NaN-free [leads, beats, len] windows, same numbers (the
    middle order statistic, or the mean of the two middle ones). Few beats: a sorting
    network of element-wise minima and maxima over whole windows; more: one sort along the
    beats. Both several times faster than numpy's partition on the beat axis of this layout."""
    n = w.shape[1]
    h = n // 2
    if n == 0:  # numpy's answer for no beats (all NaN), not an IndexError
        return np.full((w.shape[0],) + w.shape[2:], np.nan)
    if n <= NETWORK_MAX_BEATS:
        rows = [w[:, i] for i in range(n)]
        for a, b in _sorting_network(n):
            lo = np.minimum(rows[a], rows[b])
            rows[b] = np.maximum(rows[a], rows[b])
            rows[a] = lo
        mid = rows[h] if n % 2 else (rows[h - 1] + rows[h]) / 2.0
    else:
        s = np.sort(w, axis=1)
        mid = s[:, h] if n % 2 else (s[:, h - 1] + s[:, h]) / 2.0
    # Contiguous like numpy's result: later sums over a strided view would round differently.
    return np.ascontiguousarray(mid)


def _lag_scores(q: np.ndarray, tmpl: np.ndarray, n_lags: int, chunk: int = 64) -> np.ndarray:
    """[beats, n_lags] scores sum((seg - mean(seg)) * tmpl) over leads and samples of every
    window seg = q[:, :, j: j + len] (len = tmpl's), as the per-lag loop computed them
    (NaN-aware where q has NaN: windows leaving the recording). All lags of a chunk of beats
    at once; the windows are copied into [beats, lags, leads, len] so that every sum runs over
    contiguous memory in the loop's order (same rounding)."""
    length = tmpl.shape[-1]
    has_nan = bool(np.isnan(q).any())
    mean, total = (np.nanmean, np.nansum) if has_nan else (np.mean, np.sum)
    out = np.empty((q.shape[0], n_lags))
    for a in range(0, q.shape[0], chunk):
        v = np.lib.stride_tricks.sliding_window_view(q[a:a + chunk], length, axis=2)[:, :, :n_lags]
        seg = np.ascontiguousarray(np.transpose(v, (0, 2, 1, 3)))  # [beats, lags, leads, len]
        seg = seg - mean(seg, axis=3, keepdims=True)
        out[a:a + chunk] = total(seg * tmpl, axis=(2, 3))
    return out


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
    xs = x if use.all() else x[use]
    core = _stack(xs, ref, qa, qb)
    full = ~np.isnan(core).any(axis=(1, 2))
    if full.sum() >= 3:
        # NaN-free: the median (beats moved to axis 1 for _median_axis1) and the plain mean
        # give np.median's and np.nanmean's numbers.
        tmpl = _median_axis1(np.transpose(core[full], (1, 0, 2)))
        tmpl = tmpl - tmpl.mean(axis=1, keepdims=True)
    else:
        tmpl = np.nanmedian(core, axis=0)
        tmpl = np.nan_to_num(tmpl - np.nanmean(tmpl, axis=1, keepdims=True))
    q = _stack(xs, peaks, qa + lag, qb + lag)  # [beats, leads, len]
    scores = _lag_scores(q, tmpl, 2 * lag + 1)
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
    n = x.shape[1]
    whole = (peaks - pre >= 0) & (peaks + post <= n)  # windows inside the recording
    if whole.sum() >= max(3, 0.5 * peaks.size) and not np.isnan(x).any():
        # Beats with a complete window only: plain median, much faster than nanmedian.
        idx = peaks[whole][:, None] + np.arange(-pre, post)[None, :]
        return _median_axis1(x[:, idx]), pre, peaks
    stack = _stack(x, peaks, pre, post)
    whole = ~np.isnan(stack).any(axis=(1, 2))
    if whole.sum() >= max(3, 0.5 * peaks.size):
        return np.median(stack[whole], axis=0), pre, peaks
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(stack, axis=0)
    return np.nan_to_num(med), pre, peaks
