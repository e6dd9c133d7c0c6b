"""`Store`: the API the UI, chat, report and import code call (see store/__init__.py)."""

from __future__ import annotations

import dataclasses
import getpass
import hashlib
import json
import os
import re
import zlib
from datetime import date, datetime, time as dtime, timedelta, timezone
from pathlib import Path

import numpy as np
import sqlalchemy.exc
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ecgchat_desktop.store import models as m
from ecgchat_desktop.store.engine import Transactor, make_engine
from ecgchat_desktop.store.errors import CorruptRecordError, RecordNotFoundError, StoreError
from ecgchat_desktop.store.migrate import current_revision, ensure_schema, head_revision
from ecgchat_desktop.store.signal_codec import content_hash, decode_signal, encode_signal, signal_digest
from ecgchat_desktop.store.views import (
    AuditView,
    ChatSummary,
    ChatView,
    ConfirmationView,
    EcgSummary,
    MessageView,
    PatientView,
    ReportView,
)

DB_FILE_NAME = "ecgchat.sqlite3"
MESSAGE_ROLES = ("user", "assistant", "system")
_ACTION_RE = re.compile(r"^[a-z][a-z0-9_.\-]{0,63}$")
# Audit details: numbers, booleans, or short code-like strings (format names, model files).
# Spaces are refused so that a sentence (and with it a patient's name) cannot slip in.
# Above this many ECGs with a statement code, a code search walks the ECGs newest first
# (it soon has its page full); below, it starts from the code index (measured:
# benchmarks/store_speed.py, 100,000 ECGs).
_COMMON_CODE_ROWS = 20_000
_DETAIL_STR_RE = re.compile(r"^[A-Za-z0-9_.:+\-/]{0,96}$")


WORKSTATION_SETTINGS_FILE = "workstation.ini"  # written by the settings dialog (ui/preferences.py)


def configured_db_url() -> str | None:
    """The database URL chosen in the workstation's settings (key store/url), if any.

    Read without Qt from the INI file QSettings writes, so `ecgchat import` and the
    window use the same database."""
    import configparser

    from ecgchat_desktop.settings import user_data_dir

    path = user_data_dir() / WORKSTATION_SETTINGS_FILE
    if not path.is_file():
        return None
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read(path, encoding="utf-8")
        value = parser.get("store", "url", fallback="").strip()
    except (configparser.Error, UnicodeDecodeError, OSError):
        return None
    if len(value) >= 2 and value[0] == value[-1] == '"':  # QSettings quotes values with , or ;
        value = value[1:-1]
    value = value.replace('\\"', '"').replace("\\\\", "\\")
    return value or None


def default_db_url() -> str:
    """ECGCHAT_DB_URL if set, else the workstation's setting (store/url), else the SQLite
    file ecgchat.sqlite3 in the user data folder."""
    env = os.environ.get("ECGCHAT_DB_URL")
    if env:
        return env
    configured = configured_db_url()
    if configured:
        return configured
    from ecgchat_desktop.settings import user_data_dir

    return f"sqlite:///{user_data_dir() / DB_FILE_NAME}"


def _normalise_url(url: str | os.PathLike | None) -> str:
    if url is None:
        url = default_db_url()
    text = os.fspath(url)
    if "://" not in text:  # a plain file path
        text = f"sqlite:///{Path(text).expanduser().resolve()}"
    parsed = make_url(text)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return text


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (some containers/services)
        return "unknown"


def open_store(url: str | os.PathLike | None = None, *, upgrade: bool = True) -> "Store":
    """Open (creating or upgrading, after a backup) the database at `url`.

    `url`: any SQLAlchemy URL, or a plain path to a SQLite file; None: `default_db_url()`.
    With upgrade=False an outdated schema raises StoreError instead of being upgraded.
    """
    text = _normalise_url(url)
    engine = make_engine(text)
    try:
        if upgrade:
            result = ensure_schema(engine)
        else:
            with engine.connect() as conn:
                rev = current_revision(conn)
            if rev != head_revision():
                raise StoreError(f"database schema is at {rev!r}, this program needs {head_revision()!r}")
            result = {"from": rev, "to": rev, "backup": None}
    except sqlalchemy.exc.DBAPIError as exc:
        engine.dispose()
        # One clear line for the user (the driver's own message), not SQLAlchemy's help links.
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StoreError(f"database {engine.url.render_as_string(hide_password=True)} cannot be opened: {reason}") from None
    except Exception:
        engine.dispose()
        raise
    return Store(engine, migration=result)


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def _json_shallow(obj):
    """json.dumps hook: a dataclass becomes a dict of its fields (no copying; json walks it)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    return _json_default(obj)


def _finite_or_none(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) else None


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, default=_json_default)


def _split_acquired(value: datetime | None) -> tuple[datetime | None, int | None]:
    if value is None:
        return None, None
    if value.tzinfo is None or value.utcoffset() is None:
        return value, None
    offset_min = int(value.utcoffset().total_seconds() // 60)
    return value.astimezone(timezone.utc).replace(tzinfo=None), offset_min


def _join_acquired(value: datetime | None, offset_min: int | None) -> datetime | None:
    if value is None or offset_min is None:
        return value
    return value.replace(tzinfo=timezone.utc).astimezone(timezone(timedelta(minutes=offset_min)))


def _bound(value, end: bool) -> datetime | None:
    """A search bound as the stored (naive) form; a date `to` bound covers that whole day."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(timezone.utc).replace(tzinfo=None)
        return value
    if isinstance(value, date):
        return datetime.combine(value + timedelta(days=1) if end else value, dtime.min)
    raise TypeError(f"expected a date or datetime, got {type(value).__name__}")


def _statement_dicts(statements) -> list[dict]:
    out = []
    for s in statements:
        d = s.to_dict() if hasattr(s, "to_dict") else dict(s)
        if not d.get("code"):
            raise ValueError(f"statement without a code: {d!r}")
        out.append(d)
    return out


def _statements_from_json(text: str):
    from ecgchat_desktop.interpret.statement import Statement

    return tuple(Statement.from_dict(d) for d in json.loads(text))


def _known_measurement_fields(data: dict) -> dict:
    """Drop nested keys this program version does not know (findings stored by a newer
    version stay readable; Measurements.from_dict filters only the top level)."""
    from ecgchat_desktop.analysis.measurements import BeatFiducials, LeadAmplitudes, MedianBeat

    def keep(d, cls):
        return {k: v for k, v in d.items() if k in cls.__dataclass_fields__} if isinstance(d, dict) else d

    data = dict(data)
    data["lead_amplitudes"] = {k: keep(v, LeadAmplitudes) for k, v in (data.get("lead_amplitudes") or {}).items()}
    data["beats"] = [keep(b, BeatFiducials) for b in data.get("beats") or []]
    if data.get("median") is not None:
        data["median"] = keep(data["median"], MedianBeat)
    return data


def _check_user(user: str | None, what: str) -> str:
    if user is None or not str(user).strip():
        raise ValueError(f"{what} needs the user's name")
    return str(user).strip()[:128]


def _audit_row(user: str, action: str, record_id: int | None, details: dict) -> m.AuditEvent:
    if not _ACTION_RE.match(action):
        raise ValueError(f"audit action must be a short lower-case code like 'report.print', got {action!r}")
    for key, value in details.items():
        ok = value is None or isinstance(value, (bool, int, float)) or (
            isinstance(value, str) and _DETAIL_STR_RE.match(value))
        if not ok:
            raise ValueError(f"audit detail {key!r} must be a number, boolean or short code "
                             f"(no free text: patient data never goes into the audit trail)")
    return m.AuditEvent(user=_check_user(user, "an audit event"), action=action, record_id=record_id,
                        details_json=_dumps(details) if details else None)


class Store:
    """One database. Thread-safe; every method runs in its own transaction."""

    def __init__(self, engine, migration: dict | None = None):
        self.engine = engine
        self.url = engine.url.render_as_string(hide_password=True)
        self.migration = migration or {}
        self._tx = Transactor(engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    # --- ECGs ------------------------------------------------------------
    def find_by_hash(self, digest: str) -> int | None:
        return self._tx.read(lambda s: s.scalar(select(m.EcgRecord.id).where(m.EcgRecord.content_hash == digest)))

    def add_ecg(self, ecg, findings=None, source_path: str | os.PathLike | None = None,
                user: str | None = None) -> tuple[int, bool]:
        """Store `ecg` (signal included) with its findings in ONE transaction.

        Returns (record_id, is_new). An ECG already stored (same content hash) is not
        stored again; its findings are added only if it had none.
        """
        digest = content_hash(ecg)
        # CPU work (compression, JSON) before the transaction: the write lock is held briefly.
        signal = encode_signal(ecg.signals_mv)
        median = encode_signal(ecg.median_beats.signals_mv) if ecg.median_beats is not None else None
        findings_row_kwargs = self._findings_kwargs(findings) if findings is not None else None
        codes = self._codes(findings) if findings is not None else ()
        acquired, offset = _split_acquired(ecg.acquired_at)
        user = user or current_user()
        path = source_path if source_path is not None else ecg.source_path
        meta = {
            "patient": ecg.patient.to_dict(),
            "device_measurements": ecg.device_measurements.to_dict(),
            "device_statements": list(ecg.device_statements),
            "file_diagnoses": list(ecg.file_diagnoses),
            "comments": list(ecg.comments),
        }
        if ecg.median_beats is not None:
            meta["median_lead_names"] = list(ecg.median_beats.lead_names)

        def work(s: Session) -> tuple[int, bool]:
            existing = s.scalar(select(m.EcgRecord.id).where(m.EcgRecord.content_hash == digest))
            if existing is not None:
                if findings_row_kwargs is not None and s.scalar(
                        select(func.count()).where(m.FindingsRow.record_id == existing)) == 0:
                    s.add(m.FindingsRow(record_id=existing, **findings_row_kwargs))
                    self._replace_codes(s, existing, codes, confirmed=False)
                return existing, False
            patient_id = self._patient_id(s, ecg.patient)
            record = m.EcgRecord(
                patient_id=patient_id, content_hash=digest,
                source_path=os.fspath(path) if path is not None else None,
                source_format=(ecg.source_format or "unknown")[:32],
                acquired_at=acquired, acquired_utc_offset_min=offset,
                device=(ecg.device or None) and str(ecg.device)[:256],
                sampling_rate_hz=float(ecg.sampling_rate_hz), n_leads=ecg.n_leads, n_samples=ecg.n_samples,
                lead_names_json=_dumps(list(ecg.lead_names)), file_meta_json=_dumps(meta),
                imported_by=user[:128],
            )
            s.add(record)
            s.flush()
            sig = m.EcgSignal(record_id=record.id, codec=signal.codec, scale_mv=signal.scale_mv,
                              data=signal.data, sha256=signal.sha256)
            if median is not None:
                sig.median_codec = median.codec
                sig.median_scale_mv = median.scale_mv
                sig.median_rate_hz = float(ecg.median_beats.sampling_rate_hz)
                sig.median_shape_json = _dumps([median.n_leads, median.n_samples])
                sig.median_data = median.data
            s.add(sig)
            if findings_row_kwargs is not None:
                s.add(m.FindingsRow(record_id=record.id, **findings_row_kwargs))
                self._replace_codes(s, record.id, codes, confirmed=False)
            s.add(_audit_row(user, "ecg.import", record.id, {"format": record.source_format}))
            return record.id, True

        return self._tx.write(work)

    @staticmethod
    def _patient_id(s: Session, patient) -> int | None:
        """The patient row for the file's patient: by external id, else by name and birth date."""
        from ecgchat_desktop.ecg import normalise_sex

        pid = (str(patient.id) if patient.id is not None else "").strip() or None
        name = (str(patient.name) if patient.name is not None else "").strip() or None
        sex = normalise_sex(patient.sex)
        if pid is None and name is None:
            return None  # anonymous recording (most research data sets)
        if pid is not None:
            row = s.scalar(select(m.Patient).where(m.Patient.external_id == pid[:128]))
        else:
            cond = [m.Patient.external_id.is_(None), m.Patient.name == name[:256]]
            cond.append(m.Patient.birth_date == patient.birth_date if patient.birth_date
                        else m.Patient.birth_date.is_(None))
            row = s.scalar(select(m.Patient).where(*cond).limit(1))
        if row is None:
            row = m.Patient(external_id=pid and pid[:128], name=name and name[:256],
                            name_folded=name and name.casefold()[:256], sex=sex,
                            birth_date=patient.birth_date)
            s.add(row)
            s.flush()
        else:  # fill in what an earlier file lacked; never overwrite
            if row.name is None and name:
                row.name, row.name_folded = name[:256], name.casefold()[:256]
            if row.sex is None and sex:
                row.sex = sex
            if row.birth_date is None and patient.birth_date:
                row.birth_date = patient.birth_date
        return row.id

    @staticmethod
    def _findings_kwargs(findings) -> dict:
        # The same JSON as Findings.to_dict() gives, written without its deep copy of every
        # beat and median sample (dataclasses.asdict: most of the cost of storing an ECG).
        # The round trip is checked against to_dict() in the tests.
        statements = [s.to_dict() for s in findings.statements]
        measurements_json = json.dumps(findings.measurements, ensure_ascii=False, default=_json_shallow)
        return {
            "program_version": str(findings.program_version or "unknown")[:32],
            "critical": bool(findings.critical),
            "hr_bpm": _finite_or_none(getattr(findings.measurements, "hr_bpm", None)),
            "statements_json": _dumps(statements),
            "ecg_info_json": _dumps(findings.ecg_info),
            "encoder_json": _dumps(findings.encoder) if findings.encoder is not None else None,
            "notes_json": _dumps(list(findings.notes)),
            "measurements_zjson": zlib.compress(measurements_json.encode("utf-8"), 6),
        }

    @staticmethod
    def _codes(findings) -> tuple[str, ...]:
        return tuple(sorted({s.code[:64] for s in findings.statements if s.code}))

    @staticmethod
    def _replace_codes(s: Session, record_id: int, codes, confirmed: bool) -> None:
        s.query(m.EcgStatementCode).filter(m.EcgStatementCode.record_id == record_id).delete(
            synchronize_session=False)
        s.add_all([m.EcgStatementCode(record_id=record_id, code=c, confirmed=confirmed) for c in codes])

    def _require(self, s: Session, model, ident, kind: str):
        row = s.get(model, ident)
        if row is None:
            raise RecordNotFoundError(kind, ident)
        return row

    def add_findings(self, record_id: int, findings) -> int:
        """Store a (re-)analysis; the ECG's statement index follows unless it is confirmed."""
        kwargs = self._findings_kwargs(findings)
        codes = self._codes(findings)

        def work(s: Session) -> int:
            self._require(s, m.EcgRecord, record_id, "ECG record")
            row = m.FindingsRow(record_id=record_id, **kwargs)
            s.add(row)
            s.flush()
            confirmed = s.scalar(select(func.count()).where(m.Confirmation.record_id == record_id))
            if not confirmed:
                self._replace_codes(s, record_id, codes, confirmed=False)
            return row.id

        return self._tx.write(work)

    def load_ecg(self, record_id: int):
        """The stored recording as an `Ecg` (from the database alone; the file may be gone)."""
        from ecgchat_desktop.ecg import DeviceMeasurements, Ecg, MedianBeats, Patient

        def work(s: Session):
            rec = self._require(s, m.EcgRecord, record_id, "ECG record")
            sig = s.get(m.EcgSignal, record_id)
            if sig is None:
                raise CorruptRecordError(f"ECG record {record_id} has no stored signal")
            return rec, sig

        rec, sig = self._tx.read(work)
        try:
            signals = decode_signal(sig.codec, sig.scale_mv, rec.n_leads, rec.n_samples, sig.data)
        except Exception as exc:
            raise CorruptRecordError(f"ECG record {record_id}: stored signal cannot be decoded ({exc})") from None
        if signal_digest(signals) != sig.sha256:
            raise CorruptRecordError(f"ECG record {record_id}: stored signal fails its checksum")
        meta = json.loads(rec.file_meta_json)
        p = meta.get("patient") or {}
        patient = Patient(id=p.get("id"), name=p.get("name"), sex=p.get("sex"),
                          birth_date=date.fromisoformat(p["birth_date"]) if p.get("birth_date") else None,
                          age_years=p.get("age"))
        median = None
        if sig.median_data is not None:
            n_leads, n_samples = json.loads(sig.median_shape_json)
            median = MedianBeats(
                signals_mv=decode_signal(sig.median_codec, sig.median_scale_mv, n_leads, n_samples, sig.median_data),
                sampling_rate_hz=sig.median_rate_hz, lead_names=tuple(meta.get("median_lead_names", ())))
        return Ecg(
            signals_mv=signals, sampling_rate_hz=rec.sampling_rate_hz,
            lead_names=tuple(json.loads(rec.lead_names_json)), source_format=rec.source_format,
            source_path=rec.source_path, patient=patient,
            acquired_at=_join_acquired(rec.acquired_at, rec.acquired_utc_offset_min), device=rec.device,
            device_measurements=DeviceMeasurements(**(meta.get("device_measurements") or {})),
            device_statements=tuple(meta.get("device_statements", ())), median_beats=median,
            file_diagnoses=tuple(meta.get("file_diagnoses", ())), comments=tuple(meta.get("comments", ())),
        )

    def latest_findings(self, record_id: int):
        """The most recent stored `Findings` of the ECG, or None if it was never analysed."""
        from ecgchat_desktop.findings import Findings

        def work(s: Session):
            self._require(s, m.EcgRecord, record_id, "ECG record")
            return s.execute(
                select(m.FindingsRow.program_version, m.FindingsRow.critical, m.FindingsRow.statements_json,
                       m.FindingsRow.ecg_info_json, m.FindingsRow.encoder_json, m.FindingsRow.notes_json,
                       m.FindingsRow.measurements_zjson)
                .where(m.FindingsRow.record_id == record_id).order_by(m.FindingsRow.id.desc()).limit(1)
            ).first()

        row = self._tx.read(work)
        if row is None:
            return None
        return Findings.from_dict({
            "ecg_info": json.loads(row.ecg_info_json),
            "measurements": _known_measurement_fields(
                json.loads(zlib.decompress(row.measurements_zjson).decode("utf-8"))),
            "statements": json.loads(row.statements_json),
            "critical": row.critical,
            "program_version": row.program_version,
            "encoder": json.loads(row.encoder_json) if row.encoder_json else None,
            "notes": json.loads(row.notes_json),
        })

    # --- confirmation ------------------------------------------------------
    def confirm_statements(self, record_id: int, statements, user: str, note: str | None = None) -> int:
        """Record the physician's final statement list for the ECG.

        `statements`: the complete list after review (Statement objects or their dicts).
        Compared with the latest program findings by code: unchanged ones count as
        confirmed, changed ones as edited, new ones as added, missing ones as removed.
        Added and edited statements get source "physician".
        """
        user = _check_user(user, "confirming statements")
        final = _statement_dicts(statements)

        def work(s: Session) -> int:
            self._require(s, m.EcgRecord, record_id, "ECG record")
            latest = s.execute(select(m.FindingsRow.id, m.FindingsRow.statements_json)
                               .where(m.FindingsRow.record_id == record_id)
                               .order_by(m.FindingsRow.id.desc()).limit(1)).first()
            draft = {d["code"]: d for d in json.loads(latest.statements_json)} if latest else {}
            changes = {"confirmed": [], "edited": [], "added": [], "removed": []}
            stored = []
            for d in final:
                d = dict(d)
                before = draft.get(d["code"])
                if before is None:
                    changes["added"].append(d["code"])
                    d["source"] = "physician"
                elif {k: v for k, v in before.items() if k != "source"} != \
                        {k: v for k, v in d.items() if k != "source"}:
                    changes["edited"].append(d["code"])
                    d["source"] = "physician"
                else:
                    changes["confirmed"].append(d["code"])
                stored.append(d)
            final_codes = {d["code"] for d in final}
            changes["removed"] = [c for c in draft if c not in final_codes]
            row = m.Confirmation(record_id=record_id, findings_id=latest.id if latest else None,
                                 confirmed_by=user, statements_json=_dumps(stored),
                                 changes_json=_dumps(changes), note=note)
            s.add(row)
            s.flush()
            self._replace_codes(s, record_id, sorted({c[:64] for c in final_codes}), confirmed=True)
            s.add(_audit_row(user, "statements.confirm", record_id, {
                "confirmation_id": row.id, **{f"n_{k}": len(v) for k, v in changes.items()}}))
            return row.id

        return self._tx.write(work)

    def latest_confirmation(self, record_id: int) -> ConfirmationView | None:
        def work(s: Session):
            self._require(s, m.EcgRecord, record_id, "ECG record")
            return s.scalar(select(m.Confirmation).where(m.Confirmation.record_id == record_id)
                            .order_by(m.Confirmation.id.desc()).limit(1))

        row = self._tx.read(work)
        if row is None:
            return None
        return ConfirmationView(id=row.id, record_id=row.record_id, findings_id=row.findings_id,
                                confirmed_by=row.confirmed_by, confirmed_at=row.confirmed_at,
                                statements=_statements_from_json(row.statements_json),
                                changes=json.loads(row.changes_json), note=row.note)

    def current_statements(self, record_id: int):
        """The confirmed statements if the ECG was confirmed, else the latest program draft."""
        conf = self.latest_confirmation(record_id)
        if conf is not None:
            return list(conf.statements)
        findings = self.latest_findings(record_id)
        return list(findings.statements) if findings is not None else []

    # --- lists -------------------------------------------------------------
    def _summaries(self, s: Session, stmt) -> list[EcgSummary]:
        rows = s.execute(stmt).all()
        ids = [r.id for r in rows]
        codes: dict[int, list[str]] = {i: [] for i in ids}
        confirmed: dict[int, bool] = {}
        critical: dict[int, bool] = {}
        if ids:
            for rid, code, conf in s.execute(
                    select(m.EcgStatementCode.record_id, m.EcgStatementCode.code, m.EcgStatementCode.confirmed)
                    .where(m.EcgStatementCode.record_id.in_(ids))):
                codes[rid].append(code)
                confirmed[rid] = confirmed.get(rid, False) or bool(conf)
            latest = (select(func.max(m.FindingsRow.id)).where(m.FindingsRow.record_id.in_(ids))
                      .group_by(m.FindingsRow.record_id).scalar_subquery())
            for rid, crit in s.execute(select(m.FindingsRow.record_id, m.FindingsRow.critical)
                                       .where(m.FindingsRow.id.in_(latest))):
                critical[rid] = bool(crit)
            for (rid,) in s.execute(select(m.Confirmation.record_id)
                                    .where(m.Confirmation.record_id.in_(ids)).distinct()):
                confirmed[rid] = True
        return [EcgSummary(
            id=r.id, patient_id=r.patient_id, patient_external_id=r.external_id, patient_name=r.name,
            acquired_at=_join_acquired(r.acquired_at, r.acquired_utc_offset_min),
            source_format=r.source_format, source_path=r.source_path, device=r.device,
            sampling_rate_hz=r.sampling_rate_hz, n_leads=r.n_leads,
            duration_s=r.n_samples / r.sampling_rate_hz, imported_at=r.imported_at,
            content_hash=r.content_hash, critical=critical.get(r.id),
            statement_codes=tuple(sorted(codes.get(r.id, ()))), confirmed=confirmed.get(r.id, False))
            for r in rows]

    @staticmethod
    def _ecg_select():
        """The list columns only (plain rows, no ORM objects: 500-row lists stay cheap)."""
        e = m.EcgRecord
        return (select(e.id, e.patient_id, e.acquired_at, e.acquired_utc_offset_min, e.source_format,
                       e.source_path, e.device, e.sampling_rate_hz, e.n_leads, e.n_samples, e.imported_at,
                       e.content_hash, m.Patient.external_id, m.Patient.name)
                .outerjoin(m.Patient, m.Patient.id == e.patient_id))

    @staticmethod
    def _newest_first(stmt):
        return stmt.order_by(m.EcgRecord.acquired_at.desc().nulls_last(), m.EcgRecord.id.desc())

    def get_ecg(self, record_id: int) -> EcgSummary:
        def work(s: Session):
            got = self._summaries(s, self._ecg_select().where(m.EcgRecord.id == record_id))
            if not got:
                raise RecordNotFoundError("ECG record", record_id)
            return got[0]
        return self._tx.read(work)

    def list_patients(self, text: str | None = None, limit: int = 500) -> list[PatientView]:
        """Patients with their number of ECGs, most recently recorded first."""
        def work(s: Session):
            last = func.max(m.EcgRecord.acquired_at)
            stmt = (select(m.Patient, func.count(m.EcgRecord.id), last)
                    .outerjoin(m.EcgRecord, m.EcgRecord.patient_id == m.Patient.id)
                    .group_by(m.Patient.id))
            if text:
                stmt = stmt.where(self._patient_text_filter(text))
            stmt = stmt.order_by(last.desc().nulls_last(), m.Patient.id.desc()).limit(limit)
            return [PatientView(id=p.id, external_id=p.external_id, name=p.name, sex=p.sex,
                                birth_date=p.birth_date, n_ecgs=n, last_acquired_at=t)
                    for p, n, t in s.execute(stmt).all()]
        return self._tx.read(work)

    @staticmethod
    def _patient_text_filter(text: str):
        pattern = "%" + text.strip().casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return or_(m.Patient.name_folded.like(pattern, escape="\\"),
                   func.lower(m.Patient.external_id).like(pattern, escape="\\"))

    def ecgs_for_patient(self, patient_id: int) -> list[EcgSummary]:
        def work(s: Session):
            self._require(s, m.Patient, patient_id, "patient")
            return self._summaries(s, self._newest_first(
                self._ecg_select().where(m.EcgRecord.patient_id == patient_id)))
        return self._tx.read(work)

    def search(self, text: str | None = None, date_from: date | datetime | None = None,
               date_to: date | datetime | None = None, statement_code: str | None = None,
               limit: int = 500) -> list[EcgSummary]:
        """ECGs newest first. text: patient name or id (substring, case-insensitive);
        date_from/date_to: acquisition time, inclusive (a date covers its whole day);
        statement_code: among the ECG's current statements (confirmed if confirmed)."""
        lo, hi = _bound(date_from, end=False), _bound(date_to, end=True)

        def work(s: Session):
            stmt = self._ecg_select()
            by_patient = bool(text and text.strip())
            if by_patient:
                # Matching patients first, then their ECGs through (patient_id, acquired_at):
                # joining every ECG to its patient and testing the name row by row is ~40x slower.
                stmt = stmt.where(m.EcgRecord.patient_id.in_(
                    select(m.Patient.id).where(self._patient_text_filter(text))))
            if lo is not None:
                stmt = stmt.where(m.EcgRecord.acquired_at >= lo)
            if hi is not None:
                stmt = stmt.where(m.EcgRecord.acquired_at < hi if isinstance(date_to, date)
                                  and not isinstance(date_to, datetime) else m.EcgRecord.acquired_at <= hi)
            if statement_code:
                code_ids = select(m.EcgStatementCode.record_id).where(m.EcgStatementCode.code == statement_code)
                n_with_code = 0 if by_patient else s.scalar(
                    select(func.count()).select_from(m.EcgStatementCode)
                    .where(m.EcgStatementCode.code == statement_code))
                if by_patient or n_with_code > _COMMON_CODE_ROWS:
                    # Common code (or few candidate ECGs): walk newest first, test each ECG.
                    stmt = stmt.where(exists().where(and_(m.EcgStatementCode.record_id == m.EcgRecord.id,
                                                          m.EcgStatementCode.code == statement_code)))
                else:
                    # Rare code: start from the code index and sort the few hits.
                    stmt = stmt.where(m.EcgRecord.id.in_(code_ids))
            return self._summaries(s, self._newest_first(stmt).limit(limit))
        return self._tx.read(work)

    def previous_ecg(self, record_id: int) -> EcgSummary | None:
        """The same patient's ECG recorded just before this one (for serial comparison)."""
        def work(s: Session):
            rec = self._require(s, m.EcgRecord, record_id, "ECG record")
            if rec.patient_id is None:
                return None
            stmt = self._ecg_select().where(m.EcgRecord.patient_id == rec.patient_id,
                                            m.EcgRecord.id != rec.id)
            if rec.acquired_at is not None:
                stmt = stmt.where(or_(m.EcgRecord.acquired_at < rec.acquired_at,
                                      and_(m.EcgRecord.acquired_at == rec.acquired_at, m.EcgRecord.id < rec.id)))
                stmt = self._newest_first(stmt)
            else:
                stmt = stmt.where(m.EcgRecord.acquired_at.is_(None), m.EcgRecord.id < rec.id) \
                    .order_by(m.EcgRecord.id.desc())
            got = self._summaries(s, stmt.limit(1))
            return got[0] if got else None
        return self._tx.read(work)

    # --- chats ---------------------------------------------------------------
    def start_chat(self, record_id: int, model: str, user: str | None = None) -> int:
        user = user or current_user()

        def work(s: Session) -> int:
            self._require(s, m.EcgRecord, record_id, "ECG record")
            row = m.ChatSession(record_id=record_id, model_name=str(model)[:256], started_by=user[:128])
            s.add(row)
            s.flush()
            s.add(_audit_row(user, "chat.start", record_id, {"chat_id": row.id}))
            return row.id
        return self._tx.write(work)

    def add_message(self, session_id: int, role: str, text: str, model: str | None = None, claims=None) -> int:
        """Append a message. `claims`: the claim-check result (JSON types, a dataclass or
        anything with to_dict()), stored as JSON and returned as plain JSON types."""
        if role not in MESSAGE_ROLES:
            raise ValueError(f"message role must be one of {MESSAGE_ROLES}, got {role!r}")
        claims_json = _dumps(claims) if claims is not None else None

        def work(s: Session) -> int:
            self._require(s, m.ChatSession, session_id, "chat session")
            row = m.Message(session_id=session_id, role=role, text=str(text),
                            model_name=str(model)[:256] if model else None, claims_json=claims_json)
            s.add(row)
            s.flush()
            return row.id
        return self._tx.write(work)

    def chat_with_messages(self, session_id: int) -> ChatView:
        def work(s: Session):
            chat = self._require(s, m.ChatSession, session_id, "chat session")
            msgs = s.scalars(select(m.Message).where(m.Message.session_id == session_id)
                             .order_by(m.Message.id)).all()
            return ChatView(id=chat.id, record_id=chat.record_id, model_name=chat.model_name,
                            started_by=chat.started_by, started_at=chat.started_at,
                            messages=tuple(MessageView(
                                id=x.id, role=x.role, text=x.text, model_name=x.model_name,
                                claims=json.loads(x.claims_json) if x.claims_json else None,
                                created_at=x.created_at) for x in msgs))
        return self._tx.read(work)

    def chats_for_ecg(self, record_id: int) -> list[ChatSummary]:
        def work(s: Session):
            self._require(s, m.EcgRecord, record_id, "ECG record")
            stmt = (select(m.ChatSession, func.count(m.Message.id))
                    .outerjoin(m.Message, m.Message.session_id == m.ChatSession.id)
                    .where(m.ChatSession.record_id == record_id)
                    .group_by(m.ChatSession.id).order_by(m.ChatSession.id.desc()))
            return [ChatSummary(id=c.id, record_id=c.record_id, model_name=c.model_name,
                                started_by=c.started_by, started_at=c.started_at, n_messages=n)
                    for c, n in s.execute(stmt).all()]
        return self._tx.read(work)

    # --- reports -------------------------------------------------------------
    def add_report(self, record_id: int, pdf_bytes: bytes, created_by: str,
                   confirmation_id: int | None = None) -> int:
        created_by = _check_user(created_by, "a report")
        pdf_bytes = bytes(pdf_bytes)
        if not pdf_bytes.startswith(b"%PDF-"):
            raise ValueError("report bytes are not a PDF (no %PDF- header)")
        digest = hashlib.sha256(pdf_bytes).hexdigest()

        def work(s: Session) -> int:
            self._require(s, m.EcgRecord, record_id, "ECG record")
            if confirmation_id is not None:
                conf = self._require(s, m.Confirmation, confirmation_id, "confirmation")
                if conf.record_id != record_id:
                    raise ValueError(f"confirmation {confirmation_id} belongs to another ECG")
            row = m.Report(record_id=record_id, confirmation_id=confirmation_id, created_by=created_by,
                           sha256=digest, size_bytes=len(pdf_bytes), pdf=pdf_bytes)
            s.add(row)
            s.flush()
            s.add(_audit_row(created_by, "report.create", record_id, {"report_id": row.id}))
            return row.id
        return self._tx.write(work)

    def reports_for_ecg(self, record_id: int) -> list[ReportView]:
        def work(s: Session):
            self._require(s, m.EcgRecord, record_id, "ECG record")
            rows = s.scalars(select(m.Report).where(m.Report.record_id == record_id)
                             .order_by(m.Report.id.desc())).all()
            return [ReportView(id=r.id, record_id=r.record_id, confirmation_id=r.confirmation_id,
                               created_by=r.created_by, created_at=r.created_at, sha256=r.sha256,
                               size_bytes=r.size_bytes) for r in rows]
        return self._tx.read(work)

    def report_pdf(self, report_id: int) -> bytes:
        def work(s: Session):
            row = s.execute(select(m.Report.pdf, m.Report.sha256).where(m.Report.id == report_id)).first()
            if row is None:
                raise RecordNotFoundError("report", report_id)
            return row
        pdf, digest = self._tx.read(work)
        if hashlib.sha256(pdf).hexdigest() != digest:
            raise CorruptRecordError(f"report {report_id}: stored PDF fails its checksum")
        return bytes(pdf)

    # --- audit -----------------------------------------------------------------
    def audit(self, user: str, action: str, record_id: int | None = None, **details) -> int:
        """Record that `user` did `action` (e.g. "ecg.open", "report.print").

        details: ids, counts, booleans and short codes only (validated)."""
        row_template = _audit_row(user, action, record_id, details)

        def work(s: Session) -> int:
            row = m.AuditEvent(user=row_template.user, action=row_template.action,
                               record_id=row_template.record_id, details_json=row_template.details_json)
            s.add(row)
            s.flush()
            return row.id
        return self._tx.write(work)

    def audit_events(self, record_id: int | None = None, limit: int = 200) -> list[AuditView]:
        def work(s: Session):
            stmt = select(m.AuditEvent).order_by(m.AuditEvent.id.desc()).limit(limit)
            if record_id is not None:
                stmt = stmt.where(m.AuditEvent.record_id == record_id)
            return [AuditView(id=a.id, at=a.at, user=a.user, action=a.action, record_id=a.record_id,
                              details=json.loads(a.details_json) if a.details_json else {})
                    for a in s.scalars(stmt).all()]
        return self._tx.read(work)

    # --- maintenance -----------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Row counts per table (diagnostics, tests)."""
        tables = {"patients": m.Patient, "ecg_records": m.EcgRecord, "ecg_signals": m.EcgSignal,
                  "findings": m.FindingsRow, "confirmations": m.Confirmation, "chat_sessions": m.ChatSession,
                  "messages": m.Message, "reports": m.Report, "audit_events": m.AuditEvent}
        return self._tx.read(lambda s: {k: s.scalar(select(func.count()).select_from(v)) for k, v in tables.items()})
