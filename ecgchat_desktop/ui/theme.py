"""Light and dark themes: the Qt palette and the ECG paper colours."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True)
class PaperColors:
    background: str
    minor: str
    major: str
    trace: str
    label: str
    outside: str
    calibration: str


PAPER = {
    # Pink ECG paper as printed: faint 1 mm lines, stronger 5 mm lines.
    "light": PaperColors("#fff6f4", "#f6cccc", "#e59a9a", "#111111", "#202020", "#d9d9d9", "#111111"),
    "dark": PaperColors("#15171b", "#3b2428", "#74353d", "#e8efe8", "#f0f0f0", "#0b0c0e", "#e8efe8"),
}

SEVERITY_COLORS = {
    "light": {"critical": "#b00020", "abnormal": "#c25400", "borderline": "#8a6d00", "normal": "#2e7d32"},
    "dark": {"critical": "#ff6b81", "abnormal": "#ffa057", "borderline": "#e6c74c", "normal": "#7bd88f"},
}

FIDUCIAL_COLORS = {
    "r": "#d62728", "p_on": "#1f77b4", "p_off": "#1f77b4", "qrs_on": "#2ca02c", "qrs_off": "#2ca02c",
    "t_off": "#9467bd",
}


def apply_theme(app: QApplication, name: str) -> None:
    app.setStyle("Fusion")
    if name == "dark":
        pal = QPalette()
        base, alt, text = QColor("#1f2126"), QColor("#2a2d33"), QColor("#e6e6e6")
        pal.setColor(QPalette.Window, alt)
        pal.setColor(QPalette.WindowText, text)
        pal.setColor(QPalette.Base, base)
        pal.setColor(QPalette.AlternateBase, alt)
        pal.setColor(QPalette.ToolTipBase, QColor("#30343b"))
        pal.setColor(QPalette.ToolTipText, text)
        pal.setColor(QPalette.Text, text)
        pal.setColor(QPalette.Button, alt)
        pal.setColor(QPalette.ButtonText, text)
        pal.setColor(QPalette.BrightText, QColor("#ff5555"))
        pal.setColor(QPalette.Highlight, QColor("#3d7bd9"))
        pal.setColor(QPalette.HighlightedText, QColor("#ffffff"))
        pal.setColor(QPalette.Link, QColor("#7fb0ff"))
        pal.setColor(QPalette.PlaceholderText, QColor("#8a8f98"))
        for role in (QPalette.Text, QPalette.ButtonText, QPalette.WindowText):
            pal.setColor(QPalette.Disabled, role, QColor("#7a7f87"))
        app.setPalette(pal)
    else:
        app.setPalette(app.style().standardPalette())
