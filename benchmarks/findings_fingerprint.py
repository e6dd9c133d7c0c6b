"""Findings fingerprint: every Measurements field (beats and median beat included) and the
statement codes of a fixed set of real records, dumped to JSON, so that a change meant to
alter speed only can be shown to leave the findings unchanged (diff two dumps).

Records: LUDB 1-140 (12 leads, 500 Hz), PTB-XL folds 1-8 (the first 40 with a waveform;
never folds 9-10), the first 40 CinC records (100 Hz, mixed rhythms), and 2-minute crops of
12 MIT-BIH records (2 leads, 360 Hz; paced, ectopic, noisy ones included).

    # dump the working tree, dump a clean HEAD export, compare:
    nice -n 10 .venv/bin/python benchmarks/findings_fingerprint.py dump /tmp/fp_new.json
    rm -rf /tmp/fp_base && mkdir /tmp/fp_base && git archive HEAD | tar -x -C /tmp/fp_base
    nice -n 10 .venv/bin/python benchmarks/findings_fingerprint.py dump /tmp/fp_old.json --root /tmp/fp_base
    .venv/bin/python benchmarks/findings_fingerprint.py diff /tmp/fp_old.json /tmp/fp_new.json

`diff` prints a table: records compared, records identical, and per field the number of
records where it differs (with the largest numeric difference); exit status 1 on any
difference.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
from pathlib import Path

MITDB_CROPS = ("100", "104", "105", "106", "107", "108", "119", "200", "203", "207", "208", "231")
CROP_S = 120.0
CROP_START_S = 300.0


def _records(data: Path):
    from statements_common import cinc_records, ludb_records, ptbxl_records

    out = [("ludb/" + r.record_id, r.path, None, r.patient) for r in ludb_records(data)]
    ptb = [r for r in ptbxl_records(data) if r.fold is not None and r.fold <= 8]
    out += [("ptbxl/" + r.record_id, r.path, None, r.patient) for r in ptb[:40]]
    out += [("cinc/" + r.record_id, r.path, None, r.patient) for r in cinc_records(data)[:40]]
    out += [(f"mitdb/{rec}[{CROP_START_S:g}+{CROP_S:g}s]", data / "mitdb" / f"{rec}.hea", (CROP_START_S, CROP_S), None)
            for rec in MITDB_CROPS]
    return out


def dump(out_path: Path) -> None:
    from ecgchat_desktop.interpret import interpret
    from ecgchat_desktop.io import read_ecg
    from ecgchat_desktop.analysis import measure
    from ecgchat_desktop.settings import shared_data_dir

    result = {}
    for key, path, crop, patient in _records(shared_data_dir()):
        ecg = read_ecg(path)
        if crop is not None:
            fs = ecg.sampling_rate_hz
            a, n = int(crop[0] * fs), int(crop[1] * fs)
            ecg = dataclasses.replace(ecg, signals_mv=ecg.signals_mv[:, a:a + n].copy())
        m = measure(ecg)
        codes = sorted(s.code for s in interpret(m, patient if patient is not None else ecg.patient))
        result[key] = {"measurements": m.to_dict(include_beats=True, include_median=True), "codes": codes}
    out_path.write_text(json.dumps(result, default=float, sort_keys=True))
    print(f"{len(result)} records -> {out_path}")


def _flatten(obj, prefix=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _flatten(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _flatten(v, f"{prefix}[{i}]")
    else:
        yield prefix, obj


def _field(path: str) -> str:
    """A flat path reduced to its field name (indices and lead names dropped)."""
    import re

    p = re.sub(r"\[\d+\]", "[]", path)
    p = re.sub(r"^measurements\.lead_amplitudes\.[^.]+\.", "measurements.lead_amplitudes.*.", p)
    p = re.sub(r"^measurements\.lead_quality\.[^.]+$", "measurements.lead_quality.*", p)
    return p


def diff(old_path: Path, new_path: Path) -> int:
    old, new = json.loads(old_path.read_text()), json.loads(new_path.read_text())
    keys = sorted(set(old) | set(new))
    per_field: dict[str, list] = {}
    same = 0
    for key in keys:
        if key not in old or key not in new:
            per_field.setdefault("(record missing)", []).append((key, math.nan))
            continue
        a, b = dict(_flatten(old[key])), dict(_flatten(new[key]))
        changed = set()
        for p in set(a) | set(b):
            va, vb = a.get(p, "<absent>"), b.get(p, "<absent>")
            if va == vb:
                continue
            f = _field(p)
            d = abs(va - vb) if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else math.nan
            if f not in changed:
                per_field.setdefault(f, []).append((key, d))
                changed.add(f)
            else:
                lst = per_field[f]
                lst[-1] = (key, max(lst[-1][1], d) if not math.isnan(d) else lst[-1][1])
        same += not changed
    print(f"| records compared | identical | differing |\n|---|---|---|\n| {len(keys)} | {same} | {len(keys) - same} |")
    if per_field:
        print("\n| field | records differing | largest difference | e.g. |\n|---|---|---|---|")
        for f, rows in sorted(per_field.items(), key=lambda kv: -len(kv[1])):
            big = max((d for _, d in rows if not math.isnan(d)), default=math.nan)
            print(f"| {f} | {len(rows)} | {big:.6g} | {rows[0][0]} |")
    return 0 if same == len(keys) else 1


def main() -> int:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out", type=Path)
    d.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1],
                   help="source tree whose ecgchat_desktop is measured (default: this checkout)")
    c = sub.add_parser("diff")
    c.add_argument("old", type=Path)
    c.add_argument("new", type=Path)
    args = ap.parse_args()
    if args.cmd == "dump":
        # The data beside THIS checkout, also when measuring another tree (--root).
        os.environ.setdefault("ECGCHAT_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "data"))
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        sys.path.insert(0, str(args.root.resolve()))
        import ecgchat_desktop

        print(f"measuring with {Path(ecgchat_desktop.__file__).parent}", file=sys.stderr)
        dump(args.out)
        return 0
    return diff(args.old, args.new)


if __name__ == "__main__":
    sys.exit(main())
