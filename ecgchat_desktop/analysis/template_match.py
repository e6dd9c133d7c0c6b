"""Normalised correlation of a multi-lead template with windows of a multi-lead signal.

Per window starting at sample s (length L, every lead demeaned over the window):
    num(s)  = sum_l sum_k x_l[s + k] * t_l[k]       (t demeaned per lead)
    wn(s)   = sqrt(sum_l sum_k (x_l[s + k] - mean_l(s))^2) + 1e-12
    corr(s) = num(s) / (wn(s) * |t|),  ratio(s) = wn(s) / |t|
Because each lead of t sums to zero, demeaning the window does not change num, which
is then one cross-correlation for all window positions at once (FFT, leads summed in
the frequency domain); the window energies come from running sums. This replaces
gathering a [leads, positions, L] block per position set: same numbers to ~1e-12,
several times faster, and the signal's spectrum and running sums are shared by every
template matched against the same signal (P and T templates of the per-beat search).
"""

from __future__ import annotations

import numpy as np
from scipy import fft as sp_fft


class TemplateMatcher:
    """Matches templates against one signal `x` [leads, samples]; caches its spectrum."""

    def __init__(self, x: np.ndarray):
        self.x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        n_leads, n = self.x.shape
        self.n = n
        self._cs1 = np.zeros((n_leads, n + 1))
        np.cumsum(self.x, axis=1, out=self._cs1[:, 1:])
        # Window energy summed over the leads needs only the running sum of sum_l x_l^2.
        self._cs2 = np.zeros(n + 1)
        np.cumsum(np.einsum("ij,ij->j", self.x, self.x), out=self._cs2[1:])
        self._spectra: dict[int, np.ndarray] = {}

    def _spectrum(self, length: int) -> tuple[int, np.ndarray]:
        need = self.n + length - 1
        for nf, spec in self._spectra.items():
            if nf >= need:
                return nf, spec
        # Some headroom, so that a longer template later reuses the same transform.
        nf = sp_fft.next_fast_len(need + self.n // 8, real=True)
        spec = sp_fft.rfft(self.x, nf, axis=1)
        self._spectra[nf] = spec
        return nf, spec

    def correlate(self, tmpl: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(corr, ratio, valid) at each window start; invalid = window outside the signal
        (corr -inf, ratio 0 there)."""
        tmpl = np.atleast_2d(np.asarray(tmpl, dtype=np.float64))
        length = tmpl.shape[1]
        starts = np.asarray(starts, dtype=np.int64)
        t = tmpl - tmpl.mean(axis=1, keepdims=True)
        tn = float(np.linalg.norm(t)) + 1e-12
        valid = (starts >= 0) & (starts + length <= self.n)
        corr = np.full(starts.shape, -np.inf)
        ratio = np.zeros(starts.shape)
        if length == 0 or self.n < length or not valid.any():
            return corr, ratio, valid
        nf, spec = self._spectrum(length)
        # Full cross-correlation: entry s + length - 1 is the window starting at s.
        xc = sp_fft.irfft((spec * sp_fft.rfft(t[:, ::-1], nf, axis=1)).sum(axis=0), nf)
        s = starts[valid]
        num = xc[s + length - 1]
        s1 = self._cs1[:, s + length] - self._cs1[:, s]
        s2 = self._cs2[s + length] - self._cs2[s]
        wn = np.sqrt(np.maximum(s2 - (s1 * s1).sum(axis=0) / length, 0.0)) + 1e-12
        corr[valid] = num / (wn * tn)
        ratio[valid] = wn / tn
        return corr, ratio, valid
