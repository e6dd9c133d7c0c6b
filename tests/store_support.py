"""Helpers of the store tests: real bundled ECGs, findings from the real measurement engine."""

from __future__ import annotations

from ecgchat_desktop.findings import Findings
from ecgchat_desktop.interpret.statement import Statement
from ecgchat_desktop.io import read_ecg
from ecgchat_desktop.settings import SAMPLES_DIR

SAMPLE_HEADERS = [SAMPLES_DIR / f"ptbxl-{n}" / f"{n}_hr.hea" for n in ("00001", "00008", "00017")]

_TEXTS = {
    "SR": ("Sinus rhythm", "rhythm", "normal"),
    "AFIB": ("Atrial fibrillation", "rhythm", "abnormal"),
    "RBBB": ("Complete right bundle branch block", "conduction", "abnormal"),
    "STEMI": ("ST elevation myocardial infarction", "ischemia_infarction", "critical"),
    "LVH": ("Left ventricular hypertrophy", "chamber", "abnormal"),
}


def sample_ecgs():
    return [read_ecg(p) for p in SAMPLE_HEADERS]


def statement(code: str) -> Statement:
    text, category, severity = _TEXTS[code]
    return Statement(code=code, text=text, category=category, severity=severity,
                     evidence=[f"test criterion for {code}"], critical=severity == "critical")


def findings_for(ecg, codes=("SR",)) -> Findings:
    """Real measurements of `ecg` with the given statements (chosen, so searches are exact)."""
    from ecgchat_desktop.analysis import measure

    statements = [statement(c) for c in codes]
    return Findings(ecg_info=ecg.info_dict(), measurements=measure(ecg), statements=statements,
                    critical=any(s.critical for s in statements))


def crop(ecg, start_s: float, length_s: float = 8.0):
    """A distinct real recording cut from `ecg` (its own content hash)."""
    a = int(start_s * ecg.sampling_rate_hz)
    b = a + int(length_s * ecg.sampling_rate_hz)
    return ecg.with_changes(signals_mv=ecg.signals_mv[:, a:b])
