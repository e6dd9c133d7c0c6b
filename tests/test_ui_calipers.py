"""Calipers on the real window: a time caliper over a reference RR interval reads it right,
an amplitude caliper reads the calibration pulse as 1 mV, march-out and segment questions."""

from __future__ import annotations

import pytest

from ecgchat_desktop.settings import SAMPLES_DIR
LEFT_MARGIN_MM = 10.0  # trace start at 25 mm/s (calibration zone)

pytestmark = pytest.mark.gui


def test_time_caliper_reads_reference_rr_of_mitbih(qtbot, window, data_dir):
    """MIT-BIH 100, a 30-minute record: the cardiologists' beat annotations give the RR."""
    import wfdb

    rec = data_dir / "mitdb" / "100"
    ann = wfdb.rdann(str(rec), "atr")
    fs = 360.0
    beats = [int(s) for s, sym in zip(ann.sample, ann.symbol) if sym in "NLRVA"]
    # A pair of beats about 20 s in.
    k = next(i for i, s in enumerate(beats) if s > 20 * fs)
    s1, s2 = beats[k], beats[k + 1]
    with qtbot.waitSignal(window.documentShown, timeout=60_000):
        window.open_paths([str(rec) + ".hea"])
    for speed in (25.0, 50.0):
        window.set_speed(speed)
        lay = window.view.layout_
        assert lay.layout == "12x1" and lay.width_mm > 40_000  # the whole 30 minutes on one strip
        window.view.scroll_to_seconds(s1 / fs - 1.0)
        panel = lay.panels[0]
        cal = window.calipers.add_time(panel.sample_to_x_mm(s1, fs, speed), panel.sample_to_x_mm(s2, fs, speed))
        expected_ms = (s2 - s1) / fs * 1000.0
        assert cal.interval_ms() == pytest.approx(expected_ms, abs=1e-6)
        assert cal.rate_bpm() == pytest.approx(60_000.0 / expected_ms, rel=1e-9)
        assert f"{expected_ms:.0f} ms" in window.caliper_readout.text()
        t0, t1 = cal.times_s()
        assert t0 == pytest.approx(s1 / fs) and t1 == pytest.approx(s2 / fs)
        # Dragging one leg (what the mouse does) updates the reading.
        cal.lines[1].setValue(cal.lines[1].value() + 0.1 * speed)  # +100 ms
        assert cal.interval_ms() == pytest.approx(expected_ms + 100.0, abs=1e-6)
        window.calipers.clear()


def test_several_calipers_march_out_and_amplitude(qtbot, window):
    with qtbot.waitSignal(window.analysisShown, timeout=90_000):
        window.open_paths([str(SAMPLES_DIR / "ptbxl-00001" / "00001_hr.hea")])
    lay = window.view.layout_
    first = window.calipers.add_time(LEFT_MARGIN_MM + 20.0, LEFT_MARGIN_MM + 40.0)   # 800 ms at 25 mm/s
    second = window.calipers.add_time(LEFT_MARGIN_MM + 100.0, LEFT_MARGIN_MM + 105.0)  # 200 ms
    assert len(window.calipers.items) == 2 and window.calipers.active is second
    assert first.interval_ms() == pytest.approx(800.0) and first.rate_bpm() == pytest.approx(75.0)
    window.calipers.set_active(first)
    window.act_march.setChecked(True)
    window.act_march.trigger() if not first.marching else None
    first.set_marching(True)
    xs = [line.value() for line in first.march_lines]
    assert len(xs) >= 5
    assert xs[0] == pytest.approx(LEFT_MARGIN_MM + 60.0) and xs[1] - xs[0] == pytest.approx(20.0)
    # Amplitude caliper over the first row's calibration pulse: 1 mV, 10 mm at 10 mm/mV.
    base = lay.panels[0].baseline_mm
    amp = window.calipers.add_amplitude(base, base + lay.panels[0].gain_mm_mv, x_mm=40.0)
    assert amp.amplitude_mv() == pytest.approx(1.0) and "10.0 mm" in amp.text()
    # Half-gain chest leads: the same 10 mm on V2's strip reads 2 mV.
    window.half_chest.setChecked(True)
    lay = window.view.layout_
    v2 = next(p for p in lay.panels if p.lead == "V2")
    amp2 = window.calipers.add_amplitude(v2.baseline_mm, v2.baseline_mm + 10.0, x_mm=v2.x0_mm + 10.0)
    assert amp2.gain_mm_mv() == pytest.approx(5.0) and amp2.amplitude_mv() == pytest.approx(2.0)
    window.calipers.remove_active()
    assert amp2 not in window.calipers.items


def test_ask_about_segment_carries_the_analysis_of_its_beats(qtbot, window):
    with qtbot.waitSignal(window.analysisShown, timeout=90_000):
        window.open_paths([str(SAMPLES_DIR / "ptbxl-00001" / "00001_hr.hea")])
    doc = window.doc
    speed = window.view.layout_.speed_mm_s
    window.calipers.add_time(LEFT_MARGIN_MM, LEFT_MARGIN_MM + 10.0 * speed)  # the whole 10 s page
    with qtbot.waitSignal(window.segmentQuestion, timeout=2000) as blocker:
        window.ask_about_segment()
    text = blocker.args[0]
    assert "0.00–10.00 s" in text and "10000 ms" in text
    # No model loaded in this test: the question waits in the chat's input box.
    assert "0.00–10.00 s" in window.chat_panel.input.text()
    if doc.findings is not None and doc.findings.measurements.beats:
        n = len([b for b in doc.findings.measurements.beats if 0 <= b.r_peak <= 5000])
        assert f"{n} beat(s)" in text


def test_caliper_leg_dragged_with_the_mouse(qtbot, window):
    """A real press-move-release on the view's viewport moves one leg of the caliper."""
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    with qtbot.waitSignal(window.documentShown, timeout=60_000):
        window.open_paths([str(SAMPLES_DIR / "ptbxl-00001" / "00001_hr.hea")])
    view = window.view
    cal = window.calipers.add_time(LEFT_MARGIN_MM + 50.0, LEFT_MARGIN_MM + 70.0)  # 800 ms
    qtbot.wait(50)
    y_mm = view.layout_.row_baselines_mm[1]
    start = view.map_mm_to_widget(cal.b, y_mm)
    end = view.map_mm_to_widget(cal.b + 5.0, y_mm)   # 5 mm = 200 ms further
    vp = view.viewport()

    def send(kind, pos, buttons):
        ev = QMouseEvent(kind, QPointF(pos), vp.mapToGlobal(QPointF(pos)), Qt.LeftButton, buttons, Qt.NoModifier)
        QApplication.sendEvent(vp, ev)

    send(QEvent.MouseButtonPress, start, Qt.LeftButton)
    for k in range(1, 11):
        p = QPointF(start.x() + (end.x() - start.x()) * k / 10, start.y())
        send(QEvent.MouseMove, p, Qt.LeftButton)
        qtbot.wait(5)
    send(QEvent.MouseButtonRelease, end, Qt.NoButton)
    qtbot.wait(20)
    assert cal.interval_ms() == pytest.approx(1000.0, abs=15.0)  # within a pixel at this zoom
    assert "ms" in window.caliper_readout.text()
