"""Report tab: the PDF from `report.render_report`, previewed page by page, saved (and kept
in the database) or printed through Qt's print dialog.

The PDF is the one document: the preview and the printout are rasterised from it
(pypdfium2), so what is printed is exactly what was previewed and saved.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ecgchat_desktop.ui.workers import run_in_background

PREVIEW_DPI = 110


def build_report_pdf(doc, options_kwargs: dict, transcript: list[tuple[str, str]] | None = None,
                     narrative=None) -> bytes:
    """PDF bytes for the document on screen, with the physician's current statement list
    and confirmation (runs in a worker thread)."""
    from ecgchat_desktop.report import Confirmation, ReportOptions, TranscriptMessage, render_report

    findings = doc.findings
    if findings is not None and doc.statements:
        findings = dataclasses.replace(findings, statements=list(doc.statements),
                                       critical=any(s.critical for s in doc.statements))
    confirmation = None
    conf = doc.confirmation
    if conf is not None:
        confirmation = Confirmation(confirmed_by=conf.confirmed_by, confirmed_at=conf.confirmed_at,
                                    statements_confirmed=True, narrative_confirmed=False,
                                    comment=getattr(conf, "note", None))
    messages = [TranscriptMessage(role, text) for role, text in (transcript or [])]
    options = ReportOptions(**options_kwargs)
    return render_report(doc.ecg, findings, options, transcript=messages or None, confirmation=confirmation,
                         narrative=narrative)


def rasterise_pdf(pdf: bytes, dpi: float) -> list[np.ndarray]:
    """Each page as an RGB array [h, w, 3] at `dpi`."""
    import pypdfium2 as pdfium

    pages = []
    document = pdfium.PdfDocument(pdf)
    try:
        for i in range(len(document)):
            bitmap = document[i].render(scale=dpi / 72.0, rev_byteorder=True)  # RGB order
            pages.append(np.ascontiguousarray(bitmap.to_numpy()[:, :, :3]))
    finally:
        document.close()
    return pages


def array_to_qimage(arr: np.ndarray) -> QImage:
    h, w, _ = arr.shape
    img = QImage(arr.data, w, h, arr.strides[0], QImage.Format_RGB888)
    return img.copy()  # own the pixels: the array may go away


class ReportPanel(QWidget):
    previewReady = Signal(int)        # number of pages
    saved = Signal(str, object)       # path, report id in the database (or None)
    failed = Signal(str)

    def __init__(self, window, parent=None):
        super().__init__(parent)
        self.window = window
        self.pdf: bytes | None = None
        self._pdf_doc = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        self.refresh_btn = QPushButton("Update preview")
        self.refresh_btn.clicked.connect(self.refresh)
        self.save_btn = QPushButton("Save PDF…")
        self.save_btn.clicked.connect(self.save_dialog)
        self.print_btn = QPushButton("Print…")
        self.print_btn.clicked.connect(self.print_dialog)
        self.paper = QComboBox()
        self.paper.addItem("A4", "a4")
        self.paper.addItem("Letter", "letter")
        self.deidentify = QCheckBox("De-identified")
        self.deidentify.setToolTip("Remove the patient's name, id and birth date from the report")
        self.transcript = QCheckBox("Chat transcript")
        self.transcript.setChecked(True)
        self.llm_narrative = QCheckBox("Model-drafted narrative")
        self.llm_narrative.setToolTip("Page 2 drafted by the local language model and claim-checked "
                                      "(slower); otherwise the structured sections from the findings")
        for w in (self.refresh_btn, self.save_btn, self.print_btn, QLabel("  Paper"), self.paper,
                  self.deidentify, self.transcript, self.llm_narrative):
            row.addWidget(w)
        row.addStretch(1)
        lay.addLayout(row)
        self.status = QLabel("Open an ECG to prepare its report.")
        lay.addWidget(self.status)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.pages_host = QWidget()
        self.pages_layout = QVBoxLayout(self.pages_host)
        self.pages_layout.setAlignment(Qt.AlignHCenter | Qt.AlignTop)
        self.scroll.setWidget(self.pages_host)
        lay.addWidget(self.scroll, 1)
        self.page_labels: list[QLabel] = []
        self._set_enabled(False)

    def _set_enabled(self, has_pdf: bool) -> None:
        self.save_btn.setEnabled(has_pdf)
        self.print_btn.setEnabled(has_pdf)

    def options_kwargs(self) -> dict:
        w = self.window
        layout = w.current_layout_name()
        if layout == "single":
            layout = "3x4+1"  # the printed page always shows all leads
        flt = w.display_filter()
        return {"layout": layout, "speed_mm_s": w.speed_mm_s(), "gain_mm_mv": w.gain_mm_mv(),
                "chest_half_gain": w.half_chest.isChecked(), "paper": self.paper.currentData(),
                "deidentify": self.deidentify.isChecked(), "use_llm": False,
                "highpass_hz": flt.highpass_hz, "lowpass_hz": flt.lowpass_hz, "notch_hz": flt.notch_hz,
                "created_by": w.prefs.user_name(),
                "record_label": Path(w.doc.path).name if w.doc is not None and w.doc.path else None}

    def _transcript(self) -> list[tuple[str, str]]:
        if not self.transcript.isChecked():
            return []
        out = []
        for e in self.window.chat_panel._entries:
            if e.get("role") in ("user", "assistant") and not e.get("streaming") and e.get("text"):
                out.append((e["role"], e["text"]))
        return out

    def refresh(self) -> None:
        doc = self.window.doc
        if doc is None:
            return
        self.status.setText("Preparing the report…")
        self._set_enabled(False)
        kwargs = self.options_kwargs()
        transcript = self._transcript()
        use_llm = self.llm_narrative.isChecked() and doc.findings is not None
        model_path = str(self.window.prefs.get("model/path") or "") or None

        def work():
            narrative, note = None, ""
            if use_llm:
                try:
                    narrative = self._draft_narrative(doc, kwargs, model_path)
                except Exception as exc:  # no model: the structured page 2 instead, and say so
                    note = f" Model narrative not available ({exc}); structured sections printed."
            pdf = build_report_pdf(doc, kwargs, transcript, narrative)
            return pdf, rasterise_pdf(pdf, PREVIEW_DPI), note

        run_in_background(work, on_done=self._on_rendered, on_error=self._on_failed, owner=self)

    def _draft_narrative(self, doc, kwargs: dict, model_path):
        """Page 2 by the language model (worker thread; one model, one draft at a time)."""
        import threading

        from ecgchat_desktop.report import ReportOptions
        from ecgchat_desktop.report.narrative import make_drafter

        lock = self.__dict__.setdefault("_drafter_lock", threading.Lock())
        with lock:
            if getattr(self, "_drafter", None) is None or self._drafter_model != model_path:
                self._drafter = make_drafter(model_path)
                self._drafter_model = model_path
            return self._drafter(doc.ecg, doc.findings, ReportOptions(**dict(kwargs, use_llm=True)))

    def _on_failed(self, exc) -> None:
        self.status.setText(f"Report not available: {type(exc).__name__}: {exc}")
        self.failed.emit(str(exc))

    def _on_rendered(self, result) -> None:
        pdf, pages, note = result
        self.pdf = pdf
        for label in self.page_labels:
            self.pages_layout.removeWidget(label)
            label.deleteLater()
        self.page_labels = []
        for arr in pages:
            label = QLabel()
            label.setPixmap(QPixmap.fromImage(array_to_qimage(arr)))
            label.setStyleSheet("QLabel { background: white; border: 1px solid #999; }")
            self.pages_layout.addWidget(label)
            self.page_labels.append(label)
        self.status.setText(f"{len(pages)} page(s), {len(pdf) // 1024} KB — unconfirmed statements are "
                            "printed as a program draft." + note)
        self._set_enabled(True)
        self.previewReady.emit(len(pages))

    # -------------------------------------------------------------- save
    def save_dialog(self) -> None:
        if self.pdf is None:
            return
        doc = self.window.doc
        name = (Path(doc.path).stem if doc is not None and doc.path else "ecg") + "-report.pdf"
        path, _ = QFileDialog.getSaveFileName(self, "Save report", str(Path.home() / name), "PDF (*.pdf)")
        if path:
            self.save_to(path)

    def save_to(self, path: str) -> None:
        """Write the PDF (atomically) and keep a copy in the database with who made it."""
        if self.pdf is None:
            raise RuntimeError("no report rendered yet")
        target = Path(path)
        tmp = target.with_name(target.name + ".part")
        tmp.write_bytes(self.pdf)
        tmp.replace(target)
        w = self.window
        doc = w.doc
        if w.store is None or doc is None or doc.record_id is None:
            self.status.setText(f"Saved {target} (not kept in the database: ECG not stored).")
            self.saved.emit(str(target), None)
            return
        conf_id = doc.confirmation.id if doc.confirmation is not None else None
        pdf, store, rid, user = self.pdf, w.store, doc.record_id, w.prefs.user_name()

        def done(report_id):
            self.status.setText(f"Saved {target} and kept it in the database (report {report_id}).")
            self.saved.emit(str(target), report_id)

        run_in_background(store.add_report, rid, pdf, user, confirmation_id=conf_id, on_done=done,
                          on_error=self._on_failed, owner=self)

    # -------------------------------------------------------------- print
    def print_dialog(self) -> None:
        if self.pdf is None:
            return
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter(QPrinter.HighResolution)
        dlg = QPrintDialog(printer, self)
        dlg.setWindowTitle("Print ECG report")
        if dlg.exec() == QPrintDialog.Accepted:
            self.print_to(printer)

    def print_to(self, printer) -> int:
        """Draw every page of the PDF onto `printer` at its resolution; returns pages printed."""
        from PySide6.QtGui import QPageLayout, QPageSize

        if self.pdf is None:
            raise RuntimeError("no report rendered yet")
        size = QPageSize(QPageSize.A4 if self.paper.currentData() == "a4" else QPageSize.Letter)
        printer.setPageLayout(QPageLayout(size, QPageLayout.Landscape, printer.pageLayout().margins()))
        dpi = min(300, max(150, printer.resolution()))
        pages = rasterise_pdf(self.pdf, dpi)
        painter = QPainter()
        if not painter.begin(printer):
            raise RuntimeError("the printer could not be opened")
        try:
            for i, arr in enumerate(pages):
                if i:
                    printer.newPage()
                img = array_to_qimage(arr)
                target = painter.viewport()
                scaled = img.size().scaled(target.size(), Qt.KeepAspectRatio)
                painter.drawImage(QRectF(0, 0, scaled.width(), scaled.height()), img)
        finally:
            painter.end()
        self.status.setText(f"Printed {len(pages)} page(s) at {datetime.now():%H:%M}.")
        return len(pages)
