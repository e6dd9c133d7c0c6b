"""The PDF: page 1 (header, measurements, statements, 12-lead tracing on a calibrated grid),
page 2 (six-section narrative and median beats with fiducials), optional transcript appendix.

All drawing is vector (reportlab canvas); physical scale is exact because every length is
computed in millimetres and converted with 72/25.4 pt per mm.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from xml.sax.saxutils import escape

import numpy as np
from reportlab import rl_config
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Frame, Paragraph, Spacer

from ecgchat_desktop import __version__
from ecgchat_desktop.report.canvas_tools import NumberedCanvas, Page, draw_grid
from ecgchat_desktop.report.fonts import register_fonts
from ecgchat_desktop.report.options import (
    QTC_FORMULA_LABELS,
    Confirmation,
    Narrative,
    ReportOptions,
    TranscriptMessage,
)
from ecgchat_desktop.report.paper import (
    GRID_MAJOR_MM,
    PT_PER_MM,
    TRACE_RGB,
    TRACE_WIDTH_MM,
    TRACE_WIDTH_MM_DEFAULT,
    PaperSettings,
    calibration_pulse_mm,
    compute_layout,
    describe_filter,
    display_filter,
    trace_polyline_mm,
)
from ecgchat_desktop.report.sections import header_fields, overall_severity
from ecgchat_desktop.report.values import DASH, fmt_bpm, fmt_datetime, fmt_deg, fmt_ms

# Binary (zlib only) streams: reportlab's default ASCII85 layer is pure Python here, costs
# a third of the render time and makes the file 25 % larger, for no benefit in a PDF file.
rl_config.useA85 = 0

PRODUCT = "ECG-Chat Desktop"
SEVERITY_RGB = {
    "critical": (0.80, 0.0, 0.0),
    "abnormal": (0.70, 0.15, 0.0),
    "borderline": (0.65, 0.45, 0.0),
    "normal": (0.10, 0.45, 0.15),
}
DRAFT_RGB = (0.85, 0.45, 0.0)
CONFIRMED_RGB = (0.10, 0.45, 0.15)
CRITICAL_RGB = (0.80, 0.0, 0.0)
GREY = (0.35, 0.35, 0.35)
FIDUCIAL_RGB = {"P": (0.10, 0.35, 0.85), "QRS": (0.80, 0.0, 0.0), "T": (0.05, 0.55, 0.20)}

MARGIN_TOP_MM = 7.0
HEADER_BOTTOM_MM = 57.0     # the grid starts here on page 1
FOOTER_RESERVE_MM = 12.0
FOOTER_Y_FROM_BOTTOM_MM = 5.0  # baseline of the last footer line, page number included


def _styles(regular: str, bold: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=regular, fontSize=8.2, leading=10.2)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7, leading=8.6),
        "h": ParagraphStyle("h", parent=base, fontName=bold, fontSize=9.5, leading=12, spaceBefore=4, spaceAfter=1),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=12, leading=14, spaceAfter=4),
        "flag": ParagraphStyle("flag", parent=base, fontSize=7.5, leading=9, textColor=(0.7, 0.3, 0.0)),
        "criteria": ParagraphStyle("criteria", parent=base, fontSize=7, leading=8.6, leftIndent=10,
                                   textColor=(0.3, 0.3, 0.3), spaceAfter=1.5),
        "stmt": ParagraphStyle("stmt", parent=base, fontSize=7.6, leading=9.1, leftIndent=8, firstLineIndent=-8),
    }


def render_report(ecg, findings, options: ReportOptions | None = None, *, narrative: Narrative | None = None,
                  transcript: list[TranscriptMessage] | None = None,
                  confirmation: Confirmation | None = None) -> bytes:
    """The whole report as PDF bytes. `findings` may be None (tracing only, nothing measured).

    `narrative` is page 2's text; None gives the structured sections from the findings
    (what `--no-llm` prints). The caller (CLI, GUI) drafts the language-model narrative
    through `ecgchat_desktop.report.narrative.make_drafter()` when it wants one.
    """
    from ecgchat_desktop.report.deidentify import deidentify_narrative, deidentify_transcript
    from ecgchat_desktop.report.sections import structured_narrative

    options = options or ReportOptions()
    regular, bold = register_fonts()
    styles = _styles(regular, bold)
    width_mm, height_mm = options.page_size_mm()
    fields = header_fields(ecg, options)
    if narrative is None:
        narrative = structured_narrative(ecg, findings, options, fields)
    if options.deidentify:
        narrative = deidentify_narrative(narrative, ecg, options)
        transcript = deidentify_transcript(transcript, ecg, options) if transcript else transcript
        if confirmation is not None:
            confirmation = Confirmation("[physician]", confirmation.confirmed_at, confirmation.statements_confirmed,
                                        confirmation.narrative_confirmed, None)

    buf = io.BytesIO()
    # initialFontName: otherwise reportlab puts an unembedded Helvetica on every page.
    canvas = NumberedCanvas(buf, pagesize=(width_mm * PT_PER_MM, height_mm * PT_PER_MM), pageCompression=1,
                            initialFontName=regular, initialFontSize=8)
    canvas.footer_font = regular
    canvas.page_height_mm = height_mm
    canvas.footer_y_mm = height_mm - FOOTER_Y_FROM_BOTTOM_MM
    canvas.footer_x_mm = width_mm - _side_margin(options)
    _set_metadata(canvas, ecg, findings, options, fields, confirmation)

    page = Page(canvas, width_mm, height_mm)
    page.deidentify = options.deidentify
    _draw_tracing_page(page, ecg, findings, options, fields, confirmation, regular, bold, styles)
    canvas.showPage()
    _draw_narrative_pages(page, ecg, findings, options, fields, narrative, confirmation, regular, bold, styles)
    if transcript and options.include_transcript:
        _draw_transcript(page, transcript, options, fields, regular, bold, styles)
    canvas.save()
    return buf.getvalue()


# --------------------------------------------------------------------------- metadata
def _set_metadata(canvas, ecg, findings, options: ReportOptions, fields: dict, confirmation=None) -> None:
    severity = overall_severity(findings) if findings is not None else "not analysed"
    if options.deidentify:
        canvas.setTitle("ECG report (de-identified)")
        canvas.setAuthor(PRODUCT)
    else:
        who = " ".join(x for x in (fields["name"], f"({fields['id']})") if DASH not in x)
        when = fmt_datetime(ecg.acquired_at) if ecg.acquired_at else ""
        canvas.setTitle(" — ".join(x for x in ("ECG report", who, when) if x))
        canvas.setAuthor(options.created_by or options.reading_physician or PRODUCT)
    status = ("statements confirmed by a physician" if confirmation is not None and confirmation.statements_confirmed
              else "unconfirmed program draft")
    canvas.setSubject(f"{ecg.n_leads}-lead ECG report ({severity}); {status}")
    canvas.setCreator(f"{PRODUCT} {__version__}")
    canvas.setKeywords("ECG, electrocardiogram, report")


def _when(page: Page, value) -> str:
    """A date-time as printed; a de-identified export keeps the year only (any date tied to
    the encounter can help re-identify it)."""
    if getattr(page, "deidentify", False) and hasattr(value, "year"):
        return str(value.year)
    return fmt_datetime(value)


def _side_margin(options: ReportOptions) -> float:
    settings = options.paper_settings()
    layout_w = compute_layout(options.layout, settings, 100.0, ("I",)).width_mm
    return (options.page_size_mm()[0] - layout_w) / 2.0


# --------------------------------------------------------------------------- page 1
def _draw_tracing_page(page: Page, ecg, findings, options, fields, confirmation, regular, bold, styles) -> None:
    settings = options.paper_settings()
    w, h = page.width_mm, page.height_mm
    grid_h = np.floor((h - HEADER_BOTTOM_MM - FOOTER_RESERVE_MM) / GRID_MAJOR_MM) * GRID_MAJOR_MM
    layout = compute_layout(options.layout, settings, float(grid_h), ecg.lead_names,
                            trace_width_mm=TRACE_WIDTH_MM_DEFAULT, rhythm_leads=options.effective_rhythm_leads(),
                            duration_s=ecg.duration_s)
    x0 = round((w - layout.width_mm) / 2.0 * 2) / 2  # on a 0.5 mm step
    y0 = HEADER_BOTTOM_MM
    right = x0 + layout.width_mm

    _title_bar(page, x0, right, f"{min(ecg.n_leads, 12) if ecg.n_leads >= 12 else ecg.n_leads}-lead ECG",
               findings, confirmation, regular, bold, statements_page=True)
    _header(page, x0, right, ecg, findings, options, fields, regular, bold, styles)

    draw_grid(page, x0, y0, layout.width_mm, layout.height_mm)
    quality = dict(findings.measurements.lead_quality or {}) if findings is not None else {}
    _draw_tracing(page, x0, y0, layout, ecg, options, regular, bold, quality)

    # Footer: the physical settings a reader needs to interpret the print.
    fy = h - FOOTER_Y_FROM_BOTTOM_MM - 3.6
    rhythm = [p.lead for p in layout.panels if p.rhythm]
    layout_text = {"3x4+1": "3×4 + 1 rhythm", "3x4+3": "3×4 + 3 rhythm", "6x2": "6×2", "12x1": "12×1",
                   "Nx1": f"{layout.n_rows}×1 (not a standard 12-lead recording)"}[layout.name]
    if rhythm:
        layout_text += f" ({', '.join(rhythm)})"
    chest_note = ""
    if settings.chest_half_gain:
        chest_note = f"  chest leads V1–V6 at {settings.gain_mm_mv / 2:g} mm/mV (HALF GAIN)"
    filt = describe_filter(options.highpass_hz, options.lowpass_hz, options.notch_hz, ecg.sampling_rate_hz)
    from reportlab.pdfbase.pdfmetrics import stringWidth

    line1 = (f"Speed {settings.speed_mm_s:g} mm/s   Gain {settings.gain_mm_mv:g} mm/mV{chest_note}   "
             f"Filter {filt}   Layout {layout_text}")
    page.text(x0, fy, line1, bold, 7.2)
    # The disclaimer goes right of the settings, as long a version as fits.
    room_mm = right - x0 - stringWidth(line1, bold, 7.2) / PT_PER_MM - 4.0
    for disclaimer in (f"{PRODUCT} {__version__} — decision support; program statements are drafts until a "
                       "physician confirms them.", f"{PRODUCT} {__version__} — decision support only",
                       "decision support only"):
        if stringWidth(disclaimer, regular, 6.5) / PT_PER_MM <= room_mm:
            page.text(right, fy, disclaimer, regular, 6.5, GREY, align="right")
            break
    printed = _when(page, datetime.now())
    if options.created_by and not options.deidentify:
        printed += f" by {options.created_by}"
    page.text(x0, fy + 3.6, f"{ecg.sampling_rate_hz:g} Hz, {layout.seconds_shown:.1f} s of {ecg.duration_s:.1f} s "
              f"shown   Grid 1 mm / 5 mm   Calibration 1 mV   Record {fields['record']}   Printed {printed}",
              regular, 6.5, GREY)


def _title_bar(page: Page, x0, right, title, findings, confirmation, regular, bold, statements_page: bool,
               narrative: Narrative | None = None) -> None:
    y = MARGIN_TOP_MM + 4.2
    page.text(x0, y, title, bold, 12)
    # Status badge: confirmed (who/when) or draft.
    if statements_page:
        confirmed = confirmation is not None and confirmation.statements_confirmed
        draft_text = "UNCONFIRMED PROGRAM DRAFT — to be confirmed by a physician"
    else:
        confirmed = confirmation is not None and confirmation.narrative_confirmed
        if narrative is not None and narrative.source == "llm":
            draft_text = "AI DRAFT — NOT CONFIRMED (language-model text, claim-checked)"
        elif narrative is not None and narrative.model:
            draft_text = "UNCONFIRMED PROGRAM DRAFT — model drafts rejected by the claim check"
        else:
            draft_text = "UNCONFIRMED PROGRAM DRAFT — structured summary, no language model"
    if confirmed:
        text = (f"✔ Confirmed by {confirmation.confirmed_by} on "
                f"{_when(page, confirmation.confirmed_at)}")
        rgb = CONFIRMED_RGB
    else:
        text, rgb = draft_text, DRAFT_RGB
    from reportlab.pdfbase.pdfmetrics import stringWidth

    badge_w = max(100.0, stringWidth(text, bold, 8) / PT_PER_MM + 8.0)
    bx = right - badge_w
    page.rect(bx, MARGIN_TOP_MM - 0.5, badge_w, 6.2, stroke_rgb=rgb, width_mm=0.5)
    page.text(bx + badge_w / 2, y, text, bold, 8, rgb, align="center")
    if findings is not None and findings.critical:
        cw = 70.0
        cx = bx - cw - 3
        page.rect(cx, MARGIN_TOP_MM - 0.5, cw, 6.2, fill_rgb=CRITICAL_RGB)
        page.text(cx + cw / 2, y, "⚠ CRITICAL FINDING — review now", bold, 8.5, (1, 1, 1), align="center")


def _field_rows(page: Page, x, y, rows, regular, bold, label_w=21.0, size=7.6, step=3.9, max_w=60.0) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    for label, value in rows:
        page.text(x, y, label, regular, size, GREY)
        value = str(value)
        while value and stringWidth(value, bold, size) > (max_w - label_w) * PT_PER_MM:
            value = value[:-2] + "…"
        page.text(x + label_w, y, value, bold, size)
        y += step
    return y


def _header(page: Page, x0, right, ecg, findings, options, fields, regular, bold, styles) -> None:
    top = MARGIN_TOP_MM + 10.5
    # --- patient and acquisition
    age = fields["age"] if fields["birth_date"] == DASH else f"{fields['age']} (born {fields['birth_date']})"
    rows = [
        ("Patient", fields["name"]),
        ("ID", fields["id"]),
        ("Sex / age", f"{fields['sex']}, {age}" if (fields["sex"], age) != (DASH, DASH) else DASH),
        ("Acquired", fields["acquired"]),
        ("Device", fields["device"]),
        ("Referring", fields["referring"]),
        ("Reading", fields["reading"]),
    ]
    page.text(x0, top, "PATIENT", bold, 7, GREY)
    _field_rows(page, x0, top + 4.4, rows, regular, bold, label_w=17.0, max_w=72.0)

    # --- measurement table
    mx = x0 + 74.0
    page.text(mx, top, "MEASUREMENTS (program)", bold, 7, GREY)
    m = findings.measurements if findings is not None else None
    dev = ecg.device_measurements if not ecg.device_measurements.is_empty() else None

    def val(name, fmt):
        return fmt(getattr(m, name)) if m is not None else DASH

    table = [
        ("Heart rate", val("hr_bpm", fmt_bpm), dev and fmt_bpm(dev.hr_bpm)),
        ("PR", val("pr_ms", fmt_ms), dev and fmt_ms(dev.pr_ms)),
        ("P", val("p_ms", fmt_ms), dev and fmt_ms(dev.p_ms)),
        ("QRS", val("qrs_ms", fmt_ms), dev and fmt_ms(dev.qrs_ms)),
        ("QT", val("qt_ms", fmt_ms), dev and fmt_ms(dev.qt_ms)),
    ]
    for name in options.qtc_formulas:
        qtc = (m.qtc_ms or {}).get(name) if m is not None else None
        table.append((f"QTc {QTC_FORMULA_LABELS[name]}", fmt_ms(qtc), None))
    axes = (" / ".join(fmt_deg(getattr(m, k)) for k in ("p_axis_deg", "qrs_axis_deg", "t_axis_deg"))
            if m is not None else DASH)
    dev_axes = (" / ".join(fmt_deg(getattr(dev, k)) for k in ("p_axis_deg", "qrs_axis_deg", "t_axis_deg"))
                if dev else None)
    table.append(("P / QRS / T axis", axes, None))
    if dev_axes:  # too wide to share the row with the program's axes
        table.append(("", "", f"device axes {dev_axes}"))
    y = top + 4.4
    if dev:
        page.text(mx + 55.0, top, "device", regular, 6.5, GREY, align="right")
    for label, value, device_value in table:
        page.text(mx, y, label, regular, 7.6, GREY)
        page.text(mx + 25.0, y, value, bold, 7.6)
        if device_value is not None and dev:
            page.text(mx + 55.0, y, device_value, regular, 6.8, GREY, align="right")
        y += 3.9 if len(table) <= 9 else 3.5

    # --- statements
    sx = x0 + 136.0
    sw = right - sx
    page.text(sx, top, "INTERPRETATION (program statements — criteria on page 2)", bold, 7, GREY)
    paras = []
    if findings is None:
        paras.append(Paragraph("Not analysed.", styles["stmt"]))
    elif not findings.statements:
        paras.append(Paragraph("No statement made by the program.", styles["stmt"]))
    else:
        # Critical statements first, so that they are never the ones left for page 2.
        for s in sorted(findings.statements, key=lambda st: not st.critical):
            rgb = SEVERITY_RGB.get("critical" if s.critical else s.severity, GREY)
            colour = "#%02x%02x%02x" % tuple(int(c * 255) for c in rgb)
            tag = "⚠ CRITICAL" if s.critical else s.severity.upper()
            text = escape(s.text)
            if s.critical:
                text = f"<b>{text}</b>"
            paras.append(Paragraph(f'<font color="{colour}"><b>{tag}</b></font>  {text}', styles["stmt"]))
    frame_h = HEADER_BOTTOM_MM - 1.5 - (top + 1.5)
    frame = Frame(page.x(sx), page.y(HEADER_BOTTOM_MM - 1.5), sw * PT_PER_MM, frame_h * PT_PER_MM,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, showBoundary=0)
    left = list(paras)
    frame.addFromList(left, page.c)
    if left:  # more statements than fit: say so, never drop silently
        page.text(right, HEADER_BOTTOM_MM - 0.8, f"+ {len(left)} more statement(s) on page 2", bold, 7,
                  CRITICAL_RGB, align="right")


def _draw_tracing(page: Page, x0, y0, layout, ecg, options, regular, bold, quality: dict | None = None) -> None:
    settings = layout.settings
    c = page.c
    fs = ecg.sampling_rate_hz
    filtered: dict[str, np.ndarray] = {}
    # Clip traces to the grid: a tall QRS may cross into the next row (as on paper) but
    # never into the header or footer.
    c.saveState()
    clip = c.beginPath()
    clip.rect(page.x(x0), page.y(y0 + layout.height_mm), layout.width_mm * PT_PER_MM, layout.height_mm * PT_PER_MM)
    c.clipPath(clip, stroke=0, fill=0)
    for panel in layout.panels:
        if panel.lead not in filtered:
            idx = ecg.lead_names.index(panel.lead)
            filtered[panel.lead] = display_filter(ecg.signals_mv[idx], fs, options.highpass_hz,
                                                  options.lowpass_hz, options.notch_hz)
        for run in trace_polyline_mm(panel, filtered[panel.lead], fs, settings):
            run = run + np.array([x0, y0])
            page.polyline(run, TRACE_RGB, TRACE_WIDTH_MM)
    for cal in layout.calibrations:
        pts = np.array(calibration_pulse_mm(settings, cal.gains_mm_mv)) + np.array([x0, y0 + cal.baseline_y_mm])
        page.polyline(pts, TRACE_RGB, TRACE_WIDTH_MM)
    c.restoreState()
    # Lead labels (on a translucent white patch so that they read over grid and trace)
    # and column separators.
    from reportlab.pdfbase.pdfmetrics import stringWidth

    for panel in layout.panels:
        label = panel.lead + (" (rhythm)" if panel.rhythm else "")
        lx = x0 + panel.x_mm + 1.2
        ly = y0 + panel.baseline_y_mm - min(layout.row_height_mm * 0.5 - 3.2, 8.5)
        notes = []
        if panel.gain_mm_mv != settings.gain_mm_mv:
            notes.append(f"½ gain ({panel.gain_mm_mv:g} mm/mV)")
        if quality and quality.get(panel.lead, "good") != "good":  # the program's signal-quality verdict
            notes.append(str(quality[panel.lead]).replace("_", " "))
        note = "  ".join(notes)
        lw = stringWidth(label, bold, 8.5) / PT_PER_MM
        nw = stringWidth(note, bold, 6.2) / PT_PER_MM + 1.0 if note else 0.0
        c.saveState()
        c.setFillAlpha(0.8)
        page.rect(lx - 0.5, ly - 2.6, lw + nw + 1.0, 3.4, fill_rgb=(1, 1, 1))
        c.restoreState()
        page.text(lx, ly, label, bold, 8.5)
        if note:
            page.text(lx + lw + 1.0, ly, note, bold, 6.2, CRITICAL_RGB)
        if panel.col > 0:
            bx = x0 + panel.x_mm
            by = y0 + panel.baseline_y_mm
            page.line(bx, by - 3.0, bx, by + 3.0, (0, 0, 0), 0.3)


# --------------------------------------------------------------------------- page 2
def _fill_frame(frame: Frame, story: list, canv) -> None:
    """Flow `story` into `frame`, splitting paragraphs across frames (Frame.addFromList
    never splits) and keeping a heading with the start of what follows it."""
    while story:
        head = story[0]
        if getattr(head, "_keep_with_next", False) and len(story) > 1:
            avail = frame._y - frame._y1p
            need = head.wrap(frame._aW, avail)[1] + min(story[1].wrap(frame._aW, 10_000)[1], 30.0)
            if need > avail and not frame._atTop:
                return
        if frame.add(head, canv, trySplit=0):
            story.pop(0)
            continue
        parts = frame.split(head, canv)
        if len(parts) > 1 and frame.add(parts[0], canv, trySplit=0):
            story[0:1] = parts[1:]
            continue
        return


def _heading(text: str, style) -> Paragraph:
    para = Paragraph(escape(text), style)
    para._keep_with_next = True
    return para


def _draw_narrative_pages(page: Page, ecg, findings, options, fields, narrative, confirmation,
                          regular, bold, styles) -> None:
    w, h = page.width_mm, page.height_mm
    margin = _side_margin(options)
    x0, right = margin, w - margin
    title = "ECG report — narrative"
    _title_bar(page, x0, right, title, findings, confirmation, regular, bold, statements_page=False,
               narrative=narrative)
    _short_patient_line(page, x0, fields, regular, bold)

    beats_w = 104.0
    text_w = right - x0 - beats_w - 6.0
    top = MARGIN_TOP_MM + 15.0
    bottom = h - FOOTER_RESERVE_MM
    story = _narrative_story(narrative, findings, confirmation, options, styles)
    frame = Frame(page.x(x0), page.y(bottom), text_w * PT_PER_MM, (bottom - top) * PT_PER_MM,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    _fill_frame(frame, story, page.c)
    _draw_median_beats(page, right - beats_w, top, beats_w, findings, regular, bold)
    _draw_amplitude_table(page, right - beats_w, top + 112.5, beats_w, findings, regular, bold)
    _signature_block(page, right - beats_w, bottom - 22.0, beats_w, confirmation, options, regular, bold)
    _page_footer(page, x0, fields, regular)
    while story:  # continuation pages, full width
        page.c.showPage()
        _title_bar(page, x0, right, title + " (continued)", findings, confirmation, regular, bold,
                   statements_page=False, narrative=narrative)
        _short_patient_line(page, x0, fields, regular, bold)
        frame = Frame(page.x(x0), page.y(bottom), (right - x0) * PT_PER_MM, (bottom - top) * PT_PER_MM,
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        before = list(story)
        _fill_frame(frame, story, page.c)
        _page_footer(page, x0, fields, regular)
        if story == before:  # cannot happen with splittable paragraphs; never loop forever
            raise RuntimeError("report: a narrative element does not fit on a page")
    page.c.showPage()


def _short_patient_line(page: Page, x0, fields, regular, bold) -> None:
    parts = [fields["name"], f"ID {fields['id']}", f"{fields['sex']}, {fields['age']}",
             f"acquired {fields['acquired']}", f"device {fields['device']}"]
    parts = [p for p in parts if p.replace(DASH, "").strip(" ,").strip() not in ("", "ID", "acquired", "device")]
    text = "   ".join(parts) if parts else "No patient data in the file"
    page.text(x0, MARGIN_TOP_MM + 10.0, text, regular, 7.5, GREY)


def _page_footer(page: Page, x0, fields, regular) -> None:
    page.text(x0, page.height_mm - FOOTER_Y_FROM_BOTTOM_MM, f"{PRODUCT} {__version__} — decision support only. Record {fields['record']}. "
              "Language-model text is never a confirmed diagnosis.", regular, 6.5, GREY)


def _narrative_story(narrative: Narrative, findings, confirmation, options, styles) -> list:
    story: list = []
    if narrative.source == "llm":
        note = (f"Drafted with the local language model{(' ' + escape(narrative.model)) if narrative.model else ''} "
                "from the program's findings; numbers come from the measurements, and model text was "
                "claim-checked against them. AI draft — not confirmed until a physician signs below.")
    elif narrative.model:
        note = (f"The local language model {escape(narrative.model)} was asked for a draft, but the claim "
                "check rejected it; program text from the measurements and statements is printed instead. "
                "Program draft — not confirmed until a physician signs below.")
    else:
        note = ("Structured summary generated from the program's measurements and statements "
                "(no language model). Program draft — not confirmed until a physician signs below.")
    story.append(Paragraph(f"<i>{note}</i>", styles["small"]))
    for section in narrative.sections:
        story.append(_heading(section.title, styles["h"]))
        for para in str(section.text).split("\n"):
            if para.strip():
                story.extend(_paragraphs(para.strip(), styles))
        for note in section.notes:
            story.append(Paragraph(escape(note), styles["criteria"]))
        for flagged in section.flagged:
            story.append(Paragraph("⚠ Not verified by the claim check, removed from the text: "
                                   f"“{escape(flagged)}”", styles["flag"]))
    if narrative.claim_check:
        story.append(_heading("Claim check", styles["h"]))
        for line in narrative.claim_check:
            story.append(Paragraph(escape(line), styles["small"]))
    story.extend(_similar_cases(findings, styles))
    printed = " ".join(section.text for section in narrative.sections)
    already = findings is not None and all(
        s.text in printed and all(e in printed for e in s.evidence) for s in findings.statements)
    if findings is not None and findings.statements and narrative.source == "llm" and not already:
        # The criteria behind every statement are always shown, whatever the model wrote.
        story.append(_heading("Program statements and their criteria", styles["h"]))
        for s in findings.statements:
            tag = "CRITICAL" if s.critical else s.severity
            crit = "; ".join(s.evidence) if s.evidence else "no criteria recorded"
            story.append(Paragraph(f"<b>[{escape(tag)}] {escape(s.text)}</b> — {escape(crit)}", styles["small"]))
    story.append(Spacer(1, 4))
    return story


_STATEMENT_LINE = re.compile(r"^\[(critical|CRITICAL|abnormal|borderline|normal)\] (.*?)(?: — criteria: (.*))?$")


def _paragraphs(line: str, styles) -> list:
    """A statement line '[severity] text — criteria: a; b' gets its colour and its criteria
    indented below; any other line is a plain paragraph."""
    m = _STATEMENT_LINE.match(line)
    if not m:
        return [Paragraph(escape(line), styles["body"])]
    severity, text, criteria = m.group(1), m.group(2), m.group(3)
    rgb = SEVERITY_RGB.get(severity.lower(), GREY)
    colour = "#%02x%02x%02x" % tuple(int(c * 255) for c in rgb)
    tag = "⚠ CRITICAL" if severity == "CRITICAL" else severity.upper()
    out = [Paragraph(f'<font color="{colour}"><b>{tag}</b></font>  <b>{escape(text)}</b>', styles["body"])]
    if criteria:
        out.append(Paragraph("criteria: " + escape(criteria), styles["criteria"]))
    return out


def _similar_cases(findings, styles) -> list:
    """Prior cases retrieved by the ECG encoder, when `Findings.encoder` carries them
    (a list of dicts with a report text and a similarity); nothing otherwise."""
    enc = getattr(findings, "encoder", None) or {}
    cases = (enc.get("similar_cases") or enc.get("similar") or []) if isinstance(enc, dict) else []
    out: list = []
    for case in list(cases)[:5]:
        if not isinstance(case, dict):
            continue
        text = case.get("report") or case.get("text") or case.get("label") or case.get("id")
        score = case.get("similarity", case.get("score"))
        if text is None:
            continue
        line = escape(str(text))
        if isinstance(score, (int, float)):
            line += f" (similarity {score:.2f})"
        out.append(Paragraph("• " + line, styles["small"]))
    if out:
        out.insert(0, _heading("Similar prior cases (ECG encoder retrieval; for comparison, not a diagnosis)",
                               styles["h"]))
    return out


def _draw_median_beats(page: Page, x, y, w, findings, regular, bold) -> None:
    """Median beat per lead on its own 25 mm/s, 10 mm/mV grid, with global fiducials marked."""
    settings = PaperSettings(25.0, 10.0)
    page.text(x, y + 2.5, "Median beats — 25 mm/s, 10 mm/mV", bold, 8)
    median = findings.measurements.median if findings is not None else None
    cell_w, cell_h = 25.0, 30.0
    grid_top = y + 5.0
    grid_w, grid_h = cell_w * 4, cell_h * 3
    gx = x + (w - grid_w) / 2.0
    draw_grid(page, gx, grid_top, grid_w, grid_h)
    if median is None or not median.signals_mv:
        page.text(gx + grid_w / 2, grid_top + grid_h / 2, "no median beat available", bold, 9, GREY, align="center")
        return
    fs = float(median.sampling_rate_hz)
    signals = np.asarray(median.signals_mv, dtype=np.float64)
    r = int(median.r_index)
    # 1 s window around R: 0.4 s before, 0.6 s after (P wave to T end at normal rates).
    s0 = max(0, int(r - 0.4 * fs))
    s1 = min(signals.shape[1], s0 + int(1.0 * fs))
    arrangement = (("I", "aVR", "V1", "V4"), ("II", "aVL", "V2", "V5"), ("III", "aVF", "V3", "V6"))
    names = list(median.lead_names)
    if not all(n in names for row in arrangement for n in row):
        arrangement = tuple(tuple(names[i:i + 4]) for i in range(0, min(len(names), 12), 4))
    marks = [("P", median.p_onset), ("P", median.p_offset), ("QRS", median.qrs_onset),
             ("QRS", median.qrs_offset), ("T", median.t_offset)]
    for ri, row in enumerate(arrangement):
        for ci, lead in enumerate(row):
            cx = gx + ci * cell_w
            base = grid_top + ri * cell_h + cell_h * 0.55
            full = signals[names.index(lead)]
            seg = full[s0:s1] - _baseline(full, median, fs)
            xs = cx + np.arange(seg.size) / fs * settings.speed_mm_s
            ys = base - seg * settings.gain_mm_mv
            ok = np.isfinite(ys)
            c = page.c
            c.saveState()
            clip = c.beginPath()
            clip.rect(page.x(cx), page.y(grid_top + (ri + 1) * cell_h), cell_w * PT_PER_MM, cell_h * PT_PER_MM)
            c.clipPath(clip, stroke=0, fill=0)
            for kind, idx in marks:
                if idx is not None and s0 <= idx < s1:
                    mx = cx + (idx - s0) / fs * settings.speed_mm_s
                    page.line(mx, grid_top + ri * cell_h + 1, mx, grid_top + (ri + 1) * cell_h - 1,
                              FIDUCIAL_RGB[kind], 0.18)
            if ok.sum() > 2:
                page.polyline(np.column_stack([xs[ok], ys[ok]]), TRACE_RGB, 0.2)
            c.restoreState()
            page.text(cx + 0.8, grid_top + ri * cell_h + 3.2, lead, bold, 7)
    ly = grid_top + grid_h + 3.5
    legend = [("P onset/offset", "P"), ("QRS onset/offset", "QRS"), ("T end", "T")]
    lx = gx
    for text, kind in legend:
        page.line(lx, ly - 2.2, lx, ly + 0.5, FIDUCIAL_RGB[kind], 0.4)
        page.text(lx + 1.2, ly, text, regular, 6.5, FIDUCIAL_RGB[kind])
        lx += 30.0
    page.text(gx, ly + 3.5, f"{median.n_beats_used} dominant beats averaged. Marks: the program's global",
              regular, 6.2, GREY)
    page.text(gx, ly + 6.3, "onsets/offsets (earliest onset / latest offset over all leads).", regular, 6.2, GREY)


def _draw_amplitude_table(page: Page, x, y, w, findings, regular, bold) -> None:
    """Per-lead amplitudes on the median beat (mV): Q, R, S, ST at J and J+60 ms, T.
    Two blocks side by side (limb | chest leads) so that it fits under the median beats."""
    if findings is None or not findings.measurements.lead_amplitudes:
        return
    amps = findings.measurements.lead_amplitudes
    page.text(x, y, "Per-lead amplitudes on the median beat (mV)", bold, 7.5)
    cols = (("Q", "q_mv"), ("R", "r_mv"), ("S", "s_mv"), ("STj", "st_j_mv"), ("ST60", "st_j60_mv"), ("T", "t_mv"))
    signed = {"st_j_mv", "st_j60_mv", "t_mv"}  # Q and S are negative, R positive, by definition
    blocks = (("I", "II", "III", "aVR", "aVL", "aVF"), ("V1", "V2", "V3", "V4", "V5", "V6"))
    if not any(lead in amps for block in blocks for lead in block):
        blocks = (tuple(list(amps)[:6]), tuple(list(amps)[6:12]))
    block_w = w / 2.0
    lead_w, col_w, row_h = 6.0, (block_w - 8.0) / len(cols), 3.3
    for b, leads in enumerate(blocks):
        bx = x + b * block_w
        ty = y + 4.0
        for k, (label, _) in enumerate(cols):
            page.text(bx + lead_w + (k + 1) * col_w - 1.0, ty, label, bold, 6, GREY, align="right")
        for r, lead in enumerate(leads):
            ry = ty + (r + 1) * row_h
            page.text(bx, ry, lead, bold, 6.3)
            a = amps.get(lead)
            for k, (_, name) in enumerate(cols):
                value = getattr(a, name, None) if a is not None else None
                if value is None:
                    text = DASH
                else:
                    value = round(float(value), 2) + 0.0  # + 0.0 turns -0.0 into 0.0
                    text = f"{value:+.2f}" if name in signed and value != 0 else f"{value:.2f}"
                page.text(bx + lead_w + (k + 1) * col_w - 1.0, ry, text, regular, 6.0, align="right")


def _baseline(signal: np.ndarray, median, fs: float) -> float:
    """Isoelectric level: the PR segment (P offset to QRS onset), else just before the QRS."""
    if median.p_offset is not None and median.qrs_onset is not None and median.qrs_onset > median.p_offset:
        seg = signal[median.p_offset:median.qrs_onset]
    else:
        q = median.qrs_onset if median.qrs_onset is not None else median.r_index
        seg = signal[max(0, q - int(0.03 * fs)):max(1, q)]
    seg = seg[np.isfinite(seg)]
    return float(np.median(seg)) if seg.size else 0.0


def _signature_block(page: Page, x, y, w, confirmation, options, regular, bold) -> None:
    page.rect(x, y, w, 20.0, stroke_rgb=GREY, width_mm=0.25)
    if confirmation is not None and (confirmation.statements_confirmed or confirmation.narrative_confirmed):
        parts = []
        if confirmation.statements_confirmed:
            parts.append("statements")
        if confirmation.narrative_confirmed:
            parts.append("narrative")
        page.text(x + 2, y + 5, f"Confirmed ({' and '.join(parts)}) by", regular, 7.5, GREY)
        page.text(x + 2, y + 10, confirmation.confirmed_by, bold, 9, CONFIRMED_RGB)
        page.text(x + 2, y + 15, f"on {_when(page, confirmation.confirmed_at)}", regular, 7.5)
        if confirmation.comment:
            page.text(x + 50, y + 15, confirmation.comment[:60], regular, 7, GREY)
    else:
        page.text(x + 2, y + 4.5, "Not confirmed. Reading physician — name, signature, date:", regular, 7.5, GREY)
        page.line(x + 2, y + 16, x + w - 2, y + 16, GREY, 0.2)


# --------------------------------------------------------------------------- appendix
def _draw_transcript(page: Page, transcript, options, fields, regular, bold, styles) -> None:
    w, h = page.width_mm, page.height_mm
    margin = _side_margin(options)
    x0, right = margin, w - margin
    top = MARGIN_TOP_MM + 15.0
    bottom = h - FOOTER_RESERVE_MM
    story: list = [Paragraph("<i>Questions asked about this ECG and the local language model's answers. "
                             "Answers are unconfirmed AI text; numbers in them were claim-checked against "
                             "the measurements.</i>", styles["small"]), Spacer(1, 4)]
    for msg in transcript:
        who = {"user": "Physician", "assistant": "Assistant (AI)", "system": "System"}.get(msg.role, msg.role)
        when = f" — {_when(page, msg.at)}" if msg.at else ""
        story.append(Paragraph(f"<b>{escape(who)}</b>{escape(when)}", styles["body"]))
        for para in str(msg.text).split("\n"):
            if para.strip():
                story.append(Paragraph(escape(para.strip()), styles["body"]))
        story.append(Spacer(1, 3))
    first = True
    while story:
        _title_bar(page, x0, right, "Appendix — chat transcript" + ("" if first else " (continued)"), None, None,
                   regular, bold, statements_page=False, narrative=Narrative([], source="llm"))
        _short_patient_line(page, x0, fields, regular, bold)
        frame = Frame(page.x(x0), page.y(bottom), (right - x0) * PT_PER_MM, (bottom - top) * PT_PER_MM,
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        before = list(story)
        _fill_frame(frame, story, page.c)
        if story == before:  # cannot happen with splittable paragraphs; never loop forever
            raise RuntimeError("report: a transcript element does not fit on a page")
        _page_footer(page, x0, fields, regular)
        page.c.showPage()
        first = False
