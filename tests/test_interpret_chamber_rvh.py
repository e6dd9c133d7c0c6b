"""Right ventricular hypertrophy: the three-part pattern (right axis deviation, dominant R in V1,
dominant S in V5/V6) and the tall-R-in-V1 criterion, on hand-built measurements at each
threshold and on real records (PTB-XL folds 1–8, the CinC subset), with LPFB as its exclusion."""

from __future__ import annotations

import pytest

from ecgchat_desktop.ecg import Patient
from ecgchat_desktop.interpret import interpret
from tests.interpret_builders import MAN_50, normal, set_lead


def _codes(m, patient=MAN_50) -> set[str]:
    return {s.code for s in interpret(m, patient)}


def _evidence(m, code, patient=MAN_50) -> list[str]:
    found = [s for s in interpret(m, patient) if s.code == code]
    assert found, f"{code} did not fire"
    return found[0].evidence


def _three_part(axis=115.0, v1_q=-0.3, v1_r=0.3, v1_s=0.0, v5_s=-0.8, v5_r=1.0, **changes):
    """Right axis, qR in V1 and a deep S in V5: PTB-XL 222's shape (QR in V1, S V5 0.86 mV)."""
    m = normal(qrs_axis_deg=axis, **changes)
    set_lead(m, "V1", q_mv=v1_q, q_ms=30.0, r_mv=v1_r, s_mv=v1_s or None)
    set_lead(m, "V5", r_mv=v5_r, s_mv=v5_s)
    return m


def test_three_part_pattern_fires_with_its_evidence():
    ev = _evidence(_three_part(), "RVH")
    assert ev[0].startswith("right axis deviation (QRS axis +115° > +90°)")
    assert "dominant R in V1: R 0.30 mV > S 0.00 mV, R ≥ 0.2 mV (qR/QR" in ev[1]
    assert ev[2] == "deep S in V5: 0.80 mV ≥ 0.7 mV"
    assert "R V1 + S V5/V6 = 1.10 mV ≥ 1.05 mV" in ev


@pytest.mark.parametrize("axis,fires", [(90.0, False), (91.0, True)])
def test_right_axis_boundary(axis, fires):
    assert ("RVH" in _codes(_three_part(axis=axis))) == fires


@pytest.mark.parametrize("v5_s,fires", [(-0.69, False), (-0.7, True)])
def test_deep_s_v5_boundary(v5_s, fires):
    assert ("RVH" in _codes(_three_part(v5_s=v5_s))) == fires


@pytest.mark.parametrize("v6_s,fires", [(-0.3, False), (-0.31, True)])
def test_dominant_s_in_v6_by_r_s_ratio(v6_s, fires):
    m = _three_part(v5_s=-0.3)                  # V5 no longer qualifies
    set_lead(m, "V6", r_mv=0.3, s_mv=v6_s)      # R/S < 1 in V6 only when S is deeper than R
    assert ("RVH" in _codes(m)) == fires


@pytest.mark.parametrize("v1_r,fires", [(0.19, False), (0.2, True)])
def test_smallest_dominant_r_in_v1(v1_r, fires):
    assert ("RVH" in _codes(_three_part(v1_q=-0.1, v1_r=v1_r))) == fires


@pytest.mark.parametrize("v1_s,fires", [(-0.3, False), (-0.29, True)])
def test_v1_r_must_be_taller_than_its_s(v1_s, fires):
    assert ("RVH" in _codes(_three_part(v1_q=0.0, v1_r=0.3, v1_s=v1_s))) == fires


def test_not_called_in_children():
    m = _three_part()
    assert "RVH" not in _codes(m, Patient(sex="M", age_years=15.9))
    assert "RVH" in _codes(m, Patient(sex="M", age_years=16.0))
    tall = normal(qrs_axis_deg=110.0)
    set_lead(tall, "V1", r_mv=0.9, s_mv=-0.3)   # the tall-R criterion: adult only too
    assert "RVH" in _codes(tall) and "RVH" not in _codes(tall, Patient(sex="F", age_years=8))


def test_not_with_complete_rbbb_or_a_wide_qrs():
    m = _three_part(qrs_ms=120.0)
    assert "RVH" not in _codes(m)


def test_tall_r_criterion_needs_a_supporting_one():
    m = normal(qrs_axis_deg=60.0)
    set_lead(m, "V1", r_mv=0.8, s_mv=-0.2)      # R V1 + S V5 0.8 + 0.3 = 1.1 ≥ 1.05 mV
    assert "R V1 + S V5/V6 = 1.10 mV ≥ 1.05 mV" in _evidence(m, "RVH")
    set_lead(m, "V5", s_mv=-0.24)               # 1.04 mV, axis normal: nothing supports it
    assert "RVH" not in _codes(m)


def test_lpfb_is_not_called_on_the_rvh_pattern():
    # Right axis with rS in I and qR in III: LPFB, unless V1/V5/V6 show right ventricular dominance.
    m = normal(qrs_axis_deg=115.0)
    set_lead(m, "I", r_mv=0.2, s_mv=-0.5)
    set_lead(m, "III", q_mv=-0.15, q_ms=20.0, r_mv=1.0, s_mv=None)
    assert "LPFB" in _codes(m) and "RVH" not in _codes(m)
    set_lead(m, "V1", q_mv=-0.3, q_ms=30.0, r_mv=0.4, s_mv=None)
    set_lead(m, "V5", r_mv=0.6, s_mv=-1.0)
    c = _codes(m)
    assert "RVH" in c and "LPFB" not in c


# --- real records ------------------------------------------------------------------
def _ptbxl(data_dir, ptbxl_measured, n, sex, age):
    return interpret(ptbxl_measured(n), Patient(sex=sex, age_years=age))


def test_fires_on_ptbxl_222(data_dir, ptbxl_measured):
    # PTB-XL 222 (fold 6): RVH 100, RAO/RAE, IRBBB; a woman of 41. Axis +120°, QR in V1, S V5 0.86 mV.
    rvh = [s for s in _ptbxl(data_dir, ptbxl_measured, 222, "F", 41) if s.code == "RVH"]
    assert rvh and rvh[0].evidence[0].startswith("right axis deviation")
    assert any(e.startswith("deep S in V5") for e in rvh[0].evidence)


def test_fires_on_cinc_js38062_instead_of_lpfb(data_dir):
    # CinC ningbo JS38062: right ventricular hypertrophy, right atrial hypertrophy; a woman of 63.
    from ecgchat_desktop.analysis import measure
    from ecgchat_desktop.io import read_ecg
    ecg = read_ecg(data_dir / "cinc" / "ningbo" / "JS38062.hea")
    codes = {s.code for s in interpret(measure(ecg), ecg.patient)}
    assert "RVH" in codes and "LPFB" not in codes


@pytest.mark.parametrize("n,sex,age,why", [
    (474, "F", 67, "NORM: axis +98° but V1 QS and S V5 0.69 mV (< 0.7 mV)"),
    (367, "M", 18, "NORM, young: axis +95°, rS in V1"),
])
def test_silent_on_right_axis_without_rv_dominance(data_dir, ptbxl_measured, n, sex, age, why):
    codes = {s.code for s in _ptbxl(data_dir, ptbxl_measured, n, sex, age)}
    assert "RVH" not in codes, why



@pytest.mark.parametrize("v1_r,fires", [(0.69, False), (0.7, True)])
def test_a_tall_r_in_v1_counts_even_with_a_deeper_s(v1_r, fires):
    m = _three_part(v1_q=0.0, v1_r=v1_r, v1_s=-1.0)    # rS in V1: only R ≥ 0.7 mV makes it count
    assert ("RVH" in _codes(m)) == fires
    if fires:
        assert _evidence(m, "RVH")[1].startswith("tall R in V1: R 0.70 mV ≥ 0.7 mV")
