"""Rate, RR statistics and QT correction.

rr_irregularity: median absolute difference of successive RR intervals divided by the
median RR (all beats). Robust to isolated ectopics (a median), near 0.01–0.03 in sinus
rhythm and typically above 0.08 in atrial fibrillation.
"""

from __future__ import annotations

import math

import numpy as np


def rr_statistics(peaks_s: np.ndarray) -> dict:
    out = dict(rr_ms=None, rr_sd_ms=None, rr_min_ms=None, rr_max_ms=None, rmssd_ms=None,
               rr_irregularity=None, hr_bpm=None)
    if peaks_s.size < 2:
        return out
    rr = np.diff(peaks_s) * 1000.0
    out["rr_ms"] = float(rr.mean())
    out["rr_min_ms"] = float(rr.min())
    out["rr_max_ms"] = float(rr.max())
    out["hr_bpm"] = float(60000.0 / rr.mean())
    if rr.size >= 2:
        out["rr_sd_ms"] = float(rr.std(ddof=1))
        d = np.diff(rr)
        out["rmssd_ms"] = float(np.sqrt(np.mean(d * d)))
        out["rr_irregularity"] = float(np.median(np.abs(d)) / np.median(rr))
    return out


def qtc(qt_ms: float | None, rr_ms: float | None) -> dict[str, float | None]:
    """QTc by Bazett, Fridericia, Framingham and Hodges (RR in ms, results in ms)."""
    keys = ("bazett", "fridericia", "framingham", "hodges")
    if qt_ms is None or rr_ms is None or rr_ms <= 0:
        return {k: None for k in keys}
    rr_s = rr_ms / 1000.0
    hr = 60.0 / rr_s
    return {
        "bazett": qt_ms / math.sqrt(rr_s),
        "fridericia": qt_ms / rr_s ** (1.0 / 3.0),
        "framingham": qt_ms + 154.0 * (1.0 - rr_s),
        "hodges": qt_ms + 1.75 * (hr - 60.0),
    }
