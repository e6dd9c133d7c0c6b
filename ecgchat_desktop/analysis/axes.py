"""Frontal-plane axes from net wave areas in the limb leads.

Each limb lead is the projection of the frontal heart vector on its lead axis
(Einthoven/Goldberger): I 0°, II 60°, III 120°, aVR −150°, aVL −30°, aVF 90°, the
augmented leads scaled by √3/2. The vector is the least-squares fit over whichever
limb leads are usable, so a missing or noisy limb lead does not bias the axis.
"""

from __future__ import annotations

import math

import numpy as np

_LEAD_GEOMETRY = {
    "I": (0.0, 1.0), "II": (60.0, 1.0), "III": (120.0, 1.0),
    "aVR": (-150.0, math.sqrt(3) / 2), "aVL": (-30.0, math.sqrt(3) / 2), "aVF": (90.0, math.sqrt(3) / 2),
}


def frontal_axis_deg(values: dict[str, float]) -> float | None:
    """Axis in degrees (−180..180] from per-lead net areas/amplitudes; None if undetermined."""
    rows, rhs = [], []
    for name, val in values.items():
        if name in _LEAD_GEOMETRY and val is not None and np.isfinite(val):
            ang, gain = _LEAD_GEOMETRY[name]
            rows.append([gain * math.cos(math.radians(ang)), gain * math.sin(math.radians(ang))])
            rhs.append(val)
    if len(rows) < 2:
        return None
    a = np.asarray(rows)
    if np.linalg.matrix_rank(a) < 2:
        return None
    vec, *_ = np.linalg.lstsq(a, np.asarray(rhs), rcond=None)
    if np.hypot(*vec) < 1e-9:
        return None
    return float(round(math.degrees(math.atan2(vec[1], vec[0])), 1))
