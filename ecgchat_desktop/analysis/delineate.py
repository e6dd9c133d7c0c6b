"""Global wave boundaries on the median beat, from all usable leads together.

CSE convention: the global QRS onset is the earliest onset over the leads and the
offset the latest.

- QRS onset: each lead with a sizeable QRS finds its own onset on its velocity; onsets
  far from their median are outliers (one lead's P wave or artefact); the earliest of
  the agreeing leads is the onset (`qrs_bounds_fused`). With fewer than 3 leads, and for
  the offset: spatial velocity v = sqrt(sum_l (x_l[i+1] - x_l[i])^2); searching outwards
  from the steep core of the QRS, the boundary is where v first stays below
  floor + K × (peak − floor) for 10 ms (K_ON / K_OFF below). The steep core ends at a long
  quiet stretch (a separate wave before it is not QRS); the onset moves back over a slurred
  delta wave (`_delta_onset`). Where high-frequency noise inside the QRS window carries the
  offset on, it is searched again on the smoothed leads (`_noise_gated_offset`).
- T peak: maximum of the spatial magnitude of the smoothed (20 ms moving average),
  baseline-corrected leads after the ST segment. T offset: trapezium-area method
  (Vázquez-Seisdedos et al. 2011) on that spatial magnitude after the T peak; after the
  second phase of a biphasic T (`_second_t_phase`).
- P wave: spatial magnitude of the smoothed (16 ms moving average) leads, detrended over
  the window, between the previous beat's T end and the QRS; present when its peak
  stands clearly above the window's noise; onset/offset by the trapezium method on each
  side of the P peak. The same on each lead alone gives per-lead P durations.
- P and T ends are then refined on a lightly smoothed curve (a 6-ms running median, which
  leaves an abrupt wave start in place), within half the smoothing window of the first
  estimate (`_refine`), and placed to a quarter sample where the unsmoothed magnitude
  leaves the baseline (`_knee`; the T end only inwards).
Positions are fractional samples of the median-beat array.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.ndimage import median_filter, uniform_filter1d

from ecgchat_desktop.analysis import preprocess

K_ON = 0.02
K_OFF = 0.03
FLOOR_FACTOR = 1.5
CORE_FRACTION = 0.25  # the steep core of the QRS (searched outwards from): v >= this x max
CORE_GAP_S = 0.028  # a quiet stretch this long before the QRS peak separates another wave
CORE_GAP_FRACTION = 0.12  # "quiet" there: v below this x max
FLOOR_FACTOR_OFF = 2.5
POST_FLOOR_PCT = 25
V_SMOOTH = 3  # samples: steadies the velocity of a noisy median
# High-frequency noise inside the QRS window (`_noise_gated_offset`): some recorders (LUDB's)
# low-pass the signal only outside a window of about -60..+85 ms around each QRS, and the
# rectified velocity keeps that noise at full height however it is averaged, so the QRS
# offset ran on to the window's end (LUDB records 1-30: QRS 19 ms longer than the
# cardiologists' on average). A second offset is searched on the velocity of the leads after
# a centred moving average this wide over the signal, which takes the noise out ...
QRS_OFF_SMOOTH_S = 0.010
# ... and is taken when the plain one lies more than this beyond it (a clean QRS: both agree
# within a sample or two, and the plain offset stays: PTB-XL folds 1-8, all 344 QRS
# durations unchanged).
QRS_OFF_NOISE_GATE_S = 0.006
# Its thresholds with 3+ leads (K_OFF, FLOOR_FACTOR_OFF otherwise): the spatial velocity's
# peak grows with the number of leads, a terminal wave in a few of them does not, and the
# noise-free velocity ends earlier than the noisy one.
K_OFF_MULTI = 0.015
FLOOR_FACTOR_OFF_MULTI = 2.0
QUIET_S = 0.010
# One lead's |velocity| noise is half-normal, much wider than the spatial velocity's over
# many leads: 1.5 x its median is crossed every third sample; 3 x its median (~2 sigma)
# keeps a 10-ms quiet run likely on a noisy baseline.
FLOOR_FACTOR_1LEAD = 3.0
DELTA_SMOOTH_S = 0.016  # velocity smoothing for the delta-wave search (noise at 360 Hz)
DELTA_FLOOR_FACTOR = 2.0
DELTA_MIN_S = 0.02
DELTA_MAX_S = 0.08
DELTA_MIN_RISE = 0.05  # x the QRS's main deflection (onset to r)
DELTA_TOL = 0.02  # how far (x that deflection) the slur may dip back and still be one slur
# How far the QRS offset moves towards the agreeing leads' median offset. 0: the CSE latest
# offset stays. 0.5 tightened LUDB (QRS-off SD 14.3 -> 13.4 ms) but cut the terminal slur of
# right bundle branch blocks at 100 Hz (CinC RBBB records read as complete 12 -> 7 of 19).
QRS_OFF_LEAD_WEIGHT = 0.0
FUSE_MIN_PTP = 0.3  # a voting lead's QRS peak-to-peak: at least this x the largest lead's
# An earliest-lead QRS onset well before the combined one must be confirmed by the lead
# itself (`_confirmed_earliest`).
EARLY_ON_SLACK_S = 0.006
EARLY_ON_LAG_S = 0.008
EARLY_ON_NOISE_S = 0.040
EARLY_ON_NOISE_K = 4.0
FUSE_TOL_S = 0.040  # per-lead QRS boundaries further than this from their median are outliers
P_MIN_MV = 0.025
P_SMOOTH_S = 0.016
P_ON_REACH_S = 0.12
P_REACH_S = 0.32  # the P window starts at most this long before the QRS onset
P_LEAD_PEAK_S = 0.03  # a lead's own P peak lies within this of the global one  # how far before the P peak its onset is searched
T_SMOOTH_S = 0.020
LIGHT_SMOOTH_S = 0.006  # P and T ends are refined on this lighter smoothing (see _refine)
QTC_MAX_S = 0.62
U_RISE = 0.4  # a second wave after the T that rises by this fraction of the T peak ends the T
T_REACH_S = 0.15  # a near trapezium reference point, this far past the steepest T descent
T_WANDER_S = 0.06  # the far-reference T end is replaced when this much later than the near one
BIPHASIC_MIN = 0.5  # a second, opposite T phase at least this x the first extends the T
BIPHASIC_GAP_S = 0.02  # ... when it crosses zero at most this long after the first phase's end
T_LEAD_MIN = 0.3  # a lead votes on the T end when its T is at least this x the largest lead's
T_LEAD_WEIGHT = 1.0 / 3.0  # how far P/T ends move towards the leads' outermost (see _t_wave)
# The P onset a third of the way, as the ends (halfway was chosen when the ends were read on
# a moving average; with the knee fit, a third: LUDB odd P-on 3.0 +- 11.6 -> 3.6 +- 11.4 ms,
# PR SD 9.0 -> 8.6; even 4.3 +- 15.3 -> 4.8 +- 15.1, PR SD 13.5 -> 13.4).
P_ON_LEAD_WEIGHT = 1.0 / 3.0
# Knee fit of P and T ends (see _knee): the window each side, how far the knee may move
# from the trapezium point, and the sub-sample grid it is placed on.
KNEE_HALF_S = 0.012
KNEE_REACH_S = 0.004
KNEE_STEP = 0.25  # samples


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
    # Per-lead P onset/offset (rows of the beat given to `delineate`; NaN: no clear P there).
    p_lead_onsets: np.ndarray | None = None
    p_lead_offsets: np.ndarray | None = None


def _percentile(a: np.ndarray, pct: float) -> float:
    """np.percentile(a, pct) of a 1-D array, the same number (numpy's virtual index
    (n - 1) * q and its interpolation, as `preprocess.percentile_and_median`) from one sort:
    numpy's general path costs several times the sort on these short windows. Empty or NaN
    input (NaN sorts last): numpy's own answer."""
    s = np.sort(a)
    n = s.size
    if n == 0 or s[-1] != s[-1]:
        return float(np.percentile(a, pct))
    lo, hi, gamma = preprocess.percentile_index(n, pct)
    below, above = float(s[lo]), float(s[hi])
    diff = above - below
    return below + diff * gamma if gamma < 0.5 else above - diff * (1 - gamma)


def _median(a: np.ndarray) -> float:
    """np.median(a) of a 1-D array, the same number (see `_percentile`)."""
    s = np.sort(a)
    n = s.size
    if n == 0 or s[-1] != s[-1]:
        return float(np.median(a))
    h = n // 2
    return float(s[h]) if n % 2 else (float(s[h - 1]) + float(s[h])) / 2.0


def spatial_velocity(m: np.ndarray, fs: float) -> np.ndarray:
    """Spatial velocity between consecutive samples: v[i] belongs to the step i -> i+1."""
    d = np.diff(m, axis=1)
    return np.sqrt((d * d).sum(axis=0))


def _offset_velocity(m: np.ndarray, fs: float) -> np.ndarray:
    """Per-step velocity of each lead (rows) after a QRS_OFF_SMOOTH_S moving average over the
    signal, then the V_SMOOTH average: what the QRS offset is searched on (one row: a lead)."""
    w = max(1, int(round(QRS_OFF_SMOOTH_S * fs))) | 1  # odd: centred
    ms = uniform_filter1d(m, w, axis=-1, mode="nearest") if w > 1 else m
    d = np.diff(ms, axis=-1)
    v = np.sqrt(d * d)
    return uniform_filter1d(v, V_SMOOTH, axis=-1, mode="nearest") if V_SMOOTH > 1 else v


def _offset_spread(fs: float) -> float:
    """How far the two moving averages move a QRS end outwards (samples)."""
    return (V_SMOOTH - 1) / 2.0 + ((max(1, int(round(QRS_OFF_SMOOTH_S * fs))) | 1) - 1) / 2.0


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


def _delta_onset(m: np.ndarray, v_raw: np.ndarray, on: float, r: int, fs: float) -> float:
    """An onset moved back over a slurred initial upstroke (a pre-excitation delta wave).

    The velocity onset misses a delta wave because the PR-segment floor it measures lies
    inside it. Going back from `on`, the delta is the stretch where the leads keep moving
    steadily in the direction of the QRS's main deflection (towards r): the smoothed velocity stays above
    DELTA_FLOOR_FACTOR x the quietest velocity before the QRS, and the projection on that
    direction keeps falling (going back). Taken when it lasts DELTA_MIN_S and rises by at
    least DELTA_MIN_RISE of that deflection; at most DELTA_MAX_S."""
    i_on = int(round(on))
    w = max(1, int(round(DELTA_SMOOTH_S * fs)))
    vs = uniform_filter1d(v_raw, w, mode="nearest")
    a = max(0, i_on - int(0.25 * fs))
    if i_on - a < int(0.1 * fs):
        return on
    # The quietest velocity before the QRS; on a noise-free beat a small share of the peak.
    floor = max(_percentile(vs[a:i_on - int(0.02 * fs)], 10), 0.005 * float(v_raw.max()))
    d = m[:, r] - m[:, i_on]
    norm = float(np.sqrt(d @ d))
    if norm <= 0 or floor <= 0:
        return on
    p = (d / norm) @ m
    tol = DELTA_TOL * norm  # projection noise allowance
    stop = max(a, i_on - int(DELTA_MAX_S * fs))
    # The velocity onset may sit a few ms inside a small initial notch: the slur is measured
    # from the highest point just before it.
    k = max(1, int(0.006 * fs))
    lowest = float(p[max(0, i_on - k):i_on + 1].max())
    e = i_on
    for i in range(i_on - 1, stop - 1, -1):
        if vs[i] < DELTA_FLOOR_FACTOR * floor or p[i] > lowest + tol:
            break
        lowest = min(lowest, p[i])
        e = i
    if e < i_on:
        e += int(np.argmin(p[e:i_on + 1]))  # where the slur starts: its lowest point
    if i_on - e >= DELTA_MIN_S * fs and p[i_on] - p[e] >= DELTA_MIN_RISE * norm:
        return float(e)
    return on


def _core(v: np.ndarray, r: int, fs: float) -> tuple[int, int, float] | None:
    """(start, end, peak velocity) of the steep core of the QRS on the velocity v."""
    n = v.size
    lo, hi = max(0, r - int(0.15 * fs)), min(n, r + int(0.15 * fs))
    core = v[max(0, r - int(0.06 * fs)): min(n, r + int(0.06 * fs))]
    vmax = float(core.max()) if core.size else 0.0
    if vmax <= 0:
        return None
    big = np.flatnonzero(v[lo:hi] >= CORE_FRACTION * vmax) + lo
    core_start, core_end = int(big[0]), int(big[-1])
    # A steep wave before the QRS, separated from it by a long quiet stretch, is another
    # wave (a large P on a low-voltage QRS): the core starts after that stretch.
    gap = int(round(CORE_GAP_S * fs))
    quiet = v < CORE_GAP_FRACTION * vmax
    i_pk = max(0, r - int(0.06 * fs)) + int(np.argmax(core))
    count = 0
    for i in range(i_pk, core_start - 1, -1):
        count = count + 1 if quiet[i] else 0
        if count >= gap:
            later = big[big > i]
            core_start = int(later[0]) if later.size else core_start
            break
    return core_start, core_end, vmax


def qrs_bounds(m: np.ndarray, r: int, fs: float, floor_factor: float = FLOOR_FACTOR,
               delta: bool = True, velocity: tuple[np.ndarray, np.ndarray] | None = None
               ) -> tuple[float | None, float | None]:
    """QRS onset and offset (fractional samples) on a multi-lead beat [leads, samples].
    `floor_factor`: how far above the PR-segment velocity the onset threshold sits;
    `delta`: move the onset back over a slurred upstroke (`_delta_onset`); `velocity`:
    m's (spatial velocity, its V_SMOOTH moving average, the offset velocity of
    `_offset_velocity` summed over the leads, or None: no noise check of the offset) when
    already computed."""
    if velocity is not None:
        v_raw, v, v_off = velocity
    else:
        v_raw = v = spatial_velocity(m, fs)
        if V_SMOOTH > 1:
            v = uniform_filter1d(v, V_SMOOTH, mode="nearest")
        v_off = _spatial_offset_velocity(m, fs)
    on, off = _qrs_bounds_smoothed(v, r, fs, floor_factor)
    if on is not None and delta:
        on = _delta_onset(m, v_raw, on, r, fs)
    # The moving average spreads activity by (w - 1) / 2 samples on each side: undo that.
    spread = (V_SMOOTH - 1) / 2.0
    off = None if off is None else off - spread
    if v_off is not None:
        off = _noise_gated_offset(off, v_off, r, fs, K_OFF, FLOOR_FACTOR_OFF)
    return (None if on is None else on + spread), off


def _spatial_offset_velocity(m: np.ndarray, fs: float) -> np.ndarray:
    """The spatial velocity of the smoothed leads for the offset (`_offset_velocity`)."""
    w = max(1, int(round(QRS_OFF_SMOOTH_S * fs))) | 1  # odd: centred
    ms = uniform_filter1d(m, w, axis=-1, mode="nearest") if w > 1 else m
    v = spatial_velocity(ms, fs)
    return uniform_filter1d(v, V_SMOOTH, mode="nearest") if V_SMOOTH > 1 else v


def _noise_gated_offset(off: float | None, v_off: np.ndarray, r: int, fs: float, k_off: float,
                        floor_factor_off: float) -> float | None:
    """The QRS offset `off` (samples, from the plain velocity), or the one found on the
    smoothed leads' velocity v_off (`_spatial_offset_velocity`, thresholds k_off and
    floor_factor_off) when `off` lies more than QRS_OFF_NOISE_GATE_S beyond it: noise
    inside the QRS window carried the plain one on."""
    sm = _qrs_bounds_smoothed(v_off, r, fs, FLOOR_FACTOR, k_off, floor_factor_off, onset=False)[1]
    if sm is None:
        return off
    sm -= _offset_spread(fs)
    return sm if off is None or off - sm > QRS_OFF_NOISE_GATE_S * fs else off


def _qrs_bounds_smoothed(v: np.ndarray, r: int, fs: float, floor_factor: float, k_off: float = K_OFF,
                         floor_factor_off: float = FLOOR_FACTOR_OFF, onset: bool = True
                         ) -> tuple[float | None, float | None]:
    """`qrs_bounds` on the smoothed velocity v, before the delta-wave search and before
    the smoothing's spread is taken off (k_off, floor_factor_off: the offset's thresholds;
    `onset` False: the offset only, the onset None)."""
    n = v.size
    lo, hi = max(0, r - int(0.15 * fs)), min(n, r + int(0.15 * fs))
    if hi - lo < 3:
        return None, None
    found = _core(v, r, fs)
    if found is None:
        return None, None
    core_start, core_end, vmax = found
    # Floors: typical velocity in the PR segment / early ST segment right beside the QRS.
    pre = v[max(0, core_start - int(0.06 * fs)): max(1, core_start - int(0.02 * fs))] if onset else v[:0]
    # After the QRS a wide window and a low percentile: a slurred terminal QRS (RBBB)
    # must not be taken for the ST segment's own slope.
    post = v[min(n - 1, core_end + int(0.04 * fs)): min(n, core_end + int(0.20 * fs))]
    floor_on = _median(pre) if pre.size else 0.0
    floor_off = _percentile(post, POST_FLOOR_PCT) if post.size else 0.0
    thr_on = max(floor_factor * floor_on, K_ON * vmax)
    thr_off = max(floor_factor_off * floor_off, k_off * vmax)
    run = max(2, int(round(QUIET_S * fs)))
    on_stop = max(0, core_start - int(0.12 * fs))
    on = _quiet_run_backward(v, core_start, on_stop, thr_on, run) if onset else None
    if onset and on is None and core_start - on_stop > run:
        # No quiet stretch (e.g. the P wave runs into the QRS): the calmest point.
        seg = uniform_filter1d(v[on_stop:core_start], run)
        on = float(on_stop + int(np.argmin(seg)) + run // 2)
    off_stop = min(n, core_end + int(0.16 * fs))
    off = _quiet_run_forward(v, core_end, off_stop, thr_off, run)
    if off is None and off_stop - core_end > run:
        seg = uniform_filter1d(v[core_end:off_stop], run)
        off = float(core_end + int(np.argmin(seg)) + run // 2)
    return on, off


def qrs_bounds_fused(m: np.ndarray, r: int, fs: float) -> tuple[float | None, float | None]:
    """QRS onset from each lead's own onset, fused by a robust vote; offset from the
    combined spatial velocity.

    With 3 or more leads: per-lead `qrs_bounds` on the leads with a sizeable QRS; onsets
    more than FUSE_TOL_S from their median are outliers (a P wave taken for QRS in one
    lead); the onset is the earliest of the agreeing leads (CSE "earliest onset"), moved
    back over a delta wave. Fewer leads, or too few agreeing: the combined spatial-velocity
    bounds. The offset: the combined one, moved QRS_OFF_LEAD_WEIGHT of the way towards the
    agreeing leads' median (0 now: any pull towards the median cut the terminal slur of
    bundle branch blocks short)."""
    # The combined bounds, as qrs_bounds(m, r, fs); its onset's delta-wave search only
    # where that onset is the answer (the vote below usually replaces it).
    v_all = spatial_velocity(m, fs)
    on0, off0 = _qrs_bounds_smoothed(uniform_filter1d(v_all, V_SMOOTH, mode="nearest") if V_SMOOTH > 1 else v_all,
                                     r, fs, FLOOR_FACTOR)
    spread = (V_SMOOTH - 1) / 2.0
    multi = m.shape[0] >= 3
    g_off = _noise_gated_offset(None if off0 is None else off0 - spread, _spatial_offset_velocity(m, fs), r, fs,
                                K_OFF_MULTI if multi else K_OFF, FLOOR_FACTOR_OFF_MULTI if multi else FLOOR_FACTOR_OFF)

    def combined_on() -> float | None:
        return None if on0 is None else _delta_onset(m, v_all, on0, r, fs) + spread

    if m.shape[0] < 3 or on0 is None or off0 is None:
        return combined_on(), g_off
    # Leads with a small QRS place their boundaries by noise: they do not vote.
    core = m[:, max(0, r - int(0.06 * fs)): r + int(0.06 * fs)]
    ptp = np.ptp(core, axis=1) if core.shape[1] else np.zeros(m.shape[0])
    voters = np.flatnonzero(ptp >= FUSE_MIN_PTP * ptp.max())
    # One lead's slow upstroke is often another wave's tail: the delta wave is judged on
    # all leads together, from the voted onset.
    # Each voter's velocity, all at once (row by row the same numbers as spatial_velocity on
    # that lead alone: one lead's sqrt(d * d) and a moving average along each row).
    d = np.diff(m[voters], axis=1)
    v_raw = np.sqrt(d * d)
    v_sm = uniform_filter1d(v_raw, V_SMOOTH, axis=-1, mode="nearest") if V_SMOOTH > 1 else v_raw
    v_off = _offset_velocity(m[voters], fs) if QRS_OFF_LEAD_WEIGHT else None
    # The leads' own offsets are not used (QRS_OFF_LEAD_WEIGHT 0): no noise check for them.
    per_lead = [qrs_bounds(m[i:i + 1], r, fs, FLOOR_FACTOR_1LEAD, delta=False,
                           velocity=(v_raw[j], v_sm[j], None if not QRS_OFF_LEAD_WEIGHT else v_off[j]))
                for j, i in enumerate(voters)]
    tol = FUSE_TOL_S * fs
    rows = np.array([i for i, b in zip(voters, per_lead) if b[0] is not None], dtype=int)
    vals = np.array([b[0] for b in per_lead if b[0] is not None], dtype=float)
    if vals.size < 3:
        return combined_on(), g_off
    agree = np.abs(vals - _median(vals)) <= tol
    if agree.sum() < 3:
        return combined_on(), g_off
    # Offset: halfway between the combined velocity's and the median of the agreeing
    # leads' own offsets (the combined one alone over- or undershoots by record: LUDB QRS
    # offset SD 14.3 -> 13.4 ms, odd and even records alike; the median alone cut the
    # terminal slur of bundle branch blocks short).
    offs = _agreeing(np.array([np.nan if b[1] is None else b[1] for b in per_lead], dtype=float), fs)
    if offs is not None and QRS_OFF_LEAD_WEIGHT:
        g_off += QRS_OFF_LEAD_WEIGHT * (_median(offs) - g_off)
    on = _confirmed_earliest(m, rows[agree], vals[agree], on0 + spread, fs)
    # The delta wave on the agreeing leads only: a lead out of step is no slurred upstroke.
    sub = m[rows[agree]]
    return _delta_onset(sub, spatial_velocity(sub, fs), on, r, fs), g_off


def _confirmed_earliest(m: np.ndarray, rows: np.ndarray, onsets: np.ndarray, combined: float,
                        fs: float) -> float:
    """The earliest of the agreeing leads' QRS onsets (`rows`, `onsets`) that is real.

    A lead's onset more than EARLY_ON_SLACK_S before the combined spatial-velocity onset
    `combined` is taken only where the lead moves both right after its own onset and just
    before `combined`: its change over EARLY_ON_LAG_S there exceeds EARLY_ON_NOISE_K x the
    spread (robust SD) of its changes over the same lag in the EARLY_ON_NOISE_S before its
    own onset. Without that check one lead's 10-ms quiet run found inside its noisy PR
    segment set the global onset early while the lead itself stood still (synthetic ECGs,
    0.01-mV noise: up to 36 ms early; 0.02 mV: up to 72 ms). None confirmed: the combined
    onset. Slack, lag and K: synthetic noise seeds against LUDB's QRS-onset mean (K 2.5-4,
    slack 4-6 ms tried; a median-of-leads reference instead of the combined onset put LUDB's
    QRS onset 7.8 ms late)."""
    order = np.argsort(onsets)
    ic = min(m.shape[1] - 1, int(round(combined)))
    lag = max(1, int(round(EARLY_ON_LAG_S * fs)))
    for k in order:
        on = float(onsets[k])
        if on >= combined - EARLY_ON_SLACK_S * fs or ic - lag < 0:
            return on
        x = m[rows[k]]
        i_on = int(round(on))
        pre = x[max(0, i_on - int(round(EARLY_ON_NOISE_S * fs))):i_on + 1]
        if pre.size < lag + 4:
            return on
        steps = pre[lag:] - pre[:-lag]
        noise = 1.4826 * _median(np.abs(steps - _median(steps)))
        thr = EARLY_ON_NOISE_K * noise
        if abs(float(x[ic] - x[ic - lag])) > thr and abs(float(x[min(ic, i_on + lag)] - x[i_on])) > thr:
            return on
    return float(combined)


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


def _refine(y_light: np.ndarray, x0: int, xm: int, xr: int, spread: float) -> int:
    """The trapezium point on a lightly smoothed curve, searched within `spread` samples of
    x0 (the point found on the smoothed curve). The smoothing that steadies the search
    moves a wave end outwards by up to half its width; this takes most of that back."""
    if xr == xm:
        return x0
    step = 1 if xr > xm else -1
    xi = np.arange(xm, xr + step, step)
    area = (y_light[xm] - y_light[xi]) * np.abs(2 * xr - xi - xm)
    ok = np.abs(xi - x0) <= spread
    if not ok.any():
        return x0
    return int(xi[ok][int(np.argmax(area[ok]))])


def _light(x: np.ndarray, fs: float) -> np.ndarray:
    """The light smoothing for the end refinement: a running median LIGHT_SMOOTH_S wide
    (odd). A moving average spreads a wave that starts abruptly outwards by half its
    width; a running median leaves such a corner where it is."""
    w = max(1, int(round(LIGHT_SMOOTH_S * fs))) | 1
    if w == 3 and x.shape[-1] >= 2:
        # The 500-Hz case, element-wise (the same values as median_filter, without its overhead).
        left = np.concatenate([x[..., :1], x[..., :-1]], axis=-1)
        right = np.concatenate([x[..., 1:], x[..., -1:]], axis=-1)
        return np.maximum(np.minimum(left, x), np.minimum(np.maximum(left, x), right))
    return median_filter(x, size=(1, w), mode="nearest") if w > 1 else x


def _knee(y: np.ndarray, x0: float, outward: int, fs: float, inward_only: bool = False) -> float:
    """A wave end x0 (found by the trapezium on a smoothed curve) placed, to a fraction of a
    sample, where the magnitude curve y leaves its baseline.

    On one fixed window around x0 (KNEE_HALF_S beyond the KNEE_REACH_S search range each
    side), y = c + s d + q d^2 with d = max(0, distance inside the knee k) is fitted by least
    squares for each k on a KNEE_STEP grid; the best fit's k is the end. `outward`: +1 for
    an offset (the baseline lies after the end), -1 for an onset. `inward_only`: k may only
    move towards the wave. The magnitude's floor is rectified noise, sqrt(N + wave^2): the
    noise power N, from just outside the window, is taken off first, so the wave rises from
    zero at its start instead of meeting the floor a little inside it."""
    h = max(2, int(round(KNEE_HALF_S * fs)))
    reach = KNEE_REACH_S * fs
    a, b = int(np.floor(x0 - reach - h)), int(np.ceil(x0 + reach + h))
    if a < 0 or b >= y.size:
        return x0
    yy = y[a:b + 1]
    o0 = int(round(x0 + outward * (reach + h)))
    o1 = o0 + outward * 2 * h
    if 0 <= min(o0, o1) and max(o0, o1) < y.size:
        outside = y[min(o0, o1):max(o0, o1) + 1]  # 2h + 1 samples: the median is the middle one
        noise_pow = min(float(np.partition(outside * outside, h)[h]), float(yy.min()) ** 2)
        yy = np.sqrt(np.maximum(yy * yy - noise_pow, 0.0))
    lo_k, hi_k = x0 - reach, x0 + reach
    if inward_only:
        lo_k, hi_k = (x0 - reach, x0) if outward > 0 else (x0, x0 + reach)
    ks = np.arange(lo_k, hi_k + 1e-9, KNEE_STEP)
    D, D2, pinv = _knee_basis(yy.size, tuple(np.round(ks - a, 6).tolist()), outward)  # floats: a quicker key
    coef = pinv @ yy  # [k, 3]: the least-squares fit for every candidate knee
    g = np.empty((ks.size, 3))
    g[:, 0] = yy.sum()
    g[:, 1] = D @ yy
    g[:, 2] = D2 @ yy
    sse = float(yy @ yy) - (coef * g).sum(axis=1)
    ok = (coef[:, 1] > 0) | (coef[:, 2] > 0)  # the wave must rise inside the knee
    if not ok.any():
        return x0
    return float(ks[np.flatnonzero(ok)[int(np.argmin(sse[ok]))]])


@lru_cache(maxsize=64)
def _knee_basis(n: int, k_offsets: tuple, outward: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """d (distance inside each candidate knee, [k, n]), d^2 and the pseudo-inverses of the
    [1, d, d^2] designs ([k, 3, n]); the same for every window of one length and rate."""
    x = np.arange(n, dtype=float)
    D = np.maximum(0.0, (x[None, :] - np.asarray(k_offsets)[:, None]) * -outward)
    A = np.stack([np.ones_like(D), D, D * D], axis=2)  # [k, n, 3]
    return D, D * D, np.linalg.pinv(A)


@dataclass
class _PCurves:
    """The P-window curves `_p_wave` reads: the smoothed (sp), lightly smoothed (spl) and
    raw (sp0) magnitudes after detrending, the slope of sp (ds) and the high-frequency
    noise level."""
    sp: np.ndarray
    spl: np.ndarray
    sp0: np.ndarray
    ds: np.ndarray
    noise: float


def _p_curves(raw: np.ndarray, fs: float) -> tuple[_PCurves, list[_PCurves]]:
    """The P-window curves of all leads together, and of each lead alone (the same numbers
    as computing them on raw[i:i + 1]: every filter here works row by row, and one lead's
    magnitude is sqrt(x * x)). Computed once for the window: filtering it again per lead
    cost most of the P-wave time."""
    seg = _smooth(raw, P_SMOOTH_S * fs)
    k = max(1, int(0.01 * fs))
    a0 = seg[:, :k].mean(axis=1, keepdims=True)
    a1 = seg[:, -k:].mean(axis=1, keepdims=True)
    line = a0 + (a1 - a0) * np.linspace(0, 1, seg.shape[1])[None, :]
    # Noise: high-frequency residual of the median in the same window.
    hf = raw - preprocess.lowpass(raw, fs, 20.0) if raw.shape[1] > 30 else raw * 0
    d, dl, d0 = seg - line, _light(raw, fs) - line, raw - line
    d, dl, d0, hf2 = d * d, dl * dl, d0 * d0, hf * hf
    sp = np.sqrt(d.sum(axis=0))
    whole = _PCurves(sp, np.sqrt(dl.sum(axis=0)), np.sqrt(d0.sum(axis=0)), np.gradient(sp),
                     float(np.sqrt(hf2.sum(axis=0)).mean()) if hf.size else 0.0)
    sp, spl, sp0 = np.sqrt(d), np.sqrt(dl), np.sqrt(d0)
    ds = np.gradient(sp, axis=1)  # element-wise differences: row by row as np.gradient(sp[i])
    noise = np.sqrt(hf2)
    leads = [_PCurves(sp[i], spl[i], sp0[i], ds[i], float(noise[i].mean()) if hf.size else 0.0)
             for i in range(raw.shape[0])]
    return whole, leads


def _p_wave(c: _PCurves, fs: float, peak_range: tuple[int, int] | None = None):
    """(peak, onset, offset) of a P wave on the P-window curves c (`_p_curves`), or None.

    Present when the peak of the smoothed, detrended magnitude stands clearly above the
    window's noise; onset/offset by the trapezium method on each side of the peak.
    `peak_range`: where the peak must lie (per-lead search)."""
    sp = c.sp
    edge = int(0.02 * fs)
    lo, hi = edge, sp.size - 1 - edge
    if peak_range is not None:
        lo, hi = max(lo, peak_range[0]), min(hi, peak_range[1])
    if hi < lo:
        return None
    pk = lo + int(np.argmax(sp[lo:hi + 1]))
    if not (edge <= pk <= sp.size - 1 - edge and sp[pk] >= max(P_MIN_MV, 4.0 * c.noise)):
        return None
    if peak_range is not None and not (lo < pk < hi):
        return None  # the lead's largest deflection near the P is at the edge: no clear P
    ds = c.ds
    up = int(np.argmax(ds[:pk])) if pk > 0 else 0
    down = pk + int(np.argmin(ds[pk:]))
    p_on = _trapezium(sp, up, max(0, pk - int(P_ON_REACH_S * fs)))
    p_off = _trapezium(sp, down, min(sp.size - 1, pk + int(0.12 * fs)))
    spl = c.spl
    spread = (max(1, int(round(P_SMOOTH_S * fs))) - 1) / 2.0
    p_on = _refine(spl, p_on, up, max(0, pk - int(P_ON_REACH_S * fs)), spread)
    p_off = _refine(spl, p_off, down, min(sp.size - 1, pk + int(0.12 * fs)), spread)
    # Where the unsmoothed curve leaves the baseline, near those points, both ways (the
    # synthetic P ends within a fraction of a sample; LUDB P-on mean 4.8 -> 4.2 ms with the
    # third-way lead pull, SD 13.1 -> 13.4).
    p_on = _knee(c.sp0, p_on, -1, fs)
    p_off = _knee(c.sp0, p_off, 1, fs)
    return pk, p_on, p_off


def _t_end_after(st: np.ndarray, tp: int, t_end_max: int, fs: float) -> tuple[int, int, int]:
    """(steepest descent, T end, search end) on the magnitude curve st after a T peak tp."""
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
    t_off = _trapezium(st, xm, end)
    # The trapezium point depends on how far out its reference point lies: on a flat or
    # biphasic T tail it can wander far past the T. When the end found with the reference
    # only T_REACH_S past the steepest descent is much earlier, that one holds (QTDB T end
    # 5.4 +- 48.9 -> 0.1 +- 42.2 ms; LUDB unchanged).
    end_near = min(end, xm + int(T_REACH_S * fs))
    t_near = _trapezium(st, xm, end_near)
    if t_off - t_near > T_WANDER_S * fs:
        t_off, end = t_near, end_near
    return xm, t_off, end


@dataclass
class _TCurves:
    """The T curves of one beat: the leads after the ST start (t_from) less the baseline,
    smoothed (sm) and lightly smoothed (sml), and the magnitudes of those and of the
    unsmoothed leads (st, stl, st0; full beat length, zero before t_from). They depend only
    on the beat, its baseline and the QRS end, so both T searches of `delineate` share them."""
    t_from: int
    sm: np.ndarray
    sml: np.ndarray
    st: np.ndarray
    stl: np.ndarray
    st0: np.ndarray


def _t_curves(m: np.ndarray, base: np.ndarray, ioff: int, fs: float) -> _TCurves:
    """The T curves of the beat m with its baseline `base` and QRS end `ioff` (`_TCurves`)."""
    n = m.shape[1]
    # Smoothed after cropping, so the QRS cannot leak into the T curve.
    t_from = min(n - 1, ioff + int(0.02 * fs))
    x = m[:, t_from:] - base
    sm, sml = _smooth(x, T_SMOOTH_S * fs), _light(x, fs)
    st, stl, st0 = np.zeros(n), np.zeros(n), np.zeros(n)
    st[t_from:] = _spatial_magnitude(sm)
    stl[t_from:] = _spatial_magnitude(sml)
    st0[t_from:] = _spatial_magnitude(x)
    return _TCurves(t_from, sm, sml, st, stl, st0)


def _t_end_max(n: int, r: int, on: float, fs: float, rr: float, next_start: float) -> int:
    """The latest possible T end: before `next_start` (the next beat's P onset, or 40 ms
    before its QRS without P), and the physiological limit, QTc (Bazett) at most QTC_MAX_S."""
    qt_max = QTC_MAX_S * np.sqrt(rr) * fs
    return int(min(n - 1, next_start, r + 0.8 * fs, on + qt_max))


def _t_wave(m: np.ndarray, c: _TCurves, ioff: int, t_end_max: int, fs: float) -> tuple[float | None, float | None]:
    """T peak and T end (samples) on the beat m [leads, samples] with its T curves c; the T
    ends by t_end_max (`_t_end_max`), its peak at least 60 ms before that."""
    t_from, st = c.t_from, c.st
    t_lo = ioff + int(0.06 * fs)
    t_hi = t_end_max - int(0.06 * fs)
    if t_hi - t_lo <= int(0.05 * fs):
        return None, None
    tp = t_lo + int(np.argmax(st[t_lo:t_hi]))
    if not t_lo < tp < t_hi - 1:
        return None, None
    xm, t_off, end = _t_end_after(st, tp, t_end_max, fs)
    # A biphasic T (or a depressed ST running into a positive T): right after the largest
    # phase the leads swing to the opposite side by a comparable amount. The T ends after
    # that second phase, not at the crossing between the two (QTDB sel44, sel301).
    second = _second_t_phase(m, c.sm, t_from, tp, t_off, t_end_max, fs)
    if second is not None:
        xm, t_off, end = _t_end_after(st, second, t_end_max, fs)
    spread = (max(1, int(round(T_SMOOTH_S * fs))) - 1) / 2.0
    t_off = _refine(c.stl, t_off, xm, end, spread)
    # The knee may only shorten the T: a slowly fading T tail is ended where the trapezium
    # ends it, as cardiologists do; letting the knee move out to where the tail meets the
    # baseline read QTDB's T ends later (mean +5.2 -> +7.6 ms).
    t_off = _knee(c.st0, t_off, 1, fs, inward_only=True)
    if m.shape[0] >= 3:
        lead_end = _t_end_by_lead_vote(m, c, t_from, tp if second is None else second,
                                       t_lo, end, fs, spread)
        # When the leads' CSE-style latest end lies beyond the combined curve's end by more
        # than a single lead's timing noise (the light smoothing width), move a third of the
        # way towards it (LUDB T end, odd records: -8.6 +- 28.9 -> -5.7 +- 28.3 ms; even,
        # held out: -3.7 +- 25.7 -> -1.2 +- 25.1 ms; halfway read LUDB a little better but
        # the ECG Toolkit example's QT 26 ms above its device's 420 ms, a third 21 ms).
        if lead_end is not None and lead_end - t_off > LIGHT_SMOOTH_S * fs:
            t_off += T_LEAD_WEIGHT * (lead_end - t_off)
    return float(tp), float(t_off)


def _second_t_phase(m: np.ndarray, sm: np.ndarray, t_from: int, tp: int, t_off: int, t_end_max: int,
                    fs: float) -> int | None:
    """Peak (sample) of an opposite-polarity T phase that follows the T peak at once, or None.

    The leads are projected on their direction at the T peak; the second phase crosses zero
    no later than shortly after the end found for the first phase, stays on the other side
    up to its own extremum, reaches at least BIPHASIC_MIN of the first peak, and peaks at
    least 60 ms before the latest possible T end."""
    if m.shape[1] <= t_from + 2:
        return None
    k = tp - t_from
    if not 0 <= k < sm.shape[1]:
        return None
    u = sm[:, k]
    norm = float(np.sqrt(u @ u))
    if norm <= 0:
        return None
    y = (u / norm) @ sm
    lim = min(y.size, t_end_max - int(0.06 * fs) - t_from)
    cross = np.flatnonzero(y[k:lim] < 0)
    if not cross.size:
        return None
    z = k + int(cross[0])
    if z > t_off - t_from + int(BIPHASIC_GAP_S * fs):
        return None
    j = z + int(np.argmin(y[z:lim]))
    if j >= lim - 1 or np.any(y[z:j + 1] > 0) or -y[j] < BIPHASIC_MIN * y[k]:
        return None
    return t_from + j


def _agreeing(values: np.ndarray, fs: float) -> np.ndarray | None:
    """The finite values within FUSE_TOL_S of their median, sorted; None if fewer than 3."""
    v = np.sort(np.asarray(values, dtype=float))
    v = v[np.isfinite(v)]
    if v.size < 3:
        return None
    v = v[np.abs(v - _median(v)) <= FUSE_TOL_S * fs]
    return v if v.size >= 3 else None


def _t_end_by_lead_vote(m: np.ndarray, c: _TCurves, t_from: int, tp: int, t_lo: int, end: int,
                        fs: float, spread: float) -> float | None:
    """The second-latest T end among the leads that agree (within FUSE_TOL_S of their
    median), each lead with a T at least T_LEAD_MIN of the largest timed on its own
    |signal| like the combined curve; None with fewer than 3 agreeing leads."""
    n = m.shape[1]
    sm, sml = c.sm, c.sml
    amp = np.abs(sm[:, tp - t_from])
    a, b = max(t_lo, tp - int(0.06 * fs)), min(end - 1, tp + int(0.06 * fs))
    if b <= a or amp.max() <= 0:
        return None
    ends = []
    sel = np.flatnonzero(amp >= T_LEAD_MIN * amp.max())
    ys, yls = np.zeros((sel.size, n)), np.zeros((sel.size, n))
    ys[:, t_from:], yls[:, t_from:] = np.abs(sm[sel]), np.abs(sml[sel])
    for y, yl in zip(ys, yls):
        tpi = a + int(np.argmax(y[a:b]))  # this lead's own T peak near the global one
        ds = np.gradient(y[tpi:end + 1])
        xm = tpi + int(np.argmin(ds)) if ds.size else tpi
        ends.append(_refine(yl, _trapezium(y, xm, end), xm, end, spread))
    v = _agreeing(np.asarray(ends, dtype=float), fs)
    return None if v is None else float(v[-2])


def delineate(m: np.ndarray, r: int, fs: float, rr_s: float | None) -> WaveBounds:
    """All global boundaries on a median beat [usable leads, samples] with fiducial index r."""
    out = WaveBounds()
    n = m.shape[1]
    on, off = qrs_bounds_fused(m, r, fs)
    out.qrs_onset, out.qrs_offset = on, off
    if on is None or off is None:
        return out
    rr = rr_s if rr_s and np.isfinite(rr_s) else 1.0
    ion, ioff = int(round(on)), int(round(off))
    base_a, base_b = max(0, ion - int(0.02 * fs)), max(1, ion - int(0.004 * fs))
    base = m[:, base_a:base_b].mean(axis=1, keepdims=True)

    # --- P wave first: its window starts after the previous beat's T wave (estimated from
    # an upper-normal QT, 460 ms·sqrt(RR)), so at fast rates a T is not taken for a P ...
    p_hi = ion - int(0.01 * fs)
    p_lo = max(0, ion - int(P_REACH_S * fs), int(ion - rr * fs + 0.46 * np.sqrt(rr) * fs))
    # ... and not before the previous beat's measured T end: this beat's own T end (bounded
    # by the next QRS only) moved back by one RR. The tail of that T is not a P wave
    # (QTDB: P-onset SD 24 -> 16 ms).
    tc = _t_curves(m, base, ioff, fs)
    lim0 = _t_end_max(n, r, on, fs, rr, on - 0.04 * fs + rr * fs)
    t0 = _t_wave(m, tc, ioff, lim0, fs)
    t_end0 = t0[1]
    if t_end0 is not None:
        p_lo = max(p_lo, int(t_end0 - rr * fs))
    if p_hi - p_lo > int(0.06 * fs):
        raw = m[:, p_lo:p_hi + 1]
        whole, leads = _p_curves(raw, fs)
        found = _p_wave(whole, fs)
        if found is not None:
            pk, p_on, p_off = found
            out.p_present = True
            out.p_peak = float(p_lo + pk)
            out.p_onset = float(p_lo + p_on)
            out.p_offset = float(p_lo + p_off)
            # Each lead on its own, its peak near the global one: per-lead P durations.
            reach = int(P_LEAD_PEAK_S * fs)
            on_l = np.full(m.shape[0], np.nan)
            off_l = np.full(m.shape[0], np.nan)
            for i in range(m.shape[0]):
                one = _p_wave(leads[i], fs, (pk - reach, pk + reach))
                if one is not None:
                    on_l[i], off_l[i] = p_lo + one[1], p_lo + one[2]
            if m.shape[0] >= 3:
                # As for the T end: a third of the way towards the leads' second-earliest
                # onset / second-latest offset when those lie outside the combined curve's
                # by more than a lead's timing noise (LUDB P onset, odd records 6.1 -> 5.1,
                # even 5.6 -> 4.4 ms; SDs unchanged).
                ons, offs = _agreeing(on_l, fs), _agreeing(off_l, fs)
                if ons is not None and out.p_onset - ons[1] > LIGHT_SMOOTH_S * fs:
                    out.p_onset += P_ON_LEAD_WEIGHT * (ons[1] - out.p_onset)
                if offs is not None and offs[-2] - out.p_offset > LIGHT_SMOOTH_S * fs:
                    out.p_offset += T_LEAD_WEIGHT * (offs[-2] - out.p_offset)
            # A lead's own P stays inside the global P (earliest onset / latest offset over
            # the leads): one lead's noisy tail does not lengthen it beyond all leads'.
            out.p_lead_onsets = np.maximum(on_l, out.p_onset)
            out.p_lead_offsets = np.minimum(off_l, out.p_offset)

    # --- T wave, now that the next beat's P onset bounds it.
    next_start = (out.p_onset if out.p_present else on - 0.04 * fs) + rr * fs
    lim = _t_end_max(n, r, on, fs, rr, next_start)
    # The T search depends on next_start only through that limit: often the same answer.
    out.t_peak, out.t_offset = t0 if lim == lim0 else _t_wave(m, tc, ioff, lim, fs)
    return out
