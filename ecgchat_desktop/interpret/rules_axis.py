"""Frontal QRS axis statements (AHA 2009 adult limits: normal −30° to +90°)."""

from __future__ import annotations

from ecgchat_desktop.interpret import morphology as mo
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
    name, basis = "QRS axis", []
    # RBBB: the broad terminal S turns the net-area axis rightward-superior (CinC A0001 −150°,
    # PTB-XL 424 −134° labelled LAD); the axis is read from the net deflections instead.
    if ctx.has("CRBBB", "IRBBB"):
        by_height = mo.net_deflection_axis_deg(ctx)
        if by_height is not None:
            basis = [f"right bundle branch block: axis from the net QRS deflections of the limb leads "
                     f"(R minus Q and S) {fmt_deg(by_height)}; the net-area axis {fmt_deg(ax)} is turned "
                     "by the broad terminal S"]
            ax, name = by_height, "QRS axis (net deflections)"
    # Normalise to (−180°, +180°] so both spellings of the same axis classify alike.
    ax = ((ax + 180.0) % 360.0) - 180.0
    if ax == -180.0:
        ax = 180.0
    limbs = ctx.exclusion_note(("I", "II", "III", "aVR", "aVL", "aVF"))
    tail = basis + ([limbs] if limbs else [])
    if EXTREME_AXIS_BELOW_DEG <= ax < LEFT_AXIS_BELOW_DEG:
        return [make_statement("LAD", [f"{name} {fmt_deg(ax)} < {LEFT_AXIS_BELOW_DEG:+.0f}° "
                                       f"(and ≥ {EXTREME_AXIS_BELOW_DEG:+.0f}°)", *tail])]
    if RIGHT_AXIS_ABOVE_DEG < ax <= 180.0:
        return [make_statement("RAD", [f"{name} {fmt_deg(ax)} > {RIGHT_AXIS_ABOVE_DEG:+.0f}°", *tail])]
    if ax < EXTREME_AXIS_BELOW_DEG:
        return [make_statement("EXTREME_AXIS", [f"{name} {fmt_deg(ax)} between -180° and "
                                                f"{EXTREME_AXIS_BELOW_DEG:+.0f}°", *tail])]
    return []


STEPS = (evaluate,)
