"""Multi-lead QRS detection (any lead set, any rate once resampled to the working rate).

Method (a multi-lead Pan–Tompkins variant):
1. each usable lead is band-passed 5–25 Hz (zero phase), differentiated and squared;
2. each lead's energy is scaled by its typical QRS energy (median of 2-s window maxima),
   so a large lead cannot drown the others, and the leads are averaged with local
   weights from each lead's QRS-to-noise ratio per 2-s block (the peaks of its
   integrated energy over the level between them) relative to the lead's typical ratio,
   reduced where its peaks far exceed its usual QRS peaks (artefact), so a lead that is
   noisy for a while is all but silenced meanwhile (fusion);
3. a 100 ms moving-window integral gives one bump per QRS;
4. bumps are accepted with adaptive signal/noise levels (threshold = noise + 0.25 ×
   (signal − noise)), a 200 ms refractory period, a T-wave test (a bump within 360 ms
   of the last beat with less than half its slope is a T wave), its mirror (a bump
   within 360 ms after a detection less than half as steep and half as large replaces
   it: that was a P wave or a blip) and a search-back at half threshold when no beat
   came for 1.66 mean RR intervals.
Lead failure is handled by the caller passing only usable leads; with none usable the
best-looking lead is used anyway and the notes say so.
"""

from __future__ import annotations

import numpy as np
from scipy import signal
from scipy.ndimage import maximum_filter1d, uniform_filter1d

from ecgchat_desktop.analysis import preprocess

REFRACTORY_S = 0.2
T_WAVE_WINDOW_S = 0.36
MWI_S = 0.10
ENERGY_CLIP = 1.5
BLOCK_S = 2.0  # lead-weight blocks: short enough to follow a noise burst, long enough for a QRS


def qrs_band(x: np.ndarray, fs: float) -> np.ndarray:
    """The 5–25 Hz band of each lead (zero phase), where QRS slopes dominate."""
    return preprocess.bandpass(np.atleast_2d(np.asarray(x, dtype=np.float64)), fs, 5.0, 25.0)


def qrs_energy(x: np.ndarray, fs: float, bp: np.ndarray | None = None) -> np.ndarray:
    """Fused, lead-normalised QRS slope energy [samples] from [leads, samples]
    (`bp`: `qrs_band(x, fs)` if already computed)."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    if bp is None:
        bp = qrs_band(x, fs)
    e = np.gradient(bp, axis=1)  # a new array: scaled, squared and normalised in place
    e *= fs
    e *= e
    win = int(2 * fs)
    n = e.shape[1]
    if n >= 2 * win:  # the median of the 2-s window maxima, all leads at once
        scales = np.median(e[:, : (n // win) * win].reshape(e.shape[0], -1, win).max(axis=2), axis=1)
    else:
        scales = e.max(axis=1)
    scales[scales <= 0] = 1.0
    # Clipped at ENERGY_CLIP (1.5) times the lead's typical QRS energy: an electrode artefact a
    # hundred times larger than any QRS must not set the thresholds for the real beats.
    e /= scales[:, None]
    np.minimum(e, ENERGY_CLIP, out=e)
    if e.shape[0] == 1:
        return e[0]
    # Local lead weights, per 2-s block, from each lead's QRS-to-noise ratio r (98th
    # percentile of the integrated energy, the QRS peaks, over its median, the level
    # between them) against the lead's typical ratio r_typ (median over the blocks):
    #   w = sqrt(r_typ) * min(1, r / r_typ) * min(1, peak_typ / peak)^2.
    # - sqrt(r_typ): a lead that is cleaner overall counts more, but two clean leads share
    #   (with the raw ratio one clean lead took ~85 % and the beat positions followed its
    #   energy maximum, e.g. 100 ms off on wide paced beats);
    # - min(1, r / r_typ): a lead in a noise burst (r falls tenfold and more) is all but
    #   silenced while it lasts; capped at 1, so a block where a lead went flat (median ~0,
    #   r unbounded) cannot take over;
    # - peaks far above the lead's usual QRS peaks are artefacts (electrode steps, rail
    #   hits) that leave the level between them low, which the ratio alone does not see.
    blk = int(BLOCK_S * fs)
    nb = max(1, n // blk)
    width = min(n, nb * blk)
    mwi = uniform_filter1d(e[:, :width], max(1, int(MWI_S * fs)), axis=1).reshape(e.shape[0], nb, -1)
    peak, mid = preprocess.percentile_and_median(mwi, 98.0)
    r = peak / (mid + 1e-9)
    r_typ = np.median(r, axis=1, keepdims=True) + 1e-12
    w = np.sqrt(r_typ) * np.minimum(1.0, r / r_typ)
    w = w * np.minimum(1.0, np.median(peak, axis=1, keepdims=True) / (peak + 1e-12)) ** 2
    w = w / (w.sum(axis=0, keepdims=True) + 1e-12)
    centers = (np.arange(nb) + 0.5) * (width / nb)
    wt = _interp_rows(np.arange(n), centers, w)
    wt *= e
    return wt.sum(axis=0)


def _interp_rows(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """`np.stack([np.interp(x, xp, row) for row in fp])` for increasing x and xp and finite
    values, with np.interp's arithmetic (slope * (x - xp[j]) + fp[j]; the end values outside
    xp), for all rows at once."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty((fp.shape[0], x.size))
    if xp.size < 2:
        out[:] = fp[:, :1]
        return out
    j = np.searchsorted(xp, x, side="right") - 1  # xp[j] <= x < xp[j + 1]
    a, b = np.searchsorted(j, 0), np.searchsorted(j, xp.size - 1)  # x sorted: j is too
    slopes = (fp[:, 1:] - fp[:, :-1]) / (xp[1:] - xp[:-1])
    jj = j[a:b]
    # np.take keeps [rows, x] in C order: the caller's sum over rows then rounds like before.
    np.multiply(np.take(slopes, jj, axis=1), x[a:b] - xp[jj], out=out[:, a:b])
    out[:, a:b] += np.take(fp, jj, axis=1)
    out[:, :a] = fp[:, :1]
    out[:, b:] = fp[:, -1:]
    return out


def detect(x: np.ndarray, fs: float, energy: np.ndarray | None = None) -> np.ndarray:
    """R-peak sample indices (at rate fs) from [leads, samples] of usable leads
    (`energy`: the precomputed `qrs_energy(x, fs)`, if at hand)."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    n = x.shape[1]
    if n < int(0.5 * fs):
        return np.zeros(0, dtype=np.int64)
    if energy is None:
        energy = qrs_energy(x, fs)
    mwi = uniform_filter1d(energy, max(1, int(MWI_S * fs)), mode="nearest")
    slope_peak = maximum_filter1d(np.sqrt(energy), max(1, int(0.08 * fs)), mode="nearest")
    slope_list = slope_peak.tolist()  # scalar look-ups in the loop: lists beat numpy
    span_20s = 20 * fs
    refractory = int(REFRACTORY_S * fs)
    t_window = T_WAVE_WINDOW_S * fs
    cand, props = signal.find_peaks(mwi, distance=max(1, int(0.12 * fs)))
    if cand.size == 0:
        return np.zeros(0, dtype=np.int64)
    heights = mwi[cand]

    # Initial levels from the first seconds (robust to one artefact).
    init = heights[cand < min(n, int(4 * fs))]
    if init.size == 0:
        init = heights
    spk = float(np.median(init[init >= 0.3 * init.max()]))
    npk = min(float(np.median(heights)), 0.25 * spk)

    beats: list[int] = []
    beat_heights: list[float] = []
    rr_hist: list[int] = []
    last_idx = -1  # index into cand of the last accepted beat
    decayed_at = -(10**12)  # where the signal level was last let decay

    def thr() -> float:
        return npk + 0.25 * (spk - npk)

    def min_slope_at(c: int) -> float:
        """A quarter of the lower-quartile QRS slope of the beats of the last 20 s: P and T
        waves (and most baseline noise) are far less steep than any QRS."""
        recent = [b for b in beats[-64:] if c - b < span_20s] or beats[-1:]
        return 0.25 * _lower_quartile([slope_list[b] for b in recent])

    i = 0
    while i < cand.size:
        c, h = int(cand[i]), float(heights[i])
        # Search-back: a long gap since the last beat -> take the best skipped bump.
        if beats:
            # Without RR history yet (e.g. an artefact set the first levels) assume 1 s.
            rr_avg = sum(rr_hist[-8:]) / len(rr_hist[-8:]) if rr_hist else fs
            if c - beats[-1] > 1.66 * rr_avg:
                lo, hi = last_idx + 1, i
                best, best_h = -1, 0.0
                # Only QRS-like bumps: steep (a quarter of the recent beats' slope at least),
                # so that P and T waves in a pause are not taken for beats.
                min_slope = min_slope_at(c)
                for j in range(max(lo, hi - 64), hi):
                    cj = int(cand[j])
                    if cj - beats[-1] < refractory or c - cj < refractory:
                        continue
                    if slope_peak[cj] < min_slope:
                        continue
                    # Nor the T wave of the last beat (the same slope test as below).
                    if cj - beats[-1] < t_window and slope_peak[cj] < 0.5 * slope_peak[beats[-1]]:
                        continue
                    if heights[j] > best_h:
                        best, best_h = j, float(heights[j])
                if best_h < max(0.5 * thr(), 2.0 * npk):
                    # Nothing reaches half threshold: if the signal level itself dropped
                    # (the levels were set by an artefact or a larger complex), let the
                    # signal level decay so that detection can resume.
                    # At most one halving per mean RR: halving at every candidate bump let
                    # the level collapse within a second of a long pause, and the pause's
                    # noise bumps then passed for beats.
                    if c - beats[-1] > 2.5 * rr_avg and c - decayed_at >= rr_avg:
                        spk = max(0.5 * spk, 2.0 * best_h, 4.0 * npk)
                        decayed_at = c
                    best = -1
                if best >= 0:
                    cb = int(cand[best])
                    rr_hist.append(cb - beats[-1])
                    beats.append(cb)
                    beat_heights.append(best_h)
                    spk = 0.25 * min(best_h, 2 * spk) + 0.75 * spk
                    last_idx = best
                    continue  # re-examine candidate i against the new last beat
        if h > thr() and (not beats or c - beats[-1] >= refractory) and (
                not beats or slope_peak[c] >= min_slope_at(c)):
            is_t = False
            if beats and c - beats[-1] < t_window:
                if slope_peak[c] < 0.5 * slope_peak[beats[-1]]:
                    is_t = True
            if is_t:
                npk = 0.125 * h + 0.875 * npk
            elif (beats and c - beats[-1] < t_window and slope_peak[beats[-1]] < 0.5 * slope_peak[c]
                  and h > 2.0 * beat_heights[-1]):
                # The mirror of the T-wave test: the last detection, less than half as steep
                # as this bump and under half its size, was a tall P wave or a blip ahead of
                # this QRS; this bump replaces it.
                beats[-1] = c
                beat_heights[-1] = h
                if len(beats) > 1:
                    rr_hist[-1] = c - beats[-2]
                last_idx = i
            else:
                if beats:
                    rr_hist.append(c - beats[-1])
                beats.append(c)
                beat_heights.append(h)
                spk = 0.125 * min(h, 2 * spk) + 0.875 * spk
                last_idx = i
        elif h > thr() and beats and c - beats[-1] < refractory and h > beat_heights[-1]:
            # Two bumps inside the refractory period: keep the larger one.
            beats[-1] = c
            beat_heights[-1] = h
            if len(beats) > 1:
                rr_hist[-1] = c - beats[-2]
            last_idx = i
        else:
            npk = 0.125 * h + 0.875 * npk
        i += 1

    peaks = np.asarray(beats, dtype=np.int64)
    # Place each detection on the maximum of the 40-ms smoothed energy: the centre of the
    # QRS slopes, stable from beat to beat (a raw maximum can flip between R up- and downstroke).
    half = int(0.06 * fs)
    sm = uniform_filter1d(energy, max(1, int(0.04 * fs)), mode="nearest")
    out = np.empty_like(peaks)
    for k, p in enumerate(peaks):
        a, b = max(0, p - half), min(n, p + half + 1)
        out[k] = a + int(np.argmax(sm[a:b]))
    out = np.unique(out)
    if out.size > 1:
        keep = np.concatenate(([True], np.diff(out) >= refractory))
        out = out[keep]
    return out


def _lower_quartile(values: list[float]) -> float:
    """np.percentile(values, 25) (linear interpolation) without numpy's per-call overhead:
    the detector asks for it once per candidate bump, thousands of times per recording."""
    v = sorted(values)
    pos = 0.25 * (len(v) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (pos - lo) * (v[hi] - v[lo])


def refine_to_extremum(x_ref: np.ndarray, peaks: np.ndarray, fs: float, polarity: float) -> np.ndarray:
    """Move each fiducial to the extremum of the reference lead (dominant polarity) within 40 ms,
    where there is one: a maximum on the window's edge is no peak of that polarity (an
    ectopic beat of the other polarity, or the slope of a wide complex), and the fiducial
    stays where the detector put it (moving it there put ventricular beats of 124 and 228
    more than 150 ms off their annotation)."""
    peaks = np.asarray(peaks, dtype=np.int64)
    half = int(0.04 * fs)
    n = x_ref.size
    if peaks.size == 0 or n == 0:
        return peaks.copy()
    idx = peaks[:, None] + np.arange(-half, half + 1)[None, :]
    inside = (idx >= 0) & (idx < n)
    seg = np.where(inside, x_ref[np.clip(idx, 0, n - 1)] * polarity, -np.inf)
    best = idx[np.arange(peaks.size), np.argmax(seg, axis=1)]
    on_edge = (best == peaks - half) | (best == peaks + half)  # full windows only
    return np.clip(np.where(on_edge, peaks, best), 0, n - 1)  # never outside the signal
