"""The six narrative sections built from `Findings` alone (no language model).

Used for `--no-llm` and whenever no model is available. Every number comes from the
measurements; every statement is quoted with the criteria that fired it.
"""

from __future__ import annotations

from ecgchat_desktop.interpret.statement import SEVERITIES
from ecgchat_desktop.report.options import (
    QTC_FORMULA_LABELS,
    SECTION_TITLES,
    Narrative,
    NarrativeSection,
    ReportOptions,
)
from ecgchat_desktop.report.values import (
    DASH,
    fmt_age,
    fmt_bpm,
    fmt_datetime,
    fmt_deg,
    fmt_ms,
    fmt_sex,
)


def overall_severity(findings) -> str:
    """The most severe statement's severity ('normal' when there are none)."""
    if findings is None or not findings.statements:
        return "normal"
    ranks = [SEVERITIES.index(s.severity) if s.severity in SEVERITIES else len(SEVERITIES)
             for s in findings.statements]
    return SEVERITIES[min(min(ranks), len(SEVERITIES) - 1)]


def measurement_sentences(findings, options: ReportOptions) -> str:
    m = findings.measurements
    parts = []
    rate = f"Ventricular rate {fmt_bpm(m.hr_bpm)}"
    if m.rr_ms is not None:
        rate += f" (mean RR {fmt_ms(m.rr_ms)}"
        if m.rr_min_ms is not None and m.rr_max_ms is not None:
            rate += f", range {fmt_ms(m.rr_min_ms)} to {fmt_ms(m.rr_max_ms)}"
        rate += ")"
    if m.atrial_rate_bpm is not None:
        rate += f"; atrial rate {fmt_bpm(m.atrial_rate_bpm)}"
    parts.append(rate + ".")
    beats = f"{m.n_beats} beats detected, {m.n_dominant} dominant"
    if m.n_ventricular_ectopic:
        beats += f", {m.n_ventricular_ectopic} ventricular ectopic"
    if m.n_supraventricular_ectopic:
        beats += f", {m.n_supraventricular_ectopic} supraventricular ectopic"
    if m.n_paced:
        beats += f", {m.n_paced} paced"
    parts.append(beats + ".")
    parts.append(f"P duration {fmt_ms(m.p_ms)}, PR interval {fmt_ms(m.pr_ms)}, QRS duration {fmt_ms(m.qrs_ms)}, "
                 f"QT interval {fmt_ms(m.qt_ms)}.")
    qtc = [f"{fmt_ms((m.qtc_ms or {}).get(name))} ({QTC_FORMULA_LABELS[name]})" for name in options.qtc_formulas]
    parts.append("QTc " + ", ".join(qtc) + ".")
    parts.append(f"Frontal axes: P {fmt_deg(m.p_axis_deg)}, QRS {fmt_deg(m.qrs_axis_deg)}, T {fmt_deg(m.t_axis_deg)}.")
    bad = {lead: q for lead, q in (m.lead_quality or {}).items() if q != "good"}
    if bad:
        parts.append("Signal quality: " + ", ".join(f"{lead} {q.replace('_', ' ')}" for lead, q in bad.items()) + ".")
    for note in m.analysis_notes or []:
        note = str(note).strip().rstrip(".")
        if note:
            parts.append(note[0].upper() + note[1:] + ".")
    return " ".join(parts)


def structured_narrative(ecg, findings, options: ReportOptions, patient_fields: dict) -> Narrative:
    """Page 2 without a model: the same six sections, filled from the findings only.

    `patient_fields` are the already de-identified (if asked) header fields, so that this
    function cannot leak a name the caller removed.
    """
    patient_lines = [
        f"Name: {patient_fields['name']}; ID: {patient_fields['id']}." if not options.deidentify
        else "De-identified export: name and identifiers removed.",
        f"Sex: {patient_fields['sex']}; age: {patient_fields['age']}.",
    ]
    recorded = "Recorded"
    if patient_fields["acquired"] != DASH:
        recorded += f" {patient_fields['acquired']}"
    if patient_fields["device"] != DASH:
        recorded += f" on {patient_fields['device']}"
    patient_lines.append(f"{recorded}: {ecg.n_leads} leads, {ecg.sampling_rate_hz:g} Hz, {ecg.duration_s:.1f} s.")
    context = options.clinical_context.strip() if options.clinical_context else ""
    context_text = context or "No indication or clinical history was entered with this recording."
    if options.referring_physician and not options.deidentify:
        context_text += f" Referred by {options.referring_physician}."

    if findings is None:
        analysis = "The recording has not been analysed; no measurements are available."
        findings_text = "No interpretation statements (not analysed)."
        conclusion = "Not analysed."
        recommendations = "Analyse the recording before reporting."
        sections = [" ".join(patient_lines), context_text, analysis, findings_text,
                    conclusion, recommendations]
        return Narrative([NarrativeSection(t, x) for t, x in zip(SECTION_TITLES, sections)], source="structured")

    analysis = measurement_sentences(findings, options)
    if findings.statements:
        findings_lines = []
        for s in findings.statements:
            tag = "CRITICAL" if s.critical else s.severity
            line = f"[{tag}] {s.text}"
            if s.evidence:
                line += " — criteria: " + "; ".join(s.evidence)
            findings_lines.append(line)
        findings_text = "\n".join(findings_lines)
    else:
        findings_text = "The program made no interpretation statement."

    severity = overall_severity(findings)
    headline = {
        "critical": "Abnormal ECG with a CRITICAL finding",
        "abnormal": "Abnormal ECG",
        "borderline": "Borderline ECG",
        "normal": "Normal ECG" if findings.statements else "No abnormality stated by the program",
    }[severity]
    main = [s.text for s in findings.statements if s.severity in ("critical", "abnormal")] or \
        [s.text for s in findings.statements if s.severity == "borderline"]
    conclusion = headline + (": " + "; ".join(main) if main else "") + "."
    conclusion += " Program interpretation, to be confirmed by a physician."

    if findings.critical:
        recommendations = ("Critical finding: immediate review by a physician and clinical correlation; "
                           "act according to local protocol (e.g. STEMI pathway where applicable).")
    elif severity == "abnormal":
        recommendations = ("Clinical correlation and comparison with previous ECGs; "
                           "further evaluation as clinically indicated.")
    elif severity == "borderline":
        recommendations = "Compare with previous ECGs; repeat the ECG if clinically indicated."
    else:
        recommendations = "No ECG-based action suggested by the program."
    if any(q != "good" for q in (findings.measurements.lead_quality or {}).values()):
        recommendations += " Repeat the recording if signal quality limits the reading."
    texts = [" ".join(patient_lines), context_text, analysis, findings_text, conclusion, recommendations]
    return Narrative([NarrativeSection(t, x) for t, x in zip(SECTION_TITLES, texts)], source="structured")


def header_fields(ecg, options: ReportOptions) -> dict:
    """The patient/acquisition fields printed in headers, de-identified when asked."""
    p = ecg.patient
    removed = "[removed]"
    if options.deidentify:
        acquired = str(ecg.acquired_at.year) if ecg.acquired_at else DASH  # dates: year only
        return {
            "name": removed, "id": removed, "sex": fmt_sex(p.sex), "age": fmt_age(p.age_years),
            "birth_date": DASH, "acquired": acquired,
            "device": ecg.device or DASH, "referring": removed if options.referring_physician else DASH,
            "reading": removed if options.reading_physician else DASH,
            "record": "de-identified",
        }
    return {
        "name": fmt_person_name(p.name), "id": p.id or DASH, "sex": fmt_sex(p.sex), "age": fmt_age(p.age_years),
        "birth_date": p.birth_date.isoformat() if p.birth_date else DASH,
        "acquired": fmt_datetime(ecg.acquired_at), "device": ecg.device or DASH,
        "referring": options.referring_physician or DASH, "reading": options.reading_physician or DASH,
        "record": options.record_label or (ecg.source_path and _basename(ecg.source_path)) or DASH,
    }


def fmt_person_name(name: str | None) -> str:
    """DICOM/HL7 person names 'Family^Given^Middle' printed as 'Family, Given Middle'."""
    if not name or not str(name).strip():
        return DASH
    parts = [x.strip() for x in str(name).split("^")]
    family, rest = parts[0], " ".join(x for x in parts[1:] if x)
    return f"{family}, {rest}" if family and rest else (family or rest)


def _basename(path: str) -> str:
    from pathlib import PurePath

    return PurePath(path).name
