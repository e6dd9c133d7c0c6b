"""Claim check: every measurable and diagnostic claim of an answer, compared with the Findings.

A small model writes fluent text that may be wrong about this very tracing. Before an
answer is shown as trusted we find

- measurable claims: numbers with units (ms, s, bpm, mV, mm, degrees) and intervals or
  rates named with a bare number ("PR 160 ms", "QTc by Fridericia is 430 ms",
  "heart rate of 72"), compared with the measured values within rounding tolerance;
- diagnostic claims: terms of the statement vocabulary and their synonyms (plus a few
  umbrella terms such as "heart attack" or "bundle branch block"), with negation
  handled ("no ST elevation" claims absence), compared with the statements present;
- qualitative interval claims ("the QRS is wide", "QTc is prolonged").

Sentences that only explain a concept ("Atrial fibrillation is defined as ...") and
reference ranges ("normal PR is 120-200 ms") are not claims about this ECG.

Each claim ends `supported`, `contradicted` (the findings say otherwise) or
`unsupported` (nothing in the findings backs it). `annotate()` marks flagged spans in
the text so that a contradicted number is never shown as trusted.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache

from ecgchat_desktop.interpret.vocabulary import load_vocabulary

SUPPORTED, CONTRADICTED, UNSUPPORTED = "supported", "contradicted", "unsupported"

# Rounding tolerance per unit family (what a correct restatement may differ by).
TOLERANCE = {"ms": 6.0, "bpm": 3.0, "deg": 6.0, "mv": 0.051}
RELATIVE_TOLERANCE = 0.03  # and 3 % of the value for large numbers (e.g. 430 vs 440 ms is wrong)
MM_PER_MV = 10.0           # standard gain: 10 mm/mV
PROGRAM_QTC_FORMULA = "fridericia"  # the formula of the program's QTc statements (interpret rules)


@dataclass
class Claim:
    kind: str                  # "measurement" | "diagnosis" | "quality" | "certainty" | "severity"
    text: str                  # the span as written
    start: int
    end: int
    status: str = UNSUPPORTED
    reason: str = ""
    quantity: str | None = None   # e.g. "qtc_ms", "hr_bpm", "st_j_mv"
    value: float | None = None    # in the quantity's unit (ms, bpm, deg, mV)
    codes: tuple[str, ...] = ()   # diagnostic claims: vocabulary codes meant
    negated: bool = False
    comparator: str | None = None  # ">", "<" for "QTc is above 500 ms"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["codes"] = list(self.codes)
        return d


@dataclass
class ClaimReport:
    claims: list[Claim] = field(default_factory=list)

    @property
    def checked(self) -> int:
        return len(self.claims)

    @property
    def contradicted(self) -> list[Claim]:
        return [c for c in self.claims if c.status == CONTRADICTED]

    @property
    def unsupported(self) -> list[Claim]:
        return [c for c in self.claims if c.status == UNSUPPORTED]

    @property
    def flagged(self) -> list[Claim]:
        return [c for c in self.claims if c.status != SUPPORTED]

    @property
    def verdict(self) -> str:
        """"verified" when every claim is backed by the findings; otherwise
        "contradicted" (at least one claim is wrong) or "unsupported"."""
        if self.contradicted:
            return "contradicted"
        if self.unsupported:
            return "unsupported"
        return "verified"

    def to_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "checked": self.checked,
            "unsupported": [_flag_dict(c) for c in self.flagged],
            "contradicted": [_flag_dict(c) for c in self.contradicted],
            "claims": [c.to_dict() for c in self.claims],
        }


def _flag_dict(c: Claim) -> dict:
    return {"text": c.text, "status": c.status, "reason": c.reason, "kind": c.kind}


# --------------------------------------------------------------------------------------
# Sentences and clauses

_SENTENCE_END = re.compile(r"(?<!\d)[.!?](?=\s|$)|(?<=\d)\.(?=\s+[A-Z]|\s*$)|[;\n]+|:\s*\n")


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        if m.end() > start:
            spans.append((start, m.end()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


# Cues that a sentence explains a concept instead of describing this tracing.
_GENERIC = re.compile(
    r"\b(is|are) (defined|characteri[sz]ed|diagnosed|recogni[sz]ed|identified) (as|by|when)\b|\bdefined as\b"
    r"|\brefers? to\b|\bmeans?\b|\boccurs? when\b|\bis (a|an) (condition|type|form|kind|pattern|rhythm|disorder|arrhythmia)\b"
    r"|\bcauses? (include|are)\b|\bcan be caused\b|\bcaused by\b|\bsuch as\b|\bfor example\b|\be\.g\.|\bi\.e\."
    r"|\bin general\b|\bgenerally\b|\btypically\b|\busually\b|\bcommonly\b|\boften\b|\bmay be seen\b"
    r"|\bcan (lead|cause|occur|be)\b|\bcriteria (for|of)\b|\bassociated with\b|\brisk of\b|\bif (the|a|there)\b"
    r"|\bwhen (the|a|there)\b|\bnext steps?\b|\bguidelines?\b|\bthe (normal|upper|lower) (range|limit)",
    re.I)
# Cues that a sentence is about this ECG / this patient (override the generic cues).
_DEICTIC = re.compile(
    r"\b(this|the|your|patient'?s?) (ecg|ekg|tracing|recording|electrocardiogram|patient|heart|rhythm)\b"
    r"|\bshows?\b|\bshowing\b|\bdemonstrates?\b|\breveals?\b|(?<!when )(?<!if )(?<!where )(?<!unless )\bthere (is|are|was|were)\b"
    r"|\bconsistent with\b"
    r"|\bshowed\b|\bshown\b|\b(was|were) present\b"
    # hedged claims are still claims about this ECG ("it is possible that ... (e.g. SVT)")
    r"|\bit is (possible|likely|probable)\b|\bpossibl[ey]\b|\bprobabl[ey]\b|\blikely\b"
    r"|\bindicat(es?|ing)\b|\bsuggest(s|ive|ing)?\b|\bcompatible with\b|\bevidence of\b|\bdiagnos[ie]s\b"
    r"|\bfindings?\b|\bwe see\b|\bi see\b|\b(is|are) (present|seen|noted|detected)\b|\byou have\b"
    r"|\bthe patient has\b|\bhere\b|\bmeasured\b|\bdetected\b"
    r"|\b(was|were|is|are) (found|identified|observed|recorded)\b",
    re.I)


# Only a sentence that DEFINES a term or lists causes/examples leaves its diagnostic terms
# unchecked; "X can lead to Y", "often", "usually" in an answer about this ECG still put Y
# before the reader, so a Y the program did not find is flagged.
_DEFINITIONAL = re.compile(
    r"\b(is|are) (defined|characteri[sz]ed|a type|a condition|an? \w+ (that|which|where))\b|\brefers? to\b"
    r"|\bmeans\b|\bcauses (include|are)\b|\bcan be caused\b|\bsuch as\b",
    re.I)


def _is_about_this_ecg(sentence: str) -> bool:
    return bool(_DEICTIC.search(sentence)) or not _GENERIC.search(sentence)


def _names_a_diagnosis_of_this_ecg(sentence: str) -> bool:
    return bool(_DEICTIC.search(sentence)) or not _DEFINITIONAL.search(sentence)


# --------------------------------------------------------------------------------------
# Negation (NegEx-style: a cue before the term within the clause, or after it)

_NEG_PRE = re.compile(
    r"\b(no|not|without|absent|absence of|negative for|free of|rules? out|ruled out|excludes?|excluded"
    r"|neither|nor|never|lack of|lacks|none of|no evidence of|no signs? of|isn't|aren't|doesn't|don't"
    r"|didn't|wasn't|weren't|cannot confirm|can't confirm|unable to confirm|does not (show|have|meet|indicate|suggest)"
    r"|is not|are not|was not|were not|did not)\b",
    re.I)
# "cannot be excluded", "not ruled out" are hedged positives, not negations.
_NEG_DOUBLE = re.compile(r"\b(cannot|can't|can not|could not|not|unable to) (be )?(rule[sd]? out|exclude[sd]?)\b", re.I)
_NEG_POST = re.compile(
    r"^[\s,]*(\w+\s+){0,3}?(is|are|was|were)?\s*(absent|not (present|seen|identified|detected|found|evident|shown|noted|confirmed)"
    r"|ruled out|excluded|negative)\b",
    re.I)
_SCOPE_END = re.compile(r"\b(but|however|although|though|yet|except|whereas|while|instead|rather|which|who|that"
                        r"|because|since|so)\b"
                        r"|[;:()]|\.\s", re.I)


def _negated(sentence: str, term_start: int, term_end: int) -> bool:
    """Is the term at [term_start, term_end) (offsets inside `sentence`) negated?"""
    before = sentence[:term_start]
    # The clause around the term: from the last scope terminator before it.
    cut = 0
    for m in _SCOPE_END.finditer(before):
        cut = m.end()
    clause = before[cut:]
    words_before = clause.split()
    window = " ".join(words_before[-10:])
    if _NEG_DOUBLE.search(window):
        return False
    if _NEG_PRE.search(window):
        return True
    after = sentence[term_end:]
    stop = _SCOPE_END.search(after)
    after_clause = after[: stop.start()] if stop else after
    return bool(_NEG_POST.search(after_clause)) and not _NEG_DOUBLE.search(after_clause)


# --------------------------------------------------------------------------------------
# Diagnostic terms

# Umbrella terms the vocabulary does not list, mapped to the codes that make them true.
_UMBRELLA_TERMS: dict[str, tuple[str, ...]] = {
    "myocardial infarction": ("Q_INF", "Q_ANTSEP", "Q_LAT", "STEMI_INF", "STEMI_ANT", "STEMI_LAT"),
    "heart attack": ("Q_INF", "Q_ANTSEP", "Q_LAT", "STEMI_INF", "STEMI_ANT", "STEMI_LAT"),
    "infarction": ("Q_INF", "Q_ANTSEP", "Q_LAT", "STEMI_INF", "STEMI_ANT", "STEMI_LAT"),
    "infarct": ("Q_INF", "Q_ANTSEP", "Q_LAT", "STEMI_INF", "STEMI_ANT", "STEMI_LAT"),
    "MI": ("Q_INF", "Q_ANTSEP", "Q_LAT", "STEMI_INF", "STEMI_ANT", "STEMI_LAT"),
    "old infarction": ("Q_INF", "Q_ANTSEP", "Q_LAT"),
    "prior infarction": ("Q_INF", "Q_ANTSEP", "Q_LAT"),
    "pathological Q waves": ("Q_INF", "Q_ANTSEP", "Q_LAT"),
    "pathologic Q waves": ("Q_INF", "Q_ANTSEP", "Q_LAT"),
    "STEMI": ("STEMI_INF", "STEMI_ANT", "STEMI_LAT"),
    "ST-elevation myocardial infarction": ("STEMI_INF", "STEMI_ANT", "STEMI_LAT"),
    "acute myocardial infarction": ("STEMI_INF", "STEMI_ANT", "STEMI_LAT"),
    "acute MI": ("STEMI_INF", "STEMI_ANT", "STEMI_LAT"),
    "ischemia": ("STD", "TINV", "STEMI_INF", "STEMI_ANT", "STEMI_LAT"),
    "ischaemia": ("STD", "TINV", "STEMI_INF", "STEMI_ANT", "STEMI_LAT"),
    "ischemic changes": ("STD", "TINV", "STEMI_INF", "STEMI_ANT", "STEMI_LAT"),
    "ischaemic changes": ("STD", "TINV", "STEMI_INF", "STEMI_ANT", "STEMI_LAT"),
    "bundle branch block": ("CRBBB", "IRBBB", "CLBBB", "ILBBB"),
    "BBB": ("CRBBB", "IRBBB", "CLBBB", "ILBBB"),
    "AV block": ("1AVB", "2AVB", "3AVB"),
    "atrioventricular block": ("1AVB", "2AVB", "3AVB"),
    "heart block": ("1AVB", "2AVB", "3AVB"),
    "fascicular block": ("LAFB", "LPFB"),
    "hemiblock": ("LAFB", "LPFB"),
    "tachycardia": ("STACH", "SVTAC", "WCT", "TACHY_CRIT"),
    "bradycardia": ("SBRAD", "BRADY_CRIT"),
    "arrhythmia": ("AFIB", "AFLT", "SVTAC", "WCT", "PAC", "PVC", "SARRH", "RHYTHM_OTHER", "2AVB", "3AVB"),
    "ventricular hypertrophy": ("LVH", "RVH"),
    "hypertrophy": ("LVH", "RVH", "LAE", "RAE"),
    "atrial enlargement": ("LAE", "RAE"),
    "axis deviation": ("LAD", "RAD", "EXTREME_AXIS"),
    "ectopic beats": ("PAC", "PVC"),
    "premature beats": ("PAC", "PVC"),
    "extrasystoles": ("PAC", "PVC"),
    "ST changes": ("STD", "STE", "STEMI_INF", "STEMI_ANT", "STEMI_LAT"),
    "ST-segment elevation": ("STE", "STEMI_INF", "STEMI_ANT", "STEMI_LAT"),
    "ST segment elevation": ("STE", "STEMI_INF", "STEMI_ANT", "STEMI_LAT"),
    "QT prolongation": ("LQTC", "QTC_CRIT"),
    "prolonged QT interval": ("LQTC", "QTC_CRIT"),
    "prolonged QTc interval": ("LQTC", "QTC_CRIT"),
    "long QT syndrome": ("LQTC", "QTC_CRIT"),
    "markedly prolonged QTc": ("QTC_CRIT",),
    "markedly prolonged QTc interval": ("QTC_CRIT",),
    "ventricular fibrillation": ("WCT",),
    "atrial flutter": ("AFLT",),
    "blocked AV bundle": ("1AVB", "2AVB", "3AVB"),
    "AV bundle block": ("1AVB", "2AVB", "3AVB"),
}

# Diagnoses an ECG can raise but the program never states: a claim of one is unsupported by
# construction (the 135M model adds "torsade de pointes" to a PVC). Negated, they are fine.
NOT_ASSESSED = "NOT_ASSESSED"
_NOT_ASSESSED_TERMS = (
    "torsade de pointes", "torsades de pointes", "torsades", "Brugada pattern", "Brugada syndrome", "Brugada",
    "hyperkalemia", "hyperkalaemia", "hypokalemia", "hypokalaemia", "hypercalcemia", "hypercalcaemia",
    "hypocalcemia", "hypocalcaemia", "pericarditis", "myocarditis", "pulmonary embolism", "Wellens syndrome",
    "Wellens sign", "de Winter", "early repolarization", "early repolarisation", "digoxin effect",
    "digitalis effect", "dextrocardia", "electrical alternans", "sick sinus syndrome", "sinus arrest",
    "asystole", "Takotsubo", "cardiomyopathy", "congenital heart defect", "congenital heart disease",
    "ventricular aneurysm", "heart failure", "cardiac arrest",
    # an ECG alone never makes these: they need symptoms and troponin
    "NSTE-ACS", "NSTEMI", "non-ST elevation myocardial infarction", "non-ST-elevation MI",
    "acute coronary syndrome", "unstable angina",
)

_RISK_OF = re.compile(r"\b(risk (of|for)|predispos\w* (to|for)|(can|may|might|could) (lead|progress|degenerate) (to|into))\s+$",
                      re.I)

# A claim of code X is also true when one of these (more specific or more severe) is present.
_IMPLIED_BY: dict[str, tuple[str, ...]] = {
    "SR": ("SBRAD", "STACH", "SARRH"),
    "LQTC": ("QTC_CRIT",),
    "STE": ("STEMI_INF", "STEMI_ANT", "STEMI_LAT"),
    "SBRAD": ("BRADY_CRIT",),
    "STACH": ("TACHY_CRIT",),
    "CRBBB": (),
}

# Abbreviations that mean something else too often, never matched as claims.
_AMBIGUOUS = {"SA", "SB", "SR", "STD", "STE", "AMI", "LAA", "INVT", "SVES", "VES", "LQT", "SQT", "AFL",
              "PACE", "AF"}
# Everyday words some synonyms use ("child" for the paediatric statement): never claims.
_SKIP_TERMS = {"child", "artifact", "age specific norms"}
# ... though these are claims when written in capitals.
_CASE_SENSITIVE_OK = {"AF", "SR", "AFL"}
# Phrases whose words contain a term but do not claim it.
_NOT_CLAIMS = re.compile(
    r"(natural|normal|physiological|dominant|intrinsic|heart's|its|own|primary)\s+(own\s+)?pacemaker|(sinus|SA|sinoatrial) node|LAD (artery|coronary)"
    r"|left anterior descending|(normal|sinus) (rate|range) of|pacemaker cells|delta waves? (is|are) absent",
    re.I)


def _norm(text: str) -> str:
    return re.sub(r"[\s\-_]+", " ", text.lower().replace("–", "-").replace("‐", "-")).strip()


@lru_cache(maxsize=1)
def _term_index() -> tuple[re.Pattern, re.Pattern, dict[str, tuple[str, ...]]]:
    """(case-insensitive pattern, case-sensitive pattern, normalised term -> codes)."""
    vocab = load_vocabulary()
    index: dict[str, set[str]] = {}
    sensitive: set[str] = set()
    for code, d in vocab.items():
        for term in (d.text, *d.synonyms):
            t = term.strip()
            if not t:
                continue
            is_abbrev = len(t) <= 6 and t.replace("'", "").replace("-", "").isalnum() and t.upper() == t
            if is_abbrev:
                if t in _AMBIGUOUS and t not in _CASE_SENSITIVE_OK:
                    continue
                sensitive.add(t)
                index.setdefault(t, set()).add(code)
            elif _norm(t) not in _SKIP_TERMS:
                index.setdefault(_norm(t), set()).add(code)
    for term, codes in _UMBRELLA_TERMS.items():
        if term.upper() == term and len(term) <= 6:
            sensitive.add(term)
            index.setdefault(term, set()).update(codes)
        else:
            index.setdefault(_norm(term), set()).update(codes)
    for term in _NOT_ASSESSED_TERMS:
        index.setdefault(_norm(term), set()).add(NOT_ASSESSED)
    words = sorted((k for k in index if k not in sensitive), key=len, reverse=True)
    # Hyphens and spaces are interchangeable ("ST-elevation", "ST elevation"); plural s allowed.
    alt = "|".join(r"[\s\-]+".join(re.escape(w) for w in k.split(" ")) for k in words)
    insensitive = re.compile(rf"(?<![\w-])(?:{alt})(?:e?s)?(?![\w])", re.I)
    sens = sorted(sensitive, key=len, reverse=True)
    sensitive_re = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(t) for t in sens) + r")s?(?![\w-])")
    return insensitive, sensitive_re, {k: tuple(sorted(v)) for k, v in index.items()}


def _codes_of(term: str) -> tuple[str, ...]:
    _, _, index = _term_index()
    if term in index:
        return index[term]
    key = _norm(term)
    if key in index:
        return index[key]
    if key.endswith("es") and key[:-2] in index:
        return index[key[:-2]]
    if key.endswith("s") and key[:-1] in index:
        return index[key[:-1]]
    stripped = term.rstrip("s")
    return index.get(stripped, ())


# --------------------------------------------------------------------------------------
# Numbers

_NUM = r"[-+−–]?\d+(?:[.,]\d+)?"
_UNIT = (r"(?P<unit>ms\b|msec\b|milliseconds?\b|seconds?\b|secs?\b|s\b(?!\s*[-/]?\s*(?:lead|wave))"
         r"|bpm\b|beats?\s*(?:per|/|a)\s*min(?:ute)?\b|/\s*min\b|per\s+minute\b|mV\b|millivolts?\b"
         r"|mm\b(?!\s*/)|millimet(?:er|re)s?\b(?!\s*/)|°|degrees?\b|deg\b)")
_NUM_UNIT = re.compile(rf"(?<![\w.])(?P<num>{_NUM})\s*{_UNIT}", re.I)

# Quantity names; the nearest one before a number (within its clause) names it.
_QUANTITIES: tuple[tuple[str, str], ...] = (
    (r"QTc|QT\s*c|corrected QT(?:\s+interval)?|QT\s+corrected", "qtc_ms"),
    (r"QT(?:\s+interval)?", "qt_ms"),
    (r"PR(?:\s+interval)?|P\s*-\s*R(?:\s+interval)?|PQ(?:\s+interval)?", "pr_ms"),
    (r"QRS\s+axis|(?:frontal\s+)?(?:QRS\s+)?(?:electrical\s+)?axis", "qrs_axis_deg"),
    (r"P[\s-]*wave\s+axis|P\s+axis", "p_axis_deg"),
    (r"T[\s-]*wave\s+axis|T\s+axis", "t_axis_deg"),
    (r"QRS(?:\s+(?:complex(?:es)?|duration|width|interval))?", "qrs_ms"),
    (r"P[\s-]*wave(?:\s+duration)?|P\s+duration", "p_ms"),
    (r"RR(?:\s+interval)?|R\s*-\s*R(?:\s+interval)?", "rr_ms"),
    (r"atrial\s+rate", "atrial_rate_bpm"),
    (r"(?:heart|ventricular|pulse|cardiac)\s+rate|\bHR\b|pulse|(?<!atrial )\brate", "hr_bpm"),
    (r"ST[\s-]*(?:segment\s+)?elevation|elevat\w+\s+(?:of\s+the\s+)?ST", "st_elev_mv"),
    (r"ST[\s-]*(?:segment\s+)?depression|depress\w+\s+(?:of\s+the\s+)?ST", "st_dep_mv"),
    (r"R[\s-]*wave|R\s+amplitude", "r_mv"),
    (r"S[\s-]*wave", "s_mv"),
    (r"T[\s-]*wave", "t_mv"),
    (r"Q[\s-]*wave", "q_wave"),
)
_QUANTITY_RE = re.compile("|".join(f"(?P<q{i}>(?<![\\w'])(?:{p})(?![\\w']))" for i, (p, _) in enumerate(_QUANTITIES)), re.I)
_QTC_FORMULA = re.compile(r"\b(bazett|fridericia|framingham|hodges)\b", re.I)
_LEADS = re.compile(r"(?<![\w])(aVR|aVL|aVF|V[1-6]|III|II|I)(?![\w])")
_REFERENCE_CUE = re.compile(
    r"\b(normal(ly)?|typical(ly)?|usually|upper limit|lower limit|range|reference|threshold|cut-?off|should be"
    r"|up to|defined|criteria|considered|guidelines?|calibrat\w*|gain|paper speed)\b", re.I)
# "normal", "typical", "usually" alone do not make a single value a reference: a small model
# writes "a normal resting heart rate of approximately 95 bpm" about this patient. Only a range,
# a limit or one of the stronger cues below exempts a number from the check.
_REFERENCE_CUE_STRONG = re.compile(
    r"\b(upper limit|lower limit|range|reference|threshold|cut-?off|should be"
    r"|up to|defined|criteria|considered|guidelines?|calibrat\w*|gain|paper speed)\b", re.I)
# "less than 450 ms in men and 460 ms in women": the second value shares the first one's limit.
_COMPARATOR_IN_CLAUSE = re.compile(
    r"[<>≤≥]|\b(?:less|more|greater|longer|shorter|higher|lower) than\b|\b(?:under|over|above|below|exceed\w*"
    r"|at least|at most|up to|beyond|within|between)\b", re.I)
_COMPARATOR_BEFORE = re.compile(
    r"(?P<cmp>[<>≤≥]=?|=>|=<|\b(?:less|more|greater|longer|shorter|faster|slower|higher|lower) than|\bunder|\bover"
    r"|\babove|\bbelow|\bexceed(?:s|ing)?|\bat least|\bat most|\bup to|\bbeyond|\bwithin)\s*(?:of\s+)?$",
    re.I)
_RANGE_BEFORE = re.compile(rf"(?:between\s+{_NUM}\s*(?:°|\w+)?\s*and|from\s+{_NUM}\s*(?:°|\w+)?\s*to|{_NUM}\s*(?:°|\w+)?\s*(?:-|–|to)\s*)\s*$", re.I)
_RANGE_AFTER = re.compile(rf"^\s*(?:-|–|to|and)\s*{_NUM}", re.I)
_UNIT_FAMILY = {"ms": "ms", "bpm": "bpm", "deg": "deg", "mv": "mv"}
_QUANTITY_FAMILY = {
    "qtc_ms": "ms", "qt_ms": "ms", "pr_ms": "ms", "qrs_ms": "ms", "p_ms": "ms", "rr_ms": "ms",
    "hr_bpm": "bpm", "atrial_rate_bpm": "bpm",
    "qrs_axis_deg": "deg", "p_axis_deg": "deg", "t_axis_deg": "deg",
    "st_elev_mv": "mv", "st_dep_mv": "mv", "r_mv": "mv", "s_mv": "mv", "t_mv": "mv", "q_wave": "mv",
}
_BARE_NUMBER_AFTER_NAME = re.compile(
    rf"^\s*(?:interval\s+|duration\s+|by\s+\w+\s+|\(\w+\)\s+)?(?:is|was|of|at|=|:|measures|measured at|measuring"
    rf"|around|about|approximately|roughly|of about|of around|of approximately|is about|is around|is approximately)?"
    rf"\s*(?:about|around|approximately|roughly|~)?\s*(?P<num>{_NUM})(?![\w%/]|[.,]\d)", re.I)


_UNIT_NAME = {"ms": "ms", "bpm": "bpm", "deg": "degrees", "mv": "mV"}


def _unit_family(unit: str) -> tuple[str, float]:
    """(family, factor to the family's unit)."""
    u = unit.lower().replace(" ", "")
    if u in ("ms", "msec") or u.startswith("millisecond"):
        return "ms", 1.0
    if u in ("s", "sec", "secs") or u.startswith("second"):
        return "ms", 1000.0
    if u == "bpm" or "min" in u:
        return "bpm", 1.0
    if u == "mv" or u.startswith("millivolt"):
        return "mv", 1.0
    if u == "mm" or u.startswith("millimet"):
        return "mv", 1.0 / MM_PER_MV
    return "deg", 1.0


def _parse_number(text: str) -> float:
    return float(text.replace("−", "-").replace("–", "-").replace(",", "."))


def _subject_is_reference(clause: str, family: str) -> bool:
    """Is the measurement named in `clause` qualified as a reference ("Normal QTc is ...")?"""
    last = None
    for m in _QUANTITY_RE.finditer(clause):
        for i, (_, q) in enumerate(_QUANTITIES):
            if m.group(f"q{i}") and (q == "q_wave" or _QUANTITY_FAMILY[q] == family):
                last = m
            if m.group(f"q{i}"):
                break
    if last is None:
        return False
    return bool(_REFERENCE_CUE.search(" ".join(clause[:last.start()].split()[-4:])))


def _nearest_quantity(clause: str, family: str | None) -> str | None:
    """The last quantity name in `clause` compatible with the unit family."""
    best = None
    for m in _QUANTITY_RE.finditer(clause):
        for i, (_, q) in enumerate(_QUANTITIES):
            if m.group(f"q{i}"):
                if q == "q_wave":
                    cand = "q_ms" if family == "ms" else "q_mv"
                    fam = family if family in ("ms", "mv") else None
                else:
                    cand, fam = q, _QUANTITY_FAMILY[q]
                if family is None or fam == family:
                    best = cand
                break
    return best


# --------------------------------------------------------------------------------------
# Measured values from Findings

def _measured_values(findings, quantity: str, formula: str | None) -> list[tuple[float, str]]:
    """Candidate values (value, label) a claim about `quantity` may match."""
    m = findings.measurements
    device = (findings.ecg_info or {}).get("device_measurements") or {}
    out: list[tuple[float, str]] = []

    def add(v, label):
        if v is not None:
            out.append((float(v), label))

    if quantity == "qtc_ms":
        qtc = m.qtc_ms or {}
        if formula:
            add(qtc.get(formula), f"QTc {formula.title()}")
        else:
            for name, v in qtc.items():
                add(v, f"QTc {name.title()}")
            add(device.get("qtc_ms"), "device QTc")
        return out
    if quantity in ("hr_bpm", "rr_ms", "p_ms", "pr_ms", "qrs_ms", "qt_ms",
                    "p_axis_deg", "qrs_axis_deg", "t_axis_deg", "atrial_rate_bpm"):
        add(getattr(m, quantity, None), quantity)
        add(device.get(quantity), f"device {quantity}")
        return out
    return out


def _lead_values(findings, quantity: str, leads: list[str]) -> list[tuple[float, str]]:
    amps = findings.measurements.lead_amplitudes or {}
    out = []
    for lead, a in amps.items():
        if leads and lead not in leads:
            continue
        if quantity == "st_elev_mv":
            v = a.st_j_mv
            if v is not None and v > 0:
                out.append((v, f"ST at J in {lead}"))
            if a.st_j60_mv is not None and a.st_j60_mv > 0:
                out.append((a.st_j60_mv, f"ST at J+60 in {lead}"))
        elif quantity == "st_dep_mv":
            for v, where in ((a.st_j_mv, "J"), (a.st_j60_mv, "J+60")):
                if v is not None and v < 0:
                    out.append((-v, f"ST at {where} in {lead}"))
        elif quantity == "r_mv" and a.r_mv is not None:
            out.append((a.r_mv, f"R in {lead}"))
        elif quantity == "s_mv" and a.s_mv is not None:
            out.append((abs(a.s_mv), f"S in {lead}"))
        elif quantity == "t_mv" and a.t_mv is not None:
            out.append((abs(a.t_mv), f"T in {lead}"))
        elif quantity == "q_mv" and a.q_mv is not None:
            out.append((abs(a.q_mv), f"Q in {lead}"))
        elif quantity == "q_ms" and a.q_ms is not None:
            out.append((a.q_ms, f"Q duration in {lead}"))
    return out


def _all_values(findings, family: str) -> list[float]:
    """Every measured value of one unit family (global, all QTc formulas, device, leads)."""
    m = findings.measurements
    out: list[float] = []
    if family == "ms":
        out += [getattr(m, k) for k in ("p_ms", "pr_ms", "qrs_ms", "qt_ms", "rr_ms", "rr_min_ms", "rr_max_ms")]
        out += list((m.qtc_ms or {}).values())
    elif family == "bpm":
        out += [m.hr_bpm, m.atrial_rate_bpm]
    elif family == "deg":
        out += [m.p_axis_deg, m.qrs_axis_deg, m.t_axis_deg]
    for a in (m.lead_amplitudes or {}).values():
        for k, v in a.__dict__.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                if family == "mv" and k.endswith("_mv"):
                    out.append(abs(v))
                elif family == "ms" and k.endswith("_ms"):
                    out.append(v)
    device = (findings.ecg_info or {}).get("device_measurements") or {}
    suffix = {"ms": "_ms", "bpm": "_bpm", "deg": "_deg", "mv": "_mv"}[family]
    out += [v for k, v in device.items() if k.endswith(suffix)]
    # values the program quotes in its evidence ("Sokolow-Lyon S V1 + R V5 = 4.86 mV") are measured too
    for st in findings.statements:
        for m in _NUM_UNIT.finditer(" ".join(str(e) for e in st.evidence)):
            fam, factor = _unit_family(m.group("unit"))
            if fam == family:
                out.append(abs(_parse_number(m.group("num")) * factor) if fam == "mv"
                           else _parse_number(m.group("num")) * factor)
    return [float(v) for v in out if v is not None]


def _within(claimed: float, measured: float, family: str) -> bool:
    tol = max(TOLERANCE[family], RELATIVE_TOLERANCE * abs(measured) if family in ("ms", "bpm") else 0.0)
    if family == "deg":
        diff = abs((claimed - measured + 180.0) % 360.0 - 180.0)
        return diff <= tol
    if family == "mv":
        return abs(abs(claimed) - abs(measured)) <= tol
    return abs(claimed - measured) <= tol


def _fmt(value: float, family: str) -> str:
    if family == "mv":
        return f"{value:.2f} mV"
    unit = {"ms": " ms", "bpm": " bpm", "deg": "°"}[family]
    return f"{value:.0f}{unit}"


def _judge_number(claim: Claim, findings, family: str, formula: str | None, leads: list[str]) -> None:
    q = claim.quantity
    if q in ("st_elev_mv", "st_dep_mv", "r_mv", "s_mv", "t_mv", "q_mv", "q_ms"):
        cands = _lead_values(findings, q, leads)
        fam = "ms" if q == "q_ms" else "mv"
        if any(_within(claim.value, v, fam) for v, _ in cands):
            claim.status, claim.reason = SUPPORTED, "matches a measured lead value"
        elif not cands:
            claim.status = UNSUPPORTED if q not in ("st_elev_mv", "st_dep_mv") else CONTRADICTED
            claim.reason = ("no such deflection measured" + (f" in {', '.join(leads)}" if leads else ""))
        elif leads:
            vals = ", ".join(f"{lab} {_fmt(v, fam)}" for v, lab in cands[:4])
            claim.status, claim.reason = CONTRADICTED, f"measured {vals}"
        else:
            claim.status, claim.reason = UNSUPPORTED, "no lead named and no lead measures this value"
        return
    cands = _measured_values(findings, q, formula)
    if not cands:
        claim.status, claim.reason = UNSUPPORTED, f"{_label(q, formula)} was not measured"
        return
    if claim.comparator:
        if q == "qtc_ms" and not formula:
            # "QTc above 500 ms" with no formula named is read as the program reads it: by
            # the formula its QTc statements use (Bazett alone over-reads at fast rates)
            cands.sort(key=lambda c: c[1] != f"QTc {PROGRAM_QTC_FORMULA.title()}")
        ok = [(v > claim.value) if claim.comparator == ">" else (v < claim.value) for v, _ in cands]
        main = cands[0][0]
        if ok[0]:
            claim.status, claim.reason = SUPPORTED, f"measured {_fmt(main, family)}"
        else:
            claim.status, claim.reason = CONTRADICTED, f"measured {_label(q, formula)} {_fmt(main, family)}"
        return
    if any(_within(claim.value, v, family) for v, _ in cands):
        claim.status, claim.reason = SUPPORTED, f"measured {_fmt(cands[0][0], family)}"
    else:
        shown = cands[0][0]
        claim.status, claim.reason = CONTRADICTED, f"measured {_label(q, formula)} {_fmt(shown, family)}"


def _label(quantity: str, formula: str | None) -> str:
    names = {"qtc_ms": "QTc", "qt_ms": "QT", "pr_ms": "PR", "qrs_ms": "QRS", "p_ms": "P duration",
             "rr_ms": "RR", "hr_bpm": "heart rate", "atrial_rate_bpm": "atrial rate",
             "qrs_axis_deg": "QRS axis", "p_axis_deg": "P axis", "t_axis_deg": "T axis"}
    base = names.get(quantity, quantity)
    return f"{base} ({formula.title()})" if formula and quantity == "qtc_ms" else base


# --------------------------------------------------------------------------------------
# Qualitative interval claims ("QRS is wide", "QTc is prolonged", "heart rate is normal")

_QUALITATIVE = re.compile(
    r"(?P<name>QTc|QT(?:\s+interval)?|PR(?:\s+interval)?|QRS(?:\s+(?:complex(?:es)?|duration))?|(?:heart\s+)?rate)"
    r"\s+(?:interval\s+)?(?:is|was|are|appears?|seems?|looks?)\s+(?:\w+ly\s+)?(?P<neg>not\s+)?"
    r"(?P<adj>prolonged|long|lengthened|short(?:ened)?|wide|widened|broad|narrow|normal|fast|rapid|slow|elevated|high|low)\b",
    re.I)

_QUAL_RULES = {
    # (quantity, adjective class) -> predicate on the measured value
    ("qtc_ms", "long"): lambda v: v >= 450, ("qtc_ms", "short"): lambda v: v <= 340,
    ("qtc_ms", "normal"): lambda v: 340 < v < 460,
    ("qt_ms", "long"): lambda v: v >= 450, ("qt_ms", "short"): lambda v: v <= 340,
    ("qt_ms", "normal"): lambda v: 340 < v < 460,
    ("pr_ms", "long"): lambda v: v > 200, ("pr_ms", "short"): lambda v: v < 120,
    ("pr_ms", "normal"): lambda v: 120 <= v <= 200,
    ("qrs_ms", "long"): lambda v: v >= 120, ("qrs_ms", "short"): lambda v: v < 110,
    ("qrs_ms", "normal"): lambda v: v < 110,
    ("hr_bpm", "long"): lambda v: v > 100, ("hr_bpm", "short"): lambda v: v < 60,
    ("hr_bpm", "normal"): lambda v: 50 <= v <= 100,
}
_ADJ_CLASS = {"prolonged": "long", "long": "long", "lengthened": "long", "wide": "long", "widened": "long",
              "broad": "long", "fast": "long", "rapid": "long", "elevated": "long", "high": "long",
              "short": "short", "shortened": "short", "narrow": "short", "slow": "short", "low": "short",
              "normal": "normal"}


def _qual_quantity(name: str) -> str:
    n = name.lower()
    if n.startswith("qtc"):
        return "qtc_ms"
    if n.startswith("qt"):
        return "qt_ms"
    if n.startswith("pr"):
        return "pr_ms"
    if n.startswith("qrs"):
        return "qrs_ms"
    return "hr_bpm"


# --------------------------------------------------------------------------------------
# The check

def check_answer(text: str, findings) -> ClaimReport:
    """Every claim of `text` about this ECG, judged against `findings`."""
    present = {s.code for s in findings.statements}
    report = ClaimReport()
    taken: list[tuple[int, int]] = []

    for s_start, s_end in _sentences(text):
        sentence = text[s_start:s_end]
        _certainty(sentence, s_start, report, taken)
        _reference_ranges(sentence, s_start, report, taken)
        _numbers(sentence, s_start, findings, report, taken)
        _qualitative(sentence, s_start, findings, report, taken)
        if _names_a_diagnosis_of_this_ecg(sentence):
            _diagnoses(sentence, s_start, present, report, taken)
            _minimising(sentence, s_start, findings, report, taken)
    report.claims.sort(key=lambda c: c.start)
    return report


# A stated normal range is reference knowledge, not a claim about this ECG, but a wrong one
# ("a normal range of about 100-200 beats per minute") misleads as much as a wrong value. Each
# bound is judged against the adult reference of resources/knowledge/general.md, with room for
# the usual variants between references (heart rate 50 or 60 to 100 bpm, QTc 450-470 ms).
# (quantity: (lower-bound window, upper-bound window, the reference as written))
REFERENCE_RANGES = {
    "hr_bpm": ((40.0, 70.0), (90.0, 110.0), "50 or 60 to 100 bpm"),
    "pr_ms": ((100.0, 130.0), (180.0, 220.0), "120-200 ms"),
    "qrs_ms": ((40.0, 100.0), (90.0, 120.0), "below 110-120 ms"),
    "p_ms": ((40.0, 100.0), (100.0, 120.0), "below 120 ms"),
    "qtc_ms": ((320.0, 400.0), (430.0, 480.0), "below 450 ms (men) or 460 ms (women)"),
    "qrs_axis_deg": ((-45.0, 0.0), (90.0, 110.0), "-30 to +90 degrees"),
}
_UNIT_UNNAMED = _UNIT.replace("(?P<unit>", "(?:", 1)
_RANGE_OF_NUMBERS = re.compile(
    rf"(?:between\s+(?P<lo1>{_NUM})\s*(?:{_UNIT_UNNAMED})?\s*and\s+(?P<hi1>{_NUM})"
    rf"|(?<![\w.])(?P<lo2>{_NUM})\s*(?:{_UNIT_UNNAMED})?\s*(?:-|–|to)\s*(?P<hi2>\d+(?:[.,]\d+)?))\s*{_UNIT}?", re.I)
_NORMAL_CUE = re.compile(r"\b(normal|reference|typical|usual|healthy)\b", re.I)


def _reference_ranges(sentence: str, offset: int, report: ClaimReport, taken) -> None:
    if not _NORMAL_CUE.search(sentence):
        return
    for m in _RANGE_OF_NUMBERS.finditer(sentence):
        lo_s, hi_s = (m.group("lo1"), m.group("hi1")) if m.group("lo1") else (m.group("lo2"), m.group("hi2"))
        unit = m.group("unit")
        if not unit:
            continue
        family, factor = _unit_family(unit)
        lo, hi = _parse_number(lo_s) * factor, _parse_number(hi_s) * factor
        clause = _clause_before(sentence, m.start())
        quantity = _nearest_quantity(clause, family) or ("hr_bpm" if family == "bpm" else None)
        if quantity not in REFERENCE_RANGES or not _NORMAL_CUE.search(clause + sentence[m.start():m.end()]):
            continue
        (lo_min, lo_max), (hi_min, hi_max), written = REFERENCE_RANGES[quantity]
        if lo_min <= lo <= lo_max and hi_min <= hi <= hi_max:
            continue  # a correct reference range: not a claim about this ECG either way
        span = (offset + m.start(), offset + m.end())
        if _overlaps(*span, taken):
            continue
        claim = Claim("measurement", sentence[m.start():m.end()], span[0], span[1], status=CONTRADICTED,
                      quantity=quantity,
                      reason=f"not the normal range: the adult reference for the {_label(quantity, None)} "
                             f"is {written}")
        report.claims.append(claim)
        taken.append(span)


# Calling a finding harmless when the program rates it abnormal or critical ("this right bundle
# branch block is a normal variant") plays down what the physician must weigh.
_BENIGN = re.compile(
    r"\b(normal variants?|benign|harmless|innocent|nothing to worry about|no cause for concern"
    r"|of no (clinical )?significance|clinically insignificant|not (a )?(concern|serious|dangerous|worrying))\b",
    re.I)
_SERIOUS = ("abnormal", "critical")


def _minimising(sentence: str, offset: int, findings, report: ClaimReport, taken) -> None:
    m = _BENIGN.search(sentence)
    if not m or _negated(sentence, m.start(), m.end()) and not m.group(0).lower().startswith("not"):
        return
    severity = {s.code: s.severity for s in findings.statements}
    serious = []
    for a, b, term, codes in term_spans(sentence):
        if _negated(sentence, a, b):
            continue
        hit = [c for c in codes if severity.get(c) in _SERIOUS]
        if hit and len(codes) <= 2:
            serious.append((term, hit))
    if not serious:
        return
    span = (offset + m.start(), offset + m.end())
    if _overlaps(*span, taken):
        return
    names = "; ".join(f"{term} ({severity[c[0]]})" for term, c in serious)
    report.claims.append(Claim("severity", m.group(0), span[0], span[1], status=CONTRADICTED,
                               reason=f"the program rates {names}", codes=tuple(c for _, cs in serious for c in cs)))
    taken.append(span)


# Model text must never present a machine statement as a confirmed diagnosis.
_CERTAINTY = re.compile(
    r"\b(?:(?:is|are|was|were|has been|have been)\s+(?:now\s+)?confirmed|confirms?\s+(?:the|a|that)\b"
    r"|definitive(?:ly)?\s+diagnos\w*|(?:diagnosis|findings?) (?:is|are) (?:certain|definite)"
    r"|certainly has|definitely (?:has|shows|is))",
    re.I)


def _certainty(sentence: str, offset: int, report: ClaimReport, taken) -> None:
    for m in _CERTAINTY.finditer(sentence):
        before = sentence[max(0, m.start() - 40):m.start()]
        if re.search(r"\b(not|never|until|must be|should be|to be|needs? to be|physician)\b", before, re.I):
            continue  # "must be confirmed by a physician" is the right message
        if re.search(r"\b(to|can|could|may|might|will|would|should|must|cannot)\s+$", before, re.I):
            continue  # "used to confirm that ...", "a cardiologist can confirm the ...": no confirmation claimed
        span = (offset + m.start(), offset + m.end())
        report.claims.append(Claim("certainty", m.group(0), span[0], span[1], status=UNSUPPORTED,
                                   reason="program statements are drafts until a physician confirms them"))
        taken.append(span)


def _overlaps(a: int, b: int, taken) -> bool:
    return any(a < y and x < b for x, y in taken)


def _clause_before(sentence: str, pos: int) -> str:
    before = sentence[:pos]
    cut = 0
    for m in re.finditer(r"[;]|\b(but|however|whereas|while|and the|although)\b|,\s+(?=(the|its|and|with|a|an)\b)", before, re.I):
        cut = m.end()
    return before[cut:]


def _numbers(sentence: str, offset: int, findings, report: ClaimReport, taken) -> None:
    seen_spans: list[tuple[int, int]] = []
    candidates = []
    for m in _NUM_UNIT.finditer(sentence):
        family, factor = _unit_family(m.group("unit"))
        candidates.append((m.start(), m.end(), m.group("num"), family, factor, m.start("num")))
    # Named quantity followed by a bare number ("heart rate of 72", "PR 160").
    for qm in _QUANTITY_RE.finditer(sentence):
        nm = _BARE_NUMBER_AFTER_NAME.match(sentence[qm.end():])
        if not nm:
            continue
        n_start = qm.end() + nm.start("num")
        n_end = qm.end() + nm.end("num")
        if any(a <= n_start < b for a, b, *_ in candidates):
            continue
        quantity = _nearest_quantity(sentence[:qm.end()], None)
        if quantity is None or quantity in ("q_ms", "q_mv"):
            continue
        family = _QUANTITY_FAMILY.get(quantity, "ms")
        if family == "mv":
            continue  # bare amplitudes are too ambiguous (mm or mV?)
        candidates.append((qm.start(), n_end, nm.group("num"), family, 1.0, n_start))
    for start, end, num, family, factor, num_start in sorted(candidates):
        if family == "ms" and factor == 1000.0 and _parse_number(num) > 3:
            continue  # "10 seconds of recording" is not an interval claim
        before = sentence[:num_start]
        after = sentence[end:]
        clause = _clause_before(sentence, num_start)
        # "a normal PR is 160 ms", "QTc should be below 450 ms": reference values, not this ECG
        # (the cue must be close before the number: "a normal adult QRS ... deviation of -90" is a claim).
        reference = bool(_REFERENCE_CUE.search(" ".join(clause.split()[-7:]))) or _subject_is_reference(
            clause, family)
        limit_or_range = bool(_RANGE_BEFORE.search(before) or _RANGE_AFTER.search(after)
                              or _COMPARATOR_BEFORE.search(before) or _COMPARATOR_IN_CLAUSE.search(clause))
        if reference and not limit_or_range and not _REFERENCE_CUE_STRONG.search(" ".join(clause.split()[-7:])):
            reference = False  # a point value cued only by "normal"/"typical" is checked like any claim
        if _RANGE_BEFORE.search(before) or _RANGE_AFTER.search(after):
            # "120-200 ms" is reference knowledge; "rose from 106 bpm to 248 bpm" is a claim.
            moved = re.search(r"\bfrom\s+[-+]?\d", sentence[max(0, num_start - 45):end + 2])
            if not moved or reference:
                continue
        about = _is_about_this_ecg(clause + sentence[num_start:end])
        cmp_m = _COMPARATOR_BEFORE.search(before)
        comparator = None
        if cmp_m:
            word = cmp_m.group("cmp").lower()
            if word.startswith(("within", "up to", "at most")) or not about or reference:
                continue
            comparator = ">" if any(k in word for k in (">", "≥", "more", "greater", "longer", "faster",
                                                         "higher", "over", "above", "exceed", "at least",
                                                         "beyond")) else "<"
            # "No, the QTc above 500 ms does not ...", "did not find QTc above 500": the claim is the opposite
            # (an answer opening "No, the QTc above 500 ms ..." denies its first clause too)
            opening = sentence[:num_start]
            opening_no = bool(re.match(r"\s*no\s*,[^.;,]{0,60}$", opening, re.I)) and not re.search(
                r"\b(but|however|although|though|yet|instead|rather)\b", opening, re.I)
            if _NEG_PRE.search(" ".join(clause.split()[-8:])) or opening_no or re.match(
                    r"[^.;,]{0,25}\b(does|did|is|was|are|were) not\b|[^.;,]{0,25}\bn't\b", sentence[end:]):
                comparator = "<" if comparator == ">" else ">"
        elif reference:  # a lone value is a claim even in a general-sounding sentence ("this means every beat lasts 200 ms")
            continue
        quantity = _nearest_quantity(clause, family)
        if quantity is None:
            # "72 bpm" alone is a heart rate, "-30 degrees" a QRS axis; "92 ms heart rate" names it after.
            if family == "bpm":
                quantity = "hr_bpm"
            elif family == "deg":
                quantity = "qrs_axis_deg"
            else:
                quantity = _nearest_quantity(sentence[end:end + 40], family)
        span = (offset + start, offset + end)
        if quantity is None:
            # A number about this ECG we cannot attribute: trusted only if it equals some
            # measured value of its unit, otherwise flagged.
            if not _overlaps(*span, taken) and not _overlaps(*span, seen_spans) and comparator is None:
                value = _parse_number(num) * factor
                claim = Claim("measurement", sentence[start:end], span[0], span[1], value=value)
                pool = _all_values(findings, family)
                other = _nearest_quantity(clause, None)
                if family == "ms" and other in _QUANTITY_FAMILY and _QUANTITY_FAMILY[other] in ("deg", "bpm"):
                    # "the frontal QRS axis is at 80 ms": a value in the wrong unit for what it names
                    claim.status = UNSUPPORTED
                    claim.reason = f"a value in {_UNIT_NAME[family]} given to the {_label(other, None)}"
                elif any(_within(value, v, family) for v in pool):
                    claim.status, claim.reason = SUPPORTED, "equals a measured value"
                else:
                    claim.status = UNSUPPORTED
                    claim.reason = "a number that matches no measured value and names no measurement"
                report.claims.append(claim)
                taken.append(span)
                seen_spans.append(span)
            continue
        formula_m = None
        if quantity == "qtc_ms":
            named = _QTC_FORMULA.findall(clause) or _QTC_FORMULA.findall(after[:30])
            formula_m = named[-1] if named else None
        leads = _LEADS.findall(after[:60]) + _LEADS.findall(clause[-30:])
        if _overlaps(*span, taken) or _overlaps(*span, seen_spans):
            continue
        seen_spans.append(span)
        value = _parse_number(num) * factor
        if family == "mv" and quantity in ("st_dep_mv",):
            value = abs(value)
        claim = Claim("measurement", sentence[start:end], span[0], span[1], quantity=quantity,
                      value=value, comparator=comparator)
        _judge_number(claim, findings, family, formula_m.lower() if formula_m else None, leads)
        report.claims.append(claim)
        taken.append(span)


def _qualitative(sentence: str, offset: int, findings, report: ClaimReport, taken) -> None:
    m_ = findings.measurements
    for m in _QUALITATIVE.finditer(sentence):
        quantity = _qual_quantity(m.group("name"))
        adj_class = _ADJ_CLASS[m.group("adj").lower()]
        if m.group("name").lower().endswith("rate") and not m.group("name").lower().startswith("heart") \
                and re.search(r"atrial", sentence[max(0, m.start() - 10):m.start()], re.I):
            continue
        span = (offset + m.start(), offset + m.end())
        if _overlaps(*span, taken):
            continue
        rule = _QUAL_RULES.get((quantity, adj_class))
        if rule is None:
            continue
        if quantity == "qtc_ms":
            vals = [v for v in (m_.qtc_ms or {}).values() if v is not None]
            measured = vals[0] if vals else None
        else:
            measured = getattr(m_, quantity, None)
        claim = Claim("quality", m.group(0), span[0], span[1], quantity=quantity,
                      negated=bool(m.group("neg")))
        if measured is None:
            claim.status, claim.reason = UNSUPPORTED, f"{_label(quantity, None)} was not measured"
        else:
            if quantity == "qtc_ms":
                truth = any(rule(v) for v in vals) if adj_class != "normal" else all(rule(v) for v in vals)
            else:
                truth = rule(measured)
            if claim.negated:
                truth = not truth
            fam = _QUANTITY_FAMILY[quantity]
            claim.status = SUPPORTED if truth else CONTRADICTED
            claim.reason = f"measured {_label(quantity, None)} {_fmt(measured, fam)}"
        report.claims.append(claim)
        taken.append(span)


def _diagnoses(sentence: str, offset: int, present: set[str], report: ClaimReport, taken) -> None:
    insensitive, sensitive, _ = _term_index()
    excluded = [(m.start(), m.end()) for m in _NOT_CLAIMS.finditer(sentence)]
    hits = []
    for pattern in (insensitive, sensitive):
        for m in pattern.finditer(sentence):
            hits.append((m.start(), m.end(), m.group(0)))
    # Longest match wins ("incomplete right bundle branch block" over "right bundle branch block").
    hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    used: list[tuple[int, int]] = []
    for a, b, term in hits:
        if _overlaps(a, b, used) or _overlaps(a, b, excluded):
            continue
        if _overlaps(offset + a, offset + b, taken):
            continue
        codes = _codes_of(term)
        if not codes:
            continue
        if codes == (NOT_ASSESSED,) and _RISK_OF.search(sentence[max(0, a - 40):a]):
            continue  # "risk of torsade de pointes" names a danger, not a finding of this ECG
        used.append((a, b))
        negated = _negated(sentence, a, b)
        claim = Claim("diagnosis", term, offset + a, offset + b, codes=codes, negated=negated)
        backing = set()
        for c in codes:
            backing.add(c)
            backing.update(_IMPLIED_BY.get(c, ()))
        overall = present & _OVERALL_LABELS
        if set(codes) & _OVERALL_LABELS and overall:
            # the program states its overall label: a claim of one is true only for that one
            hit = bool(set(codes) & overall)
        elif "NORM" in codes:
            # "normal ECG" is true only with no abnormal or borderline statement.
            hit = "NORM" in present
        elif "ABNORMAL" in codes:
            hit = bool(present - {"NORM", "SR"})
        else:
            hit = bool(backing & present)
        found = sorted(backing & present)
        if negated:
            if hit:
                claim.status, claim.reason = CONTRADICTED, f"the findings include {', '.join(found)}"
            else:
                claim.status, claim.reason = SUPPORTED, "absent from the findings"
        elif hit:
            claim.status, claim.reason = SUPPORTED, f"in the findings ({', '.join(found) or 'NORM'})"
        else:
            conflict = _conflicting(codes, present)
            if conflict:
                claim.status, claim.reason = CONTRADICTED, f"the findings say {conflict}"
            elif codes == (NOT_ASSESSED,):
                claim.status, claim.reason = UNSUPPORTED, "not assessed by the program (none of its statements)"
            else:
                claim.status, claim.reason = UNSUPPORTED, "not among the program's findings"
        report.claims.append(claim)


_OVERALL_LABELS = frozenset({"NORM", "BORDERLINE", "ABNORMAL"})

# Mutually exclusive statements: claiming one while the other is present is a contradiction.
_EXCLUSIVE_GROUPS: tuple[frozenset[str], ...] = (
    frozenset({"SR", "SBRAD", "STACH", "SARRH", "AFIB", "AFLT", "SVTAC", "WCT", "PACE", "RHYTHM_OTHER"}),
    frozenset({"NORM", "ABNORMAL", "BORDERLINE"}),
    frozenset({"CRBBB", "IRBBB", "CLBBB", "ILBBB"}),
    frozenset({"LAD", "RAD", "EXTREME_AXIS"}),
    frozenset({"LQTC", "SQTC"}),
)


def _conflicting(codes: tuple[str, ...], present: set[str]) -> str | None:
    for group in _EXCLUSIVE_GROUPS:
        if set(codes) & group:
            others = (group & present) - set(codes)
            # Sinus variants coexist with SR claims ("sinus rhythm" is true in sinus bradycardia).
            if "SR" in codes:
                others -= {"SBRAD", "STACH", "SARRH"}
            if others:
                return ", ".join(sorted(others))
    return None


# --------------------------------------------------------------------------------------
# Showing the result

def annotate(text: str, report: ClaimReport) -> str:
    """The answer with every flagged claim marked in place; contradicted numbers carry
    the measured value, so they are never shown as trusted."""
    out = text
    for c in sorted(report.flagged, key=lambda c: c.start, reverse=True):
        if c.status == CONTRADICTED:
            mark = f" [✗ contradicted: {c.reason}]"
        else:
            mark = f" [? unsupported: {c.reason}]"
        out = out[:c.end] + mark + out[c.end:]
    return out


def terms_in(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """Diagnostic terms mentioned in `text` (any phrasing, no negation or claim logic),
    longest match first; used to see what a question asks about."""
    return [(term, codes) for _, _, term, codes in term_spans(text)]


def term_spans(text: str) -> list[tuple[int, int, str, tuple[str, ...]]]:
    """(start, end, term, codes) of every diagnostic term in `text`, phrases that only
    look like terms ("the heart's natural pacemaker") left out."""
    insensitive, sensitive, _ = _term_index()
    excluded = [(m.start(), m.end()) for m in _NOT_CLAIMS.finditer(text)]
    hits = [(m.start(), m.end(), m.group(0)) for p in (insensitive, sensitive) for m in p.finditer(text)]
    hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    used: list[tuple[int, int]] = []
    out = []
    for a, b, term in hits:
        if _overlaps(a, b, used) or _overlaps(a, b, excluded):
            continue
        codes = _codes_of(term)
        if codes:
            used.append((a, b))
            out.append((a, b, term, codes))
    return out
