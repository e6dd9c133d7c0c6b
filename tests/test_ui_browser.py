"""Browser over the real database: ECGs opened are listed newest first under their patient;
search by id, date and statement code; the critical flag shows; a click reopens from the database."""

from __future__ import annotations

from datetime import date

import pytest

from ecgchat_desktop.settings import SAMPLES_DIR
from ecgchat_desktop.ui.browser import parse_query

pytestmark = pytest.mark.gui


def test_parse_query():
    codes = frozenset({"AFIB", "RBBB"})
    assert parse_query("2024-05-17", codes) == {"date_from": date(2024, 5, 17), "date_to": date(2024, 5, 17)}
    assert parse_query("2023-02", codes) == {"date_from": date(2023, 2, 1), "date_to": date(2023, 2, 28)}
    assert parse_query("afib", codes) == {"statement_code": "AFIB"}
    assert parse_query("Müller", codes) == {"text": "Müller"}
    assert parse_query("   ", codes) == {}


def test_opened_ecgs_are_listed_searchable_and_reopen(qtbot, window):
    win = window
    paths = [SAMPLES_DIR / "ptbxl-00001" / "00001_hr.hea", SAMPLES_DIR / "dicom" / "ecgtoolkit-example.dcm"]
    docs = []
    for p in paths:
        with qtbot.waitSignal(win.analysisShown, timeout=90_000) as b:
            win.open_paths([str(p)])
        docs.append(b.args[0])
    assert all(d.record_id is not None for d in docs), [d.store_error for d in docs]
    qtbot.waitUntil(lambda: len(win.browser.record_ids()) == 2, timeout=10_000)
    # Newest first, as the store orders them.
    expected = [r.id for r in win.store.search()]
    assert win.browser.record_ids() == expected
    # The critical flag is visible where the analysis raised one.
    for d in docs:
        crit = d.findings is not None and d.findings.critical
        text = _row_text(win, d.record_id)
        assert ("CRITICAL" in text) == bool(crit)
    # Search by a statement code the first ECG carries.
    codes = [s.code for s in docs[0].statements]
    if codes:
        with qtbot.waitSignal(win.browser.refreshed, timeout=10_000):
            win.browser.search.setText(codes[0])
        assert docs[0].record_id in win.browser.record_ids()
    # Search that matches nothing.
    with qtbot.waitSignal(win.browser.refreshed, timeout=10_000) as b:
        win.browser.search.setText("no-such-patient-xyz")
    assert b.args[0] == 0 and win.browser.record_ids() == []
    # Search by the acquisition date of the DICOM example, when the file carries one.
    dcm = docs[1].ecg
    if dcm.acquired_at is not None:
        with qtbot.waitSignal(win.browser.refreshed, timeout=10_000):
            win.browser.search.setText(dcm.acquired_at.strftime("%Y-%m-%d"))
        assert docs[1].record_id in win.browser.record_ids()
    # Activating a row opens that ECG from the database (not from the file).
    with qtbot.waitSignal(win.browser.refreshed, timeout=10_000):
        win.browser.search.setText("")
    with qtbot.waitSignal(win.analysisShown, timeout=30_000) as b:
        win.browser.recordActivated.emit(docs[0].record_id)
    assert b.args[0].record_id == docs[0].record_id and b.args[0].ecg.n_leads == 12


def _row_text(win, record_id) -> str:
    from PySide6.QtCore import Qt

    tree = win.browser.tree
    for i in range(tree.topLevelItemCount()):
        top = tree.topLevelItem(i)
        for j in range(top.childCount()):
            item = top.child(j)
            if item.data(0, Qt.UserRole) == record_id:
                return " ".join(item.text(c) for c in range(3))
    raise AssertionError(f"record {record_id} not listed")
