"""`ecgchat import`: real files in, counts out, failures named, nothing partial."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from ecgchat_desktop.cli import main
from ecgchat_desktop.cli.import_cmd import collect_files
from ecgchat_desktop.store import open_store
from tests.store_support import SAMPLE_HEADERS


@pytest.fixture()
def incoming(tmp_path):
    """Three real PTB-XL records, an annotation file, a truncated record and a non-ECG file."""
    root = tmp_path / "incoming"
    (root / "sub").mkdir(parents=True)
    for h in SAMPLE_HEADERS[:2]:
        shutil.copy2(h, root / h.name)
        shutil.copy2(h.with_suffix(".dat"), root / h.with_suffix(".dat").name)
    h = SAMPLE_HEADERS[2]
    shutil.copy2(h, root / "sub" / h.name)
    shutil.copy2(h.with_suffix(".dat"), root / "sub" / h.with_suffix(".dat").name)
    (root / "00001_hr.atr").write_bytes(b"\x00\x01annotation bytes")   # companion: not imported alone
    broken = root / "broken"
    broken.mkdir()
    shutil.copy2(SAMPLE_HEADERS[0], broken / "00001_hr.hea")
    data = SAMPLE_HEADERS[0].with_suffix(".dat").read_bytes()
    (broken / "00001_hr.dat").write_bytes(data[: len(data) // 3])         # truncated data file
    (root / "notes.txt").write_text("not an ECG\n")
    return root


def _run(capsys, *args):
    code = main(["import", *map(str, args), "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out.strip().splitlines()[-1]), err


def test_import_counts_duplicates_and_failures(incoming, tmp_path, capsys):
    db = tmp_path / "import.sqlite3"
    code, result, err = _run(capsys, incoming, "--db", f"sqlite:///{db}")
    assert code == 2  # some files failed
    assert (result["imported"], result["duplicates"], result["failed"]) == (3, 0, 2)
    reasons = {f["path"].split("/")[-1]: f["reason"] for f in result["failures"]}
    assert set(reasons) == {"00001_hr.hea", "notes.txt"}  # the truncated record, the text file
    assert "[1/5]" in err and "00001_hr.atr" not in err  # 5 files: companions are not separate files
    assert err.count("] imported") == 3  # progress on stderr
    store = open_store(db)
    try:
        counts = store.counts()
        assert counts["ecg_records"] == counts["ecg_signals"] == counts["findings"] == 3
        for e in store.search():
            assert store.latest_findings(e.id).statements  # analysed by the real engines
            assert e.source_path.endswith(".hea")
    finally:
        store.close()
    # Again: everything is known; nothing new is stored, the broken files fail again.
    code, again, _ = _run(capsys, incoming, "--db", f"sqlite:///{db}")
    assert (again["imported"], again["duplicates"], again["failed"]) == (0, 3, 2)
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM ecg_records").fetchone()[0] == 3
    con.close()


def test_import_to_the_default_database_and_plain_text_summary(incoming, ecgchat_home, capsys):
    code = main(["import", str(incoming / "00008_hr.dat"), str(incoming / "missing.hea")])
    out, err = capsys.readouterr()
    assert code == 2
    assert "imported 1, duplicates 0, failed 1" in out
    assert "missing.hea: does not exist" in out
    assert (ecgchat_home / "ecgchat.sqlite3").is_file()
    store = open_store()
    try:
        [e] = store.search()
        assert e.source_path.endswith("00008_hr.hea")  # the .dat named the record
    finally:
        store.close()


def test_unusable_database_is_one_line_and_exit_2(incoming, tmp_path, capsys):
    code = main(["import", str(incoming), "--db", "nosuchdialect://x/y"])
    _, err = capsys.readouterr()
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "database" in err


def test_file_that_is_not_a_database_is_refused_untouched(incoming, tmp_path, capsys):
    bogus = tmp_path / "notes.sqlite3"
    bogus.write_bytes(b"this is a text file, not SQLite\n" * 10)
    before = bogus.read_bytes()
    code = main(["import", str(incoming), "--db", f"sqlite:///{bogus}"])
    _, err = capsys.readouterr()
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "not a database" in err
    assert bogus.read_bytes() == before


def test_collect_files_skips_wfdb_companions_and_segments(data_dir):
    files, missing = collect_files([data_dir / "wfdb-formats"])
    names = {f.relative_to(data_dir / "wfdb-formats").as_posix() for f in files}
    assert missing == []
    assert "multi-segment/041s/041s.hea" in names        # the multi-segment record ...
    assert "multi-segment/041s/041s01.hea" not in names  # ... not its segments
    assert "mixedsignals.hea" in names
    assert not any(n.endswith((".dat", ".mat", ".d0")) for n in names)
