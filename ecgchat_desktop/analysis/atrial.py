"""Atrial activity between the beats: P waves that are not followed by a QRS (AV block).

The dominant P wave of the median beat is the template. In each RR interval the stretch
from the previous T end to 40 ms before the conducted P is scanned for further P waves:
normalised correlation with the template >= 0.7 over the usable leads, amplitude 0.5–2
times the template, at least 200 ms apart. P waves hidden inside a QRS or T wave are
not found (a known limit: a 2:1 block whose blocked P falls in the T is reported 1:1).

The scan positions of all intervals are correlated in one batch (`template_match`); only
intervals with a candidate match reach the per-interval selection.
"""

from __future__ import annotations

import numpy as np

from ecgchat_desktop.analysis.template_match import correlate_runs

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
    peaks = np.asarray(peaks, dtype=np.int64)
    ks = np.arange(1, peaks.size)
    if ks.size > MAX_INTERVALS:
        ks = ks[np.unique(np.linspace(0, ks.size - 1, MAX_INTERVALS).astype(int))]
    counts = np.zeros(ks.size)
    step = max(1, int(0.004 * fs))
    # Window starts a, a + step, ... below b: from after the previous T to 40 ms before the
    # conducted P; an interval is skipped when shorter than a step or its windows would
    # leave the recording.
    a = peaks[ks - 1] + t_end_rel + int(0.02 * fs)
    b = peaks[ks] + tmpl_start_rel - int(0.04 * fs)
    scanned = np.flatnonzero((a >= 0) & (b + length < n) & (b - a >= step))
    if scanned.size == 0:
        return counts
    n_pos = -(-(b[scanned] - a[scanned]) // step)  # = len(range(a, b, step))
    corr, ratio = correlate_runs(x, tmpl, a[scanned], n_pos, step)
    ok = (corr >= MATCH_CORR) & (ratio > 0.5) & (ratio < 2.0)
    min_gap = int(0.2 * fs)
    for r in np.flatnonzero(ok.any(axis=1)):
        # Best matches first, each at least 200 ms from those already taken.
        c = corr[r, :n_pos[r]]
        taken: list[int] = []
        for j in np.argsort(-c):
            if not ok[r, j]:
                break
            s = int(a[scanned[r]] + j * step)
            if all(abs(s - t) >= min_gap for t in taken):
                taken.append(s)
        counts[scanned[r]] = len(taken)
    return counts
