"""Other statements: low QRS voltage, signal-quality limitation, and the overall
normal / abnormal ECG statement (which reads every statement fired before it)."""

from __future__ import annotations

from ecgchat_desktop.ecg import CHEST_LEADS, LIMB_LEADS
from ecgchat_desktop.interpret.context import RuleContext
from ecgchat_desktop.interpret.rules_repolarisation import LONG_QTC_AT_LEAST_MS
from ecgchat_desktop.interpret.statement import Statement
from ecgchat_desktop.interpret.vocabulary import make_statement

LOW_VOLTAGE_LIMB_BELOW_MV = 0.5
LOW_VOLTAGE_CHEST_BELOW_MV = 1.0
LOW_VOLTAGE_MIN_LEADS = 4        # usable leads a group needs before it is judged

# Normal limits for "Normal ECG" (all must be measured).
# Our PR runs from the earliest P onset over all leads and reads long (PTB-XL folds 1–8 NORM-labelled
# records: median 166 ms, a tenth > 200 ms). Above the usual 200 ms the AV-block rule
# (rules_conduction: PR > 210 ms with a PR segment ≥ 100 ms, or PR ≥ 240 ms) decides; when it calls
# first-degree AV block, NORM is blocked by that statement. Folds 1–8 NORM F1: 0.75 with 200 ms,
# 0.80 with 240 ms (1 more false NORM).
NORMAL_PR_MS = (120.0, 240.0)
NORMAL_PR_USUAL_UPPER_MS = 200.0
NORMAL_QRS_BELOW_MS = 110.0
NORMAL_AXIS_DEG = (-30.0, 90.0)
NORMAL_QTC_FORMULA = "fridericia"
NORMAL_QTC_MS = (341.0, None)   # upper limit: just below the sex-specific long-QTc limit
NORMAL_RATE_BPM = (40.0, 150.0)   # rate statements (sinus brady/tachy) may accompany "otherwise normal"
_NORMAL_COMPANIONS = ("SR", "SBRAD", "STACH", "SARRH")
NORMAL_MAX_EXCLUDED_LEADS = 1


def _pp(ctx: RuleContext, lead: str) -> float | None:
    a = ctx.amp(lead)
    if a is None:
        return None
    if a.qrs_pp_mv is not None:
        return a.qrs_pp_mv
    if a.r_mv is None and a.s_mv is None and a.q_mv is None:
        return None
    return (a.r_mv or 0.0) - min(a.s_mv or 0.0, a.q_mv or 0.0)


def _low_voltage(ctx: RuleContext) -> list[Statement]:
    ev, groups = [], []
    for name, leads, limit in (("limb", LIMB_LEADS, LOW_VOLTAGE_LIMB_BELOW_MV),
                               ("chest", CHEST_LEADS, LOW_VOLTAGE_CHEST_BELOW_MV)):
        vals = {ld: _pp(ctx, ld) for ld in leads}
        vals = {k: v for k, v in vals.items() if v is not None}
        if len(vals) < LOW_VOLTAGE_MIN_LEADS:
            continue
        if max(vals.values()) < limit:
            groups.append(name)
            ev.append(f"QRS peak-to-peak < {limit} mV in all {len(vals)} usable {name} leads "
                      f"(largest {max(vals, key=vals.get)} {max(vals.values()):.2f} mV)")
            note = ctx.exclusion_note(leads)
            if note:
                ev.append(note)
    if not groups:
        return []
    return [make_statement("LVOLT", ev, text="Low QRS voltage, " + " and ".join(groups) + " leads")]


def _quality(ctx: RuleContext) -> list[Statement]:
    bad = ctx.excluded_leads
    if not bad:
        return []
    # The count makes the evidence checkable like every other criterion line.
    n_leads = len(ctx.m.lead_quality) or len(bad)
    return [make_statement("POOR_QUALITY", [
        f"{len(bad)} of {n_leads} leads not used by any criterion: "
        + ", ".join(f"{k} ({v})" for k, v in bad.items())])]


ADULT_FROM_AGE_YEARS = 16.0


def _pediatric(ctx: RuleContext) -> list[Statement]:
    if ctx.age_years is None or ctx.age_years >= ADULT_FROM_AGE_YEARS:
        return []
    return [make_statement("PEDIATRIC", [
        f"age {ctx.age_years:.0f} y < {ADULT_FROM_AGE_YEARS:.0f} y; rate, axis, voltage and T-wave limits used "
        "here are adult ones (a right axis or T inversion in V1–V3 may be normal for age)"])]


def _overall(ctx: RuleContext) -> list[Statement]:
    """Abnormal, normal, or borderline ECG (nothing when nothing at all was measured)."""
    severe = [s for s in ctx.statements if s.severity in ("critical", "abnormal")]
    if severe:
        return [make_statement("ABNORMAL", ["abnormal statements: " + ", ".join(s.code for s in severe)])]
    normal = _normal(ctx)
    if normal:
        return normal
    borderline = [s for s in ctx.statements if s.severity == "borderline"]
    if borderline:
        return [make_statement("BORDERLINE", ["borderline statements: " + ", ".join(s.code for s in borderline)])]
    return []


def _normal(ctx: RuleContext) -> list[Statement]:
    bad = ctx.excluded_leads
    # One unusable lead does not hide a diagnosis the other eleven would show; more might.
    others = [s for s in ctx.statements if s.code not in _NORMAL_COMPANIONS
              and not (s.code == "POOR_QUALITY" and len(bad) <= NORMAL_MAX_EXCLUDED_LEADS)]
    if others or not ctx.has(*_NORMAL_COMPANIONS):
        return []
    m = ctx.m
    qtc = (m.qtc_ms or {}).get(NORMAL_QTC_FORMULA)
    checks = [
        ("rate", m.hr_bpm, NORMAL_RATE_BPM, "bpm"),
        ("PR", m.pr_ms, NORMAL_PR_MS, "ms"),
        ("QRS", m.qrs_ms, (0.0, NORMAL_QRS_BELOW_MS - 1e-9), "ms"),
        ("QRS axis", m.qrs_axis_deg, NORMAL_AXIS_DEG, "°"),
        (f"QTc ({NORMAL_QTC_FORMULA.capitalize()})", qtc,
         (NORMAL_QTC_MS[0], LONG_QTC_AT_LEAST_MS.get(ctx.sex or "M") - 1.0), "ms"),
    ]
    ev = []
    for label, value, (lo, hi), unit in checks:
        if value is None or not (lo <= value <= hi):
            return []  # not measured or outside normal limits: never call it normal
        if label == "QRS":
            ev.append(f"QRS {value:.0f} ms < {NORMAL_QRS_BELOW_MS:.0f} ms")
        elif label == "PR" and value > NORMAL_PR_USUAL_UPPER_MS:
            ev.append(f"PR {value:.0f} ms > {NORMAL_PR_USUAL_UPPER_MS:.0f} ms (≤ {hi:.0f} ms) without first-degree AV "
                      "block by the AV-block criteria (our all-lead PR reads long)")
        elif label == "PR":
            ev.append(f"PR {value:.0f} ms within {lo:.0f}–{NORMAL_PR_USUAL_UPPER_MS:.0f} ms")
        elif unit == "°":
            ev.append(f"{label} {value:+.0f}° within {lo:+.0f}° to {hi:+.0f}°")
        else:
            ev.append(f"{label} {value:.0f} {unit} within {lo:.0f}–{hi:.0f} {unit}")
    ev.append("no conduction, axis, chamber, ischemia or repolarisation statement fired")
    if bad:
        ev.append("judged without " + ", ".join(f"{k} ({v})" for k, v in bad.items()))
    rate_only = [s.code for s in ctx.statements if s.code in ("SBRAD", "STACH")]
    text = "Otherwise normal ECG" if rate_only else None
    return [make_statement("NORM", ev, text=text)]


STEPS = (_low_voltage, _quality, _pediatric, _overall)
