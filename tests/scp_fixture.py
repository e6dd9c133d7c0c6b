"""A small SCP-ECG writer for tests: builds records the reader must decode exactly.

Independent of the reader's code: the default Huffman codes are spelled out from
EN 1064 (value k -> k ones, a zero, then 0 for +k / 1 for -k; escapes for 8- and
16-bit values), and CRCs use binascii's CRC-CCITT.
"""

from __future__ import annotations

import binascii
import struct

import numpy as np

# SCP lead codes for the names used in tests.
LEAD_CODES = {"I": 1, "II": 2, "V1": 3, "V2": 4, "V3": 5, "V4": 6, "V5": 7, "V6": 8,
              "III": 61, "aVR": 62, "aVL": 63, "aVF": 64}


def _section(section_id: int, body: bytes, reserved: bytes = b"\x00" * 6) -> bytes:
    length = 16 + len(body)
    header_after_crc = struct.pack("<HIBB", section_id, length, 20, 20) + reserved
    crc = binascii.crc_hqx(header_after_crc + body, 0xFFFF)
    return struct.pack("<H", crc) + header_after_crc + body


def huffman_default_bits(values) -> str:
    out = []
    for v in (int(x) for x in values):
        if v == 0:
            out.append("0")
        elif -8 <= v <= 8:
            out.append("1" * abs(v) + "0" + ("0" if v > 0 else "1"))
        elif -128 <= v <= 127:
            out.append("1111111110" + format(v & 0xFF, "08b"))
        else:
            assert -32768 <= v <= 32767
            out.append("1111111111" + format(v & 0xFFFF, "016b"))
    return "".join(out)


# A custom table for tests: (code bits MSB first, extra value bits, base value).
CUSTOM_TABLE = (("0", 0, 0), ("10", 0, 1), ("110", 0, -1), ("1110", 8, 0), ("1111", 16, 0))


def huffman_custom_bits(values, table=CUSTOM_TABLE) -> str:
    out = []
    for v in (int(x) for x in values):
        for code, extra, base in table:
            if extra == 0 and base == v:
                out.append(code)
                break
            if extra and -(1 << (extra - 1)) <= v < (1 << (extra - 1)):
                out.append(code + format(v & ((1 << extra) - 1), f"0{extra}b"))
                break
        else:
            raise ValueError(v)
    return "".join(out)


def custom_table_section(table=CUSTOM_TABLE) -> bytes:
    """Section 2 body with one explicit table; base codes stored bit-reversed as EN 1064 does."""
    body = struct.pack("<HH", 1, len(table))
    for code, extra, base in table:
        reversed_code = int(code[::-1], 2)
        body += struct.pack("<BBBhI", len(code), len(code) + extra, 1, base, reversed_code)
    return body


class SwitchingEncoder:
    """Two Huffman tables and switches between them (code structures with mode 0).

    Table 1: 0 -> 0, 10 -> +1, 110 -> -1, 1110 -> switch to table 2, 1111 + 16 bits.
    Table 2: 0 -> +5, 10 -> switch to table 1, 11 + 16 bits.
    The encoder goes to table 2 for each run of +5 and back afterwards.
    """

    T1 = (("0", 0, 1, 0), ("10", 0, 1, 1), ("110", 0, 1, -1), ("1110", 0, 0, 2), ("1111", 16, 1, 0))
    T2 = (("0", 0, 1, 5), ("10", 0, 0, 1), ("11", 16, 1, 0))

    @property
    def section2(self) -> bytes:
        body = struct.pack("<H", 2)
        for table in (self.T1, self.T2):
            body += struct.pack("<H", len(table))
            for code, extra, mode, base in table:
                body += struct.pack("<BBBhI", len(code), len(code) + extra, mode, base, int(code[::-1], 2))
        return body

    def __call__(self, values) -> str:
        out, in_t2 = [], False
        for v in (int(x) for x in values):
            if v == 5 and not in_t2:
                out.append("1110")
                in_t2 = True
            elif v != 5 and in_t2:
                out.append("10")
                in_t2 = False
            if in_t2:
                out.append("0")
            elif v in (0, 1, -1):
                out.append({0: "0", 1: "10", -1: "110"}[v])
            else:
                out.append("1111" + format(v & 0xFFFF, "016b"))
        return "".join(out)


def _bits_to_bytes(bits: str) -> bytes:
    bits += "0" * (-len(bits) % 8)
    return bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))


def _differences(x: np.ndarray, mode: int) -> np.ndarray:
    x = np.asarray(x, dtype=np.int64)
    if mode == 0:
        return x
    if mode == 1:
        return np.concatenate([x[:1], np.diff(x)])
    d = x.copy()
    d[2:] = x[2:] - 2 * x[1:-1] + x[:-2]
    return d


def _encode_leads(leads: np.ndarray, huffman, mode: int) -> bytes:
    chunks = []
    for lead in leads:
        d = _differences(lead, mode)
        if callable(huffman):
            chunks.append(_bits_to_bytes(huffman(d)))
        elif huffman == "custom":
            chunks.append(_bits_to_bytes(huffman_custom_bits(d)))
        elif huffman:
            chunks.append(_bits_to_bytes(huffman_default_bits(d)))
        else:
            chunks.append(d.astype("<i2").tobytes())
    return b"".join(struct.pack("<H", len(c)) for c in chunks) + b"".join(chunks)


def _tag(tag: int, value: bytes) -> bytes:
    return struct.pack("<BH", tag, len(value)) + value


def build_scp(rhythm: np.ndarray, lead_names, interval_us: int = 2000, avm_nv: int = 5000,
              huffman: bool | str = True, difference_mode: int = 2, reference: np.ndarray | None = None,
              fiducial: int = 0, zones=(), measurements: bytes | None = None,
              statements=(), patient_id: str = "T-1", decimation: int = 1, protected=()) -> bytes:
    """An SCP-ECG record of int samples `rhythm` [leads, n] (units of avm_nv nanovolts).

    With `reference` [leads, m] and `zones` [(type, SB, fc, SE)], the rhythm is stored as the
    residual after reference-beat subtraction, as EN 1064 devices do.
    """
    rhythm = np.asarray(rhythm, dtype=np.int64)
    n_leads, n = rhythm.shape
    stored = rhythm.copy()
    if reference is not None:
        for qrs_type, start, fc, end in zones:
            if qrs_type != 0:
                continue
            for s in range(start, end + 1):
                r = fiducial - 1 + (s - fc)
                if 0 <= r < reference.shape[1]:
                    stored[:, s - 1] -= reference[:, r]
    if decimation > 1:
        # Bimodal compression: full rate inside the protected zones (QB, QE), block means of
        # `decimation` samples elsewhere, the samples left over at the end of a gap kept as they are.
        stored = np.array([_bimodal_stream(lead, protected, decimation) for lead in stored])
    sections: list[tuple[int, bytes]] = []
    s1 = (_tag(0, b"Test\x00") + _tag(2, patient_id.encode() + b"\x00") + _tag(8, b"\x02")
          + _tag(5, struct.pack("<HBB", 1960, 2, 29)) + _tag(25, struct.pack("<HBB", 2020, 1, 31))
          + _tag(26, bytes([8, 30, 5])) + _tag(255, b""))
    sections.append((1, s1))
    if callable(huffman):
        sections.append((2, huffman.section2))
    elif huffman == "custom":
        sections.append((2, custom_table_section()))
    elif huffman:
        sections.append((2, struct.pack("<H", 19999)))
    flags = (0x01 if reference is not None else 0) | 0x04 | (n_leads << 3)
    s3 = struct.pack("<BB", n_leads, flags & 0xFF) + b"".join(
        struct.pack("<IIB", 1, n, LEAD_CODES[name]) for name in lead_names)
    sections.append((3, s3))
    if reference is not None:
        m = reference.shape[1]
        length_ms = int(round(m * interval_us / 1000))
        s4 = struct.pack("<HHH", length_ms, fiducial, len(zones))
        s4 += b"".join(struct.pack("<HIII", t, sb, fc, se) for t, sb, fc, se in zones)
        s4 += b"".join(struct.pack("<II", qb, qe) for qb, qe in (protected or [(sb, se) for _, sb, _, se in zones]))
        sections.append((4, s4))
        s5 = struct.pack("<HHBB", avm_nv, interval_us, difference_mode, 0) + _encode_leads(
            reference, huffman, difference_mode)
        sections.append((5, s5))
    s6 = struct.pack("<HHBB", avm_nv, interval_us * decimation, difference_mode, int(decimation > 1)) + _encode_leads(
        stored, huffman, difference_mode)
    sections.append((6, s6))
    if measurements is not None:
        sections.append((7, measurements))
    if statements:
        body = bytes([1]) + struct.pack("<HBB", 2020, 1, 31) + bytes([8, 30, 5]) + bytes([len(statements)])
        for i, text in enumerate(statements, 1):
            raw = text.encode("latin-1") + b"\x00"
            body += struct.pack("<BH", i, len(raw)) + raw
        sections.append((8, body))

    # Section 0 needs the final offsets: section 0 itself has 16 + 10 * (1 + len(sections)) bytes.
    s0_len = 16 + 10 * (1 + len(sections))
    offset = 6 + s0_len
    pointers = struct.pack("<HII", 0, s0_len, 7)
    encoded = []
    for section_id, body in sections:
        raw = _section(section_id, body)
        pointers += struct.pack("<HII", section_id, len(raw), offset + 1)
        encoded.append(raw)
        offset += len(raw)
    record = _section(0, pointers, reserved=b"SCPECG") + b"".join(encoded)
    length = struct.pack("<I", 6 + len(record))
    crc = binascii.crc_hqx(length + record, 0xFFFF)
    return struct.pack("<H", crc) + length + record


def _bimodal_stream(lead: np.ndarray, protected, decimation: int) -> np.ndarray:
    out, cursor, n = [], 1, lead.size
    for qb, qe in list(protected) + [(n + 1, n)]:
        gap = lead[cursor - 1:qb - 1]
        blocks = gap.size // decimation
        out.extend(np.rint(gap[:blocks * decimation].reshape(blocks, decimation).mean(axis=1)).astype(np.int64))
        out.extend(gap[blocks * decimation:])
        out.extend(lead[qb - 1:qe])
        cursor = qe + 1
    return np.array(out, dtype=np.int64)


def measurements_section(p_on, p_off, qrs_on, qrs_off, t_off, p_axis, qrs_axis, t_axis,
                         rr_ms=29999, ventricular_rate=None, qtc=None) -> bytes:
    body = struct.pack("<BBHH", 1, 0, rr_ms, 29999)
    body += struct.pack("<HHHHHhhh", p_on, p_off, qrs_on, qrs_off, t_off, p_axis, qrs_axis, t_axis)
    if ventricular_rate is not None:
        body += struct.pack("<H", 0) + struct.pack("<HHHBH", ventricular_rate, 29999, qtc or 29999, 0, 0)
    return body


def patch_section(record: bytes, section_id: int, offset: int, new_bytes: bytes) -> bytes:
    """Overwrite bytes inside one section's body and fix both CRCs (a forged but 'valid' file)."""
    data = bytearray(record)
    s0_len = struct.unpack_from("<I", data, 10)[0]
    pos = 6 + 16
    while pos < 6 + s0_len:
        sid, length, index = struct.unpack_from("<HII", data, pos)
        pos += 10
        if sid == section_id and length:
            start = index - 1
            body_at = start + 16 + offset
            data[body_at:body_at + len(new_bytes)] = new_bytes
            struct.pack_into("<H", data, start, binascii.crc_hqx(bytes(data[start + 2:start + length]), 0xFFFF))
            struct.pack_into("<H", data, 0, binascii.crc_hqx(bytes(data[2:]), 0xFFFF))
            return bytes(data)
    raise KeyError(section_id)
