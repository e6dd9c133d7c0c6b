"""The session store: patients, ECGs, findings, confirmations, chats, reports, audit.

Everything the workstation must find again after years, a crash or a power cut.
SQLAlchemy 2 over a SQLite file in the user data folder by default (WAL journal,
foreign keys on, a busy timeout, write transactions serialised with BEGIN IMMEDIATE
and retried with backoff on "database is locked", so the user never sees it). Any
SQLAlchemy URL works; PostgreSQL is the tested multi-workstation option.
Alembic migrations ship inside this package and run on open, after a backup copy.

API (all methods are thread-safe: each opens its own short session; returned
objects are plain frozen dataclasses from `store.views`, never live ORM rows):

    from ecgchat_desktop.store import open_store
    store = open_store()    # ECGCHAT_DB_URL, else the settings' store/url, else <user data>/ecgchat.sqlite3
    store = open_store("postgresql+psycopg://user@host/db")   # any SQLAlchemy URL, or a file path

    # ECGs (one transaction each; deduplicated by the hash of the decoded signal)
    record_id, is_new = store.add_ecg(ecg, findings=None, source_path=None, user=None)
    store.find_by_hash(content_hash(ecg)) -> int | None
    store.add_findings(record_id, findings) -> findings_id    # a re-analysis (new program version)
    store.load_ecg(record_id) -> Ecg                          # from the database, never the file
    store.get_ecg(record_id) -> EcgSummary
    store.latest_findings(record_id) -> Findings | None

    # physician's confirmation (statements: list[Statement], the final list)
    store.confirm_statements(record_id, statements, user, note=None) -> confirmation_id
    store.latest_confirmation(record_id) -> ConfirmationView | None
    store.current_statements(record_id) -> list[Statement]    # confirmed if any, else program

    # lists for the GUI (newest first)
    store.list_patients(text=None, limit=500) -> list[PatientView]
    store.ecgs_for_patient(patient_id) -> list[EcgSummary]
    store.search(text=None, date_from=None, date_to=None, statement_code=None, limit=500)
        -> list[EcgSummary]        # text matches patient name or id (case-insensitive)
    store.previous_ecg(record_id) -> EcgSummary | None       # same patient, acquired before

    # chats
    store.start_chat(record_id, model, user=None) -> session_id
    store.add_message(session_id, role, text, model=None, claims=None) -> message_id
    store.chat_with_messages(session_id) -> ChatView          # .messages: list[MessageView]
    store.chats_for_ecg(record_id) -> list[ChatSummary]

    # reports
    store.add_report(record_id, pdf_bytes, created_by, confirmation_id=None) -> report_id
    store.reports_for_ecg(record_id) -> list[ReportView]      # without the bytes
    store.report_pdf(report_id) -> bytes                      # sha256 verified

    # audit (ids and short codes only, never patient data in free text)
    store.audit(user, action, record_id=None, **details) -> event_id
    store.audit_events(record_id=None, limit=200) -> list[AuditView]

    store.close()

Errors: `StoreError` (base), `RecordNotFoundError`, `DatabaseTooNewError`,
`MigrationError`, `CorruptRecordError` (a stored signal/PDF fails its checksum).
Datetimes we create are timezone-aware UTC; `acquired_at` is the device's clock (see
models.py). Keep the SQLite file on a local disk (WAL needs shared memory, which network
file systems do not give); several workstations share a PostgreSQL server instead.

Modules: models (ORM tables), signal_codec (lossless signal blobs, content hash),
engine (SQLite pragmas, BEGIN IMMEDIATE, retries), migrate (Alembic + backup),
migrations/ (the revisions), views (returned dataclasses), api (Store).
"""

from __future__ import annotations

from ecgchat_desktop.store.errors import (
    CorruptRecordError,
    DatabaseTooNewError,
    MigrationError,
    RecordNotFoundError,
    StoreError,
)
from ecgchat_desktop.store.signal_codec import content_hash
from ecgchat_desktop.store.api import Store, default_db_url, open_store

__all__ = [
    "open_store",
    "default_db_url",
    "Store",
    "content_hash",
    "StoreError",
    "CorruptRecordError",
    "RecordNotFoundError",
    "DatabaseTooNewError",
    "MigrationError",
]
