"""Page 2's narrative drafted by the local language model, through the chat package's
report helper (claim-checked there). Clinical numbers never come from the model: the
helper is given the findings, and its claim check rejects any number that disagrees."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from ecgchat_desktop.report.options import SECTION_TITLES, Narrative, NarrativeSection, ReportOptions

Drafter = Callable[[object, object, ReportOptions], Narrative]


class NarrativeUnavailable(RuntimeError):
    """No language-model narrative can be drafted (helper or model missing)."""


def deidentified_findings(findings):
    """A copy of the findings without name and id, for a model drafting a de-identified report."""
    info = dict(findings.ecg_info)
    patient = dict(info.get("patient") or {})
    patient["name"] = None
    patient["id"] = None
    info["patient"] = patient
    info.pop("source_path", None)
    return replace(findings, ecg_info=info)


def _helper():
    try:
        import ecgchat_desktop.chat as chat
    except ImportError as exc:
        raise NarrativeUnavailable(f"the chat package cannot be loaded ({exc})") from None
    helper = getattr(chat, "draft_report_sections", None)
    if helper is None:
        raise NarrativeUnavailable("the language-model report helper (chat.draft_report_sections) "
                                   "is not part of this build")
    return helper


def to_narrative(result, model_name: str | None) -> Narrative:
    """Adapt the helper's result (a Narrative, a list of sections, or a dict title -> text)."""
    if isinstance(result, Narrative):
        return result
    sections = getattr(result, "sections", result)
    out: list[NarrativeSection] = []
    if isinstance(sections, dict):
        items = list(sections.items())
    else:
        items = []
        for s in sections:
            if isinstance(s, dict):
                items.append((s.get("title"), s.get("text", ""), s.get("flagged") or s.get("rejected") or []))
            else:
                items.append((getattr(s, "title", None), getattr(s, "text", ""),
                              list(getattr(s, "flagged", None) or getattr(s, "rejected", None) or [])))
    for i, item in enumerate(items):
        title, text = item[0], item[1]
        flagged = list(item[2]) if len(item) > 2 else []
        out.append(NarrativeSection(str(title or SECTION_TITLES[min(i, len(SECTION_TITLES) - 1)]), str(text),
                                    [str(f) for f in flagged]))
    claim = getattr(result, "claim_check", None) or getattr(result, "claim_summary", None) or []
    if isinstance(claim, str):
        claim = [claim]
    return Narrative(out, source="llm", model=getattr(result, "model", None) or model_name,
                     claim_check=[str(c) for c in claim])


def make_drafter(model_path=None) -> Drafter:
    """Load the model once; return a function drafting one ECG's narrative."""
    helper = _helper()
    try:
        from ecgchat_desktop.chat.engine import ChatEngine, EngineSettings

        engine = ChatEngine(EngineSettings(model_path=model_path))
    except Exception as exc:  # missing/damaged model file: report it, fall back upstream
        raise NarrativeUnavailable(f"the language model cannot be loaded ({exc})") from None

    def draft(ecg, findings, options: ReportOptions) -> Narrative:
        if findings is None:
            raise NarrativeUnavailable("the recording has not been analysed")
        given = deidentified_findings(findings) if options.deidentify else findings
        return to_narrative(helper(given, engine), getattr(engine, "model_name", None))

    draft.engine = engine  # type: ignore[attr-defined]
    return draft
