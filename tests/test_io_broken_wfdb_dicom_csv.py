"""Broken inputs for the WFDB, DICOM and CSV readers: always a typed error naming the file, never a hang."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ecgchat_desktop.io import (
    CorruptFileError,
    EcgReadError,
    ImplausibleContentError,
    MissingDataFileError,
    UnsupportedFormatError,
    read_ecg,
)
from ecgchat_desktop.io import csv_reader, dicom, wfdb_reader
from ecgchat_desktop.io.csv_writer import write as write_csv
from ecgchat_desktop.settings import SAMPLES_DIR
from io_broken_inputs import expect_typed_error, random_bytes, truncation_points

pytestmark = pytest.mark.timeout(120)

PTBXL = SAMPLES_DIR / "ptbxl-00001"
TOOLKIT_DCM = SAMPLES_DIR / "dicom" / "ecgtoolkit-example.dcm"


@pytest.fixture()
def record(tmp_path) -> Path:
    """A fresh copy of a real PTB-XL record (header + data)."""
    for name in ("00001_hr.hea", "00001_hr.dat"):
        shutil.copy(PTBXL / name, tmp_path / name)
    return tmp_path / "00001_hr.hea"


# --- WFDB ---------------------------------------------------------------------------
def test_wfdb_empty_header(tmp_path):
    hea = tmp_path / "empty.hea"
    hea.write_bytes(b"")
    assert isinstance(expect_typed_error(wfdb_reader, hea), (CorruptFileError, UnsupportedFormatError))


def test_wfdb_truncated_header(record):
    text = record.read_bytes()
    last_line_start = text.rstrip(b"\n").rindex(b"\n") + 1
    for cut in truncation_points(len(text)):
        record.write_bytes(text[:cut])
        if cut >= last_line_start + len(b"00001_hr.dat 16 1000.0(0)/mV 16 0 -75 12159 0 V"):
            # only the last lead's name is shortened ("V6" -> "V"): still a valid header
            assert read_ecg(record).n_leads == 12
            continue
        with pytest.raises(EcgReadError) as info:
            read_ecg(record)
        assert str(record) in str(info.value)


def test_wfdb_truncated_data(record):
    dat = record.with_suffix(".dat")
    data = dat.read_bytes()
    for cut in truncation_points(len(data)):
        dat.write_bytes(data[:cut])
        err = expect_typed_error(wfdb_reader, record)
        assert isinstance(err, CorruptFileError) and "truncated" in err.problem


def test_wfdb_empty_data_file(record):
    record.with_suffix(".dat").write_bytes(b"")
    assert isinstance(expect_typed_error(wfdb_reader, record), CorruptFileError)


def test_wfdb_random_bytes_with_hea_extension(tmp_path):
    for seed in range(5):
        hea = tmp_path / f"random{seed}.hea"
        hea.write_bytes(random_bytes(2000, seed))
        with pytest.raises(EcgReadError) as info:
            read_ecg(hea)
        assert str(hea) in str(info.value)


def test_wfdb_missing_data_file(record):
    record.with_suffix(".dat").unlink()
    err = expect_typed_error(wfdb_reader, record)
    assert isinstance(err, MissingDataFileError) and "00001_hr.dat" in err.problem


def test_wfdb_data_path_without_header(record):
    record.unlink()
    with pytest.raises(EcgReadError):
        read_ecg(record.with_suffix(".dat"))


ABSURD_HEADERS = {
    "rate zero": ("00001_hr 12 0 5000", ImplausibleContentError),
    "rate negative": ("00001_hr 12 -500 5000", EcgReadError),
    "rate huge": ("00001_hr 12 1e12 5000", ImplausibleContentError),
    "a billion signals": ("00001_hr 1000000000 500 5000", ImplausibleContentError),
    "negative length": ("00001_hr 12 500 -5000", ImplausibleContentError),
    "length 10^12": ("00001_hr 12 500 1000000000000", ImplausibleContentError),
    "length past the data": ("00001_hr 12 500 5001", CorruptFileError),
    "signal count mismatch": ("00001_hr 13 500 5000", CorruptFileError),
}


@pytest.mark.parametrize("case", sorted(ABSURD_HEADERS))
def test_wfdb_absurd_record_line(record, case):
    line, expected = ABSURD_HEADERS[case]
    lines = record.read_text().splitlines()
    lines[0] = line
    record.write_text("\n".join(lines) + "\n")
    err = expect_typed_error(wfdb_reader, record)
    assert isinstance(err, expected), (case, err)


@pytest.mark.parametrize("signal_line, expected", [
    ("00001_hr.dat 999 1000.0(0)/mV 16 0 -115 13047 0 I", CorruptFileError),          # unknown format
    ("00001_hr.dat 16x1000000000 1000.0(0)/mV 16 0 -115 13047 0 I", EcgReadError),    # absurd frame size
    ("00001_hr.dat 16 nan/mV 16 0 -115 13047 0 I", CorruptFileError),                 # gain not a number
    ("../../etc/passwd 16 1000.0(0)/mV 16 0 -115 13047 0 I", EcgReadError),           # data file elsewhere
])
def test_wfdb_absurd_signal_line(record, signal_line, expected):
    lines = record.read_text().splitlines()
    lines[1] = signal_line
    record.write_text("\n".join(lines) + "\n")
    assert isinstance(expect_typed_error(wfdb_reader, record), expected)


def test_wfdb_multisegment_absurd(tmp_path):
    hea = tmp_path / "multi.hea"
    hea.write_text("multi/1000000000 2 250 1000\nseg1 1000\n")
    assert isinstance(expect_typed_error(wfdb_reader, hea), ImplausibleContentError)
    hea.write_text("multi/2 2 250 2000\nseg1 1000\nseg2 1000\n")
    assert isinstance(expect_typed_error(wfdb_reader, hea), MissingDataFileError)


def test_wfdb_flac_truncated(data_dir, tmp_path):
    src = data_dir / "wfdb-formats"
    shutil.copy(src / "flacformats.hea", tmp_path / "flacformats.hea")
    for i in range(3):
        data = (src / f"flacformats.d{i}").read_bytes()
        (tmp_path / f"flacformats.d{i}").write_bytes(data[: len(data) // 2] if i == 1 else data)
    expect_typed_error(wfdb_reader, tmp_path / "flacformats.hea")


# --- DICOM ----------------------------------------------------------------------------
def test_dicom_empty(tmp_path):
    path = tmp_path / "empty.dcm"
    path.write_bytes(b"")
    with pytest.raises(CorruptFileError):
        read_ecg(path)
    expect_typed_error(dicom, path)


def test_dicom_truncated(tmp_path):
    data = TOOLKIT_DCM.read_bytes()
    path = tmp_path / "cut.dcm"
    for cut in truncation_points(len(data)):
        path.write_bytes(data[:cut])
        expect_typed_error(dicom, path)


def test_dicom_random_bytes(tmp_path):
    for seed in range(5):
        path = tmp_path / f"random{seed}.dcm"
        path.write_bytes(random_bytes(4000, seed))
        with pytest.raises(EcgReadError) as info:
            read_ecg(path)
        assert str(path) in str(info.value)
        # random bytes behind a valid preamble and magic
        path.write_bytes(b"\x00" * 128 + b"DICM" + random_bytes(4000, seed))
        expect_typed_error(dicom, path)


def test_dicom_corrupted_middle(tmp_path):
    data = bytearray(TOOLKIT_DCM.read_bytes())
    path = tmp_path / "flipped.dcm"
    for seed in range(10):
        mutated = bytearray(data)
        noise = random_bytes(64, seed)
        start = 132 + (seed * 997) % 3000  # inside the header elements
        mutated[start:start + 64] = noise
        path.write_bytes(bytes(mutated))
        try:
            read_ecg(path)  # a mutation can land in a harmless text value
        except EcgReadError as exc:
            assert str(path) in str(exc)


# --- CSV ------------------------------------------------------------------------------
@pytest.fixture()
def csv_file(tmp_path) -> Path:
    return write_csv(read_ecg(PTBXL / "00001_hr.hea"), tmp_path / "ecg.csv")


def test_csv_empty(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    expect_typed_error(csv_reader, path)


def test_csv_truncated(csv_file):
    data = csv_file.read_bytes()
    for cut in truncation_points(len(data)):
        csv_file.write_bytes(data[:cut])
        last_line = data[:cut].split(b"\n")[-1]
        if cut < data.index(b"\n") + 2:  # header only, or header and a stub
            with pytest.raises(EcgReadError):
                read_ecg(csv_file)
        elif last_line and last_line.count(b",") < 12:  # a row missing cells
            assert isinstance(expect_typed_error(csv_reader, csv_file), CorruptFileError)
        else:  # cut at a line end or inside the last number: a shorter, valid table
            ecg = read_ecg(csv_file)
            assert ecg.n_leads == 12 and ecg.n_samples == data[:cut].count(b"\n") + (1 if last_line else 0) - 1


def test_csv_cut_mid_row_is_corrupt(csv_file):
    data = csv_file.read_bytes()
    cut = data.index(b"\n", len(data) // 2) + 20
    csv_file.write_bytes(data[:cut])
    assert isinstance(expect_typed_error(csv_reader, csv_file), CorruptFileError)


def test_csv_random_bytes(tmp_path):
    for seed in range(5):
        path = tmp_path / f"random{seed}.csv"
        path.write_bytes(random_bytes(3000, seed))
        with pytest.raises(EcgReadError) as info:
            read_ecg(path)
        assert str(path) in str(info.value)


@pytest.mark.parametrize("text, expected", [
    ("time_s,I,II\n0.000,0.1,0.2\n0.002,abc,0.2\n", CorruptFileError),
    ("I,II\n0.1,0.2\n0.1,0.3\n", ImplausibleContentError),           # no time column
    ("time_s,I\n0.0,0.1\n0.0,0.1\n", ImplausibleContentError),       # time not increasing
    ("time_s,I\n0.0,0.1\n0.002,0.1\n0.5,0.2\n", ImplausibleContentError),  # gap
    ("time_s,I\n0.0,inf\n0.002,0.1\n", CorruptFileError),
    ("time_s,I\n0.0,\n0.002,\n", ImplausibleContentError),           # every sample missing
    ("time_s,I\n0.0\n", CorruptFileError),
    ("time_s,I\n", EcgReadError),
])
def test_csv_bad_content(tmp_path, text, expected):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    assert isinstance(expect_typed_error(csv_reader, path), expected)
