"""Boundary values of the conduction (and related) criteria: on hand-built measurements that sit
exactly on, or one step beside, each threshold, and on real records whose measured values are
moved across one threshold while everything else stays as measured."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest

from ecgchat_desktop.analysis import measure
from ecgchat_desktop.interpret import interpret
from ecgchat_desktop.interpret import morphology as MO
from ecgchat_desktop.interpret import rules_conduction as RC
from ecgchat_desktop.interpret import rules_ischemia as RI
from ecgchat_desktop.interpret.context import RuleContext
from ecgchat_desktop.io import read_ecg
from tests.interpret_builders import beats_for, normal, regular_peaks, set_lead


def codes(m, patient=None) -> set[str]:
    return {s.code for s in interpret(m, patient)}


def by_code(m, code):
    return [s for s in interpret(m) if s.code == code][0]


# --- LBBB: broad R lobe ----------------------------------------------------------------------
def _lbbb_broad(qrs_ms: float, r_ms: float, leads=("I", "aVL", "V5", "V6")):
    """LBBB shape whose only 'broad R' evidence is the R-lobe duration (no notch); the S in V1
    lasts most of the QRS, as it does in a slowly conducted left ventricle."""
    m = normal(qrs_ms=qrs_ms)
    set_lead(m, "V1", r_mv=0.1, s_mv=-1.5, s_ms=0.8 * qrs_ms)
    for ld in ("I", "aVL", "V5", "V6"):
        set_lead(m, ld, q_mv=None, s_mv=None, s_ms=None, notched_r=False, r_peak_time_ms=75.0,
                 r_ms=r_ms if ld in leads else 40.0)
    return m


@pytest.mark.parametrize("r_ms,fires", [(MO.LBBB_BROAD_R_AT_LEAST_MS - 1, False), (MO.LBBB_BROAD_R_AT_LEAST_MS, True)])
def test_complete_lbbb_needs_a_broad_r_lobe(r_ms, fires):
    c = codes(_lbbb_broad(150.0, r_ms))
    assert ("CLBBB" in c) == fires
    if not fires:
        assert "IVCD" in c  # wide QRS without a bundle-branch pattern


def test_broad_r_limit_is_a_fraction_of_a_short_qrs():
    limit = MO.LBBB_BROAD_R_QRS_FRACTION * 114.0          # 79.8 ms
    assert "ILBBB" in codes(_lbbb_broad(114.0, 80.0))
    assert "ILBBB" not in codes(_lbbb_broad(114.0, limit - 1.0))


def test_incomplete_lbbb_needs_a_broad_r_in_i_or_avl():
    assert "ILBBB" in codes(_lbbb_broad(114.0, 90.0, leads=("I", "V6")))
    assert "ILBBB" not in codes(_lbbb_broad(114.0, 90.0, leads=("V5", "V6")))
    # a complete LBBB may show its broad R in V5/V6 and I alone
    assert "CLBBB" in codes(_lbbb_broad(150.0, 120.0, leads=("I", "V5")))


def test_lbbb_is_not_called_with_rs_in_both_v5_and_v6():
    m = _lbbb_broad(150.0, 120.0)
    for ld in ("V5", "V6"):
        set_lead(m, ld, r_mv=0.4, s_mv=-1.0, s_ms=80.0)
    assert not codes(m) & {"CLBBB", "ILBBB"}
    set_lead(m, "V6", r_mv=1.2, s_mv=None, s_ms=None)   # one lateral lead ending on its R is enough
    assert "CLBBB" in codes(m)


@pytest.mark.parametrize("v2_r,fires", [(1.4, True), (1.41, False)])
def test_complete_lbbb_needs_qs_or_rs_in_v2(v2_r, fires):
    m = _lbbb_broad(150.0, 120.0)
    set_lead(m, "V2", r_mv=v2_r, s_mv=-1.4)       # dominant R in V2 once taller than its S
    c = codes(m)
    assert ("CLBBB" in c) == fires
    if not fires:
        assert "IVCD" in c
    # an incomplete LBBB (LUDB 120) may keep an R in V2
    m = _lbbb_broad(114.0, 90.0)
    set_lead(m, "V2", r_mv=1.41, s_mv=-1.4)
    assert "ILBBB" in codes(m)


# --- RBBB ---------------------------------------------------------------------------------------
def _rbbb_monophasic_v1(r_ms: float):
    m = normal(qrs_ms=140.0)
    set_lead(m, "V1", r_mv=0.8, s_mv=None, s_ms=None, r_ms=r_ms, r_peak_time_ms=40.0, r_prime_mv=None)
    set_lead(m, "I", s_ms=60.0)
    set_lead(m, "V6", s_ms=60.0)
    return m


@pytest.mark.parametrize("r_ms,fires", [(MO.RBBB_V1_BROAD_R_AT_LEAST_MS - 1, False),
                                        (MO.RBBB_V1_BROAD_R_AT_LEAST_MS, True)])
def test_rbbb_by_a_broad_dominant_r_in_v1(r_ms, fires):
    c = codes(_rbbb_monophasic_v1(r_ms))
    assert ("CRBBB" in c) == fires
    if fires:
        assert any(f"lasting {r_ms:.0f} ms ≥ 80 ms" in e for e in by_code(_rbbb_monophasic_v1(r_ms), "CRBBB").evidence)


@pytest.mark.parametrize("r_prime,fires", [(MO.R_PRIME_V2_AT_LEAST_MV - 0.01, False), (MO.R_PRIME_V2_AT_LEAST_MV, True)])
def test_r_prime_in_v2_alone_must_be_tall(r_prime, fires):
    m = normal(qrs_ms=100.0)
    set_lead(m, "V2", r_prime_mv=r_prime)
    set_lead(m, "I", s_ms=50.0)
    set_lead(m, "V6", s_ms=50.0)
    assert ("IRBBB" in codes(m)) == fires


def test_wide_s_after_a_broad_r_is_not_the_rbbb_s():
    m = normal(qrs_ms=140.0)
    set_lead(m, "V1", r_mv=0.3, s_mv=-0.4, r_prime_mv=0.5)
    for ld in ("I", "V6"):
        set_lead(m, ld, r_ms=100.0, s_ms=45.0)
    assert "CRBBB" not in codes(m)
    for ld in ("I", "V6"):
        set_lead(m, ld, r_ms=40.0)
    assert "CRBBB" in codes(m)


def test_v1_decides_when_both_bundle_branch_patterns_match():
    m = _lbbb_broad(150.0, 120.0)
    set_lead(m, "V2", r_prime_mv=0.5)          # a notch in V2 read as R′
    set_lead(m, "V6", s_ms=45.0, r_ms=40.0)    # and one lateral wide S after a narrow R
    c = codes(m)
    assert "CLBBB" in c and "CRBBB" not in c
    set_lead(m, "V1", r_prime_mv=0.5)          # R′ in V1 itself: right bundle
    c = codes(m)
    assert "CRBBB" in c and "CLBBB" not in c


# --- first-degree AV block --------------------------------------------------------------------
@pytest.mark.parametrize("p_ms,fires", [(231.0 - RC.FIRST_DEGREE_PR_SEGMENT_AT_LEAST_MS + 1, False),
                                        (231.0 - RC.FIRST_DEGREE_PR_SEGMENT_AT_LEAST_MS, True)])
def test_first_degree_block_below_240_ms_needs_a_pr_segment(p_ms, fires):
    m = normal(pr_ms=231.0, p_ms=p_ms)
    assert ("1AVB" in codes(m)) == fires
    if fires:
        assert any("PR segment (P end to QRS onset) 100 ms ≥ 100 ms" in e for e in by_code(m, "1AVB").evidence)


@pytest.mark.parametrize("pr,fires", [(RC.FIRST_DEGREE_PR_ALONE_AT_LEAST_MS - 1, False),
                                      (RC.FIRST_DEGREE_PR_ALONE_AT_LEAST_MS, True)])
def test_first_degree_block_at_240_ms_with_a_shorter_segment(pr, fires):
    m = normal(pr_ms=pr, p_ms=pr - RC.FIRST_DEGREE_LONG_PR_SEGMENT_AT_LEAST_MS)   # segment 60 ms < 100 ms
    assert ("1AVB" in codes(m)) == fires


@pytest.mark.parametrize("seg,fires", [(RC.FIRST_DEGREE_LONG_PR_SEGMENT_AT_LEAST_MS - 1, False),
                                       (RC.FIRST_DEGREE_LONG_PR_SEGMENT_AT_LEAST_MS, True)])
def test_first_degree_block_needs_some_pr_segment_however_long_the_pr(seg, fires):
    m = normal(pr_ms=260.0, p_ms=260.0 - seg)   # PTB-XL 495: PR 244 ms of which P 226 ms
    assert ("1AVB" in codes(m)) == fires
    if fires:
        assert any(f"PR segment (P end to QRS onset) {seg:.0f} ms ≥ 60 ms with PR ≥ 240 ms" in e
                   for e in by_code(m, "1AVB").evidence)


# --- fascicular blocks ----------------------------------------------------------------------------
def _lafb(ax=-60.0):
    m = normal(qrs_axis_deg=ax)
    for ld in ("II", "III", "aVF"):
        set_lead(m, ld, r_mv=0.2, s_mv=-0.8)
    set_lead(m, "aVL", q_mv=-0.1, q_ms=20.0, r_mv=0.9, s_mv=None)
    return m


def test_lafb_needs_rs_not_qs_inferiorly():
    assert "LAFB" in codes(_lafb())
    m = _lafb()
    for ld in ("II", "aVF"):
        set_lead(m, ld, r_mv=None, s_mv=None, q_mv=-0.8)   # QS: inferior infarction pattern
    assert "LAFB" not in codes(m)


def test_lafb_not_with_rs_in_avl():
    m = _lafb()
    set_lead(m, "aVL", q_mv=None, r_mv=0.2, s_mv=-0.6)
    assert "LAFB" not in codes(m)


@pytest.mark.parametrize("ax,fires", [(RC.LPFB_AXIS_DEG[0] - 0.5, False), (RC.LPFB_AXIS_DEG[0], True)])
def test_lpfb_axis_limit(ax, fires):
    m = normal(qrs_axis_deg=ax)
    set_lead(m, "I", r_mv=0.2, s_mv=-0.7)
    set_lead(m, "III", q_mv=-0.1, q_ms=20.0, r_mv=1.2, s_mv=None)
    assert ("LPFB" in codes(m)) == fires


# --- pre-excitation -------------------------------------------------------------------------------
@pytest.mark.parametrize("q_mv,fires", [(-(MO.Q_PRESENT_AT_LEAST_MV - 0.01), False), (-MO.Q_PRESENT_AT_LEAST_MV, True)])
def test_lpfb_needs_a_q_before_the_inferior_r(q_mv, fires):
    m = normal(qrs_axis_deg=110.0)
    set_lead(m, "I", r_mv=0.2, s_mv=-0.7)
    set_lead(m, "III", q_mv=q_mv, q_ms=20.0, r_mv=1.2, s_mv=None)
    set_lead(m, "aVF", q_mv=None, r_mv=1.0, s_mv=None)
    c = codes(m)
    assert ("LPFB" in c) == fires
    if fires:
        assert any("q (≥ 0.05 mV) before it in III" in e for e in by_code(m, "LPFB").evidence)


@pytest.mark.parametrize("qrs,fires", [(RC.WPW_QRS_AT_LEAST_MS - 1, False), (RC.WPW_QRS_AT_LEAST_MS, True)])
def test_preexcitation_needs_a_widened_qrs(qrs, fires):
    m = normal(pr_ms=100.0, qrs_ms=qrs)
    for ld in ("I", "V4", "V5"):
        set_lead(m, ld, delta_wave=True)
    assert ("WPW" in codes(m)) == fires


# --- lateral Q waves --------------------------------------------------------------------------------
@pytest.mark.parametrize("q_mv,fires", [(-0.19, False), (-0.2, True)])
def test_lateral_q_must_be_a_fifth_of_r(q_mv, fires):
    m = normal()
    for ld in ("I", "aVL"):
        set_lead(m, ld, r_mv=1.0, q_mv=q_mv, q_ms=RI.Q_OTHER_AT_LEAST_MS)
    assert ("Q_LAT" in codes(m)) == fires


# --- real records moved across one threshold --------------------------------------------------------
@pytest.fixture(scope="module")
def measured(data_dir):
    cache = {}

    def get(rel: str, start_s: float | None = None):
        key = (rel, start_s)
        if key not in cache:
            ecg = read_ecg(data_dir / rel)
            if start_s is not None:
                fs = ecg.sampling_rate_hz
                ecg = ecg.with_changes(signals_mv=ecg.signals_mv[:, int(start_s * fs):int((start_s + 10) * fs)])
            cache[key] = measure(ecg)
        return copy.deepcopy(cache[key])
    return get


def test_real_lbbb_loses_the_statement_when_its_r_waves_are_narrowed(measured):
    m = measured("ptb-xl/records500/00000/00338_hr.hea")        # CLBBB-labelled, folds 1–8
    assert "CLBBB" in codes(m)
    limit = MO.broad_r_limit_ms(RuleContext(m=m))
    leads = dict(m.lead_amplitudes)
    for ld in ("I", "aVL", "V5", "V6"):
        leads[ld] = replace(leads[ld], r_ms=limit - 1.0, notched_r=False)
    assert not codes(replace(m, lead_amplitudes=leads)) & {"CLBBB", "ILBBB"}
    for ld in ("I", "aVL", "V5", "V6"):
        leads[ld] = replace(leads[ld], r_ms=limit)
    assert "CLBBB" in codes(replace(m, lead_amplitudes=leads))


def test_real_2_to_1_block_at_the_p_per_qrs_limit(measured):
    m = measured("mitdb/231.hea", 100.0)                          # "(BII" episode
    assert "2AVB" in codes(m)
    assert "2AVB" in codes(replace(m, p_per_qrs=RC.AV_BLOCK_P_PER_QRS_AT_LEAST))
    assert not codes(replace(m, p_per_qrs=RC.AV_BLOCK_P_PER_QRS_AT_LEAST - 0.01)) & {"2AVB", "3AVB"}


def test_real_first_degree_block_at_the_pr_limits(measured):
    m = measured("ptb-xl/records500/00000/00102_hr.hea")        # 1AVB-labelled, folds 1–8
    assert "1AVB" in codes(m)
    short_p = RC.FIRST_DEGREE_PR_ABOVE_MS - RC.FIRST_DEGREE_PR_SEGMENT_AT_LEAST_MS - 10.0
    assert "1AVB" in codes(replace(m, pr_ms=RC.FIRST_DEGREE_PR_ABOVE_MS + 1, p_ms=short_p))
    assert "1AVB" not in codes(replace(m, pr_ms=RC.FIRST_DEGREE_PR_ABOVE_MS, p_ms=short_p))


def test_real_vt_at_the_wct_rate_limit(measured):
    from ecgchat_desktop.interpret import rules_rhythm as RR
    m = measured("mitdb/223.hea", 590.0)                          # "(VT" episode
    assert "WCT" in codes(m)
    assert "WCT" in codes(replace(m, hr_bpm=RR.WCT_RATE_AT_LEAST_BPM))
    assert "WCT" not in codes(replace(m, hr_bpm=RR.WCT_RATE_AT_LEAST_BPM - 0.1))
    assert "WCT" not in codes(replace(m, qrs_ms=RR.WCT_QRS_AT_LEAST_MS - 1))


def test_no_sgarbossa_or_fascicular_block_in_a_real_ventricular_tachycardia(measured):
    m = measured("cinc/ningbo/JS45545.hea")                      # PVT-labelled, LBBB-like QRS
    c = codes(m)
    assert "WCT" in c and not c & {"STEMI_SGARBOSSA", "LAFB", "LPFB"}


def _shorten_waves(m, to_ms: float):
    leads = {ld: replace(a, r_ms=None if a.r_ms is None else min(a.r_ms, to_ms),
                         s_ms=None if a.s_ms is None else min(a.s_ms, to_ms))
             for ld, a in m.lead_amplitudes.items()}
    return replace(m, lead_amplitudes=leads)


def test_real_ivcd_needs_one_wave_lasting_most_of_the_qrs(measured):
    m = measured("ptb-xl/records500/00000/00413_hr.hea")        # IVCD-labelled, folds 1–8
    assert "IVCD" in codes(m)
    ev = by_code(m, "IVCD").evidence
    assert any("slurred" in e and "≥ 70 % of the QRS" in e for e in ev)
    limit = MO.IVCD_LONGEST_WAVE_QRS_FRACTION * m.qrs_ms
    assert "IVCD" in codes(_shorten_waves(m, limit))
    assert "IVCD" not in codes(_shorten_waves(m, limit - 1.0))


@pytest.mark.parametrize("s_ms,fires", [(0.7 * 120.0 - 1.0, False), (0.7 * 120.0, True)])
def test_ivcd_longest_wave_limit(s_ms, fires):
    m = set_lead(normal(qrs_ms=120.0), "V1", s_ms=s_ms)
    assert ("IVCD" in codes(m)) == fires


def test_no_ivcd_in_a_wide_complex_tachycardia():
    m = set_lead(normal(hr_bpm=160.0, qrs_ms=130.0, p_wave_fraction=0.0, pr_ms=None, p_ms=None), "V1", s_ms=110.0)
    c = codes(m)
    assert "WCT" in c and "IVCD" not in c


def _rbbb_with_area_axis(ax: float):
    """RBBB shape (rsR′ in V1, wide S in I and V6) whose net-area axis is set to `ax`."""
    m = replace(normal(qrs_axis_deg=ax), qrs_ms=140.0)
    set_lead(m, "V1", r_mv=0.3, s_mv=-0.4, r_prime_mv=0.6)
    for ld in ("I", "V6"):
        set_lead(m, ld, s_ms=60.0)
    return m


def test_lafb_in_rbbb_is_judged_on_the_net_deflection_axis():
    m = _lafb(ax=-130.0)                     # rS in II/III/aVF, qR in aVL: deflections point left-superior
    set_lead(m, "V1", r_mv=0.3, s_mv=-0.4, r_prime_mv=0.6)
    for ld in ("I", "V6"):
        set_lead(m, ld, s_ms=60.0)
    m = replace(m, qrs_ms=140.0)
    c = codes(m)
    assert {"CRBBB", "LAFB"} <= c
    ev = by_code(m, "LAFB").evidence
    height = MO.net_deflection_axis_deg(RuleContext(m=m))
    assert RC.LAFB_AXIS_DEG[0] <= height <= RC.LAFB_AXIS_DEG[1]
    assert ev[0].startswith(f"QRS axis (net deflections) {height:+.0f}° within")
    assert any("net-area QRS axis -130°" in e and "terminal S of RBBB" in e for e in ev)
    # the same net-area axis without RBBB is not read as LAFB
    assert "LAFB" not in codes(_lafb(ax=-130.0))
    # nor with RBBB when the inferior leads are not rS
    for ld in ("II", "III", "aVF"):
        set_lead(m, ld, r_mv=0.8, s_mv=-0.2)
    assert "LAFB" not in codes(m)


def test_axis_in_rbbb_is_read_from_the_net_deflections():
    m = _rbbb_with_area_axis(-150.0)         # normal limb-lead deflections: axis about +50°
    c = codes(m)
    assert "CRBBB" in c and not c & {"EXTREME_AXIS", "LAD", "RAD"}
    # without RBBB the same net-area axis is extreme
    assert "EXTREME_AXIS" in codes(normal(qrs_axis_deg=-150.0))
    # deflections pointing left-superior give LAD, saying which axis was used and why
    for ld in ("II", "III", "aVF"):
        set_lead(m, ld, r_mv=0.2, s_mv=-0.8)
    s = by_code(m, "LAD")
    assert s.evidence[0].startswith("QRS axis (net deflections) ")
    assert any("net-area axis -150°" in e and "terminal S" in e for e in s.evidence)


@pytest.mark.parametrize("aVF_s,code", [(-0.55, None), (-0.6, "LAD")])
def test_axis_in_rbbb_at_the_left_limit(aVF_s, code):
    # I net +0.7 mV, aVF net 0.2 + S: the deflection axis crosses −30° between these two S depths
    m = _rbbb_with_area_axis(-150.0)
    for ld in ("II", "III", "aVR", "aVL"):
        m.lead_amplitudes.pop(ld)
    set_lead(m, "aVF", r_mv=0.2, s_mv=aVF_s)
    height = MO.net_deflection_axis_deg(RuleContext(m=m))
    assert (height < -30.0) == (code == "LAD")
    got = codes(m) & {"LAD", "EXTREME_AXIS", "RAD"}
    assert got == ({code} if code else set())


def test_septal_q_in_v4_with_a_tall_r_is_not_an_anterior_infarct():
    m = normal()
    set_lead(m, "V3", q_mv=-0.2, q_ms=22.0, r_mv=3.0)          # V2–V3: any Q ≥ 20 ms counts
    set_lead(m, "V4", q_mv=-0.3, q_ms=30.0, r_mv=2.9)          # 10 % of R: a septal q
    assert "Q_ANTSEP" not in codes(m)
    set_lead(m, "V4", q_mv=-0.6)                               # 21 % of R
    assert "Q_ANTSEP" in codes(m)


@pytest.mark.parametrize("r_prime,r,fires", [(MO.R_PRIME_SMALL_AT_LEAST_MV, 0.08, True),
                                             (MO.R_PRIME_SMALL_AT_LEAST_MV - 0.01, 0.05, False),
                                             (0.12, 0.13, False),
                                             (MO.R_PRIME_AT_LEAST_MV, 0.5, True)])
def test_small_r_prime_counts_when_it_outgrows_the_initial_r(r_prime, r, fires):
    m = normal(qrs_ms=130.0)
    set_lead(m, "V1", r_mv=r, s_mv=-0.3, r_prime_mv=r_prime)
    set_lead(m, "I", s_ms=50.0)
    set_lead(m, "V6", s_ms=50.0)
    assert ("CRBBB" in codes(m)) == fires


# --- AV block: PR spread and rate limits ---------------------------------------------------------
def _blocked(hr: float, prs: list[float]):
    peaks = regular_peaks(hr)
    return normal(hr, atrial_rate_bpm=80.0, p_per_qrs=2.0, r_peaks=peaks, beats=beats_for(peaks, prs))


@pytest.mark.parametrize("prs,code", [([118.0, 242.0], "3AVB"), ([122.0, 238.0], "2AVB")])
def test_complete_block_needs_a_pr_spread_above_60_ms(prs, code):
    c = codes(_blocked(38.0, prs))            # PR SD 62 ms / 58 ms
    assert code in c and not c & ({"2AVB", "3AVB"} - {code})


def test_complete_block_needs_a_ventricular_rate_below_60():
    assert "3AVB" in codes(_blocked(RC.THIRD_DEGREE_RATE_BELOW_BPM - 0.5, [118.0, 242.0]))
    # A regular rhythm at 60/min with "2 P per QRS" would be 2:1 conduction of an atrial rate of
    # 120/min: P-like waves counted twice, not AV block (the regular-rhythm rate limit).
    assert not codes(_blocked(RC.AV_BLOCK_REGULAR_RATE_BELOW_BPM, [118.0, 242.0])) & {"2AVB", "3AVB"}


def _grouped(prs: list[float], rr_ms, p_per_qrs=1.5):
    """Grouped beating: two conducted beats, then a pause of a dropped beat (3:2 conduction)."""
    from tests.interpret_builders import FS, beats_for
    peaks, t = [], 200.0
    while t < 10.0 * FS:
        for rr in rr_ms:
            peaks.append(int(t))
            t += rr * FS / 1000.0
    hr = 60000.0 / (sum(rr_ms) / len(rr_ms))
    return normal(hr, atrial_rate_bpm=hr * p_per_qrs, p_per_qrs=p_per_qrs, r_peaks=peaks,
                  beats=beats_for(peaks, prs))


def test_dropped_beats_make_second_degree_block_at_any_rate():
    m = _grouped([160.0], rr_ms=(600.0, 600.0, 1200.0))   # 75/min, a dropped beat every third P
    s = [x for x in interpret(m) if x.code == "2AVB"]
    assert s and any("irregular ventricular rhythm" in e for e in s[0].evidence)
    assert "3AVB" not in codes(m)


@pytest.mark.parametrize("hr,blocked", [(RC.AV_BLOCK_REGULAR_RATE_BELOW_BPM - 0.5, True),
                                        (RC.AV_BLOCK_REGULAR_RATE_BELOW_BPM, False)])
def test_regular_rhythm_with_extra_p_waves_is_2_to_1_block_only_when_slow(hr, blocked):
    c = codes(_blocked(hr, [180.0]))            # fixed PR, 2 P per QRS, regular RR
    assert ("2AVB" in c) == blocked and "3AVB" not in c


def test_complete_block_needs_a_measured_pr_spread():
    peaks = regular_peaks(38.0)
    m = normal(38.0, atrial_rate_bpm=80.0, p_per_qrs=2.1, r_peaks=peaks,
               beats=[replace(b, p_onset=None) if i > 1 else b for i, b in enumerate(beats_for(peaks, 200.0))])
    s = [x for x in interpret(m) if x.code == "2AVB"]
    assert s and "3AVB" not in codes(m)
    assert any("P–QRS relation not assessable" in e for e in s[0].evidence)


@pytest.mark.parametrize("prs,fixed", [([150.0, 210.0], True), ([148.0, 212.0], False)])
def test_second_degree_evidence_says_fixed_pr_up_to_30_ms_sd(prs, fixed):
    ev = by_code(_blocked(40.0, prs), "2AVB").evidence
    assert any("fixed PR" in e for e in ev) == fixed


# --- further morphology limits -------------------------------------------------------------------
@pytest.mark.parametrize("n_leads,fires", [(RC.WPW_DELTA_LEADS_AT_LEAST - 1, False), (RC.WPW_DELTA_LEADS_AT_LEAST, True)])
def test_preexcitation_needs_delta_waves_in_two_leads(n_leads, fires):
    m = normal(pr_ms=100.0, qrs_ms=125.0)
    for ld in ("I", "V4", "V5")[:n_leads]:
        set_lead(m, ld, delta_wave=True)
    assert ("WPW" in codes(m)) == fires


@pytest.mark.parametrize("rpt,fires", [(MO.RBBB_V1_R_PEAK_TIME_ABOVE_MS, False), (MO.RBBB_V1_R_PEAK_TIME_ABOVE_MS + 1, True)])
def test_rbbb_by_a_late_dominant_r_in_v1(rpt, fires):
    m = normal(qrs_ms=130.0)
    set_lead(m, "V1", r_mv=0.8, s_mv=-0.2, r_ms=40.0, r_peak_time_ms=rpt, r_prime_mv=None)
    set_lead(m, "I", s_ms=50.0)
    set_lead(m, "V6", s_ms=50.0)
    assert ("CRBBB" in codes(m)) == fires


@pytest.mark.parametrize("s_ms,fires", [(MO.WIDE_S_AT_LEAST_MS - 1, False), (MO.WIDE_S_AT_LEAST_MS, True)])
def test_rbbb_wide_s_limit(s_ms, fires):
    m = normal(qrs_ms=130.0)
    set_lead(m, "V1", r_mv=0.3, s_mv=-0.4, r_prime_mv=0.5)
    for ld in ("I", "V6"):
        set_lead(m, ld, r_ms=40.0, s_ms=s_ms)
    assert ("CRBBB" in codes(m)) == fires


@pytest.mark.parametrize("rpt,fires", [(MO.LBBB_R_PEAK_TIME_ABOVE_MS, False), (MO.LBBB_R_PEAK_TIME_ABOVE_MS + 1, True)])
def test_lbbb_r_peak_time_when_the_r_duration_is_not_measured(rpt, fires):
    m = _lbbb_broad(150.0, 120.0)
    for ld in ("I", "aVL", "V5", "V6"):
        set_lead(m, ld, r_ms=None, r_peak_time_ms=rpt)
    assert ("CLBBB" in codes(m)) == fires


# --- infarction criteria (rules_ischemia) ----------------------------------------------------------
@pytest.mark.parametrize("depth,fires", [(RI.Q_OTHER_AT_LEAST_MV - 0.01, False), (RI.Q_OTHER_AT_LEAST_MV, True)])
def test_inferior_q_depth_limit(depth, fires):
    m = normal()
    for ld in ("II", "aVF"):
        set_lead(m, ld, q_mv=-depth, q_ms=RI.Q_OTHER_AT_LEAST_MS)
    assert ("Q_INF" in codes(m)) == fires


@pytest.mark.parametrize("depth,fires", [(RI.QS_DEPTH_AT_LEAST_MV - 0.01, False), (RI.QS_DEPTH_AT_LEAST_MV, True)])
def test_qs_complex_depth_limit(depth, fires):
    m = normal()
    for ld in ("V1", "V2"):
        set_lead(m, ld, r_mv=RI.QS_R_BELOW_MV - 0.01, s_mv=None, q_mv=-depth, q_ms=40.0)
    assert ("Q_ANTSEP" in codes(m)) == fires


def _lbbb_st(lead: str, st_j: float):
    m = _lbbb_broad(150.0, 120.0)
    for ld in ("I", "aVL", "V5", "V6"):
        set_lead(m, ld, notched_r=True)
    set_lead(m, lead, st_j_mv=st_j, st_j60_mv=st_j)
    return m


@pytest.mark.parametrize("st,fires", [(RI.SGARBOSSA_CONCORDANT_STE_MV - 0.01, False), (RI.SGARBOSSA_CONCORDANT_STE_MV, True)])
def test_sgarbossa_concordant_elevation_limit(st, fires):
    assert ("STEMI_SGARBOSSA" in codes(_lbbb_st("V6", st))) == fires


@pytest.mark.parametrize("ratio,fires", [(RI.SGARBOSSA_DISCORDANT_RATIO - 0.01, False), (RI.SGARBOSSA_DISCORDANT_RATIO, True)])
def test_sgarbossa_discordant_ratio_limit(ratio, fires):
    m = _lbbb_st("V2", 0.0)
    s_depth = 1.4                                      # V2 of the builder: S −1.4 mV
    set_lead(m, "V2", st_j_mv=ratio * s_depth + 1e-9, st_j60_mv=ratio * s_depth)
    assert ("STEMI_SGARBOSSA" in codes(m)) == fires
