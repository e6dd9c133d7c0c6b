"""Typed errors of the readers. Every message names the file and what is wrong."""

from __future__ import annotations


class EcgReadError(Exception):
    """Base class: a file could not be turned into a valid `Ecg`."""

    def __init__(self, path, problem: str):
        self.path = str(path) if path is not None else "<memory>"
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class UnsupportedFormatError(EcgReadError):
    """The content is not any ECG format we read."""


class CorruptFileError(EcgReadError):
    """The file claims a known format but its content is broken or truncated."""


class MissingDataFileError(EcgReadError):
    """A header refers to a data file that does not exist."""


class ImplausibleContentError(EcgReadError):
    """The file decodes but the content cannot be a real ECG (NaN-only leads, rate 0, ...)."""


class EcgWriteError(Exception):
    """A recording could not be written; nothing half-written is left behind."""

    def __init__(self, path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
