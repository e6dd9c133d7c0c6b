"""Format detection from content, and the single entry point `read_ecg`."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from ecgchat_desktop.io.errors import (
    CorruptFileError,
    EcgReadError,
    ImplausibleContentError,
    UnsupportedFormatError,
)

# Order matters: the most specific signatures first. Text-based sniffers (WFDB
# header, CSV) come last because almost anything decodes as text.
_READER_MODULES: tuple[str, ...] = (
    "dicom",
    "scp",
    "hl7_aecg",
    "philips_xml",
    "ge_muse_xml",
    "edf_reader",
    "wfdb_reader",
    "csv_reader",
)

HEAD_BYTES = 4096


def _reader_modules() -> list[ModuleType]:
    modules = []
    for name in _READER_MODULES:
        full = f"ecgchat_desktop.io.{name}"
        try:
            modules.append(importlib.import_module(full))
        except ModuleNotFoundError as exc:
            # Only tolerate a reader that is not part of this build; any other
            # missing import is a real bug and must surface.
            if exc.name != full:
                raise
    return modules


def detect_format(path: str | Path) -> str:
    """Name of the format of the file at `path` (content first, extension as a hint)."""
    return _detect(Path(path)).FORMAT


def _detect(path: Path) -> ModuleType:
    if not path.exists():
        raise EcgReadError(path, "file does not exist")
    if path.is_dir():
        raise UnsupportedFormatError(path, "is a folder, not an ECG file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        raise EcgReadError(path, f"cannot be opened ({exc.strerror or exc})") from None
    if not head:
        raise CorruptFileError(path, "file is empty")
    for module in _reader_modules():
        try:
            if module.sniff(path, head):
                return module
        except Exception:  # a sniffer must never decide the outcome by crashing
            continue
    raise UnsupportedFormatError(
        path, "not a recognised ECG format (WFDB, DICOM, HL7 aECG, SCP-ECG, Philips XML, GE MUSE XML, EDF, CSV)")


def read_ecg(path: str | Path):
    """Read any supported ECG file into an `Ecg` (mV). Raises `EcgReadError` subclasses only."""
    path = Path(path)
    module = _detect(path)
    try:
        return module.read(path)
    except EcgReadError:
        raise
    except MemoryError:
        raise ImplausibleContentError(path, "declared size is too large to be an ECG") from None
    except RecursionError:
        raise CorruptFileError(path, "nesting too deep") from None
    except Exception as exc:  # last line of defence: never leak an unrelated exception
        raise CorruptFileError(path, f"cannot be decoded as {module.FORMAT}: {type(exc).__name__}: {exc}") from None
