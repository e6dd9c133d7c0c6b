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

# Names load on first use: `report.paper` (toolkit-free, used by the screen view) must be
# importable without reportlab, the renderer and the interpretation rules.
_LAZY = {
    "PAPER_SIZES_MM": "options", "SECTION_TITLES": "options", "Confirmation": "options",
    "Narrative": "options", "NarrativeSection": "options", "ReportOptions": "options",
    "TranscriptMessage": "options",
    "LAYOUTS": "paper", "PaperSettings": "paper", "PaperSettingsError": "paper",
    "ReportProducer": "batch", "render_and_store": "batch",
    "render_report": "render",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"ecgchat_desktop.report.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
