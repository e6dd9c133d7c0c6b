"""CSV reader and writer: the written layout, units in headers, delimiters, missing samples."""

from __future__ import annotations

import numpy as np
import pytest

from ecgchat_desktop.ecg import Ecg
from ecgchat_desktop.io import EcgWriteError, detect_format, read_ecg, write_ecg
from ecgchat_desktop.settings import SAMPLES_DIR

SAMPLE = SAMPLES_DIR / "ptbxl-00017" / "00017_hr.hea"


def test_written_layout(tmp_path):
    ecg = read_ecg(SAMPLE)
    out = write_ecg(ecg, tmp_path / "ecg.csv")
    lines = out.read_text().splitlines()
    assert lines[0] == "time_s,I,II,III,aVR,aVL,aVF,V1,V2,V3,V4,V5,V6"
    assert len(lines) == 1 + ecg.n_samples
    first, second = (np.array(line.split(","), dtype=float) for line in lines[1:3])
    assert first[0] == 0.0 and second[0] == pytest.approx(0.002)
    assert np.allclose(first[1:], ecg.signals_mv[:, 0], atol=1e-6)
    assert detect_format(out) == "csv"
    back = read_ecg(out)
    assert back.source_format == "csv" and back.sampling_rate_hz == 500.0
    assert np.array_equal(back.signals_mv, ecg.signals_mv)


def test_units_in_header_and_semicolon_decimal_comma(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_text("Time (ms);Lead II (uV);V1 [mV]\n0;100;0,5\n4;200;0,25\n8;-50;0\n")
    ecg = read_ecg(path)
    assert ecg.lead_names == ("II", "V1")
    assert ecg.sampling_rate_hz == 250.0
    assert np.allclose(ecg.signals_mv, [[0.1, 0.2, -0.05], [0.5, 0.25, 0.0]])


def test_tab_separated_and_missing_cells(tmp_path):
    path = tmp_path / "ecg.tsv"
    path.write_text("t\tI\tII\n0.0\t0.1\t\n0.001\t0.2\t0.3\n0.002\tnan\t0.4\n")
    ecg = read_ecg(path)
    assert ecg.sampling_rate_hz == 1000.0
    assert np.isnan(ecg.signals_mv[1, 0]) and np.isnan(ecg.signals_mv[0, 2])
    assert ecg.signals_mv[1, 2] == pytest.approx(0.4)


def test_nan_written_as_empty_cell(tmp_path):
    signals = np.array([[0.1, np.nan, 0.3], [1.0, 2.0, 3.0]], dtype=np.float32)
    ecg = Ecg(signals_mv=signals, sampling_rate_hz=360.0, lead_names=("MLII", "V5"))
    out = write_ecg(ecg, tmp_path / "gap.csv")
    assert out.read_text().splitlines()[2].split(",")[1] == ""
    back = read_ecg(out)
    assert back.sampling_rate_hz == 360.0
    assert np.array_equal(np.isnan(back.signals_mv), np.isnan(signals))


def test_odd_rate_recovered_from_time_column(tmp_path, data_dir):
    ecg = read_ecg(data_dir / "wfdb-formats" / "mixedsignals.hea")  # 249.89 Hz
    back = read_ecg(write_ecg(ecg, tmp_path / "m.csv"))
    assert back.sampling_rate_hz == pytest.approx(ecg.sampling_rate_hz, rel=1e-6)


def test_write_errors_leave_nothing(tmp_path):
    ecg = read_ecg(SAMPLE)
    with pytest.raises(EcgWriteError, match="does not exist"):
        write_ecg(ecg, tmp_path / "missing" / "x.csv")
    with pytest.raises(EcgWriteError, match="extension"):
        write_ecg(ecg, tmp_path / "x.txt")
    (tmp_path / "adir.csv").mkdir()
    with pytest.raises(EcgWriteError):
        write_ecg(ecg, tmp_path / "adir.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir.csv"]


def test_readonly_folder(tmp_path):
    import os

    if os.geteuid() == 0:
        pytest.skip("root can write into read-only folders")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(EcgWriteError):
            write_ecg(read_ecg(SAMPLE), folder / "x.csv")
    finally:
        folder.chmod(0o700)
