"""Paper geometry (Qt-free): true proportions, layouts, calibration pulse, display decimation."""

from __future__ import annotations

import numpy as np
import pytest

from ecgchat_desktop.ecg import STANDARD_12_LEADS
from ecgchat_desktop.ui import paper_layout as pl

FS = 500.0
N = 5000


@pytest.mark.parametrize("speed", pl.SPEEDS_MM_S)
def test_one_second_is_speed_millimetres(speed):
    lay = pl.build_layout(STANDARD_12_LEADS, N, FS, "3x4+1", speed_mm_s=speed)
    rhythm = [p for p in lay.panels if p.rhythm][0]
    x0 = rhythm.sample_to_x_mm(rhythm.start_sample, FS, speed)
    x1 = rhythm.sample_to_x_mm(rhythm.start_sample + int(FS), FS, speed)
    assert x1 - x0 == pytest.approx(speed)
    # The rhythm strip spans the whole 10 s page.
    assert rhythm.stop_sample - rhythm.start_sample == N
    margin = 10.0 if speed == 25.0 else 15.0  # the pulse zone grows with the speed
    assert lay.trace_x0_mm == margin and rhythm.x0_mm == margin
    assert lay.width_mm == pytest.approx(margin + 10 * speed + pl.RIGHT_MARGIN_MM)


def test_3x4_columns_cover_consecutive_quarters():
    lay = pl.build_layout(STANDARD_12_LEADS, N, FS, "3x4+1")
    by_lead = {p.lead: p for p in lay.panels if not p.rhythm}
    assert by_lead["I"].start_sample == 0 and by_lead["aVR"].start_sample == 1250
    assert by_lead["V1"].start_sample == 2500 and by_lead["V4"].start_sample == 3750
    assert by_lead["aVR"].x0_mm == pytest.approx(by_lead["I"].x0_mm + 2.5 * 25.0)
    assert [p.lead for p in lay.panels if p.rhythm] == ["II"]
    lay3 = pl.build_layout(STANDARD_12_LEADS, N, FS, "3x4+3")
    assert [p.lead for p in lay3.panels if p.rhythm] == ["II", "V1", "V5"]


@pytest.mark.parametrize("layout,n_rows", [("6x2", 6), ("12x1", 12), ("single", 1)])
def test_row_counts(layout, n_rows):
    lay = pl.build_layout(STANDARD_12_LEADS, N, FS, layout, single_lead="V2")
    assert len({p.row for p in lay.panels}) == n_rows
    if layout == "single":
        assert lay.panels[0].lead == "V2"


def test_gain_and_half_chest_gain():
    lay = pl.build_layout(STANDARD_12_LEADS, N, FS, "3x4+1", gain_mm_mv=20.0, chest_half_gain=True)
    gains = {p.lead: p.gain_mm_mv for p in lay.panels}
    assert gains["II"] == 20.0 and gains["V3"] == 10.0
    # Baselines sit on 5 mm lines, rows are far enough apart for ±2 mV.
    for b in lay.row_baselines_mm:
        assert b % 5.0 == pytest.approx(0.0)
    assert lay.row_height_mm >= 4 * 20.0


def test_calibration_pulse_is_one_millivolt_and_200_ms():
    x, y = pl.calibration_pulse_mm(-25.0, 10.0, 25.0)
    assert y.max() - y.min() == pytest.approx(10.0)
    top = x[y == y.max()]
    assert top.max() - top.min() == pytest.approx(0.2 * 25.0)


def test_non_standard_leads_fall_back_to_rows():
    lay = pl.build_layout(("MLII", "V5"), 650_000, 360.0, "3x4+1")
    assert lay.layout == "12x1" and [p.lead for p in lay.panels] == ["MLII", "V5"]
    assert lay.width_mm == pytest.approx(pl.LEFT_MARGIN_MM + 650_000 / 360.0 * 25.0 + pl.RIGHT_MARGIN_MM)


def test_unknown_layout_is_refused():
    with pytest.raises(ValueError, match="unknown layout"):
        pl.build_layout(STANDARD_12_LEADS, N, FS, "4x3")


def test_minmax_decimation_keeps_every_extreme():
    rng = np.random.default_rng(0)
    sig = rng.normal(0, 0.05, 100_003).astype(np.float32)
    sig[12_345] = 5.0    # a pacing spike one sample wide
    sig[99_999] = -4.0
    pos, val = pl.minmax_decimate(sig, 0, len(sig), 700)
    assert len(pos) <= 2 * 700 + 2
    assert val.max() == pytest.approx(5.0) and val.min() == pytest.approx(-4.0)
    assert pos[np.argmax(val)] == 12_345
    assert np.all(np.diff(pos) >= 0)
    # Every returned point is a real sample, never an average.
    assert np.array_equal(val, sig[pos.astype(int)])


def test_decimation_not_applied_when_few_samples():
    sig = np.arange(100, dtype=np.float32)
    pos, val = pl.minmax_decimate(sig, 10, 60, 500)
    assert np.array_equal(pos, np.arange(10, 60)) and np.array_equal(val, sig[10:60])


def test_screen_constants_agree_with_the_report_paper_rules():
    from ecgchat_desktop.report import paper

    assert pl.SPEEDS_MM_S == paper.SPEEDS_MM_S and pl.GAINS_MM_MV == paper.GAINS_MM_MV
    assert pl.CAL_PULSE_S == paper.CALIBRATION_PULSE_S
    assert pl.PAGE_SECONDS * 25.0 == paper.TRACE_WIDTH_MM_DEFAULT
    assert set(pl.LAYOUTS) == set(paper.LAYOUTS) | {"single"}
    for speed in pl.SPEEDS_MM_S:
        assert pl.left_margin_mm(speed) == paper.calibration_zone_mm(paper.PaperSettings(speed))


def test_findings_panel_vocabulary_constants_agree_with_interpret():
    from ecgchat_desktop.interpret import statement
    from ecgchat_desktop.ui import findings_panel

    assert findings_panel.CATEGORIES == statement.CATEGORIES
    assert findings_panel.SEVERITIES == statement.SEVERITIES


def test_display_filter_keeps_length_nan_gaps_and_removes_baseline_wander():
    from ecgchat_desktop.ui.display_filter import DisplayFilter, apply_display_filter

    fs = 500.0
    t = np.arange(5000) / fs
    sig = np.vstack([0.8 * np.sin(2 * np.pi * 0.1 * t) + 0.5 * np.sin(2 * np.pi * 10 * t),
                     np.sin(2 * np.pi * 10 * t)]).astype(np.float32)
    sig[1, 100:110] = np.nan
    out = apply_display_filter(sig, fs, DisplayFilter(0.5, 40.0, None))
    assert out.shape == sig.shape and out.dtype == np.float32
    assert np.isnan(out[1, 100:110]).all() and np.isfinite(out[1, 200:]).all()
    mid = slice(1000, 4000)
    assert abs(np.mean(out[0, mid])) < 0.05                      # 0.1 Hz drift gone
    assert np.std(out[0, mid]) == pytest.approx(0.5 / np.sqrt(2), rel=0.1)  # 10 Hz kept
    same = apply_display_filter(sig, fs, DisplayFilter(None, None, None))
    assert np.array_equal(same, sig, equal_nan=True)
    assert DisplayFilter(0.5, 40.0, 50.0).describe() == "0.5–40 Hz, 50 Hz notch"
