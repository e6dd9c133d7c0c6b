"""Alembic migrations: the models match the migrated schema, an old database with data is
upgraded after a backup copy, and databases we must not touch are refused unchanged."""

from __future__ import annotations

import json
import sqlite3
import zlib

import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ecgchat_desktop.store import DatabaseTooNewError, StoreError, open_store
from ecgchat_desktop.store.engine import make_engine
from ecgchat_desktop.store.migrate import ensure_schema, head_revision
from ecgchat_desktop.store.models import Base
from ecgchat_desktop.store.signal_codec import content_hash, encode_signal
from tests.store_support import findings_for, sample_ecgs


def test_models_match_the_migrated_schema(tmp_path):
    store = open_store(tmp_path / "fresh.sqlite3")
    try:
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert diff == []
    finally:
        store.close()


def _insert_rev1_data(db_path, ecg, findings):
    """Rows written the way a program at revision 0001 wrote them (raw SQL on that schema)."""
    enc = encode_signal(ecg.signals_mv)
    f = findings.to_dict()
    con = sqlite3.connect(db_path)
    try:
        con.execute("INSERT INTO patients (id, external_id, name, name_folded, sex, created_at) "
                    "VALUES (1, 'P-1', 'Old Patient', 'old patient', 'M', '2024-01-01 00:00:00')")
        con.execute(
            "INSERT INTO ecg_records (id, patient_id, content_hash, source_path, source_format, acquired_at, "
            "sampling_rate_hz, n_leads, n_samples, lead_names_json, file_meta_json, imported_at, imported_by) "
            "VALUES (1, 1, ?, '/old/path.hea', 'wfdb', '2023-05-06 07:08:09', ?, ?, ?, ?, ?, "
            "'2024-01-01 00:00:00', 'old-user')",
            (content_hash(ecg), ecg.sampling_rate_hz, ecg.n_leads, ecg.n_samples,
             json.dumps(list(ecg.lead_names)), json.dumps({"patient": {"id": "P-1"}})))
        con.execute("INSERT INTO ecg_signals (record_id, codec, scale_mv, data, sha256) VALUES (1, ?, ?, ?, ?)",
                    (enc.codec, enc.scale_mv, enc.data, enc.sha256))
        con.execute(
            "INSERT INTO findings (id, record_id, program_version, created_at, critical, hr_bpm, statements_json, "
            "ecg_info_json, notes_json, measurements_zjson) VALUES (1, 1, '0.0.9', '2024-01-01 00:00:00', 0, "
            "NULL, ?, ?, '[]', ?)",
            (json.dumps(f["statements"]), json.dumps(f["ecg_info"]),
             zlib.compress(json.dumps(f["measurements"]).encode())))
        con.commit()
    finally:
        con.close()


def test_old_database_with_data_is_backed_up_then_upgraded(tmp_path):
    db = tmp_path / "a folder with spaces" / "ecgchat.sqlite3"
    db.parent.mkdir()
    engine = make_engine(f"sqlite:///{db}")
    ensure_schema(engine, target="0001")
    engine.dispose()
    ecg = sample_ecgs()[0]
    _insert_rev1_data(db, ecg, findings_for(ecg, ("AFIB", "LVH")))

    store = open_store(db)
    try:
        assert store.migration["from"] == "0001" and store.migration["to"] == head_revision()
        backup = store.migration["backup"]
        assert backup and backup.endswith(".sqlite3") and "backup-0001" in backup
        # The backup is a whole, self-contained copy at the old revision.
        con = sqlite3.connect(backup)
        try:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0001"
            assert con.execute("SELECT count(*) FROM ecg_signals").fetchone()[0] == 1
        finally:
            con.close()
        # The old data is usable through the new schema, including the new search index.
        assert [e.id for e in store.search(statement_code="AFIB")] == [1]
        assert store.get_ecg(1).statement_codes == ("AFIB", "LVH")
        assert np.array_equal(store.load_ecg(1).signals_mv, ecg.signals_mv)
        assert store.latest_findings(1).program_version == "0.0.9"
        assert [p.name for p in store.list_patients()] == ["Old Patient"]
    finally:
        store.close()
    # Opening again: already current, no second backup.
    again = open_store(db)
    try:
        assert again.migration["backup"] is None
    finally:
        again.close()
    assert len(list(db.parent.glob("*.backup-*"))) == 1


def test_upgrade_can_be_refused(tmp_path):
    db = tmp_path / "old.sqlite3"
    engine = make_engine(f"sqlite:///{db}")
    ensure_schema(engine, target="0001")
    engine.dispose()
    with pytest.raises(StoreError, match="needs"):
        open_store(db, upgrade=False)


def test_database_from_a_newer_program_is_not_touched(tmp_path):
    db = tmp_path / "new.sqlite3"
    open_store(db).close()
    con = sqlite3.connect(db)
    con.execute("UPDATE alembic_version SET version_num = '9999'")
    con.commit()
    con.close()
    with pytest.raises(DatabaseTooNewError, match="9999"):
        open_store(db)
    con = sqlite3.connect(db)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "9999"
    con.close()
    assert not list(tmp_path.glob("*.backup-*"))


def test_foreign_database_is_refused(tmp_path):
    db = tmp_path / "other.sqlite3"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT)")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="refusing"):
        open_store(db)
    con = sqlite3.connect(db)
    assert [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")] == ["accounts"]
    con.close()


def test_revisions_downgrade_and_upgrade_again(tmp_path):
    from alembic import command
    from sqlalchemy import inspect

    from ecgchat_desktop.store.migrate import alembic_config

    db = tmp_path / "roundtrip.sqlite3"
    open_store(db).close()
    engine = make_engine(f"sqlite:///{db}", foreign_keys=False)
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0001")
        with engine.connect() as conn:
            assert "ecg_statement_codes" not in inspect(conn).get_table_names()
            assert MigrationContext.configure(conn).get_current_revision() == "0001"
    finally:
        engine.dispose()
    store = open_store(db)
    try:
        assert store.migration["from"] == "0001" and store.migration["to"] == head_revision()
    finally:
        store.close()
