"""The window analyses in a separate process (so the GUI thread never waits for the GIL):
the findings that come back are exactly those of an in-thread analysis."""

from __future__ import annotations

import os

from ecgchat_desktop.findings import analyze_ecg
from ecgchat_desktop.io import read_ecg
from ecgchat_desktop.settings import SAMPLES_DIR
from ecgchat_desktop.ui import analysis_process


def test_process_analysis_gives_the_same_findings_and_runs_elsewhere():
    ecg = read_ecg(SAMPLES_DIR / "ptbxl-00008" / "00008_hr.hea")
    here = analyze_ecg(ecg)
    pool = analysis_process._get_pool()
    assert pool is not None
    assert pool.submit(os.getpid).result(timeout=120) != os.getpid()   # a different process
    there = analysis_process.analyze(ecg)
    assert there.to_dict() == here.to_dict()
    assert [s.code for s in there.statements] == [s.code for s in here.statements]
