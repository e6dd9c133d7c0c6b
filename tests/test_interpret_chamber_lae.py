"""Left atrial enlargement on real records (PTB-XL folds 1–8 only): the full pipeline
(file → io → analysis.measure → interpret). LAE comes from lead II's own P duration or the
P-terminal force in V1, never from the global (all-lead) P duration."""

from __future__ import annotations

import numpy as np
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


# --- the V1 P must end negative (median beat) ------------------------------------------------
def test_lae_fires_with_a_terminal_negative_phase_on_the_labelled_record(measured):
    lae = next(s for s in interpret(measured(489)) if s.code == "LAE")
    assert any("the P ends with a negative phase of" in e for e in lae.evidence)


@pytest.mark.parametrize("n", [424, 468])
def test_v1_negative_dip_that_does_not_end_the_p_is_not_lae(measured, n):
    # Not labelled LAE: enough negative samples in V1's P window for the P-terminal force, but the
    # P does not end negative on the median beat (the old rule called both LAE).
    from ecgchat_desktop.interpret.context import RuleContext
    from ecgchat_desktop.interpret.rules_chamber import LAE_V1_TERMINAL_RUN_AT_LEAST_MS, v1_terminal_negative_ms
    m = measured(n)
    v1 = m.lead_amplitudes["V1"]
    assert -v1.p_neg_mv * v1.p_neg_ms >= 6.0
    assert v1_terminal_negative_ms(RuleContext(m=m)) < LAE_V1_TERMINAL_RUN_AT_LEAST_MS
    assert "LAE" not in {s.code for s in interpret(m)}


def _with_v1_p(run_ms: float, gap_ms: float = 0.0):
    """Hand-built measurements with a median beat (500 Hz) whose V1 P (samples 100–150, QRS onset
    at 180) is upright, then negative (−0.15 mV) for run_ms, ending gap_ms before the P offset."""
    from ecgchat_desktop.analysis.measurements import MedianBeat
    from ecgchat_desktop.ecg import STANDARD_12_LEADS
    from tests.interpret_builders import normal, set_lead
    fs = 500.0
    sig = {ld: np.zeros(400) for ld in STANDARD_12_LEADS}
    v1 = sig["V1"]
    end = 150 - int(gap_ms * fs / 1000)
    start = end - int(run_ms * fs / 1000) + 1
    v1[100:start] = 0.05
    v1[start:end + 1] = -0.15
    md = MedianBeat(signals_mv=[sig[ld].tolist() for ld in STANDARD_12_LEADS], sampling_rate_hz=fs,
                    lead_names=list(STANDARD_12_LEADS), r_index=200, n_beats_used=10,
                    p_onset=100, p_offset=150, qrs_onset=180, qrs_offset=225)
    m = normal(p_ms=100.0, median=md)
    set_lead(m, "V1", p_neg_mv=-0.15, p_neg_ms=60.0)     # P-terminal force 9 mV·ms, 60 % of the P
    return m


@pytest.mark.parametrize("run_ms,gap_ms,fires", [(20.0, 0.0, True), (18.0, 0.0, False),
                                                 (30.0, 20.0, True), (30.0, 22.0, False)])
def test_v1_terminal_run_boundaries(run_ms, gap_ms, fires):
    m = _with_v1_p(run_ms, gap_ms)
    assert ("LAE" in {s.code for s in interpret(m)}) == fires


def test_without_a_median_beat_the_terminal_check_is_skipped_and_said():
    from tests.interpret_builders import normal, set_lead
    m = normal(p_ms=100.0)
    set_lead(m, "V1", p_neg_mv=-0.15, p_neg_ms=60.0)
    lae = next(s for s in interpret(m) if s.code == "LAE")
    assert any("not checked that the P ends negative (no median beat)" in e for e in lae.evidence)
