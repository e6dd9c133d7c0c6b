"""Where each lead goes on ECG paper, in millimetres (Qt-free, so it is testable alone).

The screen draws in paper millimetres: x = seconds * speed_mm_s, y = millivolts *
gain_mm_mv. With the view's aspect locked, a 1 mm grid square stays square at any zoom,
so what the physician sees has the proportions of printed ECG paper.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecgchat_desktop.report import paper as report_paper_module
from ecgchat_desktop.report.paper import GAINS_MM_MV, SPEEDS_MM_S


# The physics of the paper (speeds, gains, pulse, which leads are chest leads, default rhythm
# strips) come from `report.paper`, shared with the printed report (light to import: numpy
# only). What the screen adds: a
# single-lead layout, whole-recording strips for long recordings, a page offset, and rows of
# fixed true height (the print squeezes rows to fit its sheet; the screen scrolls instead).
LAYOUTS: tuple[str, ...] = ("3x4+1", "3x4+3", "6x2", "12x1", "single")
LAYOUT_TITLES: dict[str, str] = {
    "3x4+1": "3×4 + 1 rhythm",
    "3x4+3": "3×4 + 3 rhythm",
    "6x2": "6×2",
    "12x1": "12×1",
    "single": "Single lead",
}
_COLUMNS_3X4 = (("I", "II", "III"), ("aVR", "aVL", "aVF"), ("V1", "V2", "V3"), ("V4", "V5", "V6"))
_COLUMNS_6X2 = (("I", "II", "III", "aVR", "aVL", "aVF"), ("V1", "V2", "V3", "V4", "V5", "V6"))

# A standard page shows 10 s (250 mm at 25 mm/s); the calibration pulse sits in a left margin.
PAGE_SECONDS = 10.0
LEFT_MARGIN_MM = 10.0  # at 25 mm/s; see left_margin_mm()
RIGHT_MARGIN_MM = 5.0
TOP_MARGIN_MM = 5.0
FOOTER_MM = 10.0
CAL_PULSE_S = 0.2


@dataclass(frozen=True)
class Panel:
    """One lead segment on the paper."""

    lead: str
    lead_index: int          # row of the signal array
    start_sample: int        # first sample shown (index into the signal)
    stop_sample: int         # one past the last sample shown
    x0_mm: float             # paper x of start_sample
    baseline_mm: float       # paper y of 0 mV
    gain_mm_mv: float        # this panel's gain (chest leads may be at half gain)
    row: int
    rhythm: bool = False     # a full-width rhythm strip

    def sample_to_x_mm(self, sample: float, fs: float, speed_mm_s: float) -> float:
        return self.x0_mm + (sample - self.start_sample) / fs * speed_mm_s


@dataclass(frozen=True)
class PaperLayout:
    panels: tuple[Panel, ...]
    width_mm: float
    height_mm: float          # page spans y from 0 down to -height_mm
    row_baselines_mm: tuple[float, ...]
    row_height_mm: float
    speed_mm_s: float
    gain_mm_mv: float
    chest_gain_mm_mv: float
    layout: str
    page_start_s: float
    page_seconds: float
    trace_x0_mm: float = 10.0   # where recording time page_start_s is drawn (after the pulse zone)


def left_margin_mm(speed_mm_s: float) -> float:
    """Room for the calibration pulse before the traces (10 mm at 25 mm/s, 15 mm at 50)."""
    paper = report_paper_module
    return paper.calibration_zone_mm(paper.PaperSettings(float(speed_mm_s)))


def row_height_mm(gain_mm_mv: float) -> float:
    """Room for about ±2 mV per row; a multiple of 5 mm so baselines sit on major lines."""
    return max(20.0, float(np.ceil(4.0 * gain_mm_mv / 5.0) * 5.0))


def build_layout(
    lead_names: tuple[str, ...] | list[str],
    n_samples: int,
    fs: float,
    layout: str = "3x4+1",
    speed_mm_s: float = 25.0,
    gain_mm_mv: float = 10.0,
    chest_half_gain: bool = False,
    page_start_s: float = 0.0,
    single_lead: str | None = None,
    rhythm_leads: tuple[str, ...] | None = None,
) -> PaperLayout:
    """Panels for one recording. Grid layouts (3×4, 6×2) show a 10 s page starting at
    `page_start_s`; row layouts (12×1, single) show the whole recording."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    names = list(lead_names)
    index = {n: i for i, n in enumerate(names)}
    margin = left_margin_mm(speed_mm_s)
    report_paper = report_paper_module
    paper = report_paper.PaperSettings(float(speed_mm_s), float(gain_mm_mv), bool(chest_half_gain))
    chest_gain = paper.gain_for("V1")
    row_h = row_height_mm(gain_mm_mv)
    duration_s = n_samples / fs
    has_12 = all(n in index for c in _COLUMNS_3X4 for n in c)
    # Grid layouts need the standard 12 leads; anything else is drawn one lead per row.
    if layout in ("3x4+1", "3x4+3", "6x2") and not has_12:
        layout = "12x1"

    gain_of = paper.gain_for

    panels: list[Panel] = []
    baselines: list[float] = []

    def baseline_for(row: int) -> float:
        return -(TOP_MARGIN_MM + row_h * (row + 0.5))

    if layout in ("3x4+1", "3x4+3", "6x2"):
        page_s = min(PAGE_SECONDS, duration_s)
        start_s = max(0.0, min(page_start_s, duration_s - page_s))
        p0 = int(round(start_s * fs))
        page_n = int(round(page_s * fs))
        columns = _COLUMNS_3X4 if layout.startswith("3x4") else _COLUMNS_6X2
        n_cols = len(columns)
        n_rows = len(columns[0])
        col_n = page_n // n_cols
        col_w_mm = col_n / fs * speed_mm_s
        for c, col in enumerate(columns):
            for r, lead in enumerate(col):
                s0 = p0 + c * col_n
                panels.append(Panel(lead, index[lead], s0, s0 + col_n, margin + c * col_w_mm,
                                    baseline_for(r), gain_of(lead), r))
        if layout == "3x4+1":
            strips = tuple(rhythm_leads or report_paper.DEFAULT_RHYTHM_LEADS["3x4+1"])[:1]
        elif layout == "3x4+3":
            strips = tuple(rhythm_leads or report_paper.DEFAULT_RHYTHM_LEADS["3x4+3"])[:3]
        else:
            strips = ()
        for k, lead in enumerate(strips):
            if lead not in index:
                continue
            r = n_rows + k
            panels.append(Panel(lead, index[lead], p0, p0 + page_n, margin, baseline_for(r),
                                gain_of(lead), r, rhythm=True))
        n_rows_total = n_rows + len(strips)
        width = margin + page_n / fs * speed_mm_s + RIGHT_MARGIN_MM
        page_seconds = page_s
    else:
        if layout == "single":
            lead = single_lead if single_lead in index else ("II" if "II" in index else names[0])
            rows = [lead]
        else:
            rows = names
        for r, lead in enumerate(rows):
            panels.append(Panel(lead, index[lead], 0, n_samples, margin, baseline_for(r),
                                gain_of(lead), r, rhythm=True))
        n_rows_total = len(rows)
        width = margin + duration_s * speed_mm_s + RIGHT_MARGIN_MM
        start_s = 0.0
        page_seconds = duration_s
    baselines = [baseline_for(r) for r in range(n_rows_total)]
    height = TOP_MARGIN_MM + row_h * n_rows_total + FOOTER_MM
    return PaperLayout(tuple(panels), float(width), float(height), tuple(baselines), row_h, speed_mm_s,
                       gain_mm_mv, chest_gain, layout, start_s, page_seconds, margin)


def calibration_pulse_mm(baseline_mm: float, gain_mm_mv: float, speed_mm_s: float,
                         x0_mm: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """The 1 mV step drawn at the start of a row (x, y in paper mm)."""
    w = CAL_PULSE_S * speed_mm_s
    x = np.array([x0_mm - 1.0, x0_mm, x0_mm, x0_mm + w, x0_mm + w, x0_mm + w + 1.0])
    y = baseline_mm + np.array([0.0, 0.0, gain_mm_mv, gain_mm_mv, 0.0, 0.0])
    return x, y


def minmax_decimate(signal: np.ndarray, start: int, stop: int, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Display-only decimation: for each of `n_bins` bins the min and the max, in time order,
    so that no spike disappears. Returns (sample_positions, values) of 2*n_bins points.
    Never used for measurement."""
    start = max(0, int(start))
    stop = min(len(signal), int(stop))
    n = stop - start
    if n <= 0:
        return np.empty(0), np.empty(0, dtype=np.float32)
    if n_bins <= 0 or n <= 2 * n_bins:
        return np.arange(start, stop, dtype=np.float64), np.asarray(signal[start:stop])
    # Equal bins; the tail left over is shorter than one bin, so nothing is flattened.
    per_bin = -(-n // n_bins)
    n_bins = n // per_bin
    used = per_bin * n_bins
    block = np.asarray(signal[start:start + used]).reshape(n_bins, per_bin)
    arg_min = block.argmin(axis=1)
    arg_max = block.argmax(axis=1)
    first = np.minimum(arg_min, arg_max)
    second = np.maximum(arg_min, arg_max)
    rows = np.arange(n_bins)
    pos = np.empty(2 * n_bins, dtype=np.float64)
    val = np.empty(2 * n_bins, dtype=np.float32)
    base = start + rows * per_bin
    pos[0::2] = base + first
    pos[1::2] = base + second
    val[0::2] = block[rows, first]
    val[1::2] = block[rows, second]
    if used < n:  # the tail that does not fill a bin
        tail = np.asarray(signal[start + used:stop])
        k_min, k_max = int(tail.argmin()), int(tail.argmax())
        k1, k2 = sorted((k_min, k_max))
        pos = np.concatenate([pos, [start + used + k1, start + used + k2]])
        val = np.concatenate([val, [tail[k1], tail[k2]]])
    return pos, val


def build_median_layout(lead_names: tuple[str, ...] | list[str], n_samples: int, fs: float,
                        speed_mm_s: float = 25.0, gain_mm_mv: float = 10.0,
                        chest_half_gain: bool = False) -> PaperLayout:
    """Median beats in the 3×4 arrangement, each column the whole beat (gap of 5 mm)."""
    margin = left_margin_mm(speed_mm_s)
    names = list(lead_names)
    index = {n: i for i, n in enumerate(names)}
    paper = report_paper_module.PaperSettings(float(speed_mm_s), float(gain_mm_mv), bool(chest_half_gain))
    chest_gain = paper.gain_for("V1")
    row_h = row_height_mm(gain_mm_mv)
    beat_w = n_samples / fs * speed_mm_s
    col_w = float(np.ceil((beat_w + 5.0) / 5.0) * 5.0)
    if all(n in index for c in _COLUMNS_3X4 for n in c):
        columns = _COLUMNS_3X4
    else:  # other lead sets: three per column, in file order
        columns = tuple(tuple(names[i:i + 3]) for i in range(0, len(names), 3))
    panels = []
    n_rows = max(len(c) for c in columns)
    for c, col in enumerate(columns):
        for r, lead in enumerate(col):
            panels.append(Panel(lead, index[lead], 0, n_samples, margin + c * col_w,
                                -(TOP_MARGIN_MM + row_h * (r + 0.5)),
                                paper.gain_for(lead), r))
    width = margin + len(columns) * col_w + RIGHT_MARGIN_MM
    height = TOP_MARGIN_MM + row_h * n_rows + FOOTER_MM
    baselines = tuple(-(TOP_MARGIN_MM + row_h * (r + 0.5)) for r in range(n_rows))
    return PaperLayout(tuple(panels), float(width), float(height), baselines, row_h, speed_mm_s,
                       gain_mm_mv, chest_gain, "median", 0.0, n_samples / fs, margin)
