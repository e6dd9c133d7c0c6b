"""Analysis in a separate process, so that the window never waits for the GIL.

`analyze_ecg` on a long recording spends seconds in numpy/scipy calls, some of which hold
the GIL (scipy.ndimage filters, for one); in a worker *thread* that starves the GUI thread
for 100+ ms at a time. A single spawned worker process (started in the background when the
window opens) takes the recording and returns the Findings; the calling worker thread only
waits. If no process can be started (a frozen build without multiprocessing support, say),
the analysis runs in the calling thread as before.
"""

from __future__ import annotations

import atexit
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_unavailable = False


def _warm() -> bool:
    import ecgchat_desktop.findings  # noqa: F401  (imports scipy and the rule engine once)

    return True


def _get_pool() -> ProcessPoolExecutor | None:
    global _pool, _unavailable
    with _lock:
        if _pool is None and not _unavailable:
            try:
                # spawn, never fork: the window has threads (Qt, model worker) that fork would copy.
                _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            except (OSError, ValueError, NotImplementedError):  # no working process semaphores here
                _unavailable = True
        return _pool


def warm_up() -> None:
    """Start the process and import the analysis in it (call from a worker thread)."""
    pool = _get_pool()
    if pool is not None:
        try:
            pool.submit(_warm).result(timeout=120)
        except Exception:
            pass  # the first real analysis will try again or fall back


def analyze(ecg):
    """Findings of `ecg`, computed in the analysis process (or here when there is none)."""
    global _pool
    from ecgchat_desktop.findings import analyze_ecg

    pool = _get_pool()
    if pool is None:
        return analyze_ecg(ecg)
    try:
        return pool.submit(analyze_ecg, ecg).result()
    except BrokenProcessPool:
        with _lock:
            _pool = None  # the process died (killed, out of memory): next time a fresh one
        return analyze_ecg(ecg)


def shutdown() -> None:
    """Stop the analysis process (at quit: whatever it was computing is not needed any more)."""
    global _pool, _unavailable
    with _lock:
        pool, _pool = _pool, None
        _unavailable = True  # quitting: no new process (a warm-up still under way must not start one)
    if pool is None:
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


_quit_hooked = False


def shutdown_on_quit(app) -> None:
    """Stop the process when the Qt application quits (once, however many windows there are)."""
    global _quit_hooked
    if app is not None and not _quit_hooked:
        app.aboutToQuit.connect(shutdown)
        _quit_hooked = True


# A pool still running while the interpreter is torn down prints multiprocessing tracebacks.
atexit.register(shutdown)
