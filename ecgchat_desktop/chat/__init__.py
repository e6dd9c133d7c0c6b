"""Chat about one ECG with a local GGUF language model: grounded, cited, claim-checked.

Modules (one job each):
    models        which GGUF files exist (embedded default, user folder, added files)
    templates     chat templates (the GGUF's own, or explicit ones per model family)
    engine        ChatEngine (one llama-cpp model) and EngineWorker (its own thread + job queue)
    grounding     Findings -> compact prompt text; file text sanitised; history trimmed to the window
    knowledge     resources/knowledge passages (one per vocabulary statement + general) and BM25
    claims        claim check of an answer against the Findings; annotate() marks flagged claims
    session       ChatSession.ask(question) -> Answer (text, claims verdict, citations, timings)
    soft_tokens   ECG embedding vectors placed into the prompt at a marker (LLaVA-style)
    report_draft  draft_report_sections() for the PDF report

For the report engineer:

    from ecgchat_desktop.chat import draft_report_sections
    sections = draft_report_sections(findings, engine=ChatEngine(), clinical_context=None)
    # -> {"patient_information", "clinical_context", "ecg_data_analysis", "findings",
    #     "conclusion", "recommendations"}, each {"title", "text", "source", "verdict", "claims", ...}

The first four sections are program text built from Findings (numbers never come from the
model). Conclusion and recommendations are drafted by the model and claim-checked; a draft
that is not "verified" is replaced by program text and kept as "rejected_draft". Pass
engine=None for program text only (no model). Call it on the model's thread (e.g. through
EngineWorker.call). Patient name and id are never sent to the model.
"""

from __future__ import annotations


def draft_report_sections(findings, engine=None, clinical_context: str | None = None,
                          max_tokens: int = 120) -> dict[str, dict]:
    from ecgchat_desktop.chat.report_draft import draft_report_sections as _draft

    return _draft(findings, engine, clinical_context, max_tokens)


__all__ = ["draft_report_sections"]
