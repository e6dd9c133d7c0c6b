"""Threshold search for the interpretation rules on PTB-XL folds 1–8 ONLY (never 9–10).

For each tunable threshold (module constant in ecgchat_desktop/interpret/rules_*.py) it scores a
small grid of values against the statement's SCP labels and prints the current value, the best
value and their F1. It changes no file: a person decides, and records the reason beside the
constant. Re-run it whenever the measurement engine's biases change.

    nice -n 10 .venv/bin/python benchmarks/statements_tune.py
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from statements_common import cache_dir_from_env, measure_record, ptbxl_records, score  # noqa: E402

from ecgchat_desktop.interpret import interpret  # noqa: E402

# (statement code, SCP codes counted as true, module, constant, candidate values)
GRID = [
    ("SBRAD", {"SBRAD"}, "rules_rhythm", "SBRAD_BELOW_BPM", [50.0, 55.0, 60.0]),
    ("SARRH", {"SARRH"}, "rules_rhythm", "SARRH_RANGE_AT_LEAST_MS", [160.0, 200.0, 220.0, 250.0]),
    ("AFIB", {"AFIB"}, "rules_rhythm", "AF_IRREGULARITY_AT_LEAST", [0.06, 0.08, 0.1, 0.12]),
    ("PVC", {"PVC"}, "rules_rhythm", "ECTOPIC_RR_RATIO", [(0.4, 0.9), (0.4, 0.8), (0.4, 0.7)]),
    ("PAC", {"PAC"}, "rules_rhythm", "ECTOPIC_RR_RATIO", [(0.4, 0.9), (0.4, 0.8), (0.4, 0.7)]),
    ("1AVB", {"1AVB", "LPR"}, "rules_conduction", "FIRST_DEGREE_PR_ABOVE_MS", [200.0, 210.0, 220.0, 230.0]),
    ("CRBBB", {"CRBBB"}, "rules_conduction", "COMPLETE_BBB_QRS_AT_LEAST_MS", [120.0, 125.0, 130.0]),
    ("CLBBB", {"CLBBB"}, "rules_conduction", "COMPLETE_BBB_QRS_AT_LEAST_MS", [120.0, 125.0, 130.0]),
    ("IRBBB", {"IRBBB"}, "rules_conduction", "INCOMPLETE_RBBB_QRS_AT_LEAST_MS", [80.0, 90.0, 100.0, 110.0]),
    ("IRBBB", {"IRBBB"}, "morphology", "R_PRIME_AT_LEAST_MV", [0.1, 0.15, 0.2]),
    ("IVCD", {"IVCD"}, "rules_conduction", "IVCD_QRS_AT_LEAST_MS", [110.0, 115.0, 120.0]),
    ("LAFB", {"LAFB"}, "rules_conduction", "LAFB_AXIS_DEG", [(-90.0, -30.0), (-90.0, -35.0), (-90.0, -45.0)]),
    ("LVH", {"LVH", "VCLVH"}, "rules_chamber", "RAVL_AT_LEAST_MV", [1.1, 1.2, 1.3, 1.5]),
    ("LVH", {"LVH", "VCLVH"}, "rules_chamber", "SOKOLOW_MIN_AGE_YEARS", [0, 30, 35, 40]),
    ("NORM", {"NORM"}, "rules_chamber", "LAE_PTF_V1_AT_LEAST_MV_MS", [4.0, 5.0, 6.0, 8.0]),
    ("STD", {"STD_"}, "rules_repolarisation", "STD_FLAT_J60_AT_MOST_MV", [-0.05, -0.075, -0.1]),
    ("STD", {"STD_"}, "rules_repolarisation", "STD_WIDE_QRS_AT_LEAST_MS", [100.0, 110.0, 120.0, 999.0]),
    ("NORM", {"NORM"}, "rules_chamber", "LAE_NOTCH_PEAKS_AT_LEAST_MS", [30.0, 40.0, 50.0]),
    ("NORM", {"NORM"}, "rules_chamber", "RAE_P_V1V2_AT_LEAST_MV", [0.15, 0.2, 0.25]),
    ("NORM", {"NORM"}, "rules_other", "NORMAL_PR_MS", [(120.0, 200.0), (120.0, 220.0), (120.0, 240.0)]),
    ("NORM", {"NORM"}, "rules_ischemia", "STE_SUSTAINED_FRACTION", [0.0, 0.5, 0.75, 1.0]),
]


def f1_with(records, measured, code, truth, module, name, value) -> dict:
    mod = importlib.import_module(f"ecgchat_desktop.interpret.{module}")
    old = getattr(mod, name)
    setattr(mod, name, value)
    try:
        pairs = [(code in {s.code for s in interpret(measured[r.record_id], r.patient)}, bool(r.labels & truth))
                 for r in records if measured[r.record_id] is not None]
    finally:
        setattr(mod, name, old)
    return score(pairs)


def main() -> int:
    records = [r for r in ptbxl_records() if r.fold <= 8]   # folds 9–10 never enter here
    cache = cache_dir_from_env()
    measured = {r.record_id: measure_record(r, cache) for r in records}
    print(f"PTB-XL folds 1–8: {len(records)} records (tuning split only)\n")
    print(f"| {'statement':<6} | {'constant':<50} | {'current':>14} | F1 now | {'best':>14} | F1 best | pos |")
    print(f"|{'-' * 8}|{'-' * 52}|{'-' * 16}|--------|{'-' * 16}|---------|-----|")
    for code, truth, module, name, values in GRID:
        mod = importlib.import_module(f"ecgchat_desktop.interpret.{module}")
        current = getattr(mod, name)
        now = f1_with(records, measured, code, truth, module, name, current)
        results = [(f1_with(records, measured, code, truth, module, name, v), v) for v in values]
        best_s, best_v = max(results, key=lambda sv: (sv[0]["f1"] or 0.0, sv[1] == current))
        f = lambda s: "  —  " if s["f1"] is None else f"{s['f1']:.2f}"  # noqa: E731
        print(f"| {code:<6} | {module + '.' + name:<50} | {str(current):>14} | {f(now):>6} | {str(best_v):>14} | "
              f"{f(best_s):>7} | {now['n_pos']:>3} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
