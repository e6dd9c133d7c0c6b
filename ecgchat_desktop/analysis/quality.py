"""Per-lead signal quality: good / noisy / flat / saturated / lead_off.

Rules (each lead independently):
- lead_off: the lead is digitally constant (electrode off: zeros or a rail), or more than
  30 % of the recording sits in flat stretches of >= 0.5 s while the rest moves.
- flat: peak-to-peak amplitude of the baseline-corrected signal below 0.05 mV over the
  whole recording (no usable ECG, e.g. a disconnected but not railing channel).
- saturated: more than 2 % of samples sit exactly on the lead's extreme values in runs
  (the amplifier or the file's integer range clipped).
- noisy: the high-frequency noise floor is large against the QRS amplitude (ratio of
  the QRS-band peak-to-peak to the noise floor < 5), or baseline jumps dominate.
Bad leads (anything but good) are excluded from QRS detection fusion and from the
global fiducials; `noisy` leads still get per-lead amplitudes, flagged in the notes.
"""

from __future__ import annotations

import numpy as np

from ecgchat_desktop.analysis import preprocess

GOOD = "good"
NOISY = "noisy"
FLAT = "flat"
SATURATED = "saturated"
LEAD_OFF = "lead_off"
USABLE = (GOOD,)


def _still_blocks(raw: np.ndarray, fs: float) -> np.ndarray:
    """Bool per 0.1 s block: inside a run of >= 5 blocks (0.5 s) with (almost) no movement."""
    win = max(4, int(0.1 * fs))
    n = raw.size // win
    if n < 5:
        return np.zeros(max(n, 0), dtype=bool)
    blocks = raw[: n * win].reshape(n, win)
    still = (blocks.max(axis=1) - blocks.min(axis=1)) < 0.004  # mV: below any real activity
    out = np.zeros(n, dtype=bool)
    if not still.any():
        return out
    d = np.diff(np.concatenate(([0], still.astype(np.int8), [0])))
    for a, b in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)):
        if b - a >= 5:
            out[a:b] = True
    return out


def _saturated_fraction(raw: np.ndarray) -> float:
    hi, lo = np.nanmax(raw), np.nanmin(raw)
    if hi - lo <= 0:
        return 0.0
    tol = 1e-6 * max(1.0, abs(hi), abs(lo))
    at_rail = (raw >= hi - tol) | (raw <= lo + tol)
    if at_rail.mean() <= 0.02:  # cannot exceed the limit: skip the run analysis
        return float(at_rail.mean())
    # Count only samples in runs of >= 3 (a single extreme sample is just the R peak).
    d = np.diff(np.concatenate(([0], at_rail.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    lengths = ends - starts
    return float(lengths[lengths >= 3].sum() / raw.size)


def noise_ratios(x_clean: np.ndarray, fs: float, qrs_band: np.ndarray | None = None) -> np.ndarray:
    """Per lead: QRS-band peak-to-peak over the high-frequency noise floor (bigger is cleaner).

    The floor is the 30th percentile over 0.25-s windows of the first difference's SD
    (/√2: the SD of white noise itself); QRS complexes fill a minority of windows, so
    the floor is measured between them. `qrs_band`: the 5–25 Hz band-passed leads, if at hand.
    """
    x_clean = np.atleast_2d(x_clean)
    win = max(8, int(0.25 * fs))
    n = (x_clean.shape[1] - 1) // win
    if n < 4:
        return np.full(x_clean.shape[0], np.inf)
    if qrs_band is None:
        qrs_band = preprocess.bandpass(x_clean, fs, 5.0, 25.0)
    hf = np.diff(x_clean, axis=1)
    b = qrs_band[:, : n * win].reshape(x_clean.shape[0], n, win)
    h = hf[:, : n * win].reshape(x_clean.shape[0], n, win)
    pp = np.percentile(b.max(axis=2) - b.min(axis=2), 80, axis=1)
    floor = np.percentile(h.std(axis=2), 30, axis=1) / np.sqrt(2.0) + 1e-6
    return pp / (4.0 * floor)


def assess_all(raw: np.ndarray, x_clean: np.ndarray, fs_raw: float, fs_clean: float,
               qrs_band: np.ndarray | None = None) -> list[tuple[str, str | None]]:
    """Quality of every lead -> [(label, reason or None)].

    Flat stretches shared by most leads are the ECG's own (a pause, an ideal isoelectric
    line); only stretches where this lead is still and the others are not count as
    electrode loss."""
    n_leads = raw.shape[0]
    still = [_still_blocks(np.nan_to_num(raw[i]), fs_raw) for i in range(n_leads)]
    size = min(s.size for s in still) if still else 0
    common = np.zeros(size, dtype=bool)
    if size and n_leads > 1:
        common = np.mean([s[:size] for s in still], axis=0) > 0.5
    elif size:
        common = still[0][:size]
    ratios = noise_ratios(x_clean, fs_clean, qrs_band)
    out = []
    for i in range(n_leads):
        own = float(np.mean(still[i][:size] & ~common)) if size else 0.0
        out.append(_assess_one(raw[i], x_clean[i], fs_clean, own, float(ratios[i])))
    return out


def _assess_one(raw: np.ndarray, x_clean: np.ndarray, fs_clean: float, own_flat: float,
                ratio: float) -> tuple[str, str | None]:
    finite = np.isfinite(raw)
    if finite.mean() < 0.5:
        return LEAD_OFF, "mostly missing samples"
    r = raw[finite]
    if np.ptp(r) == 0:
        return LEAD_OFF, "constant signal"
    if own_flat > 0.3:
        return LEAD_OFF, f"{own_flat:.0%} of the recording flat"
    core = x_clean[int(fs_clean):-int(fs_clean)] if x_clean.size > 3 * fs_clean else x_clean
    if np.ptp(core) < 0.05:
        return FLAT, "peak-to-peak below 0.05 mV"
    sf = _saturated_fraction(r)
    if sf > 0.02:
        return SATURATED, f"{sf:.0%} of samples at the rails"
    if ratio < 5.0:
        return NOISY, f"QRS/noise ratio {ratio:.1f}"
    return GOOD, None
