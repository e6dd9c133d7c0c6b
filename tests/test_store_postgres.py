"""The store on a real PostgreSQL server (the multi-workstation option).

The tests start their own throw-away cluster on loopback with initdb/pg_ctl from the
Debian package `postgresql` (as the `postgres` user when run as root: the server refuses
to run as root). Outside CI they skip with a message when no server can be started;
in CI (env CI set) that is a failure.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ecgchat_desktop.store import open_store
from ecgchat_desktop.store.engine import make_engine
from ecgchat_desktop.store.migrate import ensure_schema, head_revision

pytestmark = pytest.mark.postgres

PROJECT = Path(__file__).resolve().parents[1]


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL tests must run in CI: {reason}")
    pytest.skip(f"PostgreSQL server cannot be started here: {reason}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def pg_server():
    """(admin URL template, runner) of a temporary cluster; stopped and removed afterwards."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("the psycopg driver is not installed (pip install -e '.[postgres]')")
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    initdb = bins[-1] if bins else shutil.which("initdb")
    if not initdb:
        _unavailable("initdb not found (Debian package `postgresql`)")
    bindir = Path(initdb).parent
    prefix: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="ecgchat-pg-"))
    if os.geteuid() == 0:
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root, ignore_errors=True)
            _unavailable("running as root and there is no `postgres` user to run the server")
        os.chown(root, pw.pw_uid, pw.pw_gid)
        runuser = shutil.which("runuser")
        prefix = [runuser, "-u", "postgres", "--"] if runuser else ["su", "postgres", "-s", "/bin/sh", "-c"]
        if not runuser:
            shutil.rmtree(root, ignore_errors=True)
            _unavailable("runuser not found")
    data = root / "data"
    port = _free_port()

    def run(*cmd, timeout=120):
        return subprocess.run([*prefix, *map(str, cmd)], capture_output=True, text=True, timeout=timeout)

    res = run(bindir / "initdb", "-D", data, "-U", "ecgchat", "-A", "trust", "-E", "UTF8", "--locale=C",
              "--no-sync")
    if res.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        _unavailable(f"initdb failed: {res.stderr.strip()[-500:]}")
    res = run(bindir / "pg_ctl", "-D", data, "-l", root / "server.log", "-w", "-t", "60",
              "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    if res.returncode != 0:
        log = (root / "server.log").read_text(errors="replace")[-800:] if (root / "server.log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        _unavailable(f"pg_ctl start failed: {res.stderr.strip()[-300:]} {log}")
    try:
        yield f"postgresql+psycopg://ecgchat@127.0.0.1:{port}/{{db}}"
    finally:
        run(bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop", timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture()
def pg_url(pg_server):
    """A fresh, empty database on the temporary server."""
    name = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(pg_server.format(db="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return pg_server.format(db=name)


@pytest.fixture()
def store(pg_url):
    s = open_store(pg_url)
    assert s.backend == "postgresql"
    yield s
    s.close()


# The backend-neutral API tests, run again here against PostgreSQL (this module's `store`).
from tests.test_store_api import (  # noqa: E402
    code_plan,  # noqa: F401 - the fixture the search test takes
    test_chat_sessions_and_messages as test_pg_chat_sessions_and_messages,
    test_confirmation_records_who_when_and_what_changed as test_pg_confirmation,
    test_duplicates_are_recognised_by_content as test_pg_duplicates,
    test_ecg_roundtrip_is_exact_and_survives_deleting_the_source as test_pg_ecg_roundtrip,
    test_findings_roundtrip_as_produced as test_pg_findings_roundtrip,
    test_patient_lists_and_serial_comparison as test_pg_patient_lists,
    test_search_by_name_id_date_and_statement as test_pg_search,
    test_audit_trail_keeps_ids_not_patient_text as test_pg_audit,
    test_unknown_ids_raise_typed_errors as test_pg_unknown_ids,
    test_unnormalised_patient_fields_are_stored_safely as test_pg_unnormalised_patient_fields,
    test_unserialisable_findings_leave_nothing_behind as test_pg_unserialisable_findings,
)


def test_pg_models_match_the_migrated_schema(store):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from ecgchat_desktop.store.models import Base

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_pg_old_database_is_backed_up_in_a_schema_then_upgraded(pg_url):
    engine = make_engine(pg_url)
    ensure_schema(engine, target="0001")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO ecg_records (id, content_hash, source_format, sampling_rate_hz, n_leads, n_samples, "
            "lead_names_json, file_meta_json, imported_at) VALUES (1, 'h1', 'wfdb', 500, 1, 1, '[\"II\"]', '{}', "
            "now())"))
        conn.execute(text(
            "INSERT INTO findings (record_id, program_version, created_at, critical, statements_json, "
            "ecg_info_json, notes_json, measurements_zjson) VALUES (1, '0.0.9', now(), false, "
            "'[{\"code\": \"AFIB\"}]', '{}', '[]', '\\x00')"))
    engine.dispose()
    store = open_store(pg_url)
    try:
        assert store.migration["from"] == "0001" and store.migration["to"] == head_revision()
        schema = store.migration["backup"]
        assert schema.startswith("ecgchat_backup_0001_")
        with store.engine.connect() as conn:
            assert conn.execute(text(f'SELECT count(*) FROM "{schema}".findings')).scalar() == 1
            assert conn.execute(text(f'SELECT version_num FROM "{schema}".alembic_version')).scalar() == "0001"
        assert [e.id for e in store.search(statement_code="AFIB")] == [1]
    finally:
        store.close()


def test_pg_two_workstations_writing_at_once(pg_url, tmp_path):
    from tests.test_store_durability import _WRITER, _env, _start_together
    from tests.store_support import SAMPLE_HEADERS

    open_store(pg_url).close()
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    go = tmp_path / "go"
    n = 8
    procs = [subprocess.Popen([sys.executable, str(script), pg_url, str(SAMPLE_HEADERS[0]), who, str(n), str(go)],
                              cwd=PROJECT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for who in ("a", "b")]
    _start_together(tmp_path, go, procs)
    outs = [p.communicate(timeout=240) for p in procs]
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
    store = open_store(pg_url)
    try:
        counts = store.counts()
        assert counts["ecg_records"] == 2 * n + 1  # the ECG both stored is there once
        assert counts["messages"] == 2 * n
    finally:
        store.close()


def test_pg_import_command(pg_url, tmp_path, capsys):
    import json
    import shutil as sh

    from ecgchat_desktop.cli import main
    from tests.store_support import SAMPLE_HEADERS

    folder = tmp_path / "in"
    folder.mkdir()
    for h in SAMPLE_HEADERS:
        sh.copy2(h, folder / h.name)
        sh.copy2(h.with_suffix(".dat"), folder / h.with_suffix(".dat").name)
    assert main(["import", str(folder), "--db", pg_url, "--json"]) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (first["imported"], first["duplicates"], first["failed"]) == (3, 0, 0)
    assert "@127.0.0.1" in first["database"]
    assert main(["import", str(folder), "--db", pg_url, "--json"]) == 0
    again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (again["imported"], again["duplicates"]) == (0, 3)
