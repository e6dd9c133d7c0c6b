"""Engines and transactions: SQLite pragmas, BEGIN IMMEDIATE for writers, retries.

SQLite allows one writer at a time. Writers here start with BEGIN IMMEDIATE, so the
write lock is taken up front and waited for by SQLite's busy handler (a deferred
transaction that upgrades from read to write can instead fail at once with "database
is locked", which no timeout helps). Should the lock still not come within the busy
timeout, the whole unit of work is retried with exponential backoff and jitter; the
user never sees "database is locked". On PostgreSQL the same loop retries
serialisation failures, deadlocks and unique-key races between workstations.
"""

from __future__ import annotations

import logging
import random
import time
from typing import Callable, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from ecgchat_desktop.store.errors import StoreError

log = logging.getLogger(__name__)

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_S = 15.0
RETRY_TOTAL_S = 180.0        # give up (and say so) only after this long
_BACKOFF_START_S = 0.02
_BACKOFF_MAX_S = 1.0
_UNIQUE_RACE_RETRIES = 5
WRITE_OPTION = "ecgchat_write"


def is_sqlite(engine_or_url) -> bool:
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "sqlite"


def make_engine(url: str, *, foreign_keys: bool = True, pooled: bool = True) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys, FULL sync and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise StoreError("an in-memory SQLite database keeps nothing; give a file path")
        kwargs = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}}
        if not pooled:
            kwargs["poolclass"] = NullPool
        engine = create_engine(parsed, **kwargs)
        _install_sqlite_listeners(engine, foreign_keys)
        return engine
    kwargs = {"pool_pre_ping": True}
    if not pooled:
        kwargs["poolclass"] = NullPool
    return create_engine(parsed, **kwargs)


def _install_sqlite_listeners(engine: Engine, foreign_keys: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let us emit BEGIN ourselves (pysqlite's implicit BEGIN is deferred and late).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        mode = cur.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal":
            cur.execute("PRAGMA journal_mode = WAL")  # persistent: stored in the file
        # FULL: a committed import survives a power cut, not only a crash.
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def write_engine(engine: Engine) -> Engine:
    """The same pool, but transactions begin as writers (BEGIN IMMEDIATE on SQLite)."""
    return engine.execution_options(**{WRITE_OPTION: True})


def _is_lock_error(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text or "database is busy" in text or "database table is locked" in text


def _pg_code(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError) and _is_lock_error(exc):
        return True
    # serialization_failure, deadlock_detected, lock_not_available
    return isinstance(exc, DBAPIError) and _pg_code(exc) in ("40001", "40P01", "55P03")


def _is_unique_race(exc: BaseException) -> bool:
    if not isinstance(exc, IntegrityError):
        return False
    if _pg_code(exc) == "23505":
        return True
    return "unique constraint failed" in str(exc.orig).lower()


class Transactor:
    """Runs units of work `fn(session) -> value` in one transaction each, with retries."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(write_engine(engine), expire_on_commit=False)

    def write(self, fn: Callable[[Session], T]) -> T:
        return self._run(self._write, fn)

    def read(self, fn: Callable[[Session], T]) -> T:
        return self._run(self._read, fn)

    def _run(self, factory, fn):
        deadline = time.monotonic() + RETRY_TOTAL_S
        delay = _BACKOFF_START_S
        unique_races = 0
        while True:
            try:
                with factory() as session:
                    with session.begin():
                        return fn(session)
            except (OperationalError, DBAPIError) as exc:
                if _is_unique_race(exc) and unique_races < _UNIQUE_RACE_RETRIES:
                    # Another workstation inserted the same key first: rerun; the unit of
                    # work then finds the row it was about to create.
                    unique_races += 1
                elif not _is_transient(exc):
                    raise
                elif time.monotonic() > deadline:
                    raise StoreError(
                        f"the database stayed busy for {RETRY_TOTAL_S:.0f} s (another program holds "
                        f"it open for writing); nothing was written") from exc
                log.debug("store: transient %s, retrying in %.2f s", type(exc).__name__, delay)
                time.sleep(delay * random.uniform(0.5, 1.5))
                delay = min(delay * 2, _BACKOFF_MAX_S)
