"""Interpretation statements against PTB-XL labels (records with a 500 Hz waveform and a label row).

For every statement of resources/statements.json that maps to SCP codes: precision, recall and F1
(true = the record carries any of the mapped SCP codes), shown separately for folds 1–8 (where
thresholds were tuned) and folds 9–10 (the test split, never tuned on), with macro-F1 per category
over statements with at least MIN_POSITIVES positives. Extra rows: "sinus (any)" (SR/SBRAD/STACH/SARRH)
and the QRS axis against PTB-XL's heart_axis column (where it is filled).

    nice -n 10 .venv/bin/python benchmarks/statements_ptbxl.py
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from statements_common import cache_dir_from_env, measure_record, print_table, ptbxl_records, score  # noqa: E402

from ecgchat_desktop.interpret import interpret  # noqa: E402
from ecgchat_desktop.interpret.vocabulary import load_vocabulary  # noqa: E402

MIN_POSITIVES = 3
SINUS_CODES = {"SR", "SBRAD", "STACH", "SARRH"}
# our code → PTB-XL heart_axis values counted as that finding. PTB-XL's "ALAD" (abnormal LAD)
# is the AHA left axis deviation (< −30°); its plain "LAD" mostly covers 0° to −30° (median of
# our measured axis −29° on folds 1–8), so LAD is scored both ways.
AXIS_ROWS = [
    ("LAD", {"ALAD"}),
    ("LAD", {"LAD", "ALAD"}),
    ("RAD", {"RAD", "ARAD"}),
]


def rows_for(records, predicted: dict[str, set[str]]) -> list[tuple[str, str, dict]]:
    vocab = load_vocabulary()
    rows = []
    for code, d in vocab.items():
        if not d.scp_codes:
            continue
        pairs = [(code in predicted[r.record_id], bool(r.labels & set(d.scp_codes))) for r in records]
        s = score(pairs)
        if s["n_pos"] >= 1:
            rows.append((f"{code} ({'/'.join(d.scp_codes)})", d.category, s))
    pairs = [(bool(predicted[r.record_id] & SINUS_CODES), bool(r.labels & SINUS_CODES)) for r in records]
    rows.append(("sinus, any rate (SR/SBRAD/STACH/SARRH)", "rhythm", score(pairs)))
    # PTB-XL codes an ST depression it judges ischemic as ISC_/ISCAL/ISCIN/… rather than STD_
    # ("non-specific ST depression"); our STD names the depression without judging its cause.
    pairs = [("STD" in predicted[r.record_id], "STD_" in r.labels or any(c.startswith("ISC") for c in r.labels))
             for r in records]
    rows.append(("STD (STD_ or ischemic ISC_/ISCxx)", "repolarisation", score(pairs)))
    # Likewise a T inversion is mostly filed under ISC_/ISCxx ("ischemic"), NDT ("non-diagnostic
    # T abnormalities") or NST_ ("non-specific ST changes"), INVT only now and then: on folds 1–8,
    # 7 of the 13 TINV records not coded INVT carry ISC*. Recall against this wider set is low by
    # design (NDT/NST_ are mostly flat or low T, which TINV does not claim); read it for precision.
    pairs = [("TINV" in predicted[r.record_id], "INVT" in r.labels or bool(r.labels & {"NDT", "NST_"})
              or any(c.startswith("ISC") for c in r.labels)) for r in records]
    rows.append(("TINV (INVT or ISC*/NDT/NST_)", "repolarisation", score(pairs)))
    with_axis = [r for r in records if r.extra.get("heart_axis")]
    for code, values in AXIS_ROWS:
        pairs = [(code in predicted[r.record_id], r.extra["heart_axis"] in values) for r in with_axis]
        rows.append((f"{code} (heart_axis {'/'.join(sorted(values))})", "axis", score(pairs)))
    # LAFB requires an axis of −45° to −90° (AHA 2009), so a record coded LAFB has AHA left axis
    # deviation whatever its heart_axis says (PTB-XL files several LAFB records under plain "LAD").
    pairs = [("LAD" in predicted[r.record_id], r.extra["heart_axis"] == "ALAD" or "LAFB" in r.labels)
             for r in with_axis]
    rows.append(("LAD (heart_axis ALAD, or LAFB coded)", "axis", score(pairs)))
    return rows


def macro_by_category(rows) -> dict[str, tuple[float, int]]:
    per = defaultdict(list)
    for name, cat, s in rows:
        if s["n_pos"] >= MIN_POSITIVES and s["f1"] is not None and not name.startswith(
                ("sinus, any", "STD (STD_ or", "TINV (INVT or", "LAD (heart_axis ALAD, or")):
            per[cat].append(s["f1"])
    return {c: (sum(v) / len(v), len(v)) for c, v in per.items()}


def run(records=None, cache=None) -> dict:
    records = records if records is not None else ptbxl_records()
    predicted: dict[str, set[str]] = {}
    failures = 0
    t0 = time.perf_counter()
    for rec in records:
        m = measure_record(rec, cache)
        if m is None:
            failures += 1
            predicted[rec.record_id] = set()
            continue
        predicted[rec.record_id] = {s.code for s in interpret(m, rec.patient)}
    return {"records": records, "predicted": predicted, "failures": failures,
            "seconds": time.perf_counter() - t0}


def main() -> int:
    res = run(cache=cache_dir_from_env())
    records, predicted = res["records"], res["predicted"]
    print(f"PTB-XL: {len(records)} records with waveform and labels; {res['failures']} could not be measured; "
          f"{res['seconds']:.0f} s")
    for title, split in (("folds 1–8 (tuning split)", lambda f: f <= 8),
                         ("folds 9–10 (test split, not tuned on)", lambda f: f >= 9)):
        sub = [r for r in records if split(r.fold)]
        rows = rows_for(sub, predicted)
        shown = [r for r in rows if r[2]["n_pos"] >= MIN_POSITIVES]
        print_table(f"PTB-XL {title}: {len(sub)} records; statements with ≥ {MIN_POSITIVES} positives", shown)
        print("\nmacro-F1 per category (statements with ≥ %d positives):" % MIN_POSITIVES)
        for cat, (f1, n) in sorted(macro_by_category(rows).items()):
            print(f"  {cat:<20} {f1:5.2f}  ({n} statements)")
        few = [f"{n} [{s['n_pos']}]" for n, c, s in rows if 0 < s["n_pos"] < MIN_POSITIVES]
        if few:
            print("  too few positives to score: " + ", ".join(few))
    return 0


if __name__ == "__main__":
    sys.exit(main())
