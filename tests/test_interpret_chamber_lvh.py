"""LVH voltage criteria on real records (PTB-XL folds 1–8 only), full pipeline: file → io →
analysis.measure → interpret, with the patient's age and sex from the PTB-XL label row."""

from __future__ import annotations

import pytest

from ecgchat_desktop.analysis import measure
from ecgchat_desktop.ecg import Patient
from ecgchat_desktop.interpret import interpret


@pytest.fixture(scope="module")
def measured(ptbxl_measured):
    return ptbxl_measured


def test_lvh_fires_on_a_labelled_record(measured):
    # PTB-XL 296: labelled LVH, a woman of 75 (age and sex from ptbxl_database.csv).
    lvh = [s for s in interpret(measured(296), Patient(sex="F", age_years=75)) if s.code == "LVH"]
    assert lvh and any("mV" in e and ("≥" in e or ">" in e) for e in lvh[0].evidence)


@pytest.mark.parametrize("n,patient", [(70, Patient(sex="F", age_years=21)),
                                       (113, Patient(sex="F", age_years=18))])
def test_voltage_alone_in_the_young_is_not_lvh(measured, n, patient):
    # NORM-labelled young women whose voltage meets Cornell: not specific under 35 y.
    stmts = interpret(measured(n), patient)
    assert "LVH" not in {s.code for s in stmts}
    older = interpret(measured(n), Patient(sex="F", age_years=50))
    assert "LVH" in {s.code for s in older}
