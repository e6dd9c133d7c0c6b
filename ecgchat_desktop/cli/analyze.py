"""`ecgchat analyze PATH [--json]`: measurements and interpretation statements."""

from __future__ import annotations

import json

from ecgchat_desktop.io import read_ecg

_MEASUREMENT_KEYS = (
    "hr_bpm", "rr_ms", "p_ms", "pr_ms", "qrs_ms", "qt_ms", "qtc_ms",
    "p_axis_deg", "qrs_axis_deg", "t_axis_deg", "atrial_rate_bpm",
    # rhythm detail (additive; same names as in Measurements)
    "rr_sd_ms", "rmssd_ms", "rr_irregularity", "p_wave_fraction", "p_per_qrs",
    "n_beats", "n_dominant", "n_ventricular_ectopic", "n_supraventricular_ectopic", "n_paced",
    "pacing_spikes",
)


def register(sub) -> None:
    p = sub.add_parser("analyze", help="measure intervals and axes, and list interpretation statements")
    p.add_argument("path", help="ECG file (WFDB .hea, DICOM, HL7 aECG, SCP-ECG, Philips/GE XML, CSV)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def analysis_dict(ecg, findings) -> dict:
    m = findings.measurements
    out = dict(ecg.info_dict())
    for key in _MEASUREMENT_KEYS:
        out[key] = getattr(m, key)
    out["r_peaks"] = list(m.r_peaks)
    out["lead_quality"] = dict(m.lead_quality)
    out["lead_amplitudes"] = {k: v.__dict__ for k, v in m.lead_amplitudes.items()}
    out["statements"] = [
        {"code": s.code, "text": s.text, "category": s.category, "severity": s.severity,
         "evidence": list(s.evidence)}
        for s in findings.statements
    ]
    out["critical"] = findings.critical
    out["notes"] = list(m.analysis_notes)
    return out


def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "—"
    return f"{value:.0f}{unit}" if isinstance(value, (int, float)) else str(value)


def run(args) -> int:
    from ecgchat_desktop.findings import analyze_ecg

    ecg = read_ecg(args.path)
    findings = analyze_ecg(ecg)
    data = analysis_dict(ecg, findings)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, default=str))
        return 0
    print(f"{args.path}  [{data['format']}, {len(data['leads'])} leads, "
          f"{data['sampling_rate_hz']:g} Hz, {data['duration_s']:.1f} s]")
    q = data["qtc_ms"] or {}
    print(f"  HR {_fmt(data['hr_bpm'], ' bpm')}   RR {_fmt(data['rr_ms'], ' ms')}   "
          f"P {_fmt(data['p_ms'], ' ms')}   PR {_fmt(data['pr_ms'], ' ms')}   QRS {_fmt(data['qrs_ms'], ' ms')}")
    print(f"  QT {_fmt(data['qt_ms'], ' ms')}   QTc Bazett {_fmt(q.get('bazett'), ' ms')}  "
          f"Fridericia {_fmt(q.get('fridericia'), ' ms')}  Framingham {_fmt(q.get('framingham'), ' ms')}  "
          f"Hodges {_fmt(q.get('hodges'), ' ms')}")
    print(f"  Axes P {_fmt(data['p_axis_deg'], '°')}  QRS {_fmt(data['qrs_axis_deg'], '°')}  "
          f"T {_fmt(data['t_axis_deg'], '°')}")
    bad = {k: v for k, v in data["lead_quality"].items() if v != "good"}
    if bad:
        print("  Lead quality: " + ", ".join(f"{k} {v}" for k, v in bad.items()))
    for note in data.get("notes") or []:  # why a value is missing or uncertain
        print(f"  Note: {note}")
    if data["critical"]:
        print("  *** CRITICAL FINDING — review immediately ***")
    print("  Statements (program draft, to be confirmed by a physician):")
    for s in data["statements"]:
        print(f"    [{s['severity']}] {s['text']}")
        for e in s["evidence"]:
            print(f"        - {e}")
    return 0
