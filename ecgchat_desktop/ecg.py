"""`Ecg`: one recording in millivolts, with canonical lead names and what the file carries.

This module is the contract between the readers (`io`) and everything downstream.
It imports numpy only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Iterable

import numpy as np

from ecgchat_desktop.io.errors import ImplausibleContentError

STANDARD_12_LEADS: tuple[str, ...] = (
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
)
LIMB_LEADS = STANDARD_12_LEADS[:6]
CHEST_LEADS = STANDARD_12_LEADS[6:]

# Other names seen in the wild, normalised to one spelling. Keys are upper-cased
# and stripped of separators before lookup.
_ALIASES: dict[str, str] = {
    "I": "I", "II": "II", "III": "III",
    "AVR": "aVR", "AVL": "aVL", "AVF": "aVF",
    "-AVR": "-aVR",
    "1": "I", "2": "II", "3": "III",
    "MLI": "MLI", "MLII": "MLII", "MLIII": "MLIII",
    "X": "X", "Y": "Y", "Z": "Z", "VX": "X", "VY": "Y", "VZ": "Z",
    "V3R": "V3R", "V4R": "V4R", "V5R": "V5R", "V6R": "V6R",
    "V7": "V7", "V8": "V8", "V9": "V9",
}
for _n in range(1, 7):
    _ALIASES[f"V{_n}"] = f"V{_n}"
    _ALIASES[f"C{_n}"] = f"V{_n}"  # European chest-lead naming
    _ALIASES[f"CH{_n}"] = f"V{_n}"

_PREFIXES = ("MDC_ECG_LEAD_", "LEAD_", "LEAD", "ECG_")


def canonical_lead_name(raw: str) -> str:
    """Map a vendor's lead label ('lead II', 'MDC_ECG_LEAD_AVR', 'v1', 'C1') to ours.

    Unknown labels are returned stripped, unchanged otherwise, so nothing is lost.
    """
    text = str(raw).strip()
    key = re.sub(r"[\s_\-\.]+", "", text.upper()) if not text.startswith("-") else "-" + re.sub(
        r"[\s_\-\.]+", "", text[1:].upper())
    for prefix in _PREFIXES:
        bare = prefix.replace("_", "")
        if key.startswith(bare) and len(key) > len(bare):
            key = key[len(bare):]
            break
    return _ALIASES.get(key, text)


def derive_limb_leads(lead_i_mv: np.ndarray, lead_ii_mv: np.ndarray) -> dict[str, np.ndarray]:
    """III, aVR, aVL, aVF from I and II (Einthoven's law and Goldberger's equations)."""
    i = np.asarray(lead_i_mv, dtype=np.float32)
    ii = np.asarray(lead_ii_mv, dtype=np.float32)
    return {
        "III": ii - i,
        "aVR": -(i + ii) / 2.0,
        "aVL": i - ii / 2.0,
        "aVF": ii - i / 2.0,
    }


@dataclass(frozen=True)
class Patient:
    id: str | None = None
    name: str | None = None
    sex: str | None = None  # "M", "F" or None (unknown)
    birth_date: date | None = None
    age_years: float | None = None

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "sex": self.sex,
            "age": self.age_years,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
        }


def normalise_sex(raw) -> str | None:
    if raw is None:
        return None
    text = str(raw).strip().lower()
    if text in ("m", "male", "man", "1", "mann", "männlich"):
        return "M"
    if text in ("f", "female", "woman", "w", "weiblich", "2"):
        return "F"
    return None


DEVICE_MEASUREMENT_KEYS: tuple[str, ...] = (
    "hr_bpm", "rr_ms", "p_ms", "pr_ms", "qrs_ms", "qt_ms", "qtc_ms",
    "p_axis_deg", "qrs_axis_deg", "t_axis_deg",
)


@dataclass(frozen=True)
class DeviceMeasurements:
    """Global measurements printed by the acquiring device (None where the file has none)."""

    hr_bpm: float | None = None
    rr_ms: float | None = None
    p_ms: float | None = None
    pr_ms: float | None = None
    qrs_ms: float | None = None
    qt_ms: float | None = None
    qtc_ms: float | None = None
    p_axis_deg: float | None = None
    qrs_axis_deg: float | None = None
    t_axis_deg: float | None = None

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in DEVICE_MEASUREMENT_KEYS}

    def is_empty(self) -> bool:
        return all(getattr(self, k) is None for k in DEVICE_MEASUREMENT_KEYS)


@dataclass(frozen=True)
class MedianBeats:
    """Representative beats as stored by the device (not our own median beat)."""

    signals_mv: np.ndarray  # float32 [n_leads, n_samples]
    sampling_rate_hz: float
    lead_names: tuple[str, ...]


@dataclass(frozen=True)
class Ecg:
    """One recording. Immutable once read: the signal array is made read-only."""

    signals_mv: np.ndarray  # float32 [n_leads, n_samples], millivolts
    sampling_rate_hz: float
    lead_names: tuple[str, ...]
    source_format: str = "unknown"  # "wfdb", "dicom", "hl7-aecg", "scp-ecg", "philips-xml", "ge-muse-xml", "edf", "csv"
    source_path: str | None = None
    patient: Patient = field(default_factory=Patient)
    acquired_at: datetime | None = None
    device: str | None = None
    device_measurements: DeviceMeasurements = field(default_factory=DeviceMeasurements)
    device_statements: tuple[str, ...] = ()
    median_beats: MedianBeats | None = None
    # Diagnoses carried in the file's comments (PTB-XL/LUDB/Challenge #Dx); labels, not our findings.
    file_diagnoses: tuple[str, ...] = ()
    comments: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        where = self.source_path or "<memory>"
        sig = np.asarray(self.signals_mv)
        if sig.ndim != 2:
            raise ImplausibleContentError(where, f"signal array must be 2-D [leads, samples], got shape {sig.shape}")
        sig = np.ascontiguousarray(sig, dtype=np.float32)
        # Read-only so that no consumer (filters, UI) can alter the recording in place.
        sig.flags.writeable = False
        object.__setattr__(self, "signals_mv", sig)
        object.__setattr__(self, "lead_names", tuple(self.lead_names))
        object.__setattr__(self, "device_statements", tuple(self.device_statements))
        fs = self.sampling_rate_hz
        if fs is None or not np.isfinite(fs) or fs <= 0 or fs > 100_000:
            raise ImplausibleContentError(where, f"implausible sampling rate {fs!r} Hz")
        object.__setattr__(self, "sampling_rate_hz", float(fs))
        if sig.shape[0] != len(self.lead_names):
            raise ImplausibleContentError(
                where, f"{sig.shape[0]} signal rows but {len(self.lead_names)} lead names")
        if sig.shape[0] == 0 or sig.shape[1] == 0:
            raise ImplausibleContentError(where, f"no samples (shape {sig.shape})")
        if not np.isfinite(sig).any():
            raise ImplausibleContentError(where, "every sample is NaN or infinite")

    # --- convenience -----------------------------------------------------
    @property
    def n_leads(self) -> int:
        return int(self.signals_mv.shape[0])

    @property
    def n_samples(self) -> int:
        return int(self.signals_mv.shape[1])

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.sampling_rate_hz

    def lead(self, name: str) -> np.ndarray:
        """The signal of one lead by (canonical) name; KeyError if absent."""
        return self.signals_mv[self.lead_names.index(canonical_lead_name(name))]

    def has_leads(self, names: Iterable[str]) -> bool:
        return all(n in self.lead_names for n in names)

    def with_changes(self, **changes) -> "Ecg":
        return replace(self, **changes)

    def info_dict(self) -> dict:
        """The fields `ecgchat info --json` prints (stable, scripted against)."""
        return {
            "format": self.source_format,
            "sampling_rate_hz": self.sampling_rate_hz,
            "n_samples": self.n_samples,
            "duration_s": round(self.duration_s, 6),
            "leads": list(self.lead_names),
            "units": "mV",
            "patient": {
                "id": self.patient.id,
                "name": self.patient.name,
                "sex": self.patient.sex,
                "age": self.patient.age_years,
            },
            "acquired_at": self.acquired_at.isoformat() if self.acquired_at else None,
            "device": self.device,
            "device_measurements": {
                k: self.device_measurements.to_dict()[k]
                for k in ("hr_bpm", "pr_ms", "qrs_ms", "qt_ms", "qtc_ms",
                          "p_axis_deg", "qrs_axis_deg", "t_axis_deg")
            },
            "device_statements": list(self.device_statements),
        }
