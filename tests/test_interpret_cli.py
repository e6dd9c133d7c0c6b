"""`ecgchat analyze PATH --json` end to end: real file → measure → interpret → statements
with evidence and the critical flag."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ecgchat_desktop.interpret.statement import CATEGORIES, SEVERITIES
from ecgchat_desktop.interpret.vocabulary import load_vocabulary
from ecgchat_desktop.settings import SAMPLES_DIR


def _analyze(path) -> dict:
    out = subprocess.run([sys.executable, "-m", "ecgchat_desktop", "analyze", str(path), "--json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_bundled_sample_has_statements_with_evidence():
    data = _analyze(SAMPLES_DIR / "ptbxl-00001" / "00001_hr.hea")
    assert isinstance(data["critical"], bool)
    vocab = load_vocabulary()
    assert data["statements"], "no statement for a real 12-lead ECG"
    for s in data["statements"]:
        assert set(s) >= {"code", "text", "category", "severity", "evidence"}
        assert s["code"] in vocab
        assert s["category"] in CATEGORIES and s["severity"] in SEVERITIES
        assert s["evidence"] and all(isinstance(e, str) and e for e in s["evidence"])
    codes = {s["code"] for s in data["statements"]}
    assert codes & {"SR", "SBRAD", "STACH", "SARRH"}, codes  # PTB-XL record 1 is sinus rhythm
    assert data["critical"] is False


def test_device_file_with_acute_inferior_mi_is_flagged_critical(data_dir):
    path = data_dir / "formats" / "philips-xml" / "sierra-1.03.xml"
    data = _analyze(path)
    # The device printed "Inferior infarct, acute ... ST>0.10mV, II III aVF"; so must we, as a draft.
    stemi = [s for s in data["statements"] if s["code"] == "STEMI_INF"]
    assert stemi and stemi[0]["severity"] == "critical"
    assert data["critical"] is True
    assert "consider acute MI" in stemi[0]["text"]
    assert any("II" in e and "mV" in e for e in stemi[0]["evidence"])


def test_unreadable_file_is_exit_2_with_one_line(tmp_path):
    bad = tmp_path / "broken.hea"
    bad.write_text("not a header\n")
    out = subprocess.run([sys.executable, "-m", "ecgchat_desktop", "analyze", str(bad), "--json"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "broken.hea" in out.stderr
