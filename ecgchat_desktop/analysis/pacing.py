"""Pacemaker spike detection on the raw (unfiltered, original-rate) signal.

A pacing spike is a deflection of a few milliseconds at most that leaves and returns
to a signal which is otherwise nearly still around it. Sharp detection needs at least
~300 Hz sampling. Band-limited recordings (250 Hz and up) get a second, "smeared" pass that
the engine confirms against the QRS detection and the share of paced beats; below 250 Hz
(e.g. CinC's 100 Hz) spikes cannot be seen and paced rhythm is not recognised.
"""

from __future__ import annotations

import numpy as np

MIN_RATE_HZ = 300.0
MIN_SPIKE_MV = 0.25
# Band-limited recordings (e.g. MIT-BIH, 0.1–100 Hz at 360 Hz) smear a stimulus into an
# out-and-back deflection of ~10–20 ms. Searched only when the strict pass finds nothing and
# only at rates that still resolve it; a narrow R apex passes this test too, so these
# candidates always go through `confirm_spikes` (dropped on a QRS apex).
SMEARED_MIN_RATE_HZ = 250.0
SMEARED_HALF_MS = 8.0          # leaves and returns within ±8 ms
SMEARED_NEIGHBOUR_MS = 30.0    # ... and is ≥ 2x the range of the 30 ms on either side
SMEARED_RATIO = 2.0
SMEARED_MIN_FRACTION_OF_BEATS = 0.25   # as many as the PACE rule needs
SMEARED_NOTE = (f"pacing spikes found as band-limited (smeared) deflections: out and back within "
                f"±{SMEARED_HALF_MS:g} ms, ≥ {SMEARED_RATIO:g}x the signal range in the {SMEARED_NEIGHBOUR_MS:g} ms "
                f"either side, not on a QRS apex")


def _spike_score(x: np.ndarray, fs: float, half_s: float = 0.004, neighbour_s: float = 0.010,
                 ratio: float = 1.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Narrow out-and-back deflections: (lead, sample, excursion in mV) of each one.

    The excursion must leave and return within 4 ms (same sign on both sides) and be at
    least 1.5 times the signal's range in the 10 ms on either side of it: an R apex
    moves as much in its neighbourhood as at its tip, a spike does not. The signal is
    taken as constant beyond its ends. Only samples whose step from 4 ms before is
    already large enough are examined further (a small minority): no full-size
    temporaries beyond that one difference.
    """
    w = max(1, int(round(half_s * fs)))
    k = max(w + 2, int(round(neighbour_s * fs)))
    n = x.shape[1]
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))
    if n <= w:
        return empty
    dl = np.empty_like(x)
    dl[:, w:] = x[:, w:] - x[:, :-w]
    dl[:, :w] = x[:, :w] - x[:, :1]
    li, ti = np.nonzero(np.abs(dl) >= MIN_SPIKE_MV)
    if li.size == 0:
        return empty
    c = x[li, ti]
    dl = dl[li, ti]
    dr = c - x[li, np.minimum(ti + w, n - 1)]
    exc = np.minimum(np.abs(dl), np.abs(dr))
    cand = (np.sign(dl) == np.sign(dr)) & (exc >= MIN_SPIKE_MV)
    li, ti, exc = li[cand], ti[cand], exc[cand]
    if li.size == 0:
        return empty
    # Range of the k - w samples ending w + 1 before / starting w + 1 after each sample.
    left = x[li[:, None], np.clip(ti[:, None] + np.arange(-k, -w)[None, :], 0, n - 1)]
    right = x[li[:, None], np.clip(ti[:, None] + np.arange(w + 1, k + 1)[None, :], 0, n - 1)]
    rng = np.maximum(np.ptp(left, axis=1), np.ptp(right, axis=1))
    keep = exc >= ratio * rng
    return li[keep], ti[keep], exc[keep]


def _prepared(raw: np.ndarray, usable: np.ndarray | None) -> np.ndarray:
    x = np.asarray(raw, dtype=np.float64)
    if not np.isfinite(x).all():
        x = np.nan_to_num(x)
    if usable is not None and usable.any():
        x = x[usable]
    return x


def detect_spikes(raw: np.ndarray, fs: float, usable: np.ndarray | None = None) -> np.ndarray:
    """Sample indices (original rate) of sharp pacing spikes (out and back within 4 ms; needs
    ≥ 300 Hz); `raw` is [leads, samples] in mV."""
    if fs < MIN_RATE_HZ or raw.shape[1] < fs:
        return np.zeros(0, dtype=np.int64)
    return _grouped(*_spike_score(_prepared(raw, usable), fs)[1:], fs, raw.shape[1])


def detect_spikes_with_mode(raw: np.ndarray, fs: float,
                            usable: np.ndarray | None = None) -> tuple[np.ndarray, str]:
    """(spike sample indices at the original rate, how found: "sharp", "smeared" or "").

    "sharp": `detect_spikes`. "smeared": the band-limited fallback (out and back within
    ±8 ms, ≥ 2x the range of the 30 ms around it), tried only when the sharp pass finds
    fewer than two; its candidates include narrow R apices and must be confirmed."""
    none = np.zeros(0, dtype=np.int64)
    spikes = detect_spikes(raw, fs, usable)
    if spikes.size >= 2:
        return spikes, "sharp"
    if fs < SMEARED_MIN_RATE_HZ or raw.shape[1] < fs:
        return (spikes, "sharp") if spikes.size else (none, "")
    smeared = _grouped(*_spike_score(_prepared(raw, usable), fs, SMEARED_HALF_MS / 1000.0,
                                     SMEARED_NEIGHBOUR_MS / 1000.0, SMEARED_RATIO)[1:], fs, raw.shape[1])
    if smeared.size >= 2:
        return smeared, "smeared"
    return (spikes, "sharp") if spikes.size else (none, "")


def _grouped(ti: np.ndarray, exc: np.ndarray, fs: float, n_samples: int) -> np.ndarray:
    """One spike per group of hits closer than 20 ms (the sample with the largest summed
    excursion over the leads); none when there are more than 5 a second (noise, not pacing)."""
    if ti.size == 0:
        return np.zeros(0, dtype=np.int64)
    idx, inverse = np.unique(ti, return_inverse=True)
    total = np.bincount(inverse, weights=exc, minlength=idx.size)
    cuts = np.flatnonzero(np.diff(idx) > int(0.02 * fs)) + 1
    spikes = np.asarray([int(g[np.argmax(t)]) for g, t in zip(np.split(idx, cuts), np.split(total, cuts))],
                        dtype=np.int64)
    # A pacemaker fires far fewer than 5 times a second; more means noise, not pacing.
    if spikes.size > 5 * n_samples / fs:
        return np.zeros(0, dtype=np.int64)
    return spikes


def blank_spikes(x: np.ndarray, spikes_working: np.ndarray, fs: float) -> np.ndarray:
    """Replace +-6 ms around each spike by linear interpolation (so filters do not ring)."""
    if spikes_working.size == 0:
        return x
    y = np.array(x, dtype=np.float64, copy=True)
    half = max(2, int(round(0.006 * fs)))
    n = y.shape[-1]
    for s in spikes_working:
        a, b = max(0, int(s) - half), min(n - 1, int(s) + half)
        t = np.linspace(0.0, 1.0, b - a + 1)
        y[..., a:b + 1] = y[..., a:a + 1] + (y[..., b:b + 1] - y[..., a:a + 1]) * t
    return y


def confirm_spikes(spikes_working: np.ndarray, qrs_peaks_working: np.ndarray, fs: float,
                   min_fraction_of_beats: float = 0.0) -> np.ndarray:
    """Drop candidate spikes that sit on a QRS apex (within 20 ms of its energy peak: a sharp
    R, not a stimulus; stimuli precede the paced QRS peak by 40 ms or more); keep the rest
    only if at least two remain (one isolated candidate is more likely an artefact) and at
    least `min_fraction_of_beats` of the detected QRS complexes."""
    if spikes_working.size == 0:
        return spikes_working
    if qrs_peaks_working.size:
        j = np.clip(np.searchsorted(qrs_peaks_working, spikes_working), 1, qrs_peaks_working.size - 1) \
            if qrs_peaks_working.size > 1 else np.zeros(spikes_working.size, dtype=np.int64)
        near = np.minimum(np.abs(qrs_peaks_working[j] - spikes_working),
                          np.abs(qrs_peaks_working[np.maximum(j - 1, 0)] - spikes_working))
        keep = near > 0.02 * fs
        spikes_working = spikes_working[keep]
    # Smeared candidates are kept only when they pace a real share of the beats: a couple of
    # narrow notches in a sinus record are not a pacemaker.
    need = max(2, int(np.ceil(min_fraction_of_beats * qrs_peaks_working.size)))
    return spikes_working if spikes_working.size >= need else spikes_working[:0]
