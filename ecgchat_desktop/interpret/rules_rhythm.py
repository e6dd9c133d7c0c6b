"""Rhythm statements: sinus rhythm and its rate variants, atrial fibrillation and flutter,
paced rhythm, ectopic beats, supraventricular and wide-complex tachycardia, critical rates."""

from __future__ import annotations

import numpy as np

from ecgchat_desktop.analysis import flutter
from ecgchat_desktop.interpret.context import RuleContext, fmt_deg, fmt_ms
from ecgchat_desktop.interpret.statement import Statement
from ecgchat_desktop.interpret.vocabulary import make_statement

# Thresholds (tuned on PTB-XL folds 1–8 only; see benchmarks/statements_tune.py).
SBRAD_BELOW_BPM = 50.0   # AHA/ACCF/HRS 2009 lower limit of normal rate
STACH_ABOVE_BPM = 100.0
CRITICAL_BRADY_BELOW_BPM = 40.0
CRITICAL_TACHY_ABOVE_BPM = 150.0
SVT_ABOVE_BPM = 150.0
WCT_RATE_AT_LEAST_BPM = 100.0
WCT_QRS_AT_LEAST_MS = 120.0
# P waves: sinus needs them in most dominant beats; AF needs them in few.
SINUS_P_FRACTION_AT_LEAST = 0.6
AF_P_FRACTION_BELOW = 0.5
DOMINANT_FRACTION_FOR_PF = 0.6
# Fibrillatory waves are sometimes taken for P waves; their distance to the QRS then varies.
# A P-onset-to-QRS spread (SD) this large means no fixed P–QRS relation (sinus: 95 % < 6 ms on
# PTB-XL folds 1–8).
AF_PR_SD_AT_LEAST_MS = 12.0
# Atrial activity that repeats before every QRS is not fibrillation: median correlation of each
# beat's 240–20 ms pre-QRS window with the other beats' mean (analysis/atrial.py). On the tuning
# sets (PTB-XL folds 1–8, CinC, LUDB) AF called correctly reaches at most 0.74; the sinus rhythms
# with PACs whose P waves were not delineated (PTB-XL 176, 181) 0.82–0.83; non-AF median 0.94.
AF_PRE_QRS_COHERENCE_BELOW = 0.78
# P waves with a fixed PR (a measured PR) in at least this share of all beats veto AF. MIT-BIH
# ventricular bigeminy windows and CinC JS20052 (sinus, frequent PACs), all called AF before: P in
# 21–43 % of beats (six of the eight at ≥ 30 %); the two MIT-BIH 203 AF windows with a measured PR:
# 11 % and 23 %.
AF_VETO_P_BEATS_AT_LEAST = 0.3
# Sinus P axis (frontal): upright in I and II.
SINUS_P_AXIS_DEG = (-30.0, 105.0)
# Irregularity: median |ΔRR| / mean RR (robust to isolated ectopic beats).
AF_IRREGULARITY_AT_LEAST = 0.08
SARRH_RANGE_AT_LEAST_MS = 220.0     # longest minus shortest sinus RR (PTB-XL folds 1–8)
FLUTTER_ATRIAL_RATE_BPM = (220.0, 360.0)
FLUTTER_2TO1_HINT_BPM = (130.0, 170.0)   # only a hint in the evidence, never a statement
# Flutter waves in the QRST-cancelled residual (analysis/flutter.py, where the thresholds and their
# tuning are described; the engine withholds a "P" that these criteria call a flutter wave).
FLUTTER_ORGANISATION_AT_LEAST = flutter.ORGANISATION_AT_LEAST
FLUTTER_SPECTRAL_RATE_BPM = flutter.SPECTRAL_RATE_BPM
FLUTTER_ATRIA_FASTER_THAN_VENTRICLES = flutter.ATRIA_FASTER_THAN_VENTRICLES
PACED_FRACTION_AT_LEAST = 0.25
# A paced beat has a stimulus before its R peak: ventricular spikes precede it by the QRS upstroke
# (≥ 20 ms), atrial ones by the AV delay. Spikes within 20 ms of the R apex are taken as
# the apex itself, not a stimulus.
SPIKE_BEFORE_R_MS = (20.0, 350.0)
# An ectopic beat counts when its preceding RR is this fraction of the median RR: early enough
# to be premature, not so early that it is more likely a double detection (e.g. a tall T).
ECTOPIC_RR_RATIO = (0.4, 0.8)
# A premature atrial beat is also early against the cycle just before it and is followed by a
# longer cycle (the sinus node resets); gradual sinus-arrhythmia shortening is not.
PAC_LOCAL_RATIO_AT_MOST = 0.85
PAC_PAUSE_RATIO_AT_LEAST = 1.2
# The reset sinus node needs at least a full sinus cycle (plus the time to reach it) to fire again,
# so the cycle after a PAC is no shorter than the dominant RR (a non-compensatory but never a
# short pause); a sinus-arrhythmia short cycle is followed by an ordinary one, and one early beat
# of an irregular rhythm by whatever comes next (PTB-XL 37: 0.99 × the median RR; 351 (AF): 0.95).
PAC_RETURN_CYCLE_AT_LEAST_DOMINANT = 1.0
MIN_RR_FOR_IRREGULARITY = 5


def rr_irregularity(rr_ms: np.ndarray) -> float | None:
    """Median absolute successive RR difference over the mean RR (dimensionless)."""
    if rr_ms.size < MIN_RR_FOR_IRREGULARITY:
        return None
    return float(np.median(np.abs(np.diff(rr_ms))) / np.mean(rr_ms))


SARRH_WINDOW_S = 10.0   # longer recordings (Holter-like) are judged per 10 s window


def _sinus_rr_range_ms(drr: np.ndarray) -> float | None:
    """Longest minus shortest sinus RR within a 10 s resting-ECG window; for longer recordings the
    median over consecutive windows (slow rate trends over minutes are not sinus arrhythmia)."""
    if drr.size < 3:
        return None
    if drr.sum() <= (SARRH_WINDOW_S + 2.0) * 1000.0:
        return float(drr.max() - drr.min())
    t = np.cumsum(drr) / 1000.0
    ranges = []
    for start in np.arange(0.0, t[-1], SARRH_WINDOW_S):
        w = drr[(t > start) & (t <= start + SARRH_WINDOW_S)]
        if w.size >= 3:
            ranges.append(float(w.max() - w.min()))
    return float(np.median(ranges)) if ranges else None


def _rr_without_ventricular_ectopy_ms(ctx: RuleContext) -> np.ndarray:
    """RR intervals with those ending at or starting from a ventricular ectopic beat removed
    (a PVC and its pause make a regular rhythm look irregular)."""
    beats = ctx.m.beats or []
    fs = ctx.m.sampling_rate_hz
    if len(beats) < 3 or not fs:
        return ctx.rr_intervals_ms()
    out = []
    for a, b in zip(beats[:-1], beats[1:]):
        if a.beat_class != "ventricular_ectopic" and b.beat_class != "ventricular_ectopic":
            out.append((b.r_peak - a.r_peak) * 1000.0 / fs)
    return np.asarray(out, dtype=float)


def _dominant_rr_ms(ctx: RuleContext) -> np.ndarray:
    """RR intervals between consecutive sinus beats only (ectopic beats and their pauses removed),
    used for sinus arrhythmia. An early beat classed supraventricular that meets every PAC criterion
    but the sinus-node reset (the cycle after it is shorter than the dominant RR) is the short cycle
    of a sinus arrhythmia and counts as a sinus beat (PTB-XL 37, labelled sinus arrhythmia)."""
    beats = ctx.m.beats or []
    fs = ctx.m.sampling_rate_hz
    if len(beats) < 3 or not fs:
        return ctx.rr_intervals_ms()
    found = _supraventricular_premature(ctx)
    no_reset = found[1] if found is not None else set()

    def sinus(k: int, ending: bool) -> bool:   # ending: the beat ends the RR interval
        b = beats[k]
        if b.beat_class == "supraventricular_ectopic":
            return k in no_reset
        # A premature beat of dominant shape (sinus arrhythmia's short cycle, or early beats in
        # AF) is no sinus beat at either end of an RR, as when it was classed supraventricular.
        return b.beat_class == "dominant" and not b.premature

    out = [(beats[k].r_peak - beats[k - 1].r_peak) * 1000.0 / fs
           for k in range(1, len(beats)) if sinus(k - 1, False) and sinus(k, True)]
    return np.asarray(out, dtype=float)


def _supraventricular_premature(ctx: RuleContext) -> tuple[set[int], set[int], str, str | None] | None:
    """(indices of beats counted as PACs, indices of early supraventricular beats rejected only
    because no reset pause followed them, how they were counted, the measured cycles of the first
    PAC), or None where RR intervals or
    the sampling rate are missing. A run of consecutive premature supraventricular beats (couplet,
    short run) is judged as one: its first beat against the cycle before the run, the cycle after
    its last beat as the pause."""
    beats = ctx.m.beats or []
    rr = ctx.rr_intervals_ms()
    fs = ctx.m.sampling_rate_hz
    if rr.size == 0 or not fs or all(b.rr_prev_ms is None for b in beats):
        return None
    med = float(np.median(rr))
    lo, hi = ECTOPIC_RR_RATIO

    def early(k: int) -> bool:
        b = beats[k]
        return b.beat_class == "supraventricular_ectopic" and b.rr_prev_ms is not None and \
            lo * med <= b.rr_prev_ms <= hi * med

    def cycle_ms(k: int) -> float:   # the RR ending at beat k
        return (beats[k].r_peak - beats[k - 1].r_peak) * 1000.0 / fs

    accepted: set[int] = set()
    no_reset: set[int] = set()
    first: str | None = None
    i = 0
    while i < len(beats):
        if not early(i):
            i += 1
            continue
        j = i
        while j + 1 < len(beats) and early(j + 1):
            j += 1
        # A beat without a preceding RR (the first of the recording) cannot be shown premature, and
        # a run that reaches the end of the recording has no measurable pause.
        if i >= 2 and j + 1 < len(beats):
            before, after, coupling = cycle_ms(i - 1), cycle_ms(j + 1), beats[i].rr_prev_ms
            if coupling <= PAC_LOCAL_RATIO_AT_MOST * before and after >= PAC_PAUSE_RATIO_AT_LEAST * beats[j].rr_prev_ms:
                if after >= PAC_RETURN_CYCLE_AT_LEAST_DOMINANT * med:
                    accepted.update(range(i, j + 1))
                    if first is None:
                        first = (f"first at {beats[i].r_peak / fs:.1f} s"
                                 + (f" (a run of {j - i + 1})" if j > i else "")
                                 + f": coupling RR {coupling:.0f} ms = {coupling / med:.0%} of the median RR and "
                                 f"{coupling / before:.0%} of the preceding cycle ({before:.0f} ms); return cycle "
                                 f"{after:.0f} ms = {after / med:.0%} of the median RR")
                else:
                    no_reset.update(range(i, j + 1))
        i = j + 1
    how = (f"coupling RR {lo:.0%}–{hi:.0%} of the median RR {med:.0f} ms, ≤ {PAC_LOCAL_RATIO_AT_MOST:.0%} of the "
           f"preceding cycle and followed by a cycle ≥ {PAC_PAUSE_RATIO_AT_LEAST:.0%} of it and "
           f"≥ {PAC_RETURN_CYCLE_AT_LEAST_DOMINANT:.0%} of the median RR (sinus node reset)")
    return accepted, no_reset, how, first


def _ectopic_count(ctx: RuleContext, beat_class: str, engine_count: int) -> tuple[int, str, str | None]:
    """(premature beats of `beat_class`, how they were counted, the measured cycles of the first)."""
    beats = ctx.m.beats or []
    rr = ctx.rr_intervals_ms()
    labelled = [b for b in beats if b.beat_class == beat_class]
    if not labelled or rr.size == 0 or all(b.rr_prev_ms is None for b in beats):
        return engine_count, "as classified", None
    if beat_class == "supraventricular_ectopic":
        found = _supraventricular_premature(ctx)
        if found is not None:
            return len(found[0]), found[2], found[3]
    # A beat without a preceding RR (the first of the recording) cannot be shown premature: an
    # unlike first QRS is most often cut off by the start of the recording, so it is not counted.
    labelled = [b for b in labelled if b.rr_prev_ms is not None]
    med = float(np.median(rr))
    lo, hi = ECTOPIC_RR_RATIO
    early = [b for b in labelled if lo * med <= b.rr_prev_ms <= hi * med]
    first = None
    if early and ctx.m.sampling_rate_hz:
        b = early[0]
        first = (f"first at {b.r_peak / ctx.m.sampling_rate_hz:.1f} s: coupling RR {b.rr_prev_ms:.0f} ms = "
                 f"{b.rr_prev_ms / med:.0%} of the median RR")
    return len(early), f"coupling RR {lo:.0%}–{hi:.0%} of the median RR {med:.0f} ms", first


def _paced_beats(ctx: RuleContext) -> tuple[int, str]:
    """(beats preceded by a pacing stimulus, how counted)."""
    m = ctx.m
    spikes = np.asarray(m.pacing_spikes or [], dtype=float)
    fs = m.sampling_rate_hz
    if spikes.size == 0 or not fs or not m.r_peaks:
        return (m.n_paced or 0), "beats classified paced"
    lo, hi = (v * fs / 1000.0 for v in SPIKE_BEFORE_R_MS)
    # A beat the analysis classed paced (a confirmed stimulus ≤ 160 ms before its QRS centre)
    # counts too: where the stimulus has a trailing edge the R peak can land < 20 ms after it.
    beats = [(b.r_peak, b.beat_class == "paced") for b in m.beats] if m.beats else \
        [(r, False) for r in m.r_peaks]
    lags = []
    for r, classed_paced in beats:
        lead = r - spikes
        inside = lead[(lead >= (0 if classed_paced else lo)) & (lead <= hi)]
        if inside.size:
            lags.append(float(inside.min()) * 1000.0 / fs)
    how = (f"beats with a pacing spike {SPIKE_BEFORE_R_MS[0]:.0f}–{SPIKE_BEFORE_R_MS[1]:.0f} ms before the R peak "
           "or classed paced (spike ≤ 160 ms before the QRS centre)")
    if lags:   # a fixed coupling of stimulus to QRS is what makes the spikes a pacemaker's
        how += f"; spike {np.median(lags):.0f} ms before the R peak (median; range {min(lags):.0f}–{max(lags):.0f} ms)"
    return len(lags), how


def _rate_phrase(hr: float | None) -> str:
    return "rate not measured" if hr is None else f"ventricular rate {hr:.0f} bpm"


def evaluate(ctx: RuleContext) -> list[Statement]:
    m = ctx.m
    out: list[Statement] = []
    hr = m.hr_bpm
    irregular = rr_irregularity(_rr_without_ventricular_ectopy_ms(ctx))
    n_beats = m.n_beats or len(m.r_peaks or [])
    pf = m.p_wave_fraction
    # For the AF decision: p_wave_fraction counts dominant beats only; when most beats were classed
    # ectopic/unknown (as happens in AF) a few "dominant" beats with P waves say little, so P waves
    # are counted over all beats instead.
    pf_af = pf
    beats = m.beats or []
    if pf is not None and beats and (m.n_dominant or 0) < DOMINANT_FRACTION_FOR_PF * len(beats):
        pf_af = min(pf, sum(1 for b in beats if b.p_onset is not None) / len(beats))

    # --- paced rhythm ------------------------------------------------------------
    n_paced, how = _paced_beats(ctx)
    paced = n_beats > 0 and n_paced >= 2 and n_paced / n_beats >= PACED_FRACTION_AT_LEAST
    if paced:
        # Say how the spikes were found when another test than the plain sharp one found them
        # (band-limited smearing, corners aligned across leads: analysis/pacing.py).
        smeared = [n for n in (m.analysis_notes or []) if n.startswith("pacing spikes found as")]
        out.append(make_statement("PACE", [
            f"{how}: {n_paced} of {n_beats} beats (≥ {PACED_FRACTION_AT_LEAST:.0%})", *smeared[:1],
            _rate_phrase(hr)]))

    # --- atrial fibrillation / flutter ---------------------------------------------
    af = False
    prs = ctx.pr_per_beat_ms()
    pr_sd = float(np.std(prs)) if prs.size >= 3 else None
    no_p = pf_af is None or pf_af < AF_P_FRACTION_BELOW
    unrelated_p = pr_sd is not None and pr_sd >= AF_PR_SD_AT_LEAST_MS
    coh = m.atrial_pre_qrs_coherence
    repeating_atrial = coh is not None and coh >= AF_PRE_QRS_COHERENCE_BELOW
    af_vetoed = None
    # The engine withheld the "P" as a flutter wave (analysis/flutter.p_is_flutter_wave): the rhythm is
    # then judged as flutter below, never as fibrillation, whatever the RR does.
    p_were_flutter_waves = any(n.startswith(flutter.P_AS_FLUTTER_PREFIX) for n in (m.analysis_notes or []))
    # The engine reports a PR only for P waves found before at least half of the dominant beats at a
    # fixed distance (its PR-spread test drops fibrillatory look-alikes in irregular rhythms). Counted
    # over all beats those P waves can still fall below AF_P_FRACTION_BELOW when many beats are
    # ectopic (ventricular bigeminy, frequent PACs), which is not fibrillation — as long as they
    # precede a fair share of all beats (AF_VETO_P_BEATS_AT_LEAST); a few chance look-alikes do not.
    p_with_fixed_pr = (m.pr_ms is not None and not unrelated_p and pf_af is not None
                       and pf_af >= AF_VETO_P_BEATS_AT_LEAST)
    if p_were_flutter_waves:
        pass
    elif not paced and irregular is not None and irregular >= AF_IRREGULARITY_AT_LEAST and (no_p or unrelated_p) \
            and p_with_fixed_pr:
        af_vetoed = (f"irregular RR ({irregular:.3f} ≥ {AF_IRREGULARITY_AT_LEAST}), but P waves with a fixed PR "
                     f"({fmt_ms(m.pr_ms)}) precede {pf or 0:.0%} of the dominant and {pf_af:.0%} of all beats "
                     f"(≥ {AF_VETO_P_BEATS_AT_LEAST:.0%}): not called atrial fibrillation — "
                     "sinus or atrial rhythm with ectopic beats")
    elif not paced and irregular is not None and irregular >= AF_IRREGULARITY_AT_LEAST and (no_p or unrelated_p) \
            and repeating_atrial:
        af_vetoed = (f"irregular RR ({irregular:.3f} ≥ {AF_IRREGULARITY_AT_LEAST}) without delineated P waves, but the "
                     f"same atrial wave precedes each QRS (pre-QRS coherence {coh:.2f} ≥ {AF_PRE_QRS_COHERENCE_BELOW}): "
                     "not called atrial fibrillation — sinus or atrial rhythm with ectopic beats or small P waves")
    elif not paced and irregular is not None and irregular >= AF_IRREGULARITY_AT_LEAST and (no_p or unrelated_p):
        af = True
        ev = [f"RR irregularity (median |ΔRR| / mean RR, ventricular ectopic beats excluded) {irregular:.3f} "
              f"≥ {AF_IRREGULARITY_AT_LEAST}",
              ("P waves: not assessed" if pf_af is None else
               f"P waves found in {pf_af:.0%} of beats < {AF_P_FRACTION_BELOW:.0%}" if no_p else
               f"P-like waves in {pf:.0%} of beats but no fixed relation to the QRS "
               f"(P-to-QRS SD {pr_sd:.0f} ms ≥ {AF_PR_SD_AT_LEAST_MS:.0f} ms)"),
              ("atrial activity before the QRS: not assessed" if coh is None else
               f"atrial activity before the QRS differs from beat to beat (pre-QRS coherence {coh:.2f} "
               f"< {AF_PRE_QRS_COHERENCE_BELOW})"),
              _rate_phrase(hr)]
        text = None
        if hr is not None and hr > STACH_ABOVE_BPM:
            text = f"Atrial fibrillation with rapid ventricular response ({hr:.0f} bpm)"
        elif hr is not None and hr < SBRAD_BELOW_BPM:
            text = f"Atrial fibrillation with slow ventricular response ({hr:.0f} bpm)"
        out.append(make_statement("AFIB", ev, text=text))
    is_flutter = False
    ar = m.atrial_rate_bpm
    org, spec_rate = m.atrial_organisation, m.atrial_spectral_rate_bpm
    flutter_peak = flutter.flutter_peak(org, spec_rate, hr, m.qrs_ms)
    p_contradicts = flutter_peak and flutter.one_p_per_qrs_contradicts(spec_rate, hr, pf, m.p_per_qrs)
    flutter_waves = flutter_peak and not p_contradicts
    # An irregular rhythm with the same atrial wave before every QRS (AF vetoed above) is not given
    # a flutter statement either: both flutter routes were chosen on records where such rhythms were
    # named AF, and the one such tuning record with a flutter peak is a sinus tachycardia (PTB-XL 181).
    if af_vetoed:
        pass
    elif not paced and not af and ar is not None and FLUTTER_ATRIAL_RATE_BPM[0] <= ar <= FLUTTER_ATRIAL_RATE_BPM[1]:
        is_flutter = True
        ev = [f"atrial rate {ar:.0f}/min within {FLUTTER_ATRIAL_RATE_BPM[0]:.0f}–{FLUTTER_ATRIAL_RATE_BPM[1]:.0f}/min",
              _rate_phrase(hr)]
        if hr and hr > 0:
            ev.append(f"conduction about {ar / hr:.1f}:1")
        out.append(make_statement("AFLT", ev))
    elif not paced and not af and flutter_waves:
        is_flutter = True
        ar = spec_rate
        ev = [f"regular atrial waves after QRST cancellation: spectral peak {spec_rate:.0f}/min within "
              f"{FLUTTER_SPECTRAL_RATE_BPM[0]:.0f}–{FLUTTER_SPECTRAL_RATE_BPM[1]:.0f}/min holding {org:.0%} of the "
              f"residual power ≥ {FLUTTER_ORGANISATION_AT_LEAST:.0%}",
              _rate_phrase(hr)]
        if hr and hr > 0:
            ev.append(f"conduction about {ar / hr:.1f}:1")
        out.append(make_statement("AFLT", ev))

    # --- sinus rhythm ------------------------------------------------------------
    sinus = False
    if not paced and not af and not is_flutter and hr is not None:
        p_ok = pf is not None and pf >= SINUS_P_FRACTION_AT_LEAST
        if pf is None and m.pr_ms is not None:
            p_ok = True  # a PR interval was measured on the median beat: P waves are present
        pax = m.p_axis_deg
        axis_ok = pax is None or SINUS_P_AXIS_DEG[0] <= pax <= SINUS_P_AXIS_DEG[1]
        if p_ok and axis_ok:
            sinus = True
            p_ev = ("P wave before QRS (PR measured; P-wave fraction not available)" if pf is None
                    else f"P waves in {pf:.0%} of dominant beats ≥ {SINUS_P_FRACTION_AT_LEAST:.0%}")
            ax_ev = ("P axis not measured" if pax is None else
                     f"P axis {fmt_deg(pax)} within {SINUS_P_AXIS_DEG[0]:+.0f}° to {SINUS_P_AXIS_DEG[1]:+.0f}°")
            base = [p_ev, ax_ev]
            if p_contradicts:
                base.append(f"a regular residual atrial peak at {spec_rate:.0f}/min ({spec_rate / hr:.1f} × the QRS "
                            f"rate) is not taken as flutter: one P wave per QRS ({m.p_per_qrs:.2f} P per QRS), "
                            "none between the beats, where slower flutter conduction would show further waves")
            drr = _dominant_rr_ms(ctx)
            rr_range = _sinus_rr_range_ms(drr)
            sarrh = rr_range is not None and rr_range >= SARRH_RANGE_AT_LEAST_MS and \
                (irregular is None or irregular < AF_IRREGULARITY_AT_LEAST or (pf or 0) >= SINUS_P_FRACTION_AT_LEAST)
            if hr < SBRAD_BELOW_BPM:
                out.append(make_statement("SBRAD", base + [f"rate {hr:.0f} bpm < {SBRAD_BELOW_BPM:.0f} bpm"]))
            elif hr > STACH_ABOVE_BPM:
                out.append(make_statement("STACH", base + [f"rate {hr:.0f} bpm > {STACH_ABOVE_BPM:.0f} bpm"]))
            elif not sarrh:
                out.append(make_statement("SR", base + [
                    f"rate {hr:.0f} bpm within {SBRAD_BELOW_BPM:.0f}–{STACH_ABOVE_BPM:.0f} bpm"]))
            if sarrh:
                out.append(make_statement("SARRH", base + [
                    f"sinus RR range {rr_range:.0f} ms ≥ {SARRH_RANGE_AT_LEAST_MS:.0f} ms"
                    + (f" (shortest {drr.min():.0f} ms, longest {drr.max():.0f} ms)"
                       if drr.sum() <= (SARRH_WINDOW_S + 2.0) * 1000.0 else " (median over 10 s windows)"),
                    _rate_phrase(hr)]))
        elif hr is not None:
            # Regular, no sinus P waves: name what can be named, no more.
            ev = [("P waves: not assessed" if pf is None else f"P waves in {pf:.0%} of beats"),
                  ("P axis not measured" if pax is None else
                   f"P axis {fmt_deg(pax)}" + ("" if axis_ok else
                                               f" outside {SINUS_P_AXIS_DEG[0]:+.0f}° to {SINUS_P_AXIS_DEG[1]:+.0f}°")),
                  _rate_phrase(hr)]
            if af_vetoed:
                ev.append(af_vetoed)
            narrow = m.qrs_ms is not None and m.qrs_ms < WCT_QRS_AT_LEAST_MS
            if narrow and FLUTTER_2TO1_HINT_BPM[0] <= hr <= FLUTTER_2TO1_HINT_BPM[1] \
                    and irregular is not None and irregular < AF_IRREGULARITY_AT_LEAST:
                ev.append(f"regular narrow-QRS rhythm at {hr:.0f} bpm without P waves: atrial flutter with 2:1 "
                          "conduction is a common cause — look for flutter waves in II, III, aVF and V1")
            if hr > SVT_ABOVE_BPM and narrow:
                # The vocabulary text says "without visible P waves"; where P waves were measured (but
                # are not sinus: axis or fraction) the text says so instead of contradicting the PR shown.
                text = None if m.pr_ms is None else (
                    f"Narrow-complex tachycardia with non-sinus P waves (P axis {fmt_deg(pax)}, PR "
                    f"{fmt_ms(m.pr_ms)}) — consider atrial tachycardia or flutter")
                out.append(make_statement("SVTAC", ev + [f"rate {hr:.0f} bpm > {SVT_ABOVE_BPM:.0f} bpm",
                                                         f"QRS {fmt_ms(m.qrs_ms)} < {WCT_QRS_AT_LEAST_MS:.0f} ms"],
                                          text=text))
            else:
                out.append(make_statement("RHYTHM_OTHER", ev))

    # --- wide-complex tachycardia (not when sinus P waves explain it, not when paced) ---
    if not paced and not sinus and hr is not None and hr >= WCT_RATE_AT_LEAST_BPM \
            and m.qrs_ms is not None and m.qrs_ms >= WCT_QRS_AT_LEAST_MS:
        out.append(make_statement("WCT", [
            f"rate {hr:.0f} bpm ≥ {WCT_RATE_AT_LEAST_BPM:.0f} bpm",
            f"QRS {fmt_ms(m.qrs_ms)} ≥ {WCT_QRS_AT_LEAST_MS:.0f} ms",
            "no consistent sinus P waves" + (" (atrial fibrillation with aberrancy or pre-existing "
                                             "bundle branch block possible)" if af else "")]))

    # --- ectopic beats --------------------------------------------------------------
    nv, how_v, first_v = _ectopic_count(ctx, "ventricular_ectopic", m.n_ventricular_ectopic or 0)
    if nv >= 1 and not paced:
        out.append(make_statement("PVC", [
            f"{nv} of {n_beats} beats ventricular ectopic (QRS unlike the dominant beat; {how_v})",
            *([first_v] if first_v else [])]))
    ns, how_s, first_s = _ectopic_count(ctx, "supraventricular_ectopic", m.n_supraventricular_ectopic or 0)
    if ns >= 1 and not af and not paced:
        out.append(make_statement("PAC", [
            f"{ns} of {n_beats} beats premature with a QRS like the dominant beat (supraventricular; {how_s})",
            *([first_s] if first_s else [])]))

    # --- critical rates -------------------------------------------------------------
    if hr is not None and hr < CRITICAL_BRADY_BELOW_BPM:
        out.append(make_statement("BRADY_CRIT", [f"ventricular rate {hr:.0f} bpm < {CRITICAL_BRADY_BELOW_BPM:.0f} bpm"]))
    if hr is not None and hr > CRITICAL_TACHY_ABOVE_BPM:
        out.append(make_statement("TACHY_CRIT", [f"ventricular rate {hr:.0f} bpm > {CRITICAL_TACHY_ABOVE_BPM:.0f} bpm"]))
    return out


STEPS = (evaluate,)
