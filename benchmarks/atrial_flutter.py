"""Flutter-wave detector (analysis/flutter.py): organisation index by rhythm label.

Tuning groups: CinC records labelled AFL / AF / NSR, LUDB 1-140 (flutter, fibrillation,
sinus by diagnosis), PTB-XL folds 1-8 (AFLT, AFIB, NORM). Held out: PTB-XL folds 9-10,
printed separately and never used to choose the threshold.

    nice -n 10 .venv/bin/python benchmarks/atrial_flutter.py
"""

from __future__ import annotations

import ast
import csv
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's package, as the other scripts

from ecgchat_desktop.analysis import measure  # noqa: E402
from ecgchat_desktop.io import read_ecg  # noqa: E402
from ecgchat_desktop.settings import shared_data_dir  # noqa: E402


def groups(data: Path):
    out = {"tune": [], "test": []}
    for r in csv.DictReader(open(data / "cinc" / "labels.csv")):
        ab = set(r["dx_abbrev"].split(";"))
        label = "flutter" if "AFL" in ab else "af" if "AF" in ab else "sinus" if "NSR" in ab else None
        if label:
            out["tune"].append((label, data / "cinc" / r["source"] / f"{r['record']}.hea", f"cinc/{r['record']}"))
    for i in range(1, 141):
        hea = data / "ludb" / "data" / f"{i}.hea"
        text = hea.read_text(errors="replace").lower()
        rhythm = [ln for ln in text.splitlines() if "rhythm" in ln]
        rl = " ".join(rhythm)
        label = ("flutter" if "flutter" in rl else "af" if "fibrillation" in rl
                 else "sinus" if "sinus" in rl else None)
        if label:
            out["tune"].append((label, hea, f"ludb/{i}"))
    for r in csv.DictReader(open(data / "ptb-xl" / "ptbxl_database.csv")):
        hea = data / "ptb-xl" / f"{r['filename_hr']}.hea"
        if not hea.exists():
            continue
        codes = ast.literal_eval(r["scp_codes"])
        label = ("flutter" if "AFLT" in codes else "af" if "AFIB" in codes
                 else "sinus" if codes.get("NORM", 0) >= 80 else None)
        if label:
            split = "test" if int(r["strat_fold"]) >= 9 else "tune"
            out[split].append((label, hea, f"ptbxl/{r['ecg_id']}"))
    return out


def main() -> int:
    data = shared_data_dir()
    if not data.is_dir():
        print(f"shared data not found at {data} (set ECGCHAT_DATA)")
        return 0
    from ecgchat_desktop.interpret import interpret, rules_rhythm
    thr = getattr(rules_rhythm, "FLUTTER_ORGANISATION_AT_LEAST", 0.35)
    for split, items in groups(data).items():
        vals: dict[str, list[float]] = {}
        counts: dict[str, list[int]] = {}   # label -> [records, no spectrum, AFLT stated, AFLT with a PR]
        for label, hea, name in items:
            m = measure(read_ecg(hea))
            c = counts.setdefault(label, [0, 0, 0, 0])
            c[0] += 1
            if m.atrial_organisation is not None:
                vals.setdefault(label, []).append(m.atrial_organisation)
            else:
                c[1] += 1
            stated = "AFLT" in {s.code for s in interpret(m)}
            c[2] += stated
            # A flutter statement beside a measured PR contradicts itself (a flutter wave read as P).
            c[3] += stated and m.pr_ms is not None
        print(f"\n{split} ({'PTB-XL folds 9-10, held out' if split == 'test' else 'CinC, LUDB, PTB-XL folds 1-8'})")
        print("| label | records | no spectrum | organisation p10 | median | p90 | ≥ threshold %.2f | AFLT stated |"
              " AFLT with a PR |" % thr)
        print("|---|---|---|---|---|---|---|---|---|")
        for label in ("flutter", "af", "sinus"):
            v = np.asarray(vals.get(label, []))
            n, none, stated, with_pr = counts.get(label, [0, 0, 0, 0])
            if n:
                p = np.percentile(v, [10, 50, 90]) if v.size else [float("nan")] * 3
                share = f"{np.mean(v >= thr):.0%}" if v.size else "—"
                print(f"| {label} | {n} | {none} | {p[0]:.2f} | {p[1]:.2f} | {p[2]:.2f} | {share} | "
                      f"{stated} ({stated / n:.0%}) | {with_pr} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
