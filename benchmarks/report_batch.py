"""Batch report benchmark: `ecgchat report FOLDER -o OUT --no-llm` over >= 100 real PTB-XL
records (records500, through a temporary folder of symlinks), with its progress bar.

Measures
  1. the real command as a subprocess: wall time, pages/s, peak RSS of the process;
  2. the same pipeline in this process (ReportProducer, as the CLI uses it): pages/s, and
     the resident memory after 10, 50 and all reports, so that growth after warm-up shows;
  3. the time split inside each in-process run (read + analyse, render, write/store), so that
     the report's cost is a ratio to reading + analysis measured in the same run (machines
     here are noisy; ratios travel better than seconds); plus a separate read+analyse run;
  4. the in-process run again with the SQLite store (report stored with its sha256).

Usage: .venv/bin/python benchmarks/report_batch.py [--n 100] [--layout 3x4+1]
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ecgchat_desktop.settings import PROJECT_DIR, shared_data_dir  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def make_folder(n: int, tmp: Path) -> Path:
    src = shared_data_dir() / "ptb-xl" / "records500"
    headers = sorted(src.rglob("*_hr.hea"))[:n]
    if len(headers) < n:
        sys.exit(f"only {len(headers)} PTB-XL records500 headers under {src}; need {n}")
    folder = tmp / "ecgs"
    folder.mkdir()
    for hea in headers:
        for f in (hea, hea.with_suffix(".dat")):
            (folder / f.name).symlink_to(f)
    return folder


def run_cli(folder: Path, out: Path, layout: str) -> dict:
    exe = PROJECT_DIR / ".venv" / "bin" / "ecgchat"
    cmd = [str(exe) if exe.exists() else sys.executable, *([] if exe.exists() else ["-m", "ecgchat_desktop"]),
           "report", str(folder), "-o", str(out), "--no-llm", "--no-store", "--layout", layout]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    # Bytes, not text: universal-newline decoding would turn the bar's "\r" into line breaks.
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout, proc.stderr = proc.stdout.decode(), proc.stderr.decode()
    wall = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        sys.exit(f"ecgchat report failed ({proc.returncode}): {proc.stderr[-2000:]}")
    bar = proc.stderr.strip().split("\r")[-1].strip()
    pages = sum(_pages(p) for p in out.rglob("*.pdf"))
    return {"wall_s": wall, "pages": pages, "reports": len(list(out.rglob("*.pdf"))),
            "peak_rss_mb": max(peak_kb, before) / 1024.0, "progress_line": bar, "summary": proc.stdout.strip()}


def _pages(path: Path) -> int:
    import pypdf

    return len(pypdf.PdfReader(str(path)).pages)


def run_in_process(folder: Path, out: Path, layout: str, store=None) -> dict:
    from ecgchat_desktop.report.batch import ReportProducer, iter_ecg_files
    from ecgchat_desktop.report.options import ReportOptions

    files = list(iter_ecg_files(folder))
    producer = ReportProducer(ReportOptions(layout=layout, use_llm=False), store=store, user="benchmark")
    marks = {}
    pages = 0
    phases: dict[str, float] = {}
    t0 = time.perf_counter()
    for i, path in enumerate(files, 1):
        pages += producer.produce(path, out / (path.stem + ".pdf")).n_pages
        for k, v in producer.last_timings.items():
            phases[k] = phases.get(k, 0.0) + v
        if i in (10, 50, len(files)):
            gc.collect()
            marks[i] = rss_mb()
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "pages": pages, "reports": len(files), "rss": marks, "phases": phases}


def run_baseline(folder: Path) -> float:
    from ecgchat_desktop.findings import analyze_ecg
    from ecgchat_desktop.io import read_ecg
    from ecgchat_desktop.report.batch import iter_ecg_files

    t0 = time.perf_counter()
    for path in iter_ecg_files(folder):
        analyze_ecg(read_ecg(path))
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="number of records (default 100)")
    ap.add_argument("--layout", default="3x4+1")
    args = ap.parse_args()
    import warnings

    warnings.filterwarnings("ignore")
    with tempfile.TemporaryDirectory(prefix="ecgchat-report-bench-") as tmp_name:
        tmp = Path(tmp_name)
        os.environ["ECGCHAT_HOME"] = str(tmp / "home")
        folder = make_folder(args.n, tmp)
        cli = run_cli(folder, tmp / "out-cli", args.layout)
        baseline_s = run_baseline(folder)
        inproc = run_in_process(folder, tmp / "out-inproc", args.layout)
        from ecgchat_desktop.store import open_store

        store = open_store(tmp / "bench.sqlite3")
        try:
            stored = run_in_process(folder, tmp / "out-store", args.layout, store=store)
            n_stored = sum(len(store.reports_for_ecg(s.id)) for s in store.search(limit=10_000))
        finally:
            store.close()

    n = inproc["reports"]
    print(f"Report batch benchmark: {n} PTB-XL records500 ECGs, layout {args.layout}, --no-llm")
    print()
    print("| run | reports | pages | wall s | pages/s | ÷ read+analyse (same run) | RSS MB at 10 / 50 / end | "
          "RSS growth 50→end, MB |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in (("in-process ReportProducer (as the CLI)", inproc), ("in-process + SQLite store", stored)):
        ph = r["phases"]
        rss = r["rss"]
        keys = sorted(rss)
        print(f"| {name} | {r['reports']} | {r['pages']} | {r['wall_s']:.1f} | {r['pages'] / r['wall_s']:.2f} | "
              f"{r['wall_s'] / ph['read_analyse_s']:.2f} | {' / '.join(f'{rss[k]:.0f}' for k in keys)} | "
              f"{rss[keys[-1]] - rss[keys[1]]:+.1f} |")
    print(f"| `ecgchat report` CLI (subprocess, with startup) | {cli['reports']} | {cli['pages']} | "
          f"{cli['wall_s']:.1f} | {cli['pages'] / cli['wall_s']:.2f} | {cli['wall_s'] / baseline_s:.2f} (vs separate "
          f"baseline run) | peak {cli['peak_rss_mb']:.0f} | — |")
    print()
    for name, r in (("no store", inproc), ("store", stored)):
        ph = r["phases"]
        total = sum(ph.values())
        print(f"time split ({name}): " + ", ".join(f"{k[:-2].replace('_', ' ')} {v / total:.0%}"
                                                   for k, v in ph.items()))
    print(f"separate baseline (read + analyse only, {n} records): {baseline_s:.1f} s")
    print(f"reports stored in the database: {n_stored} of {n}")
    print(f"CLI progress bar, last state: {cli['progress_line']}")
    print(f"CLI summary: {cli['summary']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
