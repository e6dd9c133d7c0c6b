"""Structure-aware fuzzing of the SCP-ECG decoder: mutations with the CRCs repaired.

Plain mutation fuzzing (benchmarks/fuzz_readers.py) mostly stops at SCP-ECG's record
CRC. Here every mutated record gets correct section and record CRCs again, so the
forged bytes reach the section parsers, the Huffman decoder, the difference decoding,
reference-beat handling and the measurement/statement sections. Mutations: random
bytes (biased to section headers and lead length tables), extreme 16/32-bit values,
truncated or lengthened sections (pointers kept), swapped byte runs.

Outcomes: ecg (decoded), typed (EcgReadError), crash (anything else from scp.read:
a reader bug), hang (over the time limit, SIGALRM).

  nice -n 10 .venv/bin/python benchmarks/fuzz_scp_crc_repaired.py [--inputs 5000] [--seed 1] [--timeout 10]
"""

from __future__ import annotations

import argparse
import binascii
import random
import signal
import struct
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from ecgchat_desktop.io import scp  # noqa: E402
from ecgchat_desktop.io.errors import EcgReadError  # noqa: E402
from ecgchat_desktop.settings import shared_data_dir  # noqa: E402


class _Timeout(Exception):
    pass


def _pointers(record: bytes) -> list[tuple[int, int, int]]:
    s0_len = struct.unpack_from("<I", record, 10)[0]
    out, pos = [], 22
    while pos + 10 <= min(6 + s0_len, len(record)):
        sid, length, index = struct.unpack_from("<HII", record, pos)
        pos += 10
        if length:
            out.append((sid, length, index))
    return out


def repair_crcs(data: bytearray, pointers) -> bytearray:
    for _sid, length, index in pointers:
        start = index - 1
        if 0 <= start and start + length <= len(data) and length >= 2:
            struct.pack_into("<H", data, start, binascii.crc_hqx(bytes(data[start + 2:start + length]), 0xFFFF))
    if len(data) >= 6:
        struct.pack_into("<I", data, 2, len(data))
        struct.pack_into("<H", data, 0, binascii.crc_hqx(bytes(data[2:]), 0xFFFF))
    return data


def mutate(record: bytes, pointers, rng: random.Random) -> bytes:
    data = bytearray(record)
    sid, length, index = rng.choice(pointers)
    start = index - 1
    kind = rng.randrange(5)
    if kind == 0:  # random bytes, mostly in the first 64 bytes of a section (headers, length tables)
        for _ in range(rng.randint(1, 6)):
            span = min(length, 64) if rng.random() < 0.7 else length
            data[start + rng.randrange(span)] = rng.randrange(256)
    elif kind == 1:  # extreme 16- or 32-bit values
        pos = start + 16 + rng.randrange(max(1, min(length - 16, 80)))
        width = rng.choice((2, 4))
        value = rng.choice((0, 1, 0x7FFF, 0x8000, 0xFFFF, 29999)) if width == 2 else rng.choice(
            (0, 1, 0x7FFFFFFF, 0xFFFFFFFF, 10**6))
        if pos + width <= len(data):
            data[pos:pos + width] = value.to_bytes(width, "little")
    elif kind == 2:  # cut the end of the record
        del data[rng.randrange(6 + 16, len(data)):]
    elif kind == 3:  # append garbage
        data += bytes(rng.randrange(256) for _ in range(rng.randint(1, 300)))
    else:  # copy a run of bytes from elsewhere in the record
        src, dst, n = rng.randrange(len(data)), start + rng.randrange(length), rng.randint(2, 32)
        data[dst:dst + n] = data[src:src + n]
    return bytes(repair_crcs(data, pointers))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inputs", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=int, default=10)
    args = parser.parse_args()

    samples = sorted((shared_data_dir() / "formats" / "scp-ecg").glob("*.scp"))
    # Records written to the standard by the tests add reference-beat subtraction and
    # uncompressed data, which the shared example does not use.
    from scp_fixture import build_scp
    import numpy as np

    rng_np = np.random.default_rng(args.seed)
    rhythm = np.cumsum(rng_np.integers(-20, 21, size=(4, 1500)), axis=1)
    reference = np.cumsum(rng_np.integers(-20, 21, size=(4, 300)), axis=1)
    written = {
        "written-subtracted.scp": build_scp(rhythm, ("I", "II", "V1", "V2"), reference=reference, fiducial=100,
                                            zones=[(0, 150, 250, 449), (0, 850, 950, 1149)]),
        "written-uncompressed.scp": build_scp(rhythm, ("I", "II", "V1", "V2"), huffman=False, difference_mode=1),
        "written-bimodal.scp": build_scp(rhythm, ("I", "II", "V1", "V2"), reference=reference, fiducial=100,
                                         zones=[(0, 150, 250, 449), (0, 850, 950, 1149)], decimation=4,
                                         protected=[(230, 270), (930, 970)]),
    }
    records = {p.name: p.read_bytes() for p in samples} | written
    if not samples:
        print("shared SCP-ECG sample not found; fuzzing the written records only")

    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="fuzz-scp-"))
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(_Timeout()))
    rows = []
    crashes: dict[str, str] = {}
    per_record = max(1, args.inputs // len(records))
    for name, record in records.items():
        pointers = _pointers(record)
        counts: Counter = Counter()
        started = time.perf_counter()
        for i in range(per_record):
            path = tmp / f"{i}.scp"
            path.write_bytes(mutate(record, pointers, rng))
            signal.alarm(args.timeout)
            try:
                scp.read(path)
                counts["ecg"] += 1
            except EcgReadError:
                counts["typed"] += 1
            except _Timeout:
                counts["hang"] += 1
            except Exception as exc:  # noqa: BLE001 - the point is to find these
                counts["crash"] += 1
                crashes.setdefault(f"{type(exc).__name__}: {exc}"[:120], traceback.format_exc(limit=-3))
            finally:
                signal.alarm(0)
            path.unlink()
        rows.append((name, per_record, counts, (time.perf_counter() - started) / per_record))

    print(f"\nSCP-ECG fuzzing with repaired CRCs, seed {args.seed}, {args.timeout} s limit per input\n")
    print("| record | inputs | ecg | typed | crash | hang | s/input |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, n, c, s in rows:
        print(f"| {name} | {n} | {c['ecg']} | {c['typed']} | {c['crash']} | {c['hang']} | {s:.4f} |")
    for key, trace in list(crashes.items())[:5]:
        print(f"\nCRASH {key}\n{trace}")
    problems = sum(c["crash"] + c["hang"] for _, _, c, _ in rows)
    print(f"\nproblems: {problems or 'none'}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
