"""Durability on a real SQLite file: SIGKILL in the middle of imports, and two processes
writing at once. Child processes are real `ecgchat import` runs / real store writers."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from ecgchat_desktop.store import open_store
from tests.store_support import SAMPLE_HEADERS

PROJECT = Path(__file__).resolve().parents[1]
N_CRASH_FILES = 12
CRASH_RUNS = 3


def _env(**extra) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(PROJECT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


@pytest.fixture()
def ptbxl_copies(data_dir, tmp_path) -> Path:
    """Real PTB-XL records copied into a folder of their own (header and data file)."""
    src = data_dir / "ptb-xl" / "records500" / "00000"
    headers = sorted(src.glob("*_hr.hea"))[:N_CRASH_FILES]
    if len(headers) < N_CRASH_FILES:
        pytest.skip(f"need {N_CRASH_FILES} PTB-XL records in {src}")
    dest = tmp_path / "incoming"
    dest.mkdir()
    for h in headers:
        shutil.copy2(h, dest / h.name)
        shutil.copy2(h.with_suffix(".dat"), dest / h.with_suffix(".dat").name)
    return dest


def _check_database_whole(db: Path, reported_ids: set[int]) -> None:
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        # No partial rows: every record has its signal, its findings and its audit event;
        # nothing hangs off a record that is not there.
        assert con.execute("SELECT count(*) FROM ecg_records r WHERE NOT EXISTS "
                           "(SELECT 1 FROM ecg_signals s WHERE s.record_id = r.id)").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM ecg_records r WHERE NOT EXISTS "
                           "(SELECT 1 FROM findings f WHERE f.record_id = r.id)").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM ecg_records r WHERE NOT EXISTS (SELECT 1 FROM audit_events a "
                           "WHERE a.record_id = r.id AND a.action = 'ecg.import')").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM ecg_signals s WHERE NOT EXISTS "
                           "(SELECT 1 FROM ecg_records r WHERE r.id = s.record_id)").fetchone()[0] == 0
        stored = {r for (r,) in con.execute("SELECT id FROM ecg_records")}
    finally:
        con.close()
    assert reported_ids <= stored, f"reported imported but missing: {sorted(reported_ids - stored)}"
    store = open_store(db)
    try:
        for rid in stored:
            ecg = store.load_ecg(rid)  # decodes and verifies the checksum
            assert ecg.n_leads == 12 and np.isfinite(ecg.signals_mv).all()
            assert store.latest_findings(rid) is not None
    finally:
        store.close()


def test_import_killed_at_random_moments_leaves_a_whole_database(ptbxl_copies, tmp_path):
    db = tmp_path / "crash.sqlite3"
    rng = random.Random(20261129)
    reported: set[int] = set()
    kills = 0
    for run in range(CRASH_RUNS):
        proc = subprocess.Popen(
            [sys.executable, "-m", "ecgchat_desktop", "import", str(ptbxl_copies), "--db", str(db)],
            cwd=tmp_path, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        lines: list[str] = []
        # Kill after a random number of ECGs of this run were stored, at a random point of
        # the next one (reading, analysing or storing it): mid-import on fast and slow machines.
        kill_after = rng.randint(1, 2)
        reached = threading.Event()

        def pump():
            for line in proc.stderr:
                lines.append(line)
                if sum("] imported" in ln for ln in lines) >= kill_after:
                    reached.set()
            reached.set()

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        reached.wait(120)
        time.sleep(rng.uniform(0.0, 0.25))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(60)
        reader.join(10)
        for line in lines:
            if "] imported" in line:
                reported.add(int(line.rsplit("#", 1)[1]))
        assert not any("Traceback" in ln for ln in lines), "".join(lines)
        _check_database_whole(db, reported)
    assert kills == CRASH_RUNS, "an import ended before it could be killed; the test proves nothing"
    # A final uninterrupted run completes the set: every file exactly once.
    done = subprocess.run([sys.executable, "-m", "ecgchat_desktop", "import", str(ptbxl_copies),
                           "--db", str(db), "--json"], cwd=tmp_path, env=_env(), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    _check_database_whole(db, reported)
    con = sqlite3.connect(db)
    try:
        assert con.execute("SELECT count(*) FROM ecg_records").fetchone()[0] == N_CRASH_FILES
    finally:
        con.close()


_WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from ecgchat_desktop.io import read_ecg
    from ecgchat_desktop.store import open_store
    from tests.store_support import findings_for

    db, header, who, n, go = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), Path(sys.argv[5])
    base = read_ecg(header)
    findings = findings_for(base)
    offset = 0 if who == "a" else 1
    # Distinct recordings per writer (cut one sample apart), and one that both store.
    work = [base.with_changes(signals_mv=base.signals_mv[:, 2 * i + offset:2 * i + offset + 4000])
            for i in range(n)]
    shared = base.with_changes(signals_mv=base.signals_mv[:, 700:4700])
    store = open_store(db)
    (go.parent / ("ready-" + who)).touch()
    while not go.exists():
        time.sleep(0.005)
    ids = []
    for i, ecg in enumerate(work):
        rid, new = store.add_ecg(ecg, findings, user=who)
        assert new
        ids.append(rid)
        sid = store.start_chat(rid, "model-" + who, user=who)
        store.add_message(sid, "user", f"question {i}")
        store.audit(who, "ecg.open", rid)
        if i == n // 2:
            store.add_ecg(shared, findings, user=who)
    print(" ".join(map(str, ids)))
""")


def _start_together(folder: Path, go: Path, procs) -> None:
    """Release both writers at once, when both have started and opened the store."""
    deadline = time.monotonic() + 180
    while not all((folder / f"ready-{w}").exists() for w in ("a", "b")):
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            break  # a writer died early: its exit status tells why
        time.sleep(0.02)
    go.touch()


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    db = tmp_path / "shared.sqlite3"
    open_store(db).close()
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    go = tmp_path / "go"
    n = 25
    procs = [subprocess.Popen([sys.executable, str(script), str(db), str(SAMPLE_HEADERS[0]), who, str(n), str(go)],
                              cwd=PROJECT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for who in ("a", "b")]
    _start_together(tmp_path, go, procs)
    outs = [p.communicate(timeout=240) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
        assert "locked" not in err.lower() and "busy" not in err.lower()
    ids = [set(map(int, out.split())) for out, _ in outs]
    assert len(ids[0]) == len(ids[1]) == n and not ids[0] & ids[1]
    store = open_store(db)
    try:
        counts = store.counts()
        assert counts["ecg_records"] == 2 * n + 1          # the shared ECG stored once
        assert counts["chat_sessions"] == counts["messages"] == 2 * n
        assert len([e for e in store.audit_events(limit=10_000) if e.action == "ecg.open"]) == 2 * n
        for rid in ids[0] | ids[1]:
            assert len(store.chats_for_ecg(rid)) == 1
    finally:
        store.close()
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()


def test_locked_database_is_waited_out_not_reported(tmp_path, monkeypatch):
    """Another program holds the write lock longer than SQLite's busy timeout: the store
    retries with backoff and the write goes through; the caller never sees 'locked'."""
    from ecgchat_desktop.store import engine as store_engine

    monkeypatch.setattr(store_engine, "SQLITE_BUSY_TIMEOUT_S", 0.05)  # make SQLite give up at once
    db = tmp_path / "locked.sqlite3"
    store = open_store(db)
    retries = []
    real_sleep = time.sleep
    monkeypatch.setattr(store_engine.time, "sleep", lambda s: (retries.append(s), real_sleep(s)))
    blocker = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock ...
    release = threading.Timer(1.0, blocker.execute, args=("COMMIT",))  # ... for a second
    release.start()
    try:
        event_id = store.audit("dr.meier", "ecg.open", 1)
    finally:
        release.join()
        blocker.close()
    assert retries, "the lock was never hit; the test proves nothing"
    assert [e.id for e in store.audit_events()] == [event_id]
    store.close()


def test_fresh_database_opened_by_several_programs_at_once(tmp_path):
    """Creating the schema happens once, under the lock; every opener gets a working store."""
    db = tmp_path / "fresh.sqlite3"
    barrier = threading.Barrier(4)
    results, errors = [], []

    def opener():
        barrier.wait()
        try:
            store = open_store(db)
            results.append(store.migration)
            store.audit("u", "ecg.open")
            store.close()
        except Exception as exc:  # collected and reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=opener) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert sum(1 for r in results if r["from"] is None and r["to"] == "0002") >= 1
    assert all(r["to"] == "0002" and r["backup"] is None for r in results)
    con = sqlite3.connect(db)
    try:
        assert con.execute("SELECT count(*) FROM audit_events").fetchone()[0] == 4
        assert con.execute("SELECT count(*) FROM alembic_version").fetchone()[0] == 1
    finally:
        con.close()
