"""Atrial activity between the beats: P waves that are not followed by a QRS (AV block).

The dominant P wave of the median beat is the template. In each RR interval the stretch
from the previous T end to 40 ms before the conducted P is scanned for further P waves:
normalised correlation with the template >= 0.7 over the usable leads, amplitude 0.5–2
times the template, at least 200 ms apart. P waves hidden inside a QRS or T wave are
not found (a known limit: a 2:1 block whose blocked P falls in the T is reported 1:1).

The scan positions of all intervals are correlated in one pass (`template_match`); only
intervals with a candidate match reach the per-interval selection.
"""

from __future__ import annotations

import numpy as np

from ecgchat_desktop.analysis.template_match import TemplateMatcher

MATCH_CORR = 0.7
MAX_INTERVALS = 200


def scan_positions(peaks: np.ndarray, ks: np.ndarray, tmpl_start_rel: int, t_end_rel: int,
                   length: int, n: int, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Window starts scanned in the intervals peaks[k-1]..peaks[k] (k in ks), 4 ms apart,
    and the position in `ks` of the interval each belongs to. An interval is skipped when
    its stretch is shorter than one step or its windows would leave the recording."""
    step = max(1, int(0.004 * fs))
    a = peaks[ks - 1] + t_end_rel + int(0.02 * fs)
    b = peaks[ks] + tmpl_start_rel - int(0.04 * fs)  # last start before the conducted P
    valid = (a >= 0) & (b + length < n) & (b - a >= step)
    counts = np.where(valid, -(-(b - a) // step), 0)  # = len(range(a, b, step))
    owner = np.repeat(np.arange(ks.size), counts)
    offset = np.arange(owner.size) - np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(a, counts) + offset * step, owner


def extra_p_counts(x: np.ndarray, peaks: np.ndarray, tmpl: np.ndarray, tmpl_start_rel: int,
                   t_end_rel: int, fs: float, matcher: TemplateMatcher | None = None) -> np.ndarray:
    """Extra (non-conducted) P waves found in each interval peaks[k-1]..peaks[k] (k >= 1).

    x: [leads, samples]; tmpl: [leads, L] P template whose first sample lies
    `tmpl_start_rel` samples from a beat's fiducial; t_end_rel: T end from the fiducial;
    `matcher`: a `TemplateMatcher` of x, if at hand.
    Returns counts for the scanned intervals (at most MAX_INTERVALS, evenly spread)."""
    peaks = np.asarray(peaks, dtype=np.int64)
    ks = np.arange(1, peaks.size)
    if ks.size > MAX_INTERVALS:
        ks = ks[np.unique(np.linspace(0, ks.size - 1, MAX_INTERVALS).astype(int))]
    counts = np.zeros(ks.size)
    starts, owner = scan_positions(peaks, ks, tmpl_start_rel, t_end_rel, tmpl.shape[1], x.shape[1], fs)
    if starts.size == 0:
        return counts
    if matcher is None:
        matcher = TemplateMatcher(x)
    corr, ratio, _ = matcher.correlate(tmpl, starts)
    ok = (corr >= MATCH_CORR) & (ratio > 0.5) & (ratio < 2.0)
    min_gap = int(0.2 * fs)
    for i in np.unique(owner[ok]):
        # Best matches first, each at least 200 ms from those already taken.
        sel = np.flatnonzero(owner == i)
        taken: list[int] = []
        for j in sel[np.argsort(-corr[sel])]:
            if not ok[j]:
                break
            if all(abs(int(starts[j]) - s) >= min_gap for s in taken):
                taken.append(int(starts[j]))
        counts[i] = len(taken)
    return counts
