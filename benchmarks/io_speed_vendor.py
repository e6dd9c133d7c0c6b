"""Read speed of the vendor/XML readers (HL7 aECG, SCP-ECG, Philips XML, GE MUSE XML).

Each row times `read_ecg` on one file against a baseline in the same process:
  Philips XML     sierraecg.read_file (the MIT reference decoder of the same file)
  HL7 aECG / MUSE defusedxml parse of the same file (our reading on top of bare XML parsing)
  SCP-ECG         pydicom dcmread + waveform_array of the same ECG stored as DICOM
Times are the median of repeated runs; the ratio is ours / baseline (lower is faster).

  nice -n 10 .venv/bin/python benchmarks/io_speed_vendor.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ecgchat_desktop.io import read_ecg  # noqa: E402
from ecgchat_desktop.settings import shared_data_dir  # noqa: E402


def _median_ms(fn, repeat: int) -> float:
    fn()  # warm caches and imports
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    data = shared_data_dir() / "formats"
    import defusedxml.ElementTree as SafeET
    import pydicom
    import sierraecg

    def xml_parse(path):
        return lambda: SafeET.parse(str(path))

    dicom = data / "dicom" / "ecgtoolkit-example.dcm"
    cases = [
        ("hl7-aecg", data / "hl7-aecg" / "ecgtoolkit-example.xml", "defusedxml parse", None),
        ("scp-ecg", data / "scp-ecg" / "ecgtoolkit-example.scp", "pydicom, same ECG as DICOM",
         lambda: pydicom.dcmread(dicom).waveform_array(0)),
        ("philips-xml", data / "philips-xml" / "sierra-1.03.xml", "sierraecg.read_file", None),
        ("philips-xml", data / "philips-xml" / "sierra-1.04.xml", "sierraecg.read_file", None),
        ("ge-muse-xml", ROOT / "tests" / "data" / "ge-muse" / "ptbxl-00001-muse.xml", "defusedxml parse", None),
    ]
    print(f"\nRead speed, median of {args.repeat} runs\n")
    print("| format | file | leads x samples | read_ecg ms | baseline | baseline ms | ratio |")
    print("|---|---|---|---:|---|---:|---:|")
    for fmt, path, label, baseline in cases:
        if baseline is None:
            baseline = (lambda p=path: sierraecg.read_file(str(p))) if fmt == "philips-xml" else xml_parse(path)
        ecg = read_ecg(path)
        ours = _median_ms(lambda p=path: read_ecg(p), args.repeat)
        base = _median_ms(baseline, args.repeat)
        print(f"| {fmt} | {path.name} | {ecg.n_leads} x {ecg.n_samples} | {ours:.1f} | {label} | {base:.1f} | "
              f"{ours / base:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
