"""Beat classes against the MIT-BIH Arrhythmia reference beat labels.

Our classes (Measurements.beats[k].beat_class) are mapped to the AAMI EC57 groups:
dominant -> N, supraventricular_ectopic -> S, ventricular_ectopic -> V, unknown -> ?,
paced -> P. Reference labels: N L R e j -> N; A a J S -> S (supraventricular premature);
V E -> V; F (fusion), Q (unclassifiable), / f (paced) are reported separately and not
scored. The paced records (102, 104, 107, 217) are left out.
Rhythm context (EC57 convention for SVEB): beats inside atrial fibrillation / flutter
episodes ('(AFIB', '(AFL' rhythm annotations) are left out of the S statistics, and our
S calls there are counted on their own line (there should be none: an irregularly
irregular rhythm has no "premature" beat). Ventricular flutter ('[' .. ']') is left out.

A detection matches a reference beat within 150 ms. Sensitivity = matched reference beats
of the group that we put in the group / matched reference beats of the group; PPV = our
calls of the group that are reference beats of the group / our calls of the group on
matched N, S or V beats plus our calls on detections without a reference beat.
Two runs: whole 30-min records (one analysis per record) and 10-s two-lead crops taken
every --step seconds from 60 s (the length of a resting ECG, as the statements see it).

    nice -n 10 .venv/bin/python benchmarks/beat_classes_mitdb.py [--records 100 ...]
        [--step 150] [--no-full] [--no-crops] [-v]
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np
import wfdb

from analysis_common import DATA, load_wfdb, match

from ecgchat_desktop.analysis import measure

PACED = {"102", "104", "107", "217"}
REF_GROUP = {**{s: "N" for s in "NLRej"}, **{s: "S" for s in "AaJS"}, **{s: "V" for s in "VE"},
             "F": "F", "Q": "Q", "/": "P", "f": "P"}
OUR_GROUP = {"dominant": "N", "supraventricular_ectopic": "S", "ventricular_ectopic": "V",
             "unknown": "?", "paced": "P"}
GROUPS = ("N", "S", "V")


def rhythm_flags(ann, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per sample: inside atrial fibrillation/flutter; inside ventricular flutter."""
    af = np.zeros(n, bool)
    vf = np.zeros(n, bool)
    cur, start = None, 0
    for s, sym, aux in zip(ann.sample, ann.symbol, ann.aux_note):
        if sym == "+" and aux:
            if cur in ("(AFIB", "(AFL"):
                af[start:s] = True
            cur, start = aux.strip("\x00"), s
    if cur in ("(AFIB", "(AFL"):
        af[start:] = True
    vstart = None
    for s, sym in zip(ann.sample, ann.symbol):
        if sym == "[":
            vstart = s
        elif sym == "]" and vstart is not None:
            vf[vstart:s + 1] = True
            vstart = None
    if vstart is not None:
        vf[vstart:] = True
    return af, vf


def score_window(ecg, ann, af, vf, a: int, b: int, tallies: list[Counter], detail: list, tag: str) -> None:
    """Analyse samples a..b and add (reference group, our group, in AF) counts to the tallies."""
    tally = Counter()
    fs = ecg.sampling_rate_hz
    crop = ecg if (a == 0 and b >= ecg.signals_mv.shape[1]) else ecg.with_changes(
        signals_mv=ecg.signals_mv[:, a:b])
    try:
        m = measure(crop)
    except Exception as exc:  # noqa: BLE001 - a failed analysis is counted, not fatal
        for t in tallies:
            t[("fail", "", False)] += 1
        detail.append(f"{tag}: analysis failed ({type(exc).__name__})")
        return
    margin = int(0.15 * fs)
    sel = [(smp, sym) for smp, sym in zip(ann.sample, ann.symbol)
           if sym in REF_GROUP and a + margin <= smp < b - margin and not vf[smp]]
    ref = np.array([s - a for s, _ in sel], float)
    det = np.array([bt.r_peak for bt in (m.beats or [])], float)
    cls = [OUR_GROUP.get(bt.beat_class, "?") for bt in (m.beats or [])]
    idx = match(ref, det, 0.15 * fs) if ref.size and det.size else np.full(ref.size, -1)
    used = set()
    for i, (s, sym) in enumerate(sel):
        g = REF_GROUP[sym]
        j = int(idx[i]) if i < idx.size else -1
        if j < 0 or j in used:
            tally[(g, "missed", bool(af[s]))] += 1
            continue
        used.add(j)
        tally[(g, cls[j], bool(af[s]))] += 1
        if (g == "S") != (cls[j] == "S") and g in GROUPS and not af[s]:
            detail.append(f"{tag} beat@{(s - a) / fs:6.2f}s ref {sym} ours {cls[j]}")
    for j, d in enumerate(det):
        if j in used or d < margin or d >= (b - a) - margin or vf[min(a + int(d), vf.size - 1)]:
            continue
        tally[("none", cls[j], bool(af[min(a + int(d), af.size - 1)]))] += 1
    for t in tallies:
        t.update(tally)


def se_ppv(tally: Counter, g: str) -> tuple[int, float, float]:
    """(reference beats, sensitivity, PPV) of group g; S leaves out AF/flutter beats (EC57)."""
    keep = (lambda in_af: not in_af) if g == "S" else (lambda in_af: True)
    tp = sum(v for (r, c, f), v in tally.items() if r == g and c == g and keep(f))
    pos = sum(v for (r, c, f), v in tally.items() if r == g and c != "missed" and keep(f))
    calls = sum(v for (r, c, f), v in tally.items()
                if c == g and (r in GROUPS or r == "none") and keep(f))
    return pos, (tp / pos if pos else float("nan")), (tp / calls if calls else float("nan"))


def table(tally: Counter, title: str, no232: Counter | None = None) -> None:
    print(f"\n{title}")
    cols = ("N", "S", "V", "?", "P", "missed")
    print(f"| reference | {' | '.join(cols)} |")
    print("|---|" + "---|" * len(cols))
    for g in ("N", "S", "V", "F", "Q", "none"):
        for in_af in (False, True):
            row = [tally.get((g, c, in_af), 0) for c in cols]
            if sum(row) == 0:
                continue
            label = g + (" (AF/AFL)" if in_af else "")
            print(f"| {label} | " + " | ".join(str(v) for v in row) + " |")
    print("\n| class | reference beats | Se | PPV |")
    print("|---|---|---|---|")
    for g in GROUPS:
        pos, se, ppv = se_ppv(tally, g)
        print(f"| {g} | {pos} | {se:.3f} | {ppv:.3f} |")
    if no232 is not None:
        # Record 232 labels its whole (slow, not premature) ectopic atrial rhythm A beat by beat.
        pos, se, ppv = se_ppv(no232, "S")
        print(f"| S without record 232 | {pos} | {se:.3f} | {ppv:.3f} |")
    s_in_af = sum(v for (r, c, f), v in tally.items() if c == "S" and f)
    af_beats = sum(v for (r, c, f), v in tally.items() if f and c != "missed")
    print(f"\nS calls inside AF/AFL episodes: {s_in_af} of {af_beats} detected beats there")
    if tally.get(("fail", "", False)):
        print(f"analyses failed: {tally[('fail', '', False)]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", nargs="*")
    ap.add_argument("--step", type=float, default=150.0)
    ap.add_argument("--no-full", action="store_true")
    ap.add_argument("--no-crops", action="store_true")
    ap.add_argument("-v", action="store_true", help="list the S errors")
    args = ap.parse_args()
    root = DATA / "mitdb"
    recs = args.records or sorted(p.stem for p in root.glob("*.hea") if p.stem not in PACED)
    full, crops, full_no232, crops_no232 = Counter(), Counter(), Counter(), Counter()
    det_full, det_crops = [], []
    n_crops = 0
    for rec in recs:
        ecg = load_wfdb(root / rec)
        ann = wfdb.rdann(str(root / rec), "atr")
        n = ecg.signals_mv.shape[1]
        fs = ecg.sampling_rate_hz
        af, vf = rhythm_flags(ann, n)
        if not args.no_full:
            score_window(ecg, ann, af, vf, 0, n, [full] + ([full_no232] if rec != "232" else []),
                         det_full, rec)
        if not args.no_crops:
            for t0 in np.arange(60.0, n / fs - 20, args.step):
                a, b = int(t0 * fs), int((t0 + 10) * fs)
                score_window(ecg, ann, af, vf, a, b, [crops] + ([crops_no232] if rec != "232" else []),
                             det_crops, f"{rec}@{t0:.0f}")
                n_crops += 1
    print(f"MIT-BIH beat classes, {len(recs)} records (paced ones left out)")
    if not args.no_full:
        table(full, "Whole records (30 min, one analysis each)", full_no232)
    if not args.no_crops:
        table(crops, f"10-s crops ({n_crops}, every {args.step:.0f} s from 60 s)", crops_no232)
    if args.v:
        for line in det_full + det_crops:
            print(line)


if __name__ == "__main__":
    main()
