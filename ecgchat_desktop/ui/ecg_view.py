"""The ECG drawn on paper: pyqtgraph view in paper millimetres with a locked aspect ratio.

Scene units are millimetres of ECG paper (x to the right, y up). The aspect ratio is
locked, so one millimetre is the same number of pixels horizontally and vertically at any
zoom, and the grid, the calibration pulse and the traces keep true proportions.
Long recordings are min/max decimated per pixel for display only.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

from ecgchat_desktop.ui.paper_layout import (
    PaperLayout,
    Panel,
    calibration_pulse_mm,
    minmax_decimate,
)
from ecgchat_desktop.ui.theme import FIDUCIAL_COLORS, PAPER, PaperColors

# Below this many pixels per millimetre the 1 mm lines would merge into a pink fog.
_MINOR_GRID_MIN_PX_PER_MM = 2.5
# Longest stretch of paper shown at once for long recordings (keeps decimation cheap).
_MAX_VISIBLE_MM = 5 * 60 * 25.0


def _clock(seconds: float) -> str:
    m, sec = divmod(seconds, 60.0)
    h, m = divmod(int(m), 60)
    return f"{h:d}:{m:02d}:{sec:04.1f}" if h else f"{m:d}:{sec:04.1f}"


def _cosmetic_pen(color: str, width: float = 1.0, style=Qt.SolidLine) -> QPen:
    pen = QPen(QColor(color))
    pen.setCosmetic(True)
    pen.setWidthF(width)
    pen.setStyle(style)
    return pen


class PaperGrid(pg.GraphicsObject):
    """The paper and everything printed on it except the traces: 1 mm and 5 mm lines,
    calibration pulses, lead-change ticks, lead labels and the footer. One item, painted only
    where visible (a 30-minute strip is 45 m of paper), so a layout change adds two items to
    the scene, not a hundred."""

    def __init__(self, width_mm: float, height_mm: float, colors: PaperColors):
        super().__init__()
        self._rect = QRectF(0.0, -height_mm, width_mm, height_mm)
        self.colors = colors
        self.setZValue(-100)
        self.setFlag(QGraphicsItem.ItemUsesExtendedStyleOption, True)
        self.ink_lines: list = []           # QLineF in paper mm (pulses, ticks)
        # (x_mm, y_mm, text, x_end_mm): top-left anchor; kept in view while its strip is
        self.labels: list[tuple[float, float, str, float]] = []
        self.footer: tuple[float, float, str] | None = None
        self.time_axis: tuple[float, float, float] | None = None  # (trace_x0_mm, speed, start_s): long strips
        self.label_font = QFont()
        self.label_font.setPointSizeF(9.5)
        self.label_font.setBold(True)
        self.footer_font = QFont()
        self.footer_font.setPointSizeF(8.5)

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option, widget=None) -> None:
        vb = self.getViewBox()
        visible = self._rect
        if vb is not None:
            visible = vb.viewRect().intersected(self._rect)
        if visible.isEmpty():
            return
        # Grid lines are axis-aligned: antialiasing would only blur them and cost time.
        painter.setRenderHint(QPainter.Antialiasing, False)
        painter.fillRect(visible, QColor(self.colors.background))
        px_per_mm = 1.0
        if vb is not None:
            size = vb.viewPixelSize()
            px_per_mm = 1.0 / size[0] if size[0] > 0 else 1.0
        x0, x1 = math.floor(visible.left()), math.ceil(visible.right())
        y0, y1 = math.floor(visible.top()), math.ceil(visible.bottom())
        if px_per_mm >= _MINOR_GRID_MIN_PX_PER_MM:
            painter.setPen(_cosmetic_pen(self.colors.minor, 1.0))
            lines = [QLineF(x, y0, x, y1) for x in range(x0, x1 + 1) if x % 5]
            lines += [QLineF(x0, y, x1, y) for y in range(y0, y1 + 1) if y % 5]
            painter.drawLines(lines)
        painter.setPen(_cosmetic_pen(self.colors.major, 1.4 if px_per_mm >= 2 else 1.0))
        step = 5 if px_per_mm * 5 >= 3 else 25
        xs = range(x0 - x0 % step, x1 + 1, step)
        ys = range(y0 - y0 % step, y1 + 1, step)
        painter.drawLines([QLineF(x, y0, x, y1) for x in xs] + [QLineF(x0, y, x1, y) for y in ys])
        # Calibration pulses and lead-change ticks.
        painter.setPen(_cosmetic_pen(self.colors.calibration, 1.25))
        ink = [ln for ln in self.ink_lines if max(ln.x1(), ln.x2()) >= x0 and min(ln.x1(), ln.x2()) <= x1]
        if ink:
            painter.drawLines(ink)
        # Text at a fixed size on screen, anchored at paper positions.
        transform = painter.transform()
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.TextAntialiasing, True)
        painter.setPen(QColor(self.colors.label))
        painter.setFont(self.label_font)
        left = visible.left() + 1.0
        for x, y, text, x_end in self.labels:
            if x_end >= left and x <= x1 and y0 <= y <= y1 + 10:
                pt = transform.map(QPointF(max(x, left), y))
                painter.drawText(QPointF(pt.x(), pt.y() + painter.fontMetrics().ascent()), text)
        if self.footer is not None:
            x, y, text = self.footer
            if self.time_axis is not None:
                tx0, speed, start = self.time_axis
                t0 = max(0.0, start + (visible.left() - tx0) / speed)
                t1 = max(0.0, start + (visible.right() - tx0) / speed)
                text = f"{text} · shown {_clock(t0)}–{_clock(t1)}"
            painter.setFont(self.footer_font)
            pt = transform.map(QPointF(max(x, visible.left() + 2.0), y))
            painter.drawText(QPointF(pt.x(), pt.y() - painter.fontMetrics().descent()), text)
        painter.restore()


class EcgPaperView(pg.GraphicsLayoutWidget):
    """Draws a `PaperLayout` of one signal array. Emits `rangeChangedMm(x0, x1)` after zoom/pan."""

    rangeChangedMm = Signal(float, float)
    painted = Signal()

    def __init__(self, parent=None, theme: str = "light"):
        super().__init__(parent)
        self.setObjectName("ecgPaperView")
        self.theme = theme
        self.colors = PAPER[theme]
        self.setBackground(self.colors.outside)
        self.vb: pg.ViewBox = self.addViewBox(lockAspect=1.0, enableMenu=False)
        self.vb.setDefaultPadding(0.01)
        self.layout_: PaperLayout | None = None
        self.signals_mv: np.ndarray | None = None
        self.fs = 500.0
        self.footer_text = ""
        self._trace: pg.PlotCurveItem | None = None
        self._panel_xy: list[tuple[np.ndarray, np.ndarray]] = []
        self._fiducial_items: list[pg.GraphicsObject] = []
        self._fiducials: dict[str, list[int]] | None = None
        self._grid: PaperGrid | None = None
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(0)
        self._redraw_timer.timeout.connect(self._update_visible_traces)
        self.vb.sigRangeChanged.connect(self._on_range_changed)
        self.setToolTip("Wheel: zoom · drag: pan · double-click: fit page")

    # ------------------------------------------------------------------ drawing
    def set_theme(self, theme: str) -> None:
        self.theme = theme
        self.colors = PAPER[theme]
        self.setBackground(self.colors.outside)
        if self.layout_ is not None and self.signals_mv is not None:
            self.show_layout(self.signals_mv, self.fs, self.layout_, self.footer_text, keep_range=True)

    def clear_paper(self) -> None:
        self.vb.clear()
        self._trace = None
        self._panel_xy = []
        self._fiducial_items = []
        self._grid = None
        self.layout_ = None
        self.signals_mv = None

    def show_layout(self, signals_mv: np.ndarray, fs: float, layout: PaperLayout, footer: str = "",
                    keep_range: bool = False, initial_seconds: float | None = None) -> None:
        old_range = self.vb.viewRange() if keep_range else None
        self.clear_paper()
        self.signals_mv = signals_mv
        self.fs = float(fs)
        self.layout_ = layout
        self.footer_text = footer
        c = self.colors
        grid = PaperGrid(layout.width_mm, layout.height_mm, c)
        # One calibration pulse per row, as tall as the row's largest gain.
        rows_done: set[int] = set()
        for panel in layout.panels:
            if panel.row not in rows_done:
                rows_done.add(panel.row)
                gain = max(p.gain_mm_mv for p in layout.panels if p.row == panel.row)
                x, y = calibration_pulse_mm(panel.baseline_mm, gain, layout.speed_mm_s)
                grid.ink_lines += [QLineF(x[i], y[i], x[i + 1], y[i + 1]) for i in range(len(x) - 1)]
            if panel.x0_mm > layout.trace_x0_mm + 0.1:  # lead-change tick between columns
                grid.ink_lines.append(QLineF(panel.x0_mm, panel.baseline_mm - 3, panel.x0_mm, panel.baseline_mm + 3))
            x_end = panel.sample_to_x_mm(panel.stop_sample, fs, layout.speed_mm_s)
            grid.labels.append((panel.x0_mm + 1.0, panel.baseline_mm + layout.row_height_mm * 0.45, panel.lead, x_end))
        grid.footer = (layout.trace_x0_mm, -layout.height_mm + 0.5, footer)
        if layout.page_seconds > 12.0:
            grid.time_axis = (layout.trace_x0_mm, layout.speed_mm_s, layout.page_start_s)
        self._grid = grid
        self.vb.addItem(grid)
        # All traces in one curve (NaN between panels): one path to paint, one item to add.
        # Width 1.0 keeps Qt's fast antialiased cosmetic-line path (wider pens are ~3x slower).
        self._trace = pg.PlotCurveItem(pen=_cosmetic_pen(c.trace, 1.0), connect="finite", skipFiniteCheck=True)
        self._trace.setZValue(10)
        self.vb.addItem(self._trace)
        self._panel_xy = [(np.empty(0), np.empty(0)) for _ in layout.panels]
        # Long recordings: never show more than a few minutes of paper at once.
        # (No x/y limits: with the aspect locked they would force a fit to crop the page.)
        self.vb.setLimits(maxXRange=_MAX_VISIBLE_MM if layout.width_mm > _MAX_VISIBLE_MM else None)
        if old_range is not None:
            self.vb.setRange(xRange=old_range[0], yRange=old_range[1], padding=0)
        else:
            self.fit(initial_seconds)
        self._update_visible_traces()
        if self._fiducials is not None:
            self._draw_fiducials()

    def fit(self, seconds: float | None = None) -> None:
        """Whole page, or the first `seconds` of a long strip, with the whole height."""
        lay = self.layout_
        if lay is None:
            return
        width = lay.width_mm
        if seconds is not None:
            width = min(width, lay.trace_x0_mm + seconds * lay.speed_mm_s)
        self.vb.setRange(xRange=(0, width), yRange=(-lay.height_mm, 0), padding=0.01)

    def scroll_to_seconds(self, t_s: float) -> None:
        """Put recording time `t_s` at the left edge (row layouts; keeps the zoom)."""
        lay = self.layout_
        if lay is None:
            return
        (x0, x1), _ = self.vb.viewRange()
        left = lay.trace_x0_mm + (t_s - lay.page_start_s) * lay.speed_mm_s
        self.vb.setXRange(left, left + (x1 - x0), padding=0)

    def _on_range_changed(self, *_):
        self._redraw_timer.start()
        (x0, x1), _ = self.vb.viewRange()
        self.rangeChangedMm.emit(float(x0), float(x1))

    def _update_visible_traces(self) -> None:
        if self.layout_ is None or self.signals_mv is None or self._trace is None:
            return
        (vx0, vx1), _ = self.vb.viewRange()
        width_px = max(100, int(self.vb.width() or 1000))
        speed = self.layout_.speed_mm_s
        fs = self.fs
        xs, ys = [], []
        for k, panel in enumerate(self.layout_.panels):
            seg_x1 = panel.sample_to_x_mm(panel.stop_sample, fs, speed)
            if seg_x1 < vx0 or panel.x0_mm > vx1:
                self._panel_xy[k] = (np.empty(0), np.empty(0))
                continue
            # Visible part of this panel in samples, a small margin either side.
            s0 = panel.start_sample + int((max(vx0, panel.x0_mm) - panel.x0_mm) / speed * fs) - 2
            s1 = panel.start_sample + int(math.ceil((min(vx1, seg_x1) - panel.x0_mm) / speed * fs)) + 2
            s0 = max(panel.start_sample, s0)
            s1 = min(panel.stop_sample, s1)
            visible_px = max(2, int(width_px * (min(vx1, seg_x1) - max(vx0, panel.x0_mm)) / max(vx1 - vx0, 1e-9)))
            pos, val = minmax_decimate(self.signals_mv[panel.lead_index], s0, s1, visible_px)
            x = panel.x0_mm + (pos - panel.start_sample) / fs * speed
            y = panel.baseline_mm + np.asarray(val, dtype=np.float64) * panel.gain_mm_mv
            self._panel_xy[k] = (x, y)
            xs += [x, [np.nan]]
            ys += [y, [np.nan]]
        if xs:
            self._trace.setData(np.concatenate(xs), np.concatenate(ys))
        else:
            self._trace.setData([], [])
        if self._fiducials and self.layout_.page_seconds > 12.0:
            self._draw_fiducials()  # long strips: markers follow the visible window

    def paintEvent(self, event):
        super().paintEvent(event)
        self.painted.emit()

    # ------------------------------------------------------------------ fiducials
    def set_fiducials(self, fiducials: dict[str, list[int]] | None) -> None:
        """Markers at sample indices: keys r, p_on, p_off, qrs_on, qrs_off, t_off. Only the
        visible ones are drawn (a 24-hour recording has 100 000 beats), refreshed on pan."""
        self._fiducials = None
        if fiducials:
            self._fiducials = {k: np.sort(np.asarray([v for v in vals if v is not None], dtype=np.int64))
                               for k, vals in fiducials.items()}
        self._draw_fiducials()

    def _draw_fiducials(self) -> None:
        for item in self._fiducial_items:
            self.vb.removeItem(item)
        self._fiducial_items = []
        if not self._fiducials or self.layout_ is None or self.signals_mv is None:
            return
        speed, fs = self.layout_.speed_mm_s, self.fs
        (vx0, vx1), _ = self.vb.viewRange()
        symbols = {"r": "t1", "p_on": "|", "p_off": "|", "qrs_on": "|", "qrs_off": "|", "t_off": "|"}
        for kind, idx in self._fiducials.items():
            if idx.size == 0:
                continue
            xs_all, ys_all = [], []
            for panel in self.layout_.panels:
                # Visible sample window of this panel, by binary search in the sorted indices.
                lo = panel.start_sample + max(0.0, (vx0 - panel.x0_mm) / speed * fs)
                hi = panel.start_sample + max(0.0, (vx1 - panel.x0_mm) / speed * fs)
                lo, hi = max(lo, panel.start_sample), min(hi, panel.stop_sample)
                if hi <= lo:
                    continue
                inside = idx[np.searchsorted(idx, lo):np.searchsorted(idx, hi)]
                if inside.size == 0:
                    continue
                xs_all.append(panel.x0_mm + (inside - panel.start_sample) / fs * speed)
                sig = self.signals_mv[panel.lead_index]
                offset = 2.5 if kind == "r" else 0.0
                ys_all.append(panel.baseline_mm + np.nan_to_num(sig[inside]) * panel.gain_mm_mv + offset)
            if not xs_all:
                continue
            color = FIDUCIAL_COLORS.get(kind, "#1f77b4")
            item = pg.ScatterPlotItem(np.concatenate(xs_all), np.concatenate(ys_all), symbol=symbols.get(kind, "o"),
                                      size=9 if kind == "r" else 12, pen=pg.mkPen(color, width=2),
                                      brush=pg.mkBrush(color), pxMode=True)
            item.setZValue(15)
            self.vb.addItem(item)
            self._fiducial_items.append(item)

    # ------------------------------------------------------------------ geometry queries
    def px_per_mm(self) -> tuple[float, float]:
        """Screen pixels per paper millimetre, horizontally and vertically."""
        sx, sy = self.vb.viewPixelSize()
        return 1.0 / sx, 1.0 / sy

    def map_mm_to_widget(self, x_mm: float, y_mm: float) -> QPointF:
        """Widget pixel position (float) of a paper point."""
        return self.vb.mapViewToDevice(QPointF(x_mm, y_mm))

    def panel_at(self, x_mm: float, y_mm: float) -> Panel | None:
        lay = self.layout_
        if lay is None:
            return None
        best, best_d = None, None
        for p in lay.panels:
            x1 = p.sample_to_x_mm(p.stop_sample, self.fs, lay.speed_mm_s)
            if p.x0_mm <= x_mm <= x1:
                d = abs(p.baseline_mm - y_mm)
                if best_d is None or d < best_d:
                    best, best_d = p, d
        return best

    def curve_data(self, panel_index: int) -> tuple[np.ndarray, np.ndarray]:
        """What is drawn for one panel (paper mm), for tests and benchmarks."""
        return self._panel_xy[panel_index]

    def fiducial_count(self) -> int:
        return sum(len(item.data) for item in self._fiducial_items)

    def mouseDoubleClickEvent(self, event):
        self.fit(10.0 if self.layout_ is not None and self.layout_.width_mm > 400 else None)
        event.accept()
