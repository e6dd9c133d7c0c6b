"""Writers: the output format follows the file extension (.csv, .hea, .dcm)."""

from __future__ import annotations

import importlib
from pathlib import Path

from ecgchat_desktop.io.errors import EcgWriteError

_WRITERS = {
    ".csv": "ecgchat_desktop.io.csv_writer",
    ".hea": "ecgchat_desktop.io.wfdb_writer",
    ".dcm": "ecgchat_desktop.io.dicom_writer",
}


def write_ecg(ecg, path: str | Path) -> Path:
    """Write `ecg` to `path`; the format comes from the extension. Returns the main file's path."""
    path = Path(path)
    module_name = _WRITERS.get(path.suffix.lower())
    if module_name is None:
        raise EcgWriteError(path, f"unknown output extension {path.suffix!r} (use .csv, .hea or .dcm)")
    return importlib.import_module(module_name).write(ecg, path)
