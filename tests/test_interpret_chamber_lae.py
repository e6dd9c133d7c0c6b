"""Left atrial enlargement on real records (PTB-XL folds 1–8 only): the full pipeline
(file → io → analysis.measure → interpret). LAE comes from lead II's own P duration or the
P-terminal force in V1, never from the global (all-lead) P duration."""

from __future__ import annotations

import pytest

from ecgchat_desktop.analysis import measure
from ecgchat_desktop.interpret import interpret


@pytest.fixture(scope="module")
def measured(ptbxl_measured):
    return ptbxl_measured


def test_lae_fires_on_a_labelled_record_by_v1_terminal_force(measured):
    # PTB-XL 489 (fold ≤ 8) is labelled LAO/LAE.
    m = measured(489)
    lae = [s for s in interpret(m) if s.code == "LAE"]
    assert lae, sorted(s.code for s in interpret(m))
    assert any("P-terminal force in V1" in e and "mV·ms" in e for e in lae[0].evidence)


@pytest.mark.parametrize("n", [254, 315])
def test_lae_silent_on_normal_records_with_a_long_global_p(measured, n):
    # NORM-labelled records whose global P (earliest onset to latest offset, all leads) is
    # ≥ 175 ms: the old global-P criterion called them LAE.
    m = measured(n)
    assert m.p_ms is not None and m.p_ms >= 175.0
    assert "LAE" not in {s.code for s in interpret(m)}
