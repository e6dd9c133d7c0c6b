"""Small per-lead QRS shape predicates shared by conduction, chamber and infarction rules.
Each returns None when the lead is unusable or the needed amplitude was not measured,
so rules can stay silent rather than guess."""

from __future__ import annotations

from ecgchat_desktop.interpret.context import RuleContext

R_PRIME_AT_LEAST_MV = 0.15      # smallest R′ counted as a second positive wave (PTB-XL folds 1–8)
WIDE_S_AT_LEAST_MS = 40.0
Q_PRESENT_AT_LEAST_MV = 0.05    # smaller initial negativity is treated as "no q"
LBBB_R_PEAK_TIME_ABOVE_MS = 60.0
RBBB_V1_R_PEAK_TIME_ABOVE_MS = 50.0


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


def has_r_prime(ctx: RuleContext, lead: str) -> bool | None:
    a = ctx.amp(lead)
    if a is None:
        return None
    return a.r_prime_mv is not None and a.r_prime_mv >= R_PRIME_AT_LEAST_MV


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


def broad_or_notched_r(ctx: RuleContext, lead: str) -> bool | None:
    a = ctx.amp(lead)
    if a is None:
        return None
    if a.notched_r:
        return True
    if a.r_peak_time_ms is None:
        return None if a.notched_r is None else False
    return a.r_peak_time_ms > LBBB_R_PEAK_TIME_ABOVE_MS


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
