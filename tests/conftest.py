"""Shared test setup. Qt runs headless; the shared ECG data is found through ECGCHAT_DATA."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from ecgchat_desktop.settings import shared_data_dir  # noqa: E402

TESTS_DIR = Path(__file__).resolve().parent
TEST_DATA = TESTS_DIR / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared real-ECG folder; tests that need it skip with a clear message when absent."""
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"shared ECG data not found at {path} (set ECGCHAT_DATA)")
    return path


@pytest.fixture(scope="session")
def ptbxl_measured(data_dir):
    """get(n): the measurements of PTB-XL record n (500 Hz), measured once per session."""
    from ecgchat_desktop.analysis import measure
    from ecgchat_desktop.io import read_ecg

    cache = {}

    def get(n: int):
        if n not in cache:
            path = data_dir / "ptb-xl" / "records500" / f"{n // 1000 * 1000:05d}" / f"{n:05d}_hr.hea"
            cache[n] = measure(read_ecg(path))
        return cache[n]
    return get


@pytest.fixture()
def ecgchat_home(tmp_path, monkeypatch) -> Path:
    """An isolated user data folder (database, settings) for one test."""
    home = tmp_path / "ecgchat-home"
    home.mkdir()
    monkeypatch.setenv("ECGCHAT_HOME", str(home))
    return home


@pytest.fixture()
def window_prefs(ecgchat_home):
    """Preferences of the `window` fixture; a test module overrides it to set e.g. a user."""
    from ecgchat_desktop.ui.preferences import Preferences

    return Preferences()


@pytest.fixture()
def window(qtbot, ecgchat_home, window_prefs):
    """The real main window (no language model), shown, with its database ready."""
    from PySide6.QtCore import QThreadPool

    from ecgchat_desktop.ui.main_window import MainWindow

    win = MainWindow(window_prefs, load_model=False)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.storeReady, timeout=30_000):
        pass
    yield win
    QThreadPool.globalInstance().waitForDone(120_000)  # no analysis left running into the next test
    qtbot.wait(10)
    if win.store is not None:
        win.store.close()
