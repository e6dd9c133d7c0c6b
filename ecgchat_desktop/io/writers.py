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
    module = importlib.import_module(module_name)
    try:
        return module.write(ecg, path)
    except EcgWriteError:
        raise
    except MemoryError:
        raise EcgWriteError(path, "not enough memory to write this recording") from None
    except Exception as exc:  # last line of defence: a writer bug must not leak as a traceback
        raise EcgWriteError(path, f"cannot be written ({type(exc).__name__}: {exc})") from None
