"""Reading and writing ECG files. `read_ecg(path)` detects the format from content.

Each reader is a module of this package with:
    FORMAT: str                               the name printed by `ecgchat info`
    sniff(path: Path, head: bytes) -> bool    True if the content is this format
    read(path: Path) -> Ecg                   raises only `EcgReadError` subclasses
"""

from __future__ import annotations

from ecgchat_desktop.io.errors import (
    CorruptFileError,
    EcgReadError,
    EcgWriteError,
    ImplausibleContentError,
    MissingDataFileError,
    UnsupportedFormatError,
)
from ecgchat_desktop.io.detect import detect_format, read_ecg
from ecgchat_desktop.io.writers import write_ecg

__all__ = [
    "read_ecg",
    "detect_format",
    "write_ecg",
    "EcgReadError",
    "EcgWriteError",
    "UnsupportedFormatError",
    "CorruptFileError",
    "MissingDataFileError",
    "ImplausibleContentError",
]
