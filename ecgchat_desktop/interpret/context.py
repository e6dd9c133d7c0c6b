"""What every rule reads: the measurements, the patient's sex and age, which leads may be
used (lead_quality), and small formatting helpers for evidence strings.

Leads marked anything but "good" are never used by a criterion; rules say so in evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ecgchat_desktop.analysis.measurements import LeadAmplitudes, Measurements
from ecgchat_desktop.interpret.statement import Statement

# Lead order used for "two contiguous leads" (Cabrera order for limb leads, V1..V6 for chest).
INFERIOR_LEADS = ("II", "III", "aVF")
LATERAL_LIMB_LEADS = ("I", "aVL")
CHEST = ("V1", "V2", "V3", "V4", "V5", "V6")


def fmt_mv(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f} mV"


def fmt_ms(v: float | None) -> str:
    return "—" if v is None else f"{v:.0f} ms"


def fmt_deg(v: float | None) -> str:
    return "—" if v is None else f"{v:+.0f}°"


@dataclass
class RuleContext:
    m: Measurements
    sex: str | None = None          # "M", "F" or None
    age_years: float | None = None
    statements: list[Statement] = field(default_factory=list)  # fired so far (rules run in order)

    @property
    def excluded_leads(self) -> dict[str, str]:
        return {k: v for k, v in (self.m.lead_quality or {}).items() if v != "good"}

    def usable(self, lead: str) -> bool:
        """A lead may be used when its quality is "good" (or not rated) and it was measured."""
        if (self.m.lead_quality or {}).get(lead, "good") != "good":
            return False
        return lead in (self.m.lead_amplitudes or {})

    def amp(self, lead: str) -> LeadAmplitudes | None:
        return self.m.lead_amplitudes[lead] if self.usable(lead) else None

    def value(self, lead: str, name: str) -> float | None:
        a = self.amp(lead)
        return None if a is None else getattr(a, name)

    def exclusion_note(self, leads) -> str | None:
        """Evidence line naming the leads of interest that were not used, with their quality."""
        q = self.m.lead_quality or {}
        bad = [f"{ld} ({q[ld]})" for ld in leads if q.get(ld, "good") != "good"]
        missing = [ld for ld in leads if ld not in bad and q.get(ld, "good") == "good"
                   and ld not in (self.m.lead_amplitudes or {})]
        parts = []
        if bad:
            parts.append("not used, poor quality: " + ", ".join(bad))
        if missing:
            parts.append("not measured: " + ", ".join(missing))
        return "; ".join(parts) if parts else None

    def has(self, *codes: str) -> bool:
        return any(s.code in codes for s in self.statements)

    # --- rhythm figures derived from the beat list (the interval series itself) ---------
    def rr_intervals_ms(self) -> np.ndarray:
        peaks = np.asarray(self.m.r_peaks or [], dtype=float)
        fs = self.m.sampling_rate_hz
        if peaks.size < 3 or not fs:
            return np.zeros(0)
        return np.diff(peaks) * 1000.0 / fs

    def pr_per_beat_ms(self, dominant_only: bool = True) -> np.ndarray:
        """PR (P onset to QRS onset) of each beat where both were delineated; by default of
        dominant beats only (an ectopic atrial beat has its own PR)."""
        fs = self.m.sampling_rate_hz
        if not fs:
            return np.zeros(0)
        out = [(b.qrs_onset - b.p_onset) * 1000.0 / fs for b in self.m.beats
               if b.p_onset is not None and b.qrs_onset is not None and b.qrs_onset > b.p_onset
               and (not dominant_only or b.beat_class == "dominant")]
        return np.asarray(out, dtype=float)

    @property
    def qrs_wide(self) -> bool:
        return self.m.qrs_ms is not None and self.m.qrs_ms >= 120
