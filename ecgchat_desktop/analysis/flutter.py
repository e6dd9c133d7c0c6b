"""Organised atrial activity (flutter waves) after QRST cancellation.

Atrial flutter has no isoelectric P waves to delineate: the atria fire a regular
macro-reentrant wave at about 240–340/min, best seen in II, III, aVF and V1. We subtract
the median QRST complex from every beat (template cancellation), band-pass the residual
(2–15 Hz) and look at its spectrum in those leads. Flutter gives one sharp peak (and its
harmonic) at the flutter rate; atrial fibrillation gives a broad band at 4–9 Hz; sinus
rhythm leaves little organised energy. The organisation index is the share of residual
power within ±0.35 Hz of the peak and of its 2nd and 3rd harmonics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FLUTTER_BAND_HZ = (3.4, 6.2)      # 204–372/min: where flutter waves are looked for
ANALYSIS_BAND_HZ = (2.0, 15.0)
PEAK_HALF_WIDTH_HZ = 0.35
N_HARMONICS = 3
PREFERRED_LEADS = ("II", "III", "aVF", "V1")
MIN_SECONDS = 6.0
# When the median beat has no delineated T end (flutter waves riding on the T often hide it), the
# cancelled stretch ends at an upper-normal QT for the rate (Framingham, QTc 440 ms), kept short of
# the next beat; without it such records got no spectrum at all.
FALLBACK_QTC_S = 0.44
FRAMINGHAM_SLOPE = 0.154
# Above this rate the T wave runs into the next beat and a rate-predicted T end cancels too little
# (CinC JS45544, a ventricular tachycardia at 165/min, then showed a "flutter" peak): no estimate.
FALLBACK_MAX_RATE_PER_MIN = 150.0

# --- When the residual shows flutter waves (shared by the AFLT rule and the engine) ---------------
# Share of the residual power in one spectral peak and its harmonics. Chosen on CinC/LUDB/PTB-XL
# folds 1–8 (benchmarks/atrial_flutter.py): sinus 0 of 399 and AF 1 of 45 reach 0.40, flutter 3 of 12.
ORGANISATION_AT_LEAST = 0.40
# Spectral flutter rate accepted. The analysis searches 204–372/min; widening the rule to that band
# found one more CinC flutter (JS09740, 210/min) but also two CinC sinus tachycardias whose residual
# peaks at 210/min, twice their QRS rate (imperfect cancellation), so the rule keeps 220–360/min.
SPECTRAL_RATE_BPM = (220.0, 360.0)
ATRIA_FASTER_THAN_VENTRICLES = 1.3   # the atrial peak must be well above the QRS rate
# With 3:1 or slower conduction at least one flutter wave per cycle falls between the T end and the
# next "P" and is found there by the extra-P scan (atrial.extra_p_counts) as a P-like wave. A P wave
# before (nearly) every QRS with none between the beats then contradicts a peak that far above the
# QRS rate: it is left to the P waves (MIT-BIH 101 in normal sinus rhythm: a V1 peak at 255/min,
# 3.8 x the QRS rate, with one P per QRS and a fixed PR). 2:1 flutter is not judged by this test:
# its second wave hides in the T wave, so one "P" per QRS is what 2:1 flutter also shows.
SINGLE_P_CONDUCTION_AT_LEAST = 2.5
SINGLE_P_FRACTION_AT_LEAST = 0.9
SINGLE_P_PER_QRS_BELOW = 1.2


# Not judged in a wide-complex tachycardia (the WCT limits of rules_rhythm): the large wide complexes
# leave the residual, and a flutter statement beside a possible ventricular tachycardia would
# reassure wrongly (CinC JS45548, labelled VT at 136/min with QRS 190 ms, showed a 300/min peak).
WIDE_QRS_AT_LEAST_MS = 120.0
WIDE_TACHY_AT_LEAST_BPM = 100.0


def flutter_peak(organisation: float | None, rate_bpm: float | None, hr_bpm: float | None,
                 qrs_ms: float | None = None) -> bool:
    """The residual spectrum shows flutter waves: an organised peak at a flutter rate, well above
    the QRS rate, outside a wide-complex tachycardia."""
    wide_tachy = (qrs_ms is not None and hr_bpm is not None and qrs_ms >= WIDE_QRS_AT_LEAST_MS
                  and hr_bpm >= WIDE_TACHY_AT_LEAST_BPM)
    return (organisation is not None and rate_bpm is not None and organisation >= ORGANISATION_AT_LEAST
            and SPECTRAL_RATE_BPM[0] <= rate_bpm <= SPECTRAL_RATE_BPM[1]
            and (hr_bpm is None or rate_bpm >= ATRIA_FASTER_THAN_VENTRICLES * hr_bpm) and not wide_tachy)


def one_p_per_qrs_contradicts(rate_bpm: float | None, hr_bpm: float | None, p_fraction: float | None,
                              p_per_qrs: float | None) -> bool:
    """A P wave before nearly every QRS and none between the beats, while the spectral peak implies
    3:1 or slower conduction (SINGLE_P_* above): the peak is not taken as flutter."""
    return (rate_bpm is not None and hr_bpm is not None and hr_bpm > 0 and p_fraction is not None
            and p_per_qrs is not None and rate_bpm / hr_bpm >= SINGLE_P_CONDUCTION_AT_LEAST
            and p_fraction >= SINGLE_P_FRACTION_AT_LEAST and p_per_qrs < SINGLE_P_PER_QRS_BELOW)


def p_is_flutter_wave(organisation: float | None, rate_bpm: float | None, hr_bpm: float | None,
                      p_fraction: float | None, p_per_qrs: float | None, qrs_ms: float | None = None) -> bool:
    """The delineated "P" wave is a flutter wave: the residual shows flutter (flutter_peak) and the
    P waves do not contradict it. In 2:1 flutter one flutter wave sits where a P would, before each
    QRS at a fixed "PR" (LUDB 35, QTDB sele0409), and gave PR, P axis and P-per-QRS values."""
    return flutter_peak(organisation, rate_bpm, hr_bpm, qrs_ms) and not one_p_per_qrs_contradicts(
        rate_bpm, hr_bpm, p_fraction, p_per_qrs)


P_AS_FLUTTER_PREFIX = "P-like waves at a fixed distance before the QRS are flutter waves"
P_AS_FLUTTER_NOTE = (P_AS_FLUTTER_PREFIX + " (regular atrial "
                     "waves at {rate:.0f}/min after QRST cancellation): P, PR and P axis withheld")


@dataclass
class AtrialSpectrum:
    rate_per_min: float        # spectral peak inside FLUTTER_BAND_HZ, as a rate
    organisation: float        # share of residual power in the peak and its harmonic (0..1)
    residual_to_qrs: float     # residual RMS relative to the median QRS amplitude
    leads: tuple[str, ...]


def _cancel_qrst(x: np.ndarray, peaks: np.ndarray, med: np.ndarray, r_idx: int,
                 qrs_on: int, t_off: int, fs: float) -> np.ndarray:
    """x minus the median QRST at every beat, each copy cut short of the next QRS."""
    res = x.copy()
    n = x.shape[1]
    margin = int(0.02 * fs)
    a_rel = max(0, qrs_on - margin) - r_idx
    b_rel = min(med.shape[1], t_off + margin) - r_idx
    for k, p in enumerate(peaks):
        a = p + a_rel
        b = p + b_rel
        if k + 1 < peaks.size:
            b = min(b, peaks[k + 1] + a_rel)
        lo, hi = max(a, 0), min(b, n)
        if hi <= lo:
            continue
        res[:, lo:hi] -= med[:, r_idx + (lo - p): r_idx + (hi - p)]
    return res


def estimated_t_end(qrs_on: float, peaks: np.ndarray, fs: float, r_idx: int, med_len: int) -> int:
    """T end (median-beat sample) at an upper-normal QT for the median RR, short of the next beat."""
    rr_s = float(np.median(np.diff(peaks))) / fs
    qt_s = FALLBACK_QTC_S - FRAMINGHAM_SLOPE * (1.0 - rr_s)
    end = int(round(qrs_on + qt_s * fs))
    return int(min(end, r_idx + 0.9 * rr_s * fs, med_len - 1))


def atrial_spectrum(x: np.ndarray, fs: float, names: list[str], usable: np.ndarray,
                    peaks: np.ndarray, med: np.ndarray, r_idx: int,
                    qrs_on: int | None, t_off: int | None, p_on: int | None = None) -> AtrialSpectrum | None:
    """Spectrum of the QRST-cancelled signal; None when it cannot be judged."""
    # scipy loads here, not at import: the interpretation rules import this module's criteria only.
    from scipy import signal

    from ecgchat_desktop.analysis import preprocess

    if qrs_on is None or peaks.size < 4 or x.shape[1] < MIN_SECONDS * fs:
        return None
    if fs < 2 * ANALYSIS_BAND_HZ[1] + 1:
        return None
    if t_off is None:
        if 60.0 * fs / float(np.median(np.diff(peaks))) > FALLBACK_MAX_RATE_PER_MIN:
            return None
        t_off = estimated_t_end(qrs_on, peaks, fs, r_idx, med.shape[1])
    qrs_on, t_off = int(round(qrs_on)), int(round(t_off))  # fiducials may be fractional samples
    # With P waves on the median beat the whole P-QRS-T is cancelled (sinus rhythm then leaves
    # only noise); in 2:1 flutter the "P" is a phase-locked flutter wave and goes with it.
    cancel_from = int(round(p_on)) if p_on is not None else qrs_on
    chosen = [i for i, nm in enumerate(names) if nm in PREFERRED_LEADS and usable[i]]
    if not chosen:
        chosen = [i for i in range(len(names)) if usable[i]][:3]
    if not chosen:
        return None
    xs = x[chosen]
    res = _cancel_qrst(xs, peaks, med[chosen], r_idx, cancel_from, t_off, fs)
    # Cached design and zero-phase filter (same numbers as signal.butter + signal.sosfiltfilt; the
    # design alone cost a fifth of this function).
    sos = preprocess._butter(3, ANALYSIS_BAND_HZ, "bandpass", float(fs))
    res = preprocess._sosfiltfilt(sos, res)
    nper = int(min(res.shape[1], 4 * fs))
    f, pxx = signal.welch(res, fs=fs, nperseg=nper, noverlap=nper // 2, axis=1)
    band = (f >= ANALYSIS_BAND_HZ[0]) & (f <= ANALYSIS_BAND_HZ[1])
    total = pxx[:, band].sum(axis=1)
    keep = total > 0
    if not keep.any():
        return None
    spec = (pxx[keep] / total[keep, None]).mean(axis=0)  # each lead weighs the same
    search = (f >= FLUTTER_BAND_HZ[0]) & (f <= FLUTTER_BAND_HZ[1])
    f0 = float(f[search][np.argmax(spec[search])])

    def around(fc: float) -> float:
        return float(spec[(f >= fc - PEAK_HALF_WIDTH_HZ) & (f <= fc + PEAK_HALF_WIDTH_HZ) & band].sum())

    # Flutter waves are saw-tooth shaped: their power sits in the fundamental and its harmonics.
    organisation = sum(around(k * f0) for k in range(1, N_HARMONICS + 1) if k * f0 <= ANALYSIS_BAND_HZ[1])
    qrs_amp = float(np.ptp(med[chosen][:, max(qrs_on, 0):max(qrs_on + 1, t_off)], axis=1).mean()) + 1e-6
    rms = float(np.sqrt(np.mean(res[:, int(fs):-int(fs)] ** 2))) if res.shape[1] > 3 * fs else float(
        np.sqrt(np.mean(res ** 2)))
    return AtrialSpectrum(rate_per_min=f0 * 60.0, organisation=organisation,
                          residual_to_qrs=rms / qrs_amp, leads=tuple(names[i] for i in chosen))
