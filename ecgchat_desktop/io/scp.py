"""SCP-ECG (EN 1064 / ISO 11073-91064) reader. Our own decoder: no maintained Python library exists.

Layout: record CRC (2) + record length (4), then sections, each with a 16-byte
header (CRC, id, length, versions, reserved). Section 0 points at the others.
  1 patient/device tags      2 Huffman tables (19999 = the standard's default table)
  3 lead definitions         4 QRS locations (for reference-beat subtraction)
  5 reference (median) beat  6 rhythm data (residual when subtraction is used)
  7 global measurements      8 / 11 interpretive statements
Bimodal compression (rhythm decimated outside the protected QRS zones) is rebuilt by
linear interpolation and a 3-point mean (the approach of the open SCP-AV decoder); no
device file with bimodal compression was available to check the result against.
Every length and offset read from the file is checked against the data that is
really there, so damaged files give a typed error instead of garbage or a hang.
"""

from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np

from ecgchat_desktop.ecg import DeviceMeasurements, Ecg, MedianBeats, Patient
from ecgchat_desktop.io.errors import (
    CorruptFileError,
    EcgReadError,
    ImplausibleContentError,
    UnsupportedFormatError,
)
from ecgchat_desktop.io.lead_order import standard_order

FORMAT = "scp-ecg"

_UNDEFINED = 29998  # 29999 = not computed, 29998 = rejected (EN 1064 section 7)
_MAX_FILE_BYTES = 256 * 1024 * 1024
_MAX_SAMPLES_PER_LEAD = 50_000_000
_MAX_HUFFMAN_PREFIX_BITS = 16

# EN 1064 lead identification codes (section 3) -> our canonical names.
_LEAD_NAMES = {
    1: "I", 2: "II", 3: "V1", 4: "V2", 5: "V3", 6: "V4", 7: "V5", 8: "V6",
    9: "V7", 10: "V2R", 11: "V3R", 12: "V4R", 13: "V5R", 14: "V6R", 15: "V7R",
    16: "X", 17: "Y", 18: "Z", 19: "CC5", 20: "CM5", 21: "LA", 22: "RA", 23: "LL",
    61: "III", 62: "aVR", 63: "aVL", 64: "aVF", 65: "-aVR", 66: "V8", 67: "V9",
    68: "V8R", 69: "V9R", 70: "D", 71: "A", 72: "J",
}

_MANUFACTURERS = {
    1: "Burdick", 2: "Cambridge Heart", 3: "Compumed", 4: "Datrend", 5: "Fukuda Denshi",
    6: "Hewlett-Packard", 7: "Marquette (GE)", 8: "Mortara Instrument", 9: "Nihon Kohden",
    10: "Okin", 11: "Quinton", 12: "Siemens", 13: "Spacelabs", 14: "Telemed", 15: "Hellige",
    16: "ESA-OTE", 17: "Schiller", 18: "Picker-Schwarzer", 19: "Elettronica-Trentina",
    20: "Zwönitz",
}

# The default Huffman table of EN 1064 (annex C): (prefix bits, total bits, mode, base value, base code).
# Base codes are stored bit-reversed: the first bit read from the stream is bit 0.
_DEFAULT_HUFFMAN = (
    (1, 1, 1, 0, 0), (3, 3, 1, 1, 1), (3, 3, 1, -1, 5), (4, 4, 1, 2, 3), (4, 4, 1, -2, 11),
    (5, 5, 1, 3, 7), (5, 5, 1, -3, 23), (6, 6, 1, 4, 15), (6, 6, 1, -4, 47), (7, 7, 1, 5, 31),
    (7, 7, 1, -5, 95), (8, 8, 1, 6, 63), (8, 8, 1, -6, 191), (9, 9, 1, 7, 127), (9, 9, 1, -7, 383),
    (10, 10, 1, 8, 255), (10, 10, 1, -8, 767), (10, 18, 1, 0, 511), (10, 26, 1, 0, 1023),
)


def sniff(path: Path, head: bytes) -> bool:
    """SCP-ECG: section 0 right after the 6-byte record header, pointing at itself."""
    if len(head) < 32:
        return False
    section_id, section_length = struct.unpack_from("<HI", head, 8)
    if section_id != 0 or section_length < 16:
        return False
    if head[16:22] == b"SCPECG":
        return True
    # Old (1.x) writers leave the reserved bytes empty: accept when the first
    # pointer is section 0 at byte 7 and the CRC of section 0 is right.
    first_id, _, first_index = struct.unpack_from("<HII", head, 22)
    if first_id != 0 or first_index != 7 or 6 + section_length > len(head):
        return False
    return binascii.crc_hqx(head[8:6 + section_length], 0xFFFF) == struct.unpack_from("<H", head, 6)[0]


@dataclass
class _Section:
    id: int
    body: bytes  # the section after its 16-byte header
    version: int


class _Reader:
    """Bounds-checked little-endian reads from one section body."""

    def __init__(self, path: Path, body: bytes, what: str):
        self.path, self.body, self.what, self.pos = path, body, what, 0

    def need(self, n: int) -> None:
        if n < 0 or self.pos + n > len(self.body):
            raise CorruptFileError(self.path, f"{self.what} is truncated (needs {n} bytes at offset {self.pos})")

    def unpack(self, fmt: str):
        size = struct.calcsize(fmt)
        self.need(size)
        values = struct.unpack_from(fmt, self.body, self.pos)
        self.pos += size
        return values

    def take(self, n: int) -> bytes:
        self.need(n)
        chunk = self.body[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def remaining(self) -> int:
        return len(self.body) - self.pos


def _sections(path: Path, data: bytes) -> dict[int, _Section]:
    if len(data) < 6 + 16:
        raise CorruptFileError(path, f"only {len(data)} bytes: too short for an SCP-ECG record")
    stored_crc, record_length = struct.unpack_from("<HI", data, 0)
    if record_length > len(data):
        raise CorruptFileError(path, f"record length {record_length} but the file has {len(data)} bytes (truncated)")
    if record_length < 22:
        raise CorruptFileError(path, f"record length {record_length} is too small")
    record = data[:record_length]
    if binascii.crc_hqx(record[2:], 0xFFFF) != stored_crc:
        raise CorruptFileError(path, "record CRC does not match: the file is damaged")

    def section_at(index: int, expected_id: int | None) -> _Section:
        offset = index - 1  # section 0 pointers are 1-based byte positions
        if offset < 6 or offset + 16 > record_length:
            raise CorruptFileError(path, f"section {expected_id} points outside the record (byte {index})")
        crc, section_id, length, version, _protocol = struct.unpack_from("<HHIBB", record, offset)
        if length < 16 or offset + length > record_length:
            raise CorruptFileError(path, f"section {section_id} declares length {length}, beyond the record")
        if expected_id is not None and section_id != expected_id:
            raise CorruptFileError(path, f"pointer to section {expected_id} finds section {section_id}")
        if binascii.crc_hqx(record[offset + 2:offset + length], 0xFFFF) != crc:
            raise CorruptFileError(path, f"section {section_id} CRC does not match: the file is damaged")
        return _Section(section_id, record[offset + 16:offset + length], version)

    section0 = section_at(7, 0)
    sections = {0: section0}
    pointers = _Reader(path, section0.body, "section 0")
    while pointers.remaining() >= 10:
        section_id, length, index = pointers.unpack("<HII")
        if length == 0 or index == 0 or section_id == 0:
            continue
        if section_id in sections:
            raise CorruptFileError(path, f"section {section_id} is listed twice in section 0")
        sections[section_id] = section_at(index, section_id)
    return sections


# --- Huffman decoding ----------------------------------------------------------


@dataclass(frozen=True)
class _HuffmanTable:
    lut_bits: int
    entry_of_window: np.ndarray  # window (lut_bits, MSB first) -> entry index, -1 = no code
    prefix_bits: np.ndarray
    extra_bits: np.ndarray  # total - prefix: bits of an explicit value after the prefix
    mode: np.ndarray
    base_value: np.ndarray


def _reverse_bits(value: int, n: int) -> int:
    out = 0
    for _ in range(n):
        out = (out << 1) | (value & 1)
        value >>= 1
    return out


def _build_table(path: Path, structures) -> _HuffmanTable:
    if not structures:
        raise CorruptFileError(path, "a Huffman table has no code structures")
    lut_bits = max(s[0] for s in structures)
    if lut_bits < 1 or lut_bits > _MAX_HUFFMAN_PREFIX_BITS:
        raise CorruptFileError(path, f"Huffman prefix of {lut_bits} bits is outside 1..{_MAX_HUFFMAN_PREFIX_BITS}")
    lut = np.full(1 << lut_bits, -1, dtype=np.int32)
    for i, (prefix, total, _mode, _value, code) in enumerate(structures):
        if prefix < 1 or total < prefix or total - prefix > 32:
            raise CorruptFileError(path, f"Huffman code structure {i} has {prefix} prefix / {total} total bits")
        msb_first = _reverse_bits(code, prefix)
        start = msb_first << (lut_bits - prefix)
        lut[start:start + (1 << (lut_bits - prefix))] = i
    arr = np.array(structures, dtype=np.int64)
    return _HuffmanTable(lut_bits, lut, arr[:, 0], arr[:, 1] - arr[:, 0], arr[:, 2], arr[:, 3])


def _huffman_tables(path: Path, section: _Section | None) -> list[_HuffmanTable] | None:
    """None when the data are not Huffman-coded (no section 2)."""
    if section is None:
        return None
    reader = _Reader(path, section.body, "section 2 (Huffman tables)")
    (count,) = reader.unpack("<H")
    if count == 19999:
        return [_build_table(path, _DEFAULT_HUFFMAN)]
    if count == 0 or count > 256:
        raise CorruptFileError(path, f"section 2 declares {count} Huffman tables")
    tables = []
    for _ in range(count):
        (n_structures,) = reader.unpack("<H")
        if n_structures == 0:
            raise CorruptFileError(path, "a Huffman table has no code structures")
        structures = [reader.unpack("<BBBhI") for _ in range(n_structures)]
        tables.append(_build_table(path, structures))
    return tables


def _huffman_decode(path: Path, data: bytes, tables: list[_HuffmanTable], n_values: int, what: str) -> np.ndarray:
    """Decode up to n_values values from a Huffman bit stream (MSB first within each byte)."""
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8)).astype(np.int64)
    n_bits = bits.size
    shortest_code = min(int(t.prefix_bits.min()) for t in tables)
    if n_values * shortest_code > n_bits:
        # Checked before allocating: a forged sample count must not cost memory or time.
        raise CorruptFileError(path, f"{what}: {len(data)} bytes cannot hold {n_values} samples")
    pad = np.zeros(40, dtype=np.int64)
    padded = np.concatenate([bits, pad])
    windows: dict[int, np.ndarray] = {}

    def window_array(width: int) -> np.ndarray:
        # Value of the `width` bits starting at every position, MSB first (vectorised once).
        if width not in windows:
            acc = np.zeros(n_bits + 1, dtype=np.int64)
            for k in range(width):
                acc = (acc << 1) | padded[k:k + n_bits + 1]
            windows[width] = acc
        return windows[width]

    lists: dict[int, tuple] = {}
    extra_windows: dict[int, list[int]] = {}

    def table_lists(index: int) -> tuple:
        # Python lists per table, built once: the loop below runs once per sample.
        if index not in lists:
            t = tables[index]
            lists[index] = (window_array(t.lut_bits).tolist(), t.entry_of_window.tolist(), t.prefix_bits.tolist(),
                            t.extra_bits.tolist(), t.mode.tolist(), t.base_value.tolist())
        return lists[index]

    out: list[int] = []
    append = out.append
    win, lut, prefix_bits, extra_bits, mode, base_value = table_lists(0)
    pos = count = 0
    while count < n_values:
        if pos >= n_bits:
            raise CorruptFileError(path, f"{what}: data end after {count} of {n_values} samples")
        entry = lut[win[pos]]
        if entry < 0:
            raise CorruptFileError(path, f"{what}: invalid Huffman code at bit {pos}")
        pos += prefix_bits[entry]
        if mode[entry] == 0:  # table switch: the base value names the next table (1-based)
            target = base_value[entry]
            if not 1 <= target <= len(tables):
                raise CorruptFileError(path, f"{what}: Huffman switch to table {target} is invalid")
            win, lut, prefix_bits, extra_bits, mode, base_value = table_lists(target - 1)
            continue
        extra = extra_bits[entry]
        if extra:
            if pos + extra > n_bits:
                raise CorruptFileError(path, f"{what}: data end inside a sample value")
            if extra not in extra_windows:
                extra_windows[extra] = window_array(extra).tolist()
            value = extra_windows[extra][pos]
            if value >= 1 << (extra - 1):  # two's complement of the explicit value
                value -= 1 << extra
            pos += extra
        else:
            value = base_value[entry]
        append(value)
        count += 1
    return np.array(out, dtype=np.int64)


def _undifference(values: np.ndarray, mode: int, path: Path, what: str) -> np.ndarray:
    if mode == 0:
        return values
    if mode == 1:
        return np.cumsum(values)
    if mode == 2:
        if values.size < 3:
            return values.copy()
        # x[n] = d[n] + 2 x[n-1] - x[n-2]: the first differences y[n] = x[n] - x[n-1] are
        # the running sum of d[n] from n = 2 on, starting at y[1] = x[1] - x[0].
        first_diffs = np.empty(values.size - 1, dtype=np.int64)
        first_diffs[0] = values[1] - values[0]
        first_diffs[1:] = values[2:]
        x = np.empty(values.size, dtype=np.int64)
        x[0] = values[0]
        x[1:] = values[0] + np.cumsum(np.cumsum(first_diffs))
        return x
    raise CorruptFileError(path, f"{what}: unknown difference encoding {mode}")


def _decode_leads(path: Path, reader: _Reader, n_leads: int, n_samples: list[int],
                  tables: list[_HuffmanTable] | None, difference_mode: int, what: str) -> list[np.ndarray]:
    lengths = [reader.unpack("<H")[0] for _ in range(n_leads)]
    leads = []
    for lead_index, (n_bytes, n) in enumerate(zip(lengths, n_samples)):
        data = reader.take(n_bytes)
        label = f"{what}, lead {lead_index + 1}"
        if n <= 0:
            raise ImplausibleContentError(path, f"{label}: {n} samples declared")
        if tables is None:
            if n_bytes < 2 * n:
                raise CorruptFileError(path, f"{label}: {n_bytes} bytes for {n} uncompressed samples")
            values = np.frombuffer(data[:2 * n], dtype="<i2").astype(np.int64)
        else:
            values = _huffman_decode(path, data, tables, n, label)
        leads.append(_undifference(values, difference_mode, path, label))
    return leads


# --- sections --------------------------------------------------------------------


@dataclass
class _LeadDefinition:
    reference_beat_subtracted: bool
    starts: list[int]
    ends: list[int]
    names: list[str]


def _lead_definition(path: Path, section: _Section | None) -> _LeadDefinition:
    if section is None:
        raise CorruptFileError(path, "SCP-ECG file has no section 3 (lead definition)")
    reader = _Reader(path, section.body, "section 3 (lead definition)")
    n_leads, flags = reader.unpack("<BB")
    if n_leads == 0:
        raise ImplausibleContentError(path, "section 3 defines no leads")
    starts, ends, names = [], [], []
    for _ in range(n_leads):
        start, end, lead_id = reader.unpack("<IIB")
        if start < 1 or end < start or end - start + 1 > _MAX_SAMPLES_PER_LEAD:
            raise ImplausibleContentError(path, f"section 3: lead {lead_id} spans samples {start}..{end}")
        starts.append(start)
        ends.append(end)
        name = _LEAD_NAMES.get(lead_id, f"lead {lead_id}")
        if name in names:
            name = f"{name} ({len(names) + 1})"
        names.append(name)
    return _LeadDefinition(bool(flags & 0x01), starts, ends, names)


@dataclass
class _QrsLocations:
    reference_length_ms: int
    fiducial_sample: int  # fcM: fiducial of the reference beat (1-based)
    types: list[int]
    subtraction_zones: list[tuple[int, int, int]]  # (start SB, fiducial fc, end SE), 1-based
    protected_zones: list[tuple[int, int]]  # (QB, QE), 1-based: kept at full rate by bimodal compression


def _qrs_locations(path: Path, section: _Section | None) -> _QrsLocations | None:
    if section is None:
        return None
    reader = _Reader(path, section.body, "section 4 (QRS locations)")
    length_ms, fiducial, n_qrs = reader.unpack("<HHH")
    types, zones, protected = [], [], []
    if reader.remaining() >= 14 * n_qrs:
        for _ in range(n_qrs):
            qrs_type, start, fid, end = reader.unpack("<HIII")
            types.append(qrs_type)
            zones.append((start, fid, end))
        if reader.remaining() >= 8 * n_qrs:
            protected = [reader.unpack("<II") for _ in range(n_qrs)]
    return _QrsLocations(length_ms, fiducial, types, zones, protected)


def _reference_beat(path: Path, section: _Section | None, n_leads: int, locations: _QrsLocations | None,
                    tables) -> tuple[np.ndarray, float, float] | None:
    """(int samples [leads, n], amplitude nV per unit, rate Hz) of the stored reference beat."""
    if section is None or locations is None or locations.reference_length_ms == 0:
        return None
    reader = _Reader(path, section.body, "section 5 (reference beat)")
    avm_nv, interval_us, difference_mode, _reserved = reader.unpack("<HHBB")
    if avm_nv == 0 or interval_us == 0:
        raise ImplausibleContentError(path, f"section 5: amplitude unit {avm_nv} nV, sample interval {interval_us} us")
    n = int(round(locations.reference_length_ms * 1000.0 / interval_us))
    if n <= 0 or n > 1_000_000:
        raise ImplausibleContentError(path, f"section 5: reference beat of {n} samples")
    leads = _decode_leads(path, reader, n_leads, [n] * n_leads, tables, difference_mode, "section 5")
    return np.vstack(leads), float(avm_nv), 1e6 / interval_us


def _rhythm(path: Path, section: _Section | None, definition: _LeadDefinition, tables,
            locations: _QrsLocations | None, full_rate_interval_us: int | None,
            ) -> tuple[list[np.ndarray], float, float, int]:
    """Rhythm samples per lead (ints), amplitude unit (nV), sampling rate (Hz), decimation factor."""
    if section is None:
        raise ImplausibleContentError(path, "SCP-ECG file has no section 6 (rhythm data)")
    reader = _Reader(path, section.body, "section 6 (rhythm data)")
    avm_nv, interval_us, difference_mode, bimodal = reader.unpack("<HHBB")
    if avm_nv == 0:
        raise ImplausibleContentError(path, "section 6: amplitude unit is 0 nV")
    if interval_us == 0:
        raise ImplausibleContentError(path, "section 6: sample interval is 0 us (sampling rate 0)")
    n_samples = [end - start + 1 for start, end in zip(definition.starts, definition.ends)]
    decimation = 1
    if bimodal:
        # Bimodal compression: full rate inside the protected zones (QB..QE of section 4),
        # decimated outside. Section 6 then states the decimated interval, section 5 the full one.
        if not full_rate_interval_us:
            raise CorruptFileError(path, "bimodal compression without the reference beat that gives the full rate")
        if interval_us % full_rate_interval_us:
            raise UnsupportedFormatError(
                path, f"bimodal compression with decimation {interval_us}/{full_rate_interval_us} (not a whole number)")
        decimation = interval_us // full_rate_interval_us
        interval_us = full_rate_interval_us
        if decimation > 1 and (locations is None or not locations.protected_zones):
            raise CorruptFileError(path, "bimodal compression without the protected zones (section 4) it needs")
    if decimation > 1:
        if len(locations.protected_zones) * len(n_samples) > 1_000_000:
            raise ImplausibleContentError(path, "section 4: too many protected zones")
        plans = [_bimodal_plan(path, start, end, locations.protected_zones, decimation)
                 for start, end in zip(definition.starts, definition.ends)]
        stored = [sum(count for *_, count in plan) for plan in plans]
        decoded = _decode_leads(path, reader, len(n_samples), stored, tables, difference_mode, "section 6")
        leads = [_bimodal_expand(samples, plan, decimation) for samples, plan in zip(decoded, plans)]
    else:
        leads = _decode_leads(path, reader, len(n_samples), n_samples, tables, difference_mode, "section 6")
    return leads, float(avm_nv), 1e6 / interval_us, decimation


def _bimodal_plan(path: Path, start: int, end: int, protected: list[tuple[int, int]], decimation: int):
    """Segments of one lead: (first sample, last sample, protected?, stored values), 1-based."""
    plan = []
    cursor = start
    for qb, qe in sorted(protected):
        qb, qe = max(qb, start), min(qe, end)
        if qe < qb:
            continue
        if qb < cursor:
            raise CorruptFileError(path, f"section 4: protected zones overlap at sample {qb}")
        if qb > cursor:
            num = qb - cursor
            plan.append((cursor, qb - 1, False, num // decimation + num % decimation))
        plan.append((qb, qe, True, qe - qb + 1))
        cursor = qe + 1
    if cursor <= end:
        num = end - cursor + 1
        plan.append((cursor, end, False, num // decimation + num % decimation))
    return plan


def _bimodal_expand(stored: np.ndarray, plan, decimation: int) -> np.ndarray:
    """Back to the full rate: protected zones as stored; elsewhere each value stands for
    `decimation` samples (placed at its block centre and joined linearly), the few samples
    left over at the end of a gap are stored as they are; then a 3-point mean smooths the
    interpolated stretches (protected zones untouched)."""
    first = plan[0][0]
    out = np.empty(plan[-1][1] - first + 1, dtype=np.float64)
    position = 0
    for a, b, is_protected, count in plan:
        values = stored[position:position + count].astype(np.float64)
        position += count
        lo, hi = a - first, b - first + 1
        if is_protected:
            out[lo:hi] = values
            continue
        blocks = (hi - lo) // decimation
        if blocks:
            centres = np.arange(blocks) * decimation + (decimation - 1) / 2.0
            stretch = np.interp(np.arange(blocks * decimation), centres, values[:blocks])
            if stretch.size > 2:
                smoothed = stretch.copy()
                smoothed[1:-1] = (stretch[:-2] + stretch[1:-1] + stretch[2:]) / 3.0
                stretch = smoothed
            out[lo:lo + blocks * decimation] = stretch
        out[lo + blocks * decimation:hi] = values[blocks:]
    return np.rint(out).astype(np.int64)


def _add_reference_beat(path: Path, rhythm: list[np.ndarray], reference: np.ndarray,
                        locations: _QrsLocations) -> None:
    """Undo reference-beat subtraction: add the reference beat back at every type-0 QRS."""
    fcm = locations.fiducial_sample
    n_ref = reference.shape[1]
    n_samples = min(samples.size for samples in rhythm)
    work = 0
    for qrs_type, (start, fiducial, end) in zip(locations.types, locations.subtraction_zones):
        if qrs_type != 0 or start == 0 or end < start:
            continue
        # 1-based sample s of the rhythm meets sample fcM - 1 + (s - fc) of the reference beat.
        first = max(start, 1, fiducial - fcm + 1)
        last = min(end, n_samples, fiducial - fcm + n_ref)
        if last < first:
            continue
        work += last - first + 1
        if work > 2 * n_samples:
            raise CorruptFileError(path, "section 4: subtraction zones overlap far beyond the recording")
        ref_first = fcm - 1 + (first - fiducial)
        for lead, samples in enumerate(rhythm):
            samples[first - 1:last] += reference[lead, ref_first:ref_first + (last - first + 1)]


def _text(raw: bytes) -> str | None:
    value = raw.split(b"\x00", 1)[0].decode("latin-1").strip()
    return value or None


def _patient_and_device(path: Path, section: _Section | None) -> tuple[Patient, datetime | None, str | None]:
    if section is None:
        return Patient(), None, None
    tags: dict[int, bytes] = {}
    reader = _Reader(path, section.body, "section 1 (patient data)")
    while reader.remaining() >= 3:
        tag, length = reader.unpack("<BH")
        if tag == 255:
            break
        value = reader.take(length)
        tags.setdefault(tag, value)
    last, first = _text(tags.get(0, b"")), _text(tags.get(1, b""))
    name = ", ".join(p for p in (last, first) if p) or None
    patient_id = _text(tags.get(2, b""))
    sex = {1: "M", 2: "F"}.get(tags[8][0]) if len(tags.get(8, b"")) >= 1 else None
    birth = None
    if len(tags.get(5, b"")) >= 4:
        year, month, day = struct.unpack_from("<HBB", tags[5])
        try:
            birth = date(year, month, day) if year else None
        except ValueError:
            birth = None
    age = None
    if len(tags.get(4, b"")) >= 3:
        value, unit = struct.unpack_from("<HB", tags[4])
        per_year = {1: 1.0, 2: 12.0, 3: 52.1775, 4: 365.25, 5: 8766.0}.get(unit)
        if per_year and 0 < value:
            age = round(value / per_year, 2)
    acquired = None
    if len(tags.get(25, b"")) >= 4:
        year, month, day = struct.unpack_from("<HBB", tags[25])
        hour = minute = second = 0
        if len(tags.get(26, b"")) >= 3:
            hour, minute, second = tags[26][:3]
        try:
            acquired = datetime(year, month, day, hour, minute, second)
        except ValueError:
            acquired = None
    if age is None and birth and acquired:
        age = round((acquired.date() - birth).days / 365.25, 1)
        if not 0 <= age <= 130:
            age = None
    return (Patient(id=patient_id, name=name, sex=sex, birth_date=birth, age_years=age), acquired,
            _device(tags.get(14)))


def _device(raw: bytes | None) -> str | None:
    """Tag 14 (acquiring device): manufacturer, model and software strings."""
    if not raw or len(raw) < 36:
        return None
    manufacturer_code = raw[7]
    model = _text(raw[8:14])
    strings_at = 35
    revision_length = raw[strings_at]
    rest = raw[strings_at + 1 + revision_length:]
    fields = [part.decode("latin-1").strip() for part in rest.split(b"\x00")]
    serial, software, scp_software, manufacturer = (fields + [None] * 4)[:4]
    # Converters write their own name as 'manufacturer': that is not the acquiring device.
    usable = manufacturer and manufacturer.lower() != "unknown" and manufacturer != scp_software
    maker = manufacturer if usable else _MANUFACTURERS.get(manufacturer_code)
    parts = [p for p in (maker, model) if p]
    text = " ".join(parts)
    if software and software.lower() != "unknown":
        text = f"{text} (software {software})" if text else f"software {software}"
    return text or None


def _ms(value: int) -> float | None:
    return float(value) if value < _UNDEFINED else None


def _measurements(path: Path, section: _Section | None) -> DeviceMeasurements:
    if section is None:
        return DeviceMeasurements()
    reader = _Reader(path, section.body, "section 7 (global measurements)")
    n_blocks, n_spikes, rr, pp = reader.unpack("<BBHH")
    if n_blocks == 0:
        return DeviceMeasurements()
    p_on, p_off, qrs_on, qrs_off, t_off, p_axis, qrs_axis, t_axis = reader.unpack("<HHHHHhhh")

    def span(a: int, b: int) -> float | None:
        return float(b - a) if a < _UNDEFINED and b < _UNDEFINED and b >= a else None

    def axis(v: int) -> float | None:
        return float(v) if -360 <= v <= 360 else None

    values = {
        "rr_ms": _ms(rr) if rr else None,
        "p_ms": span(p_on, p_off),
        "pr_ms": span(p_on, qrs_on),
        "qrs_ms": span(qrs_on, qrs_off),
        "qt_ms": span(qrs_on, t_off),
        "p_axis_deg": axis(p_axis),
        "qrs_axis_deg": axis(qrs_axis),
        "t_axis_deg": axis(t_axis),
    }
    # Optional tail: pacemaker spikes, QRS types, then ventricular rate and QTc.
    try:
        reader.take(16 * (n_blocks - 1))
        reader.take(4 * n_spikes + 6 * n_spikes)
        (n_qrs,) = reader.unpack("<H")
        reader.take(n_qrs)
        ventricular_rate, _atrial_rate, qtc = reader.unpack("<HHH")
        if 0 < ventricular_rate < _UNDEFINED:
            values["hr_bpm"] = float(ventricular_rate)
        if 0 < qtc < _UNDEFINED:
            values["qtc_ms"] = float(qtc)
    except CorruptFileError:
        pass  # older writers stop after the measurement blocks
    if values.get("hr_bpm") is None and values["rr_ms"]:
        values["hr_bpm"] = round(60000.0 / values["rr_ms"], 1)
    return DeviceMeasurements(**values)


def _statements(path: Path, section: _Section | None, coded: bool) -> list[str]:
    if section is None or len(section.body) < 9:
        return []
    reader = _Reader(path, section.body, f"section {11 if coded else 8} (statements)")
    reader.take(8)  # confirmed flag, date, time
    (count,) = reader.unpack("<B")
    out = []
    for _ in range(count):
        if reader.remaining() < 3:
            break
        _sequence, length = reader.unpack("<BH")
        raw = reader.take(min(length, reader.remaining()))
        if coded and raw:
            raw = raw[1:]  # statement type byte (1 acronyms, 2 full text, 3 logic)
        for line in raw.replace(b"\r", b"\x00").replace(b"\n", b"\x00").split(b"\x00"):
            text = line.decode("latin-1").strip()
            if text and text.isprintable() and text not in out:
                out.append(text)
    return out


def read(path: Path) -> Ecg:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > _MAX_FILE_BYTES:
            raise ImplausibleContentError(path, f"{size} bytes is too large for an SCP-ECG file")
        data = path.read_bytes()
    except OSError as exc:
        raise EcgReadError(path, f"cannot be read ({exc.strerror or exc})") from None
    if not data:
        raise CorruptFileError(path, "file is empty")
    if not sniff(path, data[:4096]):
        raise UnsupportedFormatError(path, "not an SCP-ECG record (no section 0 at the start)")

    sections = _sections(path, data)
    definition = _lead_definition(path, sections.get(3))
    tables = _huffman_tables(path, sections.get(2))
    locations = _qrs_locations(path, sections.get(4))
    reference = _reference_beat(path, sections.get(5), len(definition.names), locations, tables)
    full_rate_interval_us = int(round(1e6 / reference[2])) if reference is not None else None
    leads, avm_nv, rate_hz, decimation = _rhythm(path, sections.get(6), definition, tables, locations,
                                                 full_rate_interval_us)
    comments = []
    if decimation > 1:
        comments.append(f"SCP-ECG bimodal compression: outside the QRS zones the rhythm was stored at 1/{decimation} "
                        "of the rate and has been interpolated back")
    median = None
    if reference is not None:
        ref_samples, ref_avm_nv, ref_rate_hz = reference
        if definition.reference_beat_subtracted:
            if ref_rate_hz != rate_hz:
                raise UnsupportedFormatError(path, "reference beat and rhythm have different sampling rates")
            # Both streams must be in the same amplitude unit before adding.
            scaled = np.rint(ref_samples * (ref_avm_nv / avm_nv)).astype(np.int64)
            _add_reference_beat(path, leads, scaled, locations)
        median = MedianBeats(
            signals_mv=(ref_samples * (ref_avm_nv * 1e-6)).astype(np.float32),
            sampling_rate_hz=ref_rate_hz,
            lead_names=tuple(definition.names),
        )
    elif definition.reference_beat_subtracted:
        raise CorruptFileError(path, "rhythm data are residuals but the reference beat (sections 4/5) is missing")

    # Leads may start and end at different samples (sequential recording): place each on one time axis.
    first = min(definition.starts)
    total = max(definition.ends) - first + 1
    decoded = sum(samples.size for samples in leads)
    if total > _MAX_SAMPLES_PER_LEAD or total * len(leads) > 4 * decoded + 1_000_000:
        # Forged start samples would otherwise make a mostly empty array of any size.
        raise ImplausibleContentError(path, f"section 3: leads spread over {total} samples")
    signals = np.full((len(leads), total), np.nan, dtype=np.float64)
    for i, (start, samples) in enumerate(zip(definition.starts, leads)):
        signals[i, start - first:start - first + samples.size] = samples * (avm_nv * 1e-6)

    order = standard_order(definition.names)
    names = tuple(definition.names[i] for i in order)
    if median is not None:
        median = MedianBeats(signals_mv=median.signals_mv[order], sampling_rate_hz=median.sampling_rate_hz,
                             lead_names=names)
    patient, acquired_at, device = _patient_and_device(path, sections.get(1))
    statements = _statements(path, sections.get(8), coded=False)
    for text in _statements(path, sections.get(11), coded=True):
        if text not in statements:
            statements.append(text)
    return Ecg(
        signals_mv=signals[order].astype(np.float32),
        sampling_rate_hz=rate_hz,
        lead_names=names,
        source_format=FORMAT,
        source_path=str(path),
        patient=patient,
        acquired_at=acquired_at,
        device=device,
        device_measurements=_measurements(path, sections.get(7)),
        device_statements=tuple(statements),
        median_beats=median,
        comments=tuple(comments),
    )
