"""Background work: run a function in the thread pool, deliver its result in the GUI thread.

Everything that can take more than a few milliseconds (reading, analysing, storing, filtering
long recordings, loading models, rendering reports) goes through `run_in_background`, so the
event loop never waits on it.
"""

from __future__ import annotations

import traceback
from typing import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

_live: set["BackgroundTask"] = set()  # keep tasks alive until they report


class _TaskSignals(QObject):
    done = Signal(object)
    failed = Signal(object)


class BackgroundTask(QRunnable):
    def __init__(self, fn: Callable, args: tuple, kwargs: dict):
        super().__init__()
        self.setAutoDelete(False)
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.signals = _TaskSignals()  # created in the GUI thread: its slots run there
        self.finished = False

    @Slot()
    def run(self) -> None:
        try:
            result = self.fn(*self.args, **self.kwargs)
        except BaseException as exc:  # delivered to the GUI, never lost in the thread
            exc.traceback_text = traceback.format_exc()  # type: ignore[attr-defined]
            self.finished = True
            self._deliver(self.signals.failed, exc)
        else:
            self.finished = True
            self._deliver(self.signals.done, result)

    def _deliver(self, signal, value) -> None:
        try:
            signal.emit(value)
        except RuntimeError:  # the application is shutting down: nobody left to tell
            _live.discard(self)


def _guarded(callback: Callable, owner) -> Callable:
    """Skip the callback when its window was closed and deleted while the work ran."""
    if owner is None:
        return callback
    import shiboken6

    def call(value):
        if shiboken6.isValid(owner):
            callback(value)
    return call


def run_in_background(fn: Callable, *args, on_done: Callable | None = None,
                      on_error: Callable | None = None, pool: QThreadPool | None = None,
                      owner=None, **kwargs) -> BackgroundTask:
    """Run `fn(*args, **kwargs)` in the pool; `on_done(result)` / `on_error(exc)` run in the
    GUI thread, and not at all once `owner` (a QObject) has been deleted."""
    task = BackgroundTask(fn, args, kwargs)
    if on_done is not None:
        task.signals.done.connect(_guarded(on_done, owner))
    if on_error is not None:
        task.signals.failed.connect(_guarded(on_error, owner))
    task.signals.done.connect(lambda _r, t=task: _live.discard(t))
    task.signals.failed.connect(lambda _e, t=task: _live.discard(t))
    _live.add(task)
    (pool or QThreadPool.globalInstance()).start(task)
    return task


def pending_tasks() -> int:
    return len(_live)
