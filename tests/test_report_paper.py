"""ECG-paper rules (report.paper): speeds, gains, layouts, calibration pulse, polylines."""

from __future__ import annotations

import numpy as np
import pytest

from ecgchat_desktop.ecg import STANDARD_12_LEADS
from ecgchat_desktop.report.paper import (
    LAYOUTS,
    PT_PER_MM,
    PaperSettings,
    PaperSettingsError,
    calibration_pulse_mm,
    calibration_zone_mm,
    compute_layout,
    display_filter,
    grid_lines_mm,
    trace_polyline_mm,
)


def test_pdf_unit_is_exactly_one_mm():
    assert PT_PER_MM * 25.4 == pytest.approx(72.0)


@pytest.mark.parametrize("speed,gain", [(30, 10), (25, 7), (12.5, 10)])
def test_unsupported_settings_are_refused(speed, gain):
    with pytest.raises(PaperSettingsError):
        PaperSettings(speed, gain)


def test_half_gain_applies_to_chest_leads_only():
    s = PaperSettings(25, 10, chest_half_gain=True)
    assert s.gain_for("II") == 10
    assert s.gain_for("V3") == 5
    assert "half gain" in s.describe()


@pytest.mark.parametrize("speed,seconds", [(25, 10.0), (50, 5.0)])
def test_3x4_plus_1_places_every_lead_in_time_order(speed, seconds):
    layout = compute_layout("3x4+1", PaperSettings(speed, 10), 140.0, STANDARD_12_LEADS)
    assert layout.seconds_shown == pytest.approx(seconds)
    assert layout.n_rows == 4
    leads = [p.lead for p in layout.panels if not p.rhythm]
    assert sorted(leads) == sorted(STANDARD_12_LEADS)
    by_lead = {p.lead: p for p in layout.panels if not p.rhythm}
    # Columns follow each other in time: I, aVR, V1, V4 are consecutive quarters.
    quarters = [by_lead[n] for n in ("I", "aVR", "V1", "V4")]
    for k, panel in enumerate(quarters):
        assert panel.t_start_s == pytest.approx(seconds * k / 4)
        assert panel.width_mm == pytest.approx((panel.t_end_s - panel.t_start_s) * speed)
    rhythm = [p for p in layout.panels if p.rhythm]
    assert [p.lead for p in rhythm] == ["II"]
    assert rhythm[0].width_mm == pytest.approx(250.0)
    # Physical scale: the traces are exactly speed * time long, after the calibration zone.
    assert layout.width_mm == pytest.approx(calibration_zone_mm(layout.settings) + 250.0)


def test_3x4_plus_3_has_three_rhythm_strips():
    layout = compute_layout("3x4+3", PaperSettings(), 140.0, STANDARD_12_LEADS)
    assert [p.lead for p in layout.panels if p.rhythm] == ["II", "V1", "V5"]
    assert layout.n_rows == 6


@pytest.mark.parametrize("name,rows,cols", [("6x2", 6, 2), ("12x1", 12, 1)])
def test_other_layouts(name, rows, cols):
    layout = compute_layout(name, PaperSettings(), 140.0, STANDARD_12_LEADS)
    assert layout.n_rows == rows
    assert max(p.col for p in layout.panels) == cols - 1
    assert len(layout.panels) == 12
    baselines = sorted({round(p.baseline_y_mm, 6) for p in layout.panels})
    assert len(baselines) == rows
    assert all(0 < b < 140 for b in baselines)


def test_recording_without_12_leads_falls_back_to_one_lead_per_row():
    layout = compute_layout("3x4+1", PaperSettings(), 140.0, ("MLII", "V5"))
    assert layout.name == "Nx1"
    assert [p.lead for p in layout.panels] == ["MLII", "V5"]
    assert "I" in layout.missing_leads


def test_half_gain_rows_get_a_stepped_calibration_pulse():
    settings = PaperSettings(25, 10, chest_half_gain=True)
    layout = compute_layout("3x4+1", settings, 140.0, STANDARD_12_LEADS)
    assert layout.calibrations[0].gains_mm_mv == (10.0, 5.0)  # I, aVR | V1, V4
    assert set(layout.half_gain_leads) == {"V1", "V2", "V3", "V4", "V5", "V6"}
    pts = np.array(calibration_pulse_mm(settings, (10.0, 5.0)))
    assert -pts[:, 1].max() == 0.0
    assert sorted(set(np.round(-pts[:, 1], 6))) == [0.0, 5.0, 10.0]


@pytest.mark.parametrize("gain", [5.0, 10.0, 20.0])
def test_calibration_pulse_is_one_millivolt_at_the_gain(gain):
    settings = PaperSettings(25, gain)
    pts = np.array(calibration_pulse_mm(settings, (gain,)))
    assert -pts[:, 1].min() == pytest.approx(gain)          # 1 mV tall
    tops = pts[np.isclose(pts[:, 1], -gain)]
    assert tops[:, 0].max() - tops[:, 0].min() == pytest.approx(0.2 * 25)  # 200 ms wide


@pytest.mark.parametrize("layout_name", LAYOUTS)
@pytest.mark.parametrize("gain", [5.0, 10.0, 20.0])
def test_first_calibration_pulse_stays_on_the_grid(layout_name, gain):
    layout = compute_layout(layout_name, PaperSettings(25, gain), 140.0, STANDARD_12_LEADS)
    assert layout.calibrations[0].baseline_y_mm - gain >= 0


def test_grid_lines():
    assert list(grid_lines_mm(10, 5)) == [0, 5, 10]
    assert len(grid_lines_mm(260, 1)) == 261


def test_polyline_scales_time_and_voltage_exactly():
    fs = 500.0
    settings = PaperSettings(25, 10)
    layout = compute_layout("12x1", settings, 140.0, STANDARD_12_LEADS)
    panel = layout.panels[0]
    t = np.arange(int(10 * fs)) / fs
    signal = np.where((t >= 1.0) & (t < 1.2), 1.0, 0.0).astype(np.float32)  # a 1 mV step, 200 ms
    (run,) = trace_polyline_mm(panel, signal, fs, settings)
    high = run[np.isclose(run[:, 1], panel.baseline_y_mm - 10.0)]
    assert high[:, 0].min() - panel.x_mm == pytest.approx(25.0, abs=0.06)   # 1 s -> 25 mm
    assert high[:, 0].max() - high[:, 0].min() == pytest.approx(5.0, abs=0.1)  # 200 ms -> 5 mm


def test_polyline_keeps_narrow_peaks_when_binning_fast_recordings():
    fs = 5000.0
    settings = PaperSettings(25, 10)
    layout = compute_layout("12x1", settings, 140.0, STANDARD_12_LEADS)
    signal = np.zeros(int(10 * fs), dtype=np.float32)
    signal[12345] = 2.0  # a single-sample spike (pacemaker-like)
    (run,) = trace_polyline_mm(layout.panels[0], signal, fs, settings)
    assert len(run) < signal.size
    assert (layout.panels[0].baseline_y_mm - run[:, 1]).max() == pytest.approx(20.0)


def test_polyline_breaks_at_missing_samples():
    fs = 500.0
    settings = PaperSettings(25, 10)
    layout = compute_layout("12x1", settings, 140.0, STANDARD_12_LEADS)
    signal = np.zeros(5000, dtype=np.float32)
    signal[2000:2500] = np.nan
    runs = trace_polyline_mm(layout.panels[0], signal, fs, settings)
    assert len(runs) == 2


def test_display_filter_removes_baseline_wander_and_keeps_gaps():
    fs = 500.0
    t = np.arange(5000) / fs
    wander = 1.0 * np.sin(2 * np.pi * 0.1 * t)
    qrs_like = np.sin(2 * np.pi * 10 * t) * 0.5
    out = display_filter(wander + qrs_like, fs, 0.5, 150.0)
    assert np.abs(out[500:-500] - qrs_like[500:-500]).max() < 0.1
    gap = (wander + qrs_like).copy()
    gap[100:200] = np.nan
    assert np.isnan(display_filter(gap, fs)[100:200]).all()


def test_short_recording_keeps_the_physical_scale():
    layout = compute_layout("3x4+1", PaperSettings(25, 10), 140.0, STANDARD_12_LEADS, duration_s=3.0)
    assert layout.seconds_shown == pytest.approx(3.0)
    by_lead = {p.lead: p for p in layout.panels if not p.rhythm}
    assert by_lead["aVR"].t_start_s == pytest.approx(0.75)
    assert by_lead["aVR"].width_mm == pytest.approx(0.75 * 25)       # 25 mm per second, not stretched
    assert by_lead["aVR"].x_mm == pytest.approx(by_lead["I"].x_mm + 62.5)  # columns stay in place
