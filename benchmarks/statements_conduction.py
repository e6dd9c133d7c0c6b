"""Conduction statements (AV block, bundle branch blocks, IVCD, fascicular blocks, WPW) against
the labels of PTB-XL folds 1–8 (tuning split), the CinC subset and LUDB, and PTB-XL folds 9–10
(held out: scored, never listed record by record, never tuned on).

    nice -n 10 .venv/bin/python benchmarks/statements_conduction.py            # tables
    nice -n 10 .venv/bin/python benchmarks/statements_conduction.py --errors   # + each FP/FN of the
                                                                               #   tuning sets
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from statements_common import (  # noqa: E402
    cache_dir_from_env,
    cinc_records,
    ludb_records,
    measure_record,
    print_table,
    ptbxl_records,
    score,
)

from ecgchat_desktop.interpret import interpret  # noqa: E402

# (our code, PTB-XL SCP codes, CinC abbreviations, LUDB labels)
ROWS = [
    ("1AVB", {"1AVB", "LPR"}, {"IAVB"}, {"i degree av block"}),
    ("2AVB", {"2AVB"}, {"IIAVB", "MoI", "MoII"}, {"ii degree av block"}),
    ("3AVB", {"3AVB"}, {"CHB"}, {"iii degree av-block"}),
    ("CRBBB", {"CRBBB"}, {"RBBB", "CRBBB"}, {"complete right bundle branch block"}),
    ("IRBBB", {"IRBBB"}, {"IRBBB"}, {"incomplete right bundle branch block"}),
    ("CLBBB", {"CLBBB"}, {"LBBB", "CLBBB"}, {"complete left bundle branch block"}),
    ("ILBBB", {"ILBBB"}, {"ILBBB"}, {"incomplete left bundle branch block"}),
    ("IVCD", {"IVCD"}, {"NSIVCB"}, {"non-specific intravintricular conduction delay"}),
    ("LAFB", {"LAFB"}, {"LAnFB"}, {"left anterior hemiblock"}),
    ("LPFB", {"LPFB"}, {"LPFB"}, {"left posterior hemiblock"}),
    ("WPW", {"WPW"}, {"WPW"}, {"wpw"}),
]
COLUMN = {"ptbxl": 1, "cinc": 2, "ludb": 3}
# LUDB's copy scales every lead to 1 mV peak-to-peak: the axis (LAFB/LPFB) cannot be judged there.
LUDB_AXIS_ROWS = {"LAFB", "LPFB"}


def _brief(m) -> str:
    """Measured values a reader needs to see why a conduction rule fired or not."""
    def ld(name):
        a = (m.lead_amplitudes or {}).get(name)
        if a is None:
            return f"{name} —"
        parts = [f"R{(a.r_mv or 0):.2f}/{(a.r_ms or 0):.0f}", f"S{(a.s_mv or 0):.2f}/{(a.s_ms or 0):.0f}"]
        if a.q_mv:
            parts.insert(0, f"Q{a.q_mv:.2f}")
        if a.r_prime_mv:
            parts.append(f"R′{a.r_prime_mv:.2f}")
        if a.r_peak_time_ms is not None:
            parts.append(f"Rpt{a.r_peak_time_ms:.0f}")
        if a.notched_r:
            parts.append("notch")
        return f"{name} " + " ".join(parts)
    f = lambda v: "—" if v is None else f"{v:.0f}"  # noqa: E731
    return (f"QRS {f(m.qrs_ms)} PR {f(m.pr_ms)} ax {f(m.qrs_axis_deg)} HR {f(m.hr_bpm)} | "
            + " | ".join(ld(x) for x in ("V1", "I", "V6", "aVL")))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--errors", action="store_true", help="list false positives/negatives of the tuning sets")
    args = ap.parse_args()
    cache = cache_dir_from_env()
    t0 = time.perf_counter()
    sets = [("PTB-XL folds 1–8 (tuning split)", "ptbxl", [r for r in ptbxl_records() if r.fold <= 8], True),
            ("CinC 2020/21 subset (100 Hz)", "cinc", cinc_records(), True),
            ("LUDB 1–140", "ludb", ludb_records(), True),
            ("PTB-XL folds 9–10 (held out, never tuned on)", "ptbxl",
             [r for r in ptbxl_records() if r.fold >= 9], False)]
    for title, kind, records, may_list in sets:
        measured = {r.record_id: measure_record(r, cache) for r in records}
        predicted = {rid: (set() if m is None else {s.code for s in interpret(m, r.patient)})
                     for r, (rid, m) in zip(records, measured.items())}
        rows, errors = [], []
        for row in ROWS:
            code, truth = row[0], row[COLUMN[kind]]
            if kind == "ludb" and code in LUDB_AXIS_ROWS:
                continue
            pairs = []
            for r in records:
                p, t = code in predicted[r.record_id], bool(r.labels & truth)
                pairs.append((p, t))
                if may_list and p != t and measured[r.record_id] is not None:
                    errors.append((code, "FP" if p else "FN", r.record_id, sorted(r.labels)[:6],
                                   sorted(predicted[r.record_id] & {x[0] for x in ROWS}),
                                   _brief(measured[r.record_id])))
            s = score(pairs)
            if s["n_pos"] or s["fp"]:
                rows.append((code, "conduction", s))
        print_table(f"{title}: {len(records)} records", rows)
        if args.errors and errors:
            print(f"\nerrors, {title}:")
            for code, kind_, rid, labels, ours, brief in errors:
                print(f"  {code:<5} {kind_} {rid:<22} labels {labels} ours {ours}\n        {brief}")
    print(f"\n{time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
