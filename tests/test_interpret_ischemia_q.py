"""Pathological Q waves beyond the Universal Definition's plain per-lead limits (rules_ischemia):
a wide Qr/QS in V1 paired with V2, and a wide Q in III with a smaller Q in aVF. Boundary values
on hand-built measurements, and real PTB-XL records (folds 1–8) through the full pipeline."""

from __future__ import annotations

import pytest

from ecgchat_desktop.interpret import interpret
from ecgchat_desktop.interpret import rules_ischemia as RI
from tests.interpret_builders import normal, set_lead


def _codes(m) -> set[str]:
    return {s.code for s in interpret(m)}


def _statement(m, code):
    found = [s for s in interpret(m) if s.code == code]
    return found[0] if found else None


# --- V1 Qr/QS with V2 ---------------------------------------------------------------------------
def _v1_v2(v1_q_ms=60.0, v1_q_mv=-0.8, v1_r_mv=0.06, v2=True):
    """V2 has a UDMI Q (≥ 20 ms); V3 none, so only the V1–V2 pair can make Q_ANTSEP. The V1 r is
    above the QS limit, so only the wide-V1-Q criterion can give V1 its line."""
    m = normal()
    set_lead(m, "V1", q_ms=v1_q_ms, q_mv=v1_q_mv, r_mv=v1_r_mv, s_mv=None)
    if v2:
        set_lead(m, "V2", q_ms=40.0, q_mv=-0.6, r_mv=0.3, s_mv=None)
    return m


def test_v1_q_alone_needs_v2():
    assert "Q_ANTSEP" in _codes(_v1_v2())
    assert "Q_ANTSEP" not in _codes(_v1_v2(v2=False))


@pytest.mark.parametrize("q_ms,fires", [(RI.Q_V1_AT_LEAST_MS - 1, False), (RI.Q_V1_AT_LEAST_MS, True)])
def test_v1_q_duration_limit(q_ms, fires):
    assert ("Q_ANTSEP" in _codes(_v1_v2(v1_q_ms=q_ms))) == fires


@pytest.mark.parametrize("depth,fires", [(RI.Q_V1_AT_LEAST_MV - 0.01, False), (RI.Q_V1_AT_LEAST_MV, True)])
def test_v1_q_depth_limit(depth, fires):
    # r below the QS limit: at this depth the QS rule and the V1 rule agree
    assert ("Q_ANTSEP" in _codes(_v1_v2(v1_q_mv=-depth, v1_r_mv=RI.QS_R_BELOW_MV - 0.01))) == fires


@pytest.mark.parametrize("r_mv,fires", [(RI.Q_V1_R_BELOW_Q_FRACTION * 0.8, False),
                                        (RI.Q_V1_R_BELOW_Q_FRACTION * 0.8 - 0.01, True)])
def test_v1_r_after_the_q_must_stay_small(r_mv, fires):
    """A qR in V1 (right ventricular hypertrophy) is not a Qr/QS."""
    assert ("Q_ANTSEP" in _codes(_v1_v2(v1_q_mv=-0.8, v1_r_mv=r_mv))) == fires


def test_v1_evidence_names_values_and_that_it_is_beyond_udmi():
    s = _statement(_v1_v2(v1_q_ms=70.0, v1_q_mv=-0.92), "Q_ANTSEP")
    v1 = [e for e in s.evidence if e.startswith("Q in V1")][0]
    assert "70 ms ≥ 30 ms" in v1 and "0.92 mV" in v1 and "beyond the Universal Definition" in v1
    assert any(e.startswith("Q in V2 40 ms ≥ 20 ms") for e in s.evidence)


# --- wide Q in III with a Q in aVF --------------------------------------------------------------
def _iii_avf(iii_q_ms=60.0, iii_q_mv=-0.4, avf_q_ms=24.0, avf_q_mv=-0.08, avf_r_mv=0.3):
    """aVF's Q stays under the UDMI 30 ms, so only the wide-III criterion can make Q_INF."""
    m = normal()
    set_lead(m, "III", q_ms=iii_q_ms, q_mv=iii_q_mv, r_mv=0.1, s_mv=None)
    set_lead(m, "aVF", q_ms=avf_q_ms, q_mv=avf_q_mv, r_mv=avf_r_mv)
    return m


def test_wide_q_in_iii_needs_a_q_in_avf():
    assert "Q_INF" in _codes(_iii_avf())
    assert "Q_INF" not in _codes(_iii_avf(avf_q_ms=None, avf_q_mv=None))


@pytest.mark.parametrize("q_ms,fires", [(RI.Q_III_WIDE_AT_LEAST_MS - 1, False), (RI.Q_III_WIDE_AT_LEAST_MS, True)])
def test_iii_q_duration_limit(q_ms, fires):
    assert ("Q_INF" in _codes(_iii_avf(iii_q_ms=q_ms))) == fires


@pytest.mark.parametrize("depth,fires", [(RI.Q_III_WIDE_AT_LEAST_MV - 0.01, False), (RI.Q_III_WIDE_AT_LEAST_MV, True)])
def test_iii_q_depth_limit(depth, fires):
    assert ("Q_INF" in _codes(_iii_avf(iii_q_mv=-depth))) == fires


@pytest.mark.parametrize("q_ms,fires", [(RI.Q_AVF_WITH_III_AT_LEAST_MS - 1, False),
                                        (RI.Q_AVF_WITH_III_AT_LEAST_MS, True)])
def test_avf_q_duration_limit(q_ms, fires):
    assert ("Q_INF" in _codes(_iii_avf(avf_q_ms=q_ms))) == fires


@pytest.mark.parametrize("r_mv,fires", [(0.4, True), (0.41, False)])
def test_avf_q_against_its_r(r_mv, fires):
    # Q 0.1 mV: exactly 1/4 of an R of 0.4 mV
    assert RI.Q_AVF_WITH_III_R_FRACTION == 0.25
    assert ("Q_INF" in _codes(_iii_avf(avf_q_mv=-0.1, avf_r_mv=r_mv))) == fires


def test_wide_iii_evidence_names_values_and_that_it_is_beyond_udmi():
    s = _statement(_iii_avf(), "Q_INF")
    assert s.evidence[0] == "Q in III 60 ms ≥ 50 ms and 0.40 mV deep ≥ 0.1 mV"
    assert s.evidence[1] == "Q in aVF 24 ms ≥ 20 ms and 0.08 mV deep ≥ 25% of R 0.30 mV"
    assert any("beyond the Universal Definition" in e for e in s.evidence)


def test_wide_iii_is_not_used_under_lbbb():
    m = _iii_avf()
    m = normal(qrs_ms=150.0, lead_amplitudes=m.lead_amplitudes)
    for ld in ("I", "aVL", "V5", "V6"):
        set_lead(m, ld, q_mv=None, q_ms=None, s_mv=None, notched_r=True, r_peak_time_ms=75.0, r_ms=120.0)
    set_lead(m, "V1", r_mv=0.1, s_mv=-1.5, s_ms=120.0)
    assert "CLBBB" in _codes(m)
    assert "Q_INF" not in _codes(m)


# --- real records (PTB-XL folds 1–8) ------------------------------------------------------------
@pytest.fixture(scope="module")
def ptbxl(ptbxl_measured):
    """get(n): statements of PTB-XL record n (measured once per session by conftest)."""
    return lambda ecg_id: interpret(ptbxl_measured(ecg_id))


def _by_code(stmts, code):
    found = [s for s in stmts if s.code == code]
    return found[0] if found else None


def test_real_asmi_with_qs_in_v1_and_v2_fires(ptbxl):
    """PTB-XL 307 (ASMI, LVH): Q 92 ms in V1 and 64 ms in V2, each with an r ≤ 0.06 mV."""
    s = _by_code(ptbxl(307), "Q_ANTSEP")
    assert s is not None
    assert any(e.startswith("Q in V1") and "beyond the Universal Definition" in e for e in s.evidence)


def test_real_imi_with_wide_q_in_iii_fires(ptbxl):
    """PTB-XL 258 (IMI): Q 68 ms in III, Q 32 ms but 0.06 mV in aVF (under UDMI's 0.1 mV)."""
    s = _by_code(ptbxl(258), "Q_INF")
    assert s is not None
    assert s.evidence[0].startswith("Q in III") and any("beyond the Universal Definition" in e for e in s.evidence)


@pytest.mark.parametrize("ecg_id,code,why", [
    (222, "Q_ANTSEP", "RVH: qR in V1 (Q 30 ms, R 0.28 mV after it)"),
    (215, "Q_INF", "NORM: Q 46 ms in III with a small q in aVF"),
])
def test_real_near_misses_stay_silent(ptbxl, ecg_id, code, why):
    assert _by_code(ptbxl(ecg_id), code) is None, why


# --- short but deep-against-R lateral Q -------------------------------------------------------
def _lateral(q_ms=24.0, q_mv=-0.15, r_mv=0.44, leads=("I", "aVL")):
    """Q under the UDMI's 30 ms in both leads of a lateral pair, nothing else pathological."""
    m = normal()
    for ld in leads:
        set_lead(m, ld, q_ms=q_ms, q_mv=q_mv, r_mv=r_mv)
    return m


def test_short_lateral_q_needs_both_leads_of_a_pair():
    assert "Q_LAT" in _codes(_lateral())
    assert "Q_LAT" in _codes(_lateral(leads=("V5", "V6")))
    assert "Q_LAT" not in _codes(_lateral(leads=("I",)))
    assert "Q_LAT" not in _codes(_lateral(leads=("aVL", "V6")))


@pytest.mark.parametrize("q_ms,fires", [(RI.Q_SHORT_AT_LEAST_MS - 1, False), (RI.Q_SHORT_AT_LEAST_MS, True)])
def test_short_lateral_q_duration_limit(q_ms, fires):
    assert ("Q_LAT" in _codes(_lateral(q_ms=q_ms))) == fires


@pytest.mark.parametrize("depth,fires", [(RI.Q_SHORT_AT_LEAST_MV - 0.01, False), (RI.Q_SHORT_AT_LEAST_MV, True)])
def test_short_lateral_q_depth_limit(depth, fires):
    assert ("Q_LAT" in _codes(_lateral(q_mv=-depth, r_mv=0.2))) == fires


@pytest.mark.parametrize("r_mv,fires", [(0.8, True), (0.81, False)])
def test_short_lateral_q_against_its_r(r_mv, fires):
    """The septal q of a normal tall R stays silent: Q 0.2 mV is 1/4 of an R of 0.8 mV."""
    assert RI.Q_SHORT_R_FRACTION["LAT"] == 0.25
    assert ("Q_LAT" in _codes(_lateral(q_mv=-0.2, r_mv=r_mv))) == fires


def test_short_lateral_q_evidence():
    s = _statement(_lateral(), "Q_LAT")
    assert "Q in I 24 ms ≥ 20 ms and 0.15 mV deep ≥ 0.1 mV and ≥ 25% of R 0.44 mV" in s.evidence
    assert any("beyond the Universal Definition" in e for e in s.evidence)


def test_real_lateral_infarct_with_short_q_fires(ptbxl):
    """PTB-XL 409 (LMI): Q 24 ms in I and 28 ms in aVL, each about 1/3 of its R."""
    s = _by_code(ptbxl(409), "Q_LAT")
    assert s is not None and any("beyond the Universal Definition" in e for e in s.evidence)


def test_real_normal_septal_q_stays_silent(ptbxl):
    """PTB-XL 488 (NORM): septal q in I, aVL, V5 and V6 under tall R waves."""
    assert _by_code(ptbxl(488), "Q_LAT") is None


# --- short but deep-against-R inferior Q --------------------------------------------------------
def _inferior_short(iii=(28.0, -0.35, 0.09), avf=(22.0, -0.15, 0.12)):
    """PTB-XL 407's inferior Qr (IMI): Q under 30 ms but deeper than its R in III and aVF."""
    m = normal()
    for ld, (q_ms, q_mv, r_mv) in (("III", iii), ("aVF", avf)):
        set_lead(m, ld, q_ms=q_ms, q_mv=q_mv, r_mv=r_mv)
    return m


def test_short_inferior_q_fires_and_says_so():
    s = _statement(_inferior_short(), "Q_INF")
    assert "Q in aVF 22 ms ≥ 20 ms and 0.15 mV deep ≥ 0.1 mV and ≥ 33% of R 0.12 mV" in s.evidence
    assert any("beyond the Universal Definition" in e for e in s.evidence)


@pytest.mark.parametrize("r_mv,fires", [(0.45, True), (0.46, False)])
def test_short_inferior_q_against_its_r(r_mv, fires):
    """Q 0.15 mV against R: 1/3 of 0.45 mV is exactly 0.15 mV."""
    assert ("Q_INF" in _codes(_inferior_short(avf=(22.0, -0.15, r_mv)))) == fires


@pytest.mark.parametrize("q_ms,fires", [(RI.Q_SHORT_AT_LEAST_MS - 1, False), (RI.Q_SHORT_AT_LEAST_MS, True)])
def test_short_inferior_q_duration_limit(q_ms, fires):
    assert ("Q_INF" in _codes(_inferior_short(avf=(q_ms, -0.15, 0.12)))) == fires


def test_real_inferior_infarct_with_short_q_fires(ptbxl):
    """PTB-XL 407 (IMI): Q 28 ms in III and 22 ms in aVF, each deeper than its R."""
    assert _by_code(ptbxl(407), "Q_INF") is not None


# --- a wide-complex tachycardia without a bundle-branch shape ---------------------------------
def _inferior_q_and_ste(hr_bpm):
    """Inferior Q 40 ms and sustained ST elevation on a 150 ms QRS with no P waves."""
    m = normal(hr_bpm, qrs_ms=150.0, p_wave_fraction=0.0, pr_ms=None)
    for ld in ("II", "III", "aVF"):
        set_lead(m, ld, q_ms=40.0, q_mv=-0.3, r_mv=0.5, st_j_mv=0.2, st_j60_mv=0.2)
    return m


def test_no_infarct_q_or_stemi_in_an_unexplained_wide_complex_tachycardia():
    # The QRS of a possibly ventricular rhythm: its Q and ST are not those of conducted beats.
    tachy = _codes(_inferior_q_and_ste(160.0))
    assert "WCT" in tachy and not tachy & {"Q_INF", "STEMI_INF"}
    slower = _codes(_inferior_q_and_ste(90.0))
    assert "WCT" not in slower and {"Q_INF", "STEMI_INF"} <= slower
