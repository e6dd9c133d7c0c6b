"""The event loop is never blocked for more than 100 ms while the window reads, analyses and
stores a 30-minute recording, scrolls through it, and switches layouts and speeds: an
event-loop watchdog (a 5 ms QTimer) records the longest gap between its ticks."""

from __future__ import annotations

import pytest

from ecgchat_desktop.settings import SAMPLES_DIR
from tests.ui_support import control_noise_ms, start_noise_control

pytestmark = [pytest.mark.gui, pytest.mark.slow]

MAX_BLOCK_MS = 100.0

def test_event_loop_never_blocked_over_100_ms(qtbot, ecgchat_home, data_dir):
    from PySide6.QtCore import QThreadPool

    from ecgchat_desktop.ui.app import create_app
    from ecgchat_desktop.ui.main_window import MainWindow
    from ecgchat_desktop.ui.preferences import Preferences
    from ecgchat_desktop.ui.watchdog import EventLoopWatchdog

    create_app()  # the application's own settings (GIL switch interval) as in real use
    win = MainWindow(Preferences(), load_model=False)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    # Start-up imports run in a worker and may pause the loop once; measure afterwards.
    qtbot.waitUntil(lambda: win.components_ready and win.store is not None, timeout=60_000)
    qtbot.wait(200)
    # The machine's own scheduling noise (shared CI cores), measured AT THE SAME TIME by an
    # idle process ticking the same way; blocking beyond it is what our code adds.
    control = start_noise_control()
    dog = EventLoopWatchdog(interval_ms=5)
    dog.start("open 30-minute MIT-BIH record (read, filter, analyse, store)")
    with qtbot.waitSignal(win.analysisShown, timeout=120_000):
        win.open_paths([str(data_dir / "mitdb" / "100.hea")])
    dog.set_phase("scroll through 30 minutes")
    for i in range(40):
        win.time_scroll.setValue(i * 450)   # 45 s steps
        qtbot.wait(15)
    dog.set_phase("open a 12-lead PTB-XL record")
    with qtbot.waitSignal(win.analysisShown, timeout=120_000):
        win.open_paths([str(SAMPLES_DIR / "ptbxl-00008" / "00008_hr.hea")])
    for layout in ("3x4+3", "6x2", "12x1", "single", "3x4+1"):
        dog.set_phase(f"layout {layout}")
        win.set_layout(layout)
        qtbot.wait(30)
    for speed in (50.0, 25.0):
        dog.set_phase(f"speed {speed:g}")
        win.set_speed(speed)
        qtbot.wait(30)
    dog.set_phase("pan")
    for _ in range(10):
        win.view.vb.translateBy(x=20.0)
        qtbot.wait(15)
    dog.stop()
    noise_ms = control_noise_ms(control)
    allowed_ms = MAX_BLOCK_MS + noise_ms
    QThreadPool.globalInstance().waitForDone(60_000)
    assert dog.n_ticks > 100
    worst = sorted(dog.gaps_by_phase.items(), key=lambda kv: -kv[1])
    assert dog.max_gap_ms < allowed_ms, (
        f"event loop blocked {dog.max_gap_ms:.0f} ms (an idle process on this machine meanwhile: {noise_ms:.0f} ms); by phase: {worst}")
    if win.store is not None:
        win.store.close()
