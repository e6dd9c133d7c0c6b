"""Shared pieces of the statement benchmarks: record lists with labels for PTB-XL, LUDB and
the CinC subset, measuring (optionally cached), and the precision/recall/F1 table.

Not a benchmark itself (no table of its own). Labels are read here, never by the program.
"""

from __future__ import annotations

import ast
import csv
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ecgchat_desktop.analysis.measurements import Measurements  # noqa: E402
from ecgchat_desktop.ecg import Patient, normalise_sex  # noqa: E402
from ecgchat_desktop.settings import shared_data_dir  # noqa: E402


@dataclass
class LabelledRecord:
    dataset: str
    record_id: str
    path: Path               # the .hea file
    labels: set[str]         # dataset's own label strings/codes
    patient: Patient
    fold: int | None = None  # PTB-XL strat_fold
    extra: dict = field(default_factory=dict)


def ptbxl_records(data: Path | None = None) -> list[LabelledRecord]:
    data = data or shared_data_dir()
    root = data / "ptb-xl"
    out = []
    with open(root / "ptbxl_database.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            rel = row["filename_hr"]
            hea = root / (rel + ".hea")
            if not hea.exists():
                continue
            codes = set(ast.literal_eval(row["scp_codes"]).keys())
            sex = {"0": "M", "1": "F"}.get(row["sex"].strip().split(".")[0])
            age = float(row["age"]) if row["age"] not in ("", None) else None
            if age is not None and age > 120:  # PTB-XL codes ages ≥ 90 as 300
                age = 90.0
            out.append(LabelledRecord("ptbxl", row["ecg_id"], hea, codes, Patient(sex=sex, age_years=age),
                                      fold=int(row["strat_fold"]), extra={"heart_axis": row["heart_axis"]}))
    return out


LUDB_COLUMNS = ("Rhythms", "Electric axis of the heart", "Conduction abnormalities", "Extrasystolies",
                "Hypertrophies", "Cardiac pacing", "Ischemia", "Non-specific repolarization abnormalities")


def ludb_records(data: Path | None = None) -> list[LabelledRecord]:
    data = data or shared_data_dir()
    root = data / "ludb"
    out = []
    with open(root / "ludb.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            rid = row["ID"].strip()
            labels = set()
            for col in LUDB_COLUMNS:
                for v in (row.get(col) or "").split("\n"):
                    v = v.strip()
                    if v:
                        labels.add(v.lower())
            age = row["Age"].strip()
            try:
                age_v = float(age)
            except ValueError:
                age_v = None
            out.append(LabelledRecord("ludb", rid, root / "data" / f"{rid}.hea", labels,
                                      Patient(sex=normalise_sex(row["Sex"].strip()), age_years=age_v)))
    return sorted(out, key=lambda r: int(r.record_id))


def cinc_records(data: Path | None = None) -> list[LabelledRecord]:
    data = data or shared_data_dir()
    root = data / "cinc"
    out = []
    with open(root / "labels.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            hea = root / row["source"] / f"{row['record']}.hea"
            if not hea.exists():
                continue
            try:
                age = float(row["age"])
            except ValueError:
                age = None
            out.append(LabelledRecord("cinc", f"{row['source']}/{row['record']}", hea,
                                      set(a.strip() for a in row["dx_abbrev"].split(";") if a.strip()),
                                      Patient(sex=normalise_sex(row["sex"]), age_years=age)))
    return out


def measure_record(rec: LabelledRecord, cache_dir: Path | None = None) -> Measurements | None:
    """Our measurements of one record (None if the file cannot be read or measured;
    a benchmark counts that as 'no statement')."""
    cache = None
    if cache_dir is not None:
        cache = cache_dir / rec.dataset / (rec.record_id.replace("/", "__") + ".json")
        if cache.exists():
            return Measurements.from_dict(json.loads(cache.read_text()))
    from ecgchat_desktop.analysis import measure
    from ecgchat_desktop.io import read_ecg
    try:
        m = measure(read_ecg(rec.path))
    except Exception as exc:  # a benchmark reports failures, it does not stop at one
        print(f"  ! {rec.dataset} {rec.record_id}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return None
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(m.to_dict(include_beats=True, include_median=False), default=float))
    return m


def cache_dir_from_env() -> Path | None:
    """ECGCHAT_BENCH_CACHE=DIR reuses measurements between runs (while tuning rules only)."""
    env = os.environ.get("ECGCHAT_BENCH_CACHE")
    return Path(env) if env else None


def prf(tp: int, fp: int, fn: int) -> tuple[float | None, float | None, float | None]:
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None
    return p, r, f


def score(pairs: list[tuple[bool, bool]]) -> dict:
    """pairs of (predicted, true) → counts and P/R/F1."""
    tp = sum(1 for p, t in pairs if p and t)
    fp = sum(1 for p, t in pairs if p and not t)
    fn = sum(1 for p, t in pairs if t and not p)
    p, r, f = prf(tp, fp, fn)
    return {"n_pos": tp + fn, "tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": f}


def fmt(v: float | None) -> str:
    return "  —  " if v is None else f"{v:5.2f}"


def print_table(title: str, rows: list[tuple[str, str, dict]]) -> None:
    """rows: (name, category, score dict)."""
    print(f"\n{title}")
    print(f"| {'statement':<34} | {'category':<19} | pos |  tp |  fp |  fn | prec. | recall|  F1   |")
    print(f"|{'-' * 36}|{'-' * 21}|-----|-----|-----|-----|-------|-------|-------|")
    for name, cat, s in rows:
        print(f"| {name:<34} | {cat:<19} | {s['n_pos']:>3} | {s['tp']:>3} | {s['fp']:>3} | {s['fn']:>3} | "
              f"{fmt(s['precision'])} | {fmt(s['recall'])} | {fmt(s['f1'])} |")
