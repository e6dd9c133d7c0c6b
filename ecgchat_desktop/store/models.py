"""SQLAlchemy 2 ORM models. The schema is owned by the Alembic migrations in
`store/migrations/versions`; a test checks that these models and the migrated
schema agree, so change both together (add a new revision, never edit an old one).

Times we create are UTC (`UtcDateTime`). `EcgRecord.acquired_at` is the device's
clock: stored as UTC when the file states its zone (`acquired_utc_offset_min`
then holds the offset, so the original local time is restored), otherwise stored
as the naive wall-clock time the file gave (offset NULL) — a device's local time of
unknown zone must not be shifted by this workstation's zone.

Large columns (signal, PDF, full measurements) live in their own tables or are
deferred, so the GUI's lists never read them.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column, relationship

# Deterministic constraint names: Alembic needs them to alter SQLite tables later.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UtcDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC on every backend."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC time is required")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Patient(Base):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The identifier the files carry (hospital patient id); NULL when the files have none.
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    name: Mapped[str | None] = mapped_column(String(256))
    # Lower-cased name for case-insensitive search on every backend.
    name_folded: Mapped[str | None] = mapped_column(String(256), index=True)
    sex: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    ecgs: Mapped[list["EcgRecord"]] = relationship(back_populates="patient")


class EcgRecord(Base):
    __tablename__ = "ecg_records"
    __table_args__ = (
        Index("ix_ecg_records_patient_acquired", "patient_id", "acquired_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"))
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    source_path: Mapped[str | None] = mapped_column(Text)
    source_format: Mapped[str] = mapped_column(String(32))
    acquired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False), index=True)
    acquired_utc_offset_min: Mapped[int | None] = mapped_column(Integer)
    device: Mapped[str | None] = mapped_column(String(256))
    sampling_rate_hz: Mapped[float] = mapped_column(Float)
    n_leads: Mapped[int] = mapped_column(Integer)
    n_samples: Mapped[int] = mapped_column(Integer)
    lead_names_json: Mapped[str] = mapped_column(Text)
    # What the file said about the patient at acquisition (age, sex ...), and the rest
    # of the Ecg (device measurements/statements, file diagnoses, comments) as JSON.
    file_meta_json: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    imported_by: Mapped[str | None] = mapped_column(String(128))

    patient: Mapped[Patient | None] = relationship(back_populates="ecgs")
    signal: Mapped["EcgSignal"] = relationship(back_populates="record", uselist=False)


class EcgSignal(Base):
    """The samples themselves (see signal_codec for the codecs and why they are stored here)."""

    __tablename__ = "ecg_signals"

    record_id: Mapped[int] = mapped_column(ForeignKey("ecg_records.id", ondelete="CASCADE"), primary_key=True)
    codec: Mapped[str] = mapped_column(String(16))
    scale_mv: Mapped[float | None] = mapped_column(Float)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    # Device median beats (Ecg.median_beats), same codecs; NULL when the file has none.
    median_codec: Mapped[str | None] = mapped_column(String(16))
    median_scale_mv: Mapped[float | None] = mapped_column(Float)
    median_rate_hz: Mapped[float | None] = mapped_column(Float)
    median_shape_json: Mapped[str | None] = mapped_column(Text)
    median_data: Mapped[bytes | None] = mapped_column(LargeBinary)

    record: Mapped[EcgRecord] = relationship(back_populates="signal")


class FindingsRow(Base):
    """Findings as produced by one program version (kept: re-analysis adds a row)."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("ecg_records.id", ondelete="CASCADE"), index=True)
    program_version: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    critical: Mapped[bool] = mapped_column(Boolean)
    hr_bpm: Mapped[float | None] = mapped_column(Float)
    statements_json: Mapped[str] = mapped_column(Text)       # [Statement.to_dict()]
    ecg_info_json: Mapped[str] = mapped_column(Text)
    encoder_json: Mapped[str | None] = mapped_column(Text)
    notes_json: Mapped[str] = mapped_column(Text)
    # Measurements.to_dict() (beats and median included) as zlib-compressed UTF-8 JSON:
    # about 10x smaller than the text and never needed by the lists.
    measurements_zjson: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))


class Confirmation(Base):
    """A physician's confirmation: the final statement list, and what changed from the draft."""

    __tablename__ = "confirmations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("ecg_records.id", ondelete="CASCADE"), index=True)
    findings_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id", ondelete="SET NULL"))
    confirmed_by: Mapped[str] = mapped_column(String(128))
    confirmed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    statements_json: Mapped[str] = mapped_column(Text)  # the final list [Statement.to_dict()]
    # {"confirmed": [codes], "edited": [codes], "added": [codes], "removed": [codes]}
    changes_json: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)


class ChatSession(Base):
    __tablename__ = "chat_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("ecg_records.id", ondelete="CASCADE"), index=True)
    model_name: Mapped[str] = mapped_column(String(256))
    started_by: Mapped[str | None] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    messages: Mapped[list["Message"]] = relationship(back_populates="session", order_by="Message.id")


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("chat_sessions.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # "user" | "assistant" | "system"
    text: Mapped[str] = mapped_column(Text)
    model_name: Mapped[str | None] = mapped_column(String(256))
    claims_json: Mapped[str | None] = mapped_column(Text)  # the claim check's result, as given
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    session: Mapped[ChatSession] = relationship(back_populates="messages")


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("ecg_records.id", ondelete="CASCADE"), index=True)
    confirmation_id: Mapped[int | None] = mapped_column(ForeignKey("confirmations.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    pdf: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))


class AuditEvent(Base):
    """Who did what when. `details_json` holds ids, counts and short codes only."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    user: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    # No foreign key: the trail must outlive a deleted record.
    record_id: Mapped[int | None] = mapped_column(Integer, index=True)
    details_json: Mapped[str | None] = mapped_column(Text)


class EcgStatementCode(Base):
    """Search index: the ECG's current statement codes (confirmed if confirmed, else program).

    Added by revision 0002 and rebuilt by every add_findings/confirm_statements."""

    __tablename__ = "ecg_statement_codes"

    record_id: Mapped[int] = mapped_column(ForeignKey("ecg_records.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    confirmed: Mapped[bool] = mapped_column(Boolean)
