"""Ectopic beats on real records (PTB-XL folds 1–8 only), full pipeline: an unlike first QRS
(cut by the start of the recording, no preceding RR) is not called a PVC; a premature one is."""

from __future__ import annotations

import pytest

from ecgchat_desktop.analysis import measure
from ecgchat_desktop.interpret import interpret
from ecgchat_desktop.io import read_ecg


def _ptbxl(data_dir, n: int):
    return data_dir / "ptb-xl" / "records500" / f"{n // 1000 * 1000:05d}" / f"{n:05d}_hr.hea"


@pytest.mark.parametrize("n", [168, 369])
def test_first_beat_unlike_the_rest_is_not_a_pvc(data_dir, n):
    # Sinus records without PVC in their labels whose first QRS was classed ventricular.
    m = measure(read_ecg(_ptbxl(data_dir, n)))
    assert "PVC" not in {s.code for s in interpret(m)}


def test_premature_ventricular_beats_fire(data_dir):
    m = measure(read_ecg(_ptbxl(data_dir, 363)))   # labelled PVC (ventricular bigeminy runs)
    pvc = [s for s in interpret(m) if s.code == "PVC"]
    assert pvc and "coupling RR" in pvc[0].evidence[0]


# --- PACs: the sinus node is reset, so the cycle after the early beat is ≥ the dominant RR ---------

from tests.interpret_builders import FS, beats_for, normal, regular_peaks  # noqa: E402

from ecgchat_desktop.interpret import rules_rhythm as RR  # noqa: E402


def _pac_run(coupling_ratio: float, return_ratio: float, run: int = 1, hr: float = 70.0):
    """Regular sinus rhythm with `run` supraventricular beats each `coupling_ratio` × the RR after
    its predecessor, then a return cycle of `return_ratio` × the RR, then the rhythm resumes."""
    rr = 60.0 / hr * FS
    peaks = regular_peaks(hr)
    i = 5
    shifted = peaks[:i]
    for _ in range(run):
        shifted.append(int(round(shifted[-1] + coupling_ratio * rr)))
    t = shifted[-1] + return_ratio * rr
    while len(shifted) < len(peaks):
        shifted.append(int(round(t)))
        t += rr
    beats = beats_for(shifted)
    for k in range(1, len(beats)):
        beats[k].rr_prev_ms = (shifted[k] - shifted[k - 1]) * 1000.0 / FS
    for k in range(i, i + run):
        beats[k].beat_class = "supraventricular_ectopic"
        beats[k].premature = True
    return normal(hr, r_peaks=shifted, beats=beats, n_supraventricular_ectopic=run)


def _codes(m):
    return {s.code for s in interpret(m)}


@pytest.mark.parametrize("return_ratio,fires", [(1.03, True), (RR.PAC_RETURN_CYCLE_AT_LEAST_DOMINANT + 0.005, True),
                                                (0.97, False), (0.9, False)])
def test_pac_return_cycle_at_least_the_dominant_rr(return_ratio, fires):
    # coupling 0.7: premature by 30 %, the pause criterion (≥ 1.2 × the coupling RR) met either way
    assert ("PAC" in _codes(_pac_run(0.7, return_ratio))) == fires


def test_pac_evidence_names_the_reset_criterion():
    pac = [s for s in interpret(_pac_run(0.7, 1.1)) if s.code == "PAC"]
    assert pac and "sinus node reset" in pac[0].evidence[0] and pac[0].evidence[0].startswith("1 of ")


def test_pac_couplet_is_judged_as_one_run():
    # two early beats in a row: the second is not early against the first, the run as a whole is
    two = [s for s in interpret(_pac_run(0.7, 1.1, run=2)) if s.code == "PAC"]
    assert two and two[0].evidence[0].startswith("2 of ")
    # the same couplet without a reset pause after it: a faster stretch, not ectopy
    assert "PAC" not in _codes(_pac_run(0.7, 0.9, run=2))


def _ptbxl_codes(data_dir, n: int) -> set[str]:
    return {s.code for s in interpret(measure(read_ecg(_ptbxl(data_dir, n))))}


def test_pac_couplet_on_a_real_record_fires(data_dir):
    # PTB-XL 257 (fold 3, labelled PAC): a couplet (RR 520, 526 ms after 672 ms), return cycle 772 ms
    assert "PAC" in _ptbxl_codes(data_dir, 257)


@pytest.mark.parametrize("n", [37, 351])
def test_early_beat_without_a_reset_pause_is_not_a_pac(data_dir, n):
    # 37 (fold 1, sinus arrhythmia, no PAC label): a short cycle of 838 ms followed by 1042 ms, 0.99 ×
    # the median RR; 351 (fold 4, AF labelled): one short RR within an irregular rhythm, return 0.95 ×
    assert "PAC" not in _ptbxl_codes(data_dir, n)


# --- sinus arrhythmia: an early "supraventricular" beat without a reset pause is its short cycle ----

def test_short_cycle_without_reset_counts_toward_sinus_arrhythmia():
    # coupling 0.7 × RR (210 ms+ shorter than the 857 ms cycle at 70 bpm ⇒ RR range ≥ 220 ms once the
    # short cycle counts), return 0.97 × RR: no reset, so no PAC, and the range is the sinus one
    m = _pac_run(0.7, 0.97)
    c = _codes(m)
    assert "PAC" not in c and "SARRH" in c
    sarrh = [s for s in interpret(m) if s.code == "SARRH"][0]
    assert any("sinus RR range" in e and "≥ 220 ms" in e for e in sarrh.evidence)
    # with the reset pause it is a PAC, and its cycles are left out of the sinus RR range
    c = _codes(_pac_run(0.7, 1.03))
    assert "PAC" in c and "SARRH" not in c


def test_sinus_arrhythmia_with_a_short_cycle_on_a_real_record(data_dir):
    # PTB-XL 37 (fold 1, labelled SARRH, no PAC): the 838 ms cycle among 1036–1096 ms ones
    c = _ptbxl_codes(data_dir, 37)
    assert "SARRH" in c and "PAC" not in c


def test_ectopy_evidence_carries_the_measured_cycles():
    pac = [s for s in interpret(_pac_run(0.7, 1.1, run=2)) if s.code == "PAC"][0]
    # 600 ms after 857 ms cycles (70 %), a return cycle of 1.1 × 857 ≈ 942 ms (110 %)
    assert pac.evidence[1].startswith("first at ") and "(a run of 2)" in pac.evidence[1]
    assert "coupling RR 600 ms = 70% of the median RR" in pac.evidence[1]
    assert "return cycle 942 ms = 110% of the median RR" in pac.evidence[1]


def test_pvc_evidence_on_a_real_record(data_dir):
    pvc = [s for s in interpret(measure(read_ecg(_ptbxl(data_dir, 363)))) if s.code == "PVC"][0]
    assert pvc.evidence[1].startswith("first at ") and "of the median RR" in pvc.evidence[1]
