"""Philips (Sierra / PageWriter) resting ECG XML 1.03, 1.04, 1.04.01, 1.04.02 reader.

Waveforms are base64, usually XLI-compressed: per lead an 8-byte chunk header,
LZW with 10-bit codes, the bytes split into a high half and a low half, and a
second-order predictor. XLI stores III, aVR, aVL and aVF as residuals from I and II.
The MIT-licensed `sierraecg` package decodes the same data; we decode it
ourselves (bounded output, typed errors on hostile input, numpy instead of
per-sample Python loops) and test our result against `sierraecg.read_file`.
"""

from __future__ import annotations

import base64
import binascii
import struct
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
    normalise_sex,
)
from ecgchat_desktop.io.errors import CorruptFileError, ImplausibleContentError, UnsupportedFormatError
from ecgchat_desktop.io.lead_order import standard_order
from ecgchat_desktop.io.xml_safety import local, parse_xml, root_element_of, text_of, to_float

FORMAT = "philips-xml"

SUPPORTED_VERSIONS = ("1.03", "1.04", "1.04.01", "1.04.02")
_DOCUMENT_TYPES = ("SierraECG", "PhilipsECG")
_LZW_BITS = 10
_LZW_MAX_CODE = (1 << _LZW_BITS) - 2  # the code after it ends a stream
_MAX_SAMPLES_PER_LEAD = 2_000_000  # 66 min at 500 Hz

# (our field, element names in order of preference). Searched as direct children of
# the interpretation's measurement block first (what the printed report shows), then
# of <measurements>/<globalmeasurements> (1.03) and <internalmeasurements>/<crossleadmeasurements>.
_MEASUREMENT_TAGS = (
    ("hr_bpm", ("heartrate", "meanventrate")),
    ("rr_ms", ("rrint", "meanrrint")),
    ("p_ms", ("pdur", "meanpdur")),
    ("pr_ms", ("print", "meanprint")),
    ("qrs_ms", ("qrsdur", "meanqrsdur")),
    ("qt_ms", ("qtint", "meanqtint")),
    ("qtc_ms", ("qtcb", "meanqtc", "qtc")),
    ("p_axis_deg", ("pfrontaxis",)),
    ("qrs_axis_deg", ("qrsfrontaxis",)),
    ("t_axis_deg", ("tfrontaxis",)),
)


def sniff(path: Path, head: bytes) -> bool:
    root = root_element_of(path, head)
    return root is not None and root[0] == "restingecgdata"


def _find(element: ET.Element | None, *names: str) -> ET.Element | None:
    """Direct-child path by local names (namespace-agnostic: 1.03 and 1.04 differ)."""
    for name in names:
        if element is None:
            return None
        element = next((c for c in element if local(c.tag) == name), None)
    return element


def _text(element: ET.Element | None, *names: str) -> str | None:
    return text_of(_find(element, *names))


# --- XLI ---------------------------------------------------------------------------


def _lzw_decode(path: Path, data: bytes, max_bytes: int) -> bytes:
    """LZW with fixed 10-bit codes, MSB first; stops at the end code or the end of data."""
    table: list[bytes] = [bytes([i]) for i in range(256)]
    out = bytearray()
    previous = b""
    bit_buffer = bit_count = position = 0
    n = len(data)
    while True:
        while bit_count < _LZW_BITS and position < n:
            bit_buffer = (bit_buffer << 8) | data[position]
            position += 1
            bit_count += 8
        if bit_count < _LZW_BITS:
            break
        bit_count -= _LZW_BITS
        code = (bit_buffer >> bit_count) & ((1 << _LZW_BITS) - 1)
        bit_buffer &= (1 << bit_count) - 1
        if code > _LZW_MAX_CODE:
            break
        if code < len(table):
            entry = table[code]
        elif code == len(table) and previous:
            entry = previous + previous[:1]
        else:
            raise CorruptFileError(path, f"XLI data: LZW code {code} before it was defined")
        out += entry
        if len(out) > max_bytes:
            # More output than the declared duration can hold: stop, the caller cuts to length.
            break
        if previous and len(table) <= _LZW_MAX_CODE:
            table.append(previous + entry[:1])
        previous = entry
    return bytes(out)


def _xli_decode(path: Path, data: bytes, n_leads: int, n_samples: int) -> np.ndarray:
    """int64 [n_leads, n_samples] from an XLI stream (one chunk per lead)."""
    leads = []
    offset = 0
    while offset + 8 <= len(data) and len(leads) < n_leads:
        size, _code, first = struct.unpack_from("<iHh", data, offset)
        offset += 8
        if size < 0 or offset + size > len(data):
            raise CorruptFileError(path, f"XLI chunk {len(leads) + 1} declares {size} bytes, beyond the data")
        raw = _lzw_decode(path, data[offset:offset + size], 2 * n_samples + 2)
        offset += size
        if len(raw) % 2:
            raw += b"\x00"
        half = len(raw) // 2
        if half < n_samples:
            raise CorruptFileError(path, f"XLI lead {len(leads) + 1}: {half} of {n_samples} samples")
        hi = np.frombuffer(raw[:half], dtype=np.uint8).astype(np.int64)
        lo = np.frombuffer(raw[half:2 * half], dtype=np.uint8).astype(np.int64)
        packed = ((hi << 8) | lo).astype(np.uint16).astype(np.int16).astype(np.int64)[:n_samples]
        leads.append(_xli_predict(packed, first))
    if len(leads) < n_leads:
        raise CorruptFileError(path, f"XLI data hold {len(leads)} of {n_leads} leads")
    return np.vstack(leads)


def _xli_predict(packed: np.ndarray, first: int) -> np.ndarray:
    """Undo XLI's second-order prediction.

    out[0], out[1] are stored as is; for i >= 2, out[i] = 2 out[i-1] - out[i-2] - r[i], where
    r[2] is the chunk header's value and r[i] = packed[i-1] - 64 after that (the residual
    stream runs one position behind). So the first differences fall by r each step.
    """
    out = packed.copy()
    if out.size < 3:
        return out
    r = np.empty(out.size - 2, dtype=np.int64)
    r[0] = first
    r[1:] = packed[2:-1] - 64
    first_diff = (packed[1] - packed[0]) - np.cumsum(r)
    out[2:] = packed[1] + np.cumsum(first_diff)
    return out


def _undo_limb_residuals(signals: np.ndarray) -> np.ndarray:
    """XLI keeps III, aVR, aVL, aVF as residuals of their values predicted from I and II."""
    s = signals.copy()
    lead_i, lead_ii = s[0], s[1]
    s[2] = lead_ii - lead_i - s[2]
    s[3] = -s[3] - np.floor_divide(lead_i + lead_ii, 2)
    s[4] = np.floor_divide(lead_i - s[2], 2) - s[4]
    s[5] = np.floor_divide(lead_ii + s[2], 2) - s[5]
    return s


# --- document parts ------------------------------------------------------------------


def _b64(path: Path, text: str | None, what: str) -> bytes:
    if not text:
        raise CorruptFileError(path, f"{what} has no data")
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise CorruptFileError(path, f"{what} is not valid base64") from None


def _lead_labels(path: Path, signal: ET.Element | None, parsed: ET.Element) -> list[str]:
    labels = (parsed.get("leadlabels") or "").split()
    count = to_float(parsed.get("numberofleads"))
    if labels:
        if count is not None:
            labels = labels[:max(int(count), 0)]
        if not 1 <= len(labels) <= 64:
            raise ImplausibleContentError(path, f"Philips XML declares {len(labels)} leads")
        return [canonical_lead_name(x) for x in labels]
    channels = to_float(_text(signal, "numberchannelsallocated")) or to_float(_text(signal, "numberchannelsvalid"))
    if channels is None or not 1 <= channels <= 64:
        raise CorruptFileError(path, "Philips XML states neither lead labels nor a channel count")
    acquisition = (_text(signal, "acquisitiontype") or "").upper()
    if acquisition in ("STD-12", "10-WIRE") and int(channels) <= 12:
        return list(STANDARD_12_LEADS[: int(channels)])
    return [f"Channel {i + 1}" for i in range(int(channels))]


def _rate_and_resolution(path: Path, signal: ET.Element | None, parsed: ET.Element) -> tuple[float, float]:
    rate = to_float(parsed.get("samplespersecond")) or to_float(_text(signal, "samplingrate"))
    resolution_uv = (to_float(parsed.get("resolution")) or to_float(_text(signal, "resolution"))
                     or to_float(_text(signal, "signalresolution")))
    if rate is None or rate <= 0 or rate > 100_000:
        raise ImplausibleContentError(path, f"Philips XML sampling rate {rate!r} Hz")
    if resolution_uv is None or resolution_uv <= 0:
        raise ImplausibleContentError(path, f"Philips XML amplitude resolution {resolution_uv!r} uV per unit")
    return rate, resolution_uv


def _signals(path: Path, root: ET.Element) -> tuple[np.ndarray, float, list[str], list[str]]:
    signal = _find(root, "dataacquisition", "signalcharacteristics")
    parsed = _find(root, "waveforms", "parsedwaveforms")
    if parsed is None:
        raise CorruptFileError(path, "Philips XML has no <parsedwaveforms>")
    rate, resolution_uv = _rate_and_resolution(path, signal, parsed)
    labels = _lead_labels(path, signal, parsed)
    duration_ms = to_float(parsed.get("durationperchannel"))
    if duration_ms is None or duration_ms <= 0:
        raise ImplausibleContentError(path, f"Philips XML duration per channel {parsed.get('durationperchannel')!r} ms")
    n_samples = int(round(duration_ms * rate / 1000.0))
    if not 0 < n_samples <= _MAX_SAMPLES_PER_LEAD:
        raise ImplausibleContentError(path, f"Philips XML declares {n_samples} samples per lead")
    encoding = parsed.get("dataencoding", "Base64")
    if encoding != "Base64":
        raise UnsupportedFormatError(path, f"Philips XML waveform encoding {encoding!r} is not supported")
    data = _b64(path, parsed.text, "<parsedwaveforms>")
    compression = parsed.get("compressmethod") or parsed.get("compression") or "Uncompressed"
    comments = []
    if compression.upper() == "XLI":
        counts = _xli_decode(path, data, len(labels), n_samples)
        if tuple(labels[:6]) == STANDARD_12_LEADS[:6]:
            counts = _undo_limb_residuals(counts)
        else:
            comments.append("limb leads kept as stored: lead order is not I, II, III, aVR, aVL, aVF")
    elif compression.lower() in ("uncompressed", "none", ""):
        needed = 2 * n_samples * len(labels)
        if len(data) < needed:
            raise CorruptFileError(path, f"Philips XML waveform has {len(data)} bytes, {needed} needed")
        counts = np.frombuffer(data[:needed], dtype="<i2").reshape(len(labels), n_samples).astype(np.int64)
    else:
        raise UnsupportedFormatError(path, f"Philips XML waveform compression {compression!r} is not supported")
    order = standard_order(labels)
    signals = (counts[order] * (resolution_uv / 1000.0)).astype(np.float32)
    return signals, rate, [labels[i] for i in order], comments


def _mask_calibration_tail(signals_mv: np.ndarray, rate_hz: float) -> str | None:
    """PageWriters end the record with a flat line and a 1 mV calibration pulse on every lead.

    That tail is not ECG: left in, analysis counts the pulse as a beat and calls the lead
    saturated. It is set to NaN (missing), so the record keeps its length (often 11 s),
    and a note says where it was.
    """
    if signals_mv.shape[0] < 2:
        return None
    same = np.all(signals_mv == signals_mv[0], axis=0)  # every lead identical: no real ECG does that
    not_same = np.nonzero(~same)[0]
    tail_start = int(not_same[-1]) + 1 if not_same.size else 0
    tail = signals_mv[0, tail_start:]
    pulse = int(np.count_nonzero(np.abs(tail - 1.0) < 0.011))
    if tail_start == 0 or pulse < int(0.02 * rate_hz):
        return None  # no tail with a calibration pulse: leave the record alone
    signals_mv[:, tail_start:] = np.nan
    return (f"{tail_start / rate_hz:.2f}-{signals_mv.shape[1] / rate_hz:.2f} s: flat line and the device's 1 mV "
            "calibration pulse on every lead (not ECG), set to missing")


def _median_beats(path: Path, root: ET.Element, rate_hz: float) -> MedianBeats | None:
    repbeats = _find(root, "waveforms", "repbeats")
    if repbeats is None:
        repbeats = _find(root, "repbeats")
    if repbeats is None or repbeats.get("dataencoding", "Base64") != "Base64":
        return None
    resolution_uv = to_float(repbeats.get("resolution"))
    rate = to_float(repbeats.get("samplespersec")) or rate_hz
    if not resolution_uv or resolution_uv <= 0 or not rate or rate <= 0:
        return None
    names, leads = [], []
    for beat in (c for c in repbeats if local(c.tag) == "repbeat"):
        waveform = _find(beat, "waveform")
        text = (waveform if waveform is not None else beat).text
        try:
            raw = _b64(path, text, "representative beat")
        except CorruptFileError:
            return None
        leads.append(np.frombuffer(raw[: len(raw) // 2 * 2], dtype="<i2").astype(np.float64))
        names.append(canonical_lead_name(beat.get("leadname", f"Channel {len(names) + 1}")))
    if not leads:
        return None
    n = min(x.size for x in leads)
    if n == 0:
        return None
    raw = np.vstack([x[:n] for x in leads])
    # PageWriters pad the beat to a fixed length with 32767 ("no data"): cut the padding.
    missing = (raw == 32767) | (raw == -32768)
    valid_columns = np.nonzero(~missing.all(axis=0))[0]
    if valid_columns.size == 0:
        return None
    raw = raw[:, : valid_columns[-1] + 1]
    raw[missing[:, : raw.shape[1]]] = np.nan
    signals = raw * (resolution_uv / 1000.0)
    return MedianBeats(signals_mv=signals.astype(np.float32), sampling_rate_hz=rate, lead_names=tuple(names))


def _measurements(root: ET.Element) -> DeviceMeasurements:
    interpretation = _find(root, "interpretations", "interpretation")
    blocks = [
        _find(interpretation, "globalmeasurements"),
        _find(interpretation, "interpretationmeasurements"),
        _find(root, "measurements", "globalmeasurements"),
        _find(root, "internalmeasurements", "crossleadmeasurements"),
    ]
    values: dict[str, float] = {}
    for field, tags in _MEASUREMENT_TAGS:
        for block in blocks:
            if block is None:
                continue
            found = next((v for tag in tags if (v := to_float(_text(block, tag))) is not None), None)
            if found is not None:
                values[field] = found
                break
    return DeviceMeasurements(**values)


def _statements(root: ET.Element) -> list[str]:
    interpretation = _find(root, "interpretations", "interpretation")
    if interpretation is None:
        return []
    out = []
    for statement in (c for c in interpretation if local(c.tag) == "statement"):
        left = _text(statement, "leftstatement")
        right = _text(statement, "rightstatement")
        if left:
            text = f"{left} ({right})" if right else left
            if text not in out:
                out.append(text)
    severity = _text(interpretation, "severity")
    if severity:
        severity = severity.strip("- ").strip()
        if severity and severity not in out:
            out.append(severity)
    return out


def _date_time(element: ET.Element | None) -> datetime | None:
    if element is None or not element.get("date"):
        return None
    try:
        day = date.fromisoformat(element.get("date"))
        hh, mm, ss = ((element.get("time") or "00:00:00").split(":") + ["0", "0"])[:3]
        return datetime(day.year, day.month, day.day, int(hh), int(mm), int(float(ss)))
    except ValueError:
        return None


def _patient(root: ET.Element, acquired_at: datetime | None) -> Patient:
    general = _find(root, "patient", "generalpatientdata")
    if general is None:
        return Patient()
    last, first = _text(general, "name", "lastname"), _text(general, "name", "firstname")
    name = ", ".join(p for p in (last, first) if p) or None
    birth = None
    dob = _text(general, "age", "dateofbirth") or _text(general, "dateofbirth")
    if dob:
        try:
            birth = date.fromisoformat(dob)
        except ValueError:
            birth = None
    age = to_float(_text(general, "age", "years"))
    if age is None and birth and acquired_at:
        age = round((acquired_at.date() - birth).days / 365.25, 1)
    if age is not None and not 0 <= age <= 130:
        age = None
    return Patient(id=_text(general, "patientid"), name=name, sex=normalise_sex(_text(general, "sex")),
                   birth_date=birth, age_years=age)


def _device(root: ET.Element) -> str | None:
    machine = _find(root, "dataacquisition", "machine")
    if machine is None:
        return None
    model = text_of(machine)
    detail = machine.get("detaildescription") or ""
    parts = [p for p in (model, f"({detail})" if detail else "") if p]
    return " ".join(parts) or None


def read(path: Path) -> Ecg:
    path = Path(path)
    root = parse_xml(path, "Philips XML")
    if local(root.tag) != "restingecgdata":
        raise CorruptFileError(path, f"root element is {local(root.tag)!r}, not Philips restingecgdata")
    doc_type = _text(root, "documentinfo", "documenttype")
    version = _text(root, "documentinfo", "documentversion")
    if doc_type not in _DOCUMENT_TYPES or version not in SUPPORTED_VERSIONS:
        raise UnsupportedFormatError(
            path, f"Philips XML {doc_type or '?'} version {version or '?'} is not supported "
                  f"(supported: {', '.join(SUPPORTED_VERSIONS)})")
    signals, rate, labels, comments = _signals(path, root)
    acquired_at = _date_time(_find(root, "dataacquisition"))
    calibration = _mask_calibration_tail(signals, rate)
    if calibration:
        comments.append(calibration)
    return Ecg(
        signals_mv=signals,
        sampling_rate_hz=rate,
        lead_names=tuple(labels),
        source_format=FORMAT,
        source_path=str(path),
        patient=_patient(root, acquired_at),
        acquired_at=acquired_at,
        device=_device(root),
        device_measurements=_measurements(root),
        device_statements=tuple(_statements(root)),
        median_beats=_median_beats(path, root, rate),
        comments=tuple(comments),
    )
