"""Reading speed of `read_ecg` against the plain libraries, on the same files in the same run.

Main row: a 10 s 12-lead 500 Hz PTB-XL record, `read_ecg` (detection, header checks,
unit conversion, Ecg construction) against `wfdb.rdrecord`. Extra rows: the DICOM
example against pydicom's `dcmread` + `waveform_array`, and a CSV against numpy's
`loadtxt`. Timings are medians over interleaved repetitions; the ratio is what
matters (this machine is shared and noisy).

Usage: nice -n 10 .venv/bin/python benchmarks/io_speed.py [--repeats 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pydicom  # noqa: E402
import wfdb  # noqa: E402

from ecgchat_desktop.io import read_ecg, write_ecg  # noqa: E402
from ecgchat_desktop.settings import SAMPLES_DIR, shared_data_dir  # noqa: E402


def _median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000.0


def _pair(ours, baseline, repeats: int) -> tuple[float, float]:
    ours(), baseline()  # warm caches and imports
    a, b = [], []
    for _ in range(repeats):  # interleaved so that load changes hit both alike
        a.append(_median_ms(ours, 1))
        b.append(_median_ms(baseline, 1))
    return statistics.median(a), statistics.median(b)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=50)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")

    hea = shared_data_dir() / "ptb-xl" / "records500" / "00000" / "00001_hr.hea"
    if not hea.is_file():
        hea = SAMPLES_DIR / "ptbxl-00001" / "00001_hr.hea"
    dcm = SAMPLES_DIR / "dicom" / "ecgtoolkit-example.dcm"
    tmp = Path(tempfile.mkdtemp(prefix="io-speed-"))
    csv_path = write_ecg(read_ecg(hea), tmp / "ptbxl.csv")

    def dicom_baseline():
        ds = pydicom.dcmread(str(dcm))
        return ds.waveform_array(0)

    def dicom_same_content():
        """pydicom touching what read_ecg uses: both groups, channel definitions, annotations."""
        ds = pydicom.dcmread(str(dcm))
        arrays = [ds.waveform_array(i) for i in range(len(ds.WaveformSequence))]
        for group in ds.WaveformSequence:
            for ch in group.ChannelDefinitionSequence:
                ch.ChannelSourceSequence[0].CodeMeaning, ch.ChannelSensitivityUnitsSequence[0].CodeValue
        for item in ds.WaveformAnnotationSequence:
            for seq in ("ConceptNameCodeSequence", "MeasurementUnitsCodeSequence", "ConceptCodeSequence"):
                if seq in item:
                    item[seq].value[0].get("CodeValue")
            item.get("NumericValue"), item.get("UnformattedTextValue")
        return arrays

    rows = [
        ("PTB-XL 00001_hr (WFDB 16, 12 x 5000)", "wfdb.rdrecord",
         *_pair(lambda: read_ecg(hea), lambda: wfdb.rdrecord(str(hea.with_suffix(""))), args.repeats)),
        ("ECG Toolkit example (DICOM, 12 x 5000 + medians)", "pydicom dcmread + waveform_array",
         *_pair(lambda: read_ecg(dcm), dicom_baseline, args.repeats)),
        ("ECG Toolkit example (DICOM, same elements touched)", "pydicom, all groups + channels + annotations",
         *_pair(lambda: read_ecg(dcm), dicom_same_content, args.repeats)),
        ("PTB-XL 00001_hr as CSV (13 columns x 5000)", "numpy.loadtxt",
         *_pair(lambda: read_ecg(csv_path), lambda: np.loadtxt(csv_path, delimiter=",", skiprows=1),
                args.repeats)),
    ]
    print(f"\nread_ecg against the plain library, median of {args.repeats} interleaved runs\n")
    print("| file | baseline | read_ecg ms | baseline ms | ratio |")
    print("|---|---|---:|---:|---:|")
    for name, base, ours_ms, base_ms in rows:
        print(f"| {name} | {base} | {ours_ms:.2f} | {base_ms:.2f} | {ours_ms / base_ms:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
