"""Delineation accuracy against cardiologists' marks: QTDB (q1c) and LUDB records 1–140.

Per annotated beat, the error (ours − reference, ms) of P onset, P offset, QRS onset,
QRS offset, T peak and T offset; mean and SD over all annotated beats, and the
fraction of reference waves we report (Se). LUDB's per-lead marks are combined into
global ones (CSE convention, as our engine measures: the second-earliest onset and the
second-latest offset over the 12 leads, so one lead's stray mark does not decide; the
T peak is the median over leads). LUDB's 10 paced records are excluded. NeuroKit2 (ecg_process on lead II / the first QTDB lead, as the
ECG-Chat paper does) in the same run.

    nice -n 10 .venv/bin/python benchmarks/delineation.py [--limit N]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import wfdb

from analysis_common import DATA, fmt, load_wfdb, match, nk_delineate, ours_per_beat

from ecgchat_desktop.analysis import measure

PER_RECORD = False
NO_NK = False
WAVES = ("p_onset", "p_offset", "qrs_onset", "qrs_offset", "t_peak", "t_offset")
CSE_SD_MS = {"p_onset": 10.2, "p_offset": 12.7, "qrs_onset": 6.5, "qrs_offset": 11.6, "t_peak": None, "t_offset": 30.6}
QTDB_PACED = {"sel102", "sel104"}
LUDB_LEADS = ("i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6")


def parse_waves(ann) -> list[dict]:
    """Beats from a wave-boundary annotation: '(' X ')' groups with X in p, N, t."""
    fs = float(getattr(ann, "fs", None) or 250.0)
    beats: list[dict] = []
    cur: dict = {}
    sym, smp = list(ann.symbol), list(ann.sample)
    for i, s in enumerate(sym):
        if s not in ("p", "N", "t"):
            continue
        on = smp[i - 1] if i > 0 and sym[i - 1] == "(" else None
        off = smp[i + 1] if i + 1 < len(sym) and sym[i + 1] == ")" else None
        if s == "p":
            cur = {"p_onset": on, "p_offset": off, "_p": smp[i]}
        elif s == "N":
            if "_p" in cur and smp[i] - cur["_p"] > 0.5 * fs:
                cur = {}  # that P belongs to an unmarked beat
            cur.pop("_p", None)
            cur.update({"r_peak": smp[i], "qrs_onset": on, "qrs_offset": off})
            beats.append(cur)
            cur = {}
        elif s == "t" and beats and smp[i] - beats[-1]["r_peak"] < 0.6 * fs:
            # Only the T wave of that beat (a T marked after an unmarked QRS is skipped).
            beats[-1].update({"t_peak": smp[i], "t_offset": off})
    return beats


def ludb_reference(rec: str) -> list[dict]:
    """Global per-beat marks over the 12 leads: second-earliest onset and second-latest
    offset (the CSE "earliest onset / latest offset", made robust to one lead's stray
    mark: LUDB's leads were annotated one by one)."""
    per_lead = []
    for lead in LUDB_LEADS:
        try:
            per_lead.append(parse_waves(wfdb.rdann(str(DATA / "ludb" / "data" / rec), lead)))
        except Exception:
            continue
    if not per_lead:
        return []
    base = max(per_lead, key=len)
    out = []
    for b in base:
        merged = {"r_peak": b["r_peak"]}
        for k in WAVES:
            vals = []
            for other in per_lead:
                for ob in other:
                    if abs(ob.get("r_peak", -10**9) - b["r_peak"]) < 75 and ob.get(k) is not None:
                        vals.append(ob[k])
                        break
            if not vals:
                continue
            vals.sort()
            pick = 1 if len(vals) >= 3 else 0
            if k in ("p_onset", "qrs_onset"):
                merged[k] = vals[pick]
            elif k == "t_peak":
                merged[k] = float(np.median(vals))
            else:
                merged[k] = vals[-1 - pick]
        out.append(merged)
    return out


def evaluate(ref_beats, det: dict | None, fs: float, errs: dict, found: dict, total: dict):
    ref_r = np.array([b["r_peak"] for b in ref_beats], dtype=float)
    idx = match(ref_r, det["r_peak"] if det is not None else np.zeros(0), 0.15 * fs)
    for b, j in zip(ref_beats, idx):
        for k in WAVES:
            if b.get(k) is None:
                continue
            total[k] += 1
            if j < 0 or det is None or not np.isfinite(det[k][j]):
                continue
            found[k] += 1
            errs[k].append((det[k][j] - b[k]) * 1000.0 / fs)


def run(dataset: str, limit: int | None):
    rows = {name: ({k: [] for k in WAVES}, {k: 0 for k in WAVES}, {k: 0 for k in WAVES}) for name in ("ours", "nk2")}
    t_ours = t_nk = 0.0
    if dataset == "qtdb":
        # Standard exclusion: the paced MIT-BIH records inside QTDB (stimulus artefacts).
        recs = [r.strip() for r in open(DATA / "qtdb" / "RECORDS") if r.strip() and r.strip() not in QTDB_PACED]
        print(f"QTDB: paced records excluded ({', '.join(sorted(QTDB_PACED))})")
    else:
        # Standard exclusion: paced records (their QRS boundaries are spike-defined; CSE
        # and IEC delineation tests exclude pacing too).
        import csv

        with open(DATA / "ludb" / "ludb.csv", newline="") as fh:
            paced = {row["ID"].strip() for row in csv.DictReader(fh) if row.get("Cardiac pacing", "").strip()}
        recs = [str(i) for i in range(1, 141) if str(i) not in paced]
        print(f"LUDB: {len(paced)} paced records excluded ({', '.join(sorted(paced, key=int))})")
    recs = recs[:limit] if limit else recs
    for rec in recs:
        if dataset == "qtdb":
            path = DATA / "qtdb" / rec
            try:
                ref = parse_waves(wfdb.rdann(str(path), "q1c"))
            except Exception:
                continue
        else:
            path = DATA / "ludb" / "data" / rec
            ref = ludb_reference(rec)
        if not ref:
            continue
        ecg = load_wfdb(path)
        fs = ecg.sampling_rate_hz
        t0 = time.perf_counter()
        m = measure(ecg)
        t_ours += time.perf_counter() - t0
        if PER_RECORD:
            before = {k: len(rows["ours"][0][k]) for k in WAVES}
        evaluate(ref, ours_per_beat(m), fs, *rows["ours"])
        if PER_RECORD:
            print(rec, " ".join(f"{k}={np.mean(rows['ours'][0][k][before[k]:]) if len(rows['ours'][0][k]) > before[k] else float('nan'):.0f}"
                                for k in WAVES), flush=True)
        if NO_NK:
            continue
        lead = ecg.lead_names.index("II") if "II" in ecg.lead_names else 0
        t0 = time.perf_counter()
        nk = nk_delineate(ecg.signals_mv[lead], fs)
        t_nk += time.perf_counter() - t0
        evaluate(ref, nk, fs, *rows["nk2"])
    n_rec = len(recs)
    print(f"\n{dataset.upper()} ({n_rec} records{', q1c' if dataset == 'qtdb' else ', global marks: 2nd earliest onset / 2nd latest offset over 12 leads, T peak median'}) — error = program − cardiologist, ms")
    names = ("ours",) if NO_NK else ("ours", "nk2")
    print(f"| wave | method | beats | Se % | mean | SD | CSE SD limit | within |")
    print("|---|---|---|---|---|---|---|---|")
    for k in WAVES:
        for name in names:
            errs, found, total = rows[name]
            e = np.asarray(errs[k])
            se = 100.0 * found[k] / total[k] if total[k] else float("nan")
            mean = float(e.mean()) if e.size else float("nan")
            sd = float(e.std(ddof=1)) if e.size > 1 else float("nan")
            lim = CSE_SD_MS[k]
            ok = "—" if lim is None else ("yes" if abs(mean) <= 5 and sd <= lim else "no")
            print(f"| {k} | {'ours (12-lead/2-lead median)' if name == 'ours' else 'NeuroKit2 lead II'} | {total[k]} | "
                  f"{fmt(se)} | {fmt(mean)} | {fmt(sd)} | {fmt(lim) if lim else '—'} | {ok} |")
    print(f"time: ours {t_ours:.1f} s, NeuroKit2 {t_nk:.1f} s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--only", choices=("qtdb", "ludb"), default=None)
    ap.add_argument("--per-record", action="store_true", help="print our mean errors per record")
    ap.add_argument("--no-nk", action="store_true", help="skip NeuroKit2 (faster, for development)")
    args = ap.parse_args()
    global PER_RECORD, NO_NK
    PER_RECORD, NO_NK = args.per_record, args.no_nk
    for ds in ("qtdb", "ludb"):
        if args.only and ds != args.only:
            continue
        run(ds, args.limit)


if __name__ == "__main__":
    main()
