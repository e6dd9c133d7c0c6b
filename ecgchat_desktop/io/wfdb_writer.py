"""WFDB writer: RECORD.hea + RECORD.dat, format 16, millivolts, via wfdb.wrsamp.

Quantisation: 1 uV per unit (gain 1000/mV) whenever the signal fits in int16
(+-32.767 mV), so records that came from PTB-XL, LUDB or DICOM carts (1-5 uV
steps) are written without loss; larger signals get the finest gain that fits.
Missing samples (NaN) are stored as WFDB's invalid value -32768.

Patient and device data go into header comments that `wfdb_reader` parses back:
`Age:`, `Sex:` (Challenge style), `Patient ID:`, `Patient name:`, `Birth date:`,
`Device:`, `Device measurement KEY:`, `Device statement:`, `Diagnosis:`; the
source file's own comments follow as `Note:` lines.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ecgchat_desktop.ecg import DEVICE_MEASUREMENT_KEYS
from ecgchat_desktop.io.atomic_write import commit, staging
from ecgchat_desktop.io.errors import EcgWriteError

INT16_MAX = 32767
INVALID = -32768
_RECORD_NAME = re.compile(r"^[-\w]+$")


def _clean(text) -> str:
    return re.sub(r"[\r\n]+", " ", str(text)).strip()


def header_comments(ecg) -> list[str]:
    p = ecg.patient
    lines = []
    if p.age_years is not None:
        lines.append(f"Age: {p.age_years:g}")
    if p.sex:
        lines.append(f"Sex: {'Male' if p.sex == 'M' else 'Female'}")
    if p.id:
        lines.append(f"Patient ID: {_clean(p.id)}")
    if p.name:
        lines.append(f"Patient name: {_clean(p.name)}")
    if p.birth_date:
        lines.append(f"Birth date: {p.birth_date.isoformat()}")
    if ecg.device:
        lines.append(f"Device: {_clean(ecg.device)}")
    for key in DEVICE_MEASUREMENT_KEYS:
        value = getattr(ecg.device_measurements, key)
        if value is not None:
            lines.append(f"Device measurement {key}: {value:g}")
    lines.extend(f"Device statement: {_clean(s)}" for s in ecg.device_statements)
    lines.extend(f"Diagnosis: {_clean(d)}" for d in ecg.file_diagnoses)
    lines.extend(f"Note: {_clean(c)}" for c in ecg.comments if _clean(c))
    return lines


def _gain(signals: np.ndarray) -> float:
    finite = signals[np.isfinite(signals)]
    peak = float(np.max(np.abs(finite))) if finite.size else 0.0
    if peak * 1000.0 <= INT16_MAX:
        return 1000.0
    return float(np.floor(INT16_MAX / peak * 1000.0) / 1000.0)


def write(ecg, path: str | Path) -> Path:
    import wfdb

    path = Path(path)
    if path.suffix.lower() != ".hea":
        raise EcgWriteError(path, "a WFDB record is written as RECORD.hea (+ RECORD.dat)")
    name = path.stem
    if not _RECORD_NAME.match(name):
        raise EcgWriteError(path, "WFDB record names may hold only letters, digits, '-' and '_'")
    signals = ecg.signals_mv.astype(np.float64)
    gains = [_gain(row) for row in signals]
    digital = np.empty(signals.shape, dtype=np.int64)
    for i, (row, gain) in enumerate(zip(signals, gains)):
        scaled = np.round(row * gain)
        digital[i] = np.where(np.isfinite(scaled), np.clip(np.nan_to_num(scaled), -INT16_MAX, INT16_MAX), INVALID)
    when = ecg.acquired_at
    sig_names = [_clean(n) or f"ch{i + 1}" for i, n in enumerate(ecg.lead_names)]
    with staging(path) as tmp:
        try:
            wfdb.wrsamp(
                name, fs=ecg.sampling_rate_hz, units=["mV"] * ecg.n_leads, sig_name=sig_names,
                d_signal=digital.T.astype(np.int64), fmt=["16"] * ecg.n_leads, adc_gain=gains,
                baseline=[0] * ecg.n_leads, comments=header_comments(ecg),
                base_date=when.date() if when else None, base_time=when.time() if when else None,
                write_dir=str(tmp))
        except OSError:
            raise
        except Exception as exc:
            raise EcgWriteError(path, f"WFDB record cannot be written ({type(exc).__name__}: {exc})") from None
        # data first, header last: a reader never finds a header without its data
        commit(tmp / f"{name}.dat", path.with_suffix(".dat"), path)
        commit(tmp / f"{name}.hea", path, path)
    return path
