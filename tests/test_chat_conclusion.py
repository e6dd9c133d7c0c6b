"""Draft conclusions are built from the findings (critical first, by severity, physician
notice); the model may only phrase them. Fast checks on written text, no model."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from test_chat_claims import NORMAL, RBBB_AF, make_findings  # noqa: E402

from ecgchat_desktop.chat.claims import check_answer  # noqa: E402
from ecgchat_desktop.chat.report_draft import (DRAFT_NOTICE, draft_conclusion, phrased_conclusion,  # noqa: E402
                                               program_conclusion, statements_named)
from ecgchat_desktop.chat.session import is_conclusion_request  # noqa: E402

CRITICAL_QTC = make_findings(("SR", "PVC", "STD", "QTC_CRIT", "ABNORMAL"),
                             qtc_ms={"bazett": 540.0, "fridericia": 532.0, "framingham": 520.0, "hodges": 525.0})


def test_program_conclusion_puts_critical_first_groups_by_severity_and_says_draft():
    text = program_conclusion(CRITICAL_QTC)
    lines = text.split("\n")
    assert lines[0].startswith("CRITICAL: ") and "Immediate physician review" in lines[0]
    crit = next(s for s in CRITICAL_QTC.statements if s.critical)
    assert crit.text in lines[0]
    assert lines[1] == "Abnormal ECG."
    assert lines[-1] == DRAFT_NOTICE
    by_sev = {s.code: s.severity for s in CRITICAL_QTC.statements}
    # every non-critical statement sits on the line of its own severity
    for s in CRITICAL_QTC.statements:
        if s.critical or s.code == "ABNORMAL":
            continue
        line = next(ln for ln in lines if s.text in ln)
        assert line.lower().startswith(by_sev[s.code])


def test_program_conclusion_is_verified_by_the_claim_check_and_names_every_statement():
    for f in (NORMAL, RBBB_AF, CRITICAL_QTC):
        text = program_conclusion(f)
        assert check_answer(text, f).verdict == "verified", text
        assert statements_named(text, f) == ([], [])


def test_statements_named_finds_missing_and_denied_statements_in_written_text():
    missing, denied = statements_named("This ECG shows atrial fibrillation without bundle branch block.", RBBB_AF)
    assert missing == ["CRBBB"] and denied == []
    missing, denied = statements_named("Atrial fibrillation; no right bundle branch block.", RBBB_AF)
    assert denied == ["CRBBB"]
    # an umbrella word does not name a specific statement
    missing, _ = statements_named("This ECG shows an arrhythmia and a bundle branch block.", RBBB_AF)
    assert set(missing) == {"AFIB", "CRBBB"}
    assert statements_named("Atrial fibrillation with right bundle branch block.", RBBB_AF) == ([], [])


def test_without_a_model_the_draft_is_the_program_text():
    d = draft_conclusion(CRITICAL_QTC, engine=None)
    assert d.source == "program" and d.text == program_conclusion(CRITICAL_QTC) and d.model_text == ""


def test_conclusion_requests_are_recognised():
    for q in ("Summarise the main findings of this ECG.", "Draft the conclusion for this ECG.",
              "What is your impression?", "Give me a summary"):
        assert is_conclusion_request(q), q
    for q in ("Explain this ECG to the patient in simple words.", "What is the heart rate?",
              "Is there atrial fibrillation?", "Summarise this for the patient"):
        assert not is_conclusion_request(q), q


def test_an_accepted_phrasing_opens_the_draft_and_keeps_every_program_line():
    good = "This ECG shows atrial fibrillation with complete right bundle branch block."
    d = phrased_conclusion(RBBB_AF, good)
    assert d.source == "language model" and not d.rejected_because
    assert d.text.split("\n") == [good] + program_conclusion(RBBB_AF).split("\n")
    crit = phrased_conclusion(CRITICAL_QTC, "This ECG shows sinus rhythm with premature ventricular "
                                            "complexes, ST depression and a markedly prolonged QTc.")
    assert crit.source == "language model" and crit.text.startswith("CRITICAL: ")


def test_a_phrasing_that_leaves_out_denies_or_invents_is_rejected():
    for text, why in (("This ECG shows atrial fibrillation.", "leaves out CRBBB"),
                      ("This ECG shows atrial fibrillation without right bundle branch block.", "denies CRBBB"),
                      ("This ECG shows atrial fibrillation, RBBB and an acute STEMI.", "claim check: unsupported")):
        d = phrased_conclusion(RBBB_AF, text)
        assert d.source == "program" and d.text == program_conclusion(RBBB_AF)
        assert why in d.rejected_because, d.rejected_because
