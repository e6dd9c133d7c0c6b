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

from ecgchat_desktop.analysis import preprocess
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


# --- Beat-to-beat atrial coherence before the QRS (atrial fibrillation vs sinus with ectopy) ---
# Sinus P waves, even when too small to be delineated, repeat at the same place before every
# conducted QRS; fibrillatory waves do not. The window before each QRS onset is compared with the
# mean window of the other beats: the median correlation is high in sinus rhythm (with isolated
# PACs too, which are a minority of beats), near 0 in atrial fibrillation.
# Chosen on the tuning sets (PTB-XL folds 1–8, CinC, LUDB; benchmarks/README.md, AF section):
# 200–300 ms windows and a 3 Hz high-pass separated AF from sinus-without-delineated-P less well.
PRE_QRS_WINDOW_MS = (240.0, 20.0)   # from 240 ms to 20 ms before the QRS onset
COHERENCE_BAND_HZ = (1.0, 30.0)
MIN_BEATS_FOR_COHERENCE = 5


def pre_qrs_coherence(x: np.ndarray, qrs_onsets: np.ndarray, fs: float,
                      use_beat: np.ndarray | None = None) -> float | None:
    """Median, over beats, of the correlation between a beat's pre-QRS window (all leads of x
    together, each window's own mean removed) and the mean window of the other beats.

    x: [leads, samples]; qrs_onsets: sample of each beat's QRS onset; use_beat: beats that may
    be used (e.g. not ventricular ectopic). None when too few beats. x is band-passed here
    (COHERENCE_BAND_HZ) so that baseline drift and muscle noise do not count as atrial activity."""
    onsets = np.asarray(qrs_onsets, dtype=np.int64)
    keep = np.ones(onsets.size, bool) if use_beat is None else np.asarray(use_beat, bool).copy()
    a_off, b_off = (int(round(v * fs / 1000.0)) for v in PRE_QRS_WINDOW_MS)
    keep &= (onsets - a_off >= 0) & (onsets - b_off < x.shape[1])
    idx = np.flatnonzero(keep)
    if idx.size < MIN_BEATS_FOR_COHERENCE or x.shape[0] == 0:
        return None
    hi = min(COHERENCE_BAND_HZ[1], 0.45 * fs)
    # Cached design and zero-phase filter (same numbers as signal.butter + signal.sosfiltfilt).
    sos = preprocess._butter(2, (COHERENCE_BAND_HZ[0], float(hi)), "bandpass", float(fs))
    x = preprocess._sosfiltfilt(sos, np.nan_to_num(np.asarray(x, dtype=float)))
    offs = np.arange(-a_off, -b_off)
    w = x[:, onsets[idx][:, None] + offs[None, :]]          # [leads, beats, samples]
    w = w - w.mean(axis=2, keepdims=True)
    w = np.transpose(w, (1, 0, 2)).reshape(idx.size, -1)     # [beats, leads*samples]
    # Every beat against the mean of the others, all beats at once.
    other = (w.sum(axis=0)[None, :] - w) / (idx.size - 1)
    den = np.linalg.norm(w, axis=1) * np.linalg.norm(other, axis=1)
    dots = np.einsum("ij,ij->i", w, other)
    corr = np.divide(dots, den, out=np.zeros_like(dots), where=den > 0)
    return float(np.median(corr))
