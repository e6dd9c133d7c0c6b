"""Starting the workstation from the command line: `python main.py PATH`, `ecgchat gui PATH`,
`ecgchat PATH`; an unreadable file leaves the window running with its message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecgchat_desktop.settings import PROJECT_DIR, SAMPLES_DIR

pytestmark = pytest.mark.gui


def _run(args, home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", ECGCHAT_HOME=str(home))
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=120,
                          cwd=str(PROJECT_DIR))


@pytest.mark.parametrize("launcher", [["main.py"], ["-m", "ecgchat_desktop", "gui"]])
def test_start_with_a_file(launcher, tmp_path):
    sample = SAMPLES_DIR / "ptbxl-00008" / "00008_hr.hea"
    out = _run([*launcher, str(sample), "--quit-after-ms", "100"], tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "shown wfdb 12 leads; errors: 0" in out.stdout


def test_unreadable_file_keeps_the_window(tmp_path):
    bad = tmp_path / "not-an-ecg.xml"
    bad.write_text("<html><body>hello</body></html>")
    out = _run(["main.py", str(bad), "--quit-after-ms", "100"], tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "shown no ECG; errors: 1" in out.stdout
    assert "Traceback" not in out.stderr
