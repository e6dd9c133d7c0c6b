"""Normalised correlation of a multi-lead template with windows of a multi-lead signal.

Per window starting at sample s (length L, every lead demeaned over the window):
    num(s)  = sum_l sum_k x_l[s + k] * t_l[k]       (t demeaned per lead)
    wn(s)   = sqrt(sum_l sum_k (x_l[s + k] - mean_l(s))^2) + 1e-12
    corr(s) = num(s) / (wn(s) * |t|),  ratio(s) = wn(s) / |t|
The windows come in runs: run i starts at first[i] and has count[i] windows `step`
samples apart (the lags tried around one beat, or the positions scanned in one RR
interval). Each run's stretch of signal is cut out once; because each lead of t sums
to zero, demeaning a window does not change num, so num for every window of every run
is one batch of short FFT cross-correlations (leads summed in the frequency domain),
and the window energies come from running sums along the stretches. Same numbers as
gathering every window (to ~1e-12), without a [leads, windows, L] block and without
transforming the whole recording.
"""

from __future__ import annotations

import numpy as np
from scipy import fft as sp_fft

_CHUNK_ELEMENTS = 1 << 21  # samples of cut-out stretches processed at once (memory bound)


def correlate_runs(x: np.ndarray, tmpl: np.ndarray, first: np.ndarray, count: np.ndarray | int,
                   step: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(corr, ratio), each [runs, max(count)]: window j of run i starts at
    first[i] + j * step. Entries beyond a run's count, and windows not wholly inside the
    recording, get corr -inf and ratio 0."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    tmpl = np.atleast_2d(np.asarray(tmpl, dtype=np.float64))
    n_leads, n = x.shape
    length = tmpl.shape[1]
    first = np.asarray(first, dtype=np.int64).ravel()
    count = np.broadcast_to(np.asarray(count, dtype=np.int64), first.shape)
    n_runs = first.size
    width = int(count.max()) if n_runs else 0
    corr = np.full((n_runs, width), -np.inf)
    ratio = np.zeros((n_runs, width))
    if n_runs == 0 or width == 0 or length == 0 or n < length:
        return corr, ratio
    t = tmpl - tmpl.mean(axis=1, keepdims=True)
    tn = float(np.linalg.norm(t)) + 1e-12
    span = (width - 1) * step + length          # samples one run covers
    nf = sp_fft.next_fast_len(span, real=True)  # circular correlation: no wrap for the needed lags
    t_spec = np.conj(sp_fft.rfft(t, nf, axis=1))[:, None, :]
    j = np.arange(width)
    offs = np.arange(span)
    per_chunk = max(1, _CHUNK_ELEMENTS // max(1, n_leads * span))
    for a in range(0, n_runs, per_chunk):
        f = first[a:a + per_chunk]
        idx = f[:, None] + offs[None, :]
        seg = x[:, np.clip(idx, 0, n - 1)]  # [leads, runs, span]; clipped samples only feed invalid windows
        num = sp_fft.irfft((sp_fft.rfft(seg, nf, axis=2) * t_spec).sum(axis=0), nf, axis=1)
        num = num[:, j * step]
        cs1 = np.zeros(seg.shape[:2] + (span + 1,))
        np.cumsum(seg, axis=2, out=cs1[:, :, 1:])
        cs2 = np.zeros((seg.shape[1], span + 1))
        np.cumsum(np.einsum("lrk,lrk->rk", seg, seg), axis=1, out=cs2[:, 1:])
        lo, hi = j * step, j * step + length
        s1 = cs1[:, :, hi] - cs1[:, :, lo]                 # [leads, runs, width]
        s2 = cs2[:, hi] - cs2[:, lo]                       # [runs, width]
        wn = np.sqrt(np.maximum(s2 - (s1 * s1).sum(axis=0) / length, 0.0)) + 1e-12
        starts = f[:, None] + j[None, :] * step
        valid = (j[None, :] < count[a:a + per_chunk, None]) & (starts >= 0) & (starts + length <= n)
        corr[a:a + per_chunk] = np.where(valid, num / (wn * tn), -np.inf)
        ratio[a:a + per_chunk] = np.where(valid, wn / tn, 0.0)
    return corr, ratio
