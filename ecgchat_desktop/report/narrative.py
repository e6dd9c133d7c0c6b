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
    """Adapt `chat.draft_report_sections` output: {key: {"title", "text", "source", "verdict",
    "claims", "citations", "rejected_draft"}} in section order (lists/Narrative accepted too)."""
    if isinstance(result, Narrative):
        return result
    items = list(result.values()) if isinstance(result, dict) else list(getattr(result, "sections", result))
    sections: list[NarrativeSection] = []
    used_model = False
    for i, item in enumerate(items):
        get = item.get if isinstance(item, dict) else (lambda k, d=None, _o=item: getattr(_o, k, d))
        title = str(get("title") or SECTION_TITLES[min(i, len(SECTION_TITLES) - 1)])
        source = get("source")
        flagged = [str(f) for f in (get("flagged") or [])]
        if get("rejected_draft"):
            flagged.append(str(get("rejected_draft")))
        notes = []
        claims = get("claims") or {}
        verdict = get("verdict") or (claims.get("verdict") if isinstance(claims, dict) else None)
        if source and "model" in str(source):
            checked = claims.get("checked") if isinstance(claims, dict) else None
            notes.append(f"{source}; claim check: {verdict or 'not run'}"
                         + (f" ({checked} claim(s) checked)" if checked is not None else ""))
            used_model = used_model or str(source).startswith("language model")
        for c in get("citations") or []:
            if isinstance(c, dict):
                notes.append(f"[{c.get('n')}] {c.get('title')} — {c.get('source')}")
        sections.append(NarrativeSection(title, str(get("text") or ""), flagged, str(source) if source else None,
                                         notes))
    extra = getattr(result, "claim_check", None) or []
    return Narrative(sections, source="llm" if used_model else "structured",
                     model=getattr(result, "model", None) or model_name,
                     claim_check=[str(c) for c in extra])


def make_drafter(model_path=None, max_tokens: int = 120) -> Drafter:
    """Load the model once; return a function drafting one ECG's narrative
    (`max_tokens` per model-drafted section)."""
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
        result = helper(given, engine, clinical_context=options.clinical_context, max_tokens=max_tokens)
        return to_narrative(result, getattr(engine, "model_name", None))

    draft.engine = engine  # type: ignore[attr-defined]
    return draft
