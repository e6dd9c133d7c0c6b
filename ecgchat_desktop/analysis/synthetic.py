"""Synthetic ECGs with exactly known wave boundaries (for tests and benchmarks).

Waves have sharp, well-defined ends: P and T are half-sine lobes (T asymmetric), the
QRS is a piecewise-linear q-R-s complex, so onset and offset are single samples. Each
lead sees the waves scaled by its own projection factors, like a real lead set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecgchat_desktop.ecg import STANDARD_12_LEADS, Ecg

# Per-lead scale factors (P, QRS, T) loosely following a normal 12-lead ECG.
_LEAD_GAINS = {
    "I": (0.6, 0.8, 0.7), "II": (1.0, 1.0, 1.0), "III": (0.4, 0.3, 0.3),
    "aVR": (-0.8, -0.9, -0.85), "aVL": (0.1, 0.3, 0.2), "aVF": (0.7, 0.65, 0.65),
    "V1": (0.5, -0.7, -0.3), "V2": (0.6, -0.4, 0.6), "V3": (0.6, 0.6, 1.1),
    "V4": (0.6, 1.3, 1.2), "V5": (0.6, 1.4, 1.0), "V6": (0.6, 1.2, 0.8),
}


@dataclass(frozen=True)
class SyntheticTruth:
    """Wave boundaries relative to the QRS onset, in ms, and the beat times."""

    pr_ms: float
    p_ms: float
    qrs_ms: float
    qt_ms: float
    t_peak_ms: float  # from QRS onset
    rr_ms: float
    qrs_onsets_s: tuple[float, ...]


def _beat(t_ms: np.ndarray, pr: float, p: float, qrs: float, qt: float, tpk: float,
          p_amp: float, r_amp: float, t_amp: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P, QRS and T components of one beat; t_ms is time relative to the QRS onset."""
    pw = np.zeros_like(t_ms)
    p_on, p_off = -pr, -pr + p
    m = (t_ms >= p_on) & (t_ms <= p_off)
    pw[m] = p_amp * np.sin(np.pi * (t_ms[m] - p_on) / p)
    # q (10 % of QRS, -0.1), R peak at 45 %, s trough at 80 % (-0.25), back to 0 at the end.
    knots_t = np.array([0.0, 0.10, 0.45, 0.80, 1.0]) * qrs
    knots_v = np.array([0.0, -0.1, 1.0, -0.25, 0.0]) * r_amp
    qw = np.interp(t_ms, knots_t, knots_v, left=0.0, right=0.0)
    tw = np.zeros_like(t_ms)
    t_on = qrs + 0.35 * (qt - qrs)  # flat ST segment before the T wave
    t_off = qt
    up = (t_ms >= t_on) & (t_ms <= tpk)
    dn = (t_ms > tpk) & (t_ms <= t_off)
    tw[up] = t_amp * np.sin(0.5 * np.pi * (t_ms[up] - t_on) / (tpk - t_on))
    tw[dn] = t_amp * np.cos(0.5 * np.pi * (t_ms[dn] - tpk) / (t_off - tpk))
    return pw, qw, tw


def synthetic_ecg(*, fs: float = 500.0, duration_s: float = 10.0, hr_bpm: float = 60.0,
                  pr_ms: float = 160.0, p_ms: float = 100.0, qrs_ms: float = 90.0,
                  qt_ms: float = 400.0, lead_names=STANDARD_12_LEADS, noise_mv: float = 0.0,
                  p_present: bool = True, seed: int = 0, rr_jitter: float = 0.0,
                  blocked_p_ms: tuple[float, ...] = ()) -> tuple[Ecg, SyntheticTruth]:
    """A clean sinus rhythm ECG with the given intervals; returns (Ecg, truth).
    `blocked_p_ms`: extra P waves without QRS at these offsets from each QRS onset (AV block)."""
    rng = np.random.default_rng(seed)
    n = int(round(duration_s * fs))
    t_s = np.arange(n) / fs
    rr_s = 60.0 / hr_bpm
    onsets = []
    t = 0.5
    while t < duration_s - 0.2:
        onsets.append(t)
        t += rr_s * (1.0 + rr_jitter * rng.uniform(-1, 1))
    tpk = qrs_ms + 0.35 * (qt_ms - qrs_ms) + 0.7 * (qt_ms - qrs_ms - 0.35 * (qt_ms - qrs_ms))
    sig = np.zeros((len(lead_names), n))
    for on in onsets:
        a, b = max(0, int((on - 0.5) * fs)), min(n, int((on + 0.8) * fs))
        rel_ms = (t_s[a:b] - on) * 1000.0
        pw, qw, tw = _beat(rel_ms, pr_ms, p_ms, qrs_ms, qt_ms, tpk, 0.15 if p_present else 0.0, 1.2, 0.35)
        for i, name in enumerate(lead_names):
            gp, gq, gt = _LEAD_GAINS.get(name, (0.8, 1.0, 0.8))
            sig[i, a:b] += gp * pw + gq * qw + gt * tw
        for off_ms in blocked_p_ms:
            c = on + (off_ms - pr_ms) / 1000.0  # the blocked P's onset, in s
            a2, b2 = max(0, int(c * fs) - 2), min(n, int((c + p_ms / 1000.0) * fs) + 2)
            if a2 >= b2:
                continue
            rel = (t_s[a2:b2] - c) * 1000.0
            m = (rel >= 0) & (rel <= p_ms)
            extra = np.zeros_like(rel)
            extra[m] = 0.15 * np.sin(np.pi * rel[m] / p_ms)
            for i, name in enumerate(lead_names):
                sig[i, a2:b2] += _LEAD_GAINS.get(name, (0.8, 1.0, 0.8))[0] * extra
    if noise_mv:
        sig += rng.normal(0.0, noise_mv, sig.shape)
    truth = SyntheticTruth(pr_ms=pr_ms, p_ms=p_ms, qrs_ms=qrs_ms, qt_ms=qt_ms, t_peak_ms=tpk,
                           rr_ms=rr_s * 1000.0, qrs_onsets_s=tuple(onsets))
    ecg = Ecg(signals_mv=sig.astype(np.float32), sampling_rate_hz=fs, lead_names=tuple(lead_names),
              source_format="synthetic")
    return ecg, truth
