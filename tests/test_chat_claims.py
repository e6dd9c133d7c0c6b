"""Claim check on written answers (fast, no model): numbers, names, negation, tricky phrasing."""

from __future__ import annotations

import pytest

from ecgchat_desktop.analysis.measurements import LeadAmplitudes, Measurements
from ecgchat_desktop.chat.claims import CONTRADICTED, NOT_ASSESSED, SUPPORTED, UNSUPPORTED, annotate, check_answer
from ecgchat_desktop.findings import Findings
from ecgchat_desktop.interpret.vocabulary import make_statement


def make_findings(codes=("SR", "NORM"), **values) -> Findings:
    base = dict(hr_bpm=72.4, rr_ms=829.0, p_ms=104.0, pr_ms=158.0, qrs_ms=96.0, qt_ms=384.0,
                qtc_ms={"bazett": 421.7, "fridericia": 409.0, "framingham": 410.2, "hodges": 412.0},
                p_axis_deg=55.0, qrs_axis_deg=40.0, t_axis_deg=35.0,
                lead_amplitudes={"V2": LeadAmplitudes(r_mv=0.8, s_mv=-1.2, st_j_mv=0.05, st_j60_mv=0.08, t_mv=0.4),
                                 "II": LeadAmplitudes(r_mv=1.1, s_mv=-0.2, st_j_mv=0.0, st_j60_mv=-0.02, t_mv=0.3)})
    base.update(values)
    m = Measurements(**base)
    statements = [make_statement(c, [f"criterion for {c}"]) for c in codes]
    return Findings(ecg_info={"patient": {"age": 63, "sex": "M"}, "device_measurements": {}},
                    measurements=m, statements=statements, critical=any(s.critical for s in statements))


NORMAL = make_findings()
RBBB_AF = make_findings(("AFIB", "CRBBB", "ABNORMAL"), hr_bpm=112.0, pr_ms=None, p_ms=None, qrs_ms=142.0,
                        qtc_ms={"bazett": 478.0, "fridericia": 455.0, "framingham": 450.0, "hodges": 452.0})
STEMI = make_findings(("SR", "STEMI_INF", "ABNORMAL"),
                      lead_amplitudes={"III": LeadAmplitudes(st_j_mv=0.22, r_mv=0.6),
                                       "aVF": LeadAmplitudes(st_j_mv=0.18, r_mv=0.7)})


def statuses(text, findings=NORMAL):
    return [(c.kind, c.status) for c in check_answer(text, findings).claims]


# --- numbers -----------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "The heart rate is 72 bpm.",
    "Heart rate of 72.",
    "The ventricular rate is 72 beats per minute.",
    "PR 160 ms.",
    "The PR interval measures 158 milliseconds.",
    "QRS duration is 96 ms.",
    "The QRS is 0.096 s long.",
    "QT 384 ms.",
    "QTc by Fridericia is 409 ms.",
    "The QTc (Bazett) is 422 ms.",
    "The QTc is 410 ms.",                  # any formula matches when none is named
    "The QRS axis is +40°.",
    "Axis 40 degrees.",
    "The RR interval is 0.83 s.",
    "Your heart is beating at 72 beats per minute, which is normal.",
    "The QTc is below 450 ms on this ECG.",
    "R wave of 0.8 mV in V2.",
    "T wave amplitude 4 mm in V2.",
])
def test_correct_numbers_are_verified(text):
    report = check_answer(text, NORMAL)
    assert report.verdict == "verified", [c.to_dict() for c in report.claims]
    assert report.checked >= 1


@pytest.mark.parametrize("text,measured", [
    ("The heart rate is 200 beats per minute (bpm).", "72 bpm"),
    ("Heart rate of 90.", "72 bpm"),
    ("PR 240 ms.", "158 ms"),
    ("QTc by Fridericia is 430 ms.", "409 ms"),
    ("The QTc by Bazett is 409 ms.", "422 ms"),   # the other formula's value, wrongly named
    ("The QRS is 0.14 seconds.", "96 ms"),
    ("The QRS axis is -60 degrees.", "40°"),
    ("The QTc is above 500 ms.", "409 ms"),       # judged by Fridericia, the program's formula
    ("ST elevation of 2 mm in V2.", "V2"),
])
def test_wrong_numbers_are_contradicted_with_the_measured_value(text, measured):
    report = check_answer(text, NORMAL)
    assert report.verdict == "contradicted"
    wrong = report.contradicted
    assert any(measured in c.reason for c in wrong), [c.reason for c in wrong]
    shown = annotate(text, report)
    assert "✗ contradicted" in shown and measured in shown


@pytest.mark.parametrize("text", [
    "A normal PR interval is 120-200 ms.",
    "Normal QTc is less than 450 ms in men and 460 ms in women.",
    "The PR interval is normally between 120 and 200 ms.",
    "QRS duration should be below 120 ms.",
    "Tachycardia is defined as a heart rate above 100 bpm.",
    "The recording lasts 10 seconds at 25 mm/s and 10 mm/mV.",
    "A 12-lead ECG uses leads I, II and V1 to V6.",
])
def test_reference_values_and_technical_numbers_are_not_claims(text):
    assert check_answer(text, NORMAL).checked == 0


def test_a_number_for_an_unmeasured_interval_is_unsupported():
    report = check_answer("The PR interval is 160 ms.", RBBB_AF)
    assert report.verdict == "unsupported"
    assert "not measured" in report.unsupported[0].reason


def test_device_values_also_support_a_number():
    f = make_findings()
    f.ecg_info["device_measurements"] = {"qrs_ms": 120.0}
    assert check_answer("The device measured a QRS of 120 ms.", f).verdict == "verified"


def test_several_numbers_in_one_sentence_each_get_their_own_quantity():
    report = check_answer("PR 160 ms, QRS 96 ms, QT 384 ms and heart rate of 72.", NORMAL)
    assert [c.quantity for c in report.claims] == ["pr_ms", "qrs_ms", "qt_ms", "hr_bpm"]
    assert report.verdict == "verified"
    report = check_answer("PR 160 ms, QRS 140 ms and QT 384 ms.", NORMAL)
    assert [c.status for c in report.claims] == [SUPPORTED, CONTRADICTED, SUPPORTED]


def test_st_elevation_in_named_leads_matches_lead_values():
    assert check_answer("There is ST elevation of 2 mm in III.", STEMI).verdict == "verified"
    assert check_answer("ST elevation of 0.2 mV in lead aVF is present.", STEMI).verdict == "verified"
    assert check_answer("ST elevation of 4 mm in III.", STEMI).verdict == "contradicted"


# --- diagnoses -----------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "There is no ST elevation.",
    "No atrial fibrillation is present.",
    "The ECG does not show left bundle branch block.",
    "There is no evidence of myocardial infarction.",
    "Without signs of LVH or RVH.",
    "Atrial fibrillation is absent.",
    "Right bundle branch block was not seen.",
    "Neither AV block nor bundle branch block is present.",
    "This ECG shows normal sinus rhythm.",
    "This is a normal ECG.",
    "The rhythm is sinus rhythm at 72 bpm.",
    "No signs of a heart attack.",
])
def test_true_statements_and_negations_are_verified_on_a_normal_ecg(text):
    report = check_answer(text, NORMAL)
    assert report.verdict == "verified", [c.to_dict() for c in report.claims]
    assert report.checked >= 1


@pytest.mark.parametrize("text,status", [
    ("The report states there is evidence of a heart attack.", UNSUPPORTED),
    ("The ECG shows signs of myocardial infarction.", UNSUPPORTED),
    ("Possible left ventricular hypertrophy.", UNSUPPORTED),
    ("Myocardial infarction cannot be excluded.", UNSUPPORTED),  # a hedged positive, not a negation
    ("ST elevation is not ruled out.", UNSUPPORTED),
    ("The ECG shows atrial fibrillation.", CONTRADICTED),          # sinus rhythm is present
    ("This is an abnormal ECG.", CONTRADICTED),                    # NORM is present
    ("There is first-degree AV block.", UNSUPPORTED),
    ("The patient has complete heart block.", UNSUPPORTED),
])
def test_absent_diagnoses_are_flagged(text, status):
    report = check_answer(text, NORMAL)
    assert status in [c.status for c in report.flagged], [c.to_dict() for c in report.claims]
    assert report.verdict != "verified"
    assert ("✗" if status == CONTRADICTED else "?") in annotate(text, report)


def test_negating_a_present_finding_is_a_contradiction():
    report = check_answer("There is no atrial fibrillation and no bundle branch block.", RBBB_AF)
    assert [c.status for c in report.claims] == [CONTRADICTED, CONTRADICTED]
    report = check_answer("The ECG is normal sinus rhythm without ST elevation.", STEMI)
    assert report.claims[-1].status == CONTRADICTED and report.claims[-1].negated


def test_findings_with_af_and_rbbb():
    text = ("The ECG shows atrial fibrillation with complete right bundle branch block. "
            "The QRS is wide at 142 ms and the QTc is prolonged.")
    report = check_answer(text, RBBB_AF)
    assert report.verdict == "verified", [c.to_dict() for c in report.claims]
    assert {c.kind for c in report.claims} == {"diagnosis", "measurement", "quality"}
    assert check_answer("There is sinus rhythm.", RBBB_AF).verdict == "contradicted"
    assert check_answer("There is left bundle branch block.", RBBB_AF).verdict == "contradicted"


def test_longest_term_wins():
    f = make_findings(("SR", "IRBBB", "ABNORMAL"))
    report = check_answer("There is incomplete right bundle branch block.", f)
    assert report.verdict == "verified" and report.claims[0].codes == ("IRBBB",)


def test_umbrella_terms_are_supported_by_any_specific_finding():
    assert check_answer("The ECG shows a bundle branch block.", RBBB_AF).verdict == "verified"
    assert check_answer("The ECG shows an arrhythmia.", RBBB_AF).verdict == "verified"
    assert check_answer("The tracing shows an acute MI.", STEMI).verdict == "verified"
    assert check_answer("This ECG suggests ischemia.", STEMI).verdict == "verified"


def test_explanations_of_concepts_are_not_claims():
    for text in ("Atrial fibrillation is defined as an irregularly irregular rhythm without P waves.",
                 "Left bundle branch block refers to delayed conduction in the left bundle.",
                 "Causes include myocardial infarction, hypertension and valve disease.",
                 "The sinus node is the natural pacemaker of the heart.",
                 "Ischemia can be caused by blockage of the LAD artery.",
                 "Bundle branch blocks such as LBBB widen the QRS."):
        assert check_answer(text, NORMAL).checked == 0, text
    # ... but the same words about this ECG are claims
    assert check_answer("This ECG shows atrial fibrillation, which is defined as an irregular rhythm.",
                        NORMAL).verdict == "contradicted"


def test_general_causal_sentences_still_flag_a_diagnosis_this_ecg_lacks():
    """"X can lead to Y" in an answer about this ECG puts Y before the reader: a Y the
    program did not find is flagged as not among the findings (not as contradicted)."""
    for text in ("The PAC is found in the atria, which can lead to ventricular hypertrophy.",
                 "Blockage of the LAD artery can cause anterior ischemia.",
                 "This is often associated with left ventricular hypertrophy."):
        report = check_answer(text, NORMAL)
        assert [c.status for c in report.claims if c.kind == "diagnosis"][-1] == UNSUPPORTED, text
        assert "not among the program's findings" in report.flagged[-1].reason
    # ... and stays verified when the ECG has it
    assert check_answer("Sinus tachycardia can lead to palpitations.", RBBB_AF).verdict != "verified"
    assert check_answer("Atrial fibrillation can lead to stroke.", RBBB_AF).verdict == "verified"


def test_qualitative_interval_claims():
    assert check_answer("The QRS is narrow.", NORMAL).verdict == "verified"
    assert check_answer("The QRS is wide.", NORMAL).verdict == "contradicted"
    assert check_answer("The QTc is prolonged.", NORMAL).verdict == "contradicted"
    assert check_answer("The QTc is not prolonged.", NORMAL).verdict == "verified"
    assert check_answer("The PR interval is prolonged.", NORMAL).verdict == "contradicted"
    assert check_answer("The heart rate is normal.", NORMAL).verdict == "verified"
    assert check_answer("The heart rate is fast.", RBBB_AF).verdict == "verified"


def test_case_of_abbreviations_matters():
    # "AF" in capitals is atrial fibrillation; "af" inside words or the SA node is not.
    assert check_answer("The ECG shows AF.", RBBB_AF).verdict == "verified"
    assert check_answer("The SA node fires normally.", NORMAL).checked == 0


def test_annotate_keeps_text_and_marks_every_flag():
    text = "The heart rate is 200 bpm and there is atrial fibrillation."
    report = check_answer(text, NORMAL)
    shown = annotate(text, report)
    assert shown.startswith("The heart rate is 200 bpm [✗ contradicted: measured heart rate 72 bpm]")
    assert shown.count("✗") == 2
    d = report.to_dict()
    assert d["verdict"] == "contradicted" and d["checked"] == 2 and len(d["unsupported"]) == 2


def test_empty_answer_has_nothing_to_check():
    report = check_answer("", NORMAL)
    assert report.checked == 0 and report.verdict == "verified"


def test_model_text_presenting_a_statement_as_confirmed_is_flagged():
    report = check_answer("The program's findings on sinus rhythm are confirmed.", NORMAL)
    assert report.verdict == "unsupported" and report.flagged[0].kind == "certainty"
    assert check_answer("These statements must be confirmed by a physician.", NORMAL).checked == 0
    assert check_answer("The tracing definitely shows sinus rhythm.", NORMAL).verdict == "unsupported"
    assert any(c.kind == "certainty" for c in check_answer(
        "The statement about an abnormal ECG was confirmed by another statement.", NORMAL).flagged)
    # a confirmation that is yet to happen claims nothing
    for text in ("An echocardiogram can be used to confirm that.", "A cardiologist should confirm the rhythm."):
        assert not [c for c in check_answer(text, NORMAL).claims if c.kind == "certainty"], text


def test_overall_labels_follow_the_programs_own_label():
    border = make_findings(("SBRAD", "BORDERLINE"), hr_bpm=52.0)
    assert check_answer("This is a borderline ECG.", border).verdict == "verified"
    assert check_answer("This is an abnormal ECG.", border).verdict == "contradicted"
    assert check_answer("This is a normal ECG.", border).verdict == "contradicted"


def test_numbers_without_a_named_measurement_are_still_checked():
    assert check_answer("The frontal plane deviation is -90 degrees.", NORMAL).verdict == "contradicted"
    report = check_answer("This tracing shows something lasting 37 ms.", NORMAL)
    assert report.verdict == "unsupported" and "matches no measured value" in report.flagged[0].reason
    assert check_answer("Something here lasts 96 ms.", NORMAL).verdict == "verified"
    assert check_answer("Because it was a normal ECG, nothing else was reported.", NORMAL).verdict == "verified"


def test_a_change_from_one_value_to_another_is_a_claim_but_a_range_is_not():
    report = check_answer("The heart rate increased from 106 bpm to 248 bpm.", NORMAL)
    assert [c.status for c in report.claims] == [CONTRADICTED, CONTRADICTED]
    assert check_answer("The normal range is from 120 to 200 ms.", NORMAL).checked == 0


def test_findings_reported_as_found_are_claims_even_next_to_causes():
    report = check_answer("The PVCs were found in the QRS of the left bundle branch block and caused by a "
                          "premature atrial contraction.", NORMAL)
    assert {c.text for c in report.flagged} >= {"left bundle branch block", "premature atrial contraction"}


def test_past_tense_reports_are_claims():
    text = "No abnormalities, but the left bundle branch block was present and caused by a premature beat."
    assert "left bundle branch block" in {c.text for c in check_answer(text, NORMAL).flagged}
    assert check_answer("The ECG showed atrial fibrillation.", NORMAL).verdict == "contradicted"


def test_negated_comparisons_and_quoted_evidence_ranges():
    assert check_answer("No, the QTc above 500 ms does not put the patient at risk.", NORMAL).verdict == "verified"
    assert check_answer("The QTc is not above 400 ms.", NORMAL).verdict == "contradicted"
    assert check_answer("The P axis +55° is within -30° to +105°.", NORMAL).verdict == "verified"


def test_hedged_mentions_are_claims():
    text = "It is possible that the data contained other conditions (e.g., supraventricular tachycardia)."
    assert check_answer(text, NORMAL).flagged[0].text == "supraventricular tachycardia"
    assert check_answer("This is probably atrial fibrillation.", NORMAL).verdict == "contradicted"


@pytest.mark.parametrize("text", [
    "The rate is a normal resting heart rate of approximately 95 beats per minute.",
    "Typically the PR here is 240 ms.",
])
def test_a_single_value_called_normal_is_still_checked(text):
    # "normal"/"typical" alone do not make a point value general knowledge: a small model
    # writes such sentences about the patient, so the number is held against the findings.
    report = check_answer(text, NORMAL)
    assert report.checked == 1
    assert report.claims[0].status in (CONTRADICTED, UNSUPPORTED)


def test_a_value_in_the_wrong_unit_for_what_it_names_is_flagged():
    # 96 ms is the QRS duration, but not an axis or a rate
    for text in ("The frontal QRS axis on this ECG is at 96 ms.", "The heart rate is 96 ms."):
        report = check_answer(text, NORMAL)
        assert report.verdict != "verified", text
        assert "given to the" in report.flagged[0].reason
    assert check_answer("The QRS axis is 40 degrees and the QRS lasts 96 ms.", NORMAL).verdict == "verified"


def test_an_answer_opening_with_no_denies_the_comparison_it_repeats():
    report = check_answer("No, the QTc above 500 ms, putting the patient at risk of torsade, is not present.", NORMAL)
    assert report.verdict == "verified", [c.to_dict() for c in report.claims]
    assert check_answer("No, but the QTc above 500 ms is there.", NORMAL).verdict == "contradicted"


def test_a_value_quoted_from_the_programs_evidence_is_supported():
    lvh = make_findings(("SR", "LVH", "ABNORMAL"))
    lvh.statements[1].evidence = ["Sokolow-Lyon S V1 + max(R V5, R V6) = 4.86 mV ≥ 3.5 mV"]
    text = "The program found LVH because Sokolow-Lyon S V1 + max(R V5, R V6) = 4.86 mV."
    assert check_answer(text, lvh).verdict == "verified"
    assert check_answer(text.replace("4.86", "5.90"), lvh).verdict != "verified"


def test_a_definition_with_a_when_there_is_clause_is_not_about_this_ecg():
    text = "An anteroseptal infarction is a type of myocardial infarction that occurs when there is an infarct."
    assert check_answer(text, NORMAL).checked == 0
    assert check_answer("There is an anteroseptal infarction.", NORMAL).verdict == "unsupported"


def test_an_amplitude_given_to_the_qrs_is_not_a_wrong_unit():
    report = check_answer("The QRS complex has a peak amplitude of 0.8 mV.", NORMAL)
    assert not any("given to the" in c.reason for c in report.claims)


def test_a_lone_value_in_a_general_sounding_sentence_is_still_checked():
    text = "This means that every beat travels at approximately 200 ms per cycle."
    assert check_answer(text, NORMAL).verdict == "unsupported"
    # ... while a limit or range in such a sentence stays reference knowledge
    assert check_answer("Sinus tachycardia usually means a rate above 100 bpm.", NORMAL).verdict == "verified"
    assert check_answer("This means a normal PR of 120 to 200 ms.", NORMAL).checked == 0


def test_a_qtc_limit_without_a_formula_is_judged_by_the_programs_formula():
    # Bazett 509 ms, Fridericia 488 ms: the program made no critical-QTc statement
    f = make_findings(qtc_ms={"bazett": 509.0, "fridericia": 488.0, "framingham": 480.0, "hodges": 482.0})
    assert check_answer("The QTc above 500 ms indicates a significant prolongation in this patient.",
                        f).verdict == "contradicted"
    assert check_answer("No, the QTc above 500 ms, putting the patient at risk, is not there.", f).verdict == "verified"
    assert check_answer("The QTc by Bazett is above 500 ms.", f).verdict == "verified"
    assert check_answer("The QTc is 509 ms.", f).verdict == "verified"


# --- diagnoses the program never states ----------------------------------------------

@pytest.mark.parametrize("text", [
    "Premature ventricular complex with torsade de pointes.",
    "The ECG shows a Brugada pattern.",
    "This tracing suggests hyperkalemia.",
    "The patient has pericarditis.",
])
def test_diagnoses_outside_the_program_are_unsupported(text):
    report = check_answer(text, NORMAL)
    flagged = [c for c in report.flagged if c.status == UNSUPPORTED and "not assessed" in c.reason]
    assert flagged, [c.to_dict() for c in report.claims]
    assert report.verdict != "verified" and "?" in annotate(text, report)


def test_denying_a_diagnosis_outside_the_program_is_no_claim_against_it():
    report = check_answer("There is no evidence of hyperkalemia or Brugada pattern.", NORMAL)
    assert report.verdict == "verified", [c.to_dict() for c in report.claims]


def test_questions_about_unassessed_diagnoses_get_no_yes_or_no_prefix():
    from ecgchat_desktop.chat.session import answer_prefix
    assert answer_prefix(NORMAL, "Does this ECG show a Brugada pattern?") == ""
    assert answer_prefix(NORMAL, "Does this ECG show atrial fibrillation?") == "No,"


def test_calling_an_abnormal_finding_harmless_is_contradicted():
    f = make_findings(("SR", "CRBBB", "ABNORMAL"))
    report = check_answer("This right bundle branch block is a normal variant of the condition.", f)
    sev = [c for c in report.claims if c.kind == "severity"]
    assert sev and sev[0].status == CONTRADICTED and "abnormal" in sev[0].reason
    assert report.verdict == "contradicted"
    # a benign word about a finding the program also rates normal, or a denied one, is no claim
    assert not [c for c in check_answer("Sinus rhythm is a normal, benign rhythm.", NORMAL).claims
                if c.kind == "severity"]
    assert not [c for c in check_answer("The bundle branch block is not benign.", f).claims
                if c.kind == "severity"]


def test_a_risk_named_by_the_program_is_no_claim_of_the_unassessed_diagnosis():
    text = ("CRITICAL: Markedly prolonged QTc (Fridericia 562 ms ≥ 500 ms) — risk of torsade de pointes. "
            "It can degenerate into torsades.")
    report = check_answer(text, NORMAL)
    assert not [c for c in report.claims if NOT_ASSESSED in c.codes], [c.to_dict() for c in report.claims]
    assert [c for c in check_answer("The ECG shows torsade de pointes.", NORMAL).claims if NOT_ASSESSED in c.codes]


def test_acute_coronary_syndromes_and_reworded_av_block_are_checked():
    text = "They were actually having a blocked AV bundle due to a blockage (NSTE-ACS)."
    report = check_answer(text, NORMAL)
    flagged = {c.text.lower() for c in report.flagged}
    assert "blocked av bundle" in flagged and "nste-acs" in flagged, [c.to_dict() for c in report.claims]
    # "non-ST elevation myocardial infarction" is not read as a claim of STEMI or Q waves
    codes = [c.codes for c in check_answer("There is a non-ST elevation myocardial infarction.", NORMAL).claims]
    assert codes == [(NOT_ASSESSED,)]


# --- stated normal ranges ----------------------------------------------------------------

@pytest.mark.parametrize("text,bad", [
    # the default model's own words on a normal ECG (docs/screenshots/05 before this check)
    ("The rhythm is normal sinus rhythm with no abnormality, which means the heart rate and rhythm are "
     "within a normal range of about 100-200 beats per minute (bpm).", "100-200 beats per minute"),
    ("A normal PR interval is between 200 and 300 ms.", "between 200 and 300 ms"),
    ("The normal QRS axis is from 90 to 180 degrees.", "90 to 180 degrees"),
    ("A normal QTc is 300-400 ms.", "300-400 ms"),
])
def test_a_wrong_normal_range_is_contradicted(text, bad):
    report = check_answer(text, NORMAL)
    wrong = [c for c in report.claims if c.status == CONTRADICTED]
    assert wrong and wrong[0].text == bad and "adult reference" in wrong[0].reason
    assert report.verdict == "contradicted"


@pytest.mark.parametrize("text", [
    "A normal heart rate is 60-100 bpm, and this ECG's rate is 72 bpm.",
    "The normal resting heart rate is between 50 and 100 beats per minute.",
    "A normal PR interval is 120-200 ms.",
    "The normal QRS axis lies between -30 and +90 degrees.",
    "A normal QTc is 350-450 ms in men.",
    "The heart rate rose from 106 to 248 bpm during the run.",  # not a normal range: no cue
])
def test_a_correct_or_non_reference_range_is_not_flagged(text):
    report = check_answer(text, NORMAL)
    assert not [c for c in report.claims if c.status == CONTRADICTED and "adult reference" in c.reason]
