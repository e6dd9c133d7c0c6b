"""Application start-up: QApplication, theme, high-DPI, the main window, command-line files."""

from __future__ import annotations

import os
import sys


def create_app(argv: list[str] | None = None):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        # Sharp text and lines on fractional-scaling screens (Qt 6 scales by default).
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv or [sys.argv[0]])
        app.setApplicationName("ECG-Chat Desktop")
        app.setOrganizationName("ecgchat")
    # Workers running Python code (analysis) hand the GIL back to the GUI thread more often.
    sys.setswitchinterval(0.002)
    import pyqtgraph as pg

    pg.setConfigOptions(antialias=True, foreground="k")
    return app


def run_gui(paths: list[str] | None = None, theme: str | None = None, quit_after_ms: int | None = None) -> int:
    app = create_app()
    from ecgchat_desktop.ui.main_window import MainWindow
    from ecgchat_desktop.ui.preferences import Preferences
    from ecgchat_desktop.ui.theme import apply_theme

    prefs = Preferences()
    if theme:
        prefs.set("view/theme", theme)
    apply_theme(app, str(prefs.get("view/theme")))
    win = MainWindow(prefs, load_model=quit_after_ms is None)
    win.show()
    if paths:
        win.open_paths([os.path.abspath(p) for p in paths])
    if quit_after_ms is not None:
        from PySide6.QtCore import QTimer

        def report_and_quit():
            # One line for smoke tests: what is on screen (never patient data).
            doc = win.doc
            shown = f"{doc.ecg.source_format} {doc.ecg.n_leads} leads" if doc is not None else "no ECG"
            print(f"ecgchat gui: shown {shown}; errors: {1 if win.last_error else 0}", flush=True)
            win.close()
            app.quit()

        def arm():
            QTimer.singleShot(quit_after_ms, report_and_quit)

        if paths:
            win.analysisShown.connect(lambda _d: arm())
            win.openFailed.connect(lambda _m: arm())
        else:
            arm()
    return app.exec()
