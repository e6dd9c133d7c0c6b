"""The store's API against a real SQLite file in an isolated user data folder."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest

from ecgchat_desktop.ecg import Patient
from ecgchat_desktop.io import read_ecg
from ecgchat_desktop.store import RecordNotFoundError, StoreError, content_hash, open_store
from ecgchat_desktop.store.errors import CorruptRecordError
from tests.store_support import SAMPLE_HEADERS, crop, findings_for, sample_ecgs, statement


@pytest.fixture()
def store(ecgchat_home):
    s = open_store()
    yield s
    s.close()


def test_default_database_is_a_wal_sqlite_file_in_the_user_folder(store, ecgchat_home):
    db = ecgchat_home / "ecgchat.sqlite3"
    assert db.is_file()
    assert store.backend == "sqlite"
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0002"
    finally:
        con.close()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_in_memory_database_is_refused(ecgchat_home):
    with pytest.raises(StoreError, match="in-memory"):
        open_store("sqlite://")


def test_ecg_roundtrip_is_exact_and_survives_deleting_the_source(store, tmp_path):
    src = tmp_path / "incoming"
    shutil.copytree(SAMPLE_HEADERS[1].parent, src)
    ecg = read_ecg(src / "00008_hr.hea")
    ecg = ecg.with_changes(patient=Patient(id="4711", name="Erika Mustermann", sex="F",
                                           birth_date=date(1950, 5, 17), age_years=70.0),
                           acquired_at=datetime(2021, 3, 4, 10, 30, tzinfo=timezone(timedelta(hours=1))),
                           device="MAC 5500", device_statements=("Sinus rhythm",),
                           comments=("a comment",))
    record_id, is_new = store.add_ecg(ecg, findings_for(ecg), source_path=src / "00008_hr.hea")
    assert is_new
    shutil.rmtree(src)  # the file is gone; the stored ECG is not

    back = store.load_ecg(record_id)
    assert np.array_equal(back.signals_mv, ecg.signals_mv)
    assert back.signals_mv.dtype == np.float32
    assert back.lead_names == ecg.lead_names
    assert back.sampling_rate_hz == ecg.sampling_rate_hz
    assert back.patient == ecg.patient
    assert back.acquired_at == ecg.acquired_at and back.acquired_at.utcoffset() == timedelta(hours=1)
    assert back.device == "MAC 5500"
    assert back.device_statements == ("Sinus rhythm",)
    assert back.comments == ("a comment",)
    assert back.source_path.endswith("00008_hr.hea")
    assert content_hash(back) == content_hash(ecg)
    summary = store.get_ecg(record_id)
    assert summary.acquired_at == ecg.acquired_at
    assert summary.patient_name == "Erika Mustermann" and summary.duration_s == pytest.approx(10.0)


def test_device_median_beats_are_kept(store):
    from ecgchat_desktop.settings import SAMPLES_DIR

    ecg = read_ecg(SAMPLES_DIR / "dicom" / "ecgtoolkit-example.dcm")
    if ecg.median_beats is None:
        pytest.skip("the DICOM reader gives no median beats for the sample")
    record_id, _ = store.add_ecg(ecg)
    back = store.load_ecg(record_id)
    assert np.array_equal(back.median_beats.signals_mv, ecg.median_beats.signals_mv, equal_nan=True)
    assert back.median_beats.lead_names == ecg.median_beats.lead_names
    assert back.device_measurements == ecg.device_measurements


def test_duplicates_are_recognised_by_content(store, tmp_path):
    ecg = sample_ecgs()[0]
    first, new1 = store.add_ecg(ecg, findings_for(ecg))
    # The same recording from another place is the same ECG.
    second, new2 = store.add_ecg(ecg.with_changes(source_path=str(tmp_path / "copy.hea")), findings_for(ecg))
    assert (new1, new2) == (True, False) and first == second
    assert store.find_by_hash(content_hash(ecg)) == first
    counts = store.counts()
    assert counts["ecg_records"] == counts["ecg_signals"] == counts["findings"] == 1


def test_findings_roundtrip_as_produced(store):
    ecg = sample_ecgs()[2]
    findings = findings_for(ecg, ("AFIB", "STEMI"))
    findings.notes.append("note from the engine")
    record_id, _ = store.add_ecg(ecg, findings)
    back = store.latest_findings(record_id)
    assert back.to_dict() == findings.to_dict()
    assert back.critical is True and back.program_version == findings.program_version
    # A re-analysis adds a row; the latest wins.
    newer = findings_for(ecg, ("SR",))
    newer.program_version = "9.9.9"
    store.add_findings(record_id, newer)
    assert store.latest_findings(record_id).program_version == "9.9.9"
    assert store.get_ecg(record_id).statement_codes == ("SR",)
    assert store.counts()["findings"] == 2


def test_never_analysed_ecg_has_no_findings(store):
    record_id, _ = store.add_ecg(sample_ecgs()[0])
    assert store.latest_findings(record_id) is None
    assert store.get_ecg(record_id).critical is None
    assert store.current_statements(record_id) == []


def test_confirmation_records_who_when_and_what_changed(store):
    ecg = sample_ecgs()[0]
    record_id, _ = store.add_ecg(ecg, findings_for(ecg, ("SR", "LVH", "RBBB")))
    edited = statement("RBBB")
    edited.text = "Incomplete right bundle branch block"
    before = datetime.now(timezone.utc)
    cid = store.confirm_statements(record_id, [statement("SR"), edited, statement("AFIB")], user="dr.meier",
                                   note="reviewed")
    conf = store.latest_confirmation(record_id)
    assert conf.id == cid and conf.confirmed_by == "dr.meier" and conf.note == "reviewed"
    assert conf.confirmed_at.tzinfo is not None and conf.confirmed_at >= before - timedelta(seconds=1)
    assert conf.changes == {"confirmed": ["SR"], "edited": ["RBBB"], "added": ["AFIB"], "removed": ["LVH"]}
    sources = {s.code: s.source for s in conf.statements}
    assert sources == {"SR": "program", "RBBB": "physician", "AFIB": "physician"}
    assert [s.code for s in store.current_statements(record_id)] == ["SR", "RBBB", "AFIB"]
    summary = store.get_ecg(record_id)
    assert summary.confirmed and summary.statement_codes == ("AFIB", "RBBB", "SR")
    # A later re-analysis does not override the physician's statements in the index.
    store.add_findings(record_id, findings_for(ecg, ("STEMI",)))
    assert store.search(statement_code="STEMI") == []
    assert [e.id for e in store.search(statement_code="AFIB")] == [record_id]
    with pytest.raises(ValueError):
        store.confirm_statements(record_id, [statement("SR")], user="  ")


def _patient_series(store):
    """Two patients with ECGs at known times, cut from real recordings."""
    base = sample_ecgs()
    anna = Patient(id="P-100", name="Anna Schmidt", sex="F")
    bert = Patient(id="P-200", name="Bert Meyer", sex="M")
    plan = [  # (source ecg, crop start s, patient, acquired, codes)
        (base[0], 0.0, anna, datetime(2020, 1, 10, 8, 0), ("SR",)),
        (base[0], 1.0, anna, datetime(2022, 6, 1, 9, 0), ("SR", "LVH")),
        (base[0], 2.0, anna, datetime(2021, 3, 5, 12, 0), ("AFIB",)),
        (base[1], 0.0, bert, datetime(2021, 3, 5, 13, 0), ("STEMI",)),
        (base[2], 0.0, Patient(), None, ("AFIB",)),  # anonymous, no time
    ]
    ids = []
    for ecg, start, patient, when, codes in plan:
        e = crop(ecg, start).with_changes(patient=patient, acquired_at=when)
        ids.append(store.add_ecg(e, findings_for(e, codes))[0])
    return ids


def test_patient_lists_and_serial_comparison(store):
    a2020, a2022, a2021, b2021, anon = _patient_series(store)
    patients = store.list_patients()
    assert [p.name for p in patients] == ["Anna Schmidt", "Bert Meyer"]  # latest ECG first
    assert patients[0].n_ecgs == 3 and patients[0].last_acquired_at == datetime(2022, 6, 1, 9, 0)
    anna_id = patients[0].id
    assert [e.id for e in store.ecgs_for_patient(anna_id)] == [a2022, a2021, a2020]
    assert store.previous_ecg(a2022).id == a2021
    assert store.previous_ecg(a2021).id == a2020
    assert store.previous_ecg(a2020) is None
    assert store.previous_ecg(b2021) is None  # another patient's ECG is never "previous"
    assert store.previous_ecg(anon) is None
    assert [p.name for p in store.list_patients(text="meye")] == ["Bert Meyer"]
    with pytest.raises(RecordNotFoundError):
        store.ecgs_for_patient(999)


@pytest.fixture(params=["rare-code plan", "common-code plan"])
def code_plan(request, monkeypatch):
    """Both query plans of a statement search must give the same answers."""
    from ecgchat_desktop.store import api

    if request.param == "common-code plan":
        monkeypatch.setattr(api, "_COMMON_CODE_ROWS", 0)
    return request.param


def test_search_by_name_id_date_and_statement(store, code_plan):
    a2020, a2022, a2021, b2021, anon = _patient_series(store)
    assert [e.id for e in store.search()] == [a2022, b2021, a2021, a2020, anon]  # newest first, undated last
    assert [e.id for e in store.search(text="SCHMIDT")] == [a2022, a2021, a2020]
    assert [e.id for e in store.search(text="p-200")] == [b2021]
    assert [e.id for e in store.search(text="100%")] == []  # wildcards are literal
    assert [e.id for e in store.search(date_from=date(2021, 3, 5), date_to=date(2021, 3, 5))] == [b2021, a2021]
    assert [e.id for e in store.search(date_from=datetime(2021, 3, 5, 12, 30))] == [a2022, b2021]
    assert [e.id for e in store.search(statement_code="AFIB")] == [a2021, anon]
    assert [e.id for e in store.search(text="anna", statement_code="SR")] == [a2022, a2020]
    hit = store.search(statement_code="STEMI")[0]
    assert hit.critical is True and hit.patient_external_id == "P-200"


def test_chat_sessions_and_messages(store):
    record_id, _ = store.add_ecg(sample_ecgs()[0])
    sid = store.start_chat(record_id, "SmolLM2-135M-Instruct.Q4_1.gguf", user="dr.meier")
    store.add_message(sid, "user", "Is the QRS wide?")
    claims = {"claims": [{"text": "QRS 86 ms", "verdict": "supported"}], "all_supported": True}
    store.add_message(sid, "assistant", "No, the QRS is 86 ms.", model="SmolLM2", claims=claims)
    chat = store.chat_with_messages(sid)
    assert [m.role for m in chat.messages] == ["user", "assistant"]
    assert chat.messages[1].claims == claims and chat.messages[1].model_name == "SmolLM2"
    assert chat.messages[0].created_at.tzinfo is not None
    summaries = store.chats_for_ecg(record_id)
    assert len(summaries) == 1 and summaries[0].n_messages == 2 and summaries[0].started_by == "dr.meier"
    with pytest.raises(ValueError):
        store.add_message(sid, "robot", "x")
    with pytest.raises(RecordNotFoundError):
        store.add_message(sid + 100, "user", "x")
    with pytest.raises(RecordNotFoundError):
        store.start_chat(record_id + 100, "m")


def test_reports_are_stored_whole_and_checked(store):
    from reportlab.pdfgen import canvas
    import io

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(100, 750, "ECG report")
    c.save()
    pdf = buf.getvalue()
    record_id, _ = store.add_ecg(sample_ecgs()[0])
    rid = store.add_report(record_id, pdf, created_by="dr.meier")
    assert store.report_pdf(rid) == pdf
    [view] = store.reports_for_ecg(record_id)
    assert view.size_bytes == len(pdf) and len(view.sha256) == 64 and view.created_by == "dr.meier"
    with pytest.raises(ValueError):
        store.add_report(record_id, b"not a pdf", created_by="dr.meier")
    assert len(store.reports_for_ecg(record_id)) == 1  # the refused one left nothing
    # Damage on disk is detected, not silently returned.
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE reports SET pdf = ? WHERE id = ?", (pdf[:-10] + b"0123456789", rid))
    with pytest.raises(CorruptRecordError):
        store.report_pdf(rid)


def test_damaged_signal_is_detected(store):
    import zlib

    record_id, _ = store.add_ecg(sample_ecgs()[0])
    with store.engine.begin() as conn:
        codec, data = conn.exec_driver_sql("SELECT codec, data FROM ecg_signals WHERE record_id = ?",
                                           (record_id,)).one()
        raw = bytearray(zlib.decompress(data))
        raw[1000] ^= 0x01
        conn.exec_driver_sql("UPDATE ecg_signals SET data = ? WHERE record_id = ?",
                             (zlib.compress(bytes(raw)), record_id))
    with pytest.raises(CorruptRecordError, match="checksum"):
        store.load_ecg(record_id)


def test_audit_trail_keeps_ids_not_patient_text(store):
    record_id, _ = store.add_ecg(sample_ecgs()[0], user="importer")
    store.audit("dr.meier", "report.print", record_id, report_id=3, copies=2, printer="ward-7")
    events = store.audit_events(record_id)
    assert [e.action for e in events] == ["report.print", "ecg.import"]
    assert events[0].details == {"report_id": 3, "copies": 2, "printer": "ward-7"}
    assert events[1].user == "importer" and events[1].at.tzinfo is not None
    with pytest.raises(ValueError, match="patient data"):
        store.audit("dr.meier", "ecg.open", record_id, note="Anna Schmidt has chest pain")
    with pytest.raises(ValueError):
        store.audit("dr.meier", "Opened the ECG of Anna")
    assert len(store.audit_events(record_id)) == 2


def test_unknown_ids_raise_typed_errors(store):
    for call in (lambda: store.load_ecg(1), lambda: store.latest_findings(1), lambda: store.get_ecg(1),
                 lambda: store.chat_with_messages(1), lambda: store.report_pdf(1),
                 lambda: store.confirm_statements(1, [], user="x")):
        with pytest.raises(RecordNotFoundError):
            call()


def test_unserialisable_findings_leave_nothing_behind(store):
    ecg = sample_ecgs()[0]
    findings = findings_for(ecg)
    findings.notes.append(object())  # not JSON: the store must refuse before writing anything
    with pytest.raises(TypeError):
        store.add_ecg(ecg, findings)
    assert store.counts()["ecg_records"] == 0 and store.counts()["audit_events"] == 0


def test_unnormalised_patient_fields_are_stored_safely(store):
    ecg = sample_ecgs()[0].with_changes(patient=Patient(id=12345, name="  Jo Doe ", sex="female"))
    record_id, _ = store.add_ecg(ecg)
    [p] = store.list_patients()
    assert (p.external_id, p.name, p.sex) == ("12345", "Jo Doe", "F")
    assert store.get_ecg(record_id).patient_id == p.id


def test_default_database_follows_the_workstation_setting(ecgchat_home, tmp_path, monkeypatch):
    """The window's settings dialog (QSettings INI) and `ecgchat import` use one database."""
    from ecgchat_desktop.ui.preferences import Preferences

    monkeypatch.delenv("ECGCHAT_DB_URL", raising=False)
    chosen = tmp_path / "ward db, shared" / "ecg.sqlite3"  # a comma makes QSettings quote it
    chosen.parent.mkdir()
    prefs = Preferences()
    prefs.set("store/url", f"sqlite:///{chosen}")
    prefs.sync()
    store = open_store()
    try:
        assert chosen.is_file() and not (ecgchat_home / "ecgchat.sqlite3").exists()
    finally:
        store.close()
    monkeypatch.setenv("ECGCHAT_DB_URL", f"sqlite:///{tmp_path / 'env.sqlite3'}")  # the environment wins
    open_store().close()
    assert (tmp_path / "env.sqlite3").is_file()
