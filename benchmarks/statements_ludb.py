"""Interpretation statements against the LUDB diagnoses (records 1–140, ludb.csv):
rhythm, axis, conduction, hypertrophy, pacing, extrasystoles and STEMI, per-statement
precision/recall/F1 and macro-F1 per category. LUDB is never used to tune thresholds.

    nice -n 10 .venv/bin/python benchmarks/statements_ludb.py
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from statements_common import cache_dir_from_env, ludb_records, measure_record, print_table, score  # noqa: E402

from ecgchat_desktop.interpret import interpret  # noqa: E402

MIN_POSITIVES = 3
SINUS = {"sinus rhythm", "sinus bradycardia", "sinus tachycardia", "sinus arrhythmia", "irregular sinus rhythm"}
AXIS = "electric axis of the heart: "


def _has(*labels):
    return lambda lab: bool(lab & set(labels))


def _prefix(p):
    return lambda lab: any(x.startswith(p) for x in lab)


# Rows whose criteria use absolute amplitudes or the ratio of amplitudes between leads (axis).
# The LUDB copy in the shared data stores every lead scaled to exactly 1 mV peak-to-peak
# (checked below), so these rows cannot be judged on it.
AMPLITUDE_ROWS = {"LAD", "RAD", "LAFB", "LVH", "RVH", "RAE", "STEMI, any territory"}

# (row name, category, our codes, predicate over the record's lower-cased LUDB labels)
ROWS = [
    ("sinus, any rate", "rhythm", {"SR", "SBRAD", "STACH", "SARRH"}, _has(*SINUS)),
    ("AFIB", "rhythm", {"AFIB"}, _has("atrial fibrillation")),
    ("AFLT", "rhythm", {"AFLT"}, _prefix("atrial flutter")),
    ("SBRAD", "rhythm", {"SBRAD"}, _has("sinus bradycardia")),
    ("STACH", "rhythm", {"STACH"}, _has("sinus tachycardia")),
    ("SARRH", "rhythm", {"SARRH"}, _has("sinus arrhythmia", "irregular sinus rhythm")),
    # "wandering atrial pacemaker" is a shifting natural atrial focus, not a device
    # (scored the same way in statements_pace.py).
    ("PACE", "rhythm", {"PACE"}, lambda lab: any("wandering" not in x and
                                                 ("pacing" in x or "pacemaker" in x or "p-synchrony" in x)
                                                 for x in lab)),
    ("PVC", "rhythm", {"PVC"}, _prefix("ventricular extrasystole")),
    ("PAC", "rhythm", {"PAC"}, _prefix("atrial extrasystole")),
    ("LAD", "axis", {"LAD"}, _has(AXIS + "left axis deviation")),
    ("RAD", "axis", {"RAD"}, _has(AXIS + "right axis deviation")),
    ("CRBBB", "conduction", {"CRBBB"}, _has("complete right bundle branch block")),
    ("IRBBB", "conduction", {"IRBBB"}, _has("incomplete right bundle branch block")),
    ("CLBBB", "conduction", {"CLBBB"}, _has("complete left bundle branch block")),
    ("ILBBB", "conduction", {"ILBBB"}, _has("incomplete left bundle branch block")),
    ("LAFB", "conduction", {"LAFB"}, _has("left anterior hemiblock")),
    ("1AVB", "conduction", {"1AVB"}, _has("i degree av block")),
    ("3AVB", "conduction", {"3AVB"}, _has("iii degree av-block")),
    ("IVCD", "conduction", {"IVCD"}, _has("non-specific intravintricular conduction delay")),
    ("LVH", "chamber", {"LVH"}, _has("left ventricular hypertrophy")),
    ("RVH", "chamber", {"RVH"}, _has("right ventricular hypertrophy")),
    ("LAE", "chamber", {"LAE"}, _has("left atrial hypertrophy", "left atrial overload")),
    ("RAE", "chamber", {"RAE"}, _has("right atrial hypertrophy", "right atrial overload")),
    ("STEMI, any territory", "ischemia_infarction", {"STEMI_INF", "STEMI_ANT", "STEMI_LAT", "STEMI_SGARBOSSA"},
     _prefix("stemi")),
]


def amplitudes_normalised(records, n_check: int = 5) -> bool:
    """True when the first records have every lead at exactly the same peak-to-peak range."""
    import numpy as np

    from ecgchat_desktop.io import read_ecg
    ranges = []
    for rec in records[:n_check]:
        ecg = read_ecg(rec.path)
        ranges.extend(np.ptp(ecg.signals_mv, axis=1).round(3).tolist())
    return len(set(ranges)) == 1


def main() -> int:
    cache = cache_dir_from_env()
    records = ludb_records()
    t0 = time.perf_counter()
    predicted, failures = {}, 0
    for rec in records:
        m = measure_record(rec, cache)
        if m is None:
            failures += 1
        predicted[rec.record_id] = set() if m is None else {s.code for s in interpret(m, rec.patient)}
    normalised = amplitudes_normalised(records)
    rows, not_comparable = [], []
    for name, cat, ours, truth in ROWS:
        pairs = [(bool(predicted[r.record_id] & ours), truth(r.labels)) for r in records]
        (not_comparable if normalised and name in AMPLITUDE_ROWS else rows).append((name, cat, score(pairs)))
    print(f"LUDB: {len(records)} records; {failures} could not be measured; {time.perf_counter() - t0:.0f} s")
    print_table("LUDB records 1–140 (a tuning set, with PTB-XL folds 1–8 and CinC)", rows)
    if not_comparable:
        print_table("NOT COMPARABLE on this copy (every lead stored at 1.00 mV peak-to-peak: amplitudes "
                    "and the axis are not the patient's)", not_comparable)
    per = defaultdict(list)
    for name, cat, s in rows:
        if s["n_pos"] >= MIN_POSITIVES and s["f1"] is not None and not name.startswith("sinus, any"):
            per[cat].append(s["f1"])
    print(f"\nmacro-F1 per category (statements with ≥ {MIN_POSITIVES} positives):")
    for cat, v in sorted(per.items()):
        print(f"  {cat:<20} {sum(v) / len(v):5.2f}  ({len(v)} statements)")
    print("\nNote: LUDB's 'left axis deviation' (58 of 140 records, with separate 'horizontal' and 'vertical' "
          "classes) most likely follows the Russian convention (axis < 0°); ours is the AHA one (axis < −30°).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
