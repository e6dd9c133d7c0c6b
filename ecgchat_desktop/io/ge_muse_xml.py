"""GE MUSE resting ECG XML (<RestingECG>) reader. Own code over a hardened XML parse.

Each <Waveform> (WaveformType Rhythm or Median) has one <LeadData> per stored lead:
<WaveFormData> is base64 of little-endian int16 samples, scaled by
<LeadAmplitudeUnitsPerBit> in <LeadAmplitudeUnits> (MICROVOLTS as a rule). MUSE
usually stores 8 independent leads (I, II, V1-V6); III, aVR, aVL and aVF are derived
by Einthoven's law and Goldberger's equations. The sampling rate is
SampleBase x 10^SampleExponent. No GE sample may be redistributed: this reader is
written to the layout GE documents and tested with files written to that layout.
"""

from __future__ import annotations

import base64
import binascii
import zlib
import xml.etree.ElementTree as ET
from datetime import date, datetime
from pathlib import Path

import numpy as np

from ecgchat_desktop.ecg import (
    STANDARD_12_LEADS,
    DeviceMeasurements,
    Ecg,
    MedianBeats,
    Patient,
    canonical_lead_name,
    derive_limb_leads,
    normalise_sex,
)
from ecgchat_desktop.io.errors import CorruptFileError, ImplausibleContentError, UnsupportedFormatError
from ecgchat_desktop.io.xml_safety import local, parse_xml, root_element_of, text_of, to_float

FORMAT = "ge-muse-xml"

_UNITS_TO_MV = {"MICROVOLTS": 1e-3, "UV": 1e-3, "MILLIVOLTS": 1.0, "MV": 1.0, "VOLTS": 1e3, "V": 1e3,
                "NANOVOLTS": 1e-6}
_MAX_SAMPLES_PER_LEAD = 50_000_000

_MEASUREMENTS = (
    ("hr_bpm", "VentricularRate"),
    ("pr_ms", "PRInterval"),
    ("qrs_ms", "QRSDuration"),
    ("qt_ms", "QTInterval"),
    ("qtc_ms", "QTCorrected"),
    ("p_axis_deg", "PAxis"),
    ("qrs_axis_deg", "RAxis"),
    ("t_axis_deg", "TAxis"),
)


def sniff(path: Path, head: bytes) -> bool:
    root = root_element_of(path, head)
    return root is not None and root[0] == "RestingECG"


def _child(element: ET.Element | None, name: str) -> ET.Element | None:
    if element is None:
        return None
    return next((c for c in element if local(c.tag) == name), None)


def _children(element: ET.Element | None, name: str) -> list[ET.Element]:
    return [] if element is None else [c for c in element if local(c.tag) == name]


def _text(element: ET.Element | None, name: str) -> str | None:
    return text_of(_child(element, name))


class _Waveform:
    def __init__(self, signals: np.ndarray, rate_hz: float, leads: list[str], notes: list[str]):
        self.signals, self.rate_hz, self.leads, self.notes = signals, rate_hz, leads, notes


def _read_waveform(path: Path, waveform: ET.Element, kind: str) -> _Waveform:
    base = to_float(_text(waveform, "SampleBase"))
    exponent = to_float(_text(waveform, "SampleExponent")) or 0.0
    if base is None or base <= 0 or not -3 <= exponent <= 6:
        raise ImplausibleContentError(
            path, f"{kind} waveform: sample rate {_text(waveform, 'SampleBase')!r} x 10^{exponent:g} Hz")
    rate_hz = base * 10.0 ** exponent
    leads: dict[str, np.ndarray] = {}
    notes: list[str] = []
    for lead_data in _children(waveform, "LeadData"):
        raw_name = _text(lead_data, "LeadID")
        if not raw_name:
            raise CorruptFileError(path, f"{kind} waveform: a <LeadData> has no <LeadID>")
        name = canonical_lead_name(raw_name)
        sample_size = to_float(_text(lead_data, "LeadSampleSize")) or 2.0
        if sample_size != 2:
            raise UnsupportedFormatError(path, f"{kind} lead {name}: {sample_size:g}-byte samples (only 2 supported)")
        units_per_bit = to_float(_text(lead_data, "LeadAmplitudeUnitsPerBit"))
        if units_per_bit is None or units_per_bit <= 0:
            raise ImplausibleContentError(
                path, f"{kind} lead {name}: amplitude {_text(lead_data, 'LeadAmplitudeUnitsPerBit')!r} units per bit")
        unit = (_text(lead_data, "LeadAmplitudeUnits") or "MICROVOLTS").upper()
        if unit not in _UNITS_TO_MV:
            raise ImplausibleContentError(path, f"{kind} lead {name}: amplitude unit {unit!r} is not a voltage")
        encoded = _text(lead_data, "WaveFormData")
        if not encoded:
            raise CorruptFileError(path, f"{kind} lead {name}: no <WaveFormData>")
        if len(encoded) > _MAX_SAMPLES_PER_LEAD * 3:
            raise ImplausibleContentError(path, f"{kind} lead {name}: waveform data too large")
        try:
            data = base64.b64decode("".join(encoded.split()), validate=True)
        except (binascii.Error, ValueError):
            raise CorruptFileError(path, f"{kind} lead {name}: <WaveFormData> is not valid base64") from None
        if len(data) % 2:
            raise CorruptFileError(path, f"{kind} lead {name}: odd number of bytes ({len(data)}) for 16-bit samples")
        declared = to_float(_text(lead_data, "LeadSampleCountTotal"))
        counts = np.frombuffer(data, dtype="<i2")
        if declared is not None:
            if declared <= 0 or declared > counts.size:
                raise CorruptFileError(
                    path, f"{kind} lead {name}: {counts.size} samples stored, {declared:g} declared")
            counts = counts[: int(declared)]
        crc = _text(lead_data, "LeadDataCRC32")
        if crc and crc.lstrip("-").isdigit() and (zlib.crc32(data) != int(crc) % (1 << 32)):
            notes.append(f"{kind} lead {name}: stored CRC32 differs from the data")
        if name in leads:
            continue
        leads[name] = counts.astype(np.float64) * (units_per_bit * _UNITS_TO_MV[unit])
    if not leads:
        raise ImplausibleContentError(path, f"{kind} waveform has no leads")
    n = min(x.size for x in leads.values())
    if len({x.size for x in leads.values()}) > 1:
        notes.append(f"{kind} leads have different lengths; cut to the shortest ({n} samples)")
    leads = {k: v[:n] for k, v in leads.items()}
    # Derive the limb leads MUSE does not store (it keeps I and II, the others follow).
    if "I" in leads and "II" in leads:
        missing = [k for k in ("III", "aVR", "aVL", "aVF") if k not in leads]
        if missing:
            derived = derive_limb_leads(leads["I"], leads["II"])
            for k in missing:
                leads[k] = derived[k].astype(np.float64)
            notes.append(f"{kind}: {', '.join(missing)} derived from I and II")
    order = [k for k in STANDARD_12_LEADS if k in leads] + [k for k in leads if k not in STANDARD_12_LEADS]
    signals = np.vstack([leads[k] for k in order]).astype(np.float32)
    return _Waveform(signals, rate_hz, order, notes)


def _muse_date(raw: str | None) -> date | None:
    """MUSE writes MM-DD-YYYY; some exports use YYYY-MM-DD."""
    if not raw:
        return None
    for fmt in ("%m-%d-%Y", "%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(raw.strip(), fmt).date()
        except ValueError:
            continue
    return None


def _acquired_at(test: ET.Element | None) -> datetime | None:
    day = _muse_date(_text(test, "AcquisitionDate"))
    if day is None:
        return None
    raw_time = _text(test, "AcquisitionTime") or "00:00:00"
    try:
        clock = datetime.strptime(raw_time, "%H:%M:%S").time()
    except ValueError:
        try:
            clock = datetime.strptime(raw_time, "%H:%M").time()
        except ValueError:
            return None
    return datetime.combine(day, clock)


def _patient(root: ET.Element, acquired_at: datetime | None) -> Patient:
    demo = _child(root, "PatientDemographics")
    if demo is None:
        return Patient()
    last, first = _text(demo, "PatientLastName"), _text(demo, "PatientFirstName")
    name = ", ".join(p for p in (last, first) if p) or None
    birth = _muse_date(_text(demo, "DateofBirth"))
    age = to_float(_text(demo, "PatientAge"))
    units = (_text(demo, "AgeUnits") or "YEARS").upper()
    if age is not None:
        age = {"YEARS": age, "MONTHS": age / 12.0, "WEEKS": age / 52.1775, "DAYS": age / 365.25,
               "HOURS": age / 8766.0}.get(units)
    if age is None and birth and acquired_at:
        age = round((acquired_at.date() - birth).days / 365.25, 1)
    if age is not None and not 0 <= age <= 130:
        age = None
    return Patient(id=_text(demo, "PatientID"), name=name, sex=normalise_sex(_text(demo, "Gender")),
                   birth_date=birth, age_years=round(age, 2) if age is not None else None)


def _device(test: ET.Element | None) -> str | None:
    model = _text(test, "AcquisitionDevice")
    software = _text(test, "AcquisitionSoftwareVersion")
    if not model:
        return None
    text = f"GE {model}" if not model.upper().startswith("GE") else model
    return f"{text} (software {software})" if software else text


def _measurements(root: ET.Element) -> DeviceMeasurements:
    block = _child(root, "RestingECGMeasurements")
    values = {field: to_float(_text(block, tag)) for field, tag in _MEASUREMENTS}
    hr = values.get("hr_bpm")
    if hr:
        values["rr_ms"] = round(60000.0 / hr, 1)
    return DeviceMeasurements(**values)


def _statements(root: ET.Element) -> list[str]:
    """DiagnosisStatement texts; a line ends at a statement flagged ENDSLINE."""
    diagnosis = _child(root, "Diagnosis")
    if diagnosis is None:
        diagnosis = _child(root, "OriginalDiagnosis")
    lines: list[str] = []
    current: list[str] = []
    for statement in _children(diagnosis, "DiagnosisStatement"):
        text = _text(statement, "StmtText")
        if text:
            current.append(text)
        flags = {(text_of(f) or "").upper() for f in _children(statement, "StmtFlag")}
        if "ENDSLINE" in flags and current:
            lines.append(" ".join(current))
            current = []
    if current:
        lines.append(" ".join(current))
    return lines


def read(path: Path) -> Ecg:
    path = Path(path)
    root = parse_xml(path, "GE MUSE XML")
    if local(root.tag) != "RestingECG":
        raise CorruptFileError(path, f"root element is {local(root.tag)!r}, not GE MUSE RestingECG")
    rhythm = median = None
    for waveform in _children(root, "Waveform"):
        kind = (_text(waveform, "WaveformType") or "").capitalize()
        if kind == "Rhythm" and rhythm is None:
            rhythm = _read_waveform(path, waveform, "Rhythm")
        elif kind == "Median" and median is None:
            median = _read_waveform(path, waveform, "Median")
    if rhythm is None:
        raise ImplausibleContentError(path, "GE MUSE XML has no Rhythm waveform")
    test = _child(root, "TestDemographics")
    acquired_at = _acquired_at(test)
    comments = list(rhythm.notes) + (list(median.notes) if median else [])
    return Ecg(
        signals_mv=rhythm.signals,
        sampling_rate_hz=rhythm.rate_hz,
        lead_names=tuple(rhythm.leads),
        source_format=FORMAT,
        source_path=str(path),
        patient=_patient(root, acquired_at),
        acquired_at=acquired_at,
        device=_device(test),
        device_measurements=_measurements(root),
        device_statements=tuple(_statements(root)),
        median_beats=(MedianBeats(signals_mv=median.signals, sampling_rate_hz=median.rate_hz,
                                  lead_names=tuple(median.leads)) if median else None),
        comments=tuple(comments),
    )
