"""Beat classification: dominant vs. ectopic, so the median beat uses dominant beats only.

Morphology: each beat's QRS (-80..+100 ms around its fiducial, all usable leads
concatenated) is correlated with the dominant template. The dominant template is the
median of the largest family of mutually similar beats (correlation >= 0.9), found on
up to 400 evenly spread beats; ties go to the narrower QRS.
Timing: a beat is premature when its RR is below 85 % of the local reference RR (the
median of the surrounding 16 RR intervals).

Classes:
- paced: a pacing spike within 160 ms before the fiducial (the centre of the QRS slopes);
- ventricular_ectopic: different morphology (correlation < 0.85 or amplitude outside
  0.6–1.6× the template) and premature or wider than the template by 25 %;
- supraventricular_ectopic: premature with dominant morphology;
- unknown: different morphology, neither premature nor wide (e.g. noise, aberrancy);
- dominant: the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecgchat_desktop.analysis.median_beat import _median_axis1

SIMILAR_CORR = 0.9
DIFFERENT_CORR = 0.85
PREMATURE_FRACTION = 0.85


@dataclass
class BeatClasses:
    labels: list[str]
    premature: np.ndarray      # bool per beat
    correlation: np.ndarray    # with the dominant template
    in_dominant_family: np.ndarray  # bool: morphology of the dominant family
    rr_prev_s: np.ndarray      # NaN for the first beat
    best_other_corr: np.ndarray | None = None  # foreign beats: best match with any other beat


def _windows(x: np.ndarray, peaks: np.ndarray, a: int, b: int, demean: bool = True) -> np.ndarray:
    """[beats, leads * (a + b)] windows around peaks (edges padded by replication)."""
    n = x.shape[1]
    idx = peaks[:, None] + np.arange(-a, b)[None, :]
    idx = np.clip(idx, 0, n - 1)
    w = x[:, idx]  # [leads, beats, len]
    if demean:
        w = w - w.mean(axis=2, keepdims=True)
    return np.transpose(w, (1, 0, 2)).reshape(len(peaks), -1)


def _corr_rows(w: np.ndarray, t: np.ndarray) -> np.ndarray:
    wc = w - w.mean(axis=1, keepdims=True)
    tc = t - t.mean()
    den = np.linalg.norm(wc, axis=1) * np.linalg.norm(tc) + 1e-12
    return (wc @ tc) / den


def _width_proxy(w_bp_energy: np.ndarray) -> np.ndarray:
    """Duration (samples) over which the beat's slope energy exceeds 10 % of its maximum."""
    m = w_bp_energy.max(axis=1, keepdims=True) + 1e-12
    return (w_bp_energy > 0.1 * m).sum(axis=1).astype(float)


def local_reference_rr(rr: np.ndarray, half: int = 8) -> np.ndarray:
    """Per beat: the median of the finite RR intervals among the 2 * half + 1 around it
    (fewer at the ends); NaN where there is none. All beats at once: NaN padding and
    sorting put the finite values of each window first."""
    rr = np.asarray(rr, dtype=np.float64)
    if rr.size == 0:
        return rr.copy()
    pad = np.full(rr.size + 2 * half, np.nan)
    pad[half:half + rr.size] = rr
    win = np.sort(np.lib.stride_tricks.sliding_window_view(pad, 2 * half + 1), axis=1)  # NaN last
    count = np.isfinite(win).sum(axis=1)
    rows = np.arange(rr.size)
    hi = win[rows, count // 2]
    lo = win[rows, np.maximum(count // 2 - 1, 0)]
    out = np.where(count % 2 == 1, hi, (lo + hi) / 2.0)
    out[count == 0] = np.nan
    return out


def classify(x_clean: np.ndarray, energy: np.ndarray, peaks: np.ndarray, fs: float,
             spikes: np.ndarray | None = None) -> BeatClasses:
    """x_clean: [usable leads, samples] at rate fs; energy: fused slope energy; peaks: fiducials."""
    nb = peaks.size
    rr = np.full(nb, np.nan)
    if nb > 1:
        rr[1:] = np.diff(peaks) / fs
    if nb == 0:
        return BeatClasses([], np.zeros(0, bool), np.zeros(0), np.zeros(0, bool), rr)
    a, b = int(0.08 * fs), int(0.10 * fs)
    w = _windows(x_clean, peaks, a, b)
    ew = _windows(energy[None, :], peaks, a, b, demean=False)
    widths = _width_proxy(ew)

    # Dominant family on a subsample.
    sel = np.unique(np.linspace(0, nb - 1, min(nb, 400)).astype(int))
    ws = w[sel]
    wc = ws - ws.mean(axis=1, keepdims=True)
    wn = wc / (np.linalg.norm(wc, axis=1, keepdims=True) + 1e-12)
    cmat = wn @ wn.T
    friends = (cmat >= SIMILAR_CORR).sum(axis=1)
    top = friends.max()
    cands = np.flatnonzero(friends >= top - max(1, int(0.05 * top)))
    medoid = cands[np.argmin(widths[sel][cands])] if cands.size > 1 else int(np.argmax(friends))
    family = sel[cmat[medoid] >= SIMILAR_CORR]
    template = _median_axis1(w[family][None])[0]  # np.median(w[family], axis=0), same numbers
    corr = _corr_rows(w, template)
    amp_t = np.ptp(template) + 1e-12
    amp_ratio = np.ptp(w, axis=1) / amp_t
    width_t = np.median(widths[corr >= SIMILAR_CORR]) if (corr >= SIMILAR_CORR).any() else np.median(widths)

    ref_rr = local_reference_rr(rr)
    premature = np.zeros(nb, bool)
    ok = np.isfinite(rr) & np.isfinite(ref_rr)
    premature[ok] = rr[ok] < PREMATURE_FRACTION * ref_rr[ok]
    different = (corr < DIFFERENT_CORR) | (amp_ratio < 0.6) | (amp_ratio > 1.6)
    wide = widths > 1.25 * width_t + 0.01 * fs

    paced = np.zeros(nb, bool)
    if spikes is not None and spikes.size:
        # The last spike at or before each fiducial, within 160 ms of it.
        j = np.searchsorted(spikes, peaks)
        before = spikes[np.maximum(j - 1, 0)]
        paced = (j > 0) & (peaks - before >= 0) & (peaks - before <= 0.16 * fs)

    # Foreign beats: do they have relatives (a ventricular focus repeats its shape)?
    best_other = np.ones(nb)
    odd = np.flatnonzero(corr < 0.5)
    if odd.size:
        wc_all = w - w.mean(axis=1, keepdims=True)
        wn_all = wc_all / (np.linalg.norm(wc_all, axis=1, keepdims=True) + 1e-12)
        cm = wn_all[odd] @ wn_all.T
        cm[np.arange(odd.size), odd] = -1.0
        best_other[odd] = cm.max(axis=1)

    labels = np.select(
        [paced, different & (premature | wide), different, premature],
        ["paced", "ventricular_ectopic", "unknown", "supraventricular_ectopic"],
        "dominant").tolist()
    return BeatClasses(labels, premature, corr, ~different, rr, best_other)


def likely_noise(classes: BeatClasses, peaks: np.ndarray, fs: float) -> np.ndarray:
    """Detections that are probably artefacts: unlike the dominant QRS (correlation < 0.5),
    unlike every other detection too (< 0.9: a ventricular focus repeats its shape, noise
    does not), and splitting one ordinary RR interval in two (previous + next RR within
    15 % of the local reference RR; a premature beat is followed by a compensatory pause)."""
    nb = peaks.size
    out = np.zeros(nb, bool)
    if nb < 5:
        return out
    rr = np.diff(peaks) / fs
    ref = local_reference_rr(np.concatenate(([np.nan], rr)))
    k = np.arange(1, nb - 1)
    odd = classes.correlation[k] < 0.5
    if classes.best_other_corr is not None:
        odd &= ~(classes.best_other_corr[k] >= 0.9)
    total = rr[k - 1] + rr[k]
    with np.errstate(invalid="ignore"):
        splits = np.isfinite(ref[k]) & (np.abs(total - ref[k]) < 0.15 * ref[k])
    out[k] = odd & splits
    return out
