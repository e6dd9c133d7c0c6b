"""Beat classification: dominant vs. ectopic, so the median beat uses dominant beats only.

Morphology: each beat's QRS (-80..+100 ms around its fiducial, all usable leads
concatenated) is correlated with the dominant template. The dominant template is the
median of the largest family of mutually similar beats (correlation >= 0.9), found on
up to 400 evenly spread beats; ties go to the narrower QRS. When that family's beats
come early on the whole (ventricular bigeminy or couplets outnumbering the conducted
beats), the largest family of on-time beats is the dominant one instead.
Timing: a beat is premature when its RR is below 85 % of the local reference RR (the
median of the surrounding 16 RR intervals). Supraventricular prematurity is stricter
(see supraventricular_premature): an abrupt shortening after a not-short RR, and never
in an irregularly irregular neighbourhood (AF), where no beat is "premature".

Classes:
- paced: a pacing spike within 160 ms before the fiducial (the centre of the QRS slopes);
- ventricular_ectopic: different morphology (correlation < 0.85 or amplitude outside
  0.6–1.6× the template) and premature or wider than the template by 25 %;
- supraventricular_ectopic: dominant morphology with supraventricular premature timing;
- unknown: different morphology, neither premature nor wide (e.g. noise, aberrancy);
- dominant: the rest (premature-by-85 % normal beats in AF included).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecgchat_desktop.analysis.median_beat import _median_axis1

SIMILAR_CORR = 0.9
DIFFERENT_CORR = 0.85
PREMATURE_FRACTION = 0.85
# Supraventricular prematurity of normal-morphology beats (fractions of RR intervals):
SVE_ABRUPT_FRACTION = 0.85       # coupling RR below this fraction of the previous RR (and of
#                                  the reference): abrupt, not the gradual sinus-arrhythmia change
SVE_VERY_ABRUPT_FRACTION = 0.65  # coupling below 65 % of the previous RR counts when below ...
SVE_VERY_ABRUPT_REF = 0.95       # ... 95 % of the reference (atrial bigeminy pulls the reference down)
SVE_LEAD_IN = 0.85               # the RR before is not itself short (>= 85 % of the reference)
SVE_RUN_FRACTION = 1.05          # a run continues: RR within 105 % of the previous premature one
IRREGULAR_HALF = 8               # beats either side for the irregularity gate
IRREGULAR_OFF = 0.15             # an on-time RR more than 15 % off the reference is irregular
IRREGULAR_FRACTION = 0.4         # >= 40 % of them irregular: AF-like, no supraventricular call
IRREGULAR_MIN_ON_TIME = 4        # ... of at least 4 on-time beats (a 10-s ECG at 50/min has 8 beats)
# Dominant family check: the largest family's median RR / reference below this means its
# beats come early (ventricular bigeminy or couplets outnumbering the conducted beats) ...
PREMATURE_FAMILY_RATIO = 0.9
ON_TIME_FAMILY_RATIO = 0.95      # ... and a family of on-time beats (this ratio) is taken instead

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


def _window_sum(flags: np.ndarray, half: int) -> np.ndarray:
    """Per index: how many flags are set among the 2 * half + 1 around it (fewer at the ends)."""
    c = np.r_[0, np.cumsum(flags.astype(np.int64))]
    i = np.arange(flags.size)
    return c[np.minimum(i + half + 1, flags.size)] - c[np.maximum(i - half, 0)]


def supraventricular_premature(rr: np.ndarray, ref_rr: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """Per beat: premature supraventricular timing of a normal-morphology beat.

    rr: each beat's RR interval (s, NaN for the first); ref_rr: the local reference RR;
    normal: beats of dominant morphology. A beat qualifies when the RR before it is not
    itself short (>= SVE_LEAD_IN of the reference) and its own RR is either below
    PREMATURE_FRACTION of the reference and SVE_ABRUPT_FRACTION of the previous RR (an
    abrupt shortening, unlike sinus arrhythmia), or below SVE_VERY_ABRUPT_FRACTION of the
    previous RR and SVE_VERY_ABRUPT_REF of the reference (the first RR of the recording has
    no RR before it: short against the reference suffices). A beat continues a run when
    the previous beat qualified (or was foreign, e.g. aberrant), both RRs are short and
    its RR is within SVE_RUN_FRACTION of the previous one.
    No beat qualifies in an irregularly irregular neighbourhood (AF): when, among the
    normal beats within IRREGULAR_HALF beats that neither come early nor follow an early
    or foreign beat (at least IRREGULAR_MIN_ON_TIME of them), IRREGULAR_FRACTION or more
    have an RR more than IRREGULAR_OFF off the reference. After premature beats the rhythm
    is regular again; in AF the on-time RRs are scattered too.
    """
    n = rr.size
    out = np.zeros(n, bool)
    if n < 3:
        return out
    with np.errstate(invalid="ignore", divide="ignore"):
        prev = np.r_[np.nan, rr[:-1]]
        q = rr / ref_rr
        # The first RR has nothing before it: short against the reference is enough there.
        first = ~np.isfinite(prev)
        lead_in = (prev / ref_rr >= SVE_LEAD_IN) | first
        short = q < PREMATURE_FRACTION
        abrupt = (rr < SVE_ABRUPT_FRACTION * prev) | first
        very_abrupt = rr < SVE_VERY_ABRUPT_FRACTION * prev
        single = normal & lead_in & ((short & abrupt) | ((q < SVE_VERY_ABRUPT_REF) & very_abrupt))
        cont = normal & short & np.r_[False, short[:-1]] & (rr <= SVE_RUN_FRACTION * prev)
        early = short | abrupt
        on_time = normal & ~early & np.r_[False, normal[:-1] & ~early[:-1]] & np.isfinite(q)
        off = on_time & (np.abs(q - 1.0) > IRREGULAR_OFF)
    n_on = _window_sum(on_time, IRREGULAR_HALF)
    n_off = _window_sum(off, IRREGULAR_HALF)
    irregular = (n_on >= IRREGULAR_MIN_ON_TIME) & (n_off >= IRREGULAR_FRACTION * n_on)
    single &= ~irregular
    cont &= ~irregular
    for k in range(n):  # runs chain beat by beat
        out[k] = single[k] or (k > 0 and cont[k] and (out[k - 1] or not normal[k - 1]))
    return out


def _family_ratio(members: np.ndarray, rr_ratio: np.ndarray) -> float:
    """Median RR / reference RR of the members (1.0 when none is known)."""
    v = rr_ratio[members]
    v = v[np.isfinite(v)]
    return float(np.median(v)) if v.size else 1.0


def _timing_checked_family(family: np.ndarray, sel: np.ndarray, cmat: np.ndarray,
                           friends: np.ndarray, rr_ratio: np.ndarray) -> np.ndarray:
    """The largest family is the dominant rhythm unless its beats come early on the whole
    (median RR below PREMATURE_FAMILY_RATIO of the local reference: ventricular bigeminy or
    couplets outnumbering the conducted beats, MIT-BIH 208, 223); then the largest family
    of at least max(3, 40 % of its size) whose beats come on time (median ratio >=
    ON_TIME_FAMILY_RATIO) is taken instead, if there is one."""
    if _family_ratio(family, rr_ratio) >= PREMATURE_FAMILY_RATIO:
        return family
    top = friends.max()
    for i in np.argsort(-friends, kind="stable"):
        if friends[i] < max(3, 0.4 * top):
            break
        alt = sel[cmat[i] >= SIMILAR_CORR]
        if _family_ratio(alt, rr_ratio) >= ON_TIME_FAMILY_RATIO:
            return alt
    return family


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
    ref_rr = local_reference_rr(rr)
    with np.errstate(invalid="ignore", divide="ignore"):
        rr_ratio = rr / ref_rr
    family = _timing_checked_family(family, sel, cmat, friends, rr_ratio)
    template = _median_axis1(w[family][None])[0]  # np.median(w[family], axis=0), same numbers
    corr = _corr_rows(w, template)
    amp_t = np.ptp(template) + 1e-12
    amp_ratio = np.ptp(w, axis=1) / amp_t
    width_t = np.median(widths[corr >= SIMILAR_CORR]) if (corr >= SIMILAR_CORR).any() else np.median(widths)

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

    sve = supraventricular_premature(rr, ref_rr, ~different & ~paced)
    labels = np.select(
        [paced, different & (premature | wide), different, sve],
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
