"""Frontal QRS axis statements (AHA 2009 adult limits: normal −30° to +90°)."""

from __future__ import annotations

from ecgchat_desktop.interpret.context import RuleContext, fmt_deg
from ecgchat_desktop.interpret.statement import Statement
from ecgchat_desktop.interpret.vocabulary import make_statement

LEFT_AXIS_BELOW_DEG = -30.0     # LAD: −90° ≤ axis < −30°
RIGHT_AXIS_ABOVE_DEG = 90.0     # RAD: +90° < axis ≤ +180°
EXTREME_AXIS_BELOW_DEG = -90.0  # extreme: −180° < axis < −90°


def evaluate(ctx: RuleContext) -> list[Statement]:
    ax = ctx.m.qrs_axis_deg
    if ax is None:
        return []
    # Normalise to (−180°, +180°] so both spellings of the same axis classify alike.
    ax = ((ax + 180.0) % 360.0) - 180.0
    if ax == -180.0:
        ax = 180.0
    limbs = ctx.exclusion_note(("I", "II", "III", "aVR", "aVL", "aVF"))
    tail = [limbs] if limbs else []
    if EXTREME_AXIS_BELOW_DEG <= ax < LEFT_AXIS_BELOW_DEG:
        return [make_statement("LAD", [f"QRS axis {fmt_deg(ax)} < {LEFT_AXIS_BELOW_DEG:+.0f}° "
                                       f"(and ≥ {EXTREME_AXIS_BELOW_DEG:+.0f}°)", *tail])]
    if RIGHT_AXIS_ABOVE_DEG < ax <= 180.0:
        return [make_statement("RAD", [f"QRS axis {fmt_deg(ax)} > {RIGHT_AXIS_ABOVE_DEG:+.0f}°", *tail])]
    if ax < EXTREME_AXIS_BELOW_DEG:
        return [make_statement("EXTREME_AXIS", [f"QRS axis {fmt_deg(ax)} between -180° and "
                                                f"{EXTREME_AXIS_BELOW_DEG:+.0f}°", *tail])]
    return []


STEPS = (evaluate,)
