"""The rendered report read back with pypdf: the numbers and statements printed are the
measured ones, draft/confirmed/critical marks, metadata, embedded fonts, de-identification.

The recording is the bundled real PTB-XL record 00008 (CC BY 4.0). Its header carries no
patient data, so the tests attach a FICTIONAL name, id and birth date (and PTB-XL's real
age/sex/device/date of that record) to check that they are printed, and removed on export.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime

import pypdf
import pytest

from ecgchat_desktop.ecg import Patient
from ecgchat_desktop.findings import analyze_ecg
from ecgchat_desktop.io import read_ecg
from ecgchat_desktop.report import (
    LAYOUTS,
    Confirmation,
    Narrative,
    NarrativeSection,
    ReportOptions,
    SECTION_TITLES,
    TranscriptMessage,
    render_report,
)
from ecgchat_desktop.settings import SAMPLES_DIR

SAMPLE = SAMPLES_DIR / "ptbxl-00008" / "00008_hr.hea"
FAMILY, GIVEN, PID = "Mustermann", "Erika", "PTBXL-15709"


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def pages_text(pdf: bytes) -> list[str]:
    import io

    return [norm(p.extract_text()) for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture(scope="module")
def ecg():
    raw = read_ecg(SAMPLE)
    return raw.with_changes(
        patient=Patient(id=PID, name=f"{FAMILY}^{GIVEN}", sex="F", age_years=56.0, birth_date=date(1928, 5, 1)),
        acquired_at=datetime(1984, 11, 9, 9, 17, 34), device="CS-12 E")


@pytest.fixture(scope="module")
def findings(ecg):
    return analyze_ecg(ecg)


@pytest.fixture(scope="module")
def options():
    return ReportOptions(referring_physician="Dr. Anna Schmidt", reading_physician="Dr. Bernd Weber")


@pytest.fixture(scope="module")
def report(ecg, findings, options):
    return render_report(ecg, findings, options)


def expected_values(findings, formulas=("bazett", "fridericia")) -> dict[str, str]:
    m = findings.measurements
    out = {}
    for label, value, unit in (("Heart rate", m.hr_bpm, " bpm"), ("PR", m.pr_ms, " ms"), ("P", m.p_ms, " ms"),
                               ("QRS", m.qrs_ms, " ms"), ("QT", m.qt_ms, " ms")):
        if value is not None:
            out[label] = f"{round(value)}{unit}"
    for name in formulas:
        value = m.qtc_ms.get(name)
        if value is not None:
            out[f"QTc {name.capitalize()}"] = f"{round(value)} ms"
    axes = [m.p_axis_deg, m.qrs_axis_deg, m.t_axis_deg]
    out["P / QRS / T axis"] = " / ".join("—" if a is None else f"{round(a)}°" for a in axes)
    return out


def test_page1_prints_the_measured_numbers(report, findings):
    page1 = pages_text(report)[0]
    m = findings.measurements
    assert m.hr_bpm is not None and m.qrs_ms is not None  # the sample is measurable
    for label, value in expected_values(findings).items():
        assert f"{label} {value}" in page1, (label, value)


def test_page1_prints_every_statement_with_its_severity(report, findings):
    page1, page2 = pages_text(report)[:2]
    assert findings.statements
    overflow = re.search(r"\+ (\d+) more statement\(s\) on page 2", page1)
    shown = 0
    for s in findings.statements:
        text = norm(s.text)
        assert text in page2  # page 2 lists all, with criteria
        if text in page1:
            shown += 1
            assert re.search(re.escape(s.severity.upper()) + r"\s+" + re.escape(text), page1) or s.critical
        for criterion in s.evidence:
            assert norm(criterion) in page2
    assert shown == len(findings.statements) or (overflow and shown + int(overflow.group(1)) == len(findings.statements))


def test_header_and_settings_are_printed(report, ecg):
    page1 = pages_text(report)[0]
    for text in (f"{FAMILY}, {GIVEN}", PID, "female, 56 y (born 1928-05-01)", "1984-11-09 09:17", "CS-12 E",
                 "Dr. Anna Schmidt", "Dr. Bernd Weber", "Speed 25 mm/s", "Gain 10 mm/mV", "Filter 0.5–150 Hz",
                 "Layout 3×4 + 1 rhythm (II)", "Calibration 1 mV", "Grid 1 mm / 5 mm",
                 "UNCONFIRMED PROGRAM DRAFT"):
        assert text in page1, text
    for lead in ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6", "II (rhythm)"):
        assert re.search(rf"(^| ){re.escape(lead)}( |$)", page1), lead


def test_page2_has_the_six_sections_from_the_findings(report, findings):
    page2 = pages_text(report)[1]
    positions = [page2.index(title) for title in SECTION_TITLES]
    assert positions == sorted(positions)
    m = findings.measurements
    assert f"Ventricular rate {round(m.hr_bpm)} bpm" in page2
    assert f"QRS duration {round(m.qrs_ms)} ms" in page2
    assert "Median beats — 25 mm/s, 10 mm/mV" in page2
    assert "Per-lead amplitudes on the median beat (mV)" in page2
    for lead in ("V2", "II"):  # each lead's row: name, then Q R S STj ST60 T as measured
        a = m.lead_amplitudes[lead]
        assert a.r_mv is not None
        assert re.search(rf"{lead} \S+ {round(a.r_mv, 2) + 0.0:.2f} ", page2), lead
    assert "UNCONFIRMED PROGRAM DRAFT — structured summary, no language model" in page2
    assert "Not confirmed. Reading physician" in page2


def test_metadata_is_set(report):
    import io

    meta = pypdf.PdfReader(io.BytesIO(report)).metadata
    assert meta.title.startswith("ECG report") and FAMILY in meta.title
    assert meta.author == "Dr. Bernd Weber"
    assert "12-lead ECG report" in meta.subject
    assert meta.creator.startswith("ECG-Chat Desktop")


def test_fonts_are_embedded(report):
    import io

    reader = pypdf.PdfReader(io.BytesIO(report))
    seen = 0
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert descriptor is not None, f"font {font.get('/BaseFont')} is not embedded"
            descriptor = descriptor.get_object()
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font.get("/BaseFont")
            assert "DejaVu" in str(font["/BaseFont"])
            seen += 1
    assert seen


def test_confirmation_replaces_the_draft_mark(ecg, findings, options):
    when = datetime(2026, 11, 29, 8, 5)
    pdf = render_report(ecg, findings, options,
                        confirmation=Confirmation("Dr. Clara Kardio", when, statements_confirmed=True))
    page1, page2 = pages_text(pdf)[:2]
    assert "Confirmed by Dr. Clara Kardio on 2026-11-29 08:05" in page1
    assert "UNCONFIRMED PROGRAM DRAFT" not in page1
    assert "Confirmed (statements) by Dr. Clara Kardio" in page2


def test_critical_statement_is_flagged_visibly(ecg, findings, options):
    from ecgchat_desktop.interpret.vocabulary import make_statement

    # A physician adds a critical statement on confirmation (real vocabulary entry).
    added = replace(make_statement("3AVB", ["added by the reading physician"]), source="physician")
    assert added.critical  # the vocabulary marks complete AV block critical
    confirmed = replace(findings, statements=[*findings.statements, added], critical=True)
    page1 = pages_text(render_report(ecg, confirmed, options))[0]
    assert "CRITICAL FINDING — review now" in page1
    assert f"⚠ CRITICAL {norm(added.text)}" in page1


def test_llm_narrative_is_marked_as_ai_draft(ecg, findings, options):
    narrative = Narrative([NarrativeSection(t, f"{t} text.") for t in SECTION_TITLES], source="llm",
                          model="SmolLM2-135M-Instruct", claim_check=["3 numbers checked, 0 rejected"])
    narrative.sections[2].flagged.append("The QRS is 300 ms.")
    page2 = pages_text(render_report(ecg, findings, options, narrative=narrative))[1]
    assert "AI DRAFT — NOT CONFIRMED" in page2
    assert "SmolLM2-135M-Instruct" in page2
    assert "Not verified by the claim check, removed from the text: “The QRS is 300 ms.”" in page2
    # The program's criteria are printed whatever the model wrote.
    for s in findings.statements:
        assert norm(s.text) in page2
    confirmed = render_report(ecg, findings, options, narrative=narrative,
                              confirmation=Confirmation("Dr. Clara Kardio", datetime(2026, 11, 29, 8, 5),
                                                        statements_confirmed=True, narrative_confirmed=True))
    page2 = pages_text(confirmed)[1]
    assert "AI DRAFT — NOT CONFIRMED" not in page2
    assert "Confirmed by Dr. Clara Kardio on 2026-11-29 08:05" in page2


def test_transcript_appendix_is_optional(ecg, findings, options):
    transcript = [TranscriptMessage("user", "Is the PR interval prolonged?"),
                  TranscriptMessage("assistant", "The measured PR interval is printed on page 1.")]
    with_t = pages_text(render_report(ecg, findings, options, transcript=transcript))
    assert len(with_t) == 3
    assert "Appendix — chat transcript" in with_t[2] and "Is the PR interval prolonged?" in with_t[2]
    without = pages_text(render_report(ecg, findings, replace(options, include_transcript=False),
                                       transcript=transcript))
    assert len(without) == 2


def test_deidentified_export_removes_names_and_ids_everywhere(ecg, findings, options):
    import io

    transcript = [TranscriptMessage("user", f"Patient {GIVEN} {FAMILY} ({PID}) asks: is this normal?",
                                    datetime(2026, 11, 29, 7, 1)),
                  TranscriptMessage("assistant", f"For {FAMILY.upper()} the rate is printed on page 1.")]
    opts = replace(options, deidentify=True, clinical_context=f"Chest pain, seen by Dr. Anna Schmidt")
    pdf = render_report(ecg, findings, opts, transcript=transcript,
                        confirmation=Confirmation("Dr. Clara Kardio", datetime(2026, 11, 29, 8, 5)))
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    texts = pages_text(pdf)
    everything = " ".join(texts) + " " + " ".join(str(v) for v in reader.metadata.values())
    for secret in (FAMILY, GIVEN, PID, "1928", "Schmidt", "Weber", "Kardio", "00008_hr", "1984-11-09",
                   "2026-11-29"):  # dates (acquisition, confirmation, chat) reduced to the year
        assert secret.lower() not in everything.lower(), secret
        assert secret.encode() not in pdf
    assert "[removed]" in everything
    assert "ECG report (de-identified)" == reader.metadata.title
    # Clinical content survives.
    for label, value in expected_values(findings).items():
        assert f"{label} {value}" in texts[0]


@pytest.mark.parametrize("layout,speed,gain", [(LAYOUTS[0], 25.0, 10.0), (LAYOUTS[1], 50.0, 5.0),
                                               (LAYOUTS[2], 50.0, 20.0), (LAYOUTS[3], 25.0, 5.0)])
def test_every_layout_speed_and_gain_renders(ecg, findings, layout, speed, gain):
    pdf = render_report(ecg, findings, ReportOptions(layout=layout, speed_mm_s=speed, gain_mm_mv=gain,
                                                     paper="letter", chest_half_gain=True))
    page1 = pages_text(pdf)[0]
    assert f"Speed {speed:g} mm/s" in page1 and f"Gain {gain:g} mm/mV" in page1
    assert f"chest leads V1–V6 at {gain / 2:g} mm/mV (HALF GAIN)" in page1
    assert "½ gain" in page1
    assert f"{10.0 if speed == 25 else 5.0:.1f} s of 10.0 s shown" in page1


def test_unanalysed_recording_still_prints_the_tracing(ecg):
    page1 = pages_text(render_report(ecg, None, ReportOptions()))[0]
    assert "Heart rate —" in page1 and "Not analysed." in page1


def test_critical_real_recording(data_dir):
    """A real Challenge record flagged critical by the program prints the critical banner and
    the flagged statements (records with tachycardia, wide QRS or STEMI criteria; the first
    one the current rules flag is used)."""
    candidates = ["ningbo/JS45545", "chapman/JS00005", "cpsc2018/A0109", "ningbo/JS45548", "cpsc2018/A0034"]
    for name in candidates:
        path = data_dir / "cinc" / f"{name}.hea"
        if not path.exists():
            continue
        ecg = read_ecg(path)
        findings = analyze_ecg(ecg)
        if findings.critical:
            break
    else:
        pytest.skip("none of the candidate records is flagged critical by the current rules")
    page1 = pages_text(render_report(ecg, findings, ReportOptions()))[0]
    assert "CRITICAL FINDING — review now" in page1
    critical = [s for s in findings.statements if s.critical]
    for s in critical:  # critical statements come first, so they are always on page 1
        assert f"⚠ CRITICAL {norm(s.text)}" in page1


def test_similar_cases_from_the_encoder_are_listed_when_present(ecg, findings, options):
    with_cases = replace(findings, encoder={"similar_cases": [
        {"report": "sinus rhythm, left ventricular hypertrophy", "similarity": 0.91},
        {"report": "sinus rhythm, normal ECG", "similarity": 0.84}]})
    page2 = " ".join(pages_text(render_report(ecg, with_cases, options))[1:])
    assert "Similar prior cases" in page2
    assert "sinus rhythm, left ventricular hypertrophy (similarity 0.91)" in page2
    assert "Similar prior cases" not in " ".join(pages_text(render_report(ecg, findings, options))[1:])


def test_lead_quality_is_marked_on_the_tracing(ecg):
    import numpy as np

    signals = np.array(ecg.signals_mv)
    signals[ecg.lead_names.index("aVR"), :] = np.nan  # electrode off: no samples at all
    broken = ecg.with_changes(signals_mv=signals)
    findings = analyze_ecg(broken)
    assert findings.measurements.lead_quality.get("aVR") not in (None, "good")
    page1 = pages_text(render_report(broken, findings, ReportOptions()))[0]
    label = findings.measurements.lead_quality["aVR"].replace("_", " ")
    assert f"aVR {label}" in page1
