"""`ecgchat info PATH [--json]`: what a file holds (format, leads, rate, patient, device data).

The JSON fields are exactly `Ecg.info_dict()` (scripted against); the plain text
is the same content laid out for a person.
"""

from __future__ import annotations

import json

from ecgchat_desktop.io import read_ecg

_MEASUREMENT_LABELS = (
    ("hr_bpm", "HR", "bpm"), ("pr_ms", "PR", "ms"), ("qrs_ms", "QRS", "ms"), ("qt_ms", "QT", "ms"),
    ("qtc_ms", "QTc", "ms"), ("p_axis_deg", "P axis", "°"), ("qrs_axis_deg", "QRS axis", "°"),
    ("t_axis_deg", "T axis", "°"),
)


def register(sub) -> None:
    p = sub.add_parser("info", help="show format, leads, sampling rate, patient and device data of an ECG file")
    p.add_argument("path", help="ECG file (WFDB .hea, DICOM, HL7 aECG, SCP-ECG, Philips/GE XML, CSV)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _value(value, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value}{' ' + unit if unit and unit != '°' else unit}"


def format_text(info: dict, path: str, file_diagnoses=()) -> str:
    patient = info["patient"]
    lines = [
        f"File:         {path}",
        f"Format:       {info['format']}",
        f"Leads ({len(info['leads'])}):   {', '.join(info['leads'])}",
        f"Sampling:     {info['sampling_rate_hz']:g} Hz, {info['n_samples']} samples, "
        f"{info['duration_s']:.2f} s, units {info['units']}",
        f"Patient:      id {_value(patient['id'])}, name {_value(patient['name'])}, "
        f"sex {_value(patient['sex'])}, age {_value(patient['age'])}",
        f"Acquired:     {_value(info['acquired_at'])}",
        f"Device:       {_value(info['device'])}",
    ]
    dm = info["device_measurements"]
    if any(v is not None for v in dm.values()):
        lines.append("Device measurements (as printed by the device, not ours):")
        lines.append("  " + "   ".join(f"{label} {_value(dm[key], unit)}" for key, label, unit in _MEASUREMENT_LABELS))
    else:
        lines.append("Device measurements: none in the file")
    if info["device_statements"]:
        lines.append("Device statements (device's draft, not confirmed):")
        lines.extend(f"  - {s}" for s in info["device_statements"])
    else:
        lines.append("Device statements: none in the file")
    if file_diagnoses:
        lines.append("Labels carried in the file (not our findings):")
        lines.extend(f"  - {d}" for d in file_diagnoses)
    return "\n".join(lines)


def run(args) -> int:
    ecg = read_ecg(args.path)
    info = ecg.info_dict()
    if args.json:
        print(json.dumps(info, ensure_ascii=False))
    else:
        print(format_text(info, args.path, ecg.file_diagnoses))
    return 0
