"""The workstation window: tracing in the middle, findings and chat on the right, the
patient browser on the left. All slow work runs through `workers.run_in_background`."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollBar,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ecgchat_desktop.ui import paper_layout as pl
from ecgchat_desktop.ui import window_actions
from ecgchat_desktop.ui.calipers import CaliperSet, TimeCaliper
from ecgchat_desktop.ui.display_filter import DisplayFilter, apply_display_filter
from ecgchat_desktop.ui.document import (
    OpenDocument,
    analyse_and_store,
    fiducials_of,
    load_from_store,
    read_for_display,
    segment_summary,
)
from ecgchat_desktop.ui.ecg_view import EcgPaperView
from ecgchat_desktop.ui.findings_panel import FindingsPanel
from ecgchat_desktop.ui.preferences import Preferences
from ecgchat_desktop.ui.theme import apply_theme
from ecgchat_desktop.ui.workers import run_in_background

OPEN_FILTER = ("ECG files (*.hea *.dat *.dcm *.xml *.scp *.csv *.mat *.edf *.txt);;"
               "WFDB (*.hea);;DICOM (*.dcm);;XML (HL7 aECG, Philips, GE MUSE) (*.xml);;SCP-ECG (*.scp);;"
               "CSV (*.csv);;All files (*)")


_ECG_SUFFIXES = {".hea", ".dcm", ".xml", ".scp", ".csv"}
_MAX_FOLDER_FILES = 500


class MainWindow(QMainWindow):
    documentShown = Signal(object)      # OpenDocument, tracing drawn
    analysisShown = Signal(object)      # OpenDocument, findings shown (and stored when possible)
    openFailed = Signal(str)            # the message shown to the user
    storeReady = Signal(object)
    confirmed = Signal(int)             # confirmation id
    segmentQuestion = Signal(str)       # "ask about this segment" text, for the chat
    componentsReady = Signal()          # readers, analysis, report modules imported

    def __init__(self, prefs: Preferences | None = None, open_store_in_background: bool = True,
                 load_model: bool = True):
        super().__init__()
        # Model calls and database waits hold a pool thread each; two cores must not mean two threads.
        from PySide6.QtCore import QThreadPool

        pool = QThreadPool.globalInstance()
        pool.setMaxThreadCount(max(pool.maxThreadCount(), 6))
        self.prefs = prefs or Preferences()
        self.setWindowTitle("ECG-Chat Desktop")
        self.setAcceptDrops(True)
        self.doc: OpenDocument | None = None
        self.store = None
        self.store_error: str | None = None
        self._store_event = threading.Event()
        self._generation = 0
        self._busy = 0
        self.last_error: str | None = None
        self.theme = str(self.prefs.get("view/theme"))
        self._build_views()
        self._build_actions()
        self._build_toolbar()
        self._build_menus()
        self._build_statusbar()
        self._apply_prefs_to_controls()
        self.resize(1600, 1000)
        # Most of the width for the tracing; the side panels stay readable.
        self.resizeDocks([self.browser_dock, self.findings_dock], [240, 440], Qt.Horizontal)
        self.resizeDocks([self.findings_dock, self.chat_dock], [520, 420], Qt.Vertical)
        if open_store_in_background:
            self._open_store()
        from ecgchat_desktop.ui.analysis_process import shutdown_on_quit

        shutdown_on_quit(QApplication.instance())  # the analysis process ends with the application
        self._warm_up()
        if load_model:
            self.chat_controller.load_model()

    # ================================================================ construction
    def _build_views(self) -> None:
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        tracing = QWidget()
        v = QVBoxLayout(tracing)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(2)
        self.header = QLabel("Open an ECG: File → Open (Ctrl+O), drag a file here, or pick one in the browser.")
        self.header.setObjectName("ecgHeader")
        self.header.setTextFormat(Qt.RichText)
        self.header.setContentsMargins(6, 4, 6, 2)
        v.addWidget(self.header)
        self.view = EcgPaperView(theme=self.theme)
        v.addWidget(self.view, 1)
        self.time_scroll = QScrollBar(Qt.Horizontal)
        self.time_scroll.setToolTip("Time in the recording (long recordings)")
        self.time_scroll.hide()
        self.time_scroll.valueChanged.connect(self._on_time_scroll)
        v.addWidget(self.time_scroll)
        self.view.rangeChangedMm.connect(self._sync_time_scroll)
        self.calipers = CaliperSet(self.view)
        self.calipers.changed.connect(self._update_caliper_readout)
        self.tabs.addTab(tracing, "Tracing")
        self.median_view = EcgPaperView(theme=self.theme)
        median_page = QWidget()
        mv = QVBoxLayout(median_page)
        mv.setContentsMargins(0, 0, 0, 0)
        self.median_label = QLabel("Median beats appear here after analysis.")
        self.median_label.setContentsMargins(6, 4, 6, 2)
        mv.addWidget(self.median_label)
        mv.addWidget(self.median_view, 1)
        self.tabs.addTab(median_page, "Median beats")
        from ecgchat_desktop.ui.report_panel import ReportPanel

        self.report_panel = ReportPanel(self)
        self.report_panel.paper.setCurrentIndex(max(0, self.report_panel.paper.findData(
            str(self.prefs.get("report/paper_size")).lower())))
        self.report_panel.deidentify.setChecked(bool(self.prefs.get("report/deidentify")))
        self.tabs.addTab(self.report_panel, "Report")
        from ecgchat_desktop.ui.compare_panel import ComparePanel

        self.compare_panel = ComparePanel(self)
        self.tabs.addTab(self.compare_panel, "Compare")
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.setCentralWidget(self.tabs)

        self.findings_panel = FindingsPanel(theme=self.theme)
        self.findings_panel.confirmRequested.connect(self.confirm_statements)
        self.findings_dock = QDockWidget("Findings", self)
        self.findings_dock.setObjectName("findingsDock")
        self.findings_dock.setWidget(self.findings_panel)
        self.addDockWidget(Qt.RightDockWidgetArea, self.findings_dock)

        from ecgchat_desktop.ui.browser import BrowserPanel

        self.browser = BrowserPanel()
        from ecgchat_desktop.ui.theme import SEVERITY_COLORS

        self.browser.critical_color = SEVERITY_COLORS[self.theme]["critical"]
        self.browser.recordActivated.connect(self.open_record)
        self.browser_dock = QDockWidget("Patients", self)
        self.browser_dock.setObjectName("browserDock")
        self.browser_dock.setWidget(self.browser)
        self.addDockWidget(Qt.LeftDockWidgetArea, self.browser_dock)

        from ecgchat_desktop.ui.chat_panel import ChatController, ChatPanel

        self.chat_controller = ChatController({
            "path": self.prefs.get("model/path"), "n_ctx": self.prefs.get("model/n_ctx"),
            "n_threads": self.prefs.get("model/n_threads"), "n_gpu_layers": self.prefs.get("model/n_gpu_layers")})
        self.chat_panel = ChatPanel(self.chat_controller)
        self.chat_dock = QDockWidget("Chat", self)
        self.chat_dock.setObjectName("chatDock")
        self.chat_dock.setWidget(self.chat_panel)
        self.addDockWidget(Qt.RightDockWidgetArea, self.chat_dock)
        self.splitDockWidget(self.findings_dock, self.chat_dock, Qt.Vertical)
        self.chat_controller.modelStatus.connect(lambda _s, text: self.model_label.setText(text))
        self.segmentQuestion.connect(self._on_segment_question)

    def _build_actions(self) -> None:
        window_actions.build_actions(self)

    def _build_toolbar(self) -> None:
        window_actions.build_toolbars(self)

    def _build_menus(self) -> None:
        window_actions.build_menus(self)

    def _build_statusbar(self) -> None:
        window_actions.build_statusbar(self)

    def _apply_prefs_to_controls(self) -> None:
        p = self.prefs

        def select(combo, value):
            for i in range(combo.count()):
                if abs(float(combo.itemData(i) or 0) - float(value or 0)) < 1e-9:
                    combo.setCurrentIndex(i)
                    return

        self._loading_controls = True
        i = self.layout_combo.findData(p.get("view/layout"))
        self.layout_combo.setCurrentIndex(max(0, i))
        select(self.speed_combo, p.get("view/speed_mm_s"))
        select(self.gain_combo, p.get("view/gain_mm_mv"))
        self.half_chest.setChecked(bool(p.get("view/chest_half_gain")))
        select(self.hp_combo, p.get("view/highpass_hz"))
        select(self.lp_combo, p.get("view/lowpass_hz"))
        select(self.notch_combo, p.get("view/notch_hz"))
        self.act_fiducials.setChecked(bool(p.get("view/fiducials")))
        self.act_dark.setChecked(self.theme == "dark")
        self._loading_controls = False
        self._sync_layout_actions()

    def _bg(self, fn, *args, on_done=None, on_error=None, **kwargs):
        return run_in_background(fn, *args, on_done=on_done, on_error=on_error, owner=self, **kwargs)

    # ================================================================ busy indicator
    def _begin_busy(self, text: str) -> None:
        self._busy += 1
        self.busy_bar.show()
        self.busy_label.setText(text)

    def _end_busy(self, text: str = "") -> None:
        self._busy = max(0, self._busy - 1)
        if self._busy == 0:
            self.busy_bar.hide()
        self.busy_label.setText(text)

    def is_busy(self) -> bool:
        return self._busy > 0

    # ================================================================ start-up
    def _warm_up(self) -> None:
        """Import the heavy modules (readers, scipy, analysis, report) in a worker now, so the
        first file opens without the import pause and the window appeared at once."""
        self.components_ready = False

        def work():
            import importlib

            try:
                from ecgchat_desktop.io.detect import _reader_modules

                _reader_modules()  # every reader and its format library
            except Exception:  # a broken reader surfaces when a file of its kind is opened
                pass
            for name in ("wfdb", "pydicom", "scipy.interpolate", "ecgchat_desktop.io.wfdb_reader", "ecgchat_desktop.io.dicom", "scipy.signal",
                         "ecgchat_desktop.findings", "ecgchat_desktop.analysis", "ecgchat_desktop.interpret",
                         "ecgchat_desktop.report", "pypdfium2", "ecgchat_desktop.chat.knowledge"):
                try:
                    importlib.import_module(name)
                except ImportError:  # a part not in this build: the window says so when it is used
                    pass
            try:
                from ecgchat_desktop.chat.knowledge import load_knowledge

                load_knowledge()
            except Exception:  # knowledge missing: the chat reports it when asked
                pass
            from ecgchat_desktop.ui.analysis_process import warm_up

            warm_up()  # the analysis process, started and imported before the first file

        def done(_r=None):
            import gc

            # The imported libraries are millions of long-lived objects; a full collection that
            # scans them all pauses every thread for a few hundred ms. Freeze them out of it.
            # Fewer, later collections of the young generations too: the window makes many
            # short-lived objects, and each full collection is a pause for the event loop.
            # (No gc.collect() first: on this heap it would itself pause the loop ~300 ms.)
            gc.freeze()
            gc.set_threshold(10_000, 20, 20)
            self.components_ready = True
            self._end_busy("Ready")
            self.componentsReady.emit()

        self._begin_busy("Loading readers, analysis and report…")
        self._bg(work, on_done=done, on_error=done)

    # ================================================================ store
    def _open_store(self) -> None:
        url = str(self.prefs.get("store/url") or "") or None

        def work():
            from ecgchat_desktop.store import open_store

            return open_store(url) if url else open_store()

        self._begin_busy("Opening the database…")
        self._bg(work, on_done=self._on_store_ready, on_error=self._on_store_failed)

    def _on_store_ready(self, store) -> None:
        self.store = store
        self._store_event.set()
        self.store_label.setText("Database: ready")
        self.store_label.setToolTip(str(getattr(store, "url", "")))
        self._end_busy()
        self.browser.set_store(store)
        self.storeReady.emit(store)

    def _on_store_failed(self, exc) -> None:
        self.store_error = f"{type(exc).__name__}: {exc}"
        self._store_event.set()
        self.store_label.setText("Database: not available")
        self.store_label.setToolTip(self.store_error)
        self._end_busy()
        self.browser.set_store(None)
        self.storeReady.emit(None)

    def wait_store(self, timeout: float = 30.0):
        """For worker threads: the store once it is open (None if it could not be opened)."""
        self._store_event.wait(timeout)
        return self.store

    # ================================================================ opening
    def open_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open ECG", self._last_dir(), OPEN_FILTER)
        if paths:
            self.open_paths(paths)

    def _last_dir(self) -> str:
        recent = self.prefs.recent_files()
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    @staticmethod
    def _dedupe_paths(paths) -> list[str]:
        """A WFDB record dropped as .hea + .dat is opened once, through its header; a folder
        stands for the ECG files in it (and below it, up to a few hundred)."""
        out, seen = [], set()
        items: list[Path] = []
        for p in map(Path, paths):
            if p.is_dir():
                found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in _ECG_SUFFIXES)
                items += found[:_MAX_FOLDER_FILES]
            else:
                items.append(p)
        heads = {p.with_suffix("") for p in items if p.suffix.lower() == ".hea"}
        for p in items:
            if p.suffix.lower() == ".dat" and (p.with_suffix("") in heads or p.with_suffix(".hea").exists()):
                p = p.with_suffix(".hea")
            if str(p) not in seen:
                seen.add(str(p))
                out.append(str(p))
        return out

    def open_paths(self, paths) -> None:
        """Open each file in turn; the last one stays on screen, all are analysed and stored."""
        paths = self._dedupe_paths(paths)
        if not paths:
            return
        self._open_queue = list(paths)
        self._open_next()

    def _open_next(self) -> None:
        if not getattr(self, "_open_queue", None):
            return
        path = self._open_queue.pop(0)
        self._generation += 1
        gen = self._generation
        flt = self.display_filter()
        self._begin_busy(f"Reading {Path(path).name}…")
        self._bg(read_for_display, path, flt,
                          on_done=lambda doc, g=gen: self._on_read(doc, g),
                          on_error=lambda exc, p=path: self._on_read_failed(p, exc))

    def _on_read_failed(self, path: str, exc) -> None:
        self._end_busy()
        from ecgchat_desktop.io.errors import EcgReadError

        if isinstance(exc, EcgReadError):
            msg = str(exc)
        else:
            msg = f"{path}: {type(exc).__name__}: {exc}"
        self.last_error = msg
        self.statusBar().showMessage(f"Could not open: {msg}", 15000)
        box = QMessageBox(QMessageBox.Warning, "Cannot open ECG", msg, QMessageBox.Ok, self)
        box.setObjectName("openErrorBox")
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()  # window-modal but not blocking the event loop
        self.openFailed.emit(msg)
        self._open_next()

    def _on_read(self, doc: OpenDocument, gen: int) -> None:
        self._end_busy()
        if gen != self._generation:
            return
        self.prefs.add_recent(doc.path)
        self._rebuild_recent_menu()
        self._set_document(doc)
        if doc.display_filter != self.display_filter():  # changed while the file was being read
            self._on_filter_changed()
        self._begin_busy("Analysing…")
        user = self.prefs.user_name()
        self._bg(lambda: analyse_and_store(doc, self.wait_store(), user),
                          on_done=lambda d, g=gen: self._on_analysed(d, g),
                          on_error=lambda exc, g=gen: self._on_analysis_crashed(exc, g))

    def _on_analysed(self, doc: OpenDocument, gen: int) -> None:
        self._end_busy("Analysis done" if doc.findings is not None else "Analysis not available")
        if gen != self._generation:
            self._open_next()
            return
        self._show_findings(doc)
        if doc.record_id is not None:
            self.browser.refresh()
        if self.components_ready:
            import gc

            # What was built for this document lives as long as it is open: keep it out of
            # the full collections too, so that those stay short (see _warm_up).
            gc.freeze()
        self.analysisShown.emit(doc)
        self._open_next()

    def _on_analysis_crashed(self, exc, gen: int) -> None:
        self._end_busy()
        if gen == self._generation and self.doc is not None:
            self.doc.analysis_error = f"{type(exc).__name__}: {exc}"
            self._show_findings(self.doc)
        self._open_next()

    def open_record(self, record_id: int) -> None:
        """Open an ECG from the database (browser)."""
        if self.store is None:
            return
        self._generation += 1
        gen = self._generation
        self._begin_busy("Loading from the database…")

        def done(doc, g=gen):
            self._end_busy()
            if g != self._generation:
                return
            self._set_document(doc)
            self._show_findings(doc)
            self.analysisShown.emit(doc)

        def failed(exc):
            self._end_busy()
            self.last_error = f"record {record_id}: {exc}"
            self.statusBar().showMessage(f"Could not load record {record_id}: {exc}", 15000)

        self._bg(load_from_store, self.store, record_id, self.display_filter(),
                          on_done=done, on_error=failed)

    # ================================================================ showing
    def _set_document(self, doc: OpenDocument) -> None:
        self.doc = doc
        ecg = doc.ecg
        self.lead_combo.blockSignals(True)
        self.lead_combo.clear()
        self.lead_combo.addItems(list(ecg.lead_names))
        if "II" in ecg.lead_names:
            self.lead_combo.setCurrentText("II")
        self.lead_combo.blockSignals(False)
        self.header.setText(self._header_html(doc))
        self.setWindowTitle(f"ECG-Chat Desktop — {doc.title}")
        self.findings_panel.clear("Analysing…")
        self.redraw(fit=True)
        self.documentShown.emit(doc)

    def _header_html(self, doc: OpenDocument) -> str:
        ecg = doc.ecg
        p = ecg.patient
        parts = []
        parts.append(f"<b>{_esc(p.name)}</b>" if p.name else "<i>no patient name in the file</i>")
        if p.id:
            parts.append(f"ID {_esc(p.id)}")
        if p.sex or p.age_years is not None:
            age = f"{p.age_years:.0f} y" if p.age_years is not None else ""
            parts.append(" ".join(x for x in (p.sex or "", age) if x))
        if ecg.acquired_at:
            parts.append(ecg.acquired_at.strftime("%Y-%m-%d %H:%M"))
        dur = ecg.duration_s
        dur_txt = f"{dur:.1f} s" if dur < 120 else f"{dur / 60:.1f} min"
        parts.append(f"{ecg.source_format} · {ecg.n_leads} leads · {ecg.sampling_rate_hz:g} Hz · {dur_txt}")
        if ecg.device:
            parts.append(_esc(ecg.device))
        return " &nbsp;·&nbsp; ".join(parts)

    def _show_findings(self, doc: OpenDocument) -> None:
        self.findings_panel.show_findings(doc.findings, doc.ecg.info_dict(), doc.statements or None,
                                          doc.confirmation)
        notes = []
        if doc.analysis_error:
            notes.append(f"Analysis not available: {doc.analysis_error}")
        if doc.store_error:
            notes.append(f"Not stored: {doc.store_error}")
        if notes:
            self.findings_panel.status.setText(" ".join(notes))
        self._update_fiducials()
        self._draw_median()
        self.chat_panel.set_ecg(doc.record_id if doc.record_id is not None else id(doc), doc.findings,
                                self.store if doc.record_id is not None else None, doc.record_id,
                                self.prefs.user_name())

    def _on_segment_question(self, text: str) -> None:
        self.chat_dock.raise_()
        if not self.chat_panel.ask(text):
            self.chat_panel.input.setText(text.replace("\n", " "))

    # ---------------------------------------------------------------- display state
    def display_filter(self) -> DisplayFilter:
        return DisplayFilter(highpass_hz=float(self.hp_combo.currentData() or 0) or None,
                             lowpass_hz=float(self.lp_combo.currentData() or 0) or None,
                             notch_hz=float(self.notch_combo.currentData() or 0) or None)

    def current_layout_name(self) -> str:
        return str(self.layout_combo.currentData())

    def speed_mm_s(self) -> float:
        return float(self.speed_combo.currentData())

    def gain_mm_mv(self) -> float:
        return float(self.gain_combo.currentData())

    def set_layout(self, name: str) -> None:
        self.layout_combo.setCurrentIndex(self.layout_combo.findData(name))

    def set_speed(self, speed: float) -> None:
        self.speed_combo.setCurrentIndex(self.speed_combo.findData(float(speed)))

    def set_gain(self, gain: float) -> None:
        self.gain_combo.setCurrentIndex(self.gain_combo.findData(float(gain)))

    def _sync_layout_actions(self) -> None:
        name = self.current_layout_name()
        for a in self.layout_actions.actions():
            a.setChecked(a.data() == name)
        self.lead_combo.setVisible(name == "single")

    def _on_display_changed(self) -> None:
        if getattr(self, "_loading_controls", False):
            return
        self.prefs.set("view/layout", self.current_layout_name())
        self.prefs.set("view/speed_mm_s", self.speed_mm_s())
        self.prefs.set("view/gain_mm_mv", self.gain_mm_mv())
        self.prefs.set("view/chest_half_gain", self.half_chest.isChecked())
        self._sync_layout_actions()
        self.redraw(fit=True)
        self._draw_median()

    def _on_filter_changed(self) -> None:
        if getattr(self, "_loading_controls", False):
            return
        flt = self.display_filter()
        self.prefs.set("view/highpass_hz", flt.highpass_hz or 0.0)
        self.prefs.set("view/lowpass_hz", flt.lowpass_hz or 0.0)
        self.prefs.set("view/notch_hz", flt.notch_hz or 0.0)
        doc = self.doc
        if doc is None:
            return
        self._begin_busy("Filtering…")
        self._filter_serial = getattr(self, "_filter_serial", 0) + 1
        serial = self._filter_serial

        def done(arr, d=doc, f=flt, n=serial):
            self._end_busy()
            # Only the latest choice counts: an older filter finishing late must not win.
            if self.doc is d and n == self._filter_serial:
                d.display_mv, d.display_filter = arr, f
                self.redraw(fit=False)

        self._bg(apply_display_filter, doc.ecg.signals_mv, doc.ecg.sampling_rate_hz, flt,
                          on_done=done, on_error=lambda e: self._end_busy(f"Filter failed: {e}"))

    def _initial_seconds(self) -> float | None:
        lay = self.view.layout_
        return self._initial_seconds_for(lay) if lay is not None else None

    def footer_text(self, lay: pl.PaperLayout) -> str:
        chest = f" (chest leads {lay.chest_gain_mm_mv:g} mm/mV)" if lay.chest_gain_mm_mv != lay.gain_mm_mv else ""
        flt = self.doc.display_filter.describe() if self.doc else ""
        page = ""
        if lay.layout in ("3x4+1", "3x4+3", "6x2") and self.doc and self.doc.ecg.duration_s > lay.page_seconds + 0.5:
            page = f" · {lay.page_start_s:.0f}–{lay.page_start_s + lay.page_seconds:.0f} s of {self.doc.ecg.duration_s:.0f} s"
        return f"{lay.speed_mm_s:g} mm/s · {lay.gain_mm_mv:g} mm/mV{chest} · display filter {flt}{page}"

    def redraw(self, fit: bool = False) -> None:
        doc = self.doc
        if doc is None:
            return
        ecg = doc.ecg
        page_start = self.view.layout_.page_start_s if (self.view.layout_ is not None and not fit) else \
            getattr(self, "_page_start_s", 0.0)
        lay = pl.build_layout(ecg.lead_names, ecg.n_samples, ecg.sampling_rate_hz, self.current_layout_name(),
                              self.speed_mm_s(), self.gain_mm_mv(), self.half_chest.isChecked(),
                              page_start_s=page_start, single_lead=self.lead_combo.currentText() or None)
        self._page_start_s = lay.page_start_s
        if fit:
            self.calipers.detach_all()
        self.view.show_layout(doc.display_mv, ecg.sampling_rate_hz, lay, self.footer_text(lay),
                              keep_range=not fit, initial_seconds=self._initial_seconds_for(lay))
        if not fit:
            self.calipers.reattach()
        self._update_fiducials()
        self._setup_time_scroll(lay)

    def _initial_seconds_for(self, lay: pl.PaperLayout) -> float | None:
        if lay.layout in ("12x1", "single") and self.doc is not None and self.doc.ecg.duration_s > 12:
            return 10.0
        return None

    def _page(self, direction: int) -> None:
        lay = self.view.layout_
        if lay is None or self.doc is None:
            return
        if lay.layout in ("3x4+1", "3x4+3", "6x2"):
            self._page_start_s = max(0.0, lay.page_start_s + direction * pl.PAGE_SECONDS)
            self.redraw(fit=True)
        else:
            (x0, x1), _ = self.view.vb.viewRange()
            self.view.vb.setXRange(x0 + direction * (x1 - x0) * 0.9, x1 + direction * (x1 - x0) * 0.9, padding=0)

    # ---------------------------------------------------------------- long recordings
    def _setup_time_scroll(self, lay: pl.PaperLayout) -> None:
        long_rows = lay.layout in ("12x1", "single") and self.doc is not None and self.doc.ecg.duration_s > 12
        self.time_scroll.setVisible(long_rows)
        if long_rows:
            self.time_scroll.blockSignals(True)
            self.time_scroll.setRange(0, int(self.doc.ecg.duration_s * 10))
            self.time_scroll.setPageStep(100)
            self.time_scroll.setSingleStep(5)
            self.time_scroll.blockSignals(False)

    def _on_time_scroll(self, value: int) -> None:
        self.view.scroll_to_seconds(value / 10.0)

    def _sync_time_scroll(self, x0_mm: float, _x1_mm: float) -> None:
        lay = self.view.layout_
        if lay is None or not self.time_scroll.isVisible():
            return
        t = (x0_mm - lay.trace_x0_mm) / lay.speed_mm_s
        self.time_scroll.blockSignals(True)
        self.time_scroll.setValue(int(max(0.0, t) * 10))
        self.time_scroll.blockSignals(False)

    # ---------------------------------------------------------------- overlays and median
    def _on_fiducials_toggled(self) -> None:
        self.prefs.set("view/fiducials", self.act_fiducials.isChecked())
        self._update_fiducials()

    def _update_fiducials(self) -> None:
        doc = self.doc
        if doc is None or not self.act_fiducials.isChecked() or doc.findings is None:
            self.view.set_fiducials(None)
            return
        self.view.set_fiducials(fiducials_of(doc.findings))

    def _draw_median(self) -> None:
        """Drawn when its tab is shown (not on every display change behind the user's back)."""
        if self.tabs.currentIndex() != 1:
            self._median_dirty = True
            return
        self._median_dirty = False
        self._draw_median_now()

    def _draw_median_now(self) -> None:
        import numpy as np

        doc = self.doc
        if doc is None:
            return
        med = doc.findings.measurements.median if doc.findings is not None else None
        source = "program median beat"
        if med is not None:
            signals = np.asarray(med.signals_mv, dtype=np.float32)
            fs, names = med.sampling_rate_hz, tuple(med.lead_names)
            marks = {k: [v] for k, v in (("qrs_on", med.qrs_onset), ("qrs_off", med.qrs_offset),
                                         ("p_on", med.p_onset), ("p_off", med.p_offset),
                                         ("t_off", med.t_offset), ("r", med.r_index)) if v is not None}
            source += f" ({med.n_beats_used} dominant beats)"
        elif doc.ecg.median_beats is not None:
            mb = doc.ecg.median_beats
            signals, fs, names, marks = mb.signals_mv, mb.sampling_rate_hz, tuple(mb.lead_names), None
            source = "device median beats (from the file)"
        else:
            self.median_view.clear_paper()
            self.median_label.setText("No median beat: analysis not available and the file carries none.")
            return
        speed = max(self.speed_mm_s(), 50.0)
        lay = pl.build_median_layout(names, signals.shape[1], fs, speed, self.gain_mm_mv(), self.half_chest.isChecked())
        self.median_view.show_layout(signals, fs, lay, f"{source} · {speed:g} mm/s · {self.gain_mm_mv():g} mm/mV")
        self.median_view.set_fiducials(marks)
        self.median_label.setText(f"Median beats — {source}. Markers: global P, QRS and T onsets/offsets.")

    def actual_size(self) -> None:
        """Zoom so that one paper millimetre is one millimetre on this screen."""
        screen = self.screen() or QApplication.primaryScreen()
        px_per_mm = screen.physicalDotsPerInchX() / 25.4 / max(self.devicePixelRatioF(), 1.0)
        vb = self.view.vb
        (x0, _x1), (_y0, y1) = vb.viewRange()
        w_mm = vb.width() / px_per_mm
        h_mm = vb.height() / px_per_mm
        vb.setRange(xRange=(x0, x0 + w_mm), yRange=(y1 - h_mm, y1), padding=0)

    # ================================================================ report
    def _on_tab_changed(self, index: int) -> None:
        if index == 1 and getattr(self, "_median_dirty", True):
            self._draw_median()
        if self.tabs.widget(index) is self.compare_panel and self.compare_panel._for_doc is not self.doc:
            self.compare_panel.refresh()
        if self.tabs.widget(index) is self.report_panel and self.doc is not None \
                and getattr(self.report_panel, "_doc_shown", None) is not self.doc:
            self.report_panel._doc_shown = self.doc
            self.report_panel.refresh()

    def _with_report(self, then) -> None:
        self.tabs.setCurrentWidget(self.report_panel)
        if self.report_panel.pdf is not None and getattr(self.report_panel, "_doc_shown", None) is self.doc:
            then()
            return

        def once(_n):
            self.report_panel.previewReady.disconnect(once)
            then()
        self.report_panel.previewReady.connect(once)
        self.report_panel._doc_shown = self.doc
        self.report_panel.refresh()

    def save_report(self) -> None:
        if self.doc is not None:
            self._with_report(self.report_panel.save_dialog)

    def print_report(self) -> None:
        if self.doc is not None:
            self._with_report(self.report_panel.print_dialog)

    # ================================================================ calipers
    def _update_caliper_readout(self) -> None:
        c = self.calipers.active
        self.caliper_readout.setText(c.text() if c is not None else "")
        self.act_march.blockSignals(True)
        self.act_march.setChecked(isinstance(c, TimeCaliper) and c.marching)
        self.act_march.blockSignals(False)

    def _toggle_march(self) -> None:
        cal = self.calipers.active_time()
        if cal is None:
            cal = self.calipers.add_time()
        cal.set_marching(self.act_march.isChecked())

    def segment_question(self) -> str | None:
        """The text "ask about this segment" sends: the span and the analysis of its beats."""
        cal = self.calipers.active_time()
        if cal is None or self.doc is None:
            return None
        t0, t1 = cal.times_s()
        return segment_summary(self.doc.findings, self.doc.ecg.sampling_rate_hz, t0, t1, cal.interval_ms())

    def ask_about_segment(self) -> None:
        text = self.segment_question()
        if text is None:
            self.statusBar().showMessage("Place a time caliper (T) over the segment first.", 8000)
            return
        self.segmentQuestion.emit(text)

    # ================================================================ confirmation
    def confirm_statements(self, statements: list) -> None:
        doc = self.doc
        if doc is None:
            return
        if self.store is None or doc.record_id is None:
            self._notify("Cannot confirm: this ECG is not stored in the database "
                         f"({doc.store_error or self.store_error or 'database not ready'}).")
            return
        user = self.prefs.user_name()
        store, record_id = self.store, doc.record_id
        self._begin_busy("Storing confirmation…")

        def work():
            cid = store.confirm_statements(record_id, statements, user)
            return cid, store.latest_confirmation(record_id)

        def done(result, d=doc):
            cid, conf = result
            self._end_busy(f"Confirmed by {user}")
            d.statements = list(statements)
            d.confirmation = conf
            if self.doc is d:
                self.findings_panel.show_findings(d.findings, d.ecg.info_dict(), d.statements, conf)
            self.browser.refresh()
            self.confirmed.emit(int(cid))

        self._bg(work, on_done=done, on_error=lambda e: (self._end_busy(), self._notify(f"Confirmation failed: {e}")))

    # ================================================================ settings
    def open_settings(self):
        from ecgchat_desktop.ui.settings_dialog import show_settings

        return show_settings(self)

    def apply_settings(self, changed: dict) -> None:
        """Take persisted settings into use (called after the settings dialog)."""
        if any(k.startswith("view/") and k != "view/theme" for k in changed):
            self._apply_prefs_to_controls()
            self._on_display_changed()
        if "view/theme" in changed:
            self.act_dark.setChecked(changed["view/theme"] == "dark")
            self.set_theme(changed["view/theme"])
        if "report/paper_size" in changed:
            self.report_panel.paper.setCurrentIndex(max(0, self.report_panel.paper.findData(
                str(changed["report/paper_size"]).lower())))
        if "report/deidentify" in changed:
            self.report_panel.deidentify.setChecked(bool(changed["report/deidentify"]))
        if any(k.startswith("model/") for k in changed):
            self.chat_controller.shutdown()
            self.chat_controller.model_settings = {
                "path": self.prefs.get("model/path"), "n_ctx": self.prefs.get("model/n_ctx"),
                "n_threads": self.prefs.get("model/n_threads"), "n_gpu_layers": self.prefs.get("model/n_gpu_layers")}
            self.chat_controller.load_model()

    # ================================================================ misc
    def _notify(self, text: str) -> None:
        self.last_error = text
        self.statusBar().showMessage(text, 15000)
        box = QMessageBox(QMessageBox.Information, "ECG-Chat Desktop", text, QMessageBox.Ok, self)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.prefs.recent_files()
        for i, path in enumerate(recent):
            a = self.recent_menu.addAction(f"&{(i + 1) % 10} {Path(path).name}")
            a.setToolTip(path)
            a.triggered.connect(lambda _c=False, p=path: self.open_paths([p]))
        self.recent_menu.setEnabled(bool(recent))

    def _on_theme_toggled(self) -> None:
        self.set_theme("dark" if self.act_dark.isChecked() else "light")

    def set_theme(self, theme: str) -> None:
        self.theme = theme
        self.prefs.set("view/theme", theme)
        app = QApplication.instance()
        if app is not None:
            apply_theme(app, theme)
        self.view.set_theme(theme)
        self.median_view.set_theme(theme)
        self.findings_panel.theme = theme
        from ecgchat_desktop.ui.theme import SEVERITY_COLORS

        self.browser.critical_color = SEVERITY_COLORS[theme]["critical"]
        self.browser.refresh()
        self.compare_panel.current_view.set_theme(theme)
        self.compare_panel.previous_view.set_theme(theme)
        if self.doc is not None:
            self._show_findings(self.doc)

    def show_shortcuts(self) -> None:
        rows = []
        for a in self.actions():
            if a.shortcut().toString():
                rows.append(f"<tr><td><b>{a.shortcut().toString()}</b></td><td>{_esc(a.text().replace('&', ''))}</td></tr>")
        box = QMessageBox(QMessageBox.NoIcon, "Keyboard shortcuts", "<table>" + "".join(rows) + "</table>",
                          QMessageBox.Ok, self)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()

    def show_about(self) -> None:
        from ecgchat_desktop import __version__

        box = QMessageBox(QMessageBox.Information, "About ECG-Chat Desktop",
                          f"ECG-Chat Desktop {__version__}\n\nOffline ECG workstation. Decision support only: "
                          "every program statement and every language-model sentence is a draft until a "
                          "physician confirms it.", QMessageBox.Ok, self)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()

    # drag and drop ---------------------------------------------------------
    def dragEnterEvent(self, event):
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event):
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_paths(paths)

    def closeEvent(self, event):
        self.prefs.sync()
        self.chat_controller.shutdown()
        super().closeEvent(event)


def _esc(text) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
