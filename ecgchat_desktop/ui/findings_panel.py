"""Findings: measurement table (ours beside the device's), statements with severity colours
and evidence, the critical banner, and the physician's confirmation workflow.

Numbers shown here come from `Findings.measurements` and `Ecg.device_measurements`;
this module only formats them.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from ecgchat_desktop.ui.theme import SEVERITY_COLORS

# interpret.statement is light (the package loads its rule engine only on first use).
from ecgchat_desktop.interpret.statement import CATEGORIES, SEVERITIES  # noqa: E402

# (label, attribute of Measurements or qtc formula, device key, unit)
_ROWS = (
    ("Heart rate", "hr_bpm", "hr_bpm", "bpm"),
    ("RR", "rr_ms", "rr_ms", "ms"),
    ("P duration", "p_ms", "p_ms", "ms"),
    ("PR", "pr_ms", "pr_ms", "ms"),
    ("QRS", "qrs_ms", "qrs_ms", "ms"),
    ("QT", "qt_ms", "qt_ms", "ms"),
    ("QTc Bazett", "qtc:bazett", "qtc_ms", "ms"),
    ("QTc Fridericia", "qtc:fridericia", None, "ms"),
    ("QTc Framingham", "qtc:framingham", None, "ms"),
    ("QTc Hodges", "qtc:hodges", None, "ms"),
    ("P axis", "p_axis_deg", "p_axis_deg", "°"),
    ("QRS axis", "qrs_axis_deg", "qrs_axis_deg", "°"),
    ("T axis", "t_axis_deg", "t_axis_deg", "°"),
    ("Atrial rate", "atrial_rate_bpm", None, "bpm"),
)


def fmt_value(value, unit: str) -> str:
    if value is None:
        return "—"
    try:
        return f"{float(value):.0f} {unit}".replace(" °", "°")
    except (TypeError, ValueError):
        return str(value)


def measurement_rows(measurements, device: dict | None) -> list[tuple[str, str, str]]:
    """(label, ours, device) strings for the table."""
    device = device or {}
    rows = []
    for label, attr, dev_key, unit in _ROWS:
        if measurements is None:
            ours = None
        elif attr.startswith("qtc:"):
            ours = (measurements.qtc_ms or {}).get(attr[4:])
        else:
            ours = getattr(measurements, attr, None)
        dev = device.get(dev_key) if dev_key else None
        rows.append((label, fmt_value(ours, unit), fmt_value(dev, unit) if dev_key else ""))
    return rows


class StatementDialog(QDialog):
    """Add or edit a statement: choose from the vocabulary or type free text."""

    def __init__(self, parent=None, statement=None):
        super().__init__(parent)
        self.setWindowTitle("Edit statement" if statement else "Add statement")
        form = QFormLayout(self)
        self.code = QComboBox()
        self.code.setEditable(True)
        self._defs = {}
        try:
            from ecgchat_desktop.interpret.vocabulary import load_vocabulary

            self._defs = load_vocabulary()
        except Exception:  # vocabulary missing: free text still works
            self._defs = {}
        self.code.addItem("", "")
        for code, d in sorted(self._defs.items(), key=lambda kv: kv[1].text):
            self.code.addItem(f"{d.text} [{code}]", code)
        self.text = QLineEdit()
        self.severity = QComboBox()
        self.severity.addItems(list(SEVERITIES))
        self.category = QComboBox()
        self.category.addItems(list(CATEGORIES))
        self.note = QTextEdit()
        self.note.setPlaceholderText("Physician's criteria or comment (optional)")
        self.note.setMaximumHeight(70)
        form.addRow("Vocabulary", self.code)
        form.addRow("Text", self.text)
        form.addRow("Severity", self.severity)
        form.addRow("Category", self.category)
        form.addRow("Comment", self.note)
        self.code.currentIndexChanged.connect(self._on_code)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self._orig = statement
        if statement:
            i = self.code.findData(statement.code)
            if i >= 0:
                self.code.setCurrentIndex(i)
            self.text.setText(statement.text)
            self.severity.setCurrentText(statement.severity)
            self.category.setCurrentText(statement.category)
        else:
            self.severity.setCurrentText("abnormal")
            self.category.setCurrentText("other")

    def _on_code(self, _i: int) -> None:
        d = self._defs.get(self.code.currentData())
        if d is not None:
            self.text.setText(d.text)
            self.severity.setCurrentText(d.severity)
            self.category.setCurrentText(d.category)

    def statement(self):
        from ecgchat_desktop.interpret.statement import Statement

        text = self.text.text().strip()
        if not text:
            return None
        code = self.code.currentData() or (self._orig.code if self._orig else "PHYSICIAN")
        d = self._defs.get(code)
        evidence = list(self._orig.evidence) if self._orig else []
        note = self.note.toPlainText().strip()
        if note:
            evidence.append(f"physician: {note}")
        return Statement(code=code, text=text, category=self.category.currentText(),
                         severity=self.severity.currentText(), evidence=evidence,
                         critical=bool(d.critical) if d else (self._orig.critical if self._orig else False),
                         source="physician")


class FindingsPanel(QWidget):
    """Emits `confirmRequested(list[Statement])` when the physician confirms the list."""

    confirmRequested = Signal(list)
    statementsEdited = Signal(list)

    def __init__(self, parent=None, theme: str = "light"):
        super().__init__(parent)
        self.theme = theme
        self.statements: list = []
        self._dirty = False
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        self.banner = QLabel()
        self.banner.setObjectName("criticalBanner")
        self.banner.setWordWrap(True)
        self.banner.setMinimumWidth(50)
        self.banner.setStyleSheet("QLabel#criticalBanner { background: #b00020; color: white; font-weight: bold;"
                                  " padding: 6px; border-radius: 3px; }")
        self.banner.hide()
        lay.addWidget(self.banner)
        self.status = QLabel("No ECG open")
        self.status.setWordWrap(True)
        self.status.setMinimumWidth(50)
        lay.addWidget(self.status)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Measurement", "Program", "Device"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeToContents)
        self.table.verticalHeader().setDefaultSectionSize(20)
        lay.addWidget(self.table, 3)
        head = QLabel("<b>Statements</b> — program draft until confirmed (hover for the criteria)")
        head.setWordWrap(True)
        lay.addWidget(head)
        self.list = QListWidget()
        self.list.setObjectName("statementList")
        self.list.setWordWrap(True)
        self.list.itemDoubleClicked.connect(lambda _i: self.edit_selected())
        lay.addWidget(self.list, 3)
        row = QHBoxLayout()
        self.btn_confirm = QPushButton("Confirm")
        self.btn_confirm.setToolTip("Store this statement list as confirmed by you (Ctrl+Enter)")
        self.btn_add = QPushButton("Add…")
        self.btn_edit = QPushButton("Edit…")
        self.btn_remove = QPushButton("Remove")
        for b in (self.btn_confirm, self.btn_add, self.btn_edit, self.btn_remove):
            b.setEnabled(False)
            row.addWidget(b)
        lay.addLayout(row)
        self.btn_confirm.clicked.connect(self.request_confirm)
        self.btn_add.clicked.connect(self.add_statement)
        self.btn_edit.clicked.connect(self.edit_selected)
        self.btn_remove.clicked.connect(self.remove_selected)
        self.device_label = QLabel()
        self.device_label.setWordWrap(True)
        self.device_label.setMinimumWidth(50)
        self.device_label.setTextFormat(Qt.RichText)
        lay.addWidget(self.device_label)

    # -------------------------------------------------------------- content
    def clear(self, message: str = "No ECG open") -> None:
        self.statements = []
        self.table.setRowCount(0)
        self.list.clear()
        self.banner.hide()
        self.status.setText(message)
        self.device_label.setText("")
        for b in (self.btn_confirm, self.btn_add, self.btn_edit, self.btn_remove):
            b.setEnabled(False)

    def show_findings(self, findings, ecg_info: dict | None, statements: list | None = None,
                      confirmation=None) -> None:
        info = ecg_info or (findings.ecg_info if findings is not None else {})
        m = findings.measurements if findings is not None else None
        rows = measurement_rows(m, info.get("device_measurements"))
        self.table.setRowCount(len(rows))
        for r, (label, ours, dev) in enumerate(rows):
            for c, text in enumerate((label, ours, dev)):
                item = QTableWidgetItem(text)
                if c > 0:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.table.setItem(r, c, item)
        notes = list(m.analysis_notes) if m is not None else []
        bad = {k: v for k, v in (m.lead_quality.items() if m is not None else []) if v != "good"}
        if findings is None:
            self.status.setText("Analysis not available for this ECG.")
        else:
            parts = []
            if m is not None and m.n_beats:
                parts.append(f"{m.n_beats} beats ({m.n_ventricular_ectopic} ventricular,"
                             f" {m.n_supraventricular_ectopic} supraventricular ectopic)")
            if bad:
                parts.append("lead quality: " + ", ".join(f"{k} {v}" for k, v in bad.items()))
            parts += notes[:3]
            self.status.setText("; ".join(parts) if parts else "Program analysis")
        self.set_statements(list(statements if statements is not None else
                                 (findings.statements if findings is not None else [])), dirty=False)
        self.set_confirmation(confirmation)
        dev_st = list(info.get("device_statements") or [])
        html = ""
        if dev_st:
            html += "<b>Device statements (from the file):</b><br>" + "<br>".join(_esc(s) for s in dev_st)
        self.device_label.setText(html)
        for b in (self.btn_confirm, self.btn_add, self.btn_edit, self.btn_remove):
            b.setEnabled(True)

    def set_confirmation(self, confirmation) -> None:
        if confirmation is None:
            self.btn_confirm.setText("Confirm")
            return
        who = getattr(confirmation, "user", None) or getattr(confirmation, "confirmed_by", "?")
        when = getattr(confirmation, "confirmed_at", None) or getattr(confirmation, "created_at", None)
        when_txt = when.strftime("%Y-%m-%d %H:%M UTC") if hasattr(when, "strftime") else str(when or "")
        self.btn_confirm.setText("Confirm again")
        self.status.setText(f"Confirmed by {who} at {when_txt}. " + self.status.text())

    def set_statements(self, statements: list, dirty: bool = True) -> None:
        self.statements = list(statements)
        self._dirty = dirty
        colors = SEVERITY_COLORS[self.theme]
        self.list.clear()
        critical = [s for s in self.statements if s.critical]
        for s in self.statements:
            tag = {"program": "", "physician": " (physician)"}.get(s.source, f" ({s.source})")
            item = QListWidgetItem(f"● {s.text}{tag}")
            item.setForeground(QBrush(QColor(colors.get(s.severity, "#000000"))))
            if s.critical or s.severity == "critical":
                f = QFont()
                f.setBold(True)
                item.setFont(f)
            ev = "\n".join(f"• {e}" for e in s.evidence) or "(no criteria recorded)"
            item.setToolTip(f"{s.text}\nCode {s.code} · {s.category} · {s.severity}\n\nCriteria:\n{ev}")
            item.setData(Qt.UserRole, s)
            self.list.addItem(item)
        if critical:
            self.banner.setText("CRITICAL FINDING — review immediately: " + "; ".join(s.text for s in critical))
            self.banner.show()
        else:
            self.banner.hide()
        if dirty:
            self.statementsEdited.emit(self.statements)

    # -------------------------------------------------------------- editing
    def request_confirm(self) -> None:
        self.confirmRequested.emit(list(self.statements))

    def add_statement(self) -> None:
        dlg = StatementDialog(self)
        if dlg.exec() == QDialog.Accepted and dlg.statement() is not None:
            self.set_statements(self.statements + [dlg.statement()])

    def edit_selected(self) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        dlg = StatementDialog(self, self.statements[row])
        if dlg.exec() == QDialog.Accepted and dlg.statement() is not None:
            new = list(self.statements)
            new[row] = dlg.statement()
            self.set_statements(new)

    def remove_selected(self) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        new = list(self.statements)
        new.pop(row)
        self.set_statements(new)


def _esc(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
