"""Zero-phase preprocessing: resampling, baseline-wander removal, mains rejection, low-pass.

All filters run forwards and backwards (`sosfiltfilt`/`filtfilt`), so no wave is shifted
in time: fiducial points measured on the filtered signal are valid on the original one.

- Baseline wander, for detection and quality: 2nd-order Butterworth high-pass at
  0.67 Hz, applied twice (zero phase; AHA 2007 allows 0.67 Hz for bidirectional filters).
  For measurements: a cubic spline through one isoelectric knot per beat (PR segment),
  subtracted from the unfiltered signal, which leaves ST levels and wave areas intact.
- Power line: a notch (Q = 30) at 50 or 60 Hz, only when that frequency is actually
  present (a narrow spectral peak well above its neighbourhood) and below Nyquist.
- Muscle noise: 4th-order Butterworth low-pass (default 150 Hz — the AHA diagnostic bandwidth — for measurements,
  40 Hz for the slope curves used in delineation), zero phase.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np
from scipy import signal

WORKING_RATE_HZ = 500.0
BASELINE_HP_HZ = 0.67
MEASURE_LP_HZ = 250.0


def resample(x: np.ndarray, fs_in: float, fs_out: float) -> np.ndarray:
    """Resampling along the last axis, zero phase.

    Up-sampling uses shape-preserving cubic (PCHIP) interpolation: an ideal (sinc/FIR)
    interpolator rings around the QRS of a 100 Hz recording and would widen the measured
    QRS. Down-sampling uses an anti-aliased polyphase filter."""
    if abs(fs_in - fs_out) < 1e-9:
        return np.asarray(x, dtype=np.float64)
    if fs_out > fs_in:
        x = np.asarray(x, dtype=np.float64)
        n_in = x.shape[-1]
        n_out = int(np.floor((n_in - 1) * fs_out / fs_in)) + 1
        t_out = np.arange(n_out) * (fs_in / fs_out)
        if n_in < 3:
            from scipy.interpolate import PchipInterpolator

            return PchipInterpolator(np.arange(n_in), x, axis=-1)(t_out)
        return _pchip_unit_grid(x, t_out)
    frac = Fraction(fs_out / fs_in).limit_denominator(1000)
    return signal.resample_poly(np.asarray(x, dtype=np.float64), frac.numerator, frac.denominator, axis=-1)


def _pchip_edge(m0: np.ndarray, m1: np.ndarray) -> np.ndarray:
    """End-point derivative of PCHIP on a unit grid (one-sided three-point estimate, kept
    shape-preserving), as scipy's PchipInterpolator computes it."""
    d = (3.0 * m0 - 1.0 * m1) / 2.0
    mask = np.sign(d) != np.sign(m0)
    mmm = ~mask & (np.sign(m0) != np.sign(m1)) & (np.abs(d) > 3.0 * np.abs(m0))
    d[mask] = 0.0
    d[mmm] = 3.0 * m0[mmm]
    return d


def _pchip_unit_grid(y: np.ndarray, t: np.ndarray, chunk: int = 1 << 16) -> np.ndarray:
    """`PchipInterpolator(arange(n), y, axis=-1)(t)` for sorted t in [0, n - 1] (n >= 3),
    with the same arithmetic (derivatives, Hermite coefficients, power-form evaluation),
    written for the unit grid: no interval search (the interval is floor(t)) and no
    coefficient array for the whole recording, which made resampling a 30-minute
    recording a fifth of the whole analysis."""
    if y.ndim != 2:
        flat = y.reshape(-1, y.shape[-1])
        return _pchip_unit_grid(flat, t, chunk).reshape(y.shape[:-1] + (t.size,))
    n = y.shape[-1]
    m = np.diff(y, axis=-1)  # slopes (the grid step is 1)
    d = np.zeros_like(y)
    m0, m1 = m[..., :-1], m[..., 1:]
    flat_or_turn = (np.sign(m1) != np.sign(m0)) | (m1 == 0) | (m0 == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Weighted harmonic mean of the neighbouring slopes (weights 3 and 3 on a unit grid).
        inner = 1.0 / ((3.0 / m0 + 3.0 / m1) / 6.0)
    d[..., 1:-1] = np.where(flat_or_turn, 0.0, inner)
    d[..., 0] = _pchip_edge(m[..., 0], m[..., 1])
    d[..., -1] = _pchip_edge(m[..., -1], m[..., -2])
    out = np.empty(y.shape[:-1] + (t.size,))
    for a in range(0, t.size, chunk):
        tt = t[a:a + chunk]
        k = np.minimum(tt.astype(np.int64), n - 2)
        s = tt - k
        y0, d0, d1 = y[..., k], d[..., k], d[..., k + 1]
        slope = m[..., k]
        c0 = (d0 + d1) - 2 * slope
        c1 = (slope - d0) - c0
        s2 = s * s
        out[..., a:a + chunk] = ((y0 + d0 * s) + c1 * s2) + c0 * (s2 * s)
    return out


def to_original_index(idx_working: np.ndarray | float, fs_working: float, fs_original: float):
    """Map working-rate sample positions to the original recording's sample positions."""
    return np.asarray(idx_working, dtype=np.float64) * (fs_original / fs_working)


@lru_cache(maxsize=64)
def _butter(order: int, cutoff, btype: str, fs: float) -> np.ndarray:
    """Filter design, cached: designing costs more than filtering a 10-s ECG (do not modify)."""
    sos = signal.butter(order, cutoff, btype=btype, fs=fs, output="sos")
    return sos


@lru_cache(maxsize=64)
def _sos_zi(sos_bytes: bytes, n_sections: int) -> np.ndarray:
    """`signal.sosfilt_zi` of a cached design (it solves a linear system per section)."""
    zi = signal.sosfilt_zi(np.frombuffer(sos_bytes).reshape(n_sections, 6))
    zi.flags.writeable = False
    return zi


def _sosfiltfilt(sos: np.ndarray, x: np.ndarray, padlen: int | None = None) -> np.ndarray:
    """`signal.sosfiltfilt(sos, x, axis=-1, padtype="odd", padlen=padlen)` step for step
    (same numbers), with the initial-condition design cached: on the short windows the
    delineation filters many times per ECG, scipy's set-up cost several times the filtering."""
    x = np.asarray(x)
    n_sections = sos.shape[0]
    if padlen is None:
        ntaps = 2 * n_sections + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
        padlen = 3 * ntaps
    if x.ndim == 0 or x.shape[-1] <= padlen:
        return signal.sosfiltfilt(sos, x, axis=-1, padtype="odd", padlen=padlen)  # its errors/edge cases
    if padlen > 0:
        ext = np.concatenate((2 * x[..., :1] - x[..., padlen:0:-1], x,
                              2 * x[..., -1:] - x[..., -2:-(padlen + 2):-1]), axis=-1)
    else:
        ext = x
    zi = _sos_zi(np.ascontiguousarray(sos, dtype=np.float64).tobytes(), n_sections)
    zi = zi.reshape((n_sections,) + (1,) * (x.ndim - 1) + (2,))
    y, _ = signal.sosfilt(sos, ext, axis=-1, zi=zi * ext[..., :1])
    y, _ = signal.sosfilt(sos, y[..., ::-1], axis=-1, zi=zi * y[..., -1:])
    y = y[..., ::-1]
    return y[..., padlen:-padlen] if padlen > 0 else y


def highpass(x: np.ndarray, fs: float, cutoff_hz: float = BASELINE_HP_HZ, order: int = 2) -> np.ndarray:
    sos = _butter(order, float(cutoff_hz), "highpass", float(fs))
    n = x.shape[-1]
    # Long pad so the slow filter settles before the first sample (no start transient).
    pad = min(n - 1, int(fs * 2))
    return _sosfiltfilt(sos, x, padlen=pad) if n > 3 else x.copy()


def lowpass(x: np.ndarray, fs: float, cutoff_hz: float, order: int = 4) -> np.ndarray:
    if cutoff_hz >= 0.45 * fs:
        return np.asarray(x, dtype=np.float64).copy()
    sos = _butter(order, float(cutoff_hz), "lowpass", float(fs))
    n = x.shape[-1]
    if n <= 3 * (2 * len(sos) + 1):
        return np.asarray(x, dtype=np.float64).copy()
    return _sosfiltfilt(sos, x)


def bandpass(x: np.ndarray, fs: float, lo_hz: float, hi_hz: float, order: int = 2) -> np.ndarray:
    hi_hz = min(hi_hz, 0.45 * fs)
    sos = _butter(order, (float(lo_hz), float(hi_hz)), "bandpass", float(fs))
    n = x.shape[-1]
    if n <= 3 * (2 * len(sos) + 1):
        return np.asarray(x, dtype=np.float64).copy()
    return _sosfiltfilt(sos, x)


def _welch_psd(x: np.ndarray, fs: float, nperseg: int) -> tuple[np.ndarray, np.ndarray]:
    """Welch PSD along the last axis, as `scipy.signal.welch(x, fs, nperseg=nperseg)`
    computes it (periodic Hann window, 50 % overlap, mean removed per segment, one-sided
    density, segments averaged) without its general-purpose machinery, which costs more
    than the transform itself on a 10-s ECG."""
    step = nperseg - nperseg // 2
    n_seg = (x.shape[-1] - nperseg) // step + 1
    segs = np.lib.stride_tricks.sliding_window_view(x, nperseg, axis=-1)[..., ::step, :][..., :n_seg, :]
    win = _hann(nperseg)
    spec = np.fft.rfft((segs - segs.mean(axis=-1, keepdims=True)) * win, axis=-1)
    p = (spec.real ** 2 + spec.imag ** 2).mean(axis=-2) / (fs * float((win * win).sum()))
    if nperseg % 2:
        p[..., 1:] *= 2.0
    else:
        p[..., 1:-1] *= 2.0
    return np.fft.rfftfreq(nperseg, 1.0 / fs), p


def percentile_index(n: int, pct: float) -> tuple[int, int, float]:
    """numpy's 'linear' percentile of n sorted values: the two order statistics (lo, hi) and
    the interpolation weight between them (virtual index (n - 1) * q)."""
    vi = (n - 1) * (pct / 100.0)
    lo = int(np.floor(vi))
    if vi >= n - 1:
        return n - 1, n - 1, vi - (n - 1)
    return lo, lo + 1, vi - lo


def percentile_and_median(a: np.ndarray, pct: float) -> tuple[np.ndarray, np.ndarray]:
    """(np.percentile(a, pct, axis=-1), np.median(a, axis=-1)) of NaN-free `a`, same numbers
    (numpy's virtual index (n - 1) * q, its interpolation a + (b - a) * g, or b - (b - a) * (1 - g)
    from g = 0.5 on), from one partition instead of two."""
    n = a.shape[-1]
    lo, hi, gamma = percentile_index(n, pct)
    h = n // 2
    kth = sorted({lo, hi, h} | ({h - 1} if n % 2 == 0 else set()))
    part = np.partition(a, kth, axis=-1)
    below, above = part[..., lo], part[..., hi]
    diff = above - below
    pc = below + diff * gamma if gamma < 0.5 else above - diff * (1 - gamma)
    mid = part[..., h] if n % 2 else (part[..., h - 1] + part[..., h]) / 2.0
    return pc, mid


@lru_cache(maxsize=16)
def _hann(n: int) -> np.ndarray:
    return signal.get_window("hann", n)


def detect_mains_hz(x: np.ndarray, fs: float) -> float | None:
    """50 or 60 when that power-line frequency stands out in the spectrum, else None.

    `x` is [leads, samples]. The peak must exceed the median power of its +-5 Hz
    neighbourhood by a factor of 20 in the summed spectrum of all leads.
    """
    if x.shape[-1] < fs or fs < 2 * 62:
        return None
    nper = int(min(x.shape[-1], 2 ** int(np.ceil(np.log2(fs * 2)))))
    x = np.atleast_2d(x)
    # Interference reaches every lead; four leads are plenty (and 3x faster than twelve).
    pick = np.linspace(0, x.shape[0] - 1, min(4, x.shape[0])).astype(int)
    f, p = _welch_psd(x[pick], fs, nper)
    p = p.sum(axis=0)
    best, best_ratio = None, 20.0
    for mains in (50.0, 60.0):
        if mains >= 0.48 * fs:
            continue
        peak = p[(f >= mains - 1) & (f <= mains + 1)]
        ref = p[((f >= mains - 6) & (f <= mains - 2)) | ((f >= mains + 2) & (f <= mains + 6))]
        if peak.size == 0 or ref.size == 0:
            continue
        ratio = float(peak.max() / (np.median(ref) + 1e-20))
        if ratio > best_ratio:
            best, best_ratio = mains, ratio
    return best


def notch(x: np.ndarray, fs: float, f0_hz: float, q: float = 30.0) -> np.ndarray:
    b, a = signal.iirnotch(f0_hz, q, fs=fs)
    if x.shape[-1] <= 3 * max(len(a), len(b)):
        return x.copy()
    return signal.filtfilt(b, a, x, axis=-1)


_AUTO = object()


def clean(x: np.ndarray, fs: float, lowpass_hz: float = MEASURE_LP_HZ,
          remove_baseline: bool = True, mains_hz=_AUTO) -> tuple[np.ndarray, float | None]:
    """Baseline removal (optional), mains notch (if present), low-pass. Returns (signal, mains_hz);
    the signal is always a new array (callers may modify it in place).
    Pass `mains_hz` (a number or None) when already known, to skip the spectral check."""
    x = np.asarray(x, dtype=np.float64)
    y = highpass(x, fs) if remove_baseline else x - np.median(x, axis=-1, keepdims=True)
    if mains_hz is _AUTO:
        mains = detect_mains_hz(highpass(x, fs) if not remove_baseline else y, fs)
    else:
        mains = mains_hz
    if mains is not None:
        y = notch(y, fs, mains)
        # Harmonic too, where it fits below Nyquist and the low-pass would not remove it.
        if 2 * mains < 0.45 * fs and 2 * mains < lowpass_hz:
            y = notch(y, fs, 2 * mains)
    if lowpass_hz < 0.45 * fs:  # else lowpass() would only copy
        y = lowpass(y, fs, lowpass_hz)
    return y, mains


def spline_baseline(x: np.ndarray, knots: np.ndarray, fs: float, half_window_s: float = 0.008) -> np.ndarray:
    """Baseline [leads, samples] through isoelectric knots (one per beat, in the PR
    segment): the level at each knot is the mean over +-8 ms; a cubic spline joins them
    and stays constant beyond the first and last knot. Unlike a high-pass filter this
    leaves ST segments and wave areas undistorted."""
    from scipy.interpolate import CubicSpline

    n = x.shape[-1]
    h = max(1, int(round(half_window_s * fs)))
    knots = np.asarray(knots, dtype=np.int64)
    knots = knots[(knots - h >= 0) & (knots + h < n)]
    if knots.size < 2:
        return np.median(x, axis=-1, keepdims=True) * np.ones((1, n))
    idx = knots[:, None] + np.arange(-h, h + 1)[None, :]
    levels = x[:, idx].mean(axis=2)  # [leads, knots]
    t = np.arange(n)
    if knots.size < 4:
        return np.stack([np.interp(t, knots, lv) for lv in levels])
    cs = CubicSpline(knots, levels, axis=1, bc_type="natural", extrapolate=False)
    base = cs(np.clip(t, knots[0], knots[-1]))
    return base
