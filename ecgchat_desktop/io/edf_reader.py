"""EDF / EDF+ (and BDF, 24-bit) recordings. Own code: wfdb's `read_edf` fails on
multi-rate files (the shared `wfdb-formats/test_generator_2.edf`), and the format is
small: a 256-byte header, 256 bytes per signal, then data records of 16-bit (BDF:
24-bit) little-endian integers.

physical = (digital - digital_min) * (physical_max - physical_min) / (digital_max - digital_min) + physical_min

Only voltage channels are kept (uV, mV, V), as for WFDB; "EDF Annotations" and other
units are dropped with a note in `Ecg.comments`. When the kept channels have different
rates, the channels at the highest rate are kept and the others are noted.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import numpy as np

from ecgchat_desktop.ecg import Ecg, Patient, normalise_sex
from ecgchat_desktop.io.errors import CorruptFileError, ImplausibleContentError
from ecgchat_desktop.io.lead_labels import lead_label

FORMAT = "edf"

MAX_SIGNALS = 512
MAX_SAMPLE_VALUES = 40_000_000
_MV = {"uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "mv": 1.0, "v": 1000.0, "nv": 1e-6}
_FIELDS = (("label", 16), ("transducer", 80), ("dimension", 8), ("pmin", 8), ("pmax", 8), ("dmin", 8),
           ("dmax", 8), ("prefilter", 80), ("samples", 8), ("reserved", 32))


def _is_bdf(head: bytes) -> bool:
    return head[:8] == b"\xffBIOSEMI"


def sniff(path: Path, head: bytes) -> bool:
    if len(head) < 256:
        return False
    if not (head[:8] == b"0       " or _is_bdf(head)):
        return False
    try:
        int(head[236:244].decode("ascii").strip())  # number of data records
        float(head[244:252].decode("ascii").strip())  # record duration
        return int(head[252:256].decode("ascii").strip()) >= 0
    except (UnicodeDecodeError, ValueError):
        return False


def _number(path: Path, text: str, what: str, kind=float):
    try:
        value = kind(text.strip())
    except ValueError:
        raise CorruptFileError(path, f"EDF header field {what} is not a number: {text.strip()[:20]!r}") from None
    if kind is float and not np.isfinite(value):
        raise CorruptFileError(path, f"EDF header field {what} is not finite")
    return value


def _start(head: bytes) -> datetime | None:
    text = head[168:184].decode("latin-1")
    try:
        when = datetime.strptime(text, "%d.%m.%y%H.%M.%S")
    except ValueError:
        return None
    # EDF's two-digit years: 85-99 are 1985-1999, 00-84 are 2000-2084 (EDF spec clipping date)
    if when.year > 2084:
        when = when.replace(year=when.year - 100)
    return when


def _patient(head: bytes) -> Patient:
    """EDF+ local patient identification: 'code sex birthdate name ...' (X when unknown)."""
    fields = head[8:88].decode("latin-1").split()
    if len(fields) >= 4 and fields[1] in ("M", "F", "X"):
        code, sex, birth, name = fields[:4]
        birth_date = None
        try:
            birth_date = datetime.strptime(birth, "%d-%b-%Y").date()
        except ValueError:
            pass
        return Patient(id=None if code == "X" else code, name=None if name == "X" else name.replace("_", " "),
                       sex=normalise_sex(sex), birth_date=birth_date)
    return Patient()


def read(path: Path) -> Ecg:
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(256)
        if len(head) < 256:
            raise CorruptFileError(path, "EDF header is truncated")
        bdf = _is_bdf(head)
        n_records = _number(path, head[236:244].decode("latin-1"), "number of data records", int)
        duration_s = _number(path, head[244:252].decode("latin-1"), "data record duration")
        ns = _number(path, head[252:256].decode("latin-1"), "number of signals", int)
        if ns <= 0 or ns > MAX_SIGNALS:
            raise ImplausibleContentError(path, f"EDF header declares {ns} signals")
        sig_head = fh.read(256 * ns)
    if len(sig_head) < 256 * ns:
        raise CorruptFileError(path, "EDF signal headers are truncated")
    fields: dict[str, list[str]] = {}
    offset = 0
    for name, width in _FIELDS:
        fields[name] = [sig_head[offset + i * width: offset + (i + 1) * width].decode("latin-1").strip()
                        for i in range(ns)]
        offset += width * ns
    samples = [_number(path, v, f"samples per record of signal {i + 1}", int) for i, v in enumerate(fields["samples"])]
    if any(s < 0 or s > 10_000_000 for s in samples):
        raise ImplausibleContentError(path, f"EDF header declares implausible samples per record {samples}")
    bytes_per = 3 if bdf else 2
    record_bytes = sum(samples) * bytes_per
    data_bytes = size - 256 * (ns + 1)
    if record_bytes == 0:
        raise ImplausibleContentError(path, "EDF data records hold no samples")
    if n_records < 0:  # -1: unknown while recording; take what the file holds
        n_records = data_bytes // record_bytes
    if n_records <= 0:
        raise ImplausibleContentError(path, "EDF file holds no data records")
    if data_bytes < n_records * record_bytes:
        raise CorruptFileError(
            path, f"EDF data is truncated: {data_bytes} bytes, the header needs {n_records * record_bytes}")
    if n_records * sum(samples) > MAX_SAMPLE_VALUES:
        raise ImplausibleContentError(path, f"EDF recording of {n_records * sum(samples)} samples is too long")
    kept, dropped = [], []
    for i in range(ns):
        label, unit = fields["label"][i], fields["dimension"][i]
        factor = _MV.get(unit.lower().replace(" ", ""))
        if label.upper().startswith("EDF ANNOTATIONS") or factor is None or samples[i] == 0:
            dropped.append(f"{label or i + 1} ({unit or 'no unit'})")
        else:
            kept.append((i, factor))
    if not kept:
        raise ImplausibleContentError(path, "EDF file has no ECG (voltage) signal; channels: " + ", ".join(dropped))
    if duration_s <= 0:
        raise ImplausibleContentError(path, f"EDF data record duration {duration_s} s")
    top = max(samples[i] for i, _ in kept)
    slower = [fields["label"][i] for i, _ in kept if samples[i] != top]
    kept = [(i, f) for i, f in kept if samples[i] == top]
    notes = []
    if dropped:
        notes.append("non-ECG channels not loaded: " + ", ".join(dropped))
    if slower:
        notes.append("channels at a lower rate not loaded: " + ", ".join(slower))

    raw = np.fromfile(path, dtype=np.uint8, count=n_records * record_bytes, offset=256 * (ns + 1))
    raw = raw.reshape(n_records, record_bytes)
    starts = np.concatenate([[0], np.cumsum(samples)]) * bytes_per
    rows = []
    for i, factor in kept:
        block = raw[:, starts[i]:starts[i + 1]].reshape(-1)
        if bdf:
            b = block.reshape(-1, 3).astype(np.int32)
            digital = (b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)).astype(np.int32)
            digital = np.where(digital >= 1 << 23, digital - (1 << 24), digital)
        else:
            digital = block.view("<i2")
        dmin = _number(path, fields["dmin"][i], "digital minimum")
        dmax = _number(path, fields["dmax"][i], "digital maximum")
        pmin = _number(path, fields["pmin"][i], "physical minimum")
        pmax = _number(path, fields["pmax"][i], "physical maximum")
        if dmax == dmin or pmax == pmin:
            raise CorruptFileError(path, f"signal {fields['label'][i]!r}: digital or physical range is empty")
        gain = (pmax - pmin) / (dmax - dmin)
        rows.append(((digital.astype(np.float64) - dmin) * gain + pmin) * factor)
    rate = top / duration_s
    names = tuple(lead_label(fields["label"][i]) or f"signal {i + 1}" for i, _ in kept)
    recording = head[88:168].decode("latin-1").strip()
    return Ecg(
        signals_mv=np.vstack(rows).astype(np.float32),
        sampling_rate_hz=rate,
        lead_names=names,
        source_format=FORMAT,
        source_path=str(path),
        patient=_patient(head),
        acquired_at=_start(head),
        comments=tuple(filter(None, [re.sub(r"\s+", " ", recording)])) + tuple(notes),
    )
