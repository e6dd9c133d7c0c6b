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
# Row of the fit for each lead: its gain times the unit vector of its axis.
_LEAD_UNIT = {name: (gain * math.cos(math.radians(ang)), gain * math.sin(math.radians(ang)))
              for name, (ang, gain) in _LEAD_GEOMETRY.items()}


def frontal_axis_deg(values: dict[str, float]) -> float | None:
    """Axis in degrees (−180..180] from per-lead net areas/amplitudes; None if undetermined.

    The 2-parameter least-squares fit is solved in closed form (normal equations): no
    two limb-lead axes are collinear, so any two leads determine the vector."""
    sxx = sxy = syy = bx = by = 0.0
    m = 0
    for name, val in values.items():
        if name in _LEAD_GEOMETRY and val is not None and np.isfinite(val):
            cx, cy = _LEAD_UNIT[name]
            sxx += cx * cx
            sxy += cx * cy
            syy += cy * cy
            bx += cx * val
            by += cy * val
            m += 1
    if m < 2:
        return None
    det = sxx * syy - sxy * sxy
    if det <= 1e-12 * max(sxx, syy) ** 2:
        return None
    vx = (syy * bx - sxy * by) / det
    vy = (sxx * by - sxy * bx) / det
    if math.hypot(vx, vy) < 1e-9:
        return None
    return float(round(math.degrees(math.atan2(vy, vx)), 1))
