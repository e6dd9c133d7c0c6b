"""Runs the rule modules in order over `Measurements` (see the package docstring)."""

from __future__ import annotations

import math
from dataclasses import fields, replace

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

RULE_MODULES = (rules_rhythm, rules_conduction, rules_axis, rules_chamber, rules_ischemia,
                rules_repolarisation, rules_other)

def _finite_or_none(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _without_nan(m):
    """A copy in which NaN/inf numbers read as "not measured" (None), so no rule compares them
    and no evidence prints "nan"."""
    top = {f.name: _finite_or_none(getattr(m, f.name)) for f in fields(m)
           if isinstance(getattr(m, f.name), float)}
    qtc = {k: _finite_or_none(v) for k, v in (m.qtc_ms or {}).items()}
    leads = {}
    for name, a in (m.lead_amplitudes or {}).items():
        leads[name] = replace(a, **{f.name: _finite_or_none(getattr(a, f.name)) for f in fields(a)
                                    if isinstance(getattr(a, f.name), float)})
    return replace(m, **top, qtc_ms=qtc, lead_amplitudes=leads)


def interpret(measurements, patient=None) -> list[Statement]:
    """Statements for one ECG, most important category first (rhythm … other).

    `patient` is an `ecg.Patient` (sex "M"/"F"/None, age_years) or None; criteria that
    depend on sex or age say in their evidence which limit was used when it is unknown.
    """
    sex = getattr(patient, "sex", None) if patient is not None else None
    age = getattr(patient, "age_years", None) if patient is not None else None
    ctx = RuleContext(m=_without_nan(measurements), sex=sex if sex in ("M", "F") else None,
                      age_years=float(age) if age is not None else None)
    for module in RULE_MODULES:
        for step in module.STEPS:
            ctx.statements.extend(step(ctx))
    order = {c: i for i, c in enumerate(CATEGORIES)}
    # Stable sort: rule order within a category is kept.
    return sorted(ctx.statements, key=lambda s: order.get(s.category, len(order)))
