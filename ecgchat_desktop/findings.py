"""`Findings`: what every consumer (chat, report, store, ui) needs about one ECG.

file --io--> Ecg --analysis--> Measurements --interpret--> Statements => Findings
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ecgchat_desktop import __version__
from ecgchat_desktop.analysis.measurements import Measurements
from ecgchat_desktop.interpret.statement import Statement


@dataclass
class Findings:
    ecg_info: dict                 # Ecg.info_dict(): format, leads, patient, device data ...
    measurements: Measurements
    statements: list[Statement]
    critical: bool
    program_version: str = __version__
    encoder: dict | None = None    # zero-shot scores / similar cases, when an encoder exists
    notes: list[str] = field(default_factory=list)

    def to_dict(self, include_beats: bool = True, include_median: bool = True) -> dict:
        return {
            "ecg_info": self.ecg_info,
            "measurements": self.measurements.to_dict(include_beats, include_median),
            "statements": [s.to_dict() for s in self.statements],
            "critical": self.critical,
            "program_version": self.program_version,
            "encoder": self.encoder,
            "notes": list(self.notes),
        }

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(**kwargs), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict) -> "Findings":
        return cls(
            ecg_info=data["ecg_info"],
            measurements=Measurements.from_dict(data["measurements"]),
            statements=[Statement.from_dict(s) for s in data["statements"]],
            critical=bool(data["critical"]),
            program_version=data.get("program_version", "unknown"),
            encoder=data.get("encoder"),
            notes=list(data.get("notes", [])),
        )


def analyze_ecg(ecg) -> Findings:
    """Measure and interpret one `Ecg`. The only place that chains the two."""
    from ecgchat_desktop.analysis import measure
    from ecgchat_desktop.interpret import interpret

    measurements = measure(ecg)
    statements = interpret(measurements, ecg.patient)
    return Findings(
        ecg_info=ecg.info_dict(),
        measurements=measurements,
        statements=statements,
        critical=any(s.critical for s in statements),
    )
