"""Pacemaker spike detection on the raw (unfiltered, original-rate) signal.

A pacing spike is a deflection of a few milliseconds at most that leaves and returns
to a signal which is otherwise nearly still around it. Sharp detection needs at least
~300 Hz sampling. Multi-lead recordings at that rate also get an "aligned" pass: a stimulus
reaches every lead at the same instant, so it makes a sharp corner in most leads at one sample
after a quiet stretch, which finds low-amplitude bipolar spikes and single-sample steps; such
corners are kept even where a first QRS detection put its peak on them (often the stimulus
itself). Band-limited recordings (250 Hz and up) get a third, "smeared" pass when the others
find nothing. Aligned and smeared candidates are confirmed by the engine against the QRS
detection and the share of paced beats (`confirm`); below 250 Hz (e.g. CinC's 100 Hz) spikes
cannot be seen and paced rhythm is not recognised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_RATE_HZ = 300.0
MIN_SPIKE_MV = 0.25
# Band-limited recordings (e.g. MIT-BIH, 0.1–100 Hz at 360 Hz) smear a stimulus into an
# out-and-back deflection of ~10–20 ms. Searched only when the sharp and aligned passes find
# fewer than two and only at rates that still resolve it; a narrow R apex passes this test too,
# so these candidates always go through `confirm` (dropped on a QRS apex unless they open a wide
# complex, see OPENING_*).
SMEARED_MIN_RATE_HZ = 250.0
SMEARED_HALF_MS = 8.0          # leaves and returns within ±8 ms
SMEARED_NEIGHBOUR_MS = 30.0    # ... and is ≥ 2x the range of the 30 ms on either side
SMEARED_RATIO = 2.0
SMEARED_MIN_FRACTION_OF_BEATS = 0.25   # as many as the PACE rule needs
SMEARED_NOTE = (f"pacing spikes found as band-limited (smeared) deflections: out and back within "
                f"±{SMEARED_HALF_MS:g} ms, ≥ {SMEARED_RATIO:g}x the signal range in the {SMEARED_NEIGHBOUR_MS:g} ms "
                f"either side, not on a QRS apex")
# Aligned pass (multi-lead recordings at ≥ 300 Hz): a stimulus reaches every lead at the same
# instant, so the sample-to-sample corner it makes (second difference) is far beyond each lead's
# own QRS corners in most leads at once, stands alone (not part of a steep QRS slope) and comes
# after a quiet stretch. This finds the low-amplitude bipolar spikes and the single-sample steps
# that the out-and-back test misses (LUDB 74, 90, 111). Chosen on LUDB, PTB-XL folds 1–8, CinC
# and MIT-BIH (benchmarks/statements_pace.py): no non-paced record reaches 25 % of its beats.
# A QRS corner peaks in a few leads at different samples; mid-QRS sample-and-hold steps of
# compressed recordings (LUDB 99) are not preceded by a quiet stretch.
ALIGNED_MIN_LEADS = 3
ALIGNED_CORNER_X_P99 = 3.0        # median over leads of |2nd difference| / the lead's 99th percentile
ALIGNED_ISOLATION = 3.0           # ... and ≥ 3x that median 2–10 ms either side
ALIGNED_QUIET_MS = 40.0           # the 40 ms before: steepest step < 0.5x the lead's 99th percentile
ALIGNED_QUIET_X_P99 = 0.5
ALIGNED_NOTE = (f"pacing spikes found as sharp corners simultaneous in most leads: median over leads of the "
                f"second difference ≥ {ALIGNED_CORNER_X_P99:g}x each lead's 99th percentile, ≥ "
                f"{ALIGNED_ISOLATION:g}x the 2–10 ms around, after {ALIGNED_QUIET_MS:g} ms without steep slopes")
# A smeared candidate on a first-detection QRS peak is a narrow R apex (dropped) unless it opens
# a wide complex: the slope activity of the cleaned signal (summed over leads) from 40 ms before
# to 160 ms after it is centred ≥ 25 ms after it. Band-limited stimuli of MIT-BIH 102/104 are
# the QRS-energy peak of their beat but open a slow paced QRS (centroid median 55/42 ms, ≥ 25 ms
# in 97/95 % of beats); narrow R apices of non-paced PTB-XL, LUDB and MIT-BIH records sit in the
# middle of their activity (record medians −12 to +12 ms, none ≥ 25 ms). Needs most (≥ 50 %) of
# the on-peak candidates to do so.
OPENING_WINDOW_MS = (40.0, 160.0)
OPENING_CENTROID_AT_LEAST_MS = 25.0
SMEARED_OPENING_NOTE = (SMEARED_NOTE + f", or on the first QRS-detection peak but opening a wide complex "
                        f"(slope activity from {OPENING_WINDOW_MS[0]:g} ms before to {OPENING_WINDOW_MS[1]:g} ms "
                        f"after it centred ≥ {OPENING_CENTROID_AT_LEAST_MS:g} ms after it)")
MODE_NOTES = {"smeared": SMEARED_NOTE, "aligned": ALIGNED_NOTE}
# Aligned and smeared stimuli must also keep a fixed lag to their QRS (`_fixed_coupling`).
COUPLING_WINDOW_MS = (20.0, 350.0)      # from 20 ms after to 350 ms before the QRS peak
COUPLING_TOLERANCE_MS = 25.0
COUPLING_FRACTION_AT_LEAST = 0.5
COUPLING_NOTE = (f"; coupled to the QRS at a fixed lag (≥ {COUPLING_FRACTION_AT_LEAST:.0%} of the stimulated "
                 f"beats within ±{COUPLING_TOLERANCE_MS:g} ms of the median lag)")


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


def _p99_per_lead(a: np.ndarray, step: int = 4) -> np.ndarray:
    """Each lead's 99th percentile of `a`, estimated on every `step`th sample of long records
    (cheap; the spikes themselves are far too few to move it), floored at 1 µV."""
    sub = a[:, ::step] if a.shape[1] >= 1000 * step else a
    k = int(0.99 * (sub.shape[1] - 1))
    return np.partition(sub, k, axis=1)[:, k] + 1e-3


def _aligned_corners(x: np.ndarray, fs: float) -> np.ndarray:
    """Samples where a sharp corner appears in most leads at once after a quiet stretch (see
    ALIGNED_*); [leads, samples] in mV, ≥ ALIGNED_MIN_LEADS leads."""
    n = x.shape[1]
    a2 = np.zeros_like(x)
    np.abs(x[:, 2:] - 2.0 * x[:, 1:-1] + x[:, :-2], out=a2[:, 1:-1])
    scale2 = _p99_per_lead(a2)
    # At least half of the leads ≥ the threshold is the same as their median reaching it; the
    # median itself is computed only around those few samples.
    c = np.flatnonzero(2 * (a2 >= ALIGNED_CORNER_X_P99 * scale2[:, None]).sum(axis=0) >= x.shape[0])
    if c.size == 0 or c.size > 0.05 * n:      # none, or a noisy record where corners are everywhere
        return c[:0]
    w = max(2, int(round(0.01 * fs)))
    cols = np.clip(c[:, None] + np.arange(-w, w + 1)[None, :], 0, n - 1)       # [cand, 2w+1]
    score = np.median(a2[:, cols] / scale2[:, None, None], axis=0)              # [cand, 2w+1]
    mid = score[:, w]
    # A local maximum (one per corner) and ≥ 3x the score 2..w samples either side.
    around = np.concatenate([score[:, :w - 1], score[:, w + 2:]], axis=1).max(axis=1)
    ok = (mid >= ALIGNED_CORNER_X_P99) & (mid >= score[:, w - 1:w + 2].max(axis=1)) \
        & (mid >= ALIGNED_ISOLATION * around)
    c = c[ok]
    if c.size == 0:
        return c
    # Quiet lead-in: the steepest one-sample step in the 40 ms before (up to 4 ms before), against
    # the lead's 99th percentile of one-sample steps (estimated on every 4th step).
    step = 4 if n >= 4000 else 1
    scale1 = _p99_per_lead(np.abs(x[:, 1::step] - x[:, :-1:step]), step=1)
    q, g = int(round(ALIGNED_QUIET_MS * fs / 1000.0)), max(2, int(round(0.004 * fs)))
    idx = np.clip(c[:, None] + np.arange(-q, -g)[None, :], 0, n - 2)
    before = np.abs(x[:, idx + 1] - x[:, idx]).max(axis=2) / scale1[:, None]
    return c[np.median(before, axis=0) < ALIGNED_QUIET_X_P99]


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


@dataclass(frozen=True)
class SpikeCandidates:
    """Pacing-spike candidates at the original rate, before confirmation against the QRSs.

    mode: how they were found ("sharp", "aligned", "smeared" or ""); self_confirmed: per
    candidate, True when it is a multi-lead aligned corner (a QRS apex cannot be one, so it is
    kept even where a first QRS detection put its peak on the stimulus itself)."""
    samples: np.ndarray
    mode: str
    self_confirmed: np.ndarray
    # Smeared mode: per candidate, the earliest out-and-back pulse apex of any lead within the
    # 20 ms before it (the candidate itself when none). Two-lead tape recordings (MIT-BIH 102)
    # show one stimulus up to ~14 ms apart in the two channels; the earliest is its onset.
    earliest: np.ndarray | None = None


def detect_candidates(raw: np.ndarray, fs: float, usable: np.ndarray | None = None) -> SpikeCandidates:
    """Sharp spikes, plus aligned corners when ≥ 2 are found (multi-lead, ≥ 300 Hz); the
    band-limited (smeared) fallback only when neither finds two."""
    none = np.zeros(0, dtype=np.int64)
    if raw.shape[1] < fs or fs < SMEARED_MIN_RATE_HZ:
        return SpikeCandidates(none, "", np.zeros(0, bool))
    x = _prepared(raw, usable)
    spikes = _grouped(*_spike_score(x, fs)[1:], fs, raw.shape[1]) if fs >= MIN_RATE_HZ else none
    if fs >= MIN_RATE_HZ:
        if x.shape[0] >= ALIGNED_MIN_LEADS:
            corners = _aligned_corners(x, fs)
            if corners.size >= 2:
                both = np.concatenate([spikes, corners])
                # Corners outweigh sharp hits in the grouping, so a group keeps the corner's sample.
                weight = np.concatenate([np.ones(spikes.size), np.full(corners.size, 1e3)])
                merged = _grouped(both, weight, fs, raw.shape[1])
                if merged.size:
                    j = np.clip(np.searchsorted(corners, merged), 1, corners.size - 1)
                    gap = np.minimum(np.abs(corners[j] - merged), np.abs(corners[j - 1] - merged))
                    return SpikeCandidates(merged, "aligned", gap <= 2)
    if spikes.size >= 2:
        return SpikeCandidates(spikes, "sharp", np.zeros(spikes.size, bool))
    smeared = _grouped(*_spike_score(x, fs, SMEARED_HALF_MS / 1000.0, SMEARED_NEIGHBOUR_MS / 1000.0,
                                     SMEARED_RATIO)[1:], fs, raw.shape[1])
    if smeared.size >= 2:
        return SpikeCandidates(smeared, "smeared", np.zeros(smeared.size, bool), _earliest_pulse(x, smeared, fs))
    if spikes.size:
        return SpikeCandidates(spikes, "sharp", np.zeros(spikes.size, bool))
    return SpikeCandidates(none, "", np.zeros(0, bool))


def _earliest_pulse(x: np.ndarray, samples: np.ndarray, fs: float) -> np.ndarray:
    """Per sample: the earliest apex within the 20 ms before it, in any lead, that leaves and
    returns by ≥ MIN_SPIKE_MV within ±SMEARED_HALF_MS (no neighbourhood test: the paced QRS
    follows at once); the sample itself when there is none."""
    n = x.shape[1]
    w = max(1, int(round(SMEARED_HALF_MS * fs / 1000.0)))
    back = int(round(0.02 * fs))
    t = np.clip(samples[:, None] + np.arange(-back, 1)[None, :], w, n - 1 - w)          # [cand, win]
    c = x[:, t]                                                                           # [lead, cand, win]
    dl, dr = c - x[:, t - w], c - x[:, t + w]
    apex = (c - x[:, t - 1]) * (c - x[:, np.minimum(t + 1, n - 1)]) > 0                   # local extremum
    pulse = apex & (np.sign(dl) == np.sign(dr)) & (np.minimum(np.abs(dl), np.abs(dr)) >= MIN_SPIKE_MV)
    hit = pulse.any(axis=0)                                                               # [cand, win]
    first = np.argmax(hit, axis=1)
    return np.where(hit.any(axis=1), t[np.arange(samples.size), first], samples)


def _opens_wide_complex(spikes_w: np.ndarray, x_clean: np.ndarray, fs: float) -> np.ndarray:
    """Per candidate (working rate): is the slope activity around it centred ≥ 25 ms after it?"""
    n = x_clean.shape[1]
    a, b = (int(round(v * fs / 1000.0)) for v in OPENING_WINDOW_MS)
    offs = np.arange(-a, b)
    idx = np.clip(spikes_w[:, None] + offs[None, :], 0, n - 2)                 # [cand, window]
    act = np.abs(x_clean[:, idx + 1] - x_clean[:, idx]).sum(axis=0)           # [cand, window]
    centroid_ms = (act * offs[None, :]).sum(axis=1) / (act.sum(axis=1) + 1e-12) * 1000.0 / fs
    return centroid_ms >= OPENING_CENTROID_AT_LEAST_MS


def confirm(cand: SpikeCandidates, qrs_peaks_working: np.ndarray, fs0: float, fs_working: float,
            x_clean: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, str, np.ndarray]:
    """(confirmed spikes at the original rate, the same at the working rate, the analysis note
    saying how they were found, "" for the plain sharp test, the working-rate spikes to blank
    before filtering). Smeared and aligned candidates must
    precede at least SMEARED_MIN_FRACTION_OF_BEATS of the QRSs; aligned corners are not dropped
    for sitting on a first-detection QRS peak (that peak is often the stimulus itself), nor are
    smeared ones that open a wide complex in `x_clean` (the cleaned working-rate signal), when
    most of the on-peak ones do."""
    spikes_w = np.round(cand.samples * fs_working / fs0).astype(np.int64)
    frac = SMEARED_MIN_FRACTION_OF_BEATS if cand.mode in ("smeared", "aligned") else 0.0
    protected = cand.self_confirmed if cand.mode == "aligned" else None
    note = MODE_NOTES.get(cand.mode, "")
    if cand.mode == "smeared" and x_clean is not None and spikes_w.size and qrs_peaks_working.size:
        on_peak = _near_qrs_peak(spikes_w, qrs_peaks_working, fs_working)
        opens = on_peak & _opens_wide_complex(spikes_w, x_clean, fs_working)
        if on_peak.any() and 2 * opens.sum() >= on_peak.sum():
            protected = opens
            note = SMEARED_OPENING_NOTE
            if cand.earliest is not None:
                # Such a stimulus is dated by its earliest channel, so the blanking removes it there.
                samples = np.where(opens, cand.earliest, cand.samples)
                cand = SpikeCandidates(samples, cand.mode, cand.self_confirmed, cand.earliest)
                spikes_w = np.round(samples * fs_working / fs0).astype(np.int64)
    keep = confirm_spikes(spikes_w, qrs_peaks_working, fs_working, frac, protected=protected)
    if cand.mode in ("smeared", "aligned") and keep.size and not _fixed_coupling(keep, qrs_peaks_working,
                                                                                  fs_working):
        keep = keep[:0]
    ok = np.isin(spikes_w, keep)
    # A band-limited stimulus that opens a wide complex is not blanked: there the pulse is the
    # complex's leading edge, and cutting ±6 ms out of it leaves a remnant and moves the detected
    # R into the slow paced QRS (MIT-BIH 104: R-peak sensitivity 99.8 -> 85.6 % when blanked).
    blank = keep if protected is None or cand.mode != "smeared" else keep[~np.isin(keep, spikes_w[protected])]
    return cand.samples[ok], keep, (note + COUPLING_NOTE) if keep.size and note else "", blank


def _fixed_coupling(spikes_w: np.ndarray, qrs_peaks_working: np.ndarray, fs: float) -> bool:
    """Do the stimuli keep a fixed lag to the QRS that follows? The nearest candidate from 20 ms
    after to 350 ms before each first-detection QRS peak; at least two, and ≥ 50 % of them within
    ±25 ms of their median lag. A pacemaker's stimulus is coupled to its complex (lowest here: LUDB
    74, 62 %, its first detection sits on the stimulus in some beats and after it in others);
    artefact trains that merely happen to fall before a quarter of the beats are not."""
    lo, hi = -COUPLING_WINDOW_MS[0] * fs / 1000.0, COUPLING_WINDOW_MS[1] * fs / 1000.0
    lags = []
    for p in qrs_peaks_working:
        d = p - spikes_w
        d = d[(d >= lo) & (d <= hi)]
        if d.size:
            lags.append(d.min())
    if len(lags) < 2:
        return False
    lag = np.asarray(lags, dtype=float)
    near = np.abs(lag - np.median(lag)) <= COUPLING_TOLERANCE_MS * fs / 1000.0
    return near.sum() >= 2 and near.mean() >= COUPLING_FRACTION_AT_LEAST


def _near_qrs_peak(spikes_working: np.ndarray, qrs_peaks_working: np.ndarray, fs: float) -> np.ndarray:
    """Per candidate: within 20 ms of a (first-detection) QRS energy peak?"""
    j = np.clip(np.searchsorted(qrs_peaks_working, spikes_working), 1, qrs_peaks_working.size - 1) \
        if qrs_peaks_working.size > 1 else np.zeros(spikes_working.size, dtype=np.int64)
    near = np.minimum(np.abs(qrs_peaks_working[j] - spikes_working),
                      np.abs(qrs_peaks_working[np.maximum(j - 1, 0)] - spikes_working))
    return near <= 0.02 * fs


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
                   min_fraction_of_beats: float = 0.0, protected: np.ndarray | None = None) -> np.ndarray:
    """Drop candidate spikes that sit on a QRS apex (within 20 ms of its energy peak: a sharp
    R, not a stimulus; stimuli precede the paced QRS peak by 40 ms or more) unless `protected`
    (per candidate; multi-lead aligned corners, which no R apex makes); keep the rest
    only if at least two remain (one isolated candidate is more likely an artefact) and at
    least `min_fraction_of_beats` of the detected QRS complexes."""
    if spikes_working.size == 0:
        return spikes_working
    if qrs_peaks_working.size:
        keep = ~_near_qrs_peak(spikes_working, qrs_peaks_working, fs)
        if protected is not None:
            keep |= protected
        spikes_working = spikes_working[keep]
    # Smeared candidates are kept only when they pace a real share of the beats: a couple of
    # narrow notches in a sinus record are not a pacemaker.
    need = max(2, int(np.ceil(min_fraction_of_beats * qrs_peaks_working.size)))
    return spikes_working if spikes_working.size >= need else spikes_working[:0]
