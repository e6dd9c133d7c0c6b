"""Small per-lead QRS shape predicates shared by conduction, chamber and infarction rules.
Each returns None when the lead is unusable or the needed amplitude was not measured,
so rules can stay silent rather than guess."""

from __future__ import annotations

from ecgchat_desktop.analysis.axes import frontal_axis_deg
from ecgchat_desktop.interpret.context import RuleContext

R_PRIME_AT_LEAST_MV = 0.15      # smallest R′ counted as a second positive wave (PTB-XL folds 1–8)
# A smaller R′ still counts when it is at least as tall as the initial r (rsR′ with R′ ≥ r, the
# classic right-bundle shape in low-voltage V1): CinC CRBBB +1, folds 1–8 IRBBB +1 / −1.
R_PRIME_SMALL_AT_LEAST_MV = 0.10
# A small terminal r′ in V2 alone (the upstroke into the ST segment) is common in normal ECGs:
# PTB-XL folds 1–8 NORM records show 0.15–0.23 mV, RBBB-labelled ones 0.39–0.42 mV.
R_PRIME_V2_AT_LEAST_MV = 0.30
WIDE_S_AT_LEAST_MS = 40.0
Q_PRESENT_AT_LEAST_MV = 0.05    # smaller initial negativity is treated as "no q"
LBBB_R_PEAK_TIME_ABOVE_MS = 60.0
# In LBBB the R in I/aVL/V5/V6 is monophasic and lasts most of the QRS. Our R-peak time counts
# from the global (earliest-lead) QRS onset and exceeds 60 ms in many narrow-R LVH/normal ECGs
# (LUDB, CinC), so when the R lobe's own duration is measured it must be this long.
# PTB-XL folds 1–8, CinC and LUDB (benchmarks/statements_conduction.py): true LBBB 116–156 ms,
# false positives 40–96 ms.
LBBB_BROAD_R_AT_LEAST_MS = 90.0
# In a QRS shorter than 130 ms (incomplete LBBB) the limit is this fraction of the QRS instead
# (LUDB incomplete-LBBB record 120: R 82–90 ms of a 114 ms QRS; normal R lobes < 50 %).
LBBB_BROAD_R_QRS_FRACTION = 0.7
RBBB_V1_R_PEAK_TIME_ABOVE_MS = 50.0
# A dominant monophasic R in V1 this long is the slurred R′ of RBBB fused with r (CinC, PTB-XL
# folds 1–8: RBBB 94–162 ms; normal V1 r lasts 20–40 ms).
RBBB_V1_BROAD_R_AT_LEAST_MS = 80.0
# A nonspecific intraventricular delay slows the whole activation, so some lead shows one slurred
# wave lasting most of the QRS. A global QRS (earliest onset to latest offset over 12 leads) of
# 110 ms made of short waves in every lead is normal conduction read across leads: LUDB normal
# records measure 95–110 ms with R and S lobes ≤ 50–60 % of it. PTB-XL folds 1–8, CinC and LUDB
# (benchmarks/statements_conduction.py, with no IVCD in a wide-complex tachycardia): IVCD false
# positives 10/21/50 → 5/8/16, folds 1–8 F1 0.33 → 0.46; 0.8 trades true ones for the same.
IVCD_LONGEST_WAVE_QRS_FRACTION = 0.7


def r_mv(ctx: RuleContext, lead: str) -> float | None:
    a = ctx.amp(lead)
    return None if a is None else (a.r_mv or 0.0)


def s_depth_mv(ctx: RuleContext, lead: str) -> float | None:
    """Depth of S as a positive number (0 when there is no S)."""
    a = ctx.amp(lead)
    return None if a is None else abs(a.s_mv or 0.0)


def q_depth_mv(ctx: RuleContext, lead: str) -> float | None:
    a = ctx.amp(lead)
    return None if a is None else abs(a.q_mv or 0.0)


def has_r_prime(ctx: RuleContext, lead: str, at_least_mv: float | None = None) -> bool | None:
    """An R′ of at least `at_least_mv` (default R_PRIME_AT_LEAST_MV, or R_PRIME_SMALL_AT_LEAST_MV
    when it is no smaller than the initial r)."""
    a = ctx.amp(lead)
    if a is None:
        return None
    limit = R_PRIME_AT_LEAST_MV if at_least_mv is None else at_least_mv
    if a.r_prime_mv is None:
        return False
    if a.r_prime_mv >= limit:
        return True
    return a.r_prime_mv >= R_PRIME_SMALL_AT_LEAST_MV and a.r_prime_mv >= (a.r_mv or 0.0) and at_least_mv is None


def r_dominant(ctx: RuleContext, lead: str) -> bool | None:
    """R taller than S (and Q) is deep: qR, Rs or R complex."""
    a = ctx.amp(lead)
    if a is None or a.r_mv is None:
        return None if a is None else False
    return a.r_mv > max(abs(a.s_mv or 0.0), abs(a.q_mv or 0.0))


def s_dominant(ctx: RuleContext, lead: str) -> bool | None:
    """S (or QS) deeper than R is tall: rS or QS complex."""
    a = ctx.amp(lead)
    if a is None:
        return None
    neg = max(abs(a.s_mv or 0.0), abs(a.q_mv or 0.0))
    return neg > (a.r_mv or 0.0)


def rs_complex(ctx: RuleContext, lead: str) -> bool | None:
    """rS: a small initial r (any q smaller than it) followed by a deeper S; a QS or QR
    complex (inferior infarction) is not rS."""
    a = ctx.amp(lead)
    if a is None:
        return None
    r, s, q = a.r_mv or 0.0, abs(a.s_mv or 0.0), abs(a.q_mv or 0.0)
    return r > 0.0 and s > r and q < r


def wide_s(ctx: RuleContext, lead: str) -> bool | None:
    """S lasting ≥ 40 ms or longer than R."""
    a = ctx.amp(lead)
    if a is None or a.s_ms is None:
        return None
    return a.s_ms >= WIDE_S_AT_LEAST_MS or (a.r_ms is not None and a.s_ms > a.r_ms)


def q_absent(ctx: RuleContext, lead: str) -> bool | None:
    a = ctx.amp(lead)
    if a is None:
        return None
    return a.q_mv is None or abs(a.q_mv) < Q_PRESENT_AT_LEAST_MV


def q_present(ctx: RuleContext, lead: str) -> bool | None:
    absent = q_absent(ctx, lead)
    return None if absent is None else not absent


def broad_r_limit_ms(ctx: RuleContext) -> float:
    """R-lobe duration that counts as broad: 90 ms, or 70 % of a shorter QRS."""
    qrs = ctx.m.qrs_ms
    if qrs is None:
        return LBBB_BROAD_R_AT_LEAST_MS
    return min(LBBB_BROAD_R_AT_LEAST_MS, LBBB_BROAD_R_QRS_FRACTION * qrs)


def broad_or_notched_r(ctx: RuleContext, lead: str) -> bool | None:
    """Notched R, or a broad R: the R lobe lasting ≥ broad_r_limit_ms() where its duration
    was measured, else an R-peak time > 60 ms."""
    a = ctx.amp(lead)
    if a is None:
        return None
    if a.notched_r:
        return True
    if a.r_ms is not None and a.r_mv:
        return a.r_ms >= broad_r_limit_ms(ctx)
    if a.r_peak_time_ms is None:
        return None if a.notched_r is None else False
    return a.r_peak_time_ms > LBBB_R_PEAK_TIME_ABOVE_MS


def broad_r(ctx: RuleContext, lead: str) -> bool | None:
    """A monophasic-looking R lobe lasting ≥ broad_r_limit_ms() (None if not measured)."""
    a = ctx.amp(lead)
    if a is None or a.r_ms is None or not a.r_mv:
        return None
    return a.r_ms >= broad_r_limit_ms(ctx)


def longest_wave(ctx: RuleContext) -> tuple[str, str, float] | None:
    """(lead, "R" or "S", duration in ms) of the longest single R or S lobe over the usable
    leads; None when no lobe duration was measured."""
    best = None
    for lead in (ctx.m.lead_amplitudes or {}):
        a = ctx.amp(lead)
        if a is None:
            continue
        for wave, ms, mv in (("R", a.r_ms, a.r_mv), ("S", a.s_ms, a.s_mv)):
            if ms is not None and mv and (best is None or ms > best[2]):
                best = (lead, wave, ms)
    return best


def net_deflection_axis_deg(ctx: RuleContext) -> float | None:
    """Frontal axis from each usable limb lead's net QRS deflection (R + R′ minus the Q, S and
    S′ depths, mV): the reading by hand. A broad but shallow terminal S (right bundle branch
    block) adds area far out of proportion to its voltage, so the net-area axis turns towards
    it; the deflections weigh it by its height only."""
    net = {}
    for lead in ("I", "II", "III", "aVR", "aVL", "aVF"):
        a = ctx.amp(lead)
        if a is not None and (a.r_mv is not None or a.q_mv is not None):
            net[lead] = sum(v or 0.0 for v in (a.q_mv, a.r_mv, a.s_mv, a.r_prime_mv, a.s_prime_mv))
    return frontal_axis_deg(net)


def describe(ctx: RuleContext, lead: str) -> str:
    """A compact amplitude summary of one lead for evidence strings."""
    a = ctx.amp(lead)
    if a is None:
        q = (ctx.m.lead_quality or {}).get(lead)
        return f"{lead} not used ({q})" if q and q != "good" else f"{lead} not measured"
    parts = []
    if a.q_mv:
        parts.append(f"Q {a.q_mv:.2f}")
    parts.append(f"R {a.r_mv or 0:.2f}")
    if a.s_mv:
        parts.append(f"S {a.s_mv:.2f}")
    if a.r_prime_mv:
        parts.append(f"R′ {a.r_prime_mv:.2f}")
    return f"{lead}: " + " ".join(parts) + " mV"


def count_true(values) -> tuple[int, int]:
    """(number True, number assessable) of a sequence of Optional[bool]."""
    vals = [v for v in values if v is not None]
    return sum(1 for v in vals if v), len(vals)
