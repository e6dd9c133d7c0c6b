"""Repolarisation statements: ST depression, T-wave inversion, ST elevation not meeting
STEMI criteria, long/short QTc (formula named, sex-specific limits, critical ≥ 500 ms)."""

from __future__ import annotations

from ecgchat_desktop.interpret.context import RuleContext, fmt_ms
from ecgchat_desktop.interpret.rules_ischemia import ste_line
from ecgchat_desktop.interpret.rules_rhythm import AF_IRREGULARITY_AT_LEAST, rr_irregularity
from ecgchat_desktop.interpret.statement import Statement
from ecgchat_desktop.interpret.vocabulary import make_statement

# Leads in an order where neighbours are contiguous (Cabrera limb order, then V1–V6).
CONTIGUOUS_ORDER = ("aVL", "I", "II", "aVF", "III", "V1", "V2", "V3", "V4", "V5", "V6")
# UDMI: horizontal/downsloping depression ≥ 0.05 mV. Judged 60 ms after J, where the level of a
# horizontal or downsloping segment is at least as low as at J and the measured J point (at the
# QRS offset) is less noisy to rely on; any slope counts from 0.1 mV.
STD_FLAT_J60_AT_MOST_MV = -0.05
STD_J60_AT_MOST_MV = -0.1
TINV_AT_MOST_MV = -0.1
TINV_LEADS = ("aVL", "I", "II", "aVF", "III", "V2", "V3", "V4", "V5", "V6")  # T normally upright (not aVR/V1)
# A negative T confined to III and aVF (II not inverted) is common in normal ECGs (vertical heart,
# respiration); on PTB-XL folds 1–8 it was the only TINV finding in 4 records, 1 labelled NORM, none INVT.
TINV_NORMAL_VARIANT_LEADS = {"III", "aVF"}
# In a limb lead a negative T counts only after a mainly upright QRS (R ≥ |S|): after a mainly
# negative QRS it is concordant and normal (Minnesota code 5 asks the same of aVL and aVF; UDMI asks
# for a prominent R or R/S > 1). Precordial leads keep the T criterion alone: an anterior T
# inversion after an rS (e.g. Wellens) is not normal.
TINV_LIMB_LEADS = ("aVL", "I", "II", "aVF", "III")

QTC_FORMULA_ORDER = ("fridericia", "bazett", "hodges", "framingham")
LONG_QTC_AT_LEAST_MS = {"M": 450.0, "F": 460.0}
CRITICAL_QTC_AT_LEAST_MS = 500.0
SHORT_QTC_AT_MOST_MS = 340.0
# A short QTc is judged only at a regular rate of 50–100/min: the rate formulas under-correct at
# slow rates (a normal QT reads "short" below 50/min) and over a mean of irregular RR, and short QT
# is assessed at rest. A 10 s sweep over every MIT-BIH record found 112 SQTC windows and no real
# short QT: slow rhythms with pauses (201, 232), AF/flutter (200, 202, 203, 210, 222), T ends read
# early in noise or unrecognised pacing (102, 104, 105, 121).
SHORT_QTC_RATE_BPM = (50.0, 100.0)
WIDE_QRS_AT_LEAST_MS = 120.0

_SECONDARY_CODES = ("CLBBB", "PACE", "WPW", "WCT")
# Secondary ST-T changes of right bundle branch delay sit in V1–V3 only (complete or incomplete).
# Right ventricular hypertrophy brings the same secondary ("strain") ST-T changes in V1–V3
# (AHA/ACCF/HRS 2009, part V); on PTB-XL folds 1–8 the one TINV record with RVH stated (222,
# labelled RVH, not INVT) had its T inversion in V2–V3 only.
_SECONDARY_RIGHT_CHEST = ("CRBBB", "IRBBB", "RVH")
# A complete bundle-branch-width QRS (≥ 120 ms: IVCD, or a block not recognised as such) brings
# secondary ST-T changes in the leads with the dominant QRS: there only a depression of
# ≥ STD_J60_AT_MOST_MV (any slope) counts. 110–119 ms (incomplete block) keeps the UDMI
# 0.05 mV horizontal/downsloping threshold with a note: on PTB-XL folds 1–8 the 3 records at
# 110–119 ms with such a depression were all labelled STD_ or ISC_ (325, 413; 380 fires either way).
STD_WIDE_QRS_AT_LEAST_MS = 120.0
STD_NOTE_QRS_AT_LEAST_MS = 110.0
# With ST elevation meeting STEMI criteria, the STD evidence says the depression may be reciprocal
# (STD is still reported: it is measured).
_STEMI_CODES = ("STEMI_INF", "STEMI_ANT", "STEMI_LAT")
# Leads where an LVH strain pattern shows (leads with the tall R of the left ventricle).
_LVH_STRAIN_LEADS = ("aVL", "I", "V4", "V5", "V6")


def _pairs(leads_ok: set[str]) -> list[str]:
    """Leads of `leads_ok` that have a contiguous neighbour also in `leads_ok`."""
    out = []
    for i, ld in enumerate(CONTIGUOUS_ORDER):
        nb = CONTIGUOUS_ORDER[i - 1:i] + CONTIGUOUS_ORDER[i + 1:i + 2]
        if ld in leads_ok and any(n in leads_ok for n in nb if not {ld, n} == {"III", "V1"}):
            out.append(ld)
    return out


def _skip_leads(ctx: RuleContext) -> set[str]:
    return {"V1", "V2", "V3"} if ctx.has(*_SECONDARY_RIGHT_CHEST) else set()


def _skip_reason(ctx: RuleContext) -> str:
    return ("right bundle branch delay" if ctx.has("CRBBB", "IRBBB") else "right ventricular hypertrophy") + \
        ": secondary ST-T changes there"


def _st_depression(ctx: RuleContext) -> list[Statement]:
    if ctx.has(*_SECONDARY_CODES):
        return []
    skip = _skip_leads(ctx)
    wide = ctx.m.qrs_ms is not None and ctx.m.qrs_ms >= STD_WIDE_QRS_AT_LEAST_MS
    lines: dict[str, str] = {}
    for ld in CONTIGUOUS_ORDER:
        a = ctx.amp(ld)
        if a is None or ld in skip:
            continue
        if a.st_j60_mv is None:
            continue
        if not wide and a.st_slope in ("flat", "down") and a.st_j60_mv <= STD_FLAT_J60_AT_MOST_MV:
            lines[ld] = f"{ld} {a.st_j60_mv:+.2f} mV at J+60 ms, {'horizontal' if a.st_slope == 'flat' else 'downsloping'}"
        elif a.st_j60_mv <= STD_J60_AT_MOST_MV:
            lines[ld] = f"{ld} {a.st_j60_mv:+.2f} mV at J+60 ms"
    leads = _pairs(set(lines))
    if not leads:
        return []
    ev = [f"ST depression in contiguous leads (≤ {STD_FLAT_J60_AT_MOST_MV} mV at J+60 ms horizontal/"
          f"downsloping, or ≤ {STD_J60_AT_MOST_MV} mV any slope): " + "; ".join(lines[ld] for ld in leads)]
    if ctx.has("LVH"):
        ev.append("with LVH: may be secondary (strain pattern)")
    stemi = [s.code for s in ctx.statements if s.code in _STEMI_CODES]
    if stemi:
        ev.append(f"with ST elevation meeting STEMI criteria ({', '.join(stemi)}): may be reciprocal")
    if wide:
        ev.append(f"QRS {fmt_ms(ctx.m.qrs_ms)} ≥ {STD_WIDE_QRS_AT_LEAST_MS:.0f} ms (conduction delay): only "
                  f"≤ {STD_J60_AT_MOST_MV} mV counted, shallower depression may be secondary")
    elif ctx.m.qrs_ms is not None and ctx.m.qrs_ms >= STD_NOTE_QRS_AT_LEAST_MS:
        ev.append(f"QRS {fmt_ms(ctx.m.qrs_ms)} ≥ {STD_NOTE_QRS_AT_LEAST_MS:.0f} ms (incomplete conduction delay): "
                  "part of the depression may be secondary")
    if skip:
        ev.append(f"V1–V3 not used ({_skip_reason(ctx)})")
    note = ctx.exclusion_note(CONTIGUOUS_ORDER)
    if note:
        ev.append(note)
    text = f"ST depression, {', '.join(leads)}"
    return [make_statement("STD", ev, text=text)]


def _t_inversion(ctx: RuleContext) -> list[Statement]:
    if ctx.has(*_SECONDARY_CODES):
        return []
    skip = _skip_leads(ctx)
    lines: dict[str, str] = {}
    for ld in TINV_LEADS:
        a = ctx.amp(ld)
        if a is None or ld in skip or a.t_mv is None:
            continue
        if a.t_mv <= TINV_AT_MOST_MV:
            if ld in TINV_LIMB_LEADS and (a.r_mv or 0.0) < abs(a.s_mv or 0.0):
                continue  # a negative T with a mainly negative QRS in a limb lead is concordant, normal
            lines[ld] = f"{ld} {a.t_mv:+.2f} mV"
    leads = _pairs(set(lines))
    if set(leads) <= TINV_NORMAL_VARIANT_LEADS:
        return []   # negative T in III and aVF with an upright T in II: a common normal variant
    if not leads:
        return []
    ev = [f"T ≤ {TINV_AT_MOST_MV} mV in contiguous leads: " + ", ".join(lines[ld] for ld in leads)]
    lateral = [ld for ld in leads if ld in _LVH_STRAIN_LEADS]
    if ctx.has("LVH") and lateral:
        # PTB-XL files such records under LVH (often with ISC_), rarely INVT: the cause is not judged.
        ev.append(f"with LVH: T inversion in {', '.join(lateral)} may be secondary (strain pattern)")
    if skip:
        ev.append(f"V1–V3 not used ({_skip_reason(ctx)})")
    note = ctx.exclusion_note(TINV_LEADS)
    if note:
        ev.append(note)
    return [make_statement("TINV", ev, text=f"T-wave inversion, {', '.join(leads)}")]


def _st_elevation_nonspecific(ctx: RuleContext) -> list[Statement]:
    if ctx.has(*_SECONDARY_CODES) or ctx.has("STEMI_INF", "STEMI_ANT", "STEMI_LAT"):
        return []
    lines = [ln for ln in (ste_line(ctx, ld) for ld in CONTIGUOUS_ORDER) if ln]
    if not lines:
        return []
    return [make_statement("STE", lines + ["not in two contiguous leads of one territory: STEMI criteria not met"])]


def _qtc(ctx: RuleContext) -> list[Statement]:
    m = ctx.m
    qtc = m.qtc_ms or {}
    formula = next((f for f in QTC_FORMULA_ORDER if qtc.get(f) is not None), None)
    if formula is None or ctx.has("PACE"):
        return []
    value = float(qtc[formula])
    name = formula.capitalize()
    others = ", ".join(f"{f.capitalize()} {qtc[f]:.0f} ms" for f in QTC_FORMULA_ORDER
                       if f != formula and qtc.get(f) is not None)
    ev_tail = [f"other formulas: {others}"] if others else []
    judged = value
    qrs = m.qrs_ms
    if qrs is not None and qrs >= WIDE_QRS_AT_LEAST_MS:
        judged = value - (qrs - 100.0)
        ev_tail.append(f"QRS {fmt_ms(qrs)} ≥ {WIDE_QRS_AT_LEAST_MS:.0f} ms: QTc judged after subtracting the "
                       f"QRS widening beyond 100 ms ({judged:.0f} ms)")
    if ctx.has("AFIB"):
        ev_tail.append("atrial fibrillation: QTc from an average over irregular RR, less reliable")
    sex = ctx.sex if ctx.sex in LONG_QTC_AT_LEAST_MS else None
    limit = LONG_QTC_AT_LEAST_MS[sex or "M"]
    who = {"M": "men", "F": "women", None: "sex unknown: men's limit"}[sex]
    if judged >= CRITICAL_QTC_AT_LEAST_MS:
        return [make_statement("QTC_CRIT", [
            f"QTc ({name}) {value:.0f} ms ≥ {CRITICAL_QTC_AT_LEAST_MS:.0f} ms", *ev_tail],
            text=f"Markedly prolonged QTc ({name} {value:.0f} ms ≥ 500 ms) — risk of torsade de pointes")]
    if judged >= limit:
        return [make_statement("LQTC", [f"QTc ({name}) {value:.0f} ms ≥ {limit:.0f} ms ({who})", *ev_tail],
                               text=f"Prolonged QTc ({name} {value:.0f} ms)")]
    if judged <= SHORT_QTC_AT_MOST_MS and not (qrs is not None and qrs >= WIDE_QRS_AT_LEAST_MS):
        hr = m.hr_bpm
        irregular = rr_irregularity(ctx.rr_intervals_ms())
        if hr is None or not SHORT_QTC_RATE_BPM[0] <= hr <= SHORT_QTC_RATE_BPM[1] or ctx.has("AFIB", "AFLT") \
                or (irregular is not None and irregular >= AF_IRREGULARITY_AT_LEAST):
            return []
        rate = (f"rate {hr:.0f} bpm within {SHORT_QTC_RATE_BPM[0]:.0f}–{SHORT_QTC_RATE_BPM[1]:.0f} bpm"
                + ("" if irregular is None else f", regular (RR irregularity {irregular:.3f} < {AF_IRREGULARITY_AT_LEAST})"))
        return [make_statement("SQTC", [f"QTc ({name}) {value:.0f} ms ≤ {SHORT_QTC_AT_MOST_MS:.0f} ms", rate,
                                        *ev_tail], text=f"Short QTc ({name} {value:.0f} ms)")]
    return []


STEPS = (_st_depression, _t_inversion, _st_elevation_nonspecific, _qtc)
