"""One opened ECG and the steps that produce it (Qt-free; these run in worker threads).

read (file or database) -> display copy filtered -> analyse -> store. Each step returns
plain data; the window only shows what comes back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ecgchat_desktop.ui.display_filter import DisplayFilter, apply_display_filter


@dataclass
class OpenDocument:
    ecg: object                          # ecgchat_desktop.ecg.Ecg
    display_mv: np.ndarray               # filtered copy, for drawing only
    display_filter: DisplayFilter
    path: str | None = None
    findings: object | None = None       # Findings
    record_id: int | None = None
    statements: list = field(default_factory=list)   # current (confirmed if any, else program)
    confirmation: object | None = None
    analysis_error: str | None = None
    store_error: str | None = None
    is_new_record: bool = False

    @property
    def title(self) -> str:
        p = self.ecg.patient
        who = p.name or p.id or (Path(self.path).name if self.path else "ECG")
        return str(who)


def read_for_display(path: str, flt: DisplayFilter) -> OpenDocument:
    """Stage 1: the recording and its display copy. Raises EcgReadError subclasses only."""
    from ecgchat_desktop.io import read_ecg

    ecg = read_ecg(path)
    return OpenDocument(ecg=ecg, display_mv=apply_display_filter(ecg.signals_mv, ecg.sampling_rate_hz, flt),
                        display_filter=flt, path=str(path))


def analyse_and_store(doc: OpenDocument, store, user: str) -> OpenDocument:
    """Stage 2: our measurements and statements, then the database. A failure of either is
    recorded on the document (shown to the user) and never loses the tracing."""
    try:
        from ecgchat_desktop.ui.analysis_process import analyze

        doc.findings = analyze(doc.ecg)  # in a separate process: the GUI never waits for the GIL
        doc.statements = list(doc.findings.statements)
    except Exception as exc:  # analysis package absent or failed on this recording
        doc.analysis_error = f"{type(exc).__name__}: {exc}"
    if store is None:
        doc.store_error = doc.store_error or "database not available"
        return doc
    try:
        doc.record_id, doc.is_new_record = store.add_ecg(doc.ecg, findings=doc.findings,
                                                         source_path=doc.path, user=user)
        if not doc.is_new_record and doc.findings is not None:
            # Already stored (same signal): keep the physician's confirmed list if any.
            doc.confirmation = store.latest_confirmation(doc.record_id)
            if doc.confirmation is not None:
                doc.statements = list(store.current_statements(doc.record_id))
    except Exception as exc:
        doc.store_error = f"{type(exc).__name__}: {exc}"
    return doc


def load_from_store(store, record_id: int, flt: DisplayFilter) -> OpenDocument:
    ecg = store.load_ecg(record_id)
    doc = OpenDocument(ecg=ecg, display_mv=apply_display_filter(ecg.signals_mv, ecg.sampling_rate_hz, flt),
                       display_filter=flt, path=ecg.source_path, record_id=record_id)
    doc.findings = store.latest_findings(record_id)
    if doc.findings is None:
        doc.analysis_error = "no stored analysis"
    doc.confirmation = store.latest_confirmation(record_id)
    doc.statements = list(store.current_statements(record_id))
    return doc


def fiducials_of(findings) -> dict[str, list[int]]:
    """Sample indices of the analysis' fiducial points, by kind (for the overlay)."""
    if findings is None:
        return {}
    m = findings.measurements
    out: dict[str, list[int]] = {"r": list(m.r_peaks)}
    keys = {"p_on": "p_onset", "p_off": "p_offset", "qrs_on": "qrs_onset", "qrs_off": "qrs_offset",
            "t_off": "t_offset"}
    for kind, attr in keys.items():
        out[kind] = [getattr(b, attr) for b in m.beats if getattr(b, attr) is not None]
    if not out["r"]:
        out["r"] = [b.r_peak for b in m.beats]
    return out


def segment_summary(findings, fs: float, t0_s: float, t1_s: float, interval_ms: float) -> str:
    """A question about a caliper span, carrying the analysis' own beat data for that span
    (classes, RR intervals as measured by the analysis). Nothing is computed from the signal."""
    lines = [f"About the segment {t0_s:.2f}–{t1_s:.2f} s of this recording "
             f"(caliper interval {interval_ms:.0f} ms):"]
    if findings is None:
        lines.append("(no analysis available for this recording)")
    else:
        m = findings.measurements
        s0, s1 = t0_s * fs, t1_s * fs
        beats = [b for b in m.beats if s0 <= b.r_peak <= s1]
        if beats:
            lines.append(f"The analysis found {len(beats)} beat(s) in it:")
            for b in beats[:20]:
                rr = f", RR before {b.rr_prev_ms:.0f} ms" if b.rr_prev_ms else ""
                prem = ", premature" if b.premature else ""
                lines.append(f"- R at {b.r_peak / fs:.2f} s: {b.beat_class.replace('_', ' ')}{prem}{rr}")
        else:
            lines.append("The analysis found no beat in it.")
    lines.append("What does this segment show?")
    return "\n".join(lines)
