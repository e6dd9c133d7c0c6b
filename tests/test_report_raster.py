"""Physical scale of the printed page, checked on pixels: page 1 rasterised by poppler's
pdftoppm at 254 dpi (exactly 10 px per mm) without anti-aliasing, so that each grid line
has its exact colour. Grid pitch, grid size and calibration-pulse height are measured
in pixels and compared with millimetres on paper."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from ecgchat_desktop.io import read_ecg
from ecgchat_desktop.report import ReportOptions, render_report
from ecgchat_desktop.report.paper import GRID_MAJOR_RGB, GRID_MINOR_RGB, calibration_zone_mm
from ecgchat_desktop.settings import SAMPLES_DIR

DPI = 254  # 254 / 25.4 = 10 px per mm
PX_PER_MM = DPI / 25.4
SAMPLE = SAMPLES_DIR / "ptbxl-00008" / "00008_hr.hea"


def _rgb255(rgb):
    return np.array([round(c * 255) for c in rgb])


@pytest.fixture(scope="module")
def pdftoppm():
    exe = shutil.which("pdftoppm")
    if exe is None:
        pytest.skip("pdftoppm (poppler-utils) not installed; .ci/run installs it")
    return exe


@pytest.fixture(scope="module")
def ecg():
    return read_ecg(SAMPLE)


def rasterise_page1(pdftoppm, pdf: bytes, tmp_path, left_mm: float | None = None) -> np.ndarray:
    """Page 1 as RGB pixels; `left_mm` keeps only the page's left strip (faster, for pulses)."""
    from PIL import Image

    src = tmp_path / "r.pdf"
    src.write_bytes(pdf)
    crop = ["-x", "0", "-y", "0", "-W", str(int(left_mm * PX_PER_MM)), "-H", "3000"] if left_mm else []
    subprocess.run([pdftoppm, "-r", str(DPI), "-f", "1", "-l", "1", "-aa", "no", "-aaVector", "no", *crop, "-png",
                    str(src), str(tmp_path / "page")], check=True, capture_output=True)
    (png,) = list(tmp_path.glob("page*.png"))
    return np.asarray(Image.open(png).convert("RGB")).astype(int)


def colour_mask(img, rgb, tol=8):
    return np.abs(img - _rgb255(rgb)).max(axis=2) <= tol


def line_centres(profile: np.ndarray, threshold: float) -> np.ndarray:
    idx = np.nonzero(profile > threshold)[0]
    if idx.size == 0:
        return idx.astype(float)
    groups = np.split(idx, np.nonzero(np.diff(idx) > 1)[0] + 1)
    return np.array([g.mean() for g in groups])


def grid_box(img):
    ys, xs = np.nonzero(colour_mask(img, GRID_MAJOR_RGB))
    return xs.min(), xs.max(), ys.min(), ys.max()


@pytest.mark.parametrize("paper,size_mm", [("a4", (297.0, 210.0)), ("letter", (279.4, 215.9))])
def test_grid_pitch_is_1_and_5_mm(pdftoppm, ecg, tmp_path, paper, size_mm):
    img = rasterise_page1(pdftoppm, render_report(ecg, None, ReportOptions(paper=paper)), tmp_path)
    h_px, w_px = img.shape[:2]
    # The page itself: landscape, its size in pixels fixes the pixels per millimetre.
    assert w_px == pytest.approx(size_mm[0] * PX_PER_MM, abs=1.5)
    assert h_px == pytest.approx(size_mm[1] * PX_PER_MM, abs=1.5)
    px_per_mm = w_px / size_mm[0]

    x0, x1, y0, y1 = grid_box(img)
    major = colour_mask(img, GRID_MAJOR_RGB)[y0:y1 + 1, x0:x1 + 1]
    minor = colour_mask(img, GRID_MINOR_RGB)[y0:y1 + 1, x0:x1 + 1]
    for axis in (0, 1):  # vertical lines (column profile), then horizontal lines (row profile)
        major_pos = line_centres(major.mean(axis=axis), 0.5)
        minor_pos = line_centres(minor.mean(axis=axis), 0.5)
        assert len(major_pos) >= 20
        pitch_major = np.diff(major_pos)
        assert np.allclose(pitch_major, 5 * px_per_mm, atol=1.0), pitch_major
        # Four minor lines between consecutive major ones, 1 mm apart.
        assert len(minor_pos) == 4 * (len(major_pos) - 1)
        every = np.sort(np.concatenate([major_pos, minor_pos]))
        assert np.allclose(np.diff(every), 1 * px_per_mm, atol=1.0)
    # The grid is as wide as the calibration zone plus 10 s at 25 mm/s.
    width_mm = (x1 - x0) / px_per_mm
    assert width_mm == pytest.approx(calibration_zone_mm(ReportOptions().paper_settings()) + 250.0, abs=0.3)


def pulse_height_mm(img, row_band: tuple[int, int], x_range: tuple[int, int]) -> float:
    """Vertical extent of black (trace) pixels in the calibration zone of one row."""
    black = (img.max(axis=2) < 60)
    region = black[row_band[0]:row_band[1], x_range[0]:x_range[1]]
    rows = np.nonzero(region.any(axis=1))[0]
    assert rows.size, "no calibration pulse found"
    return (rows.max() - rows.min()) / PX_PER_MM


def pulse_heights_mm(img, options: ReportOptions) -> dict[int, float]:
    """Height of the calibration pulse of every row, in mm, measured on the pixels."""
    from ecgchat_desktop.ecg import STANDARD_12_LEADS
    from ecgchat_desktop.report.paper import compute_layout

    x0, x1, y0, y1 = grid_box(img)
    grid_h_mm = (y1 - y0) / PX_PER_MM
    layout = compute_layout(options.layout, options.paper_settings(), round(grid_h_mm), STANDARD_12_LEADS)
    zone_px = int(layout.calibration_zone_mm * PX_PER_MM)
    tallest = max(max(c.gains_mm_mv) for c in layout.calibrations)
    heights = {}
    for cal in layout.calibrations:
        base = y0 + int(round(cal.baseline_y_mm * PX_PER_MM))
        # Only this row's pulse: from 1 mm below its baseline up to just above the tallest pulse.
        band = (base - int((tallest + 1) * PX_PER_MM), base + int(1 * PX_PER_MM))
        heights[cal.row] = pulse_height_mm(img, band, (x0 + 5, x0 + zone_px - 5))
    return heights, layout


@pytest.mark.parametrize("gain", [5.0, 10.0, 20.0])
def test_calibration_pulse_is_1_mv_tall(pdftoppm, ecg, tmp_path, gain):
    from ecgchat_desktop.report.paper import TRACE_WIDTH_MM

    options = ReportOptions(gain_mm_mv=gain, layout="3x4+1")
    img = rasterise_page1(pdftoppm, render_report(ecg, None, options), tmp_path, left_mm=60)
    heights, layout = pulse_heights_mm(img, options)
    assert len(heights) == 4
    for row, height_mm in heights.items():
        # Black extent = 1 mV at the gain plus one trace line width.
        assert height_mm - TRACE_WIDTH_MM == pytest.approx(gain, abs=0.35), (row, heights)


def test_half_gain_chest_rows_print_a_half_height_pulse(pdftoppm, ecg, tmp_path):
    from ecgchat_desktop.report.paper import TRACE_WIDTH_MM

    options = ReportOptions(layout="12x1", chest_half_gain=True)
    img = rasterise_page1(pdftoppm, render_report(ecg, None, options), tmp_path, left_mm=60)
    heights, layout = pulse_heights_mm(img, options)
    by_lead = {layout.panels[row].lead: h for row, h in heights.items()}
    for lead in ("I", "II", "III", "aVR", "aVL", "aVF"):
        assert by_lead[lead] - TRACE_WIDTH_MM == pytest.approx(10.0, abs=0.35), (lead, by_lead)
    for lead in ("V1", "V2", "V3", "V4", "V5", "V6"):
        assert by_lead[lead] - TRACE_WIDTH_MM == pytest.approx(5.0, abs=0.35), (lead, by_lead)


def test_tracing_is_vector_not_raster(ecg):
    pdf = render_report(ecg, None, ReportOptions())
    assert b"/Subtype /Image" not in pdf


@pytest.mark.parametrize("speed", [25.0, 50.0])
def test_calibration_pulse_is_200_ms_wide_at_the_paper_speed(pdftoppm, ecg, tmp_path, speed):
    """Time on paper: the pulse's flat top lasts 200 ms, i.e. 5 mm at 25 mm/s, 10 mm at 50 mm/s."""
    from ecgchat_desktop.ecg import STANDARD_12_LEADS
    from ecgchat_desktop.report.paper import TRACE_WIDTH_MM, compute_layout

    options = ReportOptions(speed_mm_s=speed)
    img = rasterise_page1(pdftoppm, render_report(ecg, None, options), tmp_path, left_mm=60)
    x0, x1, y0, y1 = grid_box(img)
    layout = compute_layout(options.layout, options.paper_settings(), round((y1 - y0) / PX_PER_MM), STANDARD_12_LEADS)
    cal = layout.calibrations[0]
    base = y0 + int(round(cal.baseline_y_mm * PX_PER_MM))
    zone_px = int(layout.calibration_zone_mm * PX_PER_MM)
    black = img[base - int(12 * PX_PER_MM):base + 10, x0 + 3:x0 + zone_px - 3].max(axis=2) < 60
    rows = np.nonzero(black.any(axis=1))[0]
    top = black[rows.min():rows.min() + 3].any(axis=0)  # the pulse's top edge
    cols = np.nonzero(top)[0]
    width_mm = (cols.max() - cols.min()) / PX_PER_MM - TRACE_WIDTH_MM
    assert width_mm == pytest.approx(0.2 * speed, abs=0.3)
