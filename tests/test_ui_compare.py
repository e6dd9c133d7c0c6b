"""Serial comparison in the real window: two ECGs of one patient in the real database."""

from __future__ import annotations

from datetime import datetime

import pytest

from ecgchat_desktop.ecg import Patient
from ecgchat_desktop.settings import SAMPLES_DIR

pytestmark = pytest.mark.gui


def test_compare_with_previous_ecg_of_the_patient(qtbot, window):
    from ecgchat_desktop.findings import analyze_ecg
    from ecgchat_desktop.io import read_ecg

    win = window
    patient = Patient(id="TEST-0042", name="Serial Test", sex="M", age_years=61)
    older = read_ecg(SAMPLES_DIR / "ptbxl-00001" / "00001_hr.hea").with_changes(
        patient=patient, acquired_at=datetime(2024, 1, 10, 9, 30))
    newer = read_ecg(SAMPLES_DIR / "ptbxl-00017" / "00017_hr.hea").with_changes(
        patient=patient, acquired_at=datetime(2025, 3, 2, 14, 5))
    f_old, f_new = analyze_ecg(older), analyze_ecg(newer)
    old_id, _ = win.store.add_ecg(older, findings=f_old)
    new_id, _ = win.store.add_ecg(newer, findings=f_new)
    with qtbot.waitSignal(win.analysisShown, timeout=30_000):
        win.open_record(new_id)
    with qtbot.waitSignal(win.compare_panel.compared, timeout=30_000) as b:
        win.act_compare.trigger()
    prev = b.args[0]
    assert prev is not None and prev.record_id == old_id
    panel = win.compare_panel
    assert "2024-01-10" in panel.title.text() and "2025-03-02" in panel.title.text()
    assert panel.previous_view.layout_ is not None and panel.current_view.layout_ is not None
    rows = {panel.table.item(r, 0).text(): [panel.table.item(r, c).text() for c in (1, 2, 3)]
            for r in range(panel.table.rowCount())}
    hr_prev, hr_cur = f_old.measurements.hr_bpm, f_new.measurements.hr_bpm
    assert rows["Heart rate"][0] == f"{hr_prev:.0f} bpm" and rows["Heart rate"][1] == f"{hr_cur:.0f} bpm"
    new_codes = {s.code for s in f_new.statements} - {s.code for s in f_old.statements}
    for s in f_new.statements:
        if s.code in new_codes:
            assert s.text in panel.statements.text()
    # Side by side.
    panel.mode.setCurrentIndex(1)
    from PySide6.QtCore import Qt

    assert panel.splitter.orientation() == Qt.Horizontal
    # The older ECG has no predecessor.
    with qtbot.waitSignal(win.analysisShown, timeout=30_000):
        win.open_record(old_id)
    with qtbot.waitSignal(panel.compared, timeout=30_000) as b:
        panel.refresh()
    assert b.args[0] is None and "No earlier ECG" in panel.title.text()
