"""Narrative report sections for the report engineer: `draft_report_sections(findings, engine)`.

Six sections, each a dict {"title", "text", "source", "verdict", "claims", ...}:

    patient_information   program   age, sex, recording facts (no name/id: the report prints those itself)
    clinical_context      program   the context given by the caller, else "not provided"
    ecg_data_analysis     program   every number filled from Findings, never from the model
    findings              program   the statements with their evidence
    conclusion            program   built from the findings (critical first, by severity, draft notice);
                          the model may only phrase it (draft_conclusion), claim-checked
    recommendations       model     drafted next steps from the knowledge passages, claim-checked

A model-drafted section whose claim check is not "verified" is NOT used: the section
falls back to program text built from the Findings and the knowledge base, and the
rejected draft is kept under "rejected_draft" with its flags for display/audit.
All text is a draft for physician confirmation.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecgchat_desktop.chat import claims as claims_mod
from ecgchat_desktop.chat.grounding import measurement_lines, patient_line, system_message
from ecgchat_desktop.chat.knowledge import load_knowledge

SECTION_TITLES = {
    "patient_information": "Patient information",
    "clinical_context": "Clinical context",
    "ecg_data_analysis": "ECG data analysis",
    "findings": "Findings",
    "conclusion": "Conclusion",
    "recommendations": "Recommendations",
}

_SEVERITY_ORDER = {"critical": 0, "abnormal": 1, "borderline": 2, "normal": 3}


def _program_section(key: str, text: str) -> dict:
    report = claims_mod.ClaimReport()
    return {"title": SECTION_TITLES[key], "text": text, "source": "program", "verdict": report.verdict,
            "claims": report.to_dict()}


def _statements_by_severity(findings):
    return sorted(findings.statements, key=lambda s: _SEVERITY_ORDER.get(s.severity, 9))


_OVERALL_CODES = ("NORM", "BORDERLINE", "ABNORMAL")
DRAFT_NOTICE = "Computer-generated draft, to be confirmed by a physician."
_SEVERITY_WORD = {"critical": "Critical", "abnormal": "Abnormal", "borderline": "Borderline", "normal": "Normal"}


def _conclusion_order(findings):
    """Critical statements first, then by severity; the overall labels left out."""
    return sorted((s for s in findings.statements if s.code not in _OVERALL_CODES),
                  key=lambda s: (not s.critical, _SEVERITY_ORDER.get(s.severity, 9)))


def _overall_label(findings) -> str:
    by_code = {s.code: s for s in findings.statements}
    for code in ("ABNORMAL", "BORDERLINE", "NORM"):
        if code in by_code:
            return by_code[code].text
    specific = _conclusion_order(findings)
    if any(s.severity in ("abnormal", "critical") or s.critical for s in specific):
        return "Abnormal ECG"
    if any(s.severity == "borderline" for s in specific):
        return "Borderline ECG"
    return "Normal ECG" if specific else "No interpretation statement"


def program_conclusion(findings) -> str:
    """The draft conclusion built from the findings alone: critical flags first (with the
    measured evidence), the overall label, every statement grouped by severity, and the
    notice that it is a computer-generated draft."""
    specific = _conclusion_order(findings)
    if not findings.statements:
        return "No interpretation statement was made by the program. " + DRAFT_NOTICE
    lines = []
    crit = [s for s in specific if s.critical]
    if crit:
        # the measured evidence, unless the statement's text already carries its value
        parts = [s.text + (f" ({s.evidence[0]})" if s.evidence and not any(ch.isdigit() for ch in s.text) else "")
                 for s in crit]
        lines.append("CRITICAL: " + "; ".join(parts) + ". Immediate physician review.")
    lines.append(_overall_label(findings) + ".")
    for severity in ("abnormal", "borderline", "normal"):
        group = [s.text for s in specific if not s.critical and s.severity == severity]
        if group:
            lines.append(f"{_SEVERITY_WORD[severity]}: " + "; ".join(group) + ".")
    lines.append(DRAFT_NOTICE)
    return "\n".join(lines)


def statements_named(text: str, findings) -> tuple[list[str], list[str]]:
    """(missing, denied): statements of the findings (overall labels aside) that `text`
    does not name specifically (an umbrella word such as "arrhythmia" names none), and
    those it names only to deny."""
    asserted: set[str] = set()
    denied: set[str] = set()
    for a, b in claims_mod._sentences(text):
        sentence = text[a:b]
        for idx, end, _term, codes in claims_mod.term_spans(sentence):
            if len(codes) > 2:
                continue
            (denied if claims_mod._negated(sentence, idx, end) else asserted).update(codes)
    low = text.lower()
    missing, denied_out = [], []
    for s in _conclusion_order(findings):
        named = s.code in asserted or s.text.lower() in low
        if s.code in denied and not named:
            denied_out.append(s.code)
        elif not named:
            missing.append(s.code)
    return missing, denied_out


@dataclass
class ConclusionDraft:
    text: str                   # what is shown: program draft, or the model's accepted phrasing of it
    source: str                 # "program" | "language model"
    model_text: str             # what the model wrote ("" without a model)
    model_claims: claims_mod.ClaimReport | None
    rejected_because: str       # why the model phrasing was not used ("" when used)
    generation: object = None   # the engine's Generation (timings)


_PHRASE_PROMPT = ("Program statements for this ECG:\n{statements}\n\n"
                  "Write the conclusion of the ECG report as one sentence that names every program "
                  "statement above. Add no other diagnosis and no numbers.")


def draft_conclusion(findings, engine=None, max_tokens: int = 80, cancel=None) -> ConclusionDraft:
    """The conclusion is BUILT from the findings; the model only phrases it. Its sentence is
    used only when the claim check verifies it, it names every statement and denies none,
    and then opens the draft; the critical line, the statements by severity and the
    physician notice are always the program's own text."""
    program = program_conclusion(findings)
    specific = _conclusion_order(findings)
    if engine is None or not specific:
        return ConclusionDraft(program, "program", "", None, "no model" if engine is None else "no statement")
    listing = "\n".join(f"- {s.text}" for s in specific)
    messages = [system_message(findings),
                {"role": "user", "content": _PHRASE_PROMPT.format(statements=listing)}]
    gen = engine.generate(messages, max_tokens=max_tokens, cancel=cancel,
                          stop_at_blank_line=getattr(engine, "is_small", False),
                          assistant_prefix="This ECG shows")
    model_text = ("This ECG shows" + gen.text).strip()
    d = phrased_conclusion(findings, model_text, cancelled=gen.finish_reason == "cancelled")
    d.generation = gen
    return d


def phrased_conclusion(findings, model_text: str, cancelled: bool = False) -> ConclusionDraft:
    """The draft given the model's phrasing: used only when the claim check verifies it,
    it names every statement and denies none; then it opens the draft (after any critical
    line) and the program's lines, every statement with its severity, stay below it."""
    program = program_conclusion(findings)
    report = claims_mod.check_answer(model_text, findings)
    missing, denied = statements_named(model_text, findings)
    why = []
    if cancelled:
        why.append("cancelled")
    if report.verdict != "verified":
        why.append(f"claim check: {report.verdict}")
    if missing:
        why.append("leaves out " + ", ".join(missing))
    if denied:
        why.append("denies " + ", ".join(denied))
    if why:
        return ConclusionDraft(program, "program", model_text, report, "; ".join(why))
    lines = program.split("\n")
    crit = [ln for ln in lines if ln.startswith("CRITICAL:")]
    text = "\n".join(crit + [model_text] + [ln for ln in lines if not ln.startswith("CRITICAL:")])
    return ConclusionDraft(text, "language model", model_text, report, "")


def _fallback_recommendations(findings) -> str:
    kb = load_knowledge()
    lines = []
    for s in _statements_by_severity(findings):
        p = kb.by_id.get(s.code)
        if p is None or s.severity == "normal":
            continue
        steps = [part for part in p.text.split("Next steps: ")[1:]]
        if steps:
            step = steps[0].split(" Criteria:")[0].strip()
            lines.append(f"{s.text}: {step} (per {p.source.split(';')[0]})")
    if not lines:
        return "No ECG-driven action suggested; correlate with the clinical picture."
    return " ".join(lines)


def draft_report_sections(findings, engine=None, clinical_context: str | None = None,
                          max_tokens: int = 120) -> dict[str, dict]:
    """The six report sections for `findings`. `engine` (a ChatEngine, used on the calling
    thread) drafts the conclusion and recommendations; without one, program text is used."""
    info = findings.ecg_info or {}
    rec = []
    if info.get("acquired_at"):
        rec.append(f"Recorded {info['acquired_at']}")
    if info.get("device"):
        rec.append(f"device {info['device']}")
    if info.get("leads"):
        rec.append(f"{len(info['leads'])} leads")
    if info.get("sampling_rate_hz"):
        rec.append(f"{float(info['sampling_rate_hz']):g} Hz")
    if info.get("duration_s"):
        rec.append(f"{float(info['duration_s']):.1f} s")
    patient = patient_line(info).removeprefix("Patient: ")
    sections: dict[str, dict] = {
        "patient_information": _program_section(
            "patient_information", patient + (" " + ", ".join(rec) + "." if rec else "")),
        "clinical_context": _program_section(
            "clinical_context", clinical_context.strip() if clinical_context else "Not provided."),
        "ecg_data_analysis": _program_section(
            "ecg_data_analysis", " ".join(measurement_lines(findings.measurements))),
    }
    finding_lines = []
    for s in _statements_by_severity(findings):
        ev = "; ".join(s.evidence)
        finding_lines.append(f"{s.text}" + (" [CRITICAL]" if s.critical else "") + (f" ({ev})" if ev else ""))
    sections["findings"] = _program_section(
        "findings", "\n".join(finding_lines) if finding_lines else "No statements.")

    # The conclusion is built from the findings; the model may only phrase it (draft_conclusion).
    if engine is None:
        sections["conclusion"] = _program_section("conclusion", program_conclusion(findings))
    else:
        d = draft_conclusion(findings, engine, max_tokens=max_tokens)
        shown = claims_mod.check_answer(d.text, findings)  # the verdict of the text shown
        sections["conclusion"] = {"title": SECTION_TITLES["conclusion"], "text": d.text,
                                  "claims": shown.to_dict(), "verdict": shown.verdict}
        if d.source == "language model":
            sections["conclusion"]["source"] = "language model"
        elif d.model_text:
            sections["conclusion"].update(
                source="program (model draft rejected by the claim check)",
                rejected_draft=claims_mod.annotate(d.model_text, d.model_claims) + f" ({d.rejected_because})")
        else:
            sections["conclusion"]["source"] = "program"
    kb = load_knowledge()
    abnormal = [st for st in findings.statements if st.severity != "normal"]
    fallback = _fallback_recommendations(findings)
    if engine is None or not abnormal:
        # nothing for the model to add when every statement is normal
        sections["recommendations"] = _program_section("recommendations", fallback)
        return sections
    passages = [kb.by_id[s.code] for s in _statements_by_severity(findings)
                if s.code in kb.by_id and s.severity != "normal"][:2]
    ref = "\n".join(f"[{i}] {p.title}: {p.short(500)}" for i, p in enumerate(passages, 1))
    user = (f"REFERENCE passages:\n{ref}\n\n" if ref else "") + \
        f"Program statements: {program_conclusion(findings)}\n\n" \
        "Suggest the typical next steps for the abnormal statements in one or two sentences, using the " \
        "reference passages. Do not add new diagnoses."
    gen = engine.generate([system_message(findings), {"role": "user", "content": user}], max_tokens=max_tokens)
    report = claims_mod.check_answer(gen.text, findings)
    section = {"title": SECTION_TITLES["recommendations"], "claims": report.to_dict(), "verdict": report.verdict,
               "citations": [p.citation(i) for i, p in enumerate(passages, 1)]}
    if report.verdict == "verified" and gen.text.strip():
        section.update(text=gen.text.strip(), source="language model")
    else:
        section.update(text=fallback, source="program (model draft rejected by the claim check)",
                       rejected_draft=claims_mod.annotate(gen.text, report))
    sections["recommendations"] = section
    return sections
