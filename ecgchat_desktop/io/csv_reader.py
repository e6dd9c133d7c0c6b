"""CSV / TSV tables: one column per lead, a time column giving the sampling rate.

Accepted: a header row naming the columns; a time column named time / time_s /
t / seconds (seconds) or time_ms / ms (milliseconds); lead columns in mV unless
the header gives a unit ("II (uV)", "V1 [mV]", "aVF_uV"). Delimiters , ; tab; a
decimal comma with the ; delimiter. The file written by `csv_writer` reads back
exactly. Without a time column the sampling rate cannot be known: typed error.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np

from ecgchat_desktop.ecg import Ecg
from ecgchat_desktop.io.errors import CorruptFileError, ImplausibleContentError
from ecgchat_desktop.io.lead_labels import lead_label

FORMAT = "csv"

MAX_FILE_BYTES = 1_500_000_000
MAX_SAMPLE_VALUES = 40_000_000

_TIME_NAMES = {"time": 1.0, "time_s": 1.0, "times": 1.0, "t": 1.0, "seconds": 1.0, "sec": 1.0, "s": 1.0,
               "time_sec": 1.0, "timestamp": 1.0, "time_ms": 1e-3, "ms": 1e-3, "timems": 1e-3}
_UNIT = re.compile(r"^(?P<name>.*?)[\s_]*(?:[\(\[](?P<u1>[µμu]?m?[vV])[\)\]]|_(?P<u2>[µμu]?m?[vV]))\s*$")
_MV = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "v": 1000.0}


def _delimiter(line: str) -> str | None:
    counts = {d: line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] >= 1 else None


def _split_header(line: str, delim: str) -> list[str]:
    return next(csv.reader([line], delimiter=delim))


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
        return True
    except ValueError:
        return False


def _time_scale(name: str) -> float | None:
    key = re.sub(r"[\s\(\)\[\]]+", "_", name.strip().lower()).strip("_")
    return _TIME_NAMES.get(key)


def sniff(path: Path, head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 2:
        return False
    delim = _delimiter(lines[0])
    if delim is None:
        return False
    names = _split_header(lines[0], delim)
    if len(names) < 2 or any(_is_number(n) for n in names if n.strip()):
        return False
    first_row = lines[1].split(delim)
    if len(first_row) != len(names):
        return False
    return all(_is_number(v) or not v.strip() for v in first_row)


def _column_unit(name: str) -> tuple[str, float]:
    m = _UNIT.match(name.strip())
    if m and m.group("name"):
        unit = (m.group("u1") or m.group("u2")).lower()
        return m.group("name").strip(), _MV[unit]
    return name.strip(), 1.0


def read(path: Path) -> Ecg:
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ImplausibleContentError(path, f"CSV of {size} bytes is too large for an ECG")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    if "\x00" in text:
        raise CorruptFileError(path, "CSV contains binary data")
    lines = text.splitlines()
    header_index = next((i for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")), None)
    if header_index is None:
        raise CorruptFileError(path, "CSV has no header row")
    delim = _delimiter(lines[header_index])
    if delim is None:
        raise CorruptFileError(path, "CSV header has a single column; need a time column and lead columns")
    names = [n.strip() for n in _split_header(lines[header_index], delim)]
    body = [ln for ln in lines[header_index + 1:] if ln.strip() and not ln.lstrip().startswith("#")]
    if not body:
        raise ImplausibleContentError(path, "CSV has a header but no samples")
    if len(body) * len(names) > MAX_SAMPLE_VALUES:
        raise ImplausibleContentError(path, f"CSV has {len(body)} rows x {len(names)} columns, too many for an ECG")
    decimal_comma = delim == ";" and "," in body[0]
    values = None
    if not decimal_comma:
        try:  # fast path (numpy's C parser); the slow path below names the bad cell
            values = np.loadtxt(io.StringIO("\n".join(body)), delimiter=delim, ndmin=2, dtype=np.float64)
            if values.shape[1] != len(names):
                values = None
        except ValueError:
            values = None
    if values is None:
        values = _parse_cells(path, body, names, delim, decimal_comma, header_index)
    if np.isinf(values).any():
        raise CorruptFileError(path, "CSV holds infinite values")

    time_cols = [i for i, n in enumerate(names) if _time_scale(n) is not None]
    if not time_cols:
        raise ImplausibleContentError(
            path, "CSV has no time column (time_s / time / time_ms): the sampling rate cannot be derived")
    tcol = time_cols[0]
    time_s = values[:, tcol] * _time_scale(names[tcol])
    fs = _sampling_rate(path, time_s)

    lead_idx = [i for i in range(len(names)) if i != tcol]
    lead_names, factors = [], []
    for i in lead_idx:
        name, factor = _column_unit(names[i])
        lead_names.append(lead_label(name) if name else f"column {i + 1}")
        factors.append(factor)
    signals = values[:, lead_idx].T * np.asarray(factors)[:, None]
    return Ecg(
        signals_mv=signals.astype(np.float32),
        sampling_rate_hz=fs,
        lead_names=tuple(lead_names),
        source_format=FORMAT,
        source_path=str(path),
    )


def _parse_cells(path, body, names, delim, decimal_comma, header_index) -> np.ndarray:
    values = np.full((len(body), len(names)), np.nan, dtype=np.float64)
    for r, line in enumerate(body):
        cells = line.split(delim)
        if len(cells) != len(names):
            raise CorruptFileError(path, f"row {header_index + r + 2} has {len(cells)} cells, the header {len(names)}")
        for c, cell in enumerate(cells):
            cell = cell.strip().strip('"')
            if not cell or cell.lower() in ("nan", "na", "null"):
                continue
            try:
                values[r, c] = float(cell.replace(",", ".") if decimal_comma else cell)
            except ValueError:
                raise CorruptFileError(
                    path, f"row {header_index + r + 2}, column {names[c]!r}: {cell[:20]!r} is not a number") from None
    return values


def _sampling_rate(path: Path, time_s: np.ndarray) -> float:
    if len(time_s) < 2:
        raise ImplausibleContentError(path, "one sample is not a recording")
    if not np.all(np.isfinite(time_s)):
        raise CorruptFileError(path, "time column has empty or non-numeric cells")
    steps = np.diff(time_s)
    if np.any(steps <= 0):
        raise ImplausibleContentError(path, "time column is not strictly increasing")
    fs = (len(time_s) - 1) / (time_s[-1] - time_s[0])
    # the time column is printed with finite precision; allow that, not gaps
    if np.max(np.abs(steps * fs - 1.0)) > 0.05:
        raise ImplausibleContentError(path, "time column is not evenly spaced (gaps or jitter)")
    nearest = round(fs)
    if nearest > 0 and abs(fs - nearest) < 1e-6 * fs:
        fs = float(nearest)
    if not np.isfinite(fs) or fs <= 0 or fs > 100_000:
        raise ImplausibleContentError(path, f"implausible sampling rate {fs:g} Hz from the time column")
    return float(fs)
