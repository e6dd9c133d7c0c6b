"""Report from the real window: preview rendered from the PDF, saved to disk and kept in the
database, printed through Qt's print system (to a PDF printer, the offscreen stand-in for paper)."""

from __future__ import annotations

import io

import pytest

from ecgchat_desktop.settings import SAMPLES_DIR

pytestmark = pytest.mark.gui


def test_preview_save_and_print(qtbot, window, tmp_path):
    from pypdf import PdfReader

    win = window
    with qtbot.waitSignal(win.analysisShown, timeout=90_000) as b:
        win.open_paths([str(SAMPLES_DIR / "ptbxl-00008" / "00008_hr.hea")])
    doc = b.args[0]
    panel = win.report_panel
    with qtbot.waitSignal(panel.previewReady, timeout=60_000) as prev:
        win.act_report.trigger()
    n_pages = prev.args[0]
    assert n_pages >= 1 and len(panel.page_labels) == n_pages
    pix = panel.page_labels[0].pixmap()
    assert pix.width() > pix.height() > 300            # landscape page image
    # Save: the file is the PDF, and the database keeps the same bytes.
    out = tmp_path / "report.pdf"
    with qtbot.waitSignal(panel.saved, timeout=30_000) as saved:
        panel.save_to(str(out))
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and len(PdfReader(io.BytesIO(data)).pages) == n_pages
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "25 mm/s" in text
    report_id = saved.args[1]
    if doc.record_id is not None:
        assert report_id is not None and win.store.report_pdf(report_id) == data
    # Print through QtPrintSupport onto a PDF "printer".
    from PySide6.QtPrintSupport import QPrinter

    printer = QPrinter(QPrinter.HighResolution)
    printed = tmp_path / "printed.pdf"
    printer.setOutputFormat(QPrinter.PdfFormat)
    printer.setOutputFileName(str(printed))
    assert panel.print_to(printer) == n_pages
    assert len(PdfReader(str(printed)).pages) == n_pages


@pytest.mark.llm
def test_model_drafted_narrative_page(qtbot, window):
    """Page 2 drafted by the real default model, marked as language-model text."""
    from pypdf import PdfReader

    pytest.importorskip("llama_cpp")
    win = window
    with qtbot.waitSignal(win.analysisShown, timeout=90_000):
        win.open_paths([str(SAMPLES_DIR / "ptbxl-00001" / "00001_hr.hea")])
    panel = win.report_panel
    panel.llm_narrative.setChecked(True)
    with qtbot.waitSignal(panel.previewReady, timeout=180_000):
        win.act_report.trigger()
    assert "not available" not in panel.status.text(), panel.status.text()
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(panel.pdf)).pages)
    assert "language model" in text.lower() or "language-model" in text.lower()
