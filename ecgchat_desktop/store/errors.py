"""Typed errors of the store. Messages name the database (never its password) and the problem."""

from __future__ import annotations


class StoreError(Exception):
    """Base class of everything the store raises on purpose."""


class RecordNotFoundError(StoreError, KeyError):
    """No row with that id (ECG record, chat session, report ...)."""

    def __init__(self, kind: str, ident):
        self.kind = kind
        self.ident = ident
        super().__init__(f"no {kind} with id {ident!r} in the database")

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.args[0]


class DatabaseTooNewError(StoreError):
    """The database was written by a newer program version (unknown schema revision)."""


class MigrationError(StoreError):
    """Upgrading the schema (or backing up before it) failed; the database is unchanged."""


class CorruptRecordError(StoreError):
    """A stored signal or report no longer matches its recorded checksum."""
