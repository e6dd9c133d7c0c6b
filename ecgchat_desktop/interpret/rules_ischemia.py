"""Ischemia/infarction statements: pathological Q waves by territory and ST elevation
meeting STEMI criteria by territory (Fourth Universal Definition of MI, 2018).

A single tracing cannot show that ST elevation is *new*; texts say "consider", never "acute MI".
"""

from __future__ import annotations

from ecgchat_desktop.interpret.context import RuleContext
from ecgchat_desktop.interpret.statement import Statement
from ecgchat_desktop.interpret.vocabulary import make_statement

# Contiguous lead pairs per territory (Cabrera order for limb leads).
TERRITORY_PAIRS: dict[str, tuple[tuple[str, str], ...]] = {
    "INF": (("II", "aVF"), ("aVF", "III")),
    "ANT": (("V1", "V2"), ("V2", "V3"), ("V3", "V4")),
    "LAT": (("aVL", "I"), ("V5", "V6")),
}
TERRITORY_NAMES = {"INF": "inferior", "ANT": "anterior/septal", "LAT": "lateral"}

# Q waves (UDMI): V2–V3 any Q ≥ 20 ms; elsewhere Q ≥ 30 ms and ≥ 0.1 mV deep; or QS.
Q_V2V3_AT_LEAST_MS = 20.0
Q_OTHER_AT_LEAST_MS = 30.0
Q_OTHER_AT_LEAST_MV = 0.1
# The normal septal q of the lateral leads (I, aVL, V4–V6) can last 30 ms when the QRS onset reads
# early; there a pathological Q must also be deep against its R (Minnesota code 1-3: Q/R ≥ 1/5).
# PTB-XL folds 1–8: Q_LAT false positives 5 → 1 and Q_ANTSEP 2 → 0 (NORM and RBBB records with
# tall R waves), no true positive lost.
Q_OTHER_AT_LEAST_R_FRACTION = 0.2
SEPTAL_Q_LEADS = ("I", "aVL", "V4", "V5", "V6")
QS_R_BELOW_MV = 0.05
QS_DEPTH_AT_LEAST_MV = 0.2

# ST elevation at J (UDMI): V2–V3 by sex/age, other leads 0.1 mV.
STE_V2V3_MEN_40_MV = 0.2
STE_V2V3_MEN_UNDER_40_MV = 0.25
STE_V2V3_WOMEN_MV = 0.15
STE_OTHER_MV = 0.1
RECIPROCAL_DEPRESSION_MV = -0.05
# The J point we measure sits at the QRS offset; when that offset is early, "ST at J" is the end
# of the QRS (R′, J notch). ST elevation must therefore persist: at J+60 ms at least this
# fraction of the J-point limit (acute injury current keeps the segment up). PTB-XL folds 1–8:
# without it 4 % of NORM-labelled ECGs met "STEMI criteria".
STE_SUSTAINED_FRACTION = 0.75

_SECONDARY_ST_CODES = ("CLBBB", "PACE", "WPW")


def ste_threshold_mv(lead: str, sex: str | None, age_years: float | None) -> tuple[float, str]:
    """(threshold, who it applies to) for ST elevation at J in one lead."""
    if lead not in ("V2", "V3"):
        return STE_OTHER_MV, "all leads other than V2–V3"
    if sex == "F":
        return STE_V2V3_WOMEN_MV, "women, V2–V3"
    if sex == "M" and age_years is not None and age_years < 40:
        return STE_V2V3_MEN_UNDER_40_MV, "men < 40 y, V2–V3"
    if sex == "M":
        return STE_V2V3_MEN_40_MV, ("men ≥ 40 y, V2–V3" if age_years is not None
                                    else "men, age unknown: ≥ 40 y limit, V2–V3")
    return STE_V2V3_MEN_40_MV, "sex unknown: men ≥ 40 y limit, V2–V3"


def _q_line(ctx: RuleContext, lead: str) -> str | None:
    """Evidence line when `lead` has a pathological Q (None otherwise or not assessable)."""
    a = ctx.amp(lead)
    if a is None:
        return None
    depth = abs(a.q_mv or 0.0)
    neg = max(depth, abs(a.s_mv or 0.0))
    if (a.r_mv or 0.0) < QS_R_BELOW_MV and neg >= QS_DEPTH_AT_LEAST_MV:
        return f"QS in {lead} (no R ≥ {QS_R_BELOW_MV} mV, depth {neg:.2f} mV)"
    if a.q_mv is None or a.q_ms is None or depth == 0.0:
        return None
    if lead in ("V2", "V3"):
        if a.q_ms >= Q_V2V3_AT_LEAST_MS:
            return f"Q in {lead} {a.q_ms:.0f} ms ≥ {Q_V2V3_AT_LEAST_MS:.0f} ms ({depth:.2f} mV deep)"
        return None
    if lead == "V1":
        return None  # a q in V1 alone is not counted; QS in V1 is handled above
    r = a.r_mv or 0.0
    ratio_needed = lead in SEPTAL_Q_LEADS
    if a.q_ms >= Q_OTHER_AT_LEAST_MS and depth >= Q_OTHER_AT_LEAST_MV \
            and (not ratio_needed or depth >= Q_OTHER_AT_LEAST_R_FRACTION * r):
        return (f"Q in {lead} {a.q_ms:.0f} ms ≥ {Q_OTHER_AT_LEAST_MS:.0f} ms and "
                f"{depth:.2f} mV deep ≥ {Q_OTHER_AT_LEAST_MV} mV"
                + (f" and ≥ {Q_OTHER_AT_LEAST_R_FRACTION:.0%} of R {r:.2f} mV" if r and ratio_needed else ""))
    return None


def _territories(ctx: RuleContext, line_for) -> dict[str, list[str]]:
    """Territories where `line_for(lead)` holds in at least two contiguous leads."""
    hits: dict[str, list[str]] = {}
    for terr, pairs in TERRITORY_PAIRS.items():
        leads: list[str] = []
        for a, b in pairs:
            la, lb = line_for(a), line_for(b)
            if la and lb:
                for ld, ln in ((a, la), (b, lb)):
                    if ld not in leads:
                        leads.append(ld)
        if leads:
            hits[terr] = [line_for(ld) for ld in leads]
    return hits


def _q_waves(ctx: RuleContext) -> list[Statement]:
    if any(ctx.has(c) for c in _SECONDARY_ST_CODES):
        return []
    out: list[Statement] = []
    codes = {"INF": "Q_INF", "ANT": "Q_ANTSEP", "LAT": "Q_LAT"}
    for terr, lines in _territories(ctx, lambda ld: _q_line(ctx, ld)).items():
        ev = lines + ["in two or more contiguous leads; age of the infarct cannot be judged from the ECG"]
        pairs = {ld for p in TERRITORY_PAIRS[terr] for ld in p}
        note = ctx.exclusion_note(sorted(pairs))
        if note:
            ev.append(note)
        out.append(make_statement(codes[terr], ev))
    return out


def ste_line(ctx: RuleContext, lead: str) -> str | None:
    """Evidence when `lead` has ST elevation at J at/above its UDMI limit, sustained at J+60."""
    a = ctx.amp(lead)
    if a is None or a.st_j_mv is None:
        return None
    limit, who = ste_threshold_mv(lead, ctx.sex, ctx.age_years)
    if a.st_j_mv < limit:
        return None
    line = f"ST at J in {lead} {a.st_j_mv:+.2f} mV ≥ {limit:.2f} mV ({who})"
    if a.st_j60_mv is not None:
        if a.st_j60_mv < STE_SUSTAINED_FRACTION * limit:
            return None
        line += f", {a.st_j60_mv:+.2f} mV at J+60 ms"
    return line


def _stemi(ctx: RuleContext) -> list[Statement]:
    blockers = [c for c in _SECONDARY_ST_CODES if ctx.has(c)]
    if blockers:
        return []
    out: list[Statement] = []
    codes = {"INF": "STEMI_INF", "ANT": "STEMI_ANT", "LAT": "STEMI_LAT"}
    hits = _territories(ctx, lambda ld: ste_line(ctx, ld))
    for terr, lines in hits.items():
        ev = lines + ["ST elevation in two contiguous leads (Fourth Universal Definition of MI); "
                      "whether it is new cannot be judged from one tracing"]
        terr_leads = {ld for p in TERRITORY_PAIRS[terr] for ld in p}
        recip = []
        for ld, a in (ctx.m.lead_amplitudes or {}).items():
            if ld in terr_leads or ld == "aVR" or ctx.amp(ld) is None or a.st_j_mv is None:
                continue
            if a.st_j_mv <= RECIPROCAL_DEPRESSION_MV:
                recip.append(f"{ld} {a.st_j_mv:+.2f} mV")
        if recip:
            ev.append("ST depression elsewhere (possibly reciprocal): " + ", ".join(recip))
        if ctx.has("CRBBB", "LVH"):
            ev.append("with " + " and ".join(c for c in ("CRBBB", "LVH") if ctx.has(c))
                      + ": ST changes may be partly secondary")
        note = ctx.exclusion_note(sorted(terr_leads))
        if note:
            ev.append(note)
        out.append(make_statement(codes[terr], ev))
    return out


# Smith-modified Sgarbossa criteria (LBBB or ventricular pacing), any one suffices.
SGARBOSSA_CONCORDANT_STE_MV = 0.1
SGARBOSSA_CONCORDANT_STD_MV = -0.1       # in V1–V3
SGARBOSSA_DISCORDANT_RATIO = 0.25        # ST elevation / S depth, when ST elevation ≥ 0.1 mV


def _sgarbossa(ctx: RuleContext) -> list[Statement]:
    # In a wide-complex tachycardia the "ST segment" runs into the next beat's T and QRS; the
    # criteria were derived in sinus rhythm and are not used there.
    if not ctx.has("CLBBB", "PACE") or ctx.has("WCT"):
        return []
    lines: list[str] = []
    for ld, a in (ctx.m.lead_amplitudes or {}).items():
        if ld == "aVR" or ctx.amp(ld) is None or a.st_j_mv is None:
            continue
        r, s = a.r_mv or 0.0, abs(a.s_mv or 0.0)
        neg = max(s, abs(a.q_mv or 0.0))
        # Polarity by net QRS area where measured (a QS complex ending on an elevated ST segment
        # can show an "R" that is only the J point); the R must also rise above the ST level.
        if a.qrs_area_mv_ms is not None:
            positive_qrs = a.qrs_area_mv_ms > 0 and r > neg
        else:
            positive_qrs = r > neg
        positive_qrs = positive_qrs and r - a.st_j_mv >= SGARBOSSA_CONCORDANT_STE_MV
        if positive_qrs and a.st_j_mv >= SGARBOSSA_CONCORDANT_STE_MV:
            lines.append(f"concordant ST elevation in {ld}: {a.st_j_mv:+.2f} mV ≥ {SGARBOSSA_CONCORDANT_STE_MV} mV "
                         f"with a positive QRS (R {r:.2f} mV)")
        elif ld in ("V1", "V2", "V3") and not positive_qrs and a.st_j_mv <= SGARBOSSA_CONCORDANT_STD_MV:
            lines.append(f"concordant ST depression in {ld}: {a.st_j_mv:+.2f} mV ≤ {SGARBOSSA_CONCORDANT_STD_MV} mV")
        elif not positive_qrs and s > 0 and a.st_j_mv >= SGARBOSSA_CONCORDANT_STE_MV \
                and a.st_j_mv / s >= SGARBOSSA_DISCORDANT_RATIO:
            lines.append(f"excessively discordant ST elevation in {ld}: {a.st_j_mv:+.2f} mV = "
                         f"{a.st_j_mv / s:.0%} of the S depth {s:.2f} mV (≥ {SGARBOSSA_DISCORDANT_RATIO:.0%})")
    if not lines:
        return []
    why = "left bundle branch block" if ctx.has("CLBBB") else "paced rhythm"
    return [make_statement("STEMI_SGARBOSSA", [f"{why}: usual STEMI criteria do not apply", *lines,
                                               "whether the change is new cannot be judged from one tracing"])]


STEPS = (_q_waves, _stemi, _sgarbossa)
