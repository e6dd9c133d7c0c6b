"""Schema creation and upgrades with Alembic, run programmatically on open.

An older database is upgraded only after a backup copy is taken:
- SQLite: the online backup API copies the file (consistent even with WAL) to
  `<name>.backup-<revision>-<UTC time>.sqlite3` beside it, written under a temporary
  name and renamed when complete.
- PostgreSQL: every table is copied into a schema `ecgchat_backup_<revision>_<time>`
  inside the same transaction as the upgrade (transactional DDL: all or nothing).
- Other backends: refused unless ECGCHAT_DB_UPGRADE_WITHOUT_BACKUP=1 says an
  administrator has taken a backup.
The whole check-backup-upgrade runs under one lock (SQLite: BEGIN IMMEDIATE; PostgreSQL:
an advisory lock), so two programs opening an old or empty database at once upgrade it
exactly once.
"""

from __future__ import annotations

import os
from urllib.parse import quote
from datetime import datetime, timezone
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from ecgchat_desktop.store.engine import is_sqlite, make_engine, write_engine
from ecgchat_desktop.store.errors import DatabaseTooNewError, MigrationError, StoreError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_PG_LOCK_KEY = 0x45434743  # "ECGC": the advisory lock of schema upgrades


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    return script_directory().get_current_head()


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def _known(rev: str | None) -> bool:
    if rev is None:
        return True
    try:
        return script_directory().get_revision(rev) is not None
    except Exception:
        return False


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def backup_sqlite(db_path: Path, revision: str) -> Path:
    """Copy the database with SQLite's backup API; returns the backup's path.

    Called while the migrating connection holds the write lock (BEGIN IMMEDIATE) but has
    written nothing: a second, read-only connection then copies exactly the pre-upgrade
    state (WAL lets it read; the backup API cannot read through a connection that is
    itself inside a write transaction - it would wait forever)."""
    import sqlite3

    target = db_path.with_name(f"{db_path.stem}.backup-{revision}-{_stamp()}.sqlite3")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{quote(str(db_path))}?mode=ro", uri=True, timeout=30)
    dest = sqlite3.connect(partial)
    try:
        source.backup(dest)
        dest.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
    finally:
        dest.close()
        source.close()
    with open(partial, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(partial, target)
    return target


def _backup_postgres(conn: Connection, revision: str) -> str:
    schema = f"ecgchat_backup_{revision}_{_stamp()}".lower()
    conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    for table in inspect(conn).get_table_names():
        conn.exec_driver_sql(f'CREATE TABLE "{schema}"."{table}" AS TABLE "{table}"')
    return schema


def ensure_schema(engine: Engine, target: str = "head") -> dict:
    """Create or upgrade the schema to `target`. Returns {"from", "to", "backup"}."""
    head = head_revision() if target == "head" else target
    with engine.connect() as conn:  # fast path: already current, no lock taken
        rev = current_revision(conn)
        conn.rollback()
    if rev == head:
        return {"from": rev, "to": rev, "backup": None}
    if not _known(rev):
        raise DatabaseTooNewError(
            f"the database has schema revision {rev!r}, unknown to this program version "
            f"(written by a newer version?); not opened")

    sqlite = is_sqlite(engine)
    # SQLite: foreign keys off while migrating (batch migrations recreate tables, which
    # with foreign keys on would cascade-delete), checked with foreign_key_check at the end.
    mig_engine = make_engine(engine.url.render_as_string(hide_password=False),
                             foreign_keys=not sqlite, pooled=False)
    try:
        with write_engine(mig_engine).connect() as conn:
            with conn.begin():
                if not sqlite and conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
                rev = current_revision(conn)  # again, under the lock
                if rev == head:
                    return {"from": rev, "to": rev, "backup": None}
                if not _known(rev):
                    raise DatabaseTooNewError(f"the database has unknown schema revision {rev!r}")
                backup = None
                if rev is None:
                    if inspect(conn).get_table_names():
                        raise StoreError(
                            "the database already holds tables but none of ECG-Chat's schema "
                            "(alembic_version missing); refusing to write into it")
                elif sqlite:
                    backup = str(backup_sqlite(Path(engine.url.database), rev))
                elif conn.dialect.name == "postgresql":
                    backup = _backup_postgres(conn, rev)
                elif os.environ.get("ECGCHAT_DB_UPGRADE_WITHOUT_BACKUP") != "1":
                    raise MigrationError(
                        f"the database needs a schema upgrade from {rev} but this program cannot "
                        f"back up a {conn.dialect.name} database; back it up, then set "
                        f"ECGCHAT_DB_UPGRADE_WITHOUT_BACKUP=1")
                try:
                    command.upgrade(alembic_config(conn), target)
                except StoreError:
                    raise
                except Exception as exc:
                    raise MigrationError(f"schema upgrade from {rev} to {head} failed "
                                         f"(database unchanged): {exc}") from exc
                if sqlite:
                    bad = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if bad:
                        raise MigrationError(f"schema upgrade left {len(bad)} broken references; "
                                             f"rolled back (database unchanged)")
                return {"from": rev, "to": current_revision(conn), "backup": backup}
    finally:
        mig_engine.dispose()
