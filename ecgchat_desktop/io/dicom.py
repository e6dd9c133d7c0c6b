"""DICOM waveform files (12-Lead ECG, General ECG, Ambulatory, Hemodynamic, Cardiac EP) via pydicom.

pydicom parses the data set; the multiplex groups are decoded here (the same
formula as pydicom's `waveform_array`: sample x sensitivity x correction factor
+ baseline, PS3.3 C.10.9.1.4) so that sizes are checked against the bytes
actually present before anything is allocated, and units are converted to mV.

- The rhythm group (label RHYTHM, or the longest non-median group) becomes the
  signals; a group labelled MEDIAN BEAT / REPRESENTATIVE BEAT / AVERAGE (or a
  short DERIVED group) becomes `Ecg.median_beats`.
- Channels in non-voltage units (a hemodynamic file's pressures) are dropped with
  a note in `Ecg.comments`.
- Lead names come from the Channel Source Sequence: the code meaning, else the
  SCP-ECG / MDC lead code number.
- The Waveform Annotation Sequence gives device measurements (matched by concept
  code, else by code meaning) and device statements (Unformatted Text Value, or
  coded statements).
"""

from __future__ import annotations

import re
import warnings
from datetime import date, datetime
from pathlib import Path

import numpy as np

from ecgchat_desktop.ecg import (
    DeviceMeasurements,
    Ecg,
    MedianBeats,
    Patient,
    canonical_lead_name,
    normalise_sex,
)
from ecgchat_desktop.io.errors import (
    CorruptFileError,
    EcgReadError,
    ImplausibleContentError,
    UnsupportedFormatError,
)

FORMAT = "dicom"

WAVEFORM_SOP_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.9.1.1": "12-Lead ECG Waveform Storage",
    "1.2.840.10008.5.1.4.1.1.9.1.2": "General ECG Waveform Storage",
    "1.2.840.10008.5.1.4.1.1.9.1.3": "Ambulatory ECG Waveform Storage",
    "1.2.840.10008.5.1.4.1.1.9.1.4": "General 32-bit ECG Waveform Storage",
    "1.2.840.10008.5.1.4.1.1.9.2.1": "Hemodynamic Waveform Storage",
    "1.2.840.10008.5.1.4.1.1.9.3.1": "Basic Cardiac Electrophysiology Waveform Storage",
}

MAX_SAMPLE_VALUES = 40_000_000

_DTYPES = {
    (8, "SB"): np.int8, (8, "UB"): np.uint8,
    (16, "SS"): np.int16, (16, "US"): np.uint16,
    (32, "SL"): np.int32, (32, "UL"): np.uint32,
    (64, "SV"): np.int64, (64, "UV"): np.uint64,
}

_MV_PER_UNIT = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "v": 1000.0, "nv": 1e-6,
                "millivolt": 1.0, "microvolt": 1e-3, "volt": 1000.0}

# SCP-ECG (5.6.3-9-N) and MDC (2:N) share the lead numbering of SCP-ECG table 14.
_LEAD_BY_NUMBER = {
    1: "I", 2: "II", 3: "V1", 4: "V2", 5: "V3", 6: "V4", 7: "V5", 8: "V6", 9: "V7",
    10: "V2R", 11: "V3R", 12: "V4R", 13: "V5R", 14: "V6R", 15: "V7R", 16: "X", 17: "Y", 18: "Z",
    61: "III", 62: "aVR", 63: "aVL", 64: "aVF", 65: "-aVR", 66: "V8", 67: "V9", 68: "V8R", 69: "V9R",
}

_MEDIAN_LABEL = re.compile(r"median|represent|average|template|beat", re.IGNORECASE)

# Concept codes of global measurements (SCP-ECG as written by the ECG Toolkit, LOINC,
# MDC), then normalised code meanings as a fallback.
_MEASUREMENT_CODES = {
    "5.10.2.1-3": "rr_ms", "5.13.5-7": "pr_ms", "5.13.5-9": "qrs_ms", "5.13.5-11": "qt_ms", "5.10.2.5-5": "qtc_ms",
    "5.10.3-11": "p_axis_deg", "5.10.3-13": "qrs_axis_deg", "5.10.3-15": "t_axis_deg",
    "8867-4": "hr_bpm", "8625-6": "pr_ms", "8633-0": "qrs_ms", "8634-8": "qt_ms", "8636-3": "qtc_ms",
    "8626-4": "p_axis_deg", "8632-2": "qrs_axis_deg", "8638-9": "t_axis_deg",
    "8: 16770": "hr_bpm",
}
_MEASUREMENT_MEANINGS = {
    "heartrate": "hr_bpm", "ventricularrate": "hr_bpm", "ventrate": "hr_bpm", "ventricularheartrate": "hr_bpm",
    "rrinterval": "rr_ms", "ppinterval": None,
    "pduration": "p_ms", "pwaveduration": "p_ms",
    "printerval": "pr_ms", "pqinterval": "pr_ms",
    "qrsduration": "qrs_ms", "qrsinterval": "qrs_ms",
    "qtinterval": "qt_ms",
    "qtcinterval": "qtc_ms", "qtc": "qtc_ms", "qtcorrected": "qtc_ms", "qtintervalcorrected": "qtc_ms",
    "paxis": "p_axis_deg", "pwaveaxis": "p_axis_deg", "pfrontaxis": "p_axis_deg",
    "qrsaxis": "qrs_axis_deg", "rwaveaxis": "qrs_axis_deg", "raxis": "qrs_axis_deg", "qrsfrontaxis": "qrs_axis_deg",
    "taxis": "t_axis_deg", "twaveaxis": "t_axis_deg", "tfrontaxis": "t_axis_deg",
}
_TIME_TO_MS = {"ms": 1.0, "s": 1000.0, "us": 1e-3}


def sniff(path: Path, head: bytes) -> bool:
    if len(head) >= 132 and head[128:132] == b"DICM":
        return True
    # Files without the 128-byte preamble: a group 0002/0008 element first, explicit VR or short length.
    if len(head) >= 8 and head[:2] in (b"\x02\x00", b"\x08\x00"):
        vr = head[4:6]
        if vr.isalpha() and vr.isupper():
            return True
        length = int.from_bytes(head[4:8], "little")
        return length < 1024 and str(path).lower().endswith((".dcm", ".dicom"))
    return False


def _read_dataset(path: Path):
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pydicom.dcmread(str(path), force=True)
    except InvalidDicomError as exc:
        raise UnsupportedFormatError(path, f"not a DICOM file ({exc})") from None
    except EcgReadError:
        raise
    except MemoryError:
        raise ImplausibleContentError(path, "a DICOM element declares an impossible size") from None
    except Exception as exc:
        raise CorruptFileError(path, f"DICOM data set cannot be parsed ({type(exc).__name__}: {exc})") from None


def _get(ds, keyword, default=None):
    """An element's value, tolerant of malformed values (they count as absent)."""
    try:
        value = ds.get(keyword, default)
    except Exception:
        return default
    return default if value is None or value == "" else value


def _float(value, default=None):
    try:
        out = float(value)
    except (TypeError, ValueError):
        return default
    return out if np.isfinite(out) else default


def _int(path: Path, ds, keyword: str, where: str) -> int:
    """An integer element; a malformed one (multi-valued, text) is a typed error naming it."""
    value = _get(ds, keyword, 0)
    try:
        if isinstance(value, (list, tuple)) or hasattr(value, "__len__") and not isinstance(value, (str, bytes)):
            raise TypeError
        return int(value or 0)
    except (TypeError, ValueError, OverflowError):
        raise CorruptFileError(path, f"{where}: {keyword} is malformed ({str(value)[:40]!r})") from None


def _first(seq):
    try:
        return seq[0] if seq is not None and len(seq) > 0 else None
    except Exception:
        return None


def _lead_name(channel, index: int) -> str:
    source = _first(_get(channel, "ChannelSourceSequence"))
    if source is not None:
        # A standard SCP-ECG/MDC lead code is more reliable than free-text meanings.
        code = str(_get(source, "CodeValue", "") or "").strip()
        m = re.fullmatch(r"(?:5\.6\.3-9-|2:)(\d+)", code)
        if m and int(m.group(1)) in _LEAD_BY_NUMBER:
            return _LEAD_BY_NUMBER[int(m.group(1))]
        meaning = str(_get(source, "CodeMeaning", "") or "").strip()
        if meaning:
            name = canonical_lead_name(meaning)
            if name != meaning or not meaning.lower().startswith("lead"):
                return name
        if code:
            return canonical_lead_name(code)
        if meaning:
            return meaning
    label = str(_get(channel, "ChannelLabel", "") or "").strip()
    return canonical_lead_name(label) if label else f"channel {index + 1}"


def _channel_mv_factor(channel) -> float | None:
    """mV per unit of the channel's sensitivity units; None for a non-voltage channel."""
    units = _first(_get(channel, "ChannelSensitivityUnitsSequence"))
    if units is None:
        return 1e-3  # absent: ECG carts store microvolts (noted by the caller)
    code = str(_get(units, "CodeValue", "") or "").strip().lower()
    if code in _MV_PER_UNIT:
        return _MV_PER_UNIT[code]
    meaning = str(_get(units, "CodeMeaning", "") or "").strip().lower()
    return _MV_PER_UNIT.get(meaning)


def _is_median_group(group, n_groups: int) -> bool:
    label = str(_get(group, "MultiplexGroupLabel", "") or "")
    if label:
        return bool(_MEDIAN_LABEL.search(label)) and "rhythm" not in label.lower()
    if n_groups > 1 and str(_get(group, "WaveformOriginality", "")).upper() == "DERIVED":
        fs = _float(_get(group, "SamplingFrequency"), 0.0) or 0.0
        try:
            n = int(_get(group, "NumberOfWaveformSamples", 0) or 0)
        except (TypeError, ValueError, OverflowError):
            return False
        return fs > 0 and n / fs <= 2.0
    return False


def _decode_group(path: Path, group, index: int, notes: list[str]):
    """(signals_mv [leads, samples], fs, lead names) of one multiplex group."""
    where = f"waveform group {index + 1}"
    n_channels = _int(path, group, "NumberOfWaveformChannels", where)
    n_samples = _int(path, group, "NumberOfWaveformSamples", where)
    bits = _int(path, group, "WaveformBitsAllocated", where)
    interp = str(_get(group, "WaveformSampleInterpretation", "") or "").strip().upper()
    fs = _float(_get(group, "SamplingFrequency"))
    if n_channels <= 0 or n_samples <= 0:
        raise ImplausibleContentError(path, f"{where} declares {n_channels} channels x {n_samples} samples")
    if fs is None or fs <= 0 or fs > 100_000:
        raise ImplausibleContentError(path, f"{where}: implausible sampling frequency {fs!r} Hz")
    if n_channels * n_samples > MAX_SAMPLE_VALUES:
        raise ImplausibleContentError(
            path, f"{where} declares {n_channels} x {n_samples} samples, too many for an ECG")
    dtype = _DTYPES.get((bits, interp))
    if dtype is None:
        raise UnsupportedFormatError(
            path, f"{where}: sample encoding {bits} bits {interp or '?'} is not supported")
    data = _get(group, "WaveformData")
    if data is None:
        raise CorruptFileError(path, f"{where} has no Waveform Data")
    data = bytes(data)
    needed = n_channels * n_samples * (bits // 8)
    if len(data) < needed:
        raise CorruptFileError(path, f"{where} is truncated: {len(data)} bytes of samples, {needed} declared")
    raw = np.frombuffer(data[:needed], dtype=np.dtype(dtype).newbyteorder("<")).reshape(n_samples, n_channels)

    channels = list(_get(group, "ChannelDefinitionSequence") or [])
    if len(channels) != n_channels:
        raise CorruptFileError(path, f"{where}: {n_channels} channels declared, {len(channels)} defined")

    # Samples that were not recorded: the most negative value of a signed type (the
    # ECG Toolkit ends its median beats with it; WFDB uses it the same way), or a
    # declared padding value when it is the type's extreme. A declared padding of 0
    # (seen in the wild) is a real sample and is ignored.
    signed = interp in ("SB", "SS", "SL", "SV")
    info = np.iinfo(dtype)
    pad_value = int(info.min) if signed else None
    pad = _get(group, "WaveformPaddingValue")
    if isinstance(pad, (bytes, bytearray)) and len(pad) == bits // 8:
        value = int.from_bytes(pad, "little", signed=signed)
        if value in (info.min, info.max):
            pad_value = value

    skewed = [j for j, ch in enumerate(channels)
              if (_float(_get(ch, "ChannelSampleSkew"), 0.0) or 0.0) != 0.0
              or (_float(_get(ch, "ChannelTimeSkew"), 0.0) or 0.0) != 0.0]
    if skewed:
        notes.append(f"{where}: channel skew stated for channels {[j + 1 for j in skewed]} and not applied")
    rows, names, dropped = [], [], []
    missing_sensitivity = False
    for j, ch in enumerate(channels):
        name = _lead_name(ch, j)
        factor = _channel_mv_factor(ch)
        if factor is None:
            units = _first(_get(ch, "ChannelSensitivityUnitsSequence"))
            dropped.append(f"{name} ({_get(units, 'CodeValue', '?') if units is not None else '?'})")
            continue
        sensitivity = _float(_get(ch, "ChannelSensitivity"))
        if sensitivity is None:
            missing_sensitivity = True
            sensitivity = 1.0
        correction = _float(_get(ch, "ChannelSensitivityCorrectionFactor"), 1.0)
        baseline = _float(_get(ch, "ChannelBaseline"), 0.0)
        if sensitivity * correction == 0:
            raise ImplausibleContentError(path, f"{where}, channel {name}: sensitivity x correction factor is 0")
        column = raw[:, j]
        values = column.astype(np.float64) * (sensitivity * correction) + baseline
        if pad_value is not None:
            values[column == pad_value] = np.nan
        rows.append(values * factor)
        names.append(name)
    if dropped:
        notes.append(f"{where}: non-ECG channels not loaded: " + ", ".join(dropped))
    if missing_sensitivity:
        notes.append(f"{where}: channel sensitivity absent; samples taken as microvolts")
    if not rows:
        return None, fs, ()
    return np.vstack(rows), fs, tuple(names)


def _time_line(path: Path, groups, decoded, indices, fs: float, notes: list[str]) -> np.ndarray:
    """Consecutive groups of the same leads placed by Multiplex Group Time Offset (ms)."""
    starts = {}
    for i in indices:
        offset_ms = _float(_get(groups[i], "MultiplexGroupTimeOffset"))
        if offset_ms is None or offset_ms < 0:
            notes.append("several rhythm groups without time offsets: only the first is shown")
            return decoded[indices[0]][0]
        starts[i] = int(round(offset_ms / 1000.0 * fs))
    if len(set(starts.values())) != len(starts):
        notes.append("several rhythm groups at the same time offset: only the first is shown")
        return decoded[indices[0]][0]
    n_leads = decoded[indices[0]][0].shape[0]
    total = max(starts[i] + decoded[i][0].shape[1] for i in indices) - min(starts.values())
    if total * n_leads > MAX_SAMPLE_VALUES:
        raise ImplausibleContentError(path, f"rhythm groups span {total} samples, too many for an ECG")
    origin = min(starts.values())
    out = np.full((n_leads, total), np.nan)
    for i in sorted(indices, key=starts.get):
        sig = decoded[i][0]
        out[:, starts[i] - origin:starts[i] - origin + sig.shape[1]] = sig
    notes.append(f"{len(indices)} consecutive rhythm groups joined by their time offsets")
    return out


def _code_of(item) -> tuple[str, str]:
    concept = _first(_get(item, "ConceptNameCodeSequence"))
    if concept is None:
        return "", ""
    return (str(_get(concept, "CodeValue", "") or "").strip(),
            str(_get(concept, "CodeMeaning", "") or "").strip())


def _annotations(ds) -> tuple[DeviceMeasurements, tuple[str, ...]]:
    values: dict[str, float] = {}
    statements: list[str] = []
    for item in _get(ds, "WaveformAnnotationSequence") or []:
        text = _get(item, "UnformattedTextValue")
        if text:
            statements.extend(line.strip() for line in str(text).splitlines() if line.strip())
            continue
        code, meaning = _code_of(item)
        number = _float(_get(item, "NumericValue"))
        if number is not None:
            key = _MEASUREMENT_CODES.get(code)
            if key is None:
                key = _MEASUREMENT_MEANINGS.get(re.sub(r"[^a-z0-9]", "", meaning.lower()))
            if key is None or key in values:
                continue
            if key.endswith("_ms"):
                units = _first(_get(item, "MeasurementUnitsCodeSequence"))
                unit = str(_get(units, "CodeValue", "ms") or "ms").strip().lower() if units is not None else "ms"
                number *= _TIME_TO_MS.get(unit, 1.0)
            values[key] = number
            continue
        coded = _first(_get(item, "ConceptCodeSequence"))
        if coded is not None and not _get(item, "ReferencedSamplePositions"):
            label = str(_get(coded, "CodeMeaning", "") or "").strip()
            if label:
                statements.append(label)
    return DeviceMeasurements(**values), tuple(statements)


def _person_name(value) -> str | None:
    if value is None:
        return None
    try:
        family, given = value.family_name.strip(), value.given_name.strip()
    except AttributeError:
        text = str(value).strip()
        return text or None
    if family and given:
        return f"{family}, {given}"
    return (family or given or str(value).replace("^", " ").strip()) or None


def _date(value) -> date | None:
    text = str(value or "").strip()
    try:
        return datetime.strptime(text[:8], "%Y%m%d").date() if len(text) >= 8 else None
    except ValueError:
        return None


def _datetime(date_text, time_text=None) -> datetime | None:
    d = str(date_text or "").strip()
    t = str(time_text or "").strip()
    text = (d + t) if t else d
    text = re.split(r"[+-]\d{4}$", text)[0]  # drop a UTC offset: local acquisition time is kept
    for fmt in ("%Y%m%d%H%M%S.%f", "%Y%m%d%H%M%S", "%Y%m%d%H%M", "%Y%m%d%H", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _age_years(ds, birth: date | None, acquired: datetime | None) -> float | None:
    text = str(_get(ds, "PatientAge", "") or "").strip().upper()
    m = re.fullmatch(r"(\d{1,3})\s*([DWMY]?)", text)
    if m:
        n = int(m.group(1))
        per_year = {"D": 365.25, "W": 52.1775, "M": 12.0, "Y": 1.0, "": 1.0}[m.group(2)]
        return round(n / per_year, 2) if m.group(2) in ("D", "W", "M") else float(n)
    if birth and acquired:
        years = acquired.year - birth.year - ((acquired.month, acquired.day) < (birth.month, birth.day))
        return float(years) if 0 <= years <= 130 else None
    return None


def _device(ds) -> str | None:
    parts = []
    for keyword in ("Manufacturer", "ManufacturerModelName"):
        value = str(_get(ds, keyword, "") or "").strip()
        if value and value.lower() not in ("unknown", "none", "n/a"):
            parts.append(value)
    return " ".join(parts) or None


def read(path: Path) -> Ecg:
    path = Path(path)
    ds = _read_dataset(path)
    try:
        with warnings.catch_warnings():  # pydicom warns on every odd value; errors are ours to raise
            warnings.simplefilter("ignore")
            return _read_dataset_ecg(path, ds)
    except EcgReadError:
        raise
    except (TypeError, ValueError, AttributeError, IndexError, KeyError, OverflowError) as exc:
        # pydicom converts element values lazily; a malformed one surfaces here
        raise CorruptFileError(path, f"malformed DICOM element ({type(exc).__name__}: {exc})") from None


def _read_dataset_ecg(path: Path, ds) -> Ecg:
    sop = str(_get(ds, "SOPClassUID", "") or "")
    groups = _get(ds, "WaveformSequence")
    if not groups:
        if sop and sop not in WAVEFORM_SOP_CLASSES:
            raise UnsupportedFormatError(path, f"DICOM file is not an ECG waveform (SOP class {sop})")
        raise CorruptFileError(path, "DICOM file has no Waveform Sequence (5400,0100)")
    groups = list(groups)

    notes: list[str] = []
    if sop and sop not in WAVEFORM_SOP_CLASSES:
        notes.append(f"SOP class {sop} is not a waveform storage class; its waveform was read anyway")
    medians = [i for i, g in enumerate(groups) if _is_median_group(g, len(groups))]
    rhythm_candidates = [i for i in range(len(groups)) if i not in medians] or list(range(len(groups)))

    decoded = {}
    for i in rhythm_candidates:
        signals, fs, names = _decode_group(path, groups[i], i, notes)
        if signals is not None:
            decoded[i] = (signals, fs, names)
    if not decoded:
        raise ImplausibleContentError(path, "no waveform group holds an ECG (voltage) channel")
    labelled = [i for i in decoded if "rhythm" in str(_get(groups[i], "MultiplexGroupLabel", "")).lower()]
    main = labelled[0] if labelled else max(decoded, key=lambda i: decoded[i][0].shape[1] / decoded[i][1])
    signals, fs, names = decoded[main]
    # Groups of the same rate and length with other leads (a cart that splits its leads) are joined.
    # Groups with the same leads and rate at later time offsets (ambulatory recordings
    # stored as consecutive groups) are placed on one time line, gaps as NaN.
    sequential = [main]
    for i, (sig, rate, group_names) in decoded.items():
        if i == main:
            continue
        if rate == fs and sig.shape[1] == signals.shape[1] and not set(group_names) & set(names):
            signals = np.vstack([signals, sig])
            names = names + group_names
        elif rate == fs and group_names == decoded[main][2]:
            sequential.append(i)
        else:
            notes.append(f"waveform group {i + 1} ({_get(groups[i], 'MultiplexGroupLabel', 'unlabelled')}) "
                         "not shown: other rate or leads than the rhythm group")
    if len(sequential) > 1:
        signals = _time_line(path, groups, decoded, sequential, fs, notes)
    median_beats = None
    for i in medians:
        if i in rhythm_candidates:
            continue
        sig, rate, group_names = _decode_group(path, groups[i], i, notes)
        if sig is not None:
            median_beats = MedianBeats(
                signals_mv=np.ascontiguousarray(sig, dtype=np.float32), sampling_rate_hz=float(rate),
                lead_names=group_names)
            break

    acquired = (_datetime(_get(ds, "AcquisitionDateTime"))
                or _datetime(_get(ds, "AcquisitionDate"), _get(ds, "AcquisitionTime")))
    if acquired is None and "AcquisitionDateTime" not in ds:
        # Older writers omit the acquisition time; their content/study time is it. An
        # Acquisition DateTime present without a value means "unknown" (our writer).
        acquired = (_datetime(_get(ds, "ContentDate"), _get(ds, "ContentTime"))
                    or _datetime(_get(ds, "StudyDate"), _get(ds, "StudyTime")))
    birth = _date(_get(ds, "PatientBirthDate"))
    patient = Patient(
        id=(str(_get(ds, "PatientID", "") or "").strip() or None),
        name=_person_name(_get(ds, "PatientName")),
        sex=normalise_sex(_get(ds, "PatientSex")),
        birth_date=birth,
        age_years=_age_years(ds, birth, acquired),
    )
    measurements, statements = _annotations(ds)
    return Ecg(
        signals_mv=signals.astype(np.float32),
        sampling_rate_hz=float(fs),
        lead_names=names,
        source_format=FORMAT,
        source_path=str(path),
        patient=patient,
        acquired_at=acquired,
        device=_device(ds),
        device_measurements=measurements,
        device_statements=statements,
        median_beats=median_beats,
        comments=tuple(notes),
    )
