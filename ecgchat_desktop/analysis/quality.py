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
    """Bool per lead and 0.1 s block [leads, blocks]: inside a run of >= 5 blocks (0.5 s)
    with (almost) no movement."""
    raw = np.atleast_2d(raw)
    win = max(4, int(0.1 * fs))
    n = raw.shape[1] // win
    if n < 5:
        return np.zeros((raw.shape[0], max(n, 0)), dtype=bool)
    blocks = raw[:, : n * win].reshape(raw.shape[0], n, win)
    still = (blocks.max(axis=2) - blocks.min(axis=2)) < 0.004  # mV: below any real activity
    if not still.any():
        return still
    # A block lies in a run of >= 5 still blocks iff one of the 5-block windows covering
    # it is all still.
    full = np.lib.stride_tricks.sliding_window_view(still, 5, axis=1).all(axis=2)  # [leads, n - 4]
    out = np.zeros_like(still)
    for k in range(5):
        out[:, k:k + full.shape[1]] |= full
    return out


def _rail_fraction(r: np.ndarray, hi: float, lo: float) -> float:
    """Share of samples in runs of >= 3 at the lead's extreme values (a single extreme
    sample is just the R peak)."""
    tol = 1e-6 * max(1.0, abs(hi), abs(lo))
    at_rail = (r >= hi - tol) | (r <= lo + tol)
    d = np.diff(np.concatenate(([0], at_rail.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    lengths = ends - starts
    return float(lengths[lengths >= 3].sum() / r.size)


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
    hf = np.diff(x_clean[:, : n * win + 1], axis=1)
    b = qrs_band[:, : n * win].reshape(x_clean.shape[0], n, win)
    h = hf.reshape(x_clean.shape[0], n, win)
    # np.percentile's numbers (same partition and interpolation) without its set-up cost.
    pp = preprocess.percentile_and_median(b.max(axis=2) - b.min(axis=2), 80.0)[0]
    floor = preprocess.percentile_and_median(h.std(axis=2), 30.0)[0] / np.sqrt(2.0) + 1e-6
    return pp / (4.0 * floor)


def assess_all(raw: np.ndarray, x_clean: np.ndarray, fs_raw: float, fs_clean: float,
               qrs_band: np.ndarray | None = None) -> list[tuple[str, str | None]]:
    """Quality of every lead -> [(label, reason or None)].

    Flat stretches shared by most leads are the ECG's own (a pause, an ideal isoelectric
    line); only stretches where this lead is still and the others are not count as
    electrode loss. The per-lead statistics are computed for all leads at once; the
    rules are then applied lead by lead in the order of the module docstring."""
    raw = np.atleast_2d(raw)
    x_clean = np.atleast_2d(x_clean)
    n_leads, n_raw = raw.shape
    finite = np.isfinite(raw)
    all_finite = bool(finite.all())
    still = _still_blocks(raw if all_finite else np.nan_to_num(raw), fs_raw)
    size = still.shape[1]
    if size and n_leads > 1:
        common = still.mean(axis=0) > 0.5
    elif size:
        common = still[0]
    own = (still & ~common[None, :]).mean(axis=1) if size else np.zeros(n_leads)
    ratios = noise_ratios(x_clean, fs_clean, qrs_band)
    finite_frac = finite.mean(axis=1)
    if all_finite:
        hi, lo = raw.max(axis=1), raw.min(axis=1)
    else:
        with np.errstate(invalid="ignore"):
            masked = np.where(finite, raw, np.nan)
            ok = finite.any(axis=1)
            hi, lo = np.full(n_leads, np.nan), np.full(n_leads, np.nan)
            hi[ok], lo[ok] = np.nanmax(masked[ok], axis=1), np.nanmin(masked[ok], axis=1)
    m = int(fs_clean)
    core = x_clean[:, m:-m] if x_clean.shape[1] > 3 * fs_clean else x_clean
    core_pp = core.max(axis=1) - core.min(axis=1)
    out = []
    for i in range(n_leads):
        if finite_frac[i] < 0.5:
            out.append((LEAD_OFF, "mostly missing samples"))
        elif hi[i] - lo[i] == 0:
            out.append((LEAD_OFF, "constant signal"))
        elif own[i] > 0.3:
            out.append((LEAD_OFF, f"{own[i]:.0%} of the recording flat"))
        elif core_pp[i] < 0.05:
            out.append((FLAT, "peak-to-peak below 0.05 mV"))
        else:
            r = raw[i] if all_finite else raw[i][finite[i]]
            tol = 1e-6 * max(1.0, abs(hi[i]), abs(lo[i]))
            sf = np.count_nonzero((r >= hi[i] - tol) | (r <= lo[i] + tol)) / r.size
            if sf > 0.02:  # the run analysis only when the rail share could exceed the limit
                sf = _rail_fraction(r, hi[i], lo[i])
            if sf > 0.02:
                out.append((SATURATED, f"{sf:.0%} of samples at the rails"))
            elif ratios[i] < 5.0:
                out.append((NOISY, f"QRS/noise ratio {ratios[i]:.1f}"))
            else:
                out.append((GOOD, None))
    return out
