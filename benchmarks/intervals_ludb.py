"""Global intervals (PR, P, QRS, QT) against references from LUDB's manual marks, and
against the device measurements stored in the DICOM/SCP-ECG/HL7 aECG/Philips samples.

LUDB reference per record: the median over annotated beats of the global per-beat
interval (second-earliest onset / second-latest offset over the 12 leads, as in
delineation.py). PR and P only where at least half the annotated beats have a P wave.
Paced records are excluded. NeuroKit2 (ecg_process on lead II, median over beats) runs
in the same script. "P invented": we report a P duration where the cardiologists marked
no P wave (e.g. atrial fibrillation). `p_ii_ms`: the P duration in lead II alone
(`LeadAmplitudes.p_ms`) against LUDB's lead-II marks.

    nice -n 10 .venv/bin/python benchmarks/intervals_ludb.py
"""

from __future__ import annotations

import csv
import time

import numpy as np

from analysis_common import DATA, fmt, load_wfdb, nk_delineate
from delineation import ludb_reference, parse_waves

from ecgchat_desktop.analysis import measure

KEYS = ("pr_ms", "p_ms", "qrs_ms", "qt_ms", "p_ii_ms")
LIMITS = {"pr_ms": 10.0, "p_ms": 10.0, "qrs_ms": 10.0, "qt_ms": 15.0, "p_ii_ms": 10.0}


def lead_ii_p_ms(rec: str) -> float | None:
    """P duration in lead II alone from LUDB's lead-II marks (median over beats; None
    unless at least half the beats have a marked P)."""
    import wfdb

    beats = parse_waves(wfdb.rdann(str(DATA / "ludb" / "data" / rec), "ii"))
    return intervals_from_beats(beats, 500.0)["p_ms"]


def ours_lead_ii_p_ms(m) -> float | None:
    la = m.lead_amplitudes.get("II")
    return None if la is None else la.p_ms


def intervals_from_beats(beats, fs: float) -> dict:
    def med(a, b, need_p=False):
        vals = [(x[b] - x[a]) * 1000.0 / fs for x in beats
                if x.get(a) is not None and x.get(b) is not None and np.isfinite(x[a]) and np.isfinite(x[b])]
        if need_p and len(vals) < 0.5 * max(1, len(beats)):
            return None
        return float(np.median(vals)) if vals else None

    return {
        "pr_ms": med("p_onset", "qrs_onset", True),
        "p_ms": med("p_onset", "p_offset", True),
        "qrs_ms": med("qrs_onset", "qrs_offset"),
        "qt_ms": med("qrs_onset", "t_offset"),
    }


def nk_intervals(ecg) -> dict:
    lead = ecg.lead_names.index("II") if "II" in ecg.lead_names else 0
    d = nk_delineate(ecg.signals_mv[lead], ecg.sampling_rate_hz)
    if d is None:
        return {k: None for k in KEYS}
    beats = [{k: d[k][i] for k in d} for i in range(d["r_peak"].size)]
    out = intervals_from_beats(beats, ecg.sampling_rate_hz)
    out["p_ii_ms"] = out["p_ms"]  # NeuroKit2 runs on lead II anyway
    return out


def ludb_table():
    with open(DATA / "ludb" / "ludb.csv", newline="") as fh:
        paced = {row["ID"].strip() for row in csv.DictReader(fh) if row.get("Cardiac pacing", "").strip()}
    diffs = {"ours": {k: [] for k in KEYS}, "nk2": {k: [] for k in KEYS}}
    missed = {"ours": {k: 0 for k in KEYS}, "nk2": {k: 0 for k in KEYS}}
    invented = {"ours": 0, "nk2": 0}
    no_p_records = 0
    t_ours = t_nk = 0.0
    recs = [str(i) for i in range(1, 141) if str(i) not in paced]
    for rec in recs:
        ref = intervals_from_beats(ludb_reference(rec), 500.0)
        ref["p_ii_ms"] = lead_ii_p_ms(rec)
        ecg = load_wfdb(DATA / "ludb" / "data" / rec)
        t0 = time.perf_counter()
        m = measure(ecg)
        t_ours += time.perf_counter() - t0
        ours = {k: getattr(m, k) for k in KEYS if k != "p_ii_ms"}
        ours["p_ii_ms"] = ours_lead_ii_p_ms(m)
        t0 = time.perf_counter()
        nk = nk_intervals(ecg)
        t_nk += time.perf_counter() - t0
        if ref["p_ms"] is None:
            no_p_records += 1
        for name, val in (("ours", ours), ("nk2", nk)):
            if ref["p_ms"] is None and val["p_ms"] is not None:
                invented[name] += 1
            for k in KEYS:
                if ref[k] is None:
                    continue
                if val[k] is None:
                    missed[name][k] += 1
                else:
                    diffs[name][k].append(val[k] - ref[k])
    print(f"\nLUDB global intervals, {len(recs)} records ({len(paced)} paced excluded); "
          f"{no_p_records} records without cardiologist-marked P waves")
    print("| interval | method | records | not measured | mean diff ms | SD ms | target |mean|≤5, SD≤ | met |")
    print("|---|---|---|---|---|---|---|---|")
    for k in KEYS:
        for name in ("ours", "nk2"):
            d = np.asarray(diffs[name][k])
            mean = float(d.mean()) if d.size else float("nan")
            sd = float(d.std(ddof=1)) if d.size > 1 else float("nan")
            ok = "yes" if abs(mean) <= 5 and sd <= LIMITS[k] else "no"
            label = "ours (12-lead median beat)" if name == "ours" else "NeuroKit2 lead II"
            print(f"| {k} | {label} | {d.size} | {missed[name][k]} | {fmt(mean)} | {fmt(sd)} | {LIMITS[k]:.0f} | {ok} |")
    print(f"P wave reported where cardiologists marked none: ours {invented['ours']}, NeuroKit2 {invented['nk2']} "
          f"(of {no_p_records} records)")
    print(f"time: ours {t_ours:.1f} s, NeuroKit2 {t_nk:.1f} s")


DEVICE_FILES = (
    "formats/dicom/ecgtoolkit-example.dcm",
    "formats/scp-ecg/ecgtoolkit-example.scp",
    "formats/hl7-aecg/ecgtoolkit-example.xml",
    "formats/hl7-aecg/fda-subject1_0.xml",
    "formats/philips-xml/sierra-1.03.xml",
    "formats/philips-xml/sierra-1.04.xml",
)


def device_table():
    from ecgchat_desktop.io import read_ecg

    keys = ("hr_bpm", "pr_ms", "qrs_ms", "qt_ms", "qtc_ms", "p_axis_deg", "qrs_axis_deg", "t_axis_deg")
    print("\nOurs vs the device measurements stored in the sample files (device / ours)")
    print("| file | " + " | ".join(keys) + " |")
    print("|---|" + "---|" * len(keys))
    for rel in DEVICE_FILES:
        path = DATA / rel
        try:
            ecg = read_ecg(str(path))
        except Exception as exc:  # a reader not there yet, or a file it rejects
            print(f"| {rel} | not read: {type(exc).__name__}: {str(exc)[:60]} |")
            continue
        dev = ecg.device_measurements
        if dev.is_empty():
            print(f"| {rel} | no device measurements in file |")
            continue
        m = measure(ecg)
        ours = {k: getattr(m, k) for k in keys if k != "qtc_ms"}
        ours["qtc_ms"] = m.qtc_ms.get("bazett")
        cells = [f"{fmt(getattr(dev, k), 0)} / {fmt(ours[k], 0)}" for k in keys]
        print(f"| {rel} | " + " | ".join(cells) + " |")
    print("(our QTc column: Bazett)")


if __name__ == "__main__":
    ludb_table()
    device_table()
