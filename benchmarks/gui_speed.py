"""GUI speed: start-up to first paint, open-to-first-paint of a 12-lead ECG, redraw while
panning 12 leads, and scrolling a 30-minute MIT-BIH record.

Each figure is given in milliseconds and as a ratio against a baseline run in the same
session (these machines are shared and noisy):
  start-up   vs a bare PySide6 window (same interpreter, nothing of ours imported);
  panning    vs pyqtgraph drawing the same 12 leads as 12 plain curves;
  scrolling  vs pyqtgraph drawing the whole 30-minute record without decimation.

    .venv/bin/python benchmarks/gui_speed.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_BARE = r"""
import sys, time, os
t0 = float(os.environ["T0"])
from PySide6.QtWidgets import QApplication, QMainWindow, QLabel
from PySide6.QtCore import QObject, QEvent
app = QApplication(sys.argv)
w = QMainWindow(); w.setCentralWidget(QLabel("hello")); w.resize(1400, 900)
class F(QObject):
    def eventFilter(self, o, e):
        if e.type() == QEvent.Paint:
            print(time.time() - t0, flush=True); os._exit(0)
        return False
f = F(); w.installEventFilter(f); w.show(); app.exec()
"""

_OURS = r"""
import sys, time, os
t0 = float(os.environ["T0"])
from PySide6.QtCore import QObject, QEvent, QTimer
import ecgchat_desktop.ui.app as appmod
from ecgchat_desktop.cli import main
class F(QObject):
    def eventFilter(self, o, e):
        if e.type() == QEvent.Paint and type(o).__name__ == "MainWindow":
            print(time.time() - t0, flush=True); os._exit(0)
        return False
f = F()
orig = appmod.create_app
def create_app(argv=None):
    app = orig(argv)
    app.installEventFilter(f)
    return app
appmod.create_app = create_app
sys.exit(main(["gui"]))
"""


def startup_seconds(code: str, home: str) -> float:
    env = dict(os.environ, T0=repr(time.time()), ECGCHAT_HOME=home, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                         cwd=str(ROOT))
    lines = [ln for ln in out.stdout.splitlines() if ln.strip()]
    if not lines:
        raise RuntimeError(f"start-up run printed nothing: {out.stderr[-500:]}")
    return float(lines[-1])


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    from ecgchat_desktop.settings import SAMPLES_DIR, shared_data_dir

    rows = []
    with tempfile.TemporaryDirectory() as home:
        bare = [startup_seconds(_BARE, home) for _ in range(args.repeats)]
        ours = [startup_seconds(_OURS, home) for _ in range(args.repeats)]
    b, o = statistics.median(bare), statistics.median(ours)
    rows.append(("start-up to first paint of the window", f"{o * 1000:.0f}", f"{b * 1000:.0f}", f"{o / b:.2f}"))

    os.environ["ECGCHAT_HOME"] = tempfile.mkdtemp(prefix="ecgchat-bench-")
    import numpy as np
    import pyqtgraph as pg

    from ecgchat_desktop.ui.app import create_app
    from ecgchat_desktop.ui.main_window import MainWindow

    app = create_app()
    win = MainWindow(load_model=False)
    win.resize(1400, 900)
    win.show()
    t_end = time.time() + 60
    while not (win.components_ready and win.store is not None) and time.time() < t_end:
        app.processEvents()
        time.sleep(0.005)

    def pump(seconds=0.05):
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()

    # Open-to-first-paint of a 12-lead record (read + display filter in a worker, then drawn).
    sample = str(SAMPLES_DIR / "ptbxl-00008" / "00008_hr.hea")
    times_paint, times_analysis = [], []
    for _ in range(args.repeats):
        shown, analysed = [], []
        win.documentShown.connect(lambda d: shown.append(time.perf_counter()))
        win.analysisShown.connect(lambda d: analysed.append(time.perf_counter()))
        painted = []
        win.view.painted.connect(lambda: painted.append(time.perf_counter()))
        t0 = time.perf_counter()
        win.open_paths([sample])
        while not analysed:
            app.processEvents()
        first_paint = next(p for p in painted if p >= shown[0])
        times_paint.append(first_paint - t0)
        times_analysis.append(analysed[0] - t0)
        win.documentShown.disconnect()
        win.analysisShown.disconnect()
        win.view.painted.disconnect()
    rows.append(("open 12-lead PTB-XL file to tracing painted", f"{statistics.median(times_paint) * 1000:.0f}",
                 "", ""))
    rows.append(("open 12-lead PTB-XL file to findings shown", f"{statistics.median(times_analysis) * 1000:.0f}",
                 "", ""))

    # Panning 12 leads (3x4+1 page zoomed to 2x): time per frame (range change + repaint).
    win.set_layout("3x4+1")
    pump()
    win.view.vb.scaleBy((0.5, 0.5))
    pump()

    def frame_times(vb, widget, step, n=60):
        out = []
        for i in range(n):
            t0 = time.perf_counter()
            vb.translateBy(x=step if (i // 15) % 2 == 0 else -step)
            app.processEvents()
            widget.repaint()
            out.append(time.perf_counter() - t0)
        return out

    ours_pan = frame_times(win.view.vb, win.view, 8.0)
    base = pg.PlotWidget()
    base.resize(win.view.size())
    base.show()
    ecg = win.doc.ecg
    t = np.arange(ecg.n_samples) / ecg.sampling_rate_hz
    for k in range(12):
        base.plot(t, ecg.signals_mv[k] - 3 * k, pen=pg.mkPen("k", width=1))
    base.setXRange(0, 5, padding=0)
    pump()
    base_pan = frame_times(base.plotItem.vb, base, 0.3)
    rows.append(("pan 12 leads: ms per frame (median)", f"{statistics.median(ours_pan) * 1000:.1f}",
                 f"{statistics.median(base_pan) * 1000:.1f}",
                 f"{statistics.median(ours_pan) / statistics.median(base_pan):.2f}"))
    rows.append(("pan 12 leads: ms per frame (95th percentile)", f"{pct(ours_pan, 0.95) * 1000:.1f}",
                 f"{pct(base_pan, 0.95) * 1000:.1f}", f"{pct(ours_pan, 0.95) / pct(base_pan, 0.95):.2f}"))
    base.close()

    # Scrolling a 30-minute MIT-BIH record with the time scrollbar (10 s visible).
    mit = shared_data_dir() / "mitdb" / "100.hea"
    if mit.exists():
        done = []
        win.analysisShown.connect(lambda d: done.append(d))
        win.open_paths([str(mit)])
        while not done:
            app.processEvents()
        pump(0.2)
        scroll = []
        for i in range(120):
            t0 = time.perf_counter()
            win.time_scroll.setValue((i * 150) % win.time_scroll.maximum())  # 15 s steps
            app.processEvents()
            win.view.repaint()
            scroll.append(time.perf_counter() - t0)
        naive = pg.PlotWidget()
        naive.resize(win.view.size())
        naive.show()
        e = win.doc.ecg
        tt = np.arange(e.n_samples) / e.sampling_rate_hz
        for k in range(e.n_leads):
            naive.plot(tt, e.signals_mv[k] - 3 * k, pen=pg.mkPen("k", width=1))
        naive.setXRange(0, 10, padding=0)
        pump()
        naive_t = []
        for i in range(30):
            t0 = time.perf_counter()
            x0 = (i * 15.0) % 1700
            naive.setXRange(x0, x0 + 10, padding=0)
            app.processEvents()
            naive.repaint()
            naive_t.append(time.perf_counter() - t0)
        naive.close()
        rows.append(("scroll 30-min MIT-BIH record: ms per step (median)", f"{statistics.median(scroll) * 1000:.1f}",
                     f"{statistics.median(naive_t) * 1000:.1f}",
                     f"{statistics.median(scroll) / statistics.median(naive_t):.2f}"))
        rows.append(("scroll 30-min MIT-BIH record: ms per step (95th percentile)", f"{pct(scroll, 0.95) * 1000:.1f}",
                     f"{pct(naive_t, 0.95) * 1000:.1f}", f"{pct(scroll, 0.95) / pct(naive_t, 0.95):.2f}"))
        # Holter length: 24 hours of real signal (MIT-BIH 100 repeated 48 times), 2 leads at 360 Hz,
        # in a paper view of its own (display path only; no filter or analysis of the 24 hours).
        from ecgchat_desktop.ui import paper_layout as pl
        from ecgchat_desktop.ui.ecg_view import EcgPaperView

        day = np.tile(e.signals_mv, (1, 48))
        hv = EcgPaperView()
        hv.resize(win.view.size())
        hv.show()
        lay = pl.build_layout(e.lead_names, day.shape[1], e.sampling_rate_hz, "12x1")
        t0 = time.perf_counter()
        hv.show_layout(day, e.sampling_rate_hz, lay, "24 h", initial_seconds=10.0)
        app.processEvents()
        hv.repaint()
        first = time.perf_counter() - t0
        holter = []
        for i in range(120):
            t0 = time.perf_counter()
            hv.scroll_to_seconds((i * 733.0) % (day.shape[1] / e.sampling_rate_hz - 20))
            app.processEvents()
            hv.repaint()
            holter.append(time.perf_counter() - t0)
        hv.vb.setXRange(lay.trace_x0_mm, lay.trace_x0_mm + 5 * 60 * 25.0, padding=0)  # widest view: 5 min
        app.processEvents()
        wide = []
        for i in range(20):
            t0 = time.perf_counter()
            hv.vb.translateBy(x=600.0)
            app.processEvents()
            hv.repaint()
            wide.append(time.perf_counter() - t0)
        hv.close()
        rows.append(("24-hour recording (2 x 31.1 M samples): first paint", f"{first * 1000:.1f}", "", ""))
        rows.append(("24-hour recording: ms per scroll step, 10 s shown (median / 95th pct)",
                     f"{statistics.median(holter) * 1000:.1f} / {pct(holter, 0.95) * 1000:.1f}", "", ""))
        rows.append(("24-hour recording: ms per pan step, 5 min shown (median / 95th pct)",
                     f"{statistics.median(wide) * 1000:.1f} / {pct(wide, 0.95) * 1000:.1f}", "", ""))
    else:
        rows.append(("scroll 30-min MIT-BIH record", "skipped: shared data not found", "", ""))

    print("| measure | ours (ms) | baseline (ms) | ratio |")
    print("|---|---:|---:|---:|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()
    print("Baselines: start-up — a bare PySide6 window in a fresh interpreter; pan — pyqtgraph with the same "
          "12 leads as 12 plain curves; scroll — pyqtgraph with the whole 30-minute record, no decimation. "
          f"{args.repeats} start-ups each; offscreen Qt platform (software rendering), window 1400×900.")
    if win.store is not None:
        win.store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
