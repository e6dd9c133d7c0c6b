"""Calipers on the ECG paper: time (ms and the equivalent rate) and amplitude (mV and mm).

A caliper reads paper distance and converts it with the paper's own scale (mm/s, mm/mV),
exactly as a physician's steel calipers on printed paper would; it measures nothing in
the signal itself. Several calipers can be placed; a time caliper can be "marched out"
(its interval repeated across the strip) to check regularity.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPen


CALIPER_COLOR = "#0b57d0"
ACTIVE_COLOR = "#e8710a"


def _pen(color: str, width: float = 1.6, dash: bool = False) -> QPen:
    pen = QPen(QColor(color))
    pen.setCosmetic(True)
    pen.setWidthF(width)
    if dash:
        pen.setStyle(Qt.DashLine)
    return pen


class Caliper(QObject):
    """Two draggable lines and a label. Each kind (TimeCaliper, AmplitudeCaliper) defines
    `update_label`, what its span means and where the label sits."""

    changed = Signal(object)
    activated = Signal(object)

    kind = "time"

    def __init__(self, view, a: float, b: float):
        super().__init__()
        self.view = view
        angle = 90 if self.kind == "time" else 0
        self.lines = [pg.InfiniteLine(pos=a, angle=angle, movable=True, pen=_pen(CALIPER_COLOR),
                                      hoverPen=_pen(ACTIVE_COLOR, 2.4)),
                      pg.InfiniteLine(pos=b, angle=angle, movable=True, pen=_pen(CALIPER_COLOR),
                                      hoverPen=_pen(ACTIVE_COLOR, 2.4))]
        self.label = pg.TextItem("", color=CALIPER_COLOR, fill=pg.mkBrush(255, 255, 255, 220),
                                 border=pg.mkPen(CALIPER_COLOR), anchor=(0.5, 1.0))
        f = QFont()
        f.setPointSizeF(9.5)
        f.setBold(True)
        self.label.setFont(f)
        for item in (*self.lines, self.label):
            item.setZValue(50)
            view.vb.addItem(item)
        for line in self.lines:
            line.sigPositionChanged.connect(self._on_moved)
            line.sigClicked.connect(lambda *_: self.activated.emit(self))
            line.sigDragged.connect(lambda *_: self.activated.emit(self))
        self.active = False
        self.update_label()

    @property
    def a(self) -> float:
        return float(self.lines[0].value())

    @property
    def b(self) -> float:
        return float(self.lines[1].value())

    def set_positions(self, a: float, b: float) -> None:
        self.lines[0].setValue(a)
        self.lines[1].setValue(b)
        self.update_label()

    def span_mm(self) -> float:
        return abs(self.b - self.a)

    def set_active(self, active: bool) -> None:
        self.active = active
        color = ACTIVE_COLOR if active else CALIPER_COLOR
        for line in self.lines:
            line.setPen(_pen(color, 2.0 if active else 1.6))

    def _on_moved(self, *_):
        self.update_label()
        self.changed.emit(self)

    def remove(self) -> None:
        for item in (*self.lines, self.label):
            self.view.vb.removeItem(item)


class TimeCaliper(Caliper):
    kind = "time"

    def __init__(self, view, a: float, b: float):
        self.march_lines: list[pg.InfiniteLine] = []
        self.marching = False
        super().__init__(view, a, b)

    def speed_mm_s(self) -> float:
        lay = self.view.layout_
        return lay.speed_mm_s if lay is not None else 25.0

    def interval_ms(self) -> float:
        return self.span_mm() / self.speed_mm_s() * 1000.0

    def rate_bpm(self) -> float | None:
        ms = self.interval_ms()
        return 60_000.0 / ms if ms > 0 else None

    def times_s(self) -> tuple[float, float]:
        """Recording time (s) of the two legs (the same for every row at one x)."""
        lay = self.view.layout_
        start = lay.page_start_s if lay is not None else 0.0
        x0 = lay.trace_x0_mm if lay is not None else 10.0
        a, b = sorted((self.a, self.b))
        return (start + (a - x0) / self.speed_mm_s(), start + (b - x0) / self.speed_mm_s())

    def text(self) -> str:
        rate = self.rate_bpm()
        return f"{self.interval_ms():.0f} ms · {rate:.0f}/min" if rate else "0 ms"

    def update_label(self) -> None:
        self.label.setText(self.text())
        (_, _), (y0, y1) = self.view.vb.viewRange()
        self.label.setPos((self.a + self.b) / 2, y1 - (y1 - y0) * 0.02)
        if self.marching:
            self._draw_march()

    def set_marching(self, on: bool) -> None:
        self.marching = on
        self._draw_march()

    def _draw_march(self) -> None:
        for line in self.march_lines:
            self.view.vb.removeItem(line)
        self.march_lines = []
        if not self.marching or self.span_mm() < 0.5:
            return
        lay = self.view.layout_
        end = lay.width_mm if lay is not None else self.b + 10 * self.span_mm()
        (vx0, vx1), _ = self.view.vb.viewRange()
        end = min(end, vx1 + self.span_mm())
        step = self.span_mm()
        x = max(self.a, self.b) + step
        while x <= end and len(self.march_lines) < 400:
            line = pg.InfiniteLine(pos=x, angle=90, movable=False, pen=_pen(CALIPER_COLOR, 1.0, dash=True))
            line.setZValue(49)
            self.view.vb.addItem(line)
            self.march_lines.append(line)
            x += step

    def remove(self) -> None:
        self.set_marching(False)
        super().remove()


class AmplitudeCaliper(Caliper):
    kind = "amplitude"

    def __init__(self, view, a: float, b: float, x_mm: float | None = None):
        self._x_mm = x_mm
        super().__init__(view, a, b)
        self.label.setAnchor((0.0, 1.0))  # to the right of where it stands: never cut at the left edge

    def gain_mm_mv(self) -> float:
        """Gain of the strip the caliper sits on (chest leads may be at half gain)."""
        lay = self.view.layout_
        if lay is None:
            return 10.0
        panel = self.view.panel_at(self.x_mm(), (self.a + self.b) / 2)
        return panel.gain_mm_mv if panel is not None else lay.gain_mm_mv

    def x_mm(self) -> float:
        if self._x_mm is not None:
            return self._x_mm
        (vx0, vx1), _ = self.view.vb.viewRange()
        return (vx0 + vx1) / 2

    def amplitude_mv(self) -> float:
        return self.span_mm() / self.gain_mm_mv()

    def text(self) -> str:
        return f"{self.amplitude_mv():.2f} mV · {self.span_mm():.1f} mm"

    def update_label(self) -> None:
        self.label.setText(self.text())
        self.label.setPos(self.x_mm() + 1.0, max(self.a, self.b))


class CaliperSet(QObject):
    """All calipers on one view, and which one is active."""

    changed = Signal()

    def __init__(self, view):
        super().__init__()
        self.view = view
        self.items: list[Caliper] = []
        self.active: Caliper | None = None
        view.vb.sigRangeChanged.connect(self._relabel)

    def _relabel(self, *_):
        for c in self.items:
            c.update_label()

    def add_time(self, a_mm: float | None = None, b_mm: float | None = None) -> TimeCaliper:
        (vx0, vx1), _ = self.view.vb.viewRange()
        speed = self.view.layout_.speed_mm_s if self.view.layout_ is not None else 25.0
        if a_mm is None:
            a_mm = vx0 + (vx1 - vx0) * 0.4
        if b_mm is None:
            b_mm = a_mm + 0.8 * speed  # 800 ms to start with
        return self._add(TimeCaliper(self.view, a_mm, b_mm))

    def add_amplitude(self, a_mm: float | None = None, b_mm: float | None = None,
                      x_mm: float | None = None) -> AmplitudeCaliper:
        (vx0, vx1), (vy0, vy1) = self.view.vb.viewRange()
        lay = self.view.layout_
        if a_mm is None:
            base = lay.row_baselines_mm[0] if lay is not None else (vy0 + vy1) / 2
            a_mm, b_mm = base, base + (lay.gain_mm_mv if lay is not None else 10.0)
        x = x_mm if x_mm is not None else vx0 + (vx1 - vx0) * 0.25
        return self._add(AmplitudeCaliper(self.view, a_mm, b_mm if b_mm is not None else a_mm + 10.0, x))

    def _add(self, cal: Caliper) -> Caliper:
        self.items.append(cal)
        cal.activated.connect(self.set_active)
        cal.changed.connect(lambda _c: self.changed.emit())
        self.set_active(cal)
        self.changed.emit()
        return cal

    def set_active(self, cal: Caliper | None) -> None:
        self.active = cal
        for c in self.items:
            c.set_active(c is cal)
        self.changed.emit()

    def remove_active(self) -> None:
        if self.active is None:
            return
        self.active.remove()
        self.items.remove(self.active)
        self.set_active(self.items[-1] if self.items else None)

    def clear(self) -> None:
        for c in self.items:
            c.remove()
        self.items = []
        self.active = None
        self.changed.emit()

    def detach_all(self) -> None:
        """The paper changed scale or layout: the calipers no longer mean anything."""
        for c in self.items:
            if isinstance(c, TimeCaliper):
                c.march_lines = []
        self.items = []
        self.active = None
        self.changed.emit()

    def reattach(self) -> None:
        """The same paper was redrawn (e.g. another display filter): put the calipers back."""
        for c in self.items:
            for item in (*c.lines, c.label):
                if item.scene() is None:
                    self.view.vb.addItem(item)
            if isinstance(c, TimeCaliper):
                c.march_lines = []
                c._draw_march()

    def active_time(self) -> TimeCaliper | None:
        if isinstance(self.active, TimeCaliper):
            return self.active
        for c in reversed(self.items):
            if isinstance(c, TimeCaliper):
                return c
        return None
