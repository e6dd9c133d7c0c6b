"""Serial comparison: this ECG and the same patient's previous one from the database,
stacked or side by side, with the measurements of both and the statements that appeared
or disappeared. Values come from each ECG's stored analysis; nothing is re-measured."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ecgchat_desktop.ui import paper_layout as pl
from ecgchat_desktop.ui.document import load_from_store
from ecgchat_desktop.ui.ecg_view import EcgPaperView
from ecgchat_desktop.ui.findings_panel import _ROWS, fmt_value
from ecgchat_desktop.ui.workers import run_in_background


def _value(findings, attr: str):
    if findings is None:
        return None
    m = findings.measurements
    if attr.startswith("qtc:"):
        return (m.qtc_ms or {}).get(attr[4:])
    return getattr(m, attr, None)


def measurement_changes(prev_findings, cur_findings) -> list[tuple[str, str, str, str]]:
    """(label, previous, current, difference) for the global measurements."""
    rows = []
    for label, attr, _dev, unit in _ROWS:
        a, b = _value(prev_findings, attr), _value(cur_findings, attr)
        diff = "" if a is None or b is None else f"{b - a:+.0f} {unit}".replace(" °", "°")
        rows.append((label, fmt_value(a, unit), fmt_value(b, unit), diff))
    return rows


def statement_changes(prev_statements, cur_statements) -> dict[str, list[str]]:
    prev = {s.code: s.text for s in prev_statements}
    cur = {s.code: s.text for s in cur_statements}
    return {
        "new": [cur[c] for c in cur if c not in prev],
        "gone": [prev[c] for c in prev if c not in cur],
        "same": [cur[c] for c in cur if c in prev],
    }


class ComparePanel(QWidget):
    compared = Signal(object)     # the previous OpenDocument, or None

    def __init__(self, window, parent=None):
        super().__init__(parent)
        self.window = window
        self.prev = None
        self._for_doc = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        self.title = QLabel("Open a stored ECG to compare it with the patient's previous one.")
        self.title.setTextFormat(Qt.RichText)
        row.addWidget(self.title, 1)
        self.mode = QComboBox()
        self.mode.addItem("Stacked", Qt.Vertical)
        self.mode.addItem("Side by side", Qt.Horizontal)
        self.mode.currentIndexChanged.connect(lambda _i: self.splitter.setOrientation(self.mode.currentData()))
        row.addWidget(self.mode)
        lay.addLayout(row)
        outer = QSplitter(Qt.Vertical)
        self.splitter = QSplitter(Qt.Vertical)
        self.current_view = EcgPaperView(theme=window.theme)
        self.previous_view = EcgPaperView(theme=window.theme)
        self.splitter.addWidget(self.current_view)
        self.splitter.addWidget(self.previous_view)
        outer.addWidget(self.splitter)
        bottom = QWidget()
        b = QHBoxLayout(bottom)
        b.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Measurement", "Previous", "Current", "Difference"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.verticalHeader().setDefaultSectionSize(20)
        b.addWidget(self.table, 1)
        self.statements = QLabel()
        self.statements.setWordWrap(True)
        self.statements.setTextFormat(Qt.RichText)
        self.statements.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        b.addWidget(self.statements, 1)
        outer.addWidget(bottom)
        outer.setStretchFactor(0, 3)
        outer.setStretchFactor(1, 1)
        lay.addWidget(outer, 1)

    def refresh(self) -> None:
        doc = self.window.doc
        store = self.window.store
        self._for_doc = doc
        if doc is None or store is None or doc.record_id is None:
            self.title.setText("Comparison needs an ECG stored in the database.")
            self.compared.emit(None)
            return
        self.title.setText("Looking for the previous ECG of this patient…")
        flt = self.window.display_filter()

        def work():
            summary = store.previous_ecg(doc.record_id)
            if summary is None:
                return None
            return load_from_store(store, summary.id, flt)

        run_in_background(work, on_done=lambda prev, d=doc: self._show(d, prev),
                          on_error=lambda e: self.title.setText(f"Comparison not available: {e}"), owner=self)

    def _show(self, doc, prev) -> None:
        if doc is not self.window.doc:
            return
        self.prev = prev
        if prev is None:
            self.title.setText("No earlier ECG of this patient in the database.")
            self.previous_view.clear_paper()
            self.table.setRowCount(0)
            self.statements.setText("")
            self.compared.emit(None)
            return
        w = self.window

        def when(d):
            return d.ecg.acquired_at.strftime("%Y-%m-%d %H:%M") if d.ecg.acquired_at else "date unknown"

        self.title.setText(f"<b>Current</b> {when(doc)} (top / left) &nbsp; vs &nbsp; <b>previous</b> {when(prev)}")
        layout = w.current_layout_name()
        for view, d in ((self.current_view, doc), (self.previous_view, prev)):
            e = d.ecg
            lay = pl.build_layout(e.lead_names, e.n_samples, e.sampling_rate_hz, layout, w.speed_mm_s(),
                                  w.gain_mm_mv(), w.half_chest.isChecked())
            view.show_layout(d.display_mv, e.sampling_rate_hz, lay,
                             f"{when(d)} · {lay.speed_mm_s:g} mm/s · {lay.gain_mm_mv:g} mm/mV",
                             initial_seconds=10.0 if e.duration_s > 12 and lay.layout in ("12x1", "single") else None)
        rows = measurement_changes(prev.findings, doc.findings)
        self.table.setRowCount(len(rows))
        for r, values in enumerate(rows):
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.table.setItem(r, c, item)
        ch = statement_changes(prev.statements, doc.statements)

        def block(title, items, color):
            if not items:
                return ""
            return f"<p><b style='color:{color}'>{title}</b><br>" + "<br>".join(items) + "</p>"

        self.statements.setText(block("New since the previous ECG:", ch["new"], "#b00020")
                                + block("No longer present:", ch["gone"], "#1f5fbf")
                                + block("Unchanged:", ch["same"], "#555555")
                                or "No statements on either ECG.")
        self.compared.emit(prev)
