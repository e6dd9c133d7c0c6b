"""WFDB records (PhysioNet) through the `wfdb` package.

Accepted paths: the `.hea` header (single- or multi-segment), or a `.dat`/`.mat`
data file whose `.hea` sits beside it. Every storage format wfdb reads is
supported (8, 16, 61, 80, 160, 212, 310, 311, 24, 32, FLAC 508/516/524, `.mat`
with a byte offset, skew, several samples per frame, multi-segment records).

Decisions (documented in the README, "File formats"):
- Only voltage channels are kept (units V, mV, uV, nV, or no units, which WFDB
  defines as mV). Channels in other units (mmHg, NU, Ohm, bpm, ...) and channels
  whose names say they are not ECG (RESP, PLETH, ABP, ...) are dropped, and a
  line in `Ecg.comments` says which were dropped and why. A record with no ECG
  channel at all is an `ImplausibleContentError`.
- Samples per frame: when every kept channel has the same k samples per frame,
  the true rate fs*k is kept (no information lost). When they differ, wfdb's
  frame averaging brings all to the frame rate, and a comment says so.
- The header is parsed and checked BEFORE any sample is read, so that absurd
  values (rate 0, 10^9 signals, a length of 10^12 samples, data files that are
  missing or shorter than the header claims) give a typed error at once instead
  of a hang or a giant allocation.
"""

from __future__ import annotations

import csv
import math
import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import numpy as np

from ecgchat_desktop.ecg import (
    DEVICE_MEASUREMENT_KEYS,
    DeviceMeasurements,
    Ecg,
    Patient,
    normalise_sex,
)
from ecgchat_desktop.io.errors import (
    CorruptFileError,
    EcgReadError,
    ImplausibleContentError,
    MissingDataFileError,
    UnsupportedFormatError,
)
from ecgchat_desktop.io.lead_labels import lead_label
from ecgchat_desktop.settings import RESOURCES_DIR

FORMAT = "wfdb"

# Limits that make a header "absurd" for an ECG workstation. A 30-minute MIT-BIH
# record is 1.3 M values; 40 M values is 12 leads at 1 kHz for 55 minutes.
MAX_SIGNALS = 1024
MAX_SEGMENTS = 100_000
MAX_SAMPLE_VALUES = 40_000_000
MAX_HEADER_BYTES = 4 * 1024 * 1024
MAX_SAMPLING_RATE_HZ = 100_000.0

DATA_SUFFIXES = (".dat", ".mat")

# Volts per unit, to millivolts. Keys are lower-cased units with spaces removed.
_MV_PER_UNIT = {
    "mv": 1.0, "millivolt": 1.0, "millivolts": 1.0,
    "v": 1000.0, "volt": 1000.0, "volts": 1000.0,
    "uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "microvolt": 1e-3, "microvolts": 1e-3,
    "nv": 1e-6, "nanovolt": 1e-6,
}

# Signal names that are never ECG whatever units the header gives them (PhysioNet
# multi-parameter records often leave PLETH/RESP without units, i.e. "mV").
_NON_ECG_NAME = re.compile(
    r"^(resp|pleth|abp|art|pap|cvp|icp|lap|rap|uap|uc|spo2|sao2|co2|etco2|o2|temp|"
    r"nbp.*|abp.*|edf annotations|ppg|bp|pressure|flow|airflow|thorax|abdomen|sound|pcg|eeg.*|emg.*|eog.*)$",
    re.IGNORECASE,
)

_RECORD_LINE = re.compile(
    r"^\s*(?P<name>[^\s/]+)(?:/(?P<nseg>\d+))?"
    r"(?:\s+(?P<nsig>\d+))?"
    r"(?:\s+(?P<fs>[-+0-9.eE]+)(?:/(?P<cfs>[-+0-9.eE]+))?(?:\([-+0-9.eE]+\))?)?"
    r"(?:\s+(?P<nsamp>-?\d+))?"
)
_SIGNAL_LINE = re.compile(r"^\s*\S+\s+\d+(?:x\d+)?(?::\d+)?(?:\+\d+)?(?:\s|$)")
_SEGMENT_LINE = re.compile(r"^\s*\S+\s+\d+\s*$")


# --- sniffing -------------------------------------------------------------------
def _header_lines(text: str) -> list[str]:
    """Non-comment, non-blank lines of a header (comments start with #)."""
    lines = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def _looks_like_header(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    text = head.decode("latin-1")
    lines = _header_lines(text)
    if not lines:
        return False
    m = _RECORD_LINE.match(lines[0])
    if not m or m.group("nsig") is None:
        return False
    if len(lines[0].split()) > 1 + 1 + 1 + 1 + 2:  # name nsig fs nsamp [time [date]]
        return False
    nsig = int(m.group("nsig"))
    if len(lines) == 1:
        return nsig == 0
    second = lines[1]
    if m.group("nseg") is not None:
        return bool(_SEGMENT_LINE.match(second))
    return bool(_SIGNAL_LINE.match(second))


def _header_for(path: Path) -> Path | None:
    """The .hea beside a data file: record.dat / record.mat, or any file the header names
    as a signal file (binformats.d0, s0010_re.xyz)."""
    if path.suffix.lower() == ".hea":
        return None
    hea = path.with_suffix(".hea")
    try:
        if not hea.is_file():
            return None
        if path.suffix.lower() in DATA_SUFFIXES:
            return hea
        if hea.stat().st_size > MAX_HEADER_BYTES:
            return None
        text = hea.read_bytes().decode("latin-1")
    except OSError:
        return None
    for line in _header_lines(text)[1:]:
        if line.split()[0] == path.name:
            return hea
    return None


def sniff(path: Path, head: bytes) -> bool:
    if _looks_like_header(head):
        return True
    hea = _header_for(Path(path))
    if hea is not None:
        with open(hea, "rb") as fh:
            return _looks_like_header(fh.read(4096))
    return False


# --- header checks --------------------------------------------------------------
def _read_header_text(hea: Path) -> str:
    try:
        size = hea.stat().st_size
        if size > MAX_HEADER_BYTES:
            raise CorruptFileError(hea, f"header is {size} bytes; a WFDB header is a few kilobytes")
        return hea.read_bytes().decode("latin-1")
    except OSError as exc:
        raise EcgReadError(hea, f"cannot be opened ({exc.strerror or exc})") from None


def _precheck_record_line(hea: Path, text: str) -> None:
    """Reject absurd record-line values before wfdb sees them."""
    lines = _header_lines(text)
    if not lines:
        raise CorruptFileError(hea, "WFDB header has no record line")
    m = _RECORD_LINE.match(lines[0])
    if not m or m.group("nsig") is None:
        raise CorruptFileError(hea, f"WFDB record line is malformed: {lines[0][:80]!r}")
    nsig = int(m.group("nsig"))
    if nsig > MAX_SIGNALS:
        raise ImplausibleContentError(hea, f"header declares {nsig} signals (at most {MAX_SIGNALS} accepted)")
    if m.group("nseg") is not None:
        nseg = int(m.group("nseg"))
        if nseg == 0 or nseg > MAX_SEGMENTS:
            raise ImplausibleContentError(hea, f"header declares {nseg} segments")
        if len(lines) - 1 != nseg:
            raise CorruptFileError(hea, f"header declares {nseg} segments but lists {len(lines) - 1}")
    else:
        if nsig == 0:
            raise ImplausibleContentError(hea, "header declares no signals")
        if len(lines) - 1 != nsig:
            raise CorruptFileError(hea, f"header declares {nsig} signals but describes {len(lines) - 1}")
    if m.group("fs") is not None:
        try:
            fs = float(m.group("fs"))
        except ValueError:
            raise CorruptFileError(hea, f"sampling frequency {m.group('fs')!r} is not a number") from None
        if not math.isfinite(fs) or fs <= 0 or fs > MAX_SAMPLING_RATE_HZ:
            raise ImplausibleContentError(hea, f"implausible sampling frequency {m.group('fs')} Hz")
    if m.group("nsamp") is not None and int(m.group("nsamp")) < 0:
        raise ImplausibleContentError(hea, f"negative number of samples {m.group('nsamp')}")


def _unit_factor_mv(units) -> float | None:
    """Millivolts per physical unit, or None when the unit is not a voltage."""
    if units is None:
        return 1.0  # WFDB: absent units mean millivolts
    key = str(units).strip().lower().replace(" ", "")
    if key == "":
        return 1.0
    return _MV_PER_UNIT.get(key)


def _is_flac(fmt) -> bool:
    return str(fmt).startswith("5")


def _check_data_files(hea: Path, rec, n_samples: int) -> None:
    """Every data file exists and holds as many bytes as the header needs."""
    import wfdb.io._signal as wsig

    folder = hea.parent
    per_file: dict[str, list[int]] = {}
    for i, fname in enumerate(rec.file_name):
        per_file.setdefault(fname, []).append(i)
    for fname, idx in per_file.items():
        if fname in (None, "~"):
            continue
        data = folder / fname
        if not data.is_file():
            raise MissingDataFileError(hea, f"data file {fname} named in the header is missing")
        fmt = str(rec.fmt[idx[0]])
        if _is_flac(fmt):
            continue  # compressed: the size cannot be predicted; wfdb checks the stream
        if fmt not in wsig.BYTES_PER_SAMPLE and fmt not in ("212", "310", "311"):
            raise CorruptFileError(hea, f"unknown WFDB storage format {fmt!r}")
        spf = sum(int(rec.samps_per_frame[i] or 1) for i in idx)
        offset = int((rec.byte_offset[idx[0]] if rec.byte_offset else 0) or 0)
        needed = offset + wsig._required_byte_num("read", fmt, n_samples * spf)
        have = data.stat().st_size
        if have < needed:
            raise CorruptFileError(
                hea, f"data file {fname} is truncated: {have} bytes, the header needs {needed}")


def _check_signal_fields(hea: Path, rec) -> None:
    n = rec.n_sig or 0
    for field in ("file_name", "fmt", "adc_gain", "baseline", "units", "sig_name"):
        values = getattr(rec, field, None)
        if values is None or len(values) != n:
            raise CorruptFileError(hea, f"header signal lines are incomplete ({field})")
    for i, gain in enumerate(rec.adc_gain):
        if gain is None or not math.isfinite(float(gain)):
            raise CorruptFileError(hea, f"signal {i + 1}: gain {gain!r} is not a number")
    for i, unit in enumerate(rec.units):
        if unit is not None and any(ch in str(unit) for ch in "/()"):
            # wfdb falls back to this when the gain field does not parse ("nan/mV")
            raise CorruptFileError(hea, f"signal {i + 1}: malformed gain/units field {unit!r}")
    spf = rec.samps_per_frame or [1] * n
    if any(int(s or 1) <= 0 or int(s or 1) > 100_000 for s in spf):
        raise ImplausibleContentError(hea, f"implausible samples per frame {spf}")


# --- comments --------------------------------------------------------------------
@lru_cache(maxsize=1)
def snomed_names() -> dict[str, str]:
    """SNOMED CT code -> 'name (ABBREV)' for the codes of the PhysioNet/CinC Challenge."""
    table = {}
    path = RESOURCES_DIR / "snomed_ct_ecg_codes.csv"
    if path.is_file():
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                table[row["snomed_ct_code"].strip()] = row["name"].strip()
    return table


def describe_snomed(code: str) -> str:
    name = snomed_names().get(code)
    return f"{name} (SNOMED CT {code})" if name else f"SNOMED CT {code}"


_AGE_NUMBER = re.compile(r"^\s*(\d{1,3}(?:\.\d+)?)\s*(?:y|years?)?\s*$", re.IGNORECASE)
_MITBIH_AGE_SEX = re.compile(r"^\s*(\d{1,3}|-1|\?+)\s+([MF?])(?:\s|$)")
_ANGLE_FIELD = re.compile(r"<([^<>]+)>\s*:\s*([^<]*)")
_KEY_VALUE = re.compile(r"^\s*([A-Za-z][A-Za-z ()_/-]{0,60}?)\s*:\s*(.*)$")
_NONE_VALUES = {"", "n/a", "na", "nan", "none", "(none)", "unknown", "?", "??", "no"}
# PTB Diagnostic ECG Database keys that carry diagnoses.
_PTB_DIAGNOSIS_KEYS = {"reason for admission", "additional diagnoses", "acute infarction (localization)",
                       "former infarction (localization)"}


def _parse_age(text: str) -> float | None:
    m = _AGE_NUMBER.match(text or "")
    if not m:
        return None
    age = float(m.group(1))
    return age if 0 <= age <= 130 else None


def parse_comments(comments: list[str]) -> tuple[float | None, str | None, list[str]]:
    """Age, sex and diagnoses from header comments (Challenge, LUDB, PTB, MIT-BIH styles)."""
    age: float | None = None
    sex: str | None = None
    diagnoses: list[str] = []
    in_ludb_diagnoses = False
    for index, raw in enumerate(comments):
        line = raw.strip().lstrip("#").strip()
        if not line:
            continue
        angle = _ANGLE_FIELD.findall(line)
        if angle and line.startswith("<"):
            in_ludb_diagnoses = False
            for key, value in angle:
                key = key.strip().lower()
                value = value.strip()
                if key == "age" and age is None:
                    age = _parse_age(value)
                elif key == "sex" and sex is None:
                    sex = normalise_sex(value)
                elif key == "diagnoses":
                    if value.lower() in _NONE_VALUES:
                        in_ludb_diagnoses = len(angle) == 1  # LUDB: the list follows on later lines
                    else:
                        diagnoses.append(value.rstrip(". "))
            continue
        if in_ludb_diagnoses:
            diagnoses.append(line.rstrip(". "))
            continue
        kv = _KEY_VALUE.match(line)
        if kv:
            key, value = kv.group(1).strip().lower(), kv.group(2).strip()
            if key == "age" and age is None:
                age = _parse_age(value)
            elif key == "sex" and sex is None:
                sex = normalise_sex(value)
            elif key == "dx":
                for code in re.split(r"[,;\s]+", value):
                    if code.strip().isdigit():
                        diagnoses.append(describe_snomed(code.strip()))
            elif key == "diagnosis" and value:  # written by our wfdb_writer
                diagnoses.append(value)
            elif key in _PTB_DIAGNOSIS_KEYS and value.lower() not in _NONE_VALUES:
                diagnoses.append(value if key == "reason for admission" else f"{kv.group(1).strip()}: {value}")
            continue
        if index <= 1 and age is None and sex is None:
            m = _MITBIH_AGE_SEX.match(line)  # MIT-BIH / QTDB: "69 M 1085 1629 x1"
            if m:
                age = _parse_age(m.group(1))
                sex = normalise_sex(m.group(2))
    return age, sex, diagnoses


def parse_written_fields(comments: list[str]) -> dict:
    """Patient/device lines that our wfdb_writer puts into a header (see its docstring)."""
    out: dict = {"measurements": {}, "statements": []}
    for raw in comments:
        kv = _KEY_VALUE.match(raw.strip().lstrip("#").strip())
        if not kv:
            continue
        key, value = kv.group(1).strip().lower(), kv.group(2).strip()
        if not value:
            continue
        if key == "patient id":
            out.setdefault("id", value)
        elif key == "patient name":
            out.setdefault("name", value)
        elif key == "birth date":
            try:
                out.setdefault("birth_date", datetime.strptime(value, "%Y-%m-%d").date())
            except ValueError:
                pass
        elif key == "device":
            out.setdefault("device", value)
        elif key == "device statement":
            out["statements"].append(value)
        elif key.startswith("device measurement "):
            field = key[len("device measurement "):].strip()
            try:
                number = float(value)
            except ValueError:
                continue
            if field in DEVICE_MEASUREMENT_KEYS and math.isfinite(number):
                out["measurements"][field] = number
    return out


# --- reading -----------------------------------------------------------------------
def _resolve_header(path: Path) -> Path:
    path = Path(path)
    if path.suffix.lower() == ".hea":
        return path
    hea = _header_for(path)
    if hea is not None:
        return hea
    raise UnsupportedFormatError(
        path, "a WFDB header must be named RECORD.hea (or give a data file with its RECORD.hea beside it)")


def _reference_header(hea: Path, rec):
    """Signal descriptions of a multi-segment record (layout or first segment)."""
    if rec.layout == "variable":
        return rec.segments[0]
    for seg in rec.segments:
        if seg is not None:
            return seg
    raise ImplausibleContentError(hea, "multi-segment record has no segment with signals")


def _read_header(hea: Path):
    import wfdb

    text = _read_header_text(hea)
    _precheck_record_line(hea, text)
    record_name = str(hea.with_suffix(""))
    try:
        return wfdb.rdheader(record_name)
    except EcgReadError:
        raise
    except FileNotFoundError as exc:
        raise MissingDataFileError(hea, f"file {Path(exc.filename or '?').name} named in the header is missing") \
            from None
    except Exception as exc:
        raise CorruptFileError(hea, f"WFDB header cannot be parsed ({type(exc).__name__}: {exc})") from None


def _segments(hea: Path, rec) -> list:
    """Read and check every segment header of a multi-segment record."""
    import wfdb

    segments = []
    for name in rec.seg_name:
        if name == "~":
            segments.append(None)
            continue
        seg_hea = hea.parent / f"{name}.hea"
        if not seg_hea.is_file():
            raise MissingDataFileError(hea, f"segment header {seg_hea.name} named in the header is missing")
        text = _read_header_text(seg_hea)
        _precheck_record_line(seg_hea, text)
        try:
            seg = wfdb.rdheader(str(seg_hea.with_suffix("")))
        except Exception as exc:
            raise CorruptFileError(hea, f"segment header {seg_hea.name} cannot be parsed ({exc})") from None
        segments.append(seg)
    return segments


def read(path: Path) -> Ecg:
    import wfdb

    path = Path(path)
    hea = _resolve_header(path)
    if not hea.is_file():
        raise MissingDataFileError(path, f"header {hea.name} is missing")
    rec = _read_header(hea)
    notes: list[str] = []
    multi = getattr(rec, "seg_name", None) is not None

    if multi:
        if rec.sig_len is None:
            raise CorruptFileError(hea, "multi-segment header gives no total length")
        segs = _segments(hea, rec)
        rec.segments = segs
        ref = _reference_header(hea, rec)
        if ref.file_name:
            _check_signal_fields(hea, ref)
        for seg, seg_len in zip(segs, rec.seg_len):
            if seg is None or seg_len == 0:
                continue
            _check_signal_fields(hea, seg)
            _check_data_files(hea.parent / f"{seg.record_name}.hea", seg, int(seg_len))
        names, units, spf = list(ref.sig_name), list(ref.units), list(ref.samps_per_frame or [1] * ref.n_sig)
    else:
        _check_signal_fields(hea, rec)
        names, units, spf = list(rec.sig_name), list(rec.units), list(rec.samps_per_frame or [1] * rec.n_sig)

    fs = rec.fs
    if fs is None or not math.isfinite(float(fs)) or float(fs) <= 0:
        raise ImplausibleContentError(hea, f"implausible sampling frequency {fs!r} Hz")

    # Which channels are ECG (voltage) channels.
    keep: list[int] = []
    factors: list[float] = []
    dropped: list[str] = []
    for i, (name, unit) in enumerate(zip(names, units)):
        factor = _unit_factor_mv(unit)
        label = str(name) if name is not None else f"signal {i + 1}"
        if factor is None:
            dropped.append(f"{label} ({unit})")
        elif _NON_ECG_NAME.match(label.strip()):
            dropped.append(f"{label} (not an ECG signal)")
        else:
            keep.append(i)
            factors.append(factor)
    if not keep:
        raise ImplausibleContentError(
            hea, "record has no ECG (voltage) signal; channels: " + ", ".join(
                f"{n} ({u})" for n, u in zip(names, units)))
    if dropped:
        notes.append("non-ECG channels not loaded: " + ", ".join(dropped))

    kept_spf = {int(spf[i] or 1) for i in keep}
    uniform_spf = kept_spf.pop() if len(kept_spf) == 1 else None
    # wfdb expands frames of a multi-segment record only when the layout is fixed.
    smooth = uniform_spf in (None, 1) or (multi and rec.layout == "variable")

    # Size check (the expanded sample count if frames are expanded).
    sig_len = rec.sig_len
    if sig_len is None and not multi:
        sig_len = _infer_sig_len(hea, rec)
    if sig_len is None or sig_len <= 0:
        raise ImplausibleContentError(hea, f"header declares {sig_len} samples")
    per_channel = int(sig_len) * (uniform_spf if (uniform_spf and not smooth) else 1)
    if per_channel * len(keep) > MAX_SAMPLE_VALUES:
        raise ImplausibleContentError(
            hea, f"record is too long for an ECG workstation ({sig_len} samples x {len(keep)} signals; "
                 f"limit {MAX_SAMPLE_VALUES} values): crop it first")
    if not multi:
        # wfdb decodes whole frames (every channel of a data file), not only the kept ones
        frame = sum(int(x or 1) for x in (rec.samps_per_frame or [1] * rec.n_sig))
        if int(sig_len) * frame > 4 * MAX_SAMPLE_VALUES:
            raise ImplausibleContentError(
                hea, f"record holds {sig_len} frames of {frame} samples, too many for an ECG")
        _check_data_files(hea, rec, int(sig_len))

    try:
        record = None
        if not multi and rec.sig_len is not None:
            record = _read_samples_with_header(hea, rec, keep, smooth)
        if record is None:
            record = wfdb.rdrecord(
                str(hea.with_suffix("")), channels=keep, physical=True, m2s=True,
                smooth_frames=smooth, return_res=64)
    except EcgReadError:
        raise
    except FileNotFoundError as exc:
        raise MissingDataFileError(hea, f"file {Path(exc.filename or '?').name} named in the header is missing") \
            from None
    except MemoryError:
        raise ImplausibleContentError(hea, "declared size is too large to be an ECG") from None
    except Exception as exc:
        raise CorruptFileError(hea, f"WFDB samples cannot be decoded ({type(exc).__name__}: {exc})") from None

    if smooth:
        if record.p_signal is None:
            raise CorruptFileError(hea, "WFDB record holds no samples")
        signals = np.asarray(record.p_signal, dtype=np.float64).T
        rate = float(record.fs)
        if uniform_spf is None:
            notes.append("channels with several samples per frame were averaged to the frame rate "
                         f"{rate:g} Hz")
    else:
        lengths = {len(s) for s in record.e_p_signal}
        if len(lengths) != 1:
            raise CorruptFileError(hea, "expanded channels differ in length")
        signals = np.vstack([np.asarray(s, dtype=np.float64) for s in record.e_p_signal])
        rate = float(record.fs) * uniform_spf

    signals = signals * np.asarray(factors, dtype=np.float64)[:, None]
    lead_names = tuple(
        lead_label(names[i]) if names[i] is not None else f"signal {i + 1}" for i in keep)

    comments = [str(c) for c in (record.comments or rec.comments or [])]
    age, sex, diagnoses = parse_comments(comments)
    written = parse_written_fields(comments)
    return Ecg(
        signals_mv=signals.astype(np.float32),
        sampling_rate_hz=rate,
        lead_names=lead_names,
        source_format=FORMAT,
        source_path=str(path),
        patient=Patient(id=written.get("id"), name=written.get("name"), sex=sex,
                        birth_date=written.get("birth_date"), age_years=age),
        acquired_at=_acquired_at(rec),
        device=written.get("device"),
        device_measurements=DeviceMeasurements(**written["measurements"]),
        device_statements=tuple(written["statements"]),
        file_diagnoses=tuple(diagnoses),
        comments=tuple(comments) + tuple(notes),
    )


def _read_samples_with_header(hea: Path, rec, channels: list[int], smooth: bool):
    """wfdb.rdrecord's single-segment path, reusing the header already parsed and checked.

    rdrecord would parse the header a second time, which costs as much as reading a
    10 s 12-lead record. This follows rdrecord (wfdb 4.x) step by step; if wfdb's
    internals differ, None is returned and the caller uses rdrecord itself.
    """
    import wfdb.io._signal as wsig

    needed = ("_rd_segment",)
    if not all(hasattr(wsig, n) for n in needed) or not hasattr(rec, "_arrange_fields") or not hasattr(rec, "dac"):
        return None
    sampto = rec.sig_len
    rec.check_read_inputs(0, sampto, channels, True, smooth, 64)
    rec.e_d_signal = wsig._rd_segment(
        file_name=rec.file_name, dir_name=str(hea.parent.resolve()), pn_dir=None, fmt=rec.fmt,
        n_sig=rec.n_sig, sig_len=rec.sig_len, byte_offset=rec.byte_offset,
        samps_per_frame=rec.samps_per_frame, skew=rec.skew, init_value=rec.init_value,
        sampfrom=0, sampto=sampto, channels=channels, ignore_skew=False, no_file=False,
        sig_data=None, return_res=64)
    rec._arrange_fields(channels=channels, sampfrom=0, smooth_frames=smooth)
    rec.dac(expanded=not smooth, return_res=64, inplace=True)
    return rec


def _infer_sig_len(hea: Path, rec) -> int | None:
    """Length of a header without a sample count, from the size of its first data file."""
    fname = rec.file_name[0]
    data = hea.parent / fname
    if not data.is_file():
        raise MissingDataFileError(hea, f"data file {fname} named in the header is missing")
    fmt = str(rec.fmt[0])
    if _is_flac(fmt):
        raise CorruptFileError(hea, "a FLAC-compressed record must state its length in the header")
    import wfdb.io._signal as wsig

    spf = sum(int(rec.samps_per_frame[i] or 1) for i, f in enumerate(rec.file_name) if f == fname)
    offset = int((rec.byte_offset[0] if rec.byte_offset else 0) or 0)
    size = max(data.stat().st_size - offset, 0)
    if fmt == "212":
        return int(size * 2 // 3) // spf
    if fmt in ("310", "311"):
        return int(size * 3 // 4) // spf
    bytes_per = wsig.BYTES_PER_SAMPLE.get(fmt)
    if not bytes_per:
        raise CorruptFileError(hea, f"unknown WFDB storage format {fmt!r}")
    return int(size // (bytes_per * spf))


def _acquired_at(rec) -> datetime | None:
    date = getattr(rec, "base_date", None)
    time = getattr(rec, "base_time", None)
    if date is None:
        return None
    try:
        if time is None:
            return datetime(date.year, date.month, date.day)
        return datetime.combine(date, time)
    except (TypeError, ValueError):
        return None
