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
    """(start, end_exclusive, signed extreme) of consecutive same-sign stretches."""
    sign = np.sign(y)
    sign[sign == 0] = 1
    cuts = np.flatnonzero(np.diff(sign) != 0) + 1
    bounds = np.concatenate(([0], cuts, [y.size]))
    out = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        seg = y[a:b]
        ext = float(seg.max()) if seg[0] >= 0 else float(seg.min())
        out.append((int(a), int(b), ext))
    return out


def _merge_small(lobes, fs):
    """Drop insignificant lobes; merge what becomes adjacent with equal sign."""
    keep = [lb for lb in lobes if abs(lb[2]) >= MIN_WAVE_MV and (lb[1] - lb[0]) >= MIN_WAVE_S * fs]
    merged: list[list] = []
    for a, b, ext in keep:
        if merged and np.sign(merged[-1][2]) == np.sign(ext):
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
    from scipy.signal import find_peaks

    pk, _ = find_peaks(y, height=0.1, prominence=0.05, distance=max(1, int(0.008 * fs)))
    return pk.size >= 2


def lead_amplitudes(x: np.ndarray, bounds: WaveBounds, fs: float) -> LeadAmplitudes:
    """Measurements on one lead's median beat `x` with the global bounds."""
    out = LeadAmplitudes()
    if bounds.qrs_onset is None or bounds.qrs_offset is None:
        return out
    n = x.size
    on, off = int(round(bounds.qrs_onset)), int(round(bounds.qrs_offset))
    a, b = max(0, on - int(0.02 * fs)), max(1, on - int(0.004 * fs))
    base = float(np.mean(x[a:b]))
    y = x - base
    q = y[on:off + 1]
    if q.size < 3:
        return out
    out.qrs_pp_mv = float(q.max() - q.min())
    out.qrs_area_mv_ms = float(np.trapezoid(q, dx=1000.0 / fs))
    lobes = _merge_small(_lobes(q), fs)
    pos = [lb for lb in lobes if lb[2] > 0]
    if not pos:
        if lobes:
            qs = min(lobes, key=lambda lb: lb[2])
            out.q_mv = qs[2]
            out.q_ms = (qs[1] - qs[0]) * 1000.0 / fs
    else:
        first_pos = lobes.index(pos[0])
        if first_pos > 0:
            qa, qb, qe = lobes[first_pos - 1]
            out.q_mv, out.q_ms = qe, (qb - qa) * 1000.0 / fs
        ra, rb, re_ = pos[0]
        out.r_mv, out.r_ms = re_, (rb - ra) * 1000.0 / fs
        r_peak = ra + int(np.argmax(q[ra:rb]))
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
        if out.q_mv is None and r_peak > 0 and out.r_mv >= 0.3:
            rise = np.flatnonzero(q[: r_peak + 1] >= 0.4 * out.r_mv)
            if rise.size:
                t40 = rise[0]
                out.delta_wave = bool(t40 >= 0.03 * fs and t40 >= 0.64 * r_peak)
            else:
                out.delta_wave = False
        else:
            out.delta_wave = False
    # ST at J and J+60 ms.
    if off < n:
        out.st_j_mv = float(y[off])
    j60 = off + int(round(0.06 * fs))
    if j60 < n:
        out.st_j60_mv = float(y[j60])
        j40, j80 = off + int(0.04 * fs), min(n - 1, off + int(0.08 * fs))
        slope = (y[j80] - y[j40]) / 0.04  # mV/s
        out.st_slope = "up" if slope > 0.5 else ("down" if slope < -0.5 else "flat")
    # T wave: from J+40 ms to T offset.
    if bounds.t_offset is not None:
        ta, tb = off + int(0.04 * fs), min(n, int(round(bounds.t_offset)) + 1)
        t = y[ta:tb]
        if t.size > 3:
            out.t_pos_mv = float(max(t.max(), 0.0))
            out.t_neg_mv = float(min(t.min(), 0.0))
            out.t_mv = out.t_pos_mv if out.t_pos_mv >= -out.t_neg_mv else out.t_neg_mv
    # P wave.
    if bounds.p_present and bounds.p_onset is not None and bounds.p_offset is not None:
        pa, pb = int(round(bounds.p_onset)), int(round(bounds.p_offset)) + 1
        p = y[pa:pb]
        if p.size > 3:
            out.p_pos_mv = float(max(p.max(), 0.0))
            out.p_neg_mv = float(min(p.min(), 0.0))
            out.p_mv = out.p_pos_mv if out.p_pos_mv >= -out.p_neg_mv else out.p_neg_mv
            neg = p < -0.02
            out.p_neg_ms = float(neg.sum() * 1000.0 / fs) if neg.any() else 0.0
    return out
