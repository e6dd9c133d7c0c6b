"""Right atrial enlargement on real records (PTB-XL folds 1–8 only), full pipeline; and the
P-axis condition of the inferior-lead criterion on its boundary."""

from __future__ import annotations

import pytest

from ecgchat_desktop.analysis import measure
from ecgchat_desktop.interpret import interpret
from ecgchat_desktop.interpret.rules_chamber import RAE_P_AXIS_ABOVE_DEG, RAE_P_INFERIOR_AT_LEAST_MV
from ecgchat_desktop.io import read_ecg
from tests.interpret_builders import normal, set_lead


def _ptbxl(data_dir, n: int):
    return data_dir / "ptb-xl" / "records500" / f"{n // 1000 * 1000:05d}" / f"{n:05d}_hr.hea"


@pytest.mark.parametrize("n", [332, 401])
def test_rae_silent_on_normal_records_with_a_modest_chest_p(data_dir, n):
    # NORM-labelled: positive P 0.15–0.2 mV in V2 only, which the old 0.15 mV limit called RAE.
    m = measure(read_ecg(_ptbxl(data_dir, n)))
    v2 = m.lead_amplitudes["V2"].p_pos_mv
    assert v2 is not None and 0.15 <= v2 < 0.2
    assert "RAE" not in {s.code for s in interpret(m)}


def test_rae_fires_on_a_labelled_record(data_dir):
    m = measure(read_ecg(_ptbxl(data_dir, 222)))   # labelled RAO/RAE (and RVH)
    rae = [s for s in interpret(m) if s.code == "RAE"]
    assert rae and any("mV in aVF ≥ 0.25 mV" in e for e in rae[0].evidence)
    assert any(e.startswith("P axis") and "(rightward)" in e for e in rae[0].evidence)


@pytest.mark.parametrize("n", [6, 46])
def test_rae_silent_on_normal_records_with_a_tall_p_in_ii_and_a_normal_p_axis(data_dir, n):
    # NORM-labelled: P 0.25–0.26 mV in II (read from the PR-segment baseline) but P axis +66°.
    m = measure(read_ecg(_ptbxl(data_dir, n)))
    assert m.lead_amplitudes["II"].p_pos_mv >= RAE_P_INFERIOR_AT_LEAST_MV
    assert m.p_axis_deg is not None and m.p_axis_deg <= RAE_P_AXIS_ABOVE_DEG
    assert "RAE" not in {s.code for s in interpret(m)}


@pytest.mark.parametrize("axis,fires", [(RAE_P_AXIS_ABOVE_DEG, False), (RAE_P_AXIS_ABOVE_DEG + 0.5, True),
                                        (None, False)])
def test_inferior_p_needs_a_rightward_p_axis(axis, fires):
    m = normal(p_axis_deg=axis)
    set_lead(m, "aVF", p_mv=0.3, p_pos_mv=0.3)
    stmts = {s.code: s for s in interpret(m)}
    assert ("RAE" in stmts) == fires
    if fires:
        assert f"P axis {axis:+.0f}° > +70° (rightward)" in stmts["RAE"].evidence


def test_chest_p_criterion_does_not_need_the_axis():
    m = normal(p_axis_deg=40.0)
    set_lead(m, "V1", p_mv=0.22, p_pos_mv=0.22)
    assert "RAE" in {s.code for s in interpret(m)}
