"""`ecgchat report`: one file, a folder (batch with progress bar), the error contract, storage."""

from __future__ import annotations

import hashlib
import io
import shutil

import pypdf
import pytest

from ecgchat_desktop.cli import main
from ecgchat_desktop.settings import SAMPLES_DIR

SAMPLES = [SAMPLES_DIR / f"ptbxl-{n}" / f"{n}_hr.hea" for n in ("00001", "00008", "00017")]


def n_pages(path) -> int:
    return len(pypdf.PdfReader(io.BytesIO(path.read_bytes())).pages)


def test_one_file_no_llm(tmp_path, ecgchat_home, capsys):
    out = tmp_path / "r.pdf"
    rc = main(["report", str(SAMPLES[1]), "-o", str(out), "--no-llm", "--no-store", "--layout", "6x2",
               "--speed", "50", "--gain", "5", "--paper", "letter", "--half-gain-chest"])
    assert rc == 0
    assert out.read_bytes().startswith(b"%PDF-")
    assert n_pages(out) == 2
    text = pypdf.PdfReader(str(out)).pages[0].extract_text()
    assert "Speed 50 mm/s" in text and "Gain 5 mm/mV" in text and "HALF GAIN" in text and "6×2" in text
    page = pypdf.PdfReader(str(out)).pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)  # landscape
    assert abs(float(page.mediabox.width) - 279.4 * 72 / 25.4) < 0.5  # Letter
    assert hashlib.sha256(out.read_bytes()).hexdigest() in capsys.readouterr().out


def test_unreadable_file_gives_exit_2_and_one_line(tmp_path, ecgchat_home, capsys):
    bad = tmp_path / "broken.hea"
    bad.write_text("this is not a header\n")
    out = tmp_path / "r.pdf"
    rc = main(["report", str(bad), "-o", str(out), "--no-llm", "--no-store"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and "broken.hea" in err[0]
    assert not out.exists()
    assert not list(tmp_path.glob(".*tmp"))  # nothing half-written


def test_missing_file_gives_exit_2(tmp_path, ecgchat_home, capsys):
    rc = main(["report", str(tmp_path / "nope.hea"), "-o", str(tmp_path / "x.pdf"), "--no-llm", "--no-store"])
    assert rc == 2
    assert "nope.hea" in capsys.readouterr().err


def test_folder_batch_with_progress_bar_and_a_bad_file(tmp_path, ecgchat_home, capsys):
    src = tmp_path / "in"
    for hea in SAMPLES:
        dest = src / hea.parent.name
        dest.mkdir(parents=True)
        shutil.copy(hea, dest)
        shutil.copy(hea.with_suffix(".dat"), dest)
    (src / "notes.txt").write_text("not an ECG")
    (src / "bad.hea").write_text("garbage header\n")
    out = tmp_path / "out"
    rc = main(["report", str(src), "-o", str(out), "--no-llm", "--no-store"])
    captured = capsys.readouterr()
    assert rc == 2  # one file could not be read; the others are done
    pdfs = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.pdf"))
    assert pdfs == ["ptbxl-00001/00001_hr.pdf", "ptbxl-00008/00008_hr.pdf", "ptbxl-00017/00017_hr.pdf"]
    pages = [n_pages(p) for p in out.rglob("*.pdf")]
    assert all(n >= 2 for n in pages)
    assert "[" in captured.err and "4/4" in captured.err  # the progress bar reached the end
    assert "bad.hea" in captured.err
    assert f"3 reports ({sum(pages)} pages)" in captured.out


def test_report_is_stored_with_its_hash_and_author(tmp_path, ecgchat_home, capsys):
    from ecgchat_desktop.store import open_store

    db = tmp_path / "ecg.sqlite3"
    out = tmp_path / "r.pdf"
    rc = main(["report", str(SAMPLES[0]), "-o", str(out), "--no-llm", "--db", str(db), "--user", "dr_weber"])
    assert rc == 0
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    store = open_store(db)
    try:
        (summary,) = store.search()
        (view,) = store.reports_for_ecg(summary.id)
        assert view.sha256 == digest
        assert view.created_by == "dr_weber"
        assert store.report_pdf(view.id) == out.read_bytes()
    finally:
        store.close()


def test_confirmed_statements_from_the_store_are_printed(tmp_path, ecgchat_home, capsys):
    from dataclasses import replace

    from ecgchat_desktop.findings import analyze_ecg
    from ecgchat_desktop.io import read_ecg
    from ecgchat_desktop.interpret.vocabulary import make_statement
    from ecgchat_desktop.store import open_store

    db = tmp_path / "ecg.sqlite3"
    ecg = read_ecg(SAMPLES[1])
    findings = analyze_ecg(ecg)
    store = open_store(db)
    try:
        record_id, _ = store.add_ecg(ecg, findings=findings, source_path=str(SAMPLES[1]), user="dr_weber")
        added = replace(make_statement("3AVB", ["seen on the rhythm strip by the physician"]), source="physician")
        store.confirm_statements(record_id, [*findings.statements, added], "dr_weber")
    finally:
        store.close()
    out = tmp_path / "r.pdf"
    assert main(["report", str(SAMPLES[1]), "-o", str(out), "--no-llm", "--db", str(db), "--user", "dr_weber"]) == 0
    page1 = " ".join(pypdf.PdfReader(str(out)).pages[0].extract_text().split())
    assert "Confirmed by dr_weber" in page1
    assert "CRITICAL FINDING" in page1
    assert "UNCONFIRMED PROGRAM DRAFT" not in page1


def test_bad_layout_is_refused(tmp_path, ecgchat_home):
    with pytest.raises(SystemExit) as exc:
        main(["report", str(SAMPLES[0]), "-o", str(tmp_path / "x.pdf"), "--layout", "4x3"])
    assert exc.value.code == 2


def test_stored_chat_is_appended_as_transcript(tmp_path, ecgchat_home, capsys):
    from ecgchat_desktop.findings import analyze_ecg
    from ecgchat_desktop.io import read_ecg
    from ecgchat_desktop.store import open_store

    db = tmp_path / "ecg.sqlite3"
    ecg = read_ecg(SAMPLES[0])
    store = open_store(db)
    try:
        record_id, _ = store.add_ecg(ecg, findings=analyze_ecg(ecg), source_path=str(SAMPLES[0]), user="dr_weber")
        chat = store.start_chat(record_id, "SmolLM2-135M-Instruct", user="dr_weber")
        store.add_message(chat, "user", "Is the QRS duration normal?")
        store.add_message(chat, "assistant", "The measured QRS duration is on page 1.", model="SmolLM2")
    finally:
        store.close()
    out = tmp_path / "r.pdf"
    assert main(["report", str(SAMPLES[0]), "-o", str(out), "--no-llm", "--db", str(db), "--transcript"]) == 0
    reader = pypdf.PdfReader(str(out))
    last = " ".join(reader.pages[-1].extract_text().split())
    assert "Appendix — chat transcript" in last
    assert "Is the QRS duration normal?" in last and "The measured QRS duration is on page 1." in last


def test_paper_and_user_default_to_the_workstation_settings(tmp_path, ecgchat_home, capsys):
    # The GUI's Preferences write this INI file (QSettings format); the CLI reads it without Qt.
    (ecgchat_home / "workstation.ini").write_text("[report]\npaper_size=Letter\n\n[user]\nname=dr_settings\n")
    db = tmp_path / "ecg.sqlite3"
    out = tmp_path / "r.pdf"
    assert main(["report", str(SAMPLES[0]), "-o", str(out), "--no-llm", "--db", str(db)]) == 0
    page = pypdf.PdfReader(str(out)).pages[0]
    assert abs(float(page.mediabox.width) - 279.4 * 72 / 25.4) < 0.5
    from ecgchat_desktop.store import open_store

    store = open_store(db)
    try:
        (summary,) = store.search()
        (view,) = store.reports_for_ecg(summary.id)
        assert view.created_by == "dr_settings"
    finally:
        store.close()


def test_unusable_database_gives_exit_2_and_writes_nothing(tmp_path, ecgchat_home, capsys):
    db = tmp_path / "not-a-db.sqlite3"
    db.write_bytes(b"this is not an SQLite database, just text" * 100)
    out = tmp_path / "r.pdf"
    rc = main(["report", str(SAMPLES[0]), "-o", str(out), "--no-llm", "--db", str(db)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and err[0].startswith("ecgchat: error: database")
    assert not out.exists()


def test_broken_model_file_falls_back_to_the_structured_page(tmp_path, ecgchat_home, capsys):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\x00" * 64)  # a truncated model file
    out = tmp_path / "r.pdf"
    rc = main(["report", str(SAMPLES[0]), "-o", str(out), "--no-store", "--model", str(broken)])
    err = capsys.readouterr().err
    assert rc == 0
    assert "warning" in err and "structured findings" in err
    page2 = " ".join(pypdf.PdfReader(str(out)).pages[1].extract_text().split())
    assert "structured summary, no language model" in page2
