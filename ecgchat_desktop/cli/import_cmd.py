"""`ecgchat import PATH... [--db URL]`: read, analyse and store ECG files and folders.

Folders are searched recursively. A WFDB record is imported through its .hea header;
its data files (those the header names, and everything sharing the header's name:
.dat, .mat, annotation files) and the segment headers of a multi-segment record are
not imported on their own.
Each ECG is stored in one transaction (signal, findings, audit event together), so a
failing file or a killed import never leaves a partial row; an ECG already in the
database (same content hash) is counted as a duplicate and not analysed again.
Progress goes to stderr (one line per file), the counts to stdout at the end.
Exit status: 0 when no file failed, 2 when at least one did (see the list of reasons).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("import", help="read, analyse and store ECG files and folders in the database")
    p.add_argument("paths", nargs="+", metavar="PATH", help="ECG files or folders (searched recursively)")
    p.add_argument("--db", metavar="URL", default=None,
                   help="SQLAlchemy database URL or SQLite file path (default: ECGCHAT_DB_URL, "
                        "else the database chosen in the workstation's settings, "
                        "else ecgchat.sqlite3 in the user data folder)")
    p.add_argument("--user", default=None, help="who imports (default: the login name)")
    p.add_argument("--json", action="store_true", help="print the final counts as one JSON object")
    p.set_defaults(func=run)


def _header_references(header: Path) -> tuple[set[str], set[str]]:
    """(segment record names, data file names) a WFDB header refers to; neither is imported alone."""
    try:
        text = header.read_text(encoding="latin-1", errors="replace")
    except OSError:
        return set(), set()
    lines = [ln.split() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        return set(), set()
    rest = [ln[0] for ln in lines[1:] if ln]
    if "/" in lines[0][0]:  # multi-segment master: "name/n_segments ..."
        return set(rest) - {"~"}, set()
    return set(), set(rest)


def collect_files(paths) -> tuple[list[Path], list[tuple[str, str]]]:
    """The files to import, in a stable order, and (path, reason) for paths that do not exist."""
    files: list[Path] = []
    missing: list[tuple[str, str]] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            files.append(p)

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for folder, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                names = sorted(n for n in names if not n.startswith("."))
                stems = {n[:-4] for n in names if n.lower().endswith(".hea")}
                segments: set[str] = set()
                data_files: set[str] = set()
                for n in names:
                    if n.lower().endswith(".hea"):
                        seg, dat = _header_references(Path(folder) / n)
                        segments |= seg
                        data_files |= dat
                for n in names:
                    stem = n.rpartition(".")[0] or n
                    if n.lower().endswith(".hea"):
                        if stem not in segments:
                            add(Path(folder) / n)
                    elif stem in stems or n in data_files:
                        continue  # a WFDB record's data or annotation file
                    else:
                        add(Path(folder) / n)
        elif path.is_file():
            header = path.with_suffix(".hea")
            if path.suffix.lower() != ".hea" and header.is_file():
                add(header)  # `ecgchat import rec.dat` means the record
            else:
                add(path)
        else:
            missing.append((str(path), "does not exist"))
    return files, missing


def _progress(i: int, n: int, status: str, path: Path, detail: str = "") -> None:
    width = len(str(n))
    print(f"[{i:>{width}}/{n}] {status:<9} {path}{'  ' + detail if detail else ''}", file=sys.stderr, flush=True)


def import_paths(store, paths, user: str | None = None, progress=_progress) -> dict:
    """Import `paths` into `store`. Returns {"imported": [...], "duplicates": [...], "failed": [...]}."""
    from ecgchat_desktop.findings import analyze_ecg
    from ecgchat_desktop.io import EcgReadError, read_ecg
    from ecgchat_desktop.store import content_hash

    files, missing = collect_files(paths)
    result = {"imported": [], "duplicates": [], "failed": [{"path": p, "reason": r} for p, r in missing]}
    n = len(files)
    for i, path in enumerate(files, 1):
        try:
            ecg = read_ecg(path)
        except EcgReadError as exc:
            result["failed"].append({"path": str(path), "reason": exc.problem})
            progress(i, n, "failed", path, exc.problem)
            continue
        except Exception as exc:  # a reader bug must not stop the import
            reason = f"cannot be read: {type(exc).__name__}: {exc}"
            result["failed"].append({"path": str(path), "reason": reason})
            progress(i, n, "failed", path, reason)
            continue
        try:
            existing = store.find_by_hash(content_hash(ecg))
            if existing is not None:
                result["duplicates"].append({"path": str(path), "record_id": existing})
                progress(i, n, "duplicate", path, f"#{existing}")
                continue
            try:
                findings = analyze_ecg(ecg)
            except Exception as exc:
                reason = f"analysis failed: {type(exc).__name__}: {exc}"
                result["failed"].append({"path": str(path), "reason": reason})
                progress(i, n, "failed", path, reason)
                continue
            record_id, is_new = store.add_ecg(ecg, findings, source_path=str(path.resolve()), user=user)
        except Exception as exc:  # database trouble for this file: report it, go on
            reason = f"not stored: {type(exc).__name__}: {exc}"
            result["failed"].append({"path": str(path), "reason": reason})
            progress(i, n, "failed", path, reason)
            continue
        key = "imported" if is_new else "duplicates"
        result[key].append({"path": str(path), "record_id": record_id})
        # Printed only after the commit: a line here means the ECG is in the database.
        progress(i, n, "imported" if is_new else "duplicate", path, f"#{record_id}")
    return result


def run(args) -> int:
    from ecgchat_desktop.store import StoreError, open_store

    try:
        store = open_store(args.db)
    except StoreError as exc:
        print(f"ecgchat import: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # bad URL, missing driver, server down
        print(f"ecgchat import: error: database cannot be opened: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        result = import_paths(store, args.paths, user=args.user)
    finally:
        store.close()
    counts = {k: len(v) for k, v in result.items()}
    if args.json:
        print(json.dumps({**counts, "failures": result["failed"], "database": store.url,
                          "seconds": round(time.monotonic() - started, 3)}, ensure_ascii=False))
    else:
        print(f"imported {counts['imported']}, duplicates {counts['duplicates']}, failed {counts['failed']}"
              f"  ({store.url})")
        for f in result["failed"]:
            print(f"  failed: {f['path']}: {f['reason']}")
    return 2 if result["failed"] else 0
