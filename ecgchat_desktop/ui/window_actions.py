"""The window's actions (with their keyboard shortcuts), toolbars, menus and status bar.

Built once by `MainWindow`; every action calls a method of the window, so this module holds
only wiring, no behaviour."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QProgressBar, QToolBar

from ecgchat_desktop.ui import paper_layout as pl
from ecgchat_desktop.ui.display_filter import HIGHPASS_CHOICES_HZ, LOWPASS_CHOICES_HZ, NOTCH_CHOICES_HZ


def _encoder_status() -> str:
    """Whether this build has an ECG encoder model (found without importing onnxruntime)."""
    from ecgchat_desktop.settings import MODELS_DIR

    models = list(MODELS_DIR.glob("*.onnx")) if MODELS_DIR.is_dir() else []
    return "ECG encoder: " + (models[0].stem if models else "none installed")


def _hz_label(v: float | None) -> str:
    return "off" if not v else f"{v:g} Hz"


def build_actions(win) -> None:
    def act(text, slot, shortcut=None, checkable=False, tip=None):
        a = QAction(text, win)
        if shortcut:
            a.setShortcut(QKeySequence(shortcut))
        a.setCheckable(checkable)
        if tip:
            a.setToolTip(tip)
            a.setStatusTip(tip)
        a.triggered.connect(slot)
        win.addAction(a)
        return a

    win.act_open = act("&Open…", win.open_dialog, QKeySequence.Open, tip="Open ECG files (Ctrl+O)")
    win.act_quit = act("&Quit", win.close, QKeySequence.Quit)
    win.act_fit = act("Fit page", lambda: win.view.fit(win._initial_seconds()), "0")
    win.act_zoom_in = act("Zoom in", lambda: win.view.vb.scaleBy((0.8, 0.8)), QKeySequence.ZoomIn)
    win.act_zoom_out = act("Zoom out", lambda: win.view.vb.scaleBy((1.25, 1.25)), QKeySequence.ZoomOut)
    win.act_actual = act("Actual size (1 mm = 1 mm)", win.actual_size, "Ctrl+1")
    win.act_fiducials = act("Show fiducial points", win._on_fiducials_toggled, "F", checkable=True,
                             tip="R peaks and P/QRS/T onsets and offsets from the analysis (F)")
    win.act_dark = act("Dark theme", win._on_theme_toggled, "Ctrl+D", checkable=True)
    win.act_page_next = act("Next 10 s", lambda: win._page(+1), QKeySequence.MoveToNextPage)
    win.act_page_prev = act("Previous 10 s", lambda: win._page(-1), QKeySequence.MoveToPreviousPage)
    win.act_confirm = act("Confirm statements", lambda: win.findings_panel.request_confirm(), "Ctrl+Return")
    win.act_stop_answer = act("Stop the answer", lambda: win.chat_panel.stop(), "Esc")
    win.act_focus_chat = act("Ask a question", lambda: (win.chat_dock.raise_(), win.chat_panel.input.setFocus()),
                              "Ctrl+L")
    win.act_search = act("Search patients", lambda: (win.browser_dock.show(), win.browser.search.setFocus()),
                          QKeySequence.Find)
    win.act_report = act("Report preview", lambda: win.tabs.setCurrentWidget(win.report_panel), "Ctrl+Shift+R")
    win.act_save_report = act("Save report as PDF…", win.save_report, QKeySequence.Save)
    win.act_print = act("Print report…", win.print_report, QKeySequence.Print)
    win.act_compare = act("Compare with previous ECG", lambda: win.tabs.setCurrentWidget(win.compare_panel),
                           "Ctrl+Shift+C")
    win.act_settings = act("Settings…", win.open_settings, QKeySequence.Preferences)
    if not win.act_settings.shortcut().toString():
        win.act_settings.setShortcut(QKeySequence("Ctrl+,"))
    win.act_median = act("Median beats", lambda: win.tabs.setCurrentIndex(1), "M")
    win.act_tracing = act("Tracing", lambda: win.tabs.setCurrentIndex(0), "R")
    win.act_time_caliper = act("Time caliper", lambda: win.calipers.add_time(), "T",
                                tip="Add a time caliper: interval in ms and rate per minute (T)")
    win.act_amp_caliper = act("Amplitude caliper", lambda: win.calipers.add_amplitude(), "A",
                               tip="Add an amplitude caliper: mV and mm (A)")
    win.act_march = act("March out", win._toggle_march, "W", checkable=True,
                         tip="Repeat the active time caliper across the strip (W)")
    win.act_remove_caliper = act("Remove caliper", lambda: win.calipers.remove_active(), QKeySequence.Delete)
    win.act_clear_calipers = act("Clear calipers", lambda: win.calipers.clear(), "Shift+Del")
    win.act_ask_segment = act("Ask about this segment", win.ask_about_segment, "Ctrl+Shift+A",
                               tip="Send the time caliper's span, with the analysis of the beats in it, to the chat")
    win.layout_actions = QActionGroup(win)
    for i, name in enumerate(pl.LAYOUTS):
        a = QAction(pl.LAYOUT_TITLES[name], win, checkable=True)
        a.setData(name)
        a.setShortcut(QKeySequence(f"Alt+{i + 1}"))
        a.triggered.connect(lambda _c=False, n=name: win.set_layout(n))
        win.layout_actions.addAction(a)
        win.addAction(a)

def build_toolbars(win) -> None:
    tb = QToolBar("View")
    tb.setObjectName("viewToolbar")
    tb.setIconSize(QSize(16, 16))
    win.addToolBar(tb)
    tb.addAction(win.act_open)
    tb.addSeparator()
    win.layout_combo = QComboBox()
    win.layout_combo.setObjectName("layoutCombo")
    for name in pl.LAYOUTS:
        win.layout_combo.addItem(pl.LAYOUT_TITLES[name], name)
    win.layout_combo.setToolTip("Layout (Alt+1 … Alt+5)")
    win.layout_combo.currentIndexChanged.connect(lambda _i: win._on_display_changed())
    win.lead_combo = QComboBox()
    win.lead_combo.setToolTip("Lead for the single-lead layout")
    win.lead_combo.currentIndexChanged.connect(lambda _i: win._on_display_changed())
    win.speed_combo = QComboBox()
    win.speed_combo.setObjectName("speedCombo")
    for s in pl.SPEEDS_MM_S:
        win.speed_combo.addItem(f"{s:g} mm/s", s)
    win.gain_combo = QComboBox()
    win.gain_combo.setObjectName("gainCombo")
    for g in pl.GAINS_MM_MV:
        win.gain_combo.addItem(f"{g:g} mm/mV", g)
    win.half_chest = QCheckBox("Chest ½")
    win.half_chest.setToolTip("Chest leads at half gain (the footer says so)")
    for w in (win.speed_combo, win.gain_combo):
        w.currentIndexChanged.connect(lambda _i: win._on_display_changed())
    win.half_chest.toggled.connect(lambda _c: win._on_display_changed())
    win.hp_combo, win.lp_combo, win.notch_combo = QComboBox(), QComboBox(), QComboBox()
    for combo, choices, tip in ((win.hp_combo, HIGHPASS_CHOICES_HZ, "High-pass (baseline) filter, display only"),
                                (win.lp_combo, LOWPASS_CHOICES_HZ, "Low-pass (muscle noise) filter, display only"),
                                (win.notch_combo, NOTCH_CHOICES_HZ, "Mains notch filter, display only")):
        for c in choices:
            combo.addItem(_hz_label(c), c or 0.0)
        combo.setToolTip(tip)
        combo.currentIndexChanged.connect(lambda _i: win._on_filter_changed())
    for w in (QLabel(" Layout "), win.layout_combo, win.lead_combo, QLabel("  "), win.speed_combo,
              win.gain_combo, win.half_chest, QLabel("  HP "), win.hp_combo, QLabel(" LP "),
              win.lp_combo, QLabel(" Notch "), win.notch_combo):
        tb.addWidget(w)
    tb.addSeparator()
    tb.addAction(win.act_fiducials)
    tb2 = QToolBar("Calipers")
    tb2.setObjectName("caliperToolbar")
    win.addToolBar(tb2)
    for a in (win.act_time_caliper, win.act_amp_caliper, win.act_march, win.act_ask_segment):
        tb2.addAction(a)
    win.caliper_readout = QLabel("")
    win.caliper_readout.setObjectName("caliperReadout")
    win.caliper_readout.setMinimumWidth(160)
    tb2.addWidget(win.caliper_readout)
    win.caliper_toolbar = tb2
    win.view_toolbar = tb

def build_menus(win) -> None:
    mb = win.menuBar()
    m_file = mb.addMenu("&File")
    m_file.addAction(win.act_open)
    win.recent_menu = m_file.addMenu("Open &recent")
    win._rebuild_recent_menu()
    win.file_menu = m_file
    m_file.addSeparator()
    for a in (win.act_report, win.act_save_report, win.act_print):
        m_file.addAction(a)
    m_file.addSeparator()
    win.file_menu_tail = m_file.addAction(win.act_quit)
    m_view = mb.addMenu("&View")
    for a in win.layout_actions.actions():
        m_view.addAction(a)
    m_view.addSeparator()
    for a in (win.act_tracing, win.act_median, win.act_fiducials, win.act_fit, win.act_zoom_in,
              win.act_zoom_out, win.act_actual, win.act_page_prev, win.act_page_next):
        m_view.addAction(a)
    m_view.addAction(win.act_compare)
    m_view.addAction(win.act_report)
    m_view.addSeparator()
    m_view.addAction(win.act_dark)
    win.view_menu = m_view
    win.tools_menu = mb.addMenu("&Tools")
    for a in (win.act_time_caliper, win.act_amp_caliper, win.act_march, win.act_remove_caliper,
              win.act_clear_calipers, win.act_ask_segment):
        win.tools_menu.addAction(a)
    win.tools_menu.addSeparator()
    win.tools_menu.addAction(win.act_confirm)
    win.tools_menu.addSeparator()
    win.tools_menu.addAction(win.act_settings)
    win.help_menu = mb.addMenu("&Help")
    win.help_menu.addAction("Keyboard shortcuts", win.show_shortcuts)
    win.help_menu.addAction("About", win.show_about)

def build_statusbar(win) -> None:
    sb = win.statusBar()
    win.busy_bar = QProgressBar()
    win.busy_bar.setRange(0, 0)
    win.busy_bar.setMaximumWidth(120)
    win.busy_bar.hide()
    win.busy_label = QLabel("")
    win.store_label = QLabel("Database: opening…")
    win.model_label = QLabel("")
    win.encoder_label = QLabel(_encoder_status())
    win.encoder_label.setToolTip("The ECG encoder (ONNX) gives zero-shot scores and similar cases when installed")
    sb.addWidget(win.busy_bar)
    sb.addWidget(win.busy_label, 1)
    sb.addPermanentWidget(win.encoder_label)
    sb.addPermanentWidget(win.model_label)
    sb.addPermanentWidget(win.store_label)
