"""Clinical-invariant sweep: the full pipeline (read_ecg -> analyze_ecg) over every readable
record in the shared data, checking what must hold on ANY ECG whatever the device or database.

    nice -n 10 .venv/bin/python benchmarks/sanity_sweep.py [--cache FILE] [--rerun-failing]
        [--only SOURCE_PREFIX] [--list INVARIANT]

Prints a table of violations per invariant and per source. Typed reader errors
(`EcgReadError`) are fine and counted separately; any other exception is a violation.
Results are appended per record to a JSONL cache so that an interrupted run resumes and a
fix can be re-checked on the failing records only (--rerun-failing).
PTB-XL folds 9-10 are included in the counts (source "ptb-xl-test"); never tune on them.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
import traceback
import warnings
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ecgchat_desktop.analysis.measurements import LEAD_QUALITY_VALUES, QTC_FORMULAS  # noqa: E402
from ecgchat_desktop.findings import analyze_ecg  # noqa: E402
from ecgchat_desktop.interpret.vocabulary import load_vocabulary  # noqa: E402
from ecgchat_desktop.io import read_ecg  # noqa: E402
from ecgchat_desktop.io.errors import EcgReadError  # noqa: E402
from ecgchat_desktop.settings import shared_data_dir  # noqa: E402

DATA = shared_data_dir()
VOCAB = load_vocabulary()
# Reference beat labels of the MIT/QT databases (WFDB beat annotation codes).
BEAT_SYMBOLS = set("NLRBAaJSVrFejnE/fQ?")
MAX_WHOLE_S = 31 * 60  # longer multi-segment records are analysed on their first 5 min
RHYTHM_EXCLUSIVE_WITH_SR = ("AFIB", "AFLT", "PACE")
MUTUALLY_EXCLUSIVE = (("AFIB", "AFLT"), ("CRBBB", "CLBBB"), ("LAD", "RAD"), ("STACH", "SBRAD"),
                      ("LQTC", "SQTC"), ("CRBBB", "IRBBB"), ("CLBBB", "ILBBB"), ("AFIB", "1AVB"))


# --------------------------------------------------------------------------- records
def _ptbxl_folds() -> dict[int, int]:
    path = DATA / "ptb-xl" / "ptbxl_database.csv"
    out = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out[int(row["ecg_id"])] = int(row["strat_fold"])
    return out


def iter_jobs():
    """(record id, source, path, crop) where crop is None or (start_s, length_s) / 'whole'."""
    cinc = DATA / "cinc"
    for sub in sorted(p for p in cinc.iterdir() if p.is_dir() and p.name != "orig500"):
        for hea in sorted(sub.glob("*.hea")):
            yield f"cinc/{sub.name}/{hea.stem}", f"cinc-{sub.name}", hea, None
    for hea in sorted((cinc / "orig500").glob("*/*.hea")):
        yield f"cinc/orig500/{hea.parent.name}/{hea.stem}", "cinc-orig500", hea, None
    folds = _ptbxl_folds()
    for hea in sorted((DATA / "ptb-xl" / "records500").glob("*/*.hea")):
        ecg_id = int(hea.stem.split("_")[0])
        src = "ptb-xl-test" if folds.get(ecg_id, 0) >= 9 else "ptb-xl"
        yield f"ptb-xl/{hea.stem}", src, hea, None
    for hea in sorted((DATA / "ludb" / "data").glob("*.hea"), key=lambda p: int(p.stem)):
        yield f"ludb/{hea.stem}", "ludb", hea, None
    for hea in sorted((DATA / "qtdb").glob("*.hea")):
        yield f"qtdb/{hea.stem}", "qtdb", hea, None
    mit = sorted((DATA / "mitdb").glob("*.hea"))
    for hea in mit:
        for start in (60, 600, 1500):
            yield f"mitdb/{hea.stem}@{start}+10", "mitdb-10s", hea, (start, 10)
        yield f"mitdb/{hea.stem}@900+60", "mitdb-60s", hea, (900, 60)
    for hea in mit:
        if hea.stem in ("100", "119", "203", "208", "232"):
            yield f"mitdb/{hea.stem}", "mitdb-whole", hea, "whole"
    wf = DATA / "wfdb-formats"
    for f in sorted(p for p in wf.rglob("*") if p.is_file()):
        if f.suffix.lower() in (".hea", ".edf"):
            yield f"wfdb-formats/{f.relative_to(wf)}", "wfdb-formats", f, None
    for f in sorted((DATA / "formats").rglob("*")):
        if f.is_file() and not f.name.startswith("LICENSE"):
            yield f"formats/{f.relative_to(DATA / 'formats')}", "formats", f, None


def reference_beats(hea: Path, crop) -> int | None:
    """Number of reference beat labels (atr) inside the analysed span, None if no atr."""
    atr = hea.with_suffix(".atr")
    if not atr.exists():
        return None
    import wfdb

    ann = wfdb.rdann(str(hea.with_suffix("")), "atr")
    fs = ann.fs or wfdb.rdheader(str(hea.with_suffix(""))).fs
    s = np.asarray(ann.sample)
    keep = np.array([sym in BEAT_SYMBOLS for sym in ann.symbol])
    s = s[keep]
    if isinstance(crop, tuple):
        a, b = crop[0] * fs, (crop[0] + crop[1]) * fs
        # half a beat-width margin at the edges: a beat cut at the border may be missed
        s = s[(s >= a + 0.2 * fs) & (s < b - 0.2 * fs)]
    return int(s.size)


# --------------------------------------------------------------------------- invariants
def _num(x) -> bool:
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


def check(findings, ecg) -> list[tuple[str, str]]:
    """All invariant violations of one analysed ECG as (invariant, detail)."""
    v: list[tuple[str, str]] = []
    m = findings.measurements
    fs = ecg.sampling_rate_hz
    codes = [s.code for s in findings.statements]
    cs = set(codes)

    # --- rate --------------------------------------------------------------
    if m.n_beats != len(m.r_peaks):
        v.append(("n_beats==len(r_peaks)", f"n_beats {m.n_beats} r_peaks {len(m.r_peaks)}"))
    if len(m.r_peaks) >= 3:
        if not _num(m.hr_bpm) or not _num(m.rr_ms):
            v.append(("hr/rr present when >=3 beats", f"hr {m.hr_bpm} rr {m.rr_ms} beats {len(m.r_peaks)}"))
        else:
            if abs(60000.0 / m.rr_ms - m.hr_bpm) > 0.03 * m.hr_bpm + 0.5:
                v.append(("hr==60000/rr", f"hr {m.hr_bpm:.1f} rr {m.rr_ms:.0f}"))
            rr_from_peaks = float(np.mean(np.diff(np.asarray(m.r_peaks)))) / fs * 1000.0
            if abs(rr_from_peaks - m.rr_ms) > 0.10 * rr_from_peaks:
                v.append(("rr consistent with r_peaks", f"rr {m.rr_ms:.0f} vs peaks {rr_from_peaks:.0f}"))
    if _num(m.hr_bpm) and not 20 <= m.hr_bpm <= 300:
        v.append(("20<=hr<=300", f"hr {m.hr_bpm:.1f}"))
    if len(m.r_peaks) > 1 and np.any(np.diff(np.asarray(m.r_peaks)) <= 0):
        v.append(("r_peaks increasing", "non-increasing r_peaks"))
    if m.r_peaks and (min(m.r_peaks) < 0 or max(m.r_peaks) >= ecg.n_samples):
        v.append(("r_peaks inside signal", f"{min(m.r_peaks)}..{max(m.r_peaks)} of {ecg.n_samples}"))
    if _num(m.rr_min_ms) and _num(m.rr_max_ms) and _num(m.rr_ms) and not (
            m.rr_min_ms - 1 <= m.rr_ms <= m.rr_max_ms + 1):
        v.append(("rr_min<=rr<=rr_max", f"{m.rr_min_ms:.0f} {m.rr_ms:.0f} {m.rr_max_ms:.0f}"))
    counted = m.n_dominant + m.n_ventricular_ectopic + m.n_supraventricular_ectopic + m.n_paced
    if counted > m.n_beats:
        v.append(("beat classes <= n_beats", f"classes {counted} beats {m.n_beats}"))

    # --- intervals ---------------------------------------------------------
    for name in ("p_ms", "pr_ms", "qrs_ms", "qt_ms"):
        val = getattr(m, name)
        if val is not None and (not _num(val) or val <= 0):
            v.append(("intervals positive", f"{name} {val}"))
    if _num(m.pr_ms) and _num(m.p_ms) and m.pr_ms < m.p_ms - 1:
        v.append(("PR>=P", f"PR {m.pr_ms:.0f} P {m.p_ms:.0f}"))
    if m.pr_ms is not None and m.p_ms is None:
        v.append(("PR only with a P wave", f"PR {m.pr_ms:.0f} P None"))
    if _num(m.qt_ms) and _num(m.qrs_ms) and m.qt_ms <= m.qrs_ms:
        v.append(("QT>QRS", f"QT {m.qt_ms:.0f} QRS {m.qrs_ms:.0f}"))
    if _num(m.qt_ms) and _num(m.rr_ms) and _num(m.hr_bpm) and m.hr_bpm < 120 and m.qt_ms >= m.rr_ms:
        v.append(("QT<RR (rate<120)", f"QT {m.qt_ms:.0f} RR {m.rr_ms:.0f}"))
    if _num(m.qrs_ms) and not 40 <= m.qrs_ms <= 250:
        v.append(("QRS 40..250 ms", f"QRS {m.qrs_ms:.0f}"))
    if _num(m.qt_ms) and not 200 <= m.qt_ms <= 700:
        v.append(("QT 200..700 ms", f"QT {m.qt_ms:.0f}"))
    if _num(m.pr_ms) and not 60 <= m.pr_ms <= 500:
        v.append(("PR 60..500 ms", f"PR {m.pr_ms:.0f}"))
    md = m.median
    if md is not None:
        seq = [("p_on", md.p_onset), ("p_off", md.p_offset), ("qrs_on", md.qrs_onset),
               ("qrs_off", md.qrs_offset), ("t_off", md.t_offset)]
        present = [(n, x) for n, x in seq if x is not None]
        for (n1, a), (n2, b) in zip(present, present[1:]):
            ok = a <= b if (n1, n2) == ("p_off", "qrs_on") else a < b
            if not ok:
                v.append(("median fiducials ordered", f"{n1} {a} !< {n2} {b}"))
        if (md.p_onset is None) != (md.p_offset is None):
            v.append(("P on/off both or neither", f"p_on {md.p_onset} p_off {md.p_offset}"))
        if md.t_peak is not None and md.qrs_offset is not None and md.t_offset is not None and not (
                md.qrs_offset < md.t_peak < md.t_offset):
            v.append(("median fiducials ordered", f"t_peak {md.t_peak} not in ({md.qrs_offset},{md.t_offset})"))
        mfs = md.sampling_rate_hz
        # global intervals must be the median fiducials' spans (10 ms slack for averaging)
        for name, a, b in (("qrs_ms", md.qrs_onset, md.qrs_offset), ("qt_ms", md.qrs_onset, md.t_offset),
                           ("pr_ms", md.p_onset, md.qrs_onset), ("p_ms", md.p_onset, md.p_offset)):
            val = getattr(m, name)
            if _num(val) and a is not None and b is not None:
                span = (b - a) / mfs * 1000.0
                if abs(span - val) > max(12.0, 0.08 * val):
                    v.append(("intervals == median spans", f"{name} {val:.0f} vs median {span:.0f}"))
            elif _num(val) and (a is None or b is None):
                v.append(("intervals == median spans", f"{name} {val:.0f} but median fiducial missing"))
    for b in m.beats:
        seq = [("p_on", b.p_onset), ("p_off", b.p_offset), ("qrs_on", b.qrs_onset), ("r", b.r_peak),
               ("qrs_off", b.qrs_offset), ("t_off", b.t_offset)]
        present = [(n, x) for n, x in seq if x is not None]
        bad = [(n1, a, n2, c) for (n1, a), (n2, c) in zip(present, present[1:])
               if not (a <= c if n1 in ("p_off", "qrs_on") or n2 in ("qrs_off", "r") else a < c)]
        if bad:
            n1, a, n2, c = bad[0]
            v.append(("beat fiducials ordered", f"beat r={b.r_peak}: {n1} {a} !< {n2} {c}"))
            break

    # --- QTc ---------------------------------------------------------------
    qtc = m.qtc_ms or {}
    if set(qtc) != set(QTC_FORMULAS):
        v.append(("QTc formulas consistent", f"keys {sorted(qtc)}"))
    if _num(m.qt_ms) and _num(qtc.get("bazett")):
        rr_s = (m.qt_ms / qtc["bazett"]) ** 2
        hr = 60.0 / rr_s
        expect = {"fridericia": m.qt_ms / rr_s ** (1 / 3), "framingham": m.qt_ms + 154.0 * (1 - rr_s),
                  "hodges": m.qt_ms + 1.75 * (hr - 60.0)}
        for k, e in expect.items():
            if _num(qtc.get(k)) and abs(qtc[k] - e) > 0.01 * e + 1:
                v.append(("QTc formulas consistent", f"{k} {qtc[k]:.0f} expected {e:.0f} from bazett's RR"))
        # the engine corrects with the median RR between consecutive dominant, non-premature
        # beats (the QT is that median beat's: premature beats stay out of it even where they
        # are not called ectopic, e.g. in AF); fall back to the mean RR when there is no such
        # pair (the paced family in a paced rhythm), else the median of all RR
        fam = "paced" if m.n_paced > m.n_dominant else "dominant"
        rr_dom = [b.rr_prev_ms for a, b in zip(m.beats, m.beats[1:])
                  if a.beat_class == b.beat_class == fam and not (a.premature or b.premature)
                  and _num(b.rr_prev_ms)]
        rr_all = [b.rr_prev_ms for b in m.beats[1:] if _num(b.rr_prev_ms)]
        rr_ref = float(np.median(rr_dom)) if rr_dom else (float(np.median(rr_all)) if rr_all else m.rr_ms)
        if _num(rr_ref) and abs(rr_s * 1000 - rr_ref) > 0.05 * rr_ref:
            v.append(("QTc RR == dominant RR", f"QTc uses RR {rr_s * 1000:.0f} vs dominant RR {rr_ref:.0f} "
                                               f"(mean {m.rr_ms})"))
    # QTc needs an RR: a single-beat strip may carry a QT but no QTc
    if (m.qt_ms is None and any(x is not None for x in qtc.values())) or (
            m.qt_ms is not None and _num(m.rr_ms) and all(x is None for x in qtc.values())):
        v.append(("QTc formulas consistent", f"QT {m.qt_ms} QTc {qtc}"))

    # --- absent waves --------------------------------------------------------
    if "AFIB" in cs or "AFLT" in cs:
        if m.pr_ms is not None:
            v.append(("AF/AFL: no PR", f"PR {m.pr_ms:.0f} with {'AFIB' if 'AFIB' in cs else 'AFLT'}"))
        if "1AVB" in cs or "2AVB" in cs:
            v.append(("AF/AFL: no PR", "AV block statement with AF/AFL"))
    if "AFIB" in cs and m.p_axis_deg is not None:
        v.append(("AF: no P axis", f"P axis {m.p_axis_deg:.0f}"))
    if m.p_ms is None and m.p_axis_deg is not None:
        v.append(("P axis only with P", f"P axis {m.p_axis_deg:.0f} without P"))

    # --- axes ----------------------------------------------------------------
    for name in ("p_axis_deg", "qrs_axis_deg", "t_axis_deg"):
        a = getattr(m, name)
        if a is not None and (not _num(a) or not -180 < a <= 180):
            v.append(("axes in (-180,180]", f"{name} {a}"))

    # --- lead quality --------------------------------------------------------
    bad_vals = {k: q for k, q in m.lead_quality.items() if q not in LEAD_QUALITY_VALUES}
    if bad_vals:
        v.append(("lead_quality valid", f"values {bad_vals}"))
    extra = set(m.lead_quality) - set(ecg.lead_names)
    if extra or (not m.lead_quality and ecg.duration_s >= 1.0):
        v.append(("lead_quality valid", f"keys not leads {sorted(extra)}" if extra else "empty"))
    if m.lead_quality and all(q in ("flat", "lead_off") for q in m.lead_quality.values()) and m.qrs_ms is not None:
        v.append(("lead_quality valid", "every lead flat/off but QRS measured"))
    if "POOR_QUALITY" not in cs and m.lead_quality and all(q != "good" for q in m.lead_quality.values()):
        v.append(("no good lead => POOR_QUALITY", f"{Counter(m.lead_quality.values())}"))

    # --- statements ----------------------------------------------------------
    for s in findings.statements:
        d = VOCAB.get(s.code)
        if d is None:
            v.append(("codes in vocabulary", s.code))
            continue
        if s.category != d.category:
            v.append(("codes in vocabulary", f"{s.code} category {s.category} != {d.category}"))
        # the overall ABNORMAL/BORDERLINE line's evidence names the statements behind it
        summary_line = s.code in ("ABNORMAL", "BORDERLINE")
        if not s.evidence or not (summary_line or any(re.search(r"\d", e) for e in s.evidence)):
            v.append(("evidence has a number", f"{s.code}: {s.evidence}"))
        if s.critical != (s.severity == "critical"):
            v.append(("critical iff severity critical", f"{s.code} critical={s.critical} sev={s.severity}"))
    dup = [c for c, n in Counter(codes).items() if n > 1]
    if dup:
        v.append(("no duplicate codes", ",".join(dup)))
    if findings.critical != any(s.critical for s in findings.statements):
        v.append(("critical flag iff critical statement", f"flag {findings.critical}"))
    if "SR" in cs and cs & set(RHYTHM_EXCLUSIVE_WITH_SR):
        v.append(("no SR with AF/AFL/paced", ",".join(sorted(cs & set(RHYTHM_EXCLUSIVE_WITH_SR)))))
    if "NORM" in cs:
        ab = [s.code for s in findings.statements if s.severity in ("abnormal", "critical")]
        if ab:
            v.append(("no NORM with abnormal", ",".join(ab)))
    if "NORM" in cs and "ABNORMAL" in cs:
        v.append(("no NORM with abnormal", "NORM+ABNORMAL"))
    for a, b in MUTUALLY_EXCLUSIVE:
        if a in cs and b in cs:
            v.append(("exclusive statements", f"{a}+{b}"))
    hr = m.hr_bpm
    if "STACH" in cs and (not _num(hr) or hr < 99.5):
        v.append(("rate statements match hr", f"STACH hr {hr}"))
    if "SBRAD" in cs and (not _num(hr) or hr >= 60.5):
        v.append(("rate statements match hr", f"SBRAD hr {hr}"))
    if "1AVB" in cs and (not _num(m.pr_ms) or m.pr_ms <= 199.5):
        v.append(("interval statements match", f"1AVB PR {m.pr_ms}"))
    if ("CRBBB" in cs or "CLBBB" in cs) and (not _num(m.qrs_ms) or m.qrs_ms < 115):
        v.append(("interval statements match", f"complete BBB QRS {m.qrs_ms}"))
    if "LQTC" in cs and not any(_num(x) for x in qtc.values()):
        v.append(("interval statements match", "LQTC without QTc"))
    # in RBBB the axis statements read the net-deflection axis (rules_axis; evidence gives both)
    rbbb = bool(cs & {"CRBBB", "IRBBB"})
    if "LAD" in cs and not rbbb and (not _num(m.qrs_axis_deg) or not -90 <= m.qrs_axis_deg < -29.5):
        v.append(("axis statements match", f"LAD axis {m.qrs_axis_deg}"))
    if "RAD" in cs and not rbbb and (not _num(m.qrs_axis_deg) or not 90 < m.qrs_axis_deg <= 180):
        v.append(("axis statements match", f"RAD axis {m.qrs_axis_deg}"))
    rhythm = [c for c in codes if VOCAB.get(c) and VOCAB[c].category == "rhythm"]
    if len(m.r_peaks) >= 3 and not rhythm:
        v.append(("a rhythm statement when beats", f"{len(m.r_peaks)} beats, statements {codes}"))
    return v


# --------------------------------------------------------------------------- runner
def run_one(rid: str, hea: Path, crop) -> dict:
    out = {"id": rid, "status": "ok", "violations": []}
    try:
        ecg = read_ecg(hea)
    except EcgReadError as exc:
        return {**out, "status": "reader_error", "detail": str(exc)[:200]}
    except Exception as exc:  # untyped: a bug by the error contract
        return {**out, "status": "exception", "detail": f"read: {type(exc).__name__}: {exc}"[:300]}
    fs = ecg.sampling_rate_hz
    if isinstance(crop, tuple):
        a, n = int(crop[0] * fs), int(crop[1] * fs)
        ecg = ecg.with_changes(signals_mv=np.array(ecg.signals_mv[:, a:a + n]))
    elif ecg.duration_s > MAX_WHOLE_S:
        ecg = ecg.with_changes(signals_mv=np.array(ecg.signals_mv[:, :int(300 * fs)]))
        out["note"] = "first 5 min"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            findings = analyze_ecg(ecg)
    except Exception as exc:
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        return {**out, "status": "exception",
                "detail": f"analyze: {type(exc).__name__}: {exc} at {Path(tb.filename).name}:{tb.lineno}"[:300]}
    try:
        out["violations"] = check(findings, ecg)
    except Exception as exc:
        out["violations"] = [("checker crashed", f"{type(exc).__name__}: {exc}")]
    m = findings.measurements
    out["n_beats"] = m.n_beats
    if crop is not None:
        try:
            ref = reference_beats(hea, crop)
        except Exception:
            ref = None
        if ref:
            out["ref_beats"] = ref
            edge = 1 if isinstance(crop, tuple) else 0
            if abs(m.n_beats - ref) > max(2 + edge, 0.10 * ref):
                out["violations"].append(("beat count vs atr", f"ours {m.n_beats} ref {ref}"))
    out["summary"] = {"hr": m.hr_bpm, "pr": m.pr_ms, "qrs": m.qrs_ms, "qt": m.qt_ms,
                      "codes": [s.code for s in findings.statements]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", default="/tmp/ecgchat_sanity_sweep.jsonl")
    ap.add_argument("--rerun-failing", action="store_true", help="re-analyse records with violations")
    ap.add_argument("--fresh", action="store_true", help="ignore the cache")
    ap.add_argument("--only", default="", help="id prefix (e.g. mitdb/ or ptb-xl/00012)")
    ap.add_argument("--no-cli", action="store_true", help="skip the `ecgchat analyze --json` pass")
    ap.add_argument("--list", default="", help="print every violation of this invariant ('' none, 'all')")
    args = ap.parse_args()

    cache: dict[str, dict] = {}
    cpath = Path(args.cache)
    if cpath.exists() and not args.fresh:
        for line in cpath.read_text().splitlines():
            r = json.loads(line)
            cache[r["id"]] = r
    jobs = [j for j in iter_jobs() if j[0].startswith(args.only)]
    results = []
    with open(cpath, "a" if not args.fresh else "w") as fh:
        for i, (rid, src, path, crop) in enumerate(jobs):
            r = cache.get(rid)
            if r is None or (args.rerun_failing and (r["violations"] or r["status"] == "exception")):
                r = run_one(rid, path, crop)
                fh.write(json.dumps(r) + "\n")
                fh.flush()
                if r["violations"] or r["status"] == "exception":
                    print(f"[{i + 1}/{len(jobs)}] {rid}: {r['status']} {r.get('detail', '')} "
                          f"{r['violations'][:3]}", file=sys.stderr, flush=True)
            r["source"] = src
            results.append(r)

    if not args.no_cli:
        cli_pass(jobs, results)
    sources = list(dict.fromkeys(r["source"] for r in results))  # job order
    per = defaultdict(Counter)  # invariant -> source -> n records violating
    totals = Counter()
    status = defaultdict(Counter)
    for r in results:
        status[r["source"]][r["status"]] += 1
        totals[r["source"]] += 1
        if r["status"] == "exception":
            per["no exception escapes"][r["source"]] += 1
        for inv in {inv for inv, _ in r["violations"]}:
            per[inv][r["source"]] += 1
    short = {s: s.replace("cinc-ptbxl", "c-ptbxl").replace("cinc-", "").replace("cpsc2018_extra", "cpscx").replace("ptb-xl", "ptbxl")
             .replace("wfdb-formats", "wfdb").replace("mitdb-", "mit").replace("-test", "9-10")
             for s in sources}
    w = max(len(k) for k in list(per) + ["records with any violation"]) + 1
    cw = {s: max(len(short[s]), 5) for s in sources}
    print(f"| {'invariant':<{w}}| " + " | ".join(f"{short[s]:>{cw[s]}}" for s in sources) + " | total |")
    print("|" + "-" * (w + 1) + "|" + "|".join("-" * (cw[s] + 2) for s in sources) + "|-------|")

    def row(name, counts):
        print(f"| {name:<{w}}| " + " | ".join(f"{counts.get(s, 0):>{cw[s]}}" for s in sources)
              + f" | {sum(counts.values()):>5} |")

    row("records", totals)
    row("typed reader errors", {s: status[s]["reader_error"] for s in sources})
    row("records analysed", {s: status[s]["ok"] for s in sources})
    row("records with any violation", Counter(r["source"] for r in results
                                              if r["violations"] or r["status"] == "exception"))
    for inv in sorted(per, key=lambda k: -sum(per[k].values())):
        row(inv, per[inv])
    if args.list:
        for r in results:
            if r["status"] == "exception" and args.list in ("all", "no exception escapes"):
                print(f"  {r['id']}: {r.get('detail')}")
            for inv, detail in r["violations"]:
                if args.list in ("all", inv):
                    print(f"  {r['id']} [{inv}] {detail} {r.get('summary', {}).get('codes', '')}")


def cli_pass(jobs, results) -> None:
    """`ecgchat analyze PATH --json` in-process on the first whole record of every source and
    on every file the readers refuse: same numbers and codes as analyze_ecg, or exit 2 with one
    stderr line naming the file (the CLI error contract)."""
    import contextlib
    import io

    from ecgchat_desktop.cli import main as cli_main

    by_id = {r["id"]: r for r in results}
    seen_src = set()
    for rid, src, path, crop in jobs:
        r = by_id[rid]
        refused = r["status"] == "reader_error"
        if crop is not None or r.get("note") or (src in seen_src and not refused) or r["status"] == "exception":
            continue
        seen_src.add(src)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                rc = cli_main(["analyze", str(path), "--json"])
            except SystemExit as exc:
                rc = exc.code
            except Exception as exc:
                rc = f"{type(exc).__name__}: {exc}"
        if refused:
            lines = [ln for ln in err.getvalue().splitlines() if ln.strip()]
            # a multi-segment record may name the segment file that is broken
            if rc != 2 or len(lines) != 1 or str(path.parent) not in lines[0]:
                r["violations"].append(("CLI error contract", f"rc {rc} stderr {lines[:2]}"))
            continue
        try:
            data = json.loads(out.getvalue())
            same = (data.get("hr_bpm") == r["summary"]["hr"]
                    and [st["code"] for st in data["statements"]] == r["summary"]["codes"])
            detail = "" if same else f"cli hr {data.get('hr_bpm')} {[st['code'] for st in data['statements']]}"
        except Exception as exc:
            same, detail = False, f"rc {rc}: {type(exc).__name__}: {exc}"[:200]
        if rc != 0 or not same:
            r["violations"].append(("CLI --json == analyze_ecg", detail or f"rc {rc}"))


if __name__ == "__main__":
    main()
