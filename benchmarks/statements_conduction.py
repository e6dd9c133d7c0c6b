"""Conduction statements (AV block, bundle branch blocks, IVCD, fascicular blocks, WPW) against
the labels of PTB-XL folds 1–8 (tuning split), the CinC subset and LUDB, and PTB-XL folds 9–10
(held out: scored, never listed record by record, never tuned on).

    nice -n 10 .venv/bin/python benchmarks/statements_conduction.py            # tables
    nice -n 10 .venv/bin/python benchmarks/statements_conduction.py --errors   # + each FP/FN of the
                                                                               #   tuning sets
    nice -n 10 .venv/bin/python benchmarks/statements_conduction.py --mitdb    # + MIT-BIH episodes

--mitdb adds the rules that no 12-lead set here exercises (wide-complex tachycardia, 2nd-degree AV
block, pre-excitation, SVT, junctional/idioventricular rhythm) on 10 s two-lead crops of the MIT-BIH
Arrhythmia Database, read with the project's reader: windows lying wholly inside a reference rhythm
episode (atr aux notes "(VT", "(BII", ...), at most MITDB_WINDOWS_PER_EPISODE per episode, and
normal-sinus "(N" windows of the same records as controls. MIT-BIH tuned the QRS detector (#3),
never these rules.
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


# Axis labels per set (PTB-XL heart_axis; LUDB's "electric axis" line; CinC's LAD/RAD classes).
def _axis_labels(kind: str, rec) -> set[str]:
    if kind == "ptbxl":
        h = (rec.extra or {}).get("heart_axis") or ""
        return {"LAD"} if h in ("ALAD", "LAD") else ({"RAD"} if h in ("ARAD", "RAD") else set())
    text = " ".join(rec.labels)
    if kind == "ludb":
        return ({"LAD"} if "left axis deviation" in text else set()) | ({"RAD"} if "right axis deviation" in text else set())
    return rec.labels & {"LAD", "RAD"}


def axis_in_rbbb_row(title: str, kind: str, records, predicted) -> str:
    """Axis statements on the records where we state RBBB: the net-area axis is turned by the
    terminal S there, so rules_axis reads the net deflections instead (no record is labelled
    extreme axis, so every EXTREME_AXIS here is doubtful)."""
    rb = [r for r in records if predicted[r.record_id] & {"CRBBB", "IRBBB"}]
    cells = []
    for code in ("LAD", "RAD", "EXTREME_AXIS"):
        said = [r for r in rb if code in predicted[r.record_id]]
        agree = sum(1 for r in said if code in _axis_labels(kind, r))
        cells.append(f"{len(said)} ({agree} labelled so)" if code != "EXTREME_AXIS" else f"{len(said)}")
    missed = sum(1 for r in rb if "LAD" in _axis_labels(kind, r) and "LAD" not in predicted[r.record_id])
    return f"| {title} | {len(rb)} | " + " | ".join(cells) + f" | {missed} |"


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


# reference rhythm → (our statements counted as a hit, what the row means)
MITDB_EPISODES = {
    "(VT": ({"WCT"}, "ventricular tachycardia → WCT"),
    "(BII": ({"2AVB", "3AVB"}, "2nd-degree AV block → 2AVB/3AVB"),
    "(PREX": ({"WPW"}, "pre-excitation → WPW"),
    "(SVTA": ({"SVTAC"}, "supraventricular tachyarrhythmia → SVTAC"),
    "(NOD": ({"RHYTHM_OTHER"}, "nodal (junctional) rhythm → RHYTHM_OTHER"),
    "(IVR": ({"RHYTHM_OTHER", "WCT"}, "idioventricular rhythm → RHYTHM_OTHER/WCT"),
    "(AFL": ({"AFLT"}, "atrial flutter → AFLT"),
}
MITDB_CONTROL_FALSE = {"WCT", "2AVB", "3AVB", "WPW", "SVTAC"}
MITDB_WINDOW_S = 10.0
MITDB_WINDOWS_PER_EPISODE = 3
MITDB_CONTROLS_PER_RECORD = 3


def _mitdb_episodes(root: Path) -> dict[str, list[tuple[str, float, float]]]:
    """record → [(rhythm, start_s, end_s)] from the reference rhythm notes."""
    import wfdb
    out: dict[str, list[tuple[str, float, float]]] = {}
    for hea in sorted(root.glob("*.hea")):
        rec = hea.stem
        ann = wfdb.rdann(str(root / rec), "atr")
        fs = 360.0
        notes = [(int(smp), note.strip("\x00")) for smp, note in zip(ann.sample, ann.aux_note)
                 if note and note.startswith("(")]
        end = float(ann.sample[-1]) / fs
        spans = []
        for i, (smp, note) in enumerate(notes):
            stop = notes[i + 1][0] / fs if i + 1 < len(notes) else end
            spans.append((note, smp / fs, stop))
        out[rec] = spans
    return out


def mitdb_table() -> None:
    from ecgchat_desktop.analysis import measure
    from ecgchat_desktop.io import read_ecg
    from ecgchat_desktop.settings import shared_data_dir

    root = shared_data_dir() / "mitdb"
    episodes = _mitdb_episodes(root)
    hits = {k: [0, 0, []] for k in MITDB_EPISODES}          # windows, hits, missed "rec@start"
    ctrl = [0, 0, []]                                        # windows, false alarms, where
    for rec, spans in episodes.items():
        wanted = [sp for sp in spans if sp[0] in MITDB_EPISODES and sp[2] - sp[1] >= MITDB_WINDOW_S + 1]
        if not wanted:
            continue
        ecg = read_ecg(root / f"{rec}.hea")
        fs = ecg.sampling_rate_hz

        def statements_at(t0: float) -> set[str]:
            crop = ecg.with_changes(signals_mv=ecg.signals_mv[:, int(t0 * fs):int((t0 + MITDB_WINDOW_S) * fs)])
            return {st.code for st in interpret(measure(crop), ecg.patient)}
        for rhythm, a, b in wanted:
            starts = [a + 0.5 + i * MITDB_WINDOW_S for i in range(int((b - a - 1) // MITDB_WINDOW_S))]
            for t0 in starts[:MITDB_WINDOWS_PER_EPISODE]:
                got = statements_at(t0)
                h = hits[rhythm]
                h[0] += 1
                if got & MITDB_EPISODES[rhythm][0]:
                    h[1] += 1
                else:
                    h[2].append(f"{rec}@{t0:.0f}")
        normal = [sp for sp in spans if sp[0] == "(N" and sp[2] - sp[1] >= MITDB_WINDOW_S + 1]
        for _, a, _b in normal[:MITDB_CONTROLS_PER_RECORD]:
            got = statements_at(a + 0.5)
            ctrl[0] += 1
            wrong = got & MITDB_CONTROL_FALSE
            if wrong:
                ctrl[1] += 1
                ctrl[2].append(f"{rec}@{a + 0.5:.0f} {sorted(wrong)}")
    print(f"\nMIT-BIH rhythm episodes, {MITDB_WINDOW_S:.0f} s two-lead crops (≤ {MITDB_WINDOWS_PER_EPISODE} per episode)")
    print("| reference episode → our statement | windows | fired | share | missed (record@start s) |")
    print("|---|---|---|---|---|")
    for rhythm, (_, label) in MITDB_EPISODES.items():
        n, k, miss = hits[rhythm]
        share = f"{k / n:.2f}" if n else "—"
        print(f"| {label} | {n} | {k} | {share} | {', '.join(miss[:8])}{' …' if len(miss) > 8 else ''} |")
    n, k, where = ctrl
    print(f"| normal sinus \"(N\" of the same records → none of {', '.join(sorted(MITDB_CONTROL_FALSE))} | {n} | "
          f"{k} false | {k / n if n else 0:.2f} | {', '.join(where[:8])} |")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--errors", action="store_true", help="list false positives/negatives of the tuning sets")
    ap.add_argument("--mitdb", action="store_true", help="add the MIT-BIH rhythm-episode table")
    args = ap.parse_args()
    cache = cache_dir_from_env()
    t0 = time.perf_counter()
    sets = [("PTB-XL folds 1–8 (tuning split)", "ptbxl", [r for r in ptbxl_records() if r.fold <= 8], True),
            ("CinC 2020/21 subset (100 Hz)", "cinc", cinc_records(), True),
            ("LUDB 1–140", "ludb", ludb_records(), True),
            ("PTB-XL folds 9–10 (held out, never tuned on)", "ptbxl",
             [r for r in ptbxl_records() if r.fold >= 9], False)]
    axis_rows = []
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
        axis_rows.append(axis_in_rbbb_row(title, kind, records, predicted))
        print_table(f"{title}: {len(records)} records", rows)
        if args.errors and errors:
            print(f"\nerrors, {title}:")
            for code, kind_, rid, labels, ours, brief in errors:
                print(f"  {code:<5} {kind_} {rid:<22} labels {labels} ours {ours}\n        {brief}")
    print("\nAxis statements on the records where we state RBBB (axis from the net deflections there)")
    print("| set | RBBB stated | LAD | RAD | EXTREME_AXIS | labelled LAD, not stated |")
    print("|---|---|---|---|---|---|")
    print("\n".join(axis_rows))
    if args.mitdb:
        mitdb_table()
    print(f"\n{time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
