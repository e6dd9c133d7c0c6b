"""`ecgchat analyze PATH [--json]`: the issue's field names, values close to the device's
own measurements, and the error contract."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ecgchat_desktop.settings import SAMPLES_DIR

DICOM = SAMPLES_DIR / "dicom" / "ecgtoolkit-example.dcm"


def _run(*args):
    return subprocess.run([sys.executable, "-m", "ecgchat_desktop", "analyze", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_analyze_json_fields_and_values_near_device():
    res = _run(DICOM, "--json")
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    for key in ("hr_bpm", "rr_ms", "p_ms", "pr_ms", "qrs_ms", "qt_ms", "qtc_ms", "p_axis_deg",
                "qrs_axis_deg", "t_axis_deg", "r_peaks", "lead_quality", "format", "leads"):
        assert key in d
    assert set(d["qtc_ms"]) == {"bazett", "fridericia", "framingham", "hodges"}
    dev = d["device_measurements"]  # the acquiring device: PR 148, QRS 120, QT 420 ms
    assert abs(d["pr_ms"] - dev["pr_ms"]) <= 15
    assert abs(d["qrs_ms"] - dev["qrs_ms"]) <= 20
    assert abs(d["qt_ms"] - dev["qt_ms"]) <= 25
    assert abs(d["t_axis_deg"] - dev["t_axis_deg"]) <= 20
    assert all(isinstance(i, int) for i in d["r_peaks"]) and len(d["r_peaks"]) >= 10


def test_analyze_text_output():
    res = _run(DICOM)
    assert res.returncode == 0, res.stderr
    assert "QRS" in res.stdout and "QTc Bazett" in res.stdout


def test_analyze_text_output_says_why_a_value_is_missing(data_dir):
    # LUDB 8 (ventricular paced in AF): no P wave before the paced QRSs, so P and PR are withheld.
    # (LUDB 74 served here while its pacing spikes went unblanked and posed as an 18 ms QRS.)
    res = _run(data_dir / "ludb" / "data" / "8.hea")
    assert res.returncode == 0, res.stderr
    assert "P —" in res.stdout and "PR —" in res.stdout
    assert "Note: P wave in only 0% of dominant beats: P measurements withheld" in res.stdout


@pytest.mark.parametrize("content", [None, b"not an ecg at all"])
def test_analyze_bad_input_exit_2(tmp_path, content):
    path = tmp_path / "broken.hea"
    if content is not None:
        path.write_bytes(content)
    res = _run(path)
    assert res.returncode == 2
    assert "broken.hea" in res.stderr and res.stderr.count("\n") == 1
