"""Screenshots of the workstation's main states, from a REAL window on an X server (Xvfb).

    .venv/bin/python benchmarks/screenshots.py [--out docs/screenshots]

Without a DISPLAY the script re-runs itself under `xvfb-run` (apt: xvfb xauth and the xcb
libraries listed in README). Each PNG is the window as the X server shows it. It uses the
bundled samples, the shared data (MIT-BIH, PTB-XL) when present, and the real default model.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _reexec_under_xvfb() -> int:
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        print("screenshots: no DISPLAY and no xvfb-run (apt-get install xvfb xauth)", file=sys.stderr)
        return 2
    env = dict(os.environ, ECGCHAT_SCREENSHOT_CHILD="1")
    env.pop("QT_QPA_PLATFORM", None)
    return subprocess.call([xvfb, "-a", "-s", "-screen 0 1920x1200x24 -dpi 96", sys.executable, *sys.argv],
                           env=env)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    ap.add_argument("--no-model", action="store_true", help="skip the language model states")
    args = ap.parse_args()
    if not os.environ.get("DISPLAY") and not os.environ.get("ECGCHAT_SCREENSHOT_CHILD"):
        return _reexec_under_xvfb()
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    os.environ["ECGCHAT_HOME"] = tempfile.mkdtemp(prefix="ecgchat-shots-")

    from datetime import datetime

    from PySide6.QtWidgets import QApplication

    from ecgchat_desktop.settings import SAMPLES_DIR, shared_data_dir
    from ecgchat_desktop.ui.app import create_app
    from ecgchat_desktop.ui.main_window import MainWindow
    from ecgchat_desktop.ui.preferences import Preferences
    from ecgchat_desktop.ui.theme import apply_theme

    app = create_app()
    apply_theme(app, "light")
    prefs = Preferences()
    prefs.set("user/name", "Dr. A. Reader")
    win = MainWindow(prefs, load_model=not args.no_model)
    win.resize(1800, 1080)
    win.move(0, 0)
    win.show()
    data = shared_data_dir()

    def pump(seconds: float = 0.3) -> None:
        end = time.time() + seconds
        while time.time() < end:
            app.processEvents()
            time.sleep(0.01)

    def wait_for(cond, timeout: float = 120.0) -> None:
        end = time.time() + timeout
        while not cond() and time.time() < end:
            app.processEvents()
            time.sleep(0.01)

    def shot(name: str, widget=None) -> None:
        pump(0.4)
        target = widget or win
        screen = target.screen() or QApplication.primaryScreen()
        top = target.window()
        pix = screen.grabWindow(top.winId())
        if widget is not None and widget is not top:
            pos = widget.mapTo(top, widget.rect().topLeft())
            pix = pix.copy(pos.x(), pos.y(), widget.width(), widget.height())
        path = out / f"{name}.png"
        pix.save(str(path))
        print(f"saved {path}")

    def open_file(path) -> object:
        got = []
        win.analysisShown.connect(lambda d: got.append(d))
        win.open_paths([str(path)])
        wait_for(lambda: bool(got))
        win.analysisShown.disconnect()
        pump(0.3)
        return got[0] if got else None

    wait_for(lambda: win.components_ready and win.store is not None, 60)
    # 1. A 12-lead ECG, standard 3x4 + rhythm page, findings, chat ready.
    ptb = data / "ptb-xl" / "records500" / "00000" / "00010_hr.hea"
    doc = open_file(ptb if ptb.exists() else SAMPLES_DIR / "ptbxl-00008" / "00008_hr.hea")
    if not args.no_model:
        wait_for(lambda: win.chat_controller.state in ("ready", "failed"), 180)
    shot("01-main-12-lead-3x4")
    # 2. Fiducial points, 50 mm/s, zoomed on two beats of lead II.
    win.act_fiducials.setChecked(True)
    win._on_fiducials_toggled()
    win.set_speed(50.0)
    lay = win.view.layout_
    rhythm = [p for p in lay.panels if p.rhythm][0]
    win.view.vb.setRange(xRange=(lay.trace_x0_mm, lay.trace_x0_mm + 140), yRange=(rhythm.baseline_mm - 25,
                                                                                   rhythm.baseline_mm + 95), padding=0)
    shot("02-fiducials-50mm-s-zoomed")
    win.act_fiducials.setChecked(False)
    win._on_fiducials_toggled()
    win.set_speed(25.0)
    # 3. Calipers: RR with march-out, and an amplitude caliper on the calibration pulse.
    lay = win.view.layout_
    rhythm = [p for p in lay.panels if p.rhythm][0]
    fs = doc.ecg.sampling_rate_hz
    r = doc.findings.measurements.r_peaks if doc.findings is not None else []
    if len(r) >= 3:
        cal = win.calipers.add_time(rhythm.sample_to_x_mm(r[1], fs, 25.0), rhythm.sample_to_x_mm(r[2], fs, 25.0))
        cal.set_marching(True)
    win.calipers.add_amplitude(rhythm.baseline_mm, rhythm.baseline_mm + rhythm.gain_mm_mv, x_mm=4.5)
    win._update_caliper_readout()
    shot("03-calipers-march-out")
    win.calipers.clear()
    # 4. Median beats.
    win.act_median.trigger()
    shot("04-median-beats")
    win.act_tracing.trigger()
    # 5. Chat: a streamed, claim-checked answer with sources.
    if not args.no_model and win.chat_controller.state == "ready":
        answered = []
        win.chat_panel.answerShown.connect(lambda a: answered.append(a))
        win.chat_panel.ask("What is the heart rate and the rhythm?")
        wait_for(lambda: bool(answered), 240)
        shot("05-chat-answer-verdict")
    # 6. DICOM with device measurements beside ours, 6x2.
    win.set_layout("6x2")
    open_file(SAMPLES_DIR / "dicom" / "ecgtoolkit-example.dcm")
    shot("06-dicom-6x2-device-measurements")
    win.set_layout("3x4+1")
    # 7. A 30-minute MIT-BIH record scrolled to 12 minutes.
    mit = data / "mitdb" / "208.hea"
    if mit.exists():
        open_file(mit)
        win.time_scroll.setValue(12 * 60 * 10)
        shot("07-mitbih-30-min-scrolled")
    # 8. Browser: several ECGs of patients; a serial comparison.
    from ecgchat_desktop.ecg import Patient
    from ecgchat_desktop.findings import analyze_ecg
    from ecgchat_desktop.io import read_ecg

    patient = Patient(id="DEMO-0042", name="Doe, Jane", sex="F", age_years=67)
    first = read_ecg(SAMPLES_DIR / "ptbxl-00001" / "00001_hr.hea").with_changes(
        patient=patient, acquired_at=datetime(2024, 1, 10, 9, 30))
    second = read_ecg(SAMPLES_DIR / "ptbxl-00017" / "00017_hr.hea").with_changes(
        patient=patient, acquired_at=datetime(2025, 3, 2, 14, 5))
    win.store.add_ecg(first, findings=analyze_ecg(first))
    new_id, _ = win.store.add_ecg(second, findings=analyze_ecg(second))
    win.browser.refresh()
    got = []
    win.analysisShown.connect(lambda d: got.append(d))
    win.open_record(new_id)
    wait_for(lambda: bool(got))
    win.analysisShown.disconnect()
    shot("08-browser-critical-flag")
    win.act_compare.trigger()
    wait_for(lambda: win.compare_panel.prev is not None, 30)
    shot("09-compare-previous")
    # 10. Report preview.
    ready = []
    win.report_panel.previewReady.connect(lambda n: ready.append(n))
    win.act_report.trigger()
    wait_for(lambda: bool(ready), 60)
    shot("10-report-preview")
    win.act_tracing.trigger()
    # 11. Dark theme.
    win.act_dark.setChecked(True)
    win.set_theme("dark")
    shot("11-dark-theme")
    win.act_dark.setChecked(False)
    win.set_theme("light")
    # 12. An unreadable file: a clear message, nothing else changes.
    bad = Path(os.environ["ECGCHAT_HOME"]) / "scan-of-ecg.dcm"
    bad.write_bytes(b"DICM" + b"\x00" * 200)
    failed = []
    win.openFailed.connect(lambda m: failed.append(m))
    win.open_paths([str(bad)])
    wait_for(lambda: bool(failed), 30)
    shot("12-unreadable-file-message")
    from PySide6.QtWidgets import QMessageBox

    for box in win.findChildren(QMessageBox):
        box.close()
    # 13. Settings.
    from ecgchat_desktop.ui.settings_dialog import SettingsDialog

    dlg = SettingsDialog(win.prefs, win)
    dlg.show()
    pump(0.5)
    pix = (dlg.screen() or QApplication.primaryScreen()).grabWindow(dlg.winId())
    pix.save(str(out / "13-settings.png"))
    print(f"saved {out / '13-settings.png'}")
    dlg.close()
    win.chat_controller.shutdown()
    if win.store is not None:
        win.store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
