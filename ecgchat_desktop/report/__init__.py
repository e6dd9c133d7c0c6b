"""The printed ECG report (reportlab, vector PDF).

    from ecgchat_desktop.report import ReportOptions, render_report
    pdf_bytes = render_report(ecg, findings, ReportOptions(layout="3x4+1", speed_mm_s=25, gain_mm_mv=10))

Page 1: header, measurement table, statements, 12-lead tracing on a calibrated grid.
Page 2: six-section narrative (structured, or drafted by the language model and
claim-checked), median beats with fiducials, signature block. Optional transcript appendix.
The ECG-paper rules (speed, gain, grid, layouts, calibration pulse) live in `report.paper`,
which is toolkit-free and reusable by the screen view.
"""

from __future__ import annotations

from ecgchat_desktop.report.options import (
    PAPER_SIZES_MM,
    SECTION_TITLES,
    Confirmation,
    Narrative,
    NarrativeSection,
    ReportOptions,
    TranscriptMessage,
)
from ecgchat_desktop.report.paper import LAYOUTS, PaperSettings, PaperSettingsError
from ecgchat_desktop.report.batch import ReportProducer, render_and_store
from ecgchat_desktop.report.render import render_report

__all__ = [
    "render_report",
    "render_and_store",
    "ReportProducer",
    "ReportOptions",
    "Confirmation",
    "Narrative",
    "NarrativeSection",
    "TranscriptMessage",
    "PaperSettings",
    "PaperSettingsError",
    "LAYOUTS",
    "PAPER_SIZES_MM",
    "SECTION_TITLES",
]
