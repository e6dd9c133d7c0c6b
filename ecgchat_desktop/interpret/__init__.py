"""Rule-based interpretation statements over `Measurements` (no Qt/torch/llama).
Entry point: `interpret(measurements, patient) -> list[Statement]`.

Rules live in small modules by category (rules_*.py); each exposes STEPS, functions
`step(ctx) -> list[Statement]` run in order, so later rules can read what fired before
(e.g. QTc is judged differently in bundle branch block). Every statement carries the
criteria that fired it, with the measured values and the thresholds.
"""

from __future__ import annotations

from ecgchat_desktop.interpret import (
    rules_axis,
    rules_chamber,
    rules_conduction,
    rules_ischemia,
    rules_other,
    rules_repolarisation,
    rules_rhythm,
)
from ecgchat_desktop.interpret.context import RuleContext
from ecgchat_desktop.interpret.statement import CATEGORIES, SEVERITIES, Statement
from ecgchat_desktop.interpret.vocabulary import load_vocabulary, make_statement

RULE_MODULES = (rules_rhythm, rules_conduction, rules_axis, rules_chamber, rules_ischemia,
                rules_repolarisation, rules_other)

__all__ = ["interpret", "Statement", "CATEGORIES", "SEVERITIES", "load_vocabulary", "make_statement"]


def interpret(measurements, patient=None) -> list[Statement]:
    """Statements for one ECG, most important category first (rhythm … other).

    `patient` is an `ecg.Patient` (sex "M"/"F"/None, age_years) or None; criteria that
    depend on sex or age say in their evidence which limit was used when it is unknown.
    """
    sex = getattr(patient, "sex", None) if patient is not None else None
    age = getattr(patient, "age_years", None) if patient is not None else None
    ctx = RuleContext(m=measurements, sex=sex if sex in ("M", "F") else None,
                      age_years=float(age) if age is not None else None)
    for module in RULE_MODULES:
        for step in module.STEPS:
            ctx.statements.extend(step(ctx))
    order = {c: i for i, c in enumerate(CATEGORIES)}
    # Stable sort: rule order within a category is kept.
    return sorted(ctx.statements, key=lambda s: order.get(s.category, len(order)))
