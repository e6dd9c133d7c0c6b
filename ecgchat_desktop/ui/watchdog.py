"""Event-loop watchdog: a fast QTimer whose tick-to-tick gaps show how long the GUI thread
was kept from its event loop (by our own code in it, or by a worker holding the GIL)."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer


class EventLoopWatchdog(QObject):
    def __init__(self, interval_ms: int = 5, parent=None):
        super().__init__(parent)
        self.interval_ms = interval_ms
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._last: float | None = None
        self.phase = ""
        self.max_gap_ms = 0.0
        self.max_gap_phase = ""
        self.gaps_by_phase: dict[str, float] = {}
        self.n_ticks = 0

    def start(self, phase: str = "") -> None:
        self.phase = phase
        self._last = time.perf_counter()
        self._timer.start()

    def set_phase(self, phase: str) -> None:
        self.phase = phase
        self._last = time.perf_counter()

    def stop(self) -> None:
        self._timer.stop()
        self._last = None

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            # Time beyond the timer's own interval is time the loop was blocked.
            gap = (now - self._last) * 1000.0 - self.interval_ms
            if gap > self.max_gap_ms:
                self.max_gap_ms, self.max_gap_phase = gap, self.phase
            if gap > self.gaps_by_phase.get(self.phase, 0.0):
                self.gaps_by_phase[self.phase] = gap
        self._last = now
        self.n_ticks += 1
