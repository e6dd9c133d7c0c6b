"""Plain, frozen results of store queries (no live ORM rows leave the store, so callers
in any thread can keep them as long as they like)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from ecgchat_desktop.interpret.statement import Statement


@dataclass(frozen=True)
class PatientView:
    id: int
    external_id: str | None
    name: str | None
    sex: str | None
    birth_date: date | None
    n_ecgs: int
    last_acquired_at: datetime | None


@dataclass(frozen=True)
class EcgSummary:
    """One row of the GUI's ECG lists."""

    id: int
    patient_id: int | None
    patient_external_id: str | None
    patient_name: str | None
    acquired_at: datetime | None  # aware when the file gave its zone, else the device's naive clock
    source_format: str
    source_path: str | None
    device: str | None
    sampling_rate_hz: float
    n_leads: int
    duration_s: float
    imported_at: datetime
    content_hash: str
    critical: bool | None          # from the latest program findings; None: not analysed
    statement_codes: tuple[str, ...] = ()   # current codes (confirmed if confirmed)
    confirmed: bool = False


@dataclass(frozen=True)
class ConfirmationView:
    id: int
    record_id: int
    findings_id: int | None
    confirmed_by: str
    confirmed_at: datetime
    statements: tuple[Statement, ...]
    changes: dict  # {"confirmed": [...], "edited": [...], "added": [...], "removed": [...]} codes
    note: str | None


@dataclass(frozen=True)
class MessageView:
    id: int
    role: str
    text: str
    model_name: str | None
    claims: object | None  # the claim-check result exactly as given to add_message (JSON types)
    created_at: datetime


@dataclass(frozen=True)
class ChatSummary:
    id: int
    record_id: int
    model_name: str
    started_by: str | None
    started_at: datetime
    n_messages: int


@dataclass(frozen=True)
class ChatView:
    id: int
    record_id: int
    model_name: str
    started_by: str | None
    started_at: datetime
    messages: tuple[MessageView, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ReportView:
    id: int
    record_id: int
    confirmation_id: int | None
    created_by: str
    created_at: datetime
    sha256: str
    size_bytes: int


@dataclass(frozen=True)
class AuditView:
    id: int
    at: datetime
    user: str
    action: str
    record_id: int | None
    details: dict
