"""Filters for DISPLAY only (Qt-free). Measurements always use the analysis package's own
preprocessing of the unfiltered recording; these settings change only what is drawn.

Zero-phase (forward-backward) Butterworth filters so that waves are not shifted in time
against the fiducial markers and calipers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HIGHPASS_CHOICES_HZ: tuple[float | None, ...] = (None, 0.05, 0.5)
LOWPASS_CHOICES_HZ: tuple[float | None, ...] = (None, 40.0, 100.0, 150.0)
NOTCH_CHOICES_HZ: tuple[float | None, ...] = (None, 50.0, 60.0)


@dataclass(frozen=True)
class DisplayFilter:
    highpass_hz: float | None = 0.5
    lowpass_hz: float | None = 40.0
    notch_hz: float | None = None

    def describe(self) -> str:
        parts = []
        if self.highpass_hz or self.lowpass_hz:
            lo = f"{self.highpass_hz:g}" if self.highpass_hz else "DC"
            hi = f"{self.lowpass_hz:g}" if self.lowpass_hz else "full"
            parts.append(f"{lo}–{hi} Hz")
        else:
            parts.append("unfiltered")
        if self.notch_hz:
            parts.append(f"{self.notch_hz:g} Hz notch")
        return ", ".join(parts)

    def is_identity(self) -> bool:
        return not (self.highpass_hz or self.lowpass_hz or self.notch_hz)


def apply_display_filter(signals_mv: np.ndarray, fs: float, flt: DisplayFilter) -> np.ndarray:
    """A filtered copy of `signals_mv` [leads, samples] (NaN gaps kept as NaN)."""
    from scipy import signal as sps

    src = np.asarray(signals_mv)
    if flt.is_identity():
        return np.array(src, dtype=np.float32, copy=True)
    nyq = fs / 2.0
    sos_list = []
    if flt.highpass_hz and flt.highpass_hz < nyq:
        sos_list.append(sps.butter(2, flt.highpass_hz / nyq, btype="highpass", output="sos"))
    if flt.lowpass_hz and flt.lowpass_hz < nyq * 0.95:
        sos_list.append(sps.butter(4, flt.lowpass_hz / nyq, btype="lowpass", output="sos"))
    if flt.notch_hz and flt.notch_hz < nyq * 0.95:
        b, a = sps.iirnotch(flt.notch_hz / nyq, 30.0)
        sos_list.append(sps.tf2sos(b, a))
    out = np.empty(src.shape, dtype=np.float32)
    if not sos_list or src.shape[1] <= 30:
        out[:] = src
        return out
    sos = np.vstack(sos_list)
    # Pad to limit edge transients on 10 s recordings.
    padlen = min(src.shape[1] - 1, int(fs * 2))
    for k in range(src.shape[0]):  # lead by lead: a 24-hour recording stays within memory
        lead = src[k].astype(np.float64)
        nan_mask = ~np.isfinite(lead)
        if nan_mask.any():
            lead[nan_mask] = 0.0
        filtered = sps.sosfiltfilt(sos, lead, padlen=padlen)
        filtered[nan_mask] = np.nan
        out[k] = filtered
    return out
