"""LVH voltage criteria on real records (PTB-XL folds 1–8 and CinC only), full pipeline: file → io →
analysis.measure → interpret, with the patient's age and sex from the label row; and the
Romhilt–Estes support that a Cornell / R aVL criterion alone needs, on its boundaries."""

from __future__ import annotations

import pytest

from ecgchat_desktop.analysis import measure
from ecgchat_desktop.ecg import Patient
from ecgchat_desktop.interpret import interpret
from ecgchat_desktop.interpret.rules_chamber import (
    RE_LAD_AT_MOST_DEG,
    RE_QRS_AT_LEAST_MS,
    RE_VAT_AT_LEAST_MS,
    STRAIN_ST_AT_MOST_MV,
)
from ecgchat_desktop.io import read_ecg
from tests.interpret_builders import normal, set_lead

WOMAN_60 = Patient(sex="F", age_years=60)


@pytest.fixture(scope="module")
def measured(ptbxl_measured):
    return ptbxl_measured


def _lvh(stmts):
    return next((s for s in stmts if s.code == "LVH"), None)


def test_lvh_fires_on_a_labelled_record(measured):
    # PTB-XL 296: labelled LVH, a woman of 75 (age and sex from ptbxl_database.csv).
    lvh = _lvh(interpret(measured(296), Patient(sex="F", age_years=75)))
    assert lvh and any("mV" in e and ("≥" in e or ">" in e) for e in lvh.evidence)


@pytest.mark.parametrize("n,patient", [(324, Patient(sex="M", age_years=19)),
                                       (113, Patient(sex="F", age_years=18))])
def test_voltage_alone_in_the_young_is_not_lvh(measured, n, patient):
    # NORM-labelled young adults whose voltage meets Sokolow–Lyon: not specific under 35 y.
    stmts = interpret(measured(n), patient)
    assert "LVH" not in {s.code for s in stmts}
    older = interpret(measured(n), Patient(sex=patient.sex, age_years=50))
    assert any(e.startswith("Sokolow–Lyon") for e in _lvh(older).evidence)


@pytest.mark.parametrize("n,patient", [(433, Patient(sex="F", age_years=56)),
                                       (150, Patient(sex="F", age_years=82))])
def test_cornell_alone_without_support_is_not_lvh(measured, n, patient):
    # NORM-labelled women with Cornell 2.02 / 2.67 mV > 2.0 mV, no strain, no LAE, axis > −30°.
    assert "LVH" not in {s.code for s in interpret(measured(n), patient)}


def test_cornell_with_strain_support_fires_on_a_labelled_record(measured):
    # PTB-XL 476: labelled LVH, woman of 67: Cornell 2.46 mV (Sokolow–Lyon 1.8 mV) with lateral
    # ST depression and a negative T (Romhilt–Estes strain, 3 points).
    lvh = _lvh(interpret(measured(476), Patient(sex="F", age_years=67)))
    assert lvh is not None
    assert any(e.startswith("Cornell") for e in lvh.evidence)
    re_line = next(e for e in lvh.evidence if e.startswith("Romhilt–Estes"))
    assert "ST-T strain" in re_line


@pytest.mark.parametrize("n,patient", [(226, Patient(sex="F", age_years=83)),
                                       (331, Patient(sex="F", age_years=78)),
                                       (166, Patient(sex="M", age_years=59))])
def test_avl_criteria_not_used_with_left_anterior_fascicular_block(measured, n, patient):
    # Not labelled LVH; LAFB raises R in aVL, so their Cornell (and 166's R aVL) are not used.
    stmts = interpret(measured(n), patient)
    codes = {s.code for s in stmts}
    assert "LAFB" in codes and "LVH" not in codes


def test_no_voltage_criteria_in_a_wide_complex_tachycardia(data_dir):
    # CinC ningbo/JS45545, labelled paroxysmal VT: Sokolow 4.8, Cornell 4.8 mV, but ventricular.
    m = measure(read_ecg(data_dir / "cinc" / "ningbo" / "JS45545.hea"))
    codes = {s.code for s in interpret(m, Patient(sex="M", age_years=37))}
    assert "WCT" in codes and "LVH" not in codes


# --- Romhilt–Estes support for a Cornell criterion alone (hand-built measurements) ----------
def _cornell_woman(**changes):
    """Cornell 2.1 mV > 2.0 mV (women), Sokolow–Lyon 2.5 mV, no support: QRS 88 ms, axis +45°,
    intrinsicoid deflection 30 ms, no ST depression, no LAE."""
    m = normal(**{"qrs_ms": 88.0, **changes})
    set_lead(m, "aVL", r_mv=0.6)
    set_lead(m, "V3", s_mv=-1.5)
    return m


def test_cornell_alone_without_support_is_silent():
    assert _lvh(interpret(_cornell_woman(), WOMAN_60)) is None


@pytest.mark.parametrize("axis,fires", [(RE_LAD_AT_MOST_DEG, True), (RE_LAD_AT_MOST_DEG + 1, False)])
def test_left_axis_support_boundary(axis, fires):
    lvh = _lvh(interpret(_cornell_woman(qrs_axis_deg=axis), WOMAN_60))
    assert (lvh is not None) == fires
    if fires:
        assert any("Romhilt–Estes 5 points ≥ 5" in e and "(2 points)" in e for e in lvh.evidence)


@pytest.mark.parametrize("st,fires", [(STRAIN_ST_AT_MOST_MV, True), (STRAIN_ST_AT_MOST_MV + 0.001, False)])
def test_strain_support_boundary(st, fires):
    m = _cornell_woman()
    set_lead(m, "V6", st_j60_mv=st, t_mv=-0.15)
    lvh = _lvh(interpret(m, WOMAN_60))
    assert (lvh is not None) == fires
    if fires:
        assert any("ST-T strain in V6" in e for e in lvh.evidence)


def test_strain_needs_a_negative_t():
    m = _cornell_woman()
    set_lead(m, "V6", st_j60_mv=-0.1, t_mv=0.1)
    assert _lvh(interpret(m, WOMAN_60)) is None


@pytest.mark.parametrize("qrs,vat,fires", [(RE_QRS_AT_LEAST_MS, RE_VAT_AT_LEAST_MS, True),
                                           (RE_QRS_AT_LEAST_MS - 1, RE_VAT_AT_LEAST_MS, False),
                                           (RE_QRS_AT_LEAST_MS, RE_VAT_AT_LEAST_MS - 1, False)])
def test_qrs_duration_and_intrinsicoid_deflection_one_point_each(qrs, vat, fires):
    m = _cornell_woman(qrs_ms=qrs)
    set_lead(m, "V5", r_peak_time_ms=vat)
    assert (_lvh(interpret(m, WOMAN_60)) is not None) == fires


def test_left_atrial_abnormality_supports():
    m = _cornell_woman(p_ms=100.0)
    set_lead(m, "V1", p_neg_mv=-0.15, p_neg_ms=60.0)     # P-terminal force 9 mV·ms ≥ 6 mV·ms
    lvh = _lvh(interpret(m, WOMAN_60))
    assert lvh is not None and any("left atrial abnormality: P-terminal force in V1" in e for e in lvh.evidence)


def test_sokolow_alone_needs_no_support():
    m = normal(qrs_ms=88.0)
    set_lead(m, "V1", s_mv=-1.5)
    set_lead(m, "V5", r_mv=2.0)
    lvh = _lvh(interpret(m, WOMAN_60))
    assert lvh is not None and not any(e.startswith("Romhilt–Estes") for e in lvh.evidence)


def test_left_anterior_fascicular_block_shows_but_does_not_use_avl_criteria():
    # LAFB pattern (axis −60°, qR in aVL, rS in II/III/aVF) with R aVL 1.5 mV and strain support.
    m = _cornell_woman(qrs_axis_deg=-60.0)
    set_lead(m, "aVL", q_mv=-0.1, q_ms=20.0, r_mv=1.5, s_mv=None)
    for ld in ("II", "III", "aVF"):
        set_lead(m, ld, r_mv=0.2, s_mv=-0.9)
    set_lead(m, "V6", st_j60_mv=-0.1, t_mv=-0.15)
    codes = {s.code for s in interpret(m, WOMAN_60)}
    assert "LAFB" in codes and "LVH" not in codes
    set_lead(m, "V1", s_mv=-1.5)
    set_lead(m, "V5", r_mv=2.2)                      # Sokolow–Lyon 3.7 mV is still used
    lvh = _lvh(interpret(m, WOMAN_60))
    assert lvh is not None
    assert any("left anterior fascicular block raises R in aVL (not used)" in e for e in lvh.evidence)
