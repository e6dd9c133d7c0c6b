"""ECG-paper drawing rules, free of any drawing toolkit (no Qt, no reportlab).

Shared by the PDF report and the screen view so that both obey the same physics:
paper speed in mm/s, gain in mm/mV, a 1 mm / 5 mm grid, the standard lead layouts and
a 1 mV calibration pulse. Everything here is in millimetres with the origin at the
TOP-LEFT corner of the grid and y pointing DOWN (screen convention); a renderer only
scales mm to its own unit (PDF: 72/25.4 pt per mm) and flips y where it must.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MM_PER_INCH = 25.4
PT_PER_MM = 72.0 / MM_PER_INCH  # reportlab / PDF user unit

SPEEDS_MM_S: tuple[float, ...] = (25.0, 50.0)
GAINS_MM_MV: tuple[float, ...] = (5.0, 10.0, 20.0)
LAYOUTS: tuple[str, ...] = ("3x4+1", "3x4+3", "6x2", "12x1")

GRID_MINOR_MM = 1.0
GRID_MAJOR_MM = 5.0
# Classic ECG paper: light pink minor lines, red major lines (RGB 0..1).
GRID_MINOR_RGB = (0.97, 0.78, 0.80)
GRID_MAJOR_RGB = (0.90, 0.38, 0.42)
GRID_MINOR_WIDTH_MM = 0.08
GRID_MAJOR_WIDTH_MM = 0.18
TRACE_RGB = (0.0, 0.0, 0.0)
TRACE_WIDTH_MM = 0.22

# Standard trace width of the printed tracing: 10 s at 25 mm/s.
TRACE_WIDTH_MM_DEFAULT = 250.0
CALIBRATION_MV = 1.0
CALIBRATION_PULSE_S = 0.2  # 200 ms wide, the usual 1 mV standardisation pulse

# 3x4: the columns follow each other in time (I,II,III for the first quarter, ...).
_LAYOUT_3X4 = (
    ("I", "aVR", "V1", "V4"),
    ("II", "aVL", "V2", "V5"),
    ("III", "aVF", "V3", "V6"),
)
_LAYOUT_6X2 = (
    ("I", "V1"), ("II", "V2"), ("III", "V3"),
    ("aVR", "V4"), ("aVL", "V5"), ("aVF", "V6"),
)
_LAYOUT_12X1 = tuple((lead,) for lead in
                     ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"))
DEFAULT_RHYTHM_LEADS: dict[str, tuple[str, ...]] = {"3x4+1": ("II",), "3x4+3": ("II", "V1", "V5")}
CHEST_LEAD_NAMES = frozenset({"V1", "V2", "V3", "V4", "V5", "V6", "V3R", "V4R", "V5R", "V6R", "V7", "V8", "V9"})


class PaperSettingsError(ValueError):
    """An unsupported speed, gain or layout."""


@dataclass(frozen=True)
class PaperSettings:
    """How the tracing is scaled: the physical paper settings a clinician reads off the print."""

    speed_mm_s: float = 25.0
    gain_mm_mv: float = 10.0
    chest_half_gain: bool = False

    def __post_init__(self) -> None:
        if float(self.speed_mm_s) not in SPEEDS_MM_S:
            raise PaperSettingsError(f"paper speed {self.speed_mm_s} mm/s is not one of {SPEEDS_MM_S}")
        if float(self.gain_mm_mv) not in GAINS_MM_MV:
            raise PaperSettingsError(f"gain {self.gain_mm_mv} mm/mV is not one of {GAINS_MM_MV}")

    def gain_for(self, lead: str) -> float:
        """mm per mV for this lead (chest leads halved when chest_half_gain is on)."""
        if self.chest_half_gain and lead in CHEST_LEAD_NAMES:
            return self.gain_mm_mv / 2.0
        return self.gain_mm_mv

    def mm_for_seconds(self, seconds: float) -> float:
        return seconds * self.speed_mm_s

    def seconds_for_mm(self, mm: float) -> float:
        return mm / self.speed_mm_s

    def describe(self) -> str:
        text = f"{self.speed_mm_s:g} mm/s   {self.gain_mm_mv:g} mm/mV"
        if self.chest_half_gain:
            text += f" (chest leads {self.gain_mm_mv / 2:g} mm/mV, half gain)"
        return text


@dataclass(frozen=True)
class Panel:
    """One stretch of one lead on the grid. Positions in mm from the grid's top-left."""

    lead: str
    row: int
    col: int
    t_start_s: float
    t_end_s: float
    x_mm: float          # left edge of the trace
    width_mm: float
    baseline_y_mm: float  # where 0 mV is drawn
    gain_mm_mv: float
    rhythm: bool = False


@dataclass(frozen=True)
class RowCalibration:
    """The calibration pulse of one row: its baseline and the gains it demonstrates."""

    row: int
    baseline_y_mm: float
    gains_mm_mv: tuple[float, ...]  # one step per distinct gain in the row, in order


@dataclass(frozen=True)
class TracingLayout:
    name: str
    settings: PaperSettings
    width_mm: float         # the whole grid, calibration zone included
    height_mm: float
    calibration_zone_mm: float
    trace_width_mm: float
    seconds_shown: float
    n_rows: int
    row_height_mm: float
    panels: tuple[Panel, ...]
    calibrations: tuple[RowCalibration, ...]
    missing_leads: tuple[str, ...] = ()

    @property
    def half_gain_leads(self) -> tuple[str, ...]:
        return tuple(p.lead for p in self.panels if p.gain_mm_mv != self.settings.gain_mm_mv)


def calibration_zone_mm(settings: PaperSettings) -> float:
    """Width reserved left of the traces for the pulse: lead-in, pulse, lead-out, rounded up to 5 mm."""
    pulse = CALIBRATION_PULSE_S * settings.speed_mm_s
    return float(np.ceil((pulse + 4.0) / GRID_MAJOR_MM) * GRID_MAJOR_MM)


def grid_lines_mm(length_mm: float, pitch_mm: float) -> np.ndarray:
    """Positions of grid lines 0, pitch, 2*pitch ... up to length (inclusive)."""
    n = int(np.floor(length_mm / pitch_mm + 1e-9))
    return np.arange(n + 1) * pitch_mm


def compute_layout(
    layout: str,
    settings: PaperSettings,
    height_mm: float,
    available_leads: tuple[str, ...] | list[str],
    trace_width_mm: float = TRACE_WIDTH_MM_DEFAULT,
    rhythm_leads: tuple[str, ...] | None = None,
    duration_s: float | None = None,
) -> TracingLayout:
    """Place every lead of `layout` on a grid `height_mm` tall.

    Time shown is trace_width / speed (10 s at 25 mm/s, 5 s at 50 mm/s); the 3x4 and 6x2
    columns follow each other in time as on commercial printouts. A recording that lacks
    the standard 12 leads is drawn one lead per row (up to 12 rows) whatever the layout.
    """
    if layout not in LAYOUTS:
        raise PaperSettingsError(f"layout {layout!r} is not one of {LAYOUTS}")
    available = tuple(available_leads)
    seconds = trace_width_mm / settings.speed_mm_s
    if duration_s is not None:
        seconds = min(seconds, duration_s)
    cal_zone = calibration_zone_mm(settings)

    standard = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
    missing = tuple(lead for lead in standard if lead not in available)
    rhythm: tuple[str, ...] = ()
    if missing:
        # Not a standard 12-lead: one lead per row, whatever is there.
        grid: tuple[tuple[str, ...], ...] = tuple((lead,) for lead in available[:12])
        effective = "Nx1"
    else:
        grid = {"3x4+1": _LAYOUT_3X4, "3x4+3": _LAYOUT_3X4, "6x2": _LAYOUT_6X2, "12x1": _LAYOUT_12X1}[layout]
        effective = layout
        if layout in DEFAULT_RHYTHM_LEADS:
            wanted = rhythm_leads or DEFAULT_RHYTHM_LEADS[layout]
            rhythm = tuple(lead for lead in wanted if lead in available)
            if not rhythm:
                rhythm = (available[0],)
    n_rows = len(grid) + len(rhythm)
    row_h = height_mm / n_rows
    # Baselines sit 60 % down each row (QRS complexes are mostly positive), but the first one
    # is low enough that its full calibration pulse stays on the grid, whatever the gain.
    tallest_pulse = CALIBRATION_MV * settings.gain_mm_mv
    top_room = min(max(0.6 * row_h, tallest_pulse + 1.5), 0.5 * height_mm)
    bottom_room = 0.4 * row_h
    spacing = (height_mm - top_room - bottom_room) / (n_rows - 1) if n_rows > 1 else 0.0

    def baseline_of(row: int) -> float:
        return top_room + row * spacing
    panels: list[Panel] = []
    calibrations: list[RowCalibration] = []
    n_cols = max(len(r) for r in grid)
    col_w = trace_width_mm / n_cols
    for r, row in enumerate(grid):
        baseline = baseline_of(r)
        gains: list[float] = []
        for c, lead in enumerate(row):
            t0 = seconds * c / n_cols
            t1 = seconds * (c + 1) / n_cols
            gain = settings.gain_for(lead)
            panels.append(Panel(lead, r, c, t0, t1, cal_zone + c * col_w, (t1 - t0) * settings.speed_mm_s,
                                baseline, gain))
            if gain not in gains:
                gains.append(gain)
        calibrations.append(RowCalibration(r, baseline, tuple(gains)))
    for k, lead in enumerate(rhythm):
        r = len(grid) + k
        baseline = baseline_of(r)
        gain = settings.gain_for(lead)
        panels.append(Panel(lead, r, 0, 0.0, seconds, cal_zone, seconds * settings.speed_mm_s, baseline, gain,
                            rhythm=True))
        calibrations.append(RowCalibration(r, baseline, (gain,)))
    return TracingLayout(
        name=effective, settings=settings, width_mm=cal_zone + trace_width_mm, height_mm=height_mm,
        calibration_zone_mm=cal_zone, trace_width_mm=trace_width_mm, seconds_shown=seconds,
        n_rows=n_rows, row_height_mm=row_h, panels=tuple(panels), calibrations=tuple(calibrations),
        missing_leads=missing,
    )


def calibration_pulse_mm(settings: PaperSettings, gains_mm_mv: tuple[float, ...]) -> list[tuple[float, float]]:
    """Polyline of the 1 mV pulse, (x, y) in mm relative to (zone left, row baseline), y DOWN.

    One rectangular step of CALIBRATION_PULSE_S per distinct gain in the row: a row that mixes
    full-gain limb leads and half-gain chest leads gets a stepped pulse (10 then 5 mm), as
    commercial carts print it.
    """
    lead_in = 2.0
    pulse = CALIBRATION_PULSE_S * settings.speed_mm_s
    step = pulse / len(gains_mm_mv)
    pts = [(0.0, 0.0), (lead_in, 0.0)]
    x = lead_in
    for gain in gains_mm_mv:
        height = CALIBRATION_MV * gain
        pts.append((x, -height))
        x += step
        pts.append((x, -height))
    pts.append((x, 0.0))
    pts.append((calibration_zone_mm(settings), 0.0))
    return pts


def display_filter(signal_mv: np.ndarray, fs_hz: float, highpass_hz: float | None = 0.5,
                   lowpass_hz: float | None = 150.0, notch_hz: float | None = None) -> np.ndarray:
    """Zero-phase band-pass (and optional notch) for printing; NaN gaps stay gaps.

    Zero-phase (forward-backward) filtering keeps the ST segment where it is, which a
    one-pass 0.5 Hz high-pass would distort (AHA 2007 recommendations).
    """
    from scipy import signal as sps

    x = np.asarray(signal_mv, dtype=np.float64)
    nan = ~np.isfinite(x)
    if nan.all():
        return x.astype(np.float32)
    if nan.any():
        idx = np.arange(x.size)
        x = x.copy()
        x[nan] = np.interp(idx[nan], idx[~nan], x[~nan])
    nyq = fs_hz / 2.0
    hp = highpass_hz if highpass_hz and highpass_hz > 0 else None
    lp = lowpass_hz if lowpass_hz and lowpass_hz < nyq * 0.95 else None
    if hp and lp:
        sos = sps.butter(2, [hp / nyq, lp / nyq], btype="bandpass", output="sos")
    elif hp:
        sos = sps.butter(2, hp / nyq, btype="highpass", output="sos")
    elif lp:
        sos = sps.butter(2, lp / nyq, btype="lowpass", output="sos")
    else:
        sos = None
    padlen = min(x.size - 1, int(3 * fs_hz))
    if sos is not None and x.size > 12:
        x = sps.sosfiltfilt(sos, x, padlen=padlen)
    if notch_hz and notch_hz < nyq and x.size > 12:
        b, a = sps.iirnotch(notch_hz / nyq, 30.0)
        x = sps.filtfilt(b, a, x, padlen=min(padlen, x.size - 1))
    x[nan] = np.nan
    return x.astype(np.float32)


def describe_filter(highpass_hz: float | None, lowpass_hz: float | None, notch_hz: float | None,
                    fs_hz: float | None = None) -> str:
    """Filter settings as printed, honest about what was actually applied."""
    nyq = fs_hz / 2.0 if fs_hz else None
    lp = lowpass_hz if lowpass_hz and (nyq is None or lowpass_hz < nyq * 0.95) else None
    hp = highpass_hz if highpass_hz and highpass_hz > 0 else None
    if hp and lp:
        text = f"{hp:g}–{lp:g} Hz"
    elif hp:
        text = f"high-pass {hp:g} Hz"
    elif lp:
        text = f"low-pass {lp:g} Hz"
    else:
        text = "none (raw signal)"
    if notch_hz:
        text += f", notch {notch_hz:g} Hz"
    return text


def trace_polyline_mm(panel: Panel, signal_mv: np.ndarray, fs_hz: float, settings: PaperSettings,
                      max_points_per_mm: float = 20.0) -> list[np.ndarray]:
    """The panel's stretch of `signal_mv` as polylines (x, y) in mm on the grid, y DOWN.

    Returns one array [n, 2] per run of finite samples (NaN gaps break the line).
    Sampling faster than `max_points_per_mm` is reduced by min/max binning, which keeps
    every peak (QRS amplitudes, pacing spikes) that a plain decimation would lose.
    """
    s0 = int(round(panel.t_start_s * fs_hz))
    s1 = int(round(panel.t_end_s * fs_hz))
    s1 = min(s1, signal_mv.shape[-1])
    if s1 - s0 < 2:
        return []
    y = np.asarray(signal_mv[s0:s1], dtype=np.float64)
    t = np.arange(s0, s1) / fs_hz
    x_mm = panel.x_mm + (t - panel.t_start_s) * settings.speed_mm_s
    y_mm = panel.baseline_y_mm - y * panel.gain_mm_mv
    points_per_mm = fs_hz / settings.speed_mm_s
    if points_per_mm > max_points_per_mm:
        x_mm, y_mm = _minmax_bin(x_mm, y_mm, int(np.ceil(points_per_mm / max_points_per_mm * 2)))
    finite = np.isfinite(y_mm)
    runs = []
    start = None
    for i, ok in enumerate(np.append(finite, False)):
        if ok and start is None:
            start = i
        elif not ok and start is not None:
            if i - start >= 2:
                runs.append(np.column_stack([x_mm[start:i], y_mm[start:i]]))
            start = None
    return runs


def _minmax_bin(x: np.ndarray, y: np.ndarray, bin_size: int) -> tuple[np.ndarray, np.ndarray]:
    n = (x.size // bin_size) * bin_size
    if n < bin_size * 2:
        return x, y
    xb = x[:n].reshape(-1, bin_size)
    yb = y[:n].reshape(-1, bin_size)
    with np.errstate(all="ignore"):
        imin = np.nanargmin(np.where(np.isfinite(yb), yb, np.inf), axis=1)
        imax = np.nanargmax(np.where(np.isfinite(yb), yb, -np.inf), axis=1)
    first = np.minimum(imin, imax)
    second = np.maximum(imin, imax)
    rows = np.arange(xb.shape[0])
    xo = np.column_stack([xb[rows, first], xb[rows, second]]).ravel()
    yo = np.column_stack([yb[rows, first], yb[rows, second]]).ravel()
    return np.append(xo, x[n:]), np.append(yo, y[n:])
