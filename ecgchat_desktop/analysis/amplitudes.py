"""Per-lead amplitudes on that lead's median beat, relative to the PR-segment baseline.

Wave labelling inside the global QRS (onset..offset): the lead's signal is split at
its baseline crossings into lobes; lobes smaller than 0.05 mV or shorter than 6 ms are
merged into their neighbours (noise, not waves). A negative lobe before the first
positive one is Q, the first positive lobe R, the next negative S, a second positive R′
and a following negative S′. A QRS without a positive lobe is a QS complex, reported
as q_mv (and r_mv = None).
"""

from __future__ import annotations

import numpy as np

from ecgchat_desktop.analysis.delineate import WaveBounds
from ecgchat_desktop.analysis.measurements import LeadAmplitudes

MIN_WAVE_MV = 0.05
MIN_WAVE_S = 0.006


def _lobes(y: np.ndarray) -> list[tuple[int, int, float]]:
    """(start, end_exclusive, signed extreme) of consecutive same-sign stretches (zero
    counts as positive)."""
    neg = y < 0
    cuts = np.flatnonzero(neg[1:] != neg[:-1]) + 1
    starts = np.concatenate(([0], cuts))
    ends = np.concatenate((cuts, [y.size]))
    ext = np.where(neg[starts], np.minimum.reduceat(y, starts), np.maximum.reduceat(y, starts))
    return list(zip(starts.tolist(), ends.tolist(), ext.tolist()))


def _merge_small(lobes, fs):
    """Drop insignificant lobes; merge what becomes adjacent with equal sign."""
    min_len = MIN_WAVE_S * fs
    merged: list[list] = []
    for a, b, ext in lobes:
        if abs(ext) < MIN_WAVE_MV or (b - a) < min_len:
            continue
        if merged and (merged[-1][2] > 0) == (ext > 0):
            prev = merged[-1]
            prev[1] = b
            prev[2] = max(prev[2], ext) if ext > 0 else min(prev[2], ext)
        else:
            merged.append([a, b, ext])
    return merged


def _notched(y: np.ndarray, fs: float) -> bool:
    """Two maxima of >= 0.1 mV in one positive wave with a dip >= 0.05 mV between them."""
    if y.size < 5:
        return False
    # Every peak find_peaks can report starts with a rise onto a sample >= the height that
    # is not followed by a further rise: fewer than two such samples, no notch.
    top = (y[1:-1] >= 0.1) & (y[1:-1] > y[:-2]) & (y[1:-1] >= y[2:])
    if np.count_nonzero(top) < 2:
        return False
    from scipy.signal import find_peaks

    pk, _ = find_peaks(y, height=0.1, prominence=0.05, distance=max(1, int(0.008 * fs)))
    return pk.size >= 2


def _qrs_waves(q: np.ndarray, fs: float, out: LeadAmplitudes) -> None:
    """Q, R, S, R′, S′, R-peak time, notching and delta wave of one lead's QRS `q`
    (baseline-corrected, global onset..offset)."""
    lobes = _merge_small(_lobes(q), fs)
    pos = [lb for lb in lobes if lb[2] > 0]
    if not pos:
        if lobes:
            qs = min(lobes, key=lambda lb: lb[2])
            out.q_mv = qs[2]
            out.q_ms = (qs[1] - qs[0]) * 1000.0 / fs
        return
    first_pos = lobes.index(pos[0])
    if first_pos > 0:
        qa, qb, qe = lobes[first_pos - 1]
        out.q_mv, out.q_ms = qe, (qb - qa) * 1000.0 / fs
    ra, rb, re_ = pos[0]
    out.r_mv, out.r_ms = re_, (rb - ra) * 1000.0 / fs
    r_peak = ra + int(np.argmax(q[ra:rb]))
    first_r_peak = r_peak  # the delta wave is the upstroke of the first R, not of an R′
    out.notched_r = _notched(q[ra:rb], fs)
    rest = lobes[first_pos + 1:]
    if rest and rest[0][2] < 0:
        sa, sb, se = rest[0]
        out.s_mv, out.s_ms = se, (sb - sa) * 1000.0 / fs
        rest = rest[1:]
        if rest and rest[0][2] > 0:
            out.r_prime_mv = rest[0][2]
            r_peak = rest[0][0] + int(np.argmax(q[rest[0][0]:rest[0][1]]))
            rest = rest[1:]
            if rest and rest[0][2] < 0:
                out.s_prime_mv = rest[0][2]
    out.r_peak_time_ms = r_peak * 1000.0 / fs
    # Delta wave: slurred initial upstroke — reaching 40 % of the R amplitude takes at
    # least 30 ms and 64 % of the time to the R peak (a straight upstroke takes 40 %).
    if out.q_mv is None and first_r_peak > 0 and out.r_mv >= 0.3:
        rise = np.flatnonzero(q[: first_r_peak + 1] >= 0.4 * out.r_mv)
        if rise.size:
            t40 = rise[0]
            out.delta_wave = bool(t40 >= 0.03 * fs and t40 >= 0.64 * first_r_peak)
        else:
            out.delta_wave = False
    else:
        out.delta_wave = False


def all_lead_amplitudes(med: np.ndarray, bounds: WaveBounds, fs: float) -> list[LeadAmplitudes]:
    """The per-lead measurements of every row of the median beats `med` [leads, samples]: the
    window statistics (baseline, QRS area, ST, T and P extremes) for all leads at once,
    only the wave labelling inside the QRS lead by lead."""
    n_leads, n = med.shape
    outs = [LeadAmplitudes() for _ in range(n_leads)]
    if bounds.qrs_onset is None or bounds.qrs_offset is None:
        return outs
    on, off = int(round(bounds.qrs_onset)), int(round(bounds.qrs_offset))
    a, b = max(0, on - int(0.02 * fs)), max(1, on - int(0.004 * fs))
    y = med - med[:, a:b].mean(axis=1, keepdims=True)
    q = y[:, on:off + 1]
    if q.shape[1] < 3:
        return outs
    qrs_pp = (q.max(axis=1) - q.min(axis=1)).tolist()
    qrs_area = np.trapezoid(q, dx=1000.0 / fs, axis=1).tolist()
    st_j = y[:, off].tolist() if off < n else None
    j60 = off + int(round(0.06 * fs))
    if j60 < n:
        st_j60 = y[:, j60].tolist()
        j40, j80 = off + int(0.04 * fs), min(n - 1, off + int(0.08 * fs))
        slopes = ((y[:, j80] - y[:, j40]) / 0.04).tolist()  # mV/s
    t_pos = t_neg = None
    if bounds.t_offset is not None:
        # T wave: from J+40 ms to T offset.
        ta, tb = off + int(0.04 * fs), min(n, int(round(bounds.t_offset)) + 1)
        if tb - ta > 3:
            t = y[:, ta:tb]
            t_pos = np.maximum(t.max(axis=1), 0.0).tolist()
            t_neg = np.minimum(t.min(axis=1), 0.0).tolist()
    p_pos = p_neg = None
    if bounds.p_present and bounds.p_onset is not None and bounds.p_offset is not None:
        pa, pb = int(round(bounds.p_onset)), int(round(bounds.p_offset)) + 1
        p = y[:, pa:pb]
        if p.shape[1] > 3:
            p_pos = np.maximum(p.max(axis=1), 0.0).tolist()
            p_neg = np.minimum(p.min(axis=1), 0.0).tolist()
            p_neg_ms = (np.count_nonzero(p < -0.02, axis=1) * 1000.0 / fs).tolist()
    for i, out in enumerate(outs):
        out.qrs_pp_mv = qrs_pp[i]
        out.qrs_area_mv_ms = qrs_area[i]
        _qrs_waves(q[i], fs, out)
        # ST at J and J+60 ms.
        if st_j is not None:
            out.st_j_mv = st_j[i]
        if j60 < n:
            out.st_j60_mv = st_j60[i]
            out.st_slope = "up" if slopes[i] > 0.5 else ("down" if slopes[i] < -0.5 else "flat")
        if t_pos is not None:
            out.t_pos_mv, out.t_neg_mv = t_pos[i], t_neg[i]
            out.t_mv = out.t_pos_mv if out.t_pos_mv >= -out.t_neg_mv else out.t_neg_mv
        if p_pos is not None:
            out.p_pos_mv, out.p_neg_mv = p_pos[i], p_neg[i]
            out.p_mv = out.p_pos_mv if out.p_pos_mv >= -out.p_neg_mv else out.p_neg_mv
            out.p_neg_ms = p_neg_ms[i]
    return outs
