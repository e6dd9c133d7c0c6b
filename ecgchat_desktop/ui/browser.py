"""Patient browser: patients and their ECGs from the database, newest first, with one search
field for name, patient id, date (YYYY-MM-DD, or YYYY-MM for a month) or statement code,
and the critical flag visible on every ECG."""

from __future__ import annotations

import calendar
import re
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ecgchat_desktop.ui.workers import run_in_background

_DAY = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")
_MONTH = re.compile(r"^\s*(\d{4})-(\d{2})\s*$")


def parse_query(text: str, known_codes: set[str] | frozenset[str] = frozenset()) -> dict:
    """Turn the search field into store.search() arguments."""
    text = (text or "").strip()
    if not text:
        return {}
    m = _DAY.match(text)
    if m:
        d = date(int(m[1]), int(m[2]), int(m[3]))
        return {"date_from": d, "date_to": d}
    m = _MONTH.match(text)
    if m:
        y, mo = int(m[1]), int(m[2])
        return {"date_from": date(y, mo, 1), "date_to": date(y, mo, calendar.monthrange(y, mo)[1])}
    if text.upper() in known_codes or text in known_codes:
        return {"statement_code": text.upper() if text.upper() in known_codes else text}
    return {"text": text}


def _known_codes() -> frozenset[str]:
    try:
        from ecgchat_desktop.interpret.vocabulary import load_vocabulary

        return frozenset(load_vocabulary())
    except Exception:  # no vocabulary: codes are searched as text
        return frozenset()


class BrowserPanel(QWidget):
    recordActivated = Signal(int)
    refreshed = Signal(int)      # number of ECGs listed

    def __init__(self, parent=None):
        super().__init__(parent)
        self.store = None
        self.critical_color = "#b00020"
        self._codes: frozenset[str] | None = None   # loaded in the first search's worker
        self._serial = 0
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setObjectName("browserSearch")
        self.search.setPlaceholderText("Search: name, patient id, 2024-05-17, or code (AFIB)…")
        self.search.setClearButtonEnabled(True)
        row.addWidget(self.search, 1)
        self.critical_only = QCheckBox("Critical")
        self.critical_only.setToolTip("Only ECGs with a critical finding")
        row.addWidget(self.critical_only)
        lay.addLayout(row)
        self.tree = QTreeWidget()
        self.tree.setObjectName("browserTree")
        self.tree.setHeaderLabels(["Patient / ECG", "Recorded", "Flags"])
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.itemActivated.connect(self._on_activated)
        self.tree.itemDoubleClicked.connect(self._on_activated)
        lay.addWidget(self.tree, 1)
        self.status = QLabel("Database not open yet.")
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.critical_only.toggled.connect(lambda _c: self.refresh())

    def set_store(self, store) -> None:
        self.store = store
        if store is None:
            self.status.setText("Database not available: the browser is empty.")
            return
        self.refresh()

    def refresh(self) -> None:
        if self.store is None:
            return
        self._serial += 1
        serial = self._serial
        text, store = self.search.text(), self.store

        def work():
            if self._codes is None:
                self._codes = _known_codes()
            return store.search(limit=500, **parse_query(text, self._codes))

        run_in_background(work, on_done=lambda rows, s=serial: self._show(rows, s),
                          on_error=lambda e: self.status.setText(f"Search failed: {e}"), owner=self)

    def _show(self, rows, serial: int) -> None:
        if serial != self._serial:
            return
        if self.critical_only.isChecked():
            rows = [r for r in rows if r.critical]
        self.tree.clear()
        groups: dict[object, QTreeWidgetItem] = {}
        bold = QFont()
        bold.setBold(True)
        for r in rows:  # already newest first; patients appear in order of their newest ECG
            key = r.patient_id if r.patient_id is not None else "none"
            parent = groups.get(key)
            if parent is None:
                who = r.patient_name or (f"ID {r.patient_external_id}" if r.patient_external_id else "(no patient)")
                parent = QTreeWidgetItem([who, r.patient_external_id or "", ""])
                parent.setFont(0, bold)
                parent.setData(0, Qt.UserRole, None)
                self.tree.addTopLevelItem(parent)
                parent.setExpanded(True)
                groups[key] = parent
            when = r.acquired_at.strftime("%Y-%m-%d %H:%M") if r.acquired_at else "date unknown"
            flags = []
            if r.critical:
                flags.append("⚠ CRITICAL")
            if r.confirmed:
                flags.append("✓ confirmed")
            codes = ", ".join(r.statement_codes[:4])
            name = Path(r.source_path).name if r.source_path else r.source_format
            dur = f"{r.duration_s:.0f} s" if r.duration_s < 120 else f"{r.duration_s / 60:.0f} min"
            item = QTreeWidgetItem([name, when, " ".join(flags + [codes]).strip()])
            item.setToolTip(1, f"{r.source_format}, {r.n_leads} leads, {dur}")
            item.setData(0, Qt.UserRole, r.id)
            item.setToolTip(0, f"{r.source_path or '(from the database)'}\n{r.source_format}, {r.n_leads} leads, {dur}")
            item.setToolTip(2, ", ".join(r.statement_codes))
            if r.critical:
                for c in range(3):
                    item.setForeground(c, QBrush(QColor(self.critical_color)))
                item.setFont(2, bold)
            parent.addChild(item)
            if r.critical:
                parent.setForeground(0, QBrush(QColor(self.critical_color)))
        for c in range(3):
            self.tree.resizeColumnToContents(c)
        n_pat = len(groups)
        self.status.setText(f"{len(rows)} ECG(s) of {n_pat} patient(s)" +
                            (" matching the search" if self.search.text().strip() else ", newest first"))
        self.refreshed.emit(len(rows))

    def _on_activated(self, item: QTreeWidgetItem, _col: int = 0) -> None:
        rid = item.data(0, Qt.UserRole)
        if rid is not None:
            self.recordActivated.emit(int(rid))

    def record_ids(self) -> list[int]:
        out = []
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            for j in range(top.childCount()):
                out.append(int(top.child(j).data(0, Qt.UserRole)))
        return out
