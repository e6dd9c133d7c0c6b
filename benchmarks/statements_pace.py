"""PACE (electronic pacemaker rhythm) precision/recall on the tuning sets and MIT-BIH.

Sets: PTB-XL folds 1–8 (SCP code PACE), the CinC subset (label 'PR', 100 Hz: spikes cannot be
seen), LUDB (an electronic-pacing label: '... pacing', 'pacemaker presence', 'p-synchrony') and
all MIT-BIH Arrhythmia records (102, 104, 107, 217 paced; 360 Hz, band-limited 0.1–100 Hz),
whole (30 min) and as 10-s two-lead crops every 2 minutes (a window of a paced record counts as
paced: 217 also has stretches of its own rhythm, so its window recall is a lower bound).
LUDB 127 and 140 carry 'wandering atrial pacemaker', a shifting natural atrial focus, not a
device: they are scored as non-paced here (statements_ludb.py still counts them as paced).
Folds 9–10 are scored only by statements_ptbxl.py. Lists the false positives and negatives by
record.

    nice -n 10 .venv/bin/python benchmarks/statements_pace.py
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from statements_common import cinc_records, ludb_records, ptbxl_records  # noqa: E402

from ecgchat_desktop.analysis import measure  # noqa: E402
from ecgchat_desktop.interpret import interpret  # noqa: E402
from ecgchat_desktop.io import read_ecg  # noqa: E402
from ecgchat_desktop.settings import shared_data_dir  # noqa: E402

MITDB_PACED = {"102", "104", "107", "217"}
MITDB_WINDOW_EVERY_S = 120.0


@lru_cache(maxsize=2)
def _read(path: Path):
    return read_ecg(path)


def _load(what):
    """A record path, or (path, start s) for a 10-s crop of it."""
    if isinstance(what, tuple):
        ecg = _read(what[0])
        fs = ecg.sampling_rate_hz
        a = int(what[1] * fs)
        return ecg.with_changes(signals_mv=np.asarray(ecg.signals_mv)[:, a:a + int(10 * fs)])
    return read_ecg(what)


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
        # 10-s crops (what a resting-ECG program sees), one every MITDB_WINDOW_EVERY_S seconds:
        # the fraction-of-beats guards work on ~12 beats here, not ~2000.
        f"MIT-BIH 10-s windows (every {MITDB_WINDOW_EVERY_S:.0f} s)": [
            ((mitdb / f"{n}.hea", t0), n in MITDB_PACED, f"{n}@{t0:.0f}")
            for n in sorted({p.stem for p in mitdb.glob("*.hea")})
            for t0 in np.arange(0.0, 1790.0, MITDB_WINDOW_EVERY_S)],
    }


def main() -> int:
    # "non-paced with spikes": non-paced records that keep a confirmed spike list (those samples
    # are blanked before filtering, so even without a PACE statement their measurements change).
    print("| set | records | paced | TP | FP | FN | precision | recall | non-paced with spikes |")
    print("|---|---|---|---|---|---|---|---|---|")
    notes = []
    for name, recs in sets().items():
        tp = fp = fn = spiky = 0
        fps, fns = [], []
        for path, paced, rid in recs:
            try:
                ecg = _load(path)
                m = measure(ecg)
                pred = "PACE" in {s.code for s in interpret(m, ecg.patient)}
                spiky += bool(m.pacing_spikes) and not paced
            except Exception as exc:  # a benchmark reports failures, it does not stop at one
                print(f"  ! {rid}: {type(exc).__name__}: {exc}", file=sys.stderr)
                pred = False
            tp += pred and paced
            fp += pred and not paced
            fn += paced and not pred
            (fps if pred and not paced else fns if paced and not pred else []).append(rid)
        p = f"{tp / (tp + fp):.2f}" if tp + fp else "—"
        r = f"{tp / (tp + fn):.2f}" if tp + fn else "—"
        print(f"| {name} | {len(recs)} | {tp + fn} | {tp} | {fp} | {fn} | {p} | {r} | {spiky} |", flush=True)
        cut = (lambda v: v if len(v) <= 12 else v[:12] + [f"… {len(v) - 12} more"])
        notes.append(f"{name}: false PACE {cut(fps) or 'none'}; missed {cut(fns) or 'none'}")
    print()
    for n in notes:
        print(n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
