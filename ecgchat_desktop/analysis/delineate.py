"""Global wave boundaries on the median beat, from all usable leads together.

CSE convention: the global QRS onset is the earliest onset over the leads and the
offset the latest; combining the leads into one spatial curve realises that
directly (the spatial curve leaves its baseline as soon as any lead does).

- QRS onset/offset: spatial velocity v = sqrt(sum_l (x_l[i+1] - x_l[i])^2). Searching outwards
  from the steep core of the QRS, the boundary is where v first stays below
  floor + K × (peak − floor) for 10 ms (K_ON / K_OFF below).
- T peak: maximum of the spatial magnitude of the smoothed (20 ms moving average),
  baseline-corrected leads after the ST segment. T offset: trapezium-area method (Vázquez-Seisdedos et
  al. 2011) on that spatial magnitude after the T peak.
- P wave: spatial magnitude of the smoothed (16 ms moving average) leads, detrended over the window,
  before the QRS; present when its peak stands clearly above the window's noise;
  onset/offset by the trapezium method on each side of the P peak.
Positions are fractional samples of the median-beat array.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import uniform_filter1d

from ecgchat_desktop.analysis import preprocess

K_ON = 0.02
K_OFF = 0.03
FLOOR_FACTOR = 1.5
CORE_FRACTION = 0.25  # the steep core of the QRS (searched outwards from): v >= this x max
FLOOR_FACTOR_OFF = 2.5
POST_FLOOR_PCT = 25
V_SMOOTH = 3  # samples: steadies the velocity of a noisy median
QUIET_S = 0.010
P_MIN_MV = 0.025
P_SMOOTH_S = 0.016
P_ON_REACH_S = 0.12  # how far before the P peak its onset is searched
T_SMOOTH_S = 0.020
QTC_MAX_S = 0.62
U_RISE = 0.4  # a second wave after the T that rises by this fraction of the T peak ends the T


@dataclass
class WaveBounds:
    qrs_onset: float | None = None
    qrs_offset: float | None = None
    p_onset: float | None = None
    p_peak: float | None = None
    p_offset: float | None = None
    t_peak: float | None = None
    t_offset: float | None = None
    p_present: bool = False


def spatial_velocity(m: np.ndarray, fs: float) -> np.ndarray:
    """Spatial velocity between consecutive samples: v[i] belongs to the step i -> i+1."""
    d = np.diff(m, axis=1)
    return np.sqrt((d * d).sum(axis=0))


def _quiet_run_backward(v: np.ndarray, start: int, stop: int, thr: float, run: int) -> float | None:
    """Going back from `start` to `stop`, the last position before activity where the
    velocity stays < thr for `run` steps. v[i] is the step from sample i to i + 1."""
    count = 0
    for i in range(start, stop - 1, -1):
        if v[i] < thr:
            count += 1
            if count >= run:
                # The latest quiet step j spans samples j..j+1: activity starts at j + 1.
                return float(i + run)
        else:
            count = 0
    return None


def _quiet_run_forward(v: np.ndarray, start: int, stop: int, thr: float, run: int) -> float | None:
    count = 0
    for i in range(start, stop):
        if v[i] < thr:
            count += 1
            if count >= run:
                # The first quiet step j spans samples j..j+1: activity ended at j.
                return float(i - run + 1)
        else:
            count = 0
    return None


def qrs_bounds(m: np.ndarray, r: int, fs: float) -> tuple[float | None, float | None]:
    """QRS onset and offset (fractional samples) on a multi-lead beat [leads, samples]."""
    v = spatial_velocity(m, fs)
    if V_SMOOTH > 1:
        v = uniform_filter1d(v, V_SMOOTH, mode="nearest")
    n = v.size
    lo, hi = max(0, r - int(0.15 * fs)), min(n, r + int(0.15 * fs))
    if hi - lo < 3:
        return None, None
    core = v[max(0, r - int(0.06 * fs)): min(n, r + int(0.06 * fs))]
    vmax = float(core.max()) if core.size else 0.0
    if vmax <= 0:
        return None, None
    big = np.flatnonzero(v[lo:hi] >= CORE_FRACTION * vmax) + lo
    core_start, core_end = int(big[0]), int(big[-1])
    # Floors: typical velocity in the PR segment / early ST segment right beside the QRS.
    pre = v[max(0, core_start - int(0.06 * fs)): max(1, core_start - int(0.02 * fs))]
    # After the QRS a wide window and a low percentile: a slurred terminal QRS (RBBB)
    # must not be taken for the ST segment's own slope.
    post = v[min(n - 1, core_end + int(0.04 * fs)): min(n, core_end + int(0.20 * fs))]
    floor_on = float(np.median(pre)) if pre.size else 0.0
    floor_off = float(np.percentile(post, POST_FLOOR_PCT)) if post.size else 0.0
    thr_on = max(FLOOR_FACTOR * floor_on, K_ON * vmax)
    thr_off = max(FLOOR_FACTOR_OFF * floor_off, K_OFF * vmax)
    run = max(2, int(round(QUIET_S * fs)))
    on_stop = max(0, core_start - int(0.12 * fs))
    on = _quiet_run_backward(v, core_start, on_stop, thr_on, run)
    if on is None and core_start - on_stop > run:
        # No quiet stretch (e.g. the P wave runs into the QRS): the calmest point.
        seg = uniform_filter1d(v[on_stop:core_start], run)
        on = float(on_stop + int(np.argmin(seg)) + run // 2)
    off_stop = min(n, core_end + int(0.16 * fs))
    off = _quiet_run_forward(v, core_end, off_stop, thr_off, run)
    if off is None and off_stop - core_end > run:
        seg = uniform_filter1d(v[core_end:off_stop], run)
        off = float(core_end + int(np.argmin(seg)) + run // 2)
    # The moving average spreads activity by (w - 1) / 2 samples on each side: undo that.
    spread = (V_SMOOTH - 1) / 2.0
    return (None if on is None else on + spread), (None if off is None else off - spread)


def _trapezium(y: np.ndarray, xm: int, xr: int) -> int:
    """Index in [xm, xr] maximising the trapezium area (ym - yi) * (2 xr - xi - xm)."""
    if xr == xm:
        return xm
    step = 1 if xr > xm else -1
    xi = np.arange(xm, xr + step, step)
    area = (y[xm] - y[xi]) * np.abs(2 * xr - xi - xm)
    return int(xi[int(np.argmax(area))])


def _smooth(x: np.ndarray, width: float) -> np.ndarray:
    w = max(1, int(round(width)))
    return uniform_filter1d(x, w, axis=-1, mode="nearest") if w > 1 else x


def _spatial_magnitude(m: np.ndarray) -> np.ndarray:
    return np.sqrt((m * m).sum(axis=0))


def delineate(m: np.ndarray, r: int, fs: float, rr_s: float | None) -> WaveBounds:
    """All global boundaries on a median beat [usable leads, samples] with fiducial index r."""
    out = WaveBounds()
    n = m.shape[1]
    on, off = qrs_bounds(m, r, fs)
    out.qrs_onset, out.qrs_offset = on, off
    if on is None or off is None:
        return out
    rr = rr_s if rr_s and np.isfinite(rr_s) else 1.0
    ion, ioff = int(round(on)), int(round(off))
    base_a, base_b = max(0, ion - int(0.02 * fs)), max(1, ion - int(0.004 * fs))
    base = m[:, base_a:base_b].mean(axis=1, keepdims=True)

    # --- P wave first: its window starts after the previous beat's T wave (estimated from
    # an upper-normal QT, 460 ms·sqrt(RR)), so at fast rates a T is not taken for a P.
    p_hi = ion - int(0.01 * fs)
    p_lo = max(0, ion - int(0.32 * fs), int(ion - rr * fs + 0.46 * np.sqrt(rr) * fs))
    if p_hi - p_lo > int(0.06 * fs):
        seg = _smooth(m[:, p_lo:p_hi + 1], P_SMOOTH_S * fs)
        k = max(1, int(0.01 * fs))
        a0 = seg[:, :k].mean(axis=1, keepdims=True)
        a1 = seg[:, -k:].mean(axis=1, keepdims=True)
        line = a0 + (a1 - a0) * np.linspace(0, 1, seg.shape[1])[None, :]
        sp = _spatial_magnitude(seg - line)
        pk = int(np.argmax(sp))
        edge = int(0.02 * fs)
        # Noise: high-frequency residual of the median in the same window.
        raw = m[:, p_lo:p_hi + 1]
        hf = raw - preprocess.lowpass(raw, fs, 20.0) if raw.shape[1] > 30 else raw * 0
        noise = float(np.sqrt((hf * hf).sum(axis=0)).mean()) if hf.size else 0.0
        if edge <= pk <= sp.size - 1 - edge and sp[pk] >= max(P_MIN_MV, 4.0 * noise):
            ds = np.gradient(sp)
            up = int(np.argmax(ds[:pk])) if pk > 0 else 0
            down = pk + int(np.argmin(ds[pk:]))
            p_on = _trapezium(sp, up, max(0, pk - int(P_ON_REACH_S * fs)))
            p_off = _trapezium(sp, down, min(sp.size - 1, pk + int(0.12 * fs)))
            out.p_present = True
            out.p_peak = float(p_lo + pk)
            out.p_onset = float(p_lo + p_on)
            out.p_offset = float(p_lo + p_off)

    # --- T wave (smoothed after cropping, so the QRS cannot leak into the T curve). It
    # must end before the next beat's P wave (or 40 ms before its QRS without P).
    st = np.zeros(n)
    t_from = min(n - 1, ioff + int(0.02 * fs))
    st[t_from:] = _spatial_magnitude(_smooth(m[:, t_from:] - base, T_SMOOTH_S * fs))
    next_start = (out.p_onset if out.p_present else on - 0.04 * fs) + rr * fs
    # Physiological limits: QTc (Bazett) at most QTC_MAX_S, the T peak at least 60 ms
    # before that end.
    qt_max = QTC_MAX_S * np.sqrt(rr) * fs
    t_end_max = int(min(n - 1, next_start, r + 0.8 * fs, on + qt_max))
    t_lo = ioff + int(0.06 * fs)
    t_hi = t_end_max - int(0.06 * fs)
    if t_hi - t_lo > int(0.05 * fs):
        tp = t_lo + int(np.argmax(st[t_lo:t_hi]))
        if t_lo < tp < t_hi - 1:
            out.t_peak = float(tp)
            end = min(t_end_max, tp + int(0.3 * fs))
            # Stop at the trough after the T wave (below half its peak): a U wave after it
            # must not pull the T end later.
            half = np.flatnonzero(st[tp:end + 1] < 0.5 * st[tp])
            if half.size:
                j = tp + int(half[0])
                rising = np.flatnonzero(np.diff(st[j:end + 1]) > 0)
                if rising.size:
                    trough = j + int(rising[0])
                    after = st[trough:end + 1]
                    # A real second wave (U): rises again by U_RISE of the T peak.
                    if after.size and after.max() - st[trough] > U_RISE * st[tp]:
                        end = trough
            ds = np.gradient(st[tp:end + 1])
            xm = tp + int(np.argmin(ds)) if ds.size else tp
            out.t_offset = float(_trapezium(st, xm, end))
    return out
