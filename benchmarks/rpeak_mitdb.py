"""R-peak detection on all 48 MIT-BIH Arrhythmia records (both leads, 360 Hz, 30 min).

Reference: the beat annotations (N L R B A a J S V r F e j n E / f Q ?), match window
150 ms (ANSI/AAMI EC57). Exclusion (EC57): the ventricular flutter/fibrillation episodes
between '[' and ']' marks (record 207) — neither reference beats nor our detections
inside them are counted. All 48 records are scored, paced ones (102, 104, 107, 217)
included; the table also gives the total without them.
NeuroKit2 (ecg_peaks on the first lead, MLII) is scored in the same run.

    nice -n 10 .venv/bin/python benchmarks/rpeak_mitdb.py [--records 100 101 ...] [--no-nk]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import wfdb

from analysis_common import DATA, load_wfdb, match

from ecgchat_desktop.analysis import measure

BEAT_SYMBOLS = set("NLRBAaJSVrFejnE/fQ?")
PACED = {"102", "104", "107", "217"}


def excluded_spans(ann) -> list[tuple[int, int]]:
    spans, start = [], None
    for s, sym in zip(ann.sample, ann.symbol):
        if sym == "[":
            start = s
        elif sym == "]" and start is not None:
            spans.append((start, s))
            start = None
    if start is not None:
        spans.append((start, 10**12))
    return spans


def inside(x: np.ndarray, spans) -> np.ndarray:
    out = np.zeros(x.size, bool)
    for a, b in spans:
        out |= (x >= a) & (x <= b)
    return out


def score(ref: np.ndarray, det: np.ndarray, fs: float) -> tuple[int, int, int]:
    idx = match(ref.astype(float), det.astype(float), 0.15 * fs)
    # One detection may serve one reference beat only.
    used = idx[idx >= 0]
    tp = len(np.unique(used))
    fn = ref.size - tp
    fp = det.size - tp
    return tp, fn, fp


def nk_peaks(x: np.ndarray, fs: float) -> np.ndarray:
    import neurokit2 as nk

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            _, info = nk.ecg_peaks(nk.ecg_clean(x, sampling_rate=int(fs)), sampling_rate=int(fs))
            return np.asarray(info["ECG_R_Peaks"], dtype=np.int64)
        except Exception:
            return np.zeros(0, dtype=np.int64)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", nargs="*")
    ap.add_argument("--no-nk", action="store_true")
    args = ap.parse_args()
    recs = args.records or [r.strip() for r in open(DATA / "mitdb" / "RECORDS") if r.strip()]
    totals = {"ours": np.zeros(3, int), "nk2": np.zeros(3, int)}
    totals_np = {"ours": np.zeros(3, int), "nk2": np.zeros(3, int)}
    t_ours = t_nk = 0.0
    minutes = 0.0
    per_record: list[tuple[str, int, int, int]] = []  # (record, beats, FN, FP) of ours
    print("| record | beats | ours TP | ours FN | ours FP | ours Se % | ours +P % | NK2 FN | NK2 FP |")
    print("|---|---|---|---|---|---|---|---|---|")
    for rec in recs:
        path = DATA / "mitdb" / rec
        ann = wfdb.rdann(str(path), "atr")
        ecg = load_wfdb(path)
        fs = ecg.sampling_rate_hz
        minutes += ecg.duration_s / 60.0
        spans = excluded_spans(ann)
        ref = np.array([s for s, sym in zip(ann.sample, ann.symbol) if sym in BEAT_SYMBOLS])
        ref = ref[~inside(ref, spans)]
        t0 = time.perf_counter()
        m = measure(ecg)
        t_ours += time.perf_counter() - t0
        det = np.asarray(m.r_peaks, dtype=np.int64)
        det = det[~inside(det, spans)]
        res = {"ours": score(ref, det, fs)}
        if not args.no_nk:
            t0 = time.perf_counter()
            nkd = nk_peaks(ecg.signals_mv[0].astype(float), fs)
            t_nk += time.perf_counter() - t0
            res["nk2"] = score(ref, nkd[~inside(nkd, spans)], fs)
        for k, v in res.items():
            totals[k] += v
            if rec not in PACED:
                totals_np[k] += v
        tp, fn, fp = res["ours"]
        per_record.append((rec, int(ref.size), int(fn), int(fp)))
        nk = res.get("nk2", ("—",) * 3)
        print(f"| {rec} | {ref.size} | {tp} | {fn} | {fp} | {100 * tp / max(1, tp + fn):.2f} | "
              f"{100 * tp / max(1, tp + fp):.2f} | {nk[1]} | {nk[2]} |", flush=True)

    def line(label, t):
        tp, fn, fp = t
        return f"| {label} | {tp + fn} | {fn} | {fp} | {100 * tp / max(1, tp + fn):.2f} | {100 * tp / max(1, tp + fp):.2f} |"

    print("\n| method, records | beats | FN | FP | Se % | +P % |")
    print("|---|---|---|---|---|---|")
    print(line(f"ours, all {len(recs)}", totals["ours"]))
    print(line("ours, without paced", totals_np["ours"]))
    if not args.no_nk:
        print(line(f"NeuroKit2 (lead MLII), all {len(recs)}", totals["nk2"]))
        print(line("NeuroKit2, without paced", totals_np["nk2"]))
    worst = sorted(per_record, key=lambda r: -(r[2] + r[3]))[:10]
    print("\nworst records (ours, by FN + FP):\n")
    print("| record | beats | FN | FP | Se % | +P % |")
    print("|---|---|---|---|---|---|")
    for rec, beats, fn, fp in worst:
        tp = beats - fn
        print(f"| {rec} | {beats} | {fn} | {fp} | {100 * tp / max(1, beats):.2f} | {100 * tp / max(1, tp + fp):.2f} |")
    print(f"\nexcluded: VF/flutter episodes between '[' and ']' (record 207). "
          f"Full measure() time: {t_ours:.1f} s for {minutes:.0f} min of 2-lead signal "
          f"({t_ours / max(minutes, 1e-9):.3f} s per minute); NeuroKit2 ecg_peaks {t_nk:.1f} s.")


if __name__ == "__main__":
    main()
