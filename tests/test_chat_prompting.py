"""How a question is set up for the model (fast, no model): the answer's first words for
value questions, and the facts listed first."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from test_chat_claims import NORMAL, RBBB_AF  # noqa: E402

from ecgchat_desktop.chat.session import relevant_facts, value_prefix  # noqa: E402


def test_value_questions_start_the_answer_with_the_quantity_but_no_number():
    cases = {"What is the PR interval?": "The PR interval on this ECG is",
             "Give me the QTc using Bazett's formula.": "The QTc by Bazett on this ECG is",
             "What is the measured QT interval?": "The QT interval on this ECG is",
             "What is the frontal QRS axis?": "The frontal QRS axis on this ECG is at",
             "How long is the QRS complex?": "The QRS duration on this ECG is",
             "How fast is the heart beating on this tracing?": "The heart rate on this ECG is"}
    for q, prefix in cases.items():
        assert value_prefix(NORMAL, q) == prefix, q
        assert not any(ch.isdigit() for ch in prefix)


def test_no_prefix_for_yes_no_questions_other_topics_or_unmeasured_values():
    assert value_prefix(NORMAL, "Is the PR interval prolonged?") == ""
    assert value_prefix(NORMAL, "What does atrial fibrillation mean?") == ""
    assert value_prefix(NORMAL, "What is the T axis?") == ""
    assert value_prefix(RBBB_AF, "What is the PR interval?") == ""  # not measured in AF


def test_the_qtc_formula_asked_for_is_the_first_fact():
    facts = relevant_facts(NORMAL, "Give me the QTc using Bazett's formula.")
    assert facts[0] == "QTc Bazett 422 ms" and "QT 384 ms" in facts
    assert relevant_facts(NORMAL, "What is the QT interval?")[0] == "QT 384 ms"
