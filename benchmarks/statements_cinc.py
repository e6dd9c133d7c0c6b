"""Interpretation statements against the PhysioNet/CinC Challenge 2020/21 subset
(shared data cinc/, 100 Hz WFDB, SNOMED diagnoses with abbreviations in labels.csv):
an extra check for AF, bundle branch blocks, first-degree AV block and ectopic beats.
Never used to tune thresholds.

    nice -n 10 .venv/bin/python benchmarks/statements_cinc.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from statements_common import cache_dir_from_env, cinc_records, measure_record, print_table, score  # noqa: E402

from ecgchat_desktop.interpret import interpret  # noqa: E402

MIN_POSITIVES = 3
# (row, category, our codes, Challenge abbreviations counted as that finding)
ROWS = [
    ("sinus, any rate", "rhythm", {"SR", "SBRAD", "STACH", "SARRH"}, {"NSR", "SB", "STach", "SA"}),
    ("AFIB", "rhythm", {"AFIB"}, {"AF"}),
    ("AFLT", "rhythm", {"AFLT"}, {"AFL"}),
    ("SBRAD (cinc: < 60 bpm; ours < 50)", "rhythm", {"SBRAD"}, {"SB"}),
    ("STACH", "rhythm", {"STACH"}, {"STach"}),
    ("SARRH", "rhythm", {"SARRH"}, {"SA"}),
    ("PAC", "rhythm", {"PAC"}, {"PAC", "SVPB"}),
    ("PVC", "rhythm", {"PVC"}, {"PVC", "VEB", "VPB"}),
    ("CRBBB", "conduction", {"CRBBB"}, {"RBBB", "CRBBB"}),
    ("IRBBB", "conduction", {"IRBBB"}, {"IRBBB"}),
    ("CLBBB", "conduction", {"CLBBB"}, {"LBBB"}),
    ("1AVB", "conduction", {"1AVB"}, {"IAVB"}),
    ("LAFB", "conduction", {"LAFB"}, {"LAnFB"}),
    ("IVCD", "conduction", {"IVCD"}, {"NSIVCB"}),
    ("LAD", "axis", {"LAD"}, {"LAD"}),
    ("RAD", "axis", {"RAD"}, {"RAD"}),
    ("LVH", "chamber", {"LVH"}, {"LVH", "LVHV"}),
    ("LVOLT", "other", {"LVOLT"}, {"LQRSV"}),
    ("LQTC", "repolarisation", {"LQTC", "QTC_CRIT"}, {"LQT"}),
    ("STD", "repolarisation", {"STD"}, {"STD"}),
    ("TINV", "repolarisation", {"TINV"}, {"TInv"}),
]


def main() -> int:
    cache = cache_dir_from_env()
    records = cinc_records()
    t0 = time.perf_counter()
    predicted, failures = {}, 0
    for rec in records:
        m = measure_record(rec, cache)
        if m is None:
            failures += 1
        predicted[rec.record_id] = set() if m is None else {s.code for s in interpret(m, rec.patient)}
    rows = []
    for name, cat, ours, theirs in ROWS:
        pairs = [(bool(predicted[r.record_id] & ours), bool(r.labels & theirs)) for r in records]
        s = score(pairs)
        if s["n_pos"] >= MIN_POSITIVES:
            rows.append((name, cat, s))
    print(f"CinC subset: {len(records)} records (100 Hz); {failures} could not be measured; "
          f"{time.perf_counter() - t0:.0f} s")
    print_table(f"CinC 2020/21 subset, statements with ≥ {MIN_POSITIVES} positives "
                "(a tuning set, with PTB-XL folds 1–8 and LUDB)", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
