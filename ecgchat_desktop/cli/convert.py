"""`ecgchat convert PATH -o OUT`: write an ECG as CSV (.csv), WFDB (.hea + .dat) or DICOM (.dcm)."""

from __future__ import annotations

from pathlib import Path

from ecgchat_desktop.io import read_ecg, write_ecg
from ecgchat_desktop.io.errors import EcgWriteError
from ecgchat_desktop.io.writers import _WRITERS


def register(sub) -> None:
    p = sub.add_parser("convert", help="convert an ECG file to CSV, WFDB or DICOM (format from the -o extension)")
    p.add_argument("path", help="ECG file to read (any format `ecgchat info` reads)")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="output file: .csv (time + leads in mV), .hea (WFDB, also writes .dat), .dcm (DICOM)")
    p.set_defaults(func=run)


def run(args) -> int:
    out = Path(args.output)
    # Check the destination before reading, so a typo costs nothing.
    if out.suffix.lower() not in _WRITERS:
        raise EcgWriteError(out, f"unknown output extension {out.suffix!r} (use .csv, .hea or .dcm)")
    if not (out.parent if str(out.parent) else Path(".")).is_dir():
        raise EcgWriteError(out, f"folder {out.parent} does not exist")
    ecg = read_ecg(args.path)
    written = write_ecg(ecg, out)
    print(f"wrote {written} ({ecg.n_leads} leads, {ecg.sampling_rate_hz:g} Hz, {ecg.duration_s:.2f} s)")
    return 0
