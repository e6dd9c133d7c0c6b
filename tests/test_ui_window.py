"""The real workstation window, offscreen: open real files, draw at true scale, reject bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from ecgchat_desktop.settings import SAMPLES_DIR

pytestmark = pytest.mark.gui

SAMPLE_PTBXL = SAMPLES_DIR / "ptbxl-00008" / "00008_hr.hea"


def open_and_wait(qtbot, win, path, timeout=90_000):
    with qtbot.waitSignal(win.analysisShown, timeout=timeout) as blocker:
        win.open_paths([str(path)])
    return blocker.args[0]


# Trace pixels are near black, even antialiased; the darkest grid line (#e59a9a) has a
# brightest channel of 229, the paper 255.
_DARK = 170


def _image_array(img: QImage) -> np.ndarray:
    img = img.convertToFormat(QImage.Format_RGB32)
    ptr = img.constBits()
    arr = np.frombuffer(ptr, dtype=np.uint8).reshape(img.height(), img.bytesPerLine() // 4, 4)
    return arr[:, : img.width(), :3].copy()


def _measure_cal_pulse_px(win) -> tuple[float, float]:
    """Height and width in pixels of the first row's calibration pulse, read from the
    rendered image (dark pixels in a box around it; the paper grid is pink, not dark)."""
    view = win.view
    lay = view.layout_
    panel = lay.panels[0]
    img = view.grab().toImage()
    dpr = img.devicePixelRatio()
    pulse_w_mm = 0.2 * lay.speed_mm_s
    tl = view.map_mm_to_widget(2.3, panel.baseline_mm + panel.gain_mm_mv + 3)
    br = view.map_mm_to_widget(2.0 + pulse_w_mm - 0.3, panel.baseline_mm - 3)
    arr = _image_array(img)
    box = arr[int(tl.y() * dpr):int(br.y() * dpr), int(tl.x() * dpr):int(br.x() * dpr)]
    dark = (box.max(axis=2) < _DARK)
    ys = np.nonzero(dark.any(axis=1))[0]
    assert ys.size, "calibration pulse not drawn"
    # Top line: the first dark row; its horizontal extent (within a full-pulse box) is the width.
    tl2 = view.map_mm_to_widget(0.0, panel.baseline_mm + panel.gain_mm_mv + 3)
    br2 = view.map_mm_to_widget(2.0 + pulse_w_mm + 0.6, panel.baseline_mm + panel.gain_mm_mv * 0.5)
    box2 = arr[int(tl2.y() * dpr):int(br2.y() * dpr), int(tl2.x() * dpr):int(br2.x() * dpr)]
    top_row = box2[np.nonzero((box2.max(axis=2) < _DARK).any(axis=1))[0][0]]
    xs = np.nonzero(top_row.max(axis=1) < _DARK)[0]
    # Vertical edges reach from the baseline row to the top row.
    tl3 = view.map_mm_to_widget(1.0, panel.baseline_mm + panel.gain_mm_mv + 3)
    br3 = view.map_mm_to_widget(2.0 + pulse_w_mm + 0.6, panel.baseline_mm - 3)
    box3 = arr[int(tl3.y() * dpr):int(br3.y() * dpr), int(tl3.x() * dpr):int(br3.x() * dpr)]
    ys3 = np.nonzero((box3.max(axis=2) < _DARK).any(axis=1))[0]
    return (ys3.max() - ys3.min()) / dpr, (xs.max() - xs.min()) / dpr


def test_open_ptbxl_draws_twelve_leads_with_findings(qtbot, window, data_dir):
    path = data_dir / "ptb-xl" / "records500" / "00000" / "00001_hr.hea"
    doc = open_and_wait(qtbot, window, path)
    assert window.doc is doc and doc.ecg.n_leads == 12
    lay = window.view.layout_
    assert {p.lead for p in lay.panels} == set(doc.ecg.lead_names)
    assert "12 leads" in window.header.text()
    # Every panel has a drawn trace inside its own strip.
    for i, panel in enumerate(window.view.layout_.panels):
        x, y = window.view.curve_data(i)
        assert len(x) > 100
        assert abs(np.nanmedian(y) - panel.baseline_mm) < lay.row_height_mm / 2
    if doc.findings is not None:
        assert window.findings_panel.table.rowCount() > 0
        assert window.findings_panel.table.item(0, 1).text() != "—"  # heart rate measured
        assert doc.record_id is not None


@pytest.mark.parametrize("speed,gain", [(25.0, 10.0), (50.0, 10.0), (25.0, 20.0), (50.0, 5.0)])
def test_drawn_scale_matches_speed_and_gain(qtbot, window, speed, gain):
    open_and_wait(qtbot, window, SAMPLE_PTBXL)
    window.set_speed(speed)
    window.set_gain(gain)
    qtbot.wait(50)
    px_x, px_y = window.view.px_per_mm()
    assert px_x == pytest.approx(px_y, rel=1e-6)  # square millimetres
    height_px, width_px = _measure_cal_pulse_px(window)
    # 1 mV pulse is `gain` mm tall, 200 ms is 0.2*speed mm wide, in pixels per mm of this zoom.
    assert height_px == pytest.approx(gain * px_y, abs=2.5)
    assert width_px == pytest.approx(0.2 * speed * px_x, abs=2.5)
    # One second of trace spans `speed` mm on screen.
    panel = [p for p in window.view.layout_.panels if p.rhythm][0]
    a = window.view.map_mm_to_widget(panel.sample_to_x_mm(panel.start_sample, 500.0, speed), 0)
    b = window.view.map_mm_to_widget(panel.sample_to_x_mm(panel.start_sample + 500, 500.0, speed), 0)
    assert b.x() - a.x() == pytest.approx(speed * px_x, rel=1e-3)


@pytest.mark.parametrize("layout", ["3x4+1", "3x4+3", "6x2", "12x1", "single"])
def test_switch_layouts(qtbot, window, layout):
    open_and_wait(qtbot, window, SAMPLE_PTBXL)
    window.set_layout(layout)
    qtbot.wait(20)
    lay = window.view.layout_
    assert lay.layout == layout
    expected_rows = {"3x4+1": 4, "3x4+3": 6, "6x2": 6, "12x1": 12, "single": 1}[layout]
    assert len(lay.row_baselines_mm) == expected_rows
    assert window.prefs.get("view/layout") == layout


def test_unreadable_file_gives_message_and_changes_nothing(qtbot, window, tmp_path):
    doc = open_and_wait(qtbot, window, SAMPLE_PTBXL)
    bad = tmp_path / "broken.hea"
    bad.write_text("this is not a WFDB header\n\x00\x01")
    with qtbot.waitSignal(window.openFailed, timeout=20_000) as blocker:
        window.open_paths([str(bad)])
    msg = blocker.args[0]
    assert "broken.hea" in msg
    assert window.doc is doc  # the tracing on screen is unchanged
    assert window.view.layout_ is not None
    missing = tmp_path / "nothing-here.dcm"
    with qtbot.waitSignal(window.openFailed, timeout=20_000) as blocker:
        window.open_paths([str(missing)])
    assert "nothing-here.dcm" in blocker.args[0] and "does not exist" in blocker.args[0]
    assert window.doc is doc


def test_recent_files_and_settings_persist(qtbot, window):
    open_and_wait(qtbot, window, SAMPLE_PTBXL)
    window.set_layout("6x2")
    window.set_speed(50.0)
    window.prefs.sync()
    from ecgchat_desktop.ui.preferences import Preferences

    again = Preferences()
    assert again.recent_files()[0].endswith("00008_hr.hea")
    assert again.get("view/layout") == "6x2" and again.get("view/speed_mm_s") == 50.0


def test_open_dicom_shows_device_measurements_beside_ours(qtbot, window, data_dir):
    path = data_dir / "formats" / "dicom" / "ecgtoolkit-example.dcm"
    doc = open_and_wait(qtbot, window, path)
    assert doc.ecg.source_format == "dicom" and doc.ecg.n_leads == 12
    assert window.view.layout_.layout == "3x4+1"
    table = window.findings_panel.table
    rows = {table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text())
            for r in range(table.rowCount())}
    # The device's own values from the file (PR 148, QRS 120, QT 420, QTc 443 ms).
    assert rows["PR"][1] == "148 ms" and rows["QRS"][1] == "120 ms"
    assert rows["QT"][1] == "420 ms" and rows["QTc Bazett"][1] == "443 ms"
    # Statements the device wrote into the file are listed beside ours.
    for text in doc.ecg.device_statements:
        assert text in window.findings_panel.device_label.text()
    # Median beats tab (drawn when shown): ours when analysed, else the device's from the file.
    window.act_median.trigger()
    assert window.median_view.layout_ is not None
    assert "median" in window.median_label.text().lower()


def test_drag_and_drop_opens_the_file(qtbot, window):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent

    mime = QMimeData()
    # A WFDB record dropped as header + data: opened once, through its header.
    mime.setUrls([QUrl.fromLocalFile(str(SAMPLE_PTBXL)), QUrl.fromLocalFile(str(SAMPLE_PTBXL.with_suffix(".dat")))])
    enter = QDragEnterEvent(window.rect().center(), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(window.rect().center()), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    with qtbot.waitSignal(window.analysisShown, timeout=90_000) as b:
        window.dropEvent(drop)
    assert b.args[0].path.endswith("00008_hr.hea")
    assert window.prefs.recent_files() == [str(SAMPLE_PTBXL.resolve())]  # opened once


def test_keyboard_shortcuts_and_dark_theme(qtbot, window):
    from PySide6.QtCore import Qt

    open_and_wait(qtbot, window, SAMPLE_PTBXL)
    window.activateWindow()
    window.view.setFocus()
    shortcuts = {a.text(): a.shortcut().toString() for a in window.actions() if a.shortcut().toString()}
    for name in ("&Open…", "Time caliper", "Amplitude caliper", "Show fiducial points", "Confirm statements",
                 "Save report as PDF…", "Print report…", "Dark theme", "Median beats"):
        assert shortcuts.get(name), f"no shortcut for {name}"
    # Real key presses reach the actions.
    qtbot.keyClick(window.view, Qt.Key_T)
    assert len(window.calipers.items) == 1 and window.calipers.items[0].kind == "time"
    qtbot.keyClick(window.view, Qt.Key_3, Qt.AltModifier)
    assert window.current_layout_name() == "6x2"
    qtbot.keyClick(window.view, Qt.Key_F)
    assert window.act_fiducials.isChecked()
    if window.doc.findings is not None:
        assert window.view.fiducial_count() > 0
    # Actual size: one paper millimetre is one millimetre of this screen.
    window.act_actual.trigger()
    screen = window.screen()
    expected = screen.physicalDotsPerInchX() / 25.4 / max(window.devicePixelRatioF(), 1.0)
    assert window.view.px_per_mm()[0] == pytest.approx(expected, rel=0.02)
    # Dark theme: dark paper, light trace, and the choice is remembered.
    qtbot.keyClick(window.view, Qt.Key_D, Qt.ControlModifier)
    assert window.theme == "dark" and window.view.colors.background == "#15171b"
    assert window.prefs.get("view/theme") == "dark"
    window.set_theme("light")


def test_a_dropped_folder_opens_every_ecg_in_it(qtbot, window):
    folder = SAMPLES_DIR  # 3 WFDB records (.hea + .dat) and one DICOM file
    paths = window._dedupe_paths([str(folder)])
    assert sorted(Path(p).name for p in paths) == ["00001_hr.hea", "00008_hr.hea", "00017_hr.hea",
                                                  "ecgtoolkit-example.dcm"]
    shown = []
    window.analysisShown.connect(lambda d: shown.append(d))
    window.open_paths([str(folder)])
    qtbot.waitUntil(lambda: len(shown) == 4, timeout=120_000)
    assert window.doc is shown[-1]
    if window.store is not None:
        qtbot.waitUntil(lambda: len(window.browser.record_ids()) == 4, timeout=10_000)


def test_display_filters_are_shown_and_switchable(qtbot, window):
    open_and_wait(qtbot, window, SAMPLE_PTBXL)
    assert "display filter 0.5–40 Hz" in window.view._grid.footer[2]
    before = window.view.curve_data(0)[1].copy()
    window.lp_combo.setCurrentIndex(window.lp_combo.findData(150.0))
    window.notch_combo.setCurrentIndex(window.notch_combo.findData(50.0))
    qtbot.waitUntil(lambda: "0.5–150 Hz, 50 Hz notch" in window.view._grid.footer[2], timeout=10_000)
    after = window.view.curve_data(0)[1]
    assert before.shape == after.shape and not np.allclose(before, after)  # the drawing changed
    # The analysis is untouched by display filters.
    assert window.doc.ecg.signals_mv.flags.writeable is False
    assert window.prefs.get("view/lowpass_hz") == 150.0 and window.prefs.get("view/notch_hz") == 50.0
