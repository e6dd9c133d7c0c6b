"""Narrative report sections for the report engineer: `draft_report_sections(findings, engine)`.

Six sections, each a dict {"title", "text", "source", "verdict", "claims", ...}:

    patient_information   program   age, sex, recording facts (no name/id: the report prints those itself)
    clinical_context      program   the context given by the caller, else "not provided"
    ecg_data_analysis     program   every number filled from Findings, never from the model
    findings              program   the statements with their evidence
    conclusion            model     a short drafted conclusion, claim-checked
    recommendations       model     drafted next steps from the knowledge passages, claim-checked

A model-drafted section whose claim check is not "verified" is NOT used: the section
falls back to program text built from the Findings and the knowledge base, and the
rejected draft is kept under "rejected_draft" with its flags for display/audit.
All text is a draft for physician confirmation.
"""

from __future__ import annotations

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


def _fallback_conclusion(findings) -> str:
    ordered = [s for s in _statements_by_severity(findings) if s.code not in ("ABNORMAL",)]
    if not ordered:
        return "No interpretation statement was made by the program."
    head = "; ".join(s.text for s in ordered)
    crit = " CRITICAL finding present: immediate physician review." if findings.critical else ""
    overall = "Abnormal ECG" if any(s.severity in ("abnormal", "critical") for s in ordered) else (
        "Borderline ECG" if any(s.severity == "borderline" for s in ordered) else "Normal ECG")
    return f"{overall}: {head}.{crit}"


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

    fallbacks = {"conclusion": _fallback_conclusion(findings),
                 "recommendations": _fallback_recommendations(findings)}
    prompts = {
        "conclusion": "Write the conclusion of the ECG report in one or two sentences, using only the "
                      "program statements. Do not add any diagnosis that is not listed.",
        "recommendations": "Suggest the typical next steps for the abnormal statements in one or two "
                           "sentences, using the reference passages. Do not add new diagnoses.",
    }
    kb = load_knowledge()
    for key in ("conclusion", "recommendations"):
        abnormal = [st for st in findings.statements if st.severity != "normal"]
        if engine is None or (key == "recommendations" and not abnormal):
            # nothing for the model to add when every statement is normal
            sections[key] = _program_section(key, fallbacks[key])
            continue
        passages = [kb.by_id[s.code] for s in _statements_by_severity(findings)
                    if s.code in kb.by_id and s.severity != "normal"][:2]
        ref = "\n".join(f"[{i}] {p.title}: {p.short(500)}" for i, p in enumerate(passages, 1))
        user = (f"REFERENCE passages:\n{ref}\n\n" if ref else "") + \
            f"Program statements: {fallbacks['conclusion']}\n\n{prompts[key]}"
        gen = engine.generate([system_message(findings), {"role": "user", "content": user}],
                              max_tokens=max_tokens)
        report = claims_mod.check_answer(gen.text, findings)
        section = {"title": SECTION_TITLES[key], "claims": report.to_dict(), "verdict": report.verdict,
                   "citations": [p.citation(i) for i, p in enumerate(passages, 1)]}
        if report.verdict == "verified" and gen.text.strip():
            section.update(text=gen.text.strip(), source="language model")
        else:
            section.update(text=fallbacks[key], source="program (model draft rejected by the claim check)",
                           rejected_draft=claims_mod.annotate(gen.text, report))
        sections[key] = section
    return sections
