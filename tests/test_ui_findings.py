"""Findings panel in the real window: statements with their evidence, severity colours,
the critical banner, and a physician's confirmation stored in the real database."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from ecgchat_desktop.settings import SAMPLES_DIR

pytestmark = pytest.mark.gui


@pytest.fixture()
def window_prefs():
    from ecgchat_desktop.ui.preferences import Preferences

    prefs = Preferences()
    prefs.set("user/name", "Dr. Test Reader")
    return prefs


def test_statements_evidence_edit_confirm_stored(qtbot, window):
    from ecgchat_desktop.interpret.vocabulary import make_statement

    win = window
    with qtbot.waitSignal(win.analysisShown, timeout=90_000) as b:
        win.open_paths([str(SAMPLES_DIR / "ptbxl-00017" / "00017_hr.hea")])
    doc = b.args[0]
    if doc.findings is None:
        pytest.skip(f"analysis not available: {doc.analysis_error}")
    panel = win.findings_panel
    assert panel.list.count() == len(doc.findings.statements) > 0
    # Every statement shows its criteria on hover.
    for i, s in enumerate(doc.findings.statements):
        tip = panel.list.item(i).toolTip()
        assert s.text in tip and all(e in tip for e in s.evidence)
    assert panel.banner.isVisible() == doc.findings.critical
    # The physician removes the first statement and adds a critical one.
    removed = doc.findings.statements[0]
    panel.list.setCurrentRow(0)
    panel.btn_remove.click()
    added = make_statement("3AVB", ["physician: P waves march through"])
    added.source = "physician"
    panel.set_statements(panel.statements + [added])
    assert panel.banner.isVisible() and added.text in panel.banner.text()
    color = panel.list.item(panel.list.count() - 1).foreground().color().name()
    assert color == "#b00020"  # critical red
    with qtbot.waitSignal(win.confirmed, timeout=30_000) as c:
        qtbot.mouseClick(panel.btn_confirm, Qt.LeftButton)
    conf_id = c.args[0]
    conf = win.store.latest_confirmation(doc.record_id)
    assert conf.id == conf_id and conf.confirmed_by == "Dr. Test Reader"
    codes = [s.code for s in conf.statements]
    assert "3AVB" in codes and removed.code not in codes
    assert [s.code for s in win.store.current_statements(doc.record_id)] == codes
    assert "Confirmed by Dr. Test Reader" in panel.status.text()
    # Reopening the same file shows the confirmed list, not the program's draft.
    with qtbot.waitSignal(win.analysisShown, timeout=90_000) as b2:
        win.open_paths([str(SAMPLES_DIR / "ptbxl-00017" / "00017_hr.hea")])
    assert [s.code for s in b2.args[0].statements] == codes
    assert [panel.list.item(i).data(Qt.UserRole).code for i in range(panel.list.count())] == codes


def test_statement_dialog_builds_a_physician_statement(qtbot):
    from ecgchat_desktop.ui.findings_panel import StatementDialog

    dlg = StatementDialog()
    qtbot.addWidget(dlg)
    i = dlg.code.findData("3AVB")
    assert i > 0
    dlg.code.setCurrentIndex(i)
    dlg.note.setPlainText("P waves march through the QRS complexes")
    s = dlg.statement()
    assert s.code == "3AVB" and s.source == "physician" and s.critical
    assert s.severity == "critical" and "physician: P waves march through the QRS complexes" in s.evidence
    dlg.text.setText("")
    assert dlg.statement() is None  # nothing to add without text
