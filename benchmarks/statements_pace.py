"""PACE (electronic pacemaker rhythm) precision/recall on the tuning sets and MIT-BIH.

Sets: PTB-XL folds 1–8 (SCP code PACE), the CinC subset (label 'PR', 100 Hz: spikes cannot be
seen), LUDB (an electronic-pacing label: '... pacing', 'pacemaker presence', 'p-synchrony') and
all MIT-BIH Arrhythmia records (102, 104, 107, 217 paced; 360 Hz, band-limited 0.1–100 Hz).
LUDB 127 and 140 carry 'wandering atrial pacemaker', a shifting natural atrial focus, not a
device: they are scored as non-paced here (statements_ludb.py still counts them as paced).
Folds 9–10 are scored only by statements_ptbxl.py. Lists the false positives and negatives by
record.

    nice -n 10 .venv/bin/python benchmarks/statements_pace.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from statements_common import cinc_records, ludb_records, ptbxl_records  # noqa: E402

from ecgchat_desktop.analysis import measure  # noqa: E402
from ecgchat_desktop.interpret import interpret  # noqa: E402
from ecgchat_desktop.io import read_ecg  # noqa: E402
from ecgchat_desktop.settings import shared_data_dir  # noqa: E402

MITDB_PACED = {"102", "104", "107", "217"}


def _electronic_pacing(label: str) -> bool:
    """An LUDB label naming a pacemaker device or its mode; "wandering atrial pacemaker" is the
    heart's own shifting atrial focus, not electronic pacing."""
    return "wandering" not in label and ("pacing" in label or "pacemaker" in label or "p-synchrony" in label)


def sets() -> dict[str, list[tuple[Path, bool, str]]]:
    mitdb = shared_data_dir() / "mitdb"
    return {
        "PTB-XL folds 1–8": [(r.path, "PACE" in r.labels, r.record_id) for r in ptbxl_records() if r.fold <= 8],
        "CinC ('PR')": [(r.path, "PR" in r.labels, r.record_id) for r in cinc_records()],
        "LUDB": [(r.path, any(_electronic_pacing(x) for x in r.labels), r.record_id) for r in ludb_records()],
        "MIT-BIH (all 48)": [(mitdb / f"{n}.hea", n in MITDB_PACED, n)
                             for n in sorted({p.stem for p in mitdb.glob("*.hea")})],
    }


def main() -> int:
    print("| set | records | paced | TP | FP | FN | precision | recall |")
    print("|---|---|---|---|---|---|---|---|")
    notes = []
    for name, recs in sets().items():
        tp = fp = fn = 0
        fps, fns = [], []
        for path, paced, rid in recs:
            try:
                ecg = read_ecg(path)
                pred = "PACE" in {s.code for s in interpret(measure(ecg), ecg.patient)}
            except Exception as exc:  # a benchmark reports failures, it does not stop at one
                print(f"  ! {rid}: {type(exc).__name__}: {exc}", file=sys.stderr)
                pred = False
            tp += pred and paced
            fp += pred and not paced
            fn += paced and not pred
            (fps if pred and not paced else fns if paced and not pred else []).append(rid)
        p = f"{tp / (tp + fp):.2f}" if tp + fp else "—"
        r = f"{tp / (tp + fn):.2f}" if tp + fn else "—"
        print(f"| {name} | {len(recs)} | {tp + fn} | {tp} | {fp} | {fn} | {p} | {r} |", flush=True)
        notes.append(f"{name}: false PACE {fps or 'none'}; missed {fns or 'none'}")
    print()
    for n in notes:
        print(n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
