"""Small reportlab helpers: millimetre coordinates from the page's top-left, the ECG grid,
polylines, and a canvas that prints 'Page n of N'."""

from __future__ import annotations

import numpy as np
from reportlab.pdfgen import canvas as rl_canvas

from ecgchat_desktop.report.paper import (
    GRID_MAJOR_MM,
    GRID_MAJOR_RGB,
    GRID_MAJOR_WIDTH_MM,
    GRID_MINOR_MM,
    GRID_MINOR_RGB,
    GRID_MINOR_WIDTH_MM,
    PT_PER_MM,
    grid_lines_mm,
)


class Page:
    """Converts millimetres measured from the page's TOP-LEFT to PDF points (origin bottom-left)."""

    def __init__(self, canvas, width_mm: float, height_mm: float):
        self.c = canvas
        self.width_mm = width_mm
        self.height_mm = height_mm

    def x(self, mm: float) -> float:
        return mm * PT_PER_MM

    def y(self, mm_from_top: float) -> float:
        return (self.height_mm - mm_from_top) * PT_PER_MM

    def text(self, x_mm, y_mm, text, font, size, rgb=(0, 0, 0), align="left") -> None:
        c = self.c
        c.setFillColorRGB(*rgb)
        c.setFont(font, size)
        if align == "right":
            c.drawRightString(self.x(x_mm), self.y(y_mm), text)
        elif align == "center":
            c.drawCentredString(self.x(x_mm), self.y(y_mm), text)
        else:
            c.drawString(self.x(x_mm), self.y(y_mm), text)

    def rect(self, x_mm, y_mm, w_mm, h_mm, stroke_rgb=None, fill_rgb=None, width_mm=0.3) -> None:
        c = self.c
        if stroke_rgb is not None:
            c.setStrokeColorRGB(*stroke_rgb)
            c.setLineWidth(width_mm * PT_PER_MM)
        if fill_rgb is not None:
            c.setFillColorRGB(*fill_rgb)
        c.rect(self.x(x_mm), self.y(y_mm + h_mm), w_mm * PT_PER_MM, h_mm * PT_PER_MM,
               stroke=1 if stroke_rgb is not None else 0, fill=1 if fill_rgb is not None else 0)

    def line(self, x0, y0, x1, y1, rgb=(0, 0, 0), width_mm=0.2) -> None:
        c = self.c
        c.setStrokeColorRGB(*rgb)
        c.setLineWidth(width_mm * PT_PER_MM)
        c.line(self.x(x0), self.y(y0), self.x(x1), self.y(y1))

    def polyline(self, points_mm: np.ndarray, rgb=(0, 0, 0), width_mm=0.2) -> None:
        """Stroke (x, y) mm points as one path. Points are written as PDF operators directly:
        a 10 s, 12-lead page has ~60 000 points and per-point Python calls are the bottleneck."""
        if len(points_mm) < 2:
            return
        c = self.c
        c.setStrokeColorRGB(*rgb)
        c.setLineWidth(width_mm * PT_PER_MM)
        c.setLineJoin(1)
        c.setLineCap(1)
        pts = np.asarray(points_mm, dtype=np.float64)
        xs = pts[:, 0] * PT_PER_MM
        ys = (self.height_mm - pts[:, 1]) * PT_PER_MM
        ops = [f"{xs[0]:.2f} {ys[0]:.2f} m"]
        ops.extend(f"{x:.2f} {y:.2f} l" for x, y in zip(xs[1:].tolist(), ys[1:].tolist()))
        ops.append("S")
        c._code.append("\n".join(ops))  # raw path operators; state (colour, width) set above


def draw_grid(page: Page, x0_mm: float, y0_mm: float, width_mm: float, height_mm: float) -> None:
    """ECG paper: 1 mm pink minor lines, 5 mm red major lines, anchored at (x0, y0).

    Minor lines that coincide with major ones are skipped so that every major line has the
    major colour exactly (the raster test relies on it)."""
    c = page.c
    c.saveState()
    xs_minor = grid_lines_mm(width_mm, GRID_MINOR_MM)
    ys_minor = grid_lines_mm(height_mm, GRID_MINOR_MM)
    is_major_x = np.isclose(np.mod(xs_minor + 1e-9, GRID_MAJOR_MM), 0, atol=1e-6)
    is_major_y = np.isclose(np.mod(ys_minor + 1e-9, GRID_MAJOR_MM), 0, atol=1e-6)
    for major, rgb, width in ((False, GRID_MINOR_RGB, GRID_MINOR_WIDTH_MM), (True, GRID_MAJOR_RGB, GRID_MAJOR_WIDTH_MM)):
        c.setStrokeColorRGB(*rgb)
        c.setLineWidth(width * PT_PER_MM)
        c.setLineCap(0)
        segs = []
        for x in xs_minor[is_major_x == major]:
            segs.append((page.x(x0_mm + x), page.y(y0_mm), page.x(x0_mm + x), page.y(y0_mm + height_mm)))
        for y in ys_minor[is_major_y == major]:
            segs.append((page.x(x0_mm), page.y(y0_mm + y), page.x(x0_mm + width_mm), page.y(y0_mm + y)))
        c.lines(segs)
    c.restoreState()


class NumberedCanvas(rl_canvas.Canvas):
    """Defers page output so that every page can print 'Page n of N'."""

    footer_font = "Helvetica"
    footer_y_mm = 5.0
    footer_x_mm = 10.0
    page_height_mm = 210.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._saved_pages: list[dict] = []

    def showPage(self):  # noqa: N802 (reportlab API)
        self._saved_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._saved_pages)
        for state in self._saved_pages:
            self.__dict__.update(state)
            self.setFillColorRGB(0.25, 0.25, 0.25)
            self.setFont(self.footer_font, 6.5)
            self.drawRightString(self.footer_x_mm * PT_PER_MM, (self.page_height_mm - self.footer_y_mm) * PT_PER_MM,
                                 f"Page {self._pageNumber} of {total}")
            super().showPage()
        super().save()
