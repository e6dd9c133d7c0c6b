"""`Statement`: one interpretation statement with the evidence that fired it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

CATEGORIES = ("rhythm", "conduction", "axis", "chamber", "ischemia_infarction", "repolarisation", "other")
SEVERITIES = ("critical", "abnormal", "borderline", "normal")  # most severe first


@dataclass
class Statement:
    code: str            # vocabulary code, e.g. "RBBB"
    text: str            # human text, e.g. "Complete right bundle branch block"
    category: str        # one of CATEGORIES
    severity: str        # one of SEVERITIES
    evidence: list[str] = field(default_factory=list)  # criteria with measured values and thresholds
    critical: bool = False   # a critical finding to flag visibly
    source: str = "program"  # "program" (rules) | "physician" (added/edited on confirmation)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Statement":
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})
