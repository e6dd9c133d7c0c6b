"""Atrial activity between the beats: P waves that are not followed by a QRS (AV block).

The dominant P wave of the median beat is the template. In each RR interval the stretch
from the previous T end to 40 ms before the conducted P is scanned for further P waves:
normalised correlation with the template >= 0.7 over the usable leads, amplitude 0.5–2
times the template, at least 200 ms apart. P waves hidden inside a QRS or T wave are
not found (a known limit: a 2:1 block whose blocked P falls in the T is reported 1:1).
"""

from __future__ import annotations

import numpy as np

MATCH_CORR = 0.7
MAX_INTERVALS = 200


def extra_p_counts(x: np.ndarray, peaks: np.ndarray, tmpl: np.ndarray, tmpl_start_rel: int,
                   t_end_rel: int, fs: float) -> np.ndarray:
    """Extra (non-conducted) P waves found in each interval peaks[k-1]..peaks[k] (k >= 1).

    x: [leads, samples]; tmpl: [leads, L] P template whose first sample lies
    `tmpl_start_rel` samples from a beat's fiducial; t_end_rel: T end from the fiducial.
    Returns counts for the scanned intervals (at most MAX_INTERVALS, evenly spread)."""
    n = x.shape[1]
    length = tmpl.shape[1]
    t = tmpl - tmpl.mean(axis=1, keepdims=True)
    tn = np.linalg.norm(t) + 1e-12
    ks = np.arange(1, peaks.size)
    if ks.size > MAX_INTERVALS:
        ks = ks[np.unique(np.linspace(0, ks.size - 1, MAX_INTERVALS).astype(int))]
    counts = []
    step = max(1, int(0.004 * fs))
    min_gap = int(0.2 * fs)
    for k in ks:
        a = peaks[k - 1] + t_end_rel + int(0.02 * fs)
        b = peaks[k] + tmpl_start_rel - int(0.04 * fs)  # last start before the conducted P
        if a < 0 or b + length >= n or b - a < step:
            counts.append(0)
            continue
        starts = np.arange(a, b, step)
        idx = starts[:, None] + np.arange(length)[None, :]
        w = x[:, idx]  # [leads, positions, L]
        w = w - w.mean(axis=2, keepdims=True)
        num = np.einsum("lpk,lk->p", w, t)
        wn = np.sqrt(np.einsum("lpk,lpk->p", w, w)) + 1e-12
        corr = num / (wn * tn)
        ratio = wn / tn
        ok = (corr >= MATCH_CORR) & (ratio > 0.5) & (ratio < 2.0)
        taken: list[int] = []
        for j in np.argsort(-corr):
            if not ok[j]:
                break
            if all(abs(int(starts[j]) - s) >= min_gap for s in taken):
                taken.append(int(starts[j]))
        counts.append(len(taken))
    return np.asarray(counts, dtype=float)
