"""HL7 aECG (Annotated ECG, HL7 v3 / FDA) XML reader. Own code over a hardened XML parse.

Values are `origin + scale * digit` (SLIST_PQ) in the unit the file states; the
sampling interval is the `increment` of the TIME_ABSOLUTE / TIME_RELATIVE sequence.
The rhythm series gives the signals; a derived series (representative / median beat)
gives the device's median beats. Global measurements come from annotations.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta, timezone
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
from ecgchat_desktop.io.errors import CorruptFileError, ImplausibleContentError, UnsupportedFormatError
from ecgchat_desktop.io.lead_order import standard_order
from ecgchat_desktop.io.xml_safety import local, parse_xml, root_element_of, text_of, to_float

FORMAT = "hl7-aecg"

_NS = "urn:hl7-org:v3"
_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
# A resting ECG has tens of thousands of samples per lead; 24 h at 1 kHz is 86.4 M.
_MAX_SAMPLES_PER_LEAD = 20_000_000

_VOLT_FACTORS_TO_MV = {"uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "mv": 1.0, "v": 1e3, "nv": 1e-6}
_TIME_FACTORS_TO_S = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "min": 60.0}

# MDC annotation codes of global measurements -> DeviceMeasurements field.
_MEASUREMENT_CODES = {
    "MDC_ECG_HEART_RATE": "hr_bpm",
    "MDC_ECG_TIME_PD_RR": "rr_ms",
    "MDC_ECG_TIME_PD_PP": None,
    "MDC_ECG_TIME_PD_P": "p_ms",
    "MDC_ECG_TIME_PD_PR": "pr_ms",
    "MDC_ECG_TIME_PD_PQ": "pr_ms",
    "MDC_ECG_TIME_PD_QRS": "qrs_ms",
    "MDC_ECG_TIME_PD_QT": "qt_ms",
    "MDC_ECG_TIME_PD_QTC": "qtc_ms",
    "MDC_ECG_TIME_PD_QTCB": "qtc_ms",
    "MDC_ECG_ANGLE_P_FRONT": "p_axis_deg",
    "MDC_ECG_ANGLE_QRS_FRONT": "qrs_axis_deg",
    "MDC_ECG_ANGLE_T_FRONT": "t_axis_deg",
}


def sniff(path: Path, head: bytes) -> bool:
    root = root_element_of(path, head)
    if root is None or root[0] != "AnnotatedECG":
        return False
    # The HL7 v3 namespace is what makes it aECG rather than any XML with that name.
    return _NS in root[1] or _NS in head.decode("utf-8", errors="ignore")


def _q(name: str) -> str:
    return f"{{{_NS}}}{name}"


def _child(element: ET.Element | None, *names: str) -> ET.Element | None:
    """Follow a path of direct children in the HL7 namespace (None if any is missing)."""
    for name in names:
        if element is None:
            return None
        element = element.find(_q(name))
    return element


def _code(element: ET.Element | None) -> str | None:
    code = _child(element, "code")
    return code.get("code") if code is not None else None


def _parse_ts(raw: str | None) -> datetime | None:
    """HL7 TS 'YYYYMMDDHHMMSS.fff+zzzz' (any precision down to the year) to datetime."""
    if not raw:
        return None
    match = re.fullmatch(r"(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d+))?([+-]\d{4})?", raw.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, frac, tz = match.groups()
    try:
        value = datetime(
            int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0), int(second or 0),
            int((frac or "0")[:6].ljust(6, "0")),
        )
    except ValueError:
        return None
    if tz:
        sign = 1 if tz[0] == "+" else -1
        offset = timedelta(hours=int(tz[1:3]), minutes=int(tz[3:5]))
        value = value.replace(tzinfo=timezone(sign * offset))
    return value


def _unit_factor(unit: str | None, table: dict[str, float], default: float) -> float | None:
    if unit is None or unit.strip() == "":
        return default
    return table.get(unit.strip().lower())


class _SeriesData:
    def __init__(self, signals: np.ndarray, rate_hz: float, leads: tuple[str, ...], note: str | None):
        self.signals = signals
        self.rate_hz = rate_hz
        self.leads = leads
        self.note = note


def _lead_values(path: Path, value: ET.Element, name: str, what: str) -> np.ndarray | None:
    """mV samples of one SLIST_PQ value: origin + scale x digit, in the stated units."""
    digits_el = _child(value, "digits")
    if digits_el is None:
        return None
    scale_el, origin_el = _child(value, "scale"), _child(value, "origin")
    scale = to_float(scale_el.get("value")) if scale_el is not None else 1.0
    origin = to_float(origin_el.get("value")) if origin_el is not None else 0.0
    if scale is None or origin is None:
        raise CorruptFileError(path, f"{what} lead {name}: scale or origin is not a number")
    if scale == 0:
        raise ImplausibleContentError(path, f"{what} lead {name}: scale is 0")
    scale_unit = scale_el.get("unit") if scale_el is not None else None
    scale_factor = _unit_factor(scale_unit, _VOLT_FACTORS_TO_MV, 1e-3)
    origin_factor = _unit_factor(origin_el.get("unit") if origin_el is not None else scale_unit,
                                 _VOLT_FACTORS_TO_MV, 1e-3)
    if scale_factor is None or origin_factor is None:
        raise ImplausibleContentError(path, f"{what} lead {name}: unit {scale_unit!r} is not a voltage")
    text = digits_el.text or ""
    if not text.strip():
        return None
    try:
        # C parser: no Python object per sample (a forged file may hold millions of digits).
        digits = np.fromstring(text, dtype=np.float64, sep=" ")
    except ValueError:
        raise CorruptFileError(path, f"{what} lead {name}: digits are not all numbers") from None
    if digits.size == 0:
        return None
    if digits.size > _MAX_SAMPLES_PER_LEAD:
        raise ImplausibleContentError(path, f"{what} lead {name}: {digits.size} samples is too many")
    digits[~np.isfinite(digits)] = np.nan  # 'inf' is no sample value
    return digits * (scale * scale_factor) + origin * origin_factor


class _SequenceSet:
    def __init__(self, head_s: float | None, increment_s: float | None, leads: dict[str, np.ndarray]):
        self.head_s, self.increment_s, self.leads = head_s, increment_s, leads


def _time_sequence(path: Path, value: ET.Element, code: str, what: str) -> tuple[float | None, float | None]:
    """(head in seconds, increment in seconds) of a TIME_ABSOLUTE / TIME_RELATIVE sequence."""
    increment_s = None
    increment = _child(value, "increment")
    if increment is not None:
        number = to_float(increment.get("value"))
        factor = _unit_factor(increment.get("unit"), _TIME_FACTORS_TO_S, 1.0)
        if number is None or factor is None:
            raise CorruptFileError(
                path, f"{what}: time increment {increment.get('value')!r} {increment.get('unit')!r} unreadable")
        increment_s = number * factor
    head_s = None
    head = _child(value, "head")
    if head is not None:
        if code == "TIME_ABSOLUTE":
            stamp = _parse_ts(head.get("value"))
            head_s = stamp.replace(tzinfo=None).timestamp() if stamp else None
        else:
            number = to_float(head.get("value"))
            factor = _unit_factor(head.get("unit"), _TIME_FACTORS_TO_S, 1.0)
            head_s = number * factor if number is not None and factor is not None else None
    return head_s, increment_s


def _read_series(path: Path, series: ET.Element, what: str) -> _SeriesData | None:
    """Signals of one (derived) series.

    A series may hold several sequence sets (leads not recorded at the same time, or a
    recording split in parts); each has its own time head, so every set is placed on one
    time axis and samples a set does not cover stay NaN.
    """
    sets: list[_SequenceSet] = []
    for sequence_set in series.findall(f"{_q('component')}/{_q('sequenceSet')}"):
        head_s = increment_s = None
        leads: dict[str, np.ndarray] = {}
        for sequence in sequence_set.findall(f"{_q('component')}/{_q('sequence')}"):
            code = (_code(sequence) or "").upper()
            value = _child(sequence, "value")
            if value is None:
                continue
            if code.startswith("TIME_"):
                head_s, increment_s = _time_sequence(path, value, code, what)
                continue
            name = canonical_lead_name(code)
            if name in leads:  # a repeated lead adds nothing but confusion
                continue
            values = _lead_values(path, value, name, what)
            if values is not None:
                leads[name] = values
        if leads:
            sets.append(_SequenceSet(head_s, increment_s, leads))
    if not sets:
        return None
    for one in sets:
        if one.increment_s is None:
            raise CorruptFileError(path, f"{what}: no time sequence with an increment (sampling interval)")
        if not (one.increment_s > 0) or not np.isfinite(one.increment_s):
            raise ImplausibleContentError(path, f"{what}: sampling increment {one.increment_s!r} s is not positive")
    increment_s = sets[0].increment_s
    if any(abs(one.increment_s - increment_s) > 1e-9 * max(1.0, increment_s) for one in sets):
        raise UnsupportedFormatError(path, f"{what}: sequence sets with different sampling rates")
    rate_hz = 1.0 / increment_s

    note = None
    if len(sets) == 1:
        names = list(sets[0].leads)
        columns = [sets[0].leads[n] for n in names]
        lengths = {c.size for c in columns}
        n = min(lengths)
        if len(lengths) > 1:
            note = f"{what}: leads have different lengths {sorted(lengths)}; cut to the shortest ({n})"
        rows = [c[:n] for c in columns]
    else:
        heads = [one.head_s for one in sets]
        if any(h is None for h in heads):
            heads = [0.0] * len(sets)  # no heads: the sets can only be taken as simultaneous
        t0 = min(heads)
        offsets = [int(round((h - t0) * rate_hz)) for h in heads]
        stored = sum(c.size for one in sets for c in one.leads.values())
        total = max(off + max(c.size for c in one.leads.values()) for off, one in zip(offsets, sets))
        names = list(dict.fromkeys(name for one in sets for name in one.leads))
        if total > _MAX_SAMPLES_PER_LEAD or total * len(names) > 20 * stored + 1_000_000:
            raise ImplausibleContentError(path, f"{what}: sequence set start times span {total} samples")
        rows = []
        for name in names:
            row = np.full(total, np.nan)
            for off, one in zip(offsets, sets):
                if name in one.leads:
                    values = one.leads[name]
                    target = row[off:off + values.size]
                    fill = np.isnan(target)
                    target[fill] = values[fill]
            rows.append(row)
        note = f"{what}: {len(sets)} sequence sets placed on one time axis by their start times"
    order = standard_order(names)
    signals = np.vstack([rows[i] for i in order]).astype(np.float32)
    return _SeriesData(signals, rate_hz, tuple(names[i] for i in order), note)


def _annotation_value(annotation: ET.Element) -> tuple[float | None, str | None, str | None, str | None]:
    """(number, unit, coded value, display text) of an annotation's value element."""
    value = _child(annotation, "value")
    if value is None:
        return None, None, None, None
    return (to_float(value.get("value")), value.get("unit"), value.get("code"),
            value.get("displayName") or text_of(value))


def _top_annotations(annotation_set: ET.Element) -> list[ET.Element]:
    return annotation_set.findall(f"{_q('component')}/{_q('annotation')}")


def _nested_annotations(annotation: ET.Element) -> list[ET.Element]:
    return annotation.findall(f"{_q('component')}/{_q('annotation')}")


def _measurement(code: str | None, number: float | None, unit: str | None) -> tuple[str, float] | None:
    if code is None or number is None:
        return None
    field = _MEASUREMENT_CODES.get(code.upper())
    if field is None:
        return None
    unit_l = (unit or "").strip().lower()
    if field.endswith("_ms") and unit_l == "s":
        number *= 1000.0
    elif field.endswith("_ms") and unit_l not in ("", "ms"):
        return None
    if field == "hr_bpm" and unit_l not in ("", "bpm", "/min", "1/min", "{beats}/min"):
        return None
    return field, float(number)


def _measurements(annotation_sets: list[ET.Element]) -> DeviceMeasurements:
    """Global values from top-level annotations; else the median of per-beat values."""
    global_values: dict[str, float] = {}
    per_beat: dict[str, list[float]] = {}
    for annotation_set in annotation_sets:
        for annotation in _top_annotations(annotation_set):
            number, unit, _, _ = _annotation_value(annotation)
            found = _measurement(_code(annotation), number, unit)
            if found and found[0] not in global_values:
                global_values[found[0]] = found[1]
            for nested in _nested_annotations(annotation):
                number, unit, _, _ = _annotation_value(nested)
                found = _measurement(_code(nested), number, unit)
                if found:
                    per_beat.setdefault(found[0], []).append(found[1])
    for field, values in per_beat.items():
        global_values.setdefault(field, float(np.median(values)))
    return DeviceMeasurements(**global_values)


def _is_statement_code(code: str) -> bool:
    return "INTERPRETATION" in code or code.startswith("MDC_ECG_STMT") or code == "STATEMENT"


def _statements(annotation_sets: list[ET.Element]) -> list[str]:
    """Rhythm and interpretation annotations, as the device wrote them.

    Interpretation is often a container annotation (MDC_ECG_INTERPRETATION) whose nested
    annotations hold the statements and the summary; those are read too.
    """
    out: list[str] = []

    def add(text: str | None) -> None:
        if text and text not in out:
            out.append(text)

    for annotation_set in annotation_sets:
        for annotation in _top_annotations(annotation_set):
            code = (_code(annotation) or "").upper()
            _, _, coded, display = _annotation_value(annotation)
            if code == "MDC_ECG_RHY" or code.startswith("MDC_ECG_RHY_"):
                add(display or (coded or "").replace("MDC_ECG_RHY_", "").replace("_", " ").title() or None)
            elif _is_statement_code(code):
                add(display or coded)
                for nested in _nested_annotations(annotation):
                    _, _, nested_coded, nested_display = _annotation_value(nested)
                    add(nested_display or nested_coded)
    return out


def _patient(root: ET.Element, acquired_at: datetime | None) -> Patient:
    subject = None
    for element in root.iter(_q("trialSubject")):
        subject = element
        break
    if subject is None:
        return Patient()
    id_el = _child(subject, "id")
    patient_id = (id_el.get("extension") or id_el.get("root")) if id_el is not None else None
    person = _child(subject, "subjectDemographicPerson")
    name = sex = None
    birth: date | None = None
    if person is not None:
        name_el = _child(person, "name")
        if name_el is not None:
            parts = [t.strip() for t in name_el.itertext() if t.strip()]
            name = " ".join(parts) or None
        gender = _child(person, "administrativeGenderCode")
        sex = normalise_sex(gender.get("code")) if gender is not None else None
        birth_el = _child(person, "birthTime")
        born = _parse_ts(birth_el.get("value")) if birth_el is not None else None
        birth = born.date() if born else None
    age = None
    if birth and acquired_at:
        age = round((acquired_at.date() - birth).days / 365.25, 1)
        if age < 0 or age > 130:
            age = None
    return Patient(id=patient_id, name=name, sex=sex, birth_date=birth, age_years=age)


def _device(series: ET.Element) -> str | None:
    author = _child(series, "author", "seriesAuthor")
    if author is None:
        return None
    device = _child(author, "manufacturedSeriesDevice")
    maker = text_of(_child(author, "manufacturerOrganization", "name"))
    model = text_of(_child(device, "manufacturerModelName"))
    software = text_of(_child(device, "softwareName"))
    parts = [p for p in (maker, model) if p]
    text = " ".join(parts)
    if software:
        text = f"{text} (software {software})" if text else f"software {software}"
    return text or None


def read(path: Path) -> Ecg:
    path = Path(path)
    root = parse_xml(path, "HL7 aECG")
    if local(root.tag) != "AnnotatedECG" or not root.tag.startswith(f"{{{_NS}}}"):
        raise CorruptFileError(path, f"root element is {root.tag!r}, not HL7 v3 AnnotatedECG")

    rhythm = None
    all_series = root.findall(f"{_q('component')}/{_q('series')}")
    for series in all_series:
        if (_code(series) or "").upper() == "RHYTHM":
            rhythm = series
            break
    if rhythm is None and all_series:
        rhythm = all_series[0]
    if rhythm is None:
        raise ImplausibleContentError(path, "HL7 aECG file contains no waveform series")
    data = _read_series(path, rhythm, "rhythm series")
    if data is None:
        raise ImplausibleContentError(path, "HL7 aECG rhythm series contains no lead with digits")

    median = None
    derived_sets: list[ET.Element] = []
    for derived in rhythm.findall(f"{_q('derivation')}/{_q('derivedSeries')}"):
        derived_sets.extend(derived.findall(f"{_q('subjectOf')}/{_q('annotationSet')}"))
        if median is None and (_code(derived) or "").upper() in ("REPRESENTATIVE_BEAT", "MEDIAN_BEAT", ""):
            beat = _read_series(path, derived, "representative beat series")
            if beat is not None and np.isfinite(beat.signals).any():
                median = MedianBeats(signals_mv=beat.signals, sampling_rate_hz=beat.rate_hz,
                                     lead_names=beat.leads)
    rhythm_sets = rhythm.findall(f"{_q('subjectOf')}/{_q('annotationSet')}")

    effective = _child(root, "effectiveTime")
    acquired_at = None
    if effective is not None:
        for name in ("center", "low"):
            element = _child(effective, name)
            if element is not None and (acquired_at := _parse_ts(element.get("value"))):
                break

    comments = [data.note] if data.note else []
    if acquired_at is not None and acquired_at.tzinfo is not None:
        # Every reader gives the local wall-clock time of the recording (naive datetimes
        # compare with each other); the offset the file states is kept as a comment.
        comments.append(f"acquisition time zone: UTC{acquired_at.strftime('%z')}")
        acquired_at = acquired_at.replace(tzinfo=None)
    for finding in root.iter(_q("subjectFindingComment")):
        text = text_of(_child(finding, "text"))
        if text:
            comments.append(text)

    return Ecg(
        signals_mv=data.signals,
        sampling_rate_hz=data.rate_hz,
        lead_names=data.leads,
        source_format=FORMAT,
        source_path=str(path),
        patient=_patient(root, acquired_at),
        acquired_at=acquired_at,
        device=_device(rhythm),
        # The derived (median) series carries the global values; per-beat ones are the fallback.
        device_measurements=_measurements(derived_sets + rhythm_sets),
        device_statements=tuple(_statements(rhythm_sets + derived_sets)),
        median_beats=median,
        comments=tuple(comments),
    )
