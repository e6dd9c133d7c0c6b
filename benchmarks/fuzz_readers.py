"""Mutation fuzzing of every ECG reader in the registry (seeded, reproducible).

For each format, real sample files (shared data `formats/`, `wfdb-formats/`, the
bundled samples, tests/data) are mutated: bit flips, random bytes, truncation,
insertion, deletion, duplication, splicing with other sample files, and (for text
formats) numbers replaced by extreme ones. Each mutated input is read in a worker
process with a per-input time limit and a memory cap, and the outcome counted:

  ecg      an Ecg came back (a harmless mutation, or one the format cannot detect)
  typed    the reader raised an EcgReadError subclass
  unrecognised  read_ecg no longer recognises the format (typed error); the intended
           reader is still run on it directly, and a crash there counts as crash
  crash    the reader itself raised anything else (read_ecg's last-line-of-defence
           wrapper would hide it from users, but it is still a reader bug)
  escaped  read_ecg (the user-facing call) raised a non-EcgReadError: must be 0
  hang     no answer within the time limit (worker killed)
  memory   MemoryError under the memory cap (a giant allocation)

Usage:
  nice -n 10 .venv/bin/python benchmarks/fuzz_readers.py [--per-format 2000] [--seed 1]
         [--timeout 10] [--formats wfdb,dicom] [--show-crashes 5]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import re
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ecgchat_desktop.settings import SAMPLES_DIR, shared_data_dir  # noqa: E402

MEMORY_CAP_BYTES = 3 * 1024**3
# Small, varied WFDB records (header + data files copied together).
WFDB_RECORDS = ("100_3chan", "3000003_0003", "310derive", "311derive", "binformats", "flacformats",
                "test01_00s", "test01_00s_skewframe", "a103l", "mixedsignals")


# --- samples ------------------------------------------------------------------------------
def _wfdb_files(hea: Path) -> list[Path]:
    """The header and the data files it names, all in one folder."""
    files = [hea]
    for line in hea.read_text(errors="replace").splitlines()[1:]:
        line = line.split("#", 1)[0].split()
        if line and (hea.parent / line[0]).is_file() and hea.parent / line[0] not in files:
            files.append(hea.parent / line[0])
    return files


def collect_samples(formats_wanted: set[str] | None) -> dict[str, list[list[Path]]]:
    """format -> list of samples; a sample is a list of files (main file first)."""
    from ecgchat_desktop.io import detect_format
    from ecgchat_desktop.io.errors import EcgReadError

    data = shared_data_dir()
    candidates: list[list[Path]] = []
    for root in (data / "formats", ROOT / "tests" / "data", SAMPLES_DIR):
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file() and not path.name.startswith(("LICENSE", "README")) and path.suffix != ".dat":
                    candidates.append(_wfdb_files(path) if path.suffix == ".hea" else [path])
    try:  # pydicom ships a real Mortara 12-lead export with its test files
        from pydicom.data import get_testdata_file

        mortara = get_testdata_file("waveform_ecg.dcm", download=False)
        if mortara:
            candidates.append([Path(mortara)])
    except Exception:
        pass
    for edf in sorted((data / "wfdb-formats").glob("*.edf")):
        candidates.append([edf])
    for name in WFDB_RECORDS:
        hea = data / "wfdb-formats" / f"{name}.hea"
        if hea.is_file():
            candidates.append(_wfdb_files(hea))
    samples: dict[str, list[list[Path]]] = defaultdict(list)
    for files in candidates:
        try:
            fmt = detect_format(files[0])
        except EcgReadError:
            continue
        if formats_wanted is None or fmt in formats_wanted:
            samples[fmt].append(files)
    # CSV: written from a bundled sample (1 s, so that each read is quick)
    if formats_wanted is None or "csv" in formats_wanted:
        from ecgchat_desktop.io import read_ecg, write_ecg

        ecg = read_ecg(SAMPLES_DIR / "ptbxl-00001" / "00001_hr.hea")
        short = ecg.with_changes(signals_mv=ecg.signals_mv[:, :500])
        out = Path(tempfile.mkdtemp(prefix="fuzz-csv-")) / "sample.csv"
        write_ecg(short, out)
        samples["csv"].append([out])
    return dict(samples)


# --- mutators -------------------------------------------------------------------------------
_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?")
_EXTREMES = [b"0", b"-1", b"-0", b"1e308", b"nan", b"999999999999", b"4294967296", b"-2147483649", b"0.0000001",
             b"65535", b"1000000000", b""]


def mutate(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    buf = bytearray(data)
    n_ops = rng.choice((1, 1, 1, 2, 3, 5))
    for _ in range(n_ops):
        op = rng.choice(("flip", "flip", "set", "truncate", "insert", "delete", "duplicate", "splice", "number",
                         "number"))
        size = len(buf)
        if size == 0:
            buf += bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 16)))
            continue
        pos = rng.randrange(size)
        if op == "flip":
            for _ in range(rng.randint(1, 8)):
                p = rng.randrange(size)
                buf[p] ^= 1 << rng.randrange(8)
        elif op == "set":
            length = min(rng.randint(1, 32), size - pos)
            buf[pos:pos + length] = bytes(rng.getrandbits(8) for _ in range(length))
        elif op == "truncate":
            del buf[rng.randrange(size):]
        elif op == "insert":
            buf[pos:pos] = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 64)))
        elif op == "delete":
            del buf[pos:pos + rng.randint(1, 256)]
        elif op == "duplicate":
            chunk = bytes(buf[pos:pos + rng.randint(1, 512)])
            at = rng.randrange(len(buf) + 1)
            buf[at:at] = chunk
        elif op == "splice":
            other = rng.choice(corpus)
            if other:
                start = rng.randrange(len(other))
                chunk = other[start:start + rng.randint(1, 1024)]
                buf[pos:pos + len(chunk)] = chunk
        elif op == "number":
            head = bytes(buf[:65536])
            numbers = list(_NUMBER.finditer(head))
            if numbers:
                m = rng.choice(numbers)
                buf[m.start():m.end()] = rng.choice(_EXTREMES)
    return bytes(buf)


# --- worker -----------------------------------------------------------------------------------
def _worker(conn) -> None:
    import resource
    import warnings

    warnings.simplefilter("ignore")
    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP_BYTES, MEMORY_CAP_BYTES))
    except (ValueError, OSError):
        pass
    from ecgchat_desktop.io import read_ecg
    from ecgchat_desktop.io.detect import _detect
    from ecgchat_desktop.io.errors import EcgReadError

    from ecgchat_desktop.io.detect import _reader_modules

    modules = {m.FORMAT: m for m in _reader_modules()}
    while True:
        job = conn.recv()
        if job is None:
            return
        path, fmt = job
        outcome, detail = "typed", ""
        try:
            try:
                module = _detect(Path(path))
                detected = True
            except EcgReadError:
                # not recognised any more: still feed it to the intended reader to look for crashes
                module, detected = modules[fmt], False
            module.read(Path(path))
            outcome = "ecg" if detected else "unrecognised"
        except EcgReadError:
            outcome = "typed" if detected else "unrecognised"
        except MemoryError:
            outcome, detail = "memory", traceback.format_exc(limit=-3)
        except Exception as exc:  # a reader bug
            outcome, detail = "crash", f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-3)}"
        if outcome in ("crash", "memory"):
            try:
                read_ecg(path)
            except EcgReadError:
                pass
            except BaseException as exc:  # noqa: BLE001 - the user-facing call leaked
                outcome, detail = "escaped", f"{type(exc).__name__}: {exc}"
        conn.send((outcome, detail))


class Runner:
    def __init__(self, timeout_s: float):
        self.timeout_s = timeout_s
        self._start()

    def _start(self) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child,), daemon=True)
        self.proc.start()

    def run(self, path: Path, fmt: str) -> tuple[str, str]:
        self.conn.send((str(path), fmt))
        if self.conn.poll(self.timeout_s):
            try:
                return self.conn.recv()
            except EOFError:
                pass
            self.proc.join(1)
            self._start()
            return "crash", f"worker died (exit code {self.proc.exitcode})"
        self.proc.kill()
        self.proc.join()
        self._start()
        return "hang", f"no answer within {self.timeout_s:g} s"

    def close(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.proc.join(2)
        if self.proc.is_alive():
            self.proc.kill()


def fuzz_format(fmt: str, samples: list[list[Path]], n: int, seed: int, runner: Runner,
                corpus: list[bytes], keep_dir: Path) -> tuple[Counter, list[tuple[str, str, str]]]:
    rng = random.Random(f"{seed}-{fmt}")
    counts: Counter = Counter()
    problems: list[tuple[str, str, str]] = []
    work = Path(tempfile.mkdtemp(prefix=f"fuzz-{fmt}-"))
    try:
        for i in range(n):
            files = rng.choice(samples)
            case = work / f"case{i % 2}"
            shutil.rmtree(case, ignore_errors=True)
            case.mkdir()
            for f in files:
                shutil.copy(f, case / f.name)
            victim = rng.choice(files) if len(files) > 1 and rng.random() < 0.5 else files[0]
            (case / victim.name).write_bytes(mutate(victim.read_bytes(), rng, corpus))
            outcome, detail = runner.run(case / files[0].name, fmt)
            counts[outcome] += 1
            if outcome not in ("ecg", "typed", "unrecognised"):
                saved = keep_dir / f"{fmt}-{i}"
                shutil.copytree(case, saved, dirs_exist_ok=True)
                problems.append((outcome, str(saved / files[0].name), detail))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return counts, problems


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-format", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per input")
    ap.add_argument("--formats", default="", help="comma-separated subset (default: every format with samples)")
    ap.add_argument("--show-crashes", type=int, default=5, help="crash details printed per format")
    args = ap.parse_args(argv)

    wanted = set(filter(None, args.formats.split(","))) or None
    samples = collect_samples(wanted)
    if not samples:
        print("no sample files found (is ECGCHAT_DATA set?)")
        return 1
    corpus = [files[0].read_bytes()[:200_000] for group in samples.values() for files in group]
    keep_dir = Path(tempfile.mkdtemp(prefix="fuzz-findings-"))
    runner = Runner(args.timeout)
    rows = []
    all_problems = {}
    try:
        for fmt in sorted(samples):
            t0 = time.perf_counter()
            counts, problems = fuzz_format(fmt, samples[fmt], args.per_format, args.seed, runner, corpus, keep_dir)
            rows.append((fmt, len(samples[fmt]), counts, time.perf_counter() - t0))
            all_problems[fmt] = problems
            print(f"  {fmt}: done ({dict(counts)})", file=sys.stderr, flush=True)
    finally:
        runner.close()

    cols = ("ecg", "typed", "unrecognised", "crash", "escaped", "hang", "memory")
    print(f"\nMutation fuzzing, seed {args.seed}, {args.per_format} inputs per format, "
          f"{args.timeout:g} s limit per input, {MEMORY_CAP_BYTES // 1024**3} GiB memory cap\n")
    print("| format | samples | inputs | " + " | ".join(cols) + " | s/input |")
    print("|---|---:|---:|" + "---:|" * len(cols) + "---:|")
    for fmt, n_samples, counts, secs in rows:
        total = sum(counts.values())
        print(f"| {fmt} | {n_samples} | {total} | " + " | ".join(str(counts.get(c, 0)) for c in cols)
              + f" | {secs / max(total, 1):.3f} |")
    bad = sum(len(p) for p in all_problems.values())
    print(f"\nproblems: {bad} (inputs kept under {keep_dir})" if bad else "\nproblems: none")
    for fmt, problems in all_problems.items():
        seen = set()
        shown = 0
        for outcome, path, detail in problems:
            key = (outcome, detail.splitlines()[0] if detail else "")
            if key in seen or shown >= args.show_crashes:
                continue
            seen.add(key)
            shown += 1
            print(f"\n[{fmt}] {outcome}: {path}\n{detail.strip()}")
    if not bad:
        shutil.rmtree(keep_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
