"""Write files so that nothing half-written is ever left under the final name.

Each writer produces its files inside a private temporary folder created in the
destination folder (same file system), then moves them into place with
`os.replace`, which is atomic. On any failure the temporary folder is removed
and an `EcgWriteError` naming the destination is raised.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ecgchat_desktop.io.errors import EcgWriteError


def destination_folder(path: Path) -> Path:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise EcgWriteError(path, f"folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise EcgWriteError(path, f"folder {folder} is not writable")
    if path.is_dir():
        raise EcgWriteError(path, "is a folder")
    return folder


@contextmanager
def staging(path: Path) -> Iterator[Path]:
    """A temporary folder beside `path`; files written there are moved with `commit`."""
    folder = destination_folder(path)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=".ecgchat-write-", dir=folder))
    except OSError as exc:
        raise EcgWriteError(path, f"cannot write in {folder} ({exc.strerror or exc})") from None
    try:
        yield tmp
    except EcgWriteError:
        raise
    except OSError as exc:
        raise EcgWriteError(path, f"cannot be written ({exc.strerror or exc})") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def commit(staged: Path, final: Path, target: Path) -> None:
    """Move one staged file to its final name (atomic on one file system)."""
    try:
        os.replace(staged, final)
    except OSError as exc:
        raise EcgWriteError(target, f"cannot be written ({exc.strerror or exc})") from None
