"""`ecgchat info` and `ecgchat convert`: the scripted JSON contract, readable text, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from ecgchat_desktop.cli import main
from ecgchat_desktop.io import read_ecg
from ecgchat_desktop.settings import SAMPLES_DIR

INFO_KEYS = {"format", "sampling_rate_hz", "n_samples", "duration_s", "leads", "units", "patient",
             "acquired_at", "device", "device_measurements", "device_statements"}
MEASUREMENT_KEYS = {"hr_bpm", "pr_ms", "qrs_ms", "qt_ms", "qtc_ms", "p_axis_deg", "qrs_axis_deg", "t_axis_deg"}

SAMPLE_HEA = SAMPLES_DIR / "ptbxl-00008" / "00008_hr.hea"
SAMPLE_DCM = SAMPLES_DIR / "dicom" / "ecgtoolkit-example.dcm"


def _info_json(capsys, path) -> dict:
    assert main(["info", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_info_json_fields_dicom(capsys):
    info = _info_json(capsys, SAMPLE_DCM)
    assert set(info) == INFO_KEYS
    assert set(info["device_measurements"]) == MEASUREMENT_KEYS
    assert set(info["patient"]) == {"id", "name", "sex", "age"}
    assert info["format"] == "dicom" and info["units"] == "mV"
    assert info["sampling_rate_hz"] == 500 and info["n_samples"] == 5000 and info["duration_s"] == 10
    assert info["leads"] == ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    assert info["device_measurements"]["pr_ms"] == 148 and info["device_measurements"]["hr_bpm"] is None
    assert info["acquired_at"] == "2002-11-22T09:10:00"
    assert info["patient"] == {"id": "SBJ-123", "name": "Clark", "sex": "M", "age": 49.0}
    assert info == read_ecg(SAMPLE_DCM).info_dict()


def test_info_json_wfdb(capsys):
    info = _info_json(capsys, SAMPLE_HEA)
    assert info["format"] == "wfdb" and len(info["leads"]) == 12 and info["device_statements"] == []


def test_info_text_is_readable(capsys):
    assert main(["info", str(SAMPLE_DCM)]) == 0
    out = capsys.readouterr().out
    assert "Format:       dicom" in out
    assert "PR 148 ms" in out and "QRS axis -61°" in out
    assert "500 Hz" in out and "I, II, III, aVR" in out
    assert not out.lstrip().startswith("{")


@pytest.mark.parametrize("content", [b"", b"garbage that is no ECG at all\n" * 10])
def test_info_unreadable_exit_2_one_line(tmp_path, content):
    bad = tmp_path / "bad.hea"
    bad.write_bytes(content)
    proc = subprocess.run([sys.executable, "-m", "ecgchat_desktop", "info", str(bad)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_info_missing_file_exit_2(tmp_path, capsys):
    assert main(["info", str(tmp_path / "nope.dcm")]) == 2
    err = capsys.readouterr().err
    assert "nope.dcm" in err and "does not exist" in err


@pytest.mark.parametrize("ext", [".csv", ".hea", ".dcm"])
def test_convert_round_trip(tmp_path, capsys, ext):
    out = tmp_path / f"converted{ext}"
    assert main(["convert", str(SAMPLE_HEA), "-o", str(out)]) == 0
    capsys.readouterr()
    back = read_ecg(out)
    original = read_ecg(SAMPLE_HEA)
    assert back.lead_names == original.lead_names
    assert back.sampling_rate_hz == pytest.approx(original.sampling_rate_hz)
    assert np.max(np.abs(back.signals_mv - original.signals_mv)) <= 0.001 + 1e-6


def test_convert_errors_exit_2(tmp_path, capsys):
    assert main(["convert", str(SAMPLE_HEA), "-o", str(tmp_path / "x.xyz")]) == 2
    assert "x.xyz" in capsys.readouterr().err
    assert main(["convert", str(SAMPLE_HEA), "-o", str(tmp_path / "no" / "such" / "dir" / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert "x.csv" in err and len(err.strip().splitlines()) == 1
    assert main(["convert", str(tmp_path / "missing.hea"), "-o", str(tmp_path / "y.csv")]) == 2
    assert not (tmp_path / "y.csv").exists()


def test_info_contract_on_every_shared_file(data_dir, capsys):
    """Every shared sample file: exit 0 with the exact JSON keys, or exit 2 with one stderr line."""
    paths = [p for p in sorted((data_dir / "formats").rglob("*")) if p.is_file() and not p.name.startswith("LICENSE")]
    paths += sorted((data_dir / "wfdb-formats").glob("*.hea")) + sorted((data_dir / "wfdb-formats").glob("*.edf"))
    paths = [p for p in paths if p.name != "flac_3_constant.hea"]  # 5.6 M samples; read in test_io_wfdb
    readable = 0
    for path in paths:
        code = main(["info", str(path), "--json"])
        out, err = capsys.readouterr()
        if code == 0:
            info = json.loads(out)
            assert set(info) == INFO_KEYS and set(info["device_measurements"]) == MEASUREMENT_KEYS, path
            assert info["units"] == "mV" and info["n_samples"] > 0 and info["leads"], path
            readable += 1
        else:
            assert code == 2 and out == "", path
            assert len(err.strip().splitlines()) == 1 and str(path) in err, (path, err)
    assert readable >= 20
