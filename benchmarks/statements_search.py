"""Search every shared record for real examples of the statements that have none labelled (complete
AV block, Sgarbossa, short QTc, extreme axis), and count how often those rules and 2nd-degree AV
block fire where the reference says they should not. The rules are never tuned here on PTB-XL
folds 9–10: those folds are left out.

    nice -n 10 .venv/bin/python benchmarks/statements_search.py            # all sets (~25 min)
    nice -n 10 .venv/bin/python benchmarks/statements_search.py --quick    # 12-lead sets only

12-lead sets (PTB-XL folds 1–8, the CinC subset, LUDB): candidates by measurement — QRS axis in
(−180°, −90°] by net area or net deflections, QTc (Fridericia) ≤ 340 ms, more than 1.3 P per QRS,
LBBB or pacing labelled or stated — with what fired. Two-lead sets: every 10 s window of all 48
MIT-BIH records and all 105 QTDB records through the full pipeline, grouped by the reference rhythm
(atr aux notes; "" where a QTDB record has none). QTDB's cardiologist QT (q1c) gives a reference
QTc per record, independent of our delineation.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from statements_common import (  # noqa: E402
    cache_dir_from_env,
    cinc_records,
    ludb_records,
    measure_record,
    ptbxl_records,
)

from ecgchat_desktop.interpret import interpret  # noqa: E402
from ecgchat_desktop.interpret import morphology as mo  # noqa: E402
from ecgchat_desktop.interpret.context import RuleContext  # noqa: E402
from ecgchat_desktop.settings import shared_data_dir  # noqa: E402

SEARCHED = ("3AVB", "2AVB", "STEMI_SGARBOSSA", "SQTC", "EXTREME_AXIS")
WINDOW_S = 10.0
SHORT_QTC_MS = 340.0
P_PER_QRS_AT_LEAST = 1.3
LBBB_OR_PACED_LABELS = {"CLBBB", "LBBB", "PACE", "complete left bundle branch block"}


def _norm_deg(a: float | None) -> float | None:
    if a is None:
        return None
    a = ((a + 180.0) % 360.0) - 180.0
    return 180.0 if a == -180.0 else a


def twelve_lead(cache) -> None:
    sets = [("PTB-XL folds 1–8", [r for r in ptbxl_records() if r.fold <= 8]),
            ("CinC subset", cinc_records()), ("LUDB", ludb_records())]
    print("| set | records | axis ≤ −90° | EXTREME_AXIS | QTcF ≤ 340 ms | SQTC | > 1.3 P/QRS | 2AVB | 3AVB "
          "| LBBB/paced | STEMI_SGARBOSSA |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    lines: list[str] = []
    for name, records in sets:
        n = Counter()
        for rec in records:
            m = measure_record(rec, cache)
            if m is None:
                continue
            n["records"] += 1
            codes = {s.code for s in interpret(m, rec.patient)}
            for c in SEARCHED:
                n[c] += c in codes
            tag = f"{rec.dataset} {rec.record_id} ({', '.join(sorted(rec.labels)[:4])})"
            axes = [_norm_deg(m.qrs_axis_deg), _norm_deg(mo.net_deflection_axis_deg(RuleContext(m=m)))]
            if any(a is not None and a <= -90.0 for a in axes):
                n["axis"] += 1
                lines.append(f"  axis {tag}: net area {axes[0]}, deflections {axes[1] and round(axes[1])}, "
                             f"QRS {m.qrs_ms} ms → {'EXTREME_AXIS' if 'EXTREME_AXIS' in codes else 'not extreme'}")
            qtcf = (m.qtc_ms or {}).get("fridericia")
            if qtcf is not None and qtcf <= SHORT_QTC_MS:
                n["short"] += 1
                lines.append(f"  QTc {tag}: Fridericia {qtcf:.0f} ms at {m.hr_bpm:.0f} bpm")
            if m.p_per_qrs is not None and m.p_per_qrs > P_PER_QRS_AT_LEAST:
                n["ppq"] += 1
                lines.append(f"  AV {tag}: {m.p_per_qrs:.2f} P/QRS, atrial {m.atrial_rate_bpm:.0f}/min, "
                             f"ventricular {m.hr_bpm:.0f}/min → {sorted(codes & {'2AVB', '3AVB'}) or 'no AV block'}")
            paced = any("pacing" in lb for lb in rec.labels)
            if codes & {"CLBBB", "PACE"} or rec.labels & LBBB_OR_PACED_LABELS or paced:
                n["lbbb"] += 1
                infarct = sorted(lb for lb in rec.labels if "stemi" in lb or "scar" in lb or "ischemia" in lb
                                 or lb in ("MI", "AMI", "ASMI", "IMI", "OldMI"))
                if "STEMI_SGARBOSSA" in codes or infarct:
                    lines.append(f"  LBBB/paced {tag}, infarct labels {infarct} → "
                                 f"{'STEMI_SGARBOSSA' if 'STEMI_SGARBOSSA' in codes else 'no Sgarbossa'}")
        print(f"| {name} | {n['records']} | {n['axis']} | {n['EXTREME_AXIS']} | {n['short']} | {n['SQTC']} | "
              f"{n['ppq']} | {n['2AVB']} | {n['3AVB']} | {n['lbbb']} | {n['STEMI_SGARBOSSA']} |")
    print("\ncandidates:")
    print("\n".join(lines))


def _rhythm_spans(rec_path: Path, n_samples: int) -> list[tuple[int, int, str]]:
    import wfdb
    if not rec_path.with_suffix(".atr").exists():
        return [(0, n_samples, "")]
    ann = wfdb.rdann(str(rec_path), "atr")
    marks = [(int(s), a.strip("\x00").strip()) for s, a in zip(ann.sample, ann.aux_note)
             if a.strip("\x00").strip().startswith("(")]
    if not marks:
        return [(0, n_samples, "")]
    spans = [(0, marks[0][0], "")] if marks[0][0] > 0 else []
    for (a, r), (b, _) in zip(marks, marks[1:] + [(n_samples, "")]):
        spans.append((a, b, r))
    return spans


def two_lead() -> None:
    from ecgchat_desktop.io import read_ecg
    root = shared_data_dir()
    by_rhythm: dict[tuple[str, str], Counter] = defaultdict(Counter)
    listed: list[str] = []
    for db in ("mitdb", "qtdb"):
        for hea in sorted((root / db).glob("*.hea")):
            ecg = read_ecg(hea)
            fs, n = ecg.sampling_rate_hz, ecg.signals_mv.shape[1]
            spans = _rhythm_spans(hea.with_suffix(""), n)
            step = int(WINDOW_S * fs)
            for start in range(0, n - step + 1, step):
                inside = [r for a, b, r in spans if a <= start and start + step <= b]
                rhythm = inside[0] if inside else "mixed"
                crop = ecg.with_changes(signals_mv=ecg.signals_mv[:, start:start + step])
                codes = {s.code for s in interpret(_measure(crop), crop.patient)}
                c = by_rhythm[(db, rhythm)]
                c["windows"] += 1
                for code in SEARCHED:
                    c[code] += code in codes
                if codes & {"3AVB", "SQTC", "EXTREME_AXIS", "STEMI_SGARBOSSA"}:
                    listed.append(f"  {db} {hea.stem}@{start / fs:.0f} s {rhythm or '-'}: "
                                  f"{sorted(codes & set(SEARCHED))}")
    print(f"\n{WINDOW_S:.0f} s windows of every MIT-BIH and QTDB record, by reference rhythm "
          "(mixed = a rhythm change inside the window)")
    print("| set | reference rhythm | windows | " + " | ".join(SEARCHED) + " |")
    print("|---|---|---|" + "---|" * len(SEARCHED))
    for (db, rhythm), c in sorted(by_rhythm.items()):
        print(f"| {db} | {rhythm or '(none)'} | {c['windows']} | " + " | ".join(str(c[k]) for k in SEARCHED) + " |")
    print("\nwindows stating 3AVB, SQTC, EXTREME_AXIS or STEMI_SGARBOSSA:")
    print("\n".join(listed) if listed else "  none")


def _measure(ecg):
    from ecgchat_desktop.analysis import measure
    return measure(ecg)


def qtdb_reference_qtc() -> None:
    """QTc from the cardiologists' own QRS onsets and T ends (q1c) and the RR of annotated beats."""
    import wfdb
    root = shared_data_dir() / "qtdb"
    rows = []
    for hea in sorted(root.glob("*.hea")):
        rec = hea.with_suffix("")
        if not rec.with_suffix(".q1c").exists():
            continue
        ann = wfdb.rdann(str(rec), "q1c")
        fs = ann.fs or 250.0
        sym, smp = ann.symbol, ann.sample
        beats = [i for i, s in enumerate(sym) if s not in "()ptu"]
        qts, rr = [], []
        for k, i in enumerate(beats):
            on = smp[i - 1] if i > 0 and sym[i - 1] == "(" else None
            end = next((smp[j + 1] for j in range(i + 1, beats[k + 1] if k + 1 < len(beats) else len(sym))
                        if sym[j] == "t" and j + 1 < len(sym) and sym[j + 1] == ")"), None)
            if on is not None and end is not None:
                qts.append((end - on) * 1000.0 / fs)
            if k > 0 and (smp[i] - smp[beats[k - 1]]) / fs < 2.0:
                rr.append((smp[i] - smp[beats[k - 1]]) / fs)
        if qts and rr:
            qt, r = float(np.median(qts)), float(np.median(rr))
            rows.append((qt / r ** (1 / 3), qt / r ** 0.5, qt, 60.0 / r, hea.stem))
    rows.sort()
    print(f"\nQTDB cardiologist QT (q1c), {len(rows)} records with QT and RR; lowest QTc (Fridericia):")
    print("| record | QTc Fridericia | QTc Bazett | QT | rate |")
    print("|---|---|---|---|---|")
    for qf, qb, qt, hr, name in rows[:5]:
        print(f"| {name} | {qf:.0f} | {qb:.0f} | {qt:.0f} | {hr:.0f} |")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="12-lead sets and the QTDB reference only")
    args = ap.parse_args()
    t0 = time.perf_counter()
    twelve_lead(cache_dir_from_env())
    qtdb_reference_qtc()
    if not args.quick:
        two_lead()
    print(f"\n{time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
