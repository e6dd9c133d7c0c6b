"""Rule-based interpretation statements over `Measurements` (no Qt/torch/llama).
Entry point: `interpret(measurements, patient) -> list[Statement]`.

Rules live in small modules by category (rules_*.py); each exposes STEPS, functions
`step(ctx) -> list[Statement]` run in order, so later rules can read what fired before
(e.g. QTc is judged differently in bundle branch block). Every statement carries the
criteria that fired it, with the measured values and the thresholds.
"""

from __future__ import annotations

# Only the light statement types load eagerly: importing `interpret.statement` (the UI does)
# must not pull in every rule module; `interpret` and the vocabulary load on first use.
from ecgchat_desktop.interpret.statement import CATEGORIES, SEVERITIES, Statement

__all__ = ["interpret", "Statement", "CATEGORIES", "SEVERITIES", "load_vocabulary", "make_statement"]

_LAZY = {
    "interpret": "ecgchat_desktop.interpret.engine",
    "RULE_MODULES": "ecgchat_desktop.interpret.engine",
    "load_vocabulary": "ecgchat_desktop.interpret.vocabulary",
    "make_statement": "ecgchat_desktop.interpret.vocabulary",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
