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


# --- lead II: a notched P (P mitrale), not a long P alone --------------------------------------
def test_labelled_record_has_a_notched_p_in_ii(measured):
    lae = next(s for s in interpret(measured(489)) if s.code == "LAE")
    assert any(e.startswith("notched P in II (P mitrale): peaks") for e in lae.evidence)


@pytest.mark.parametrize("n", [2, 101])
def test_long_unnotched_p_in_ii_is_not_lae(measured, n):
    # NORM-labelled, lead II P 176–189 ms (the old 160 ms duration-only limit called both LAE).
    from ecgchat_desktop.interpret.context import RuleContext
    from ecgchat_desktop.interpret.rules_chamber import LAE_NOTCH_PEAKS_AT_LEAST_MS, p_notch_ms
    m = measured(n)
    assert m.lead_amplitudes["II"].p_ms >= 170.0
    assert p_notch_ms(RuleContext(m=m), "II") < LAE_NOTCH_PEAKS_AT_LEAST_MS
    assert "LAE" not in {s.code for s in interpret(m)}


def _with_bifid_p_in_ii(sep_ms: float, p_ii_ms: float = 130.0, dip_mv: float = 0.05):
    """Median beat (500 Hz) whose lead II P has two 0.12 mV peaks sep_ms apart with a dip to
    0.12 − dip_mv between them; P 100 ms (samples 100–150), QRS onset at 180."""
    from ecgchat_desktop.analysis.measurements import MedianBeat
    from ecgchat_desktop.ecg import STANDARD_12_LEADS
    from tests.interpret_builders import normal, set_lead
    fs = 500.0
    sig = {ld: np.zeros(400) for ld in STANDARD_12_LEADS}
    t = np.arange(400)
    k1 = 110
    k2 = k1 + int(round(sep_ms * fs / 1000))
    bump = lambda k: 0.12 * np.exp(-0.5 * ((t - k) / 3.0) ** 2)
    ii = np.maximum(bump(k1), bump(k2))
    ii[k1:k2 + 1] = np.maximum(ii[k1:k2 + 1], 0.12 - dip_mv)
    ii[:100] = 0.0
    ii[151:] = 0.0
    sig["II"] = ii
    md = MedianBeat(signals_mv=[sig[ld].tolist() for ld in STANDARD_12_LEADS], sampling_rate_hz=fs,
                    lead_names=list(STANDARD_12_LEADS), r_index=200, n_beats_used=10,
                    p_onset=100, p_offset=150, qrs_onset=180, qrs_offset=225)
    m = normal(p_ms=100.0, median=md)
    set_lead(m, "II", p_ms=p_ii_ms)
    return m


@pytest.mark.parametrize("sep_ms,p_ii_ms,dip_mv,fires", [
    (40.0, 130.0, 0.05, True),     # peaks 40 ms apart: on the limit
    (38.0, 130.0, 0.05, False),    # 38 ms
    (60.0, 120.0, 0.05, True),     # P in II 120 ms: on the limit
    (60.0, 119.0, 0.05, False),
    (60.0, 130.0, 0.015, False),   # a 0.015 mV dip is not a notch (prominence < 0.02 mV)
])
def test_p_mitrale_boundaries(sep_ms, p_ii_ms, dip_mv, fires):
    m = _with_bifid_p_in_ii(sep_ms, p_ii_ms, dip_mv)
    stmts = {s.code: s for s in interpret(m)}
    assert ("LAE" in stmts) == fires
    if fires:
        assert f"peaks {sep_ms:.0f} ms apart ≥ 40 ms" in stmts["LAE"].evidence[0]
