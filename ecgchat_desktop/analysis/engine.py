"""`measure(ecg) -> Measurements`: the whole measurement pipeline.

raw (original rate) ─ pacing-spike candidates ─▶ resample to 500 Hz (1000 Hz for
>= 1 kHz input) ─▶ clean (high-pass, mains notch) ─▶ lead quality ─▶ multi-lead QRS
detection on the usable leads (spikes confirmed against it, then blanked) ─▶ beat
classes, artefact rejection ─▶ spline baseline through PR-segment knots ─▶ beats
aligned on the dominant QRS ─▶ median beat of the dominant beats ─▶ global fiducials ─▶
per-beat fiducials, P waves between beats, intervals, amplitudes, axes, RR statistics.
"""

from __future__ import annotations

import numpy as np

from ecgchat_desktop.analysis import (
    amplitudes as amp_mod,
    atrial,
    axes,
    beat_classify,
    delineate,
    flutter,
    median_beat,
    pacing,
    preprocess,
    qrs_detect,
    quality,
    rhythm,
    template_match,
)
from ecgchat_desktop.analysis.measurements import BeatFiducials, Measurements, MedianBeat

P_MATCH_CORR = 0.6
PR_SD_MAX_MS = 7.0


def _fill_nan(x: np.ndarray) -> np.ndarray:
    """Linear interpolation over non-finite samples, per lead (zeros for an all-NaN lead).
    A signal without gaps is returned as it is (nothing downstream writes into it)."""
    x = np.asarray(x, dtype=np.float64)
    if np.isfinite(x).all():
        return x
    y = x.copy()
    for i in range(y.shape[0]):
        bad = ~np.isfinite(y[i])
        if bad.all():
            y[i] = 0.0
        elif bad.any():
            idx = np.arange(y.shape[1])
            y[i, bad] = np.interp(idx[bad], idx[~bad], y[i, ~bad])
    return y


def working_rate_hz(fs_original: float) -> float:
    """500 Hz, or 1000 Hz for recordings sampled at 1000 Hz or more (down-sampling to
    500 Hz would smear their sharp QRS edges through the anti-aliasing filter)."""
    return 1000.0 if fs_original >= 1000.0 else preprocess.WORKING_RATE_HZ


def _lag_match(x: np.ndarray, centers: np.ndarray, tmpl: np.ndarray, a: int, max_lag: int):
    """Best lag (samples) and correlation of template [leads, len] around each center.
    Ties go to the earliest lag; a beat whose windows all leave the recording gets lag 0,
    correlation -inf."""
    lags = np.arange(-max_lag, max_lag + 1, 2 if max_lag > 8 else 1)
    step = int(lags[1] - lags[0]) if lags.size > 1 else 1
    first = np.asarray(centers, dtype=np.int64) + (lags[0] - a)
    corr, ratio = template_match.correlate_runs(x, tmpl, first, lags.size, step)
    j = np.argmax(corr, axis=1)
    rows = np.arange(first.size)
    best_c = corr[rows, j]
    none = ~np.isfinite(best_c)
    best_l = np.where(none, 0, lags[j])
    best_ratio = np.where(none, 0.0, ratio[rows, j])
    return best_l, best_c, best_ratio


def measure(ecg) -> Measurements:
    """Measure one `Ecg` (any lead set, any rate). Never raises on odd signals: what
    cannot be measured is None and `analysis_notes` says why."""
    m = Measurements()
    fs0 = float(ecg.sampling_rate_hz)
    FS = working_rate_hz(fs0)

    def _ms(samples: float | None) -> float | None:
        return None if samples is None else float(samples * 1000.0 / FS)
    names = list(ecg.lead_names)
    raw = np.asarray(ecg.signals_mv, dtype=np.float64)
    m.sampling_rate_hz = fs0
    notes = m.analysis_notes
    if raw.shape[1] < 1.0 * fs0:
        notes.append(f"recording too short ({raw.shape[1] / fs0:.2f} s; at least 1 s needed): nothing measured")
        return m
    filled = _fill_nan(raw)

    # 1. Pacing spikes on the raw signal (filters would smear them).
    spike_cand = pacing.detect_candidates(filled, fs0)
    spikes0 = spike_cand.samples
    if fs0 < pacing.SMEARED_MIN_RATE_HZ:
        notes.append(f"sampling rate {fs0:g} Hz: pacing spikes cannot be detected")

    # 2. Working rate and cleaning. Candidate spikes are confirmed against a first QRS
    # detection (a sharp R apex can look like a spike) and only then blanked.
    xw = preprocess.resample(filled, fs0, FS)
    xc, mains = preprocess.clean(xw, FS)
    if spikes0.size:
        spikes0, spikes_w, spike_note, blank_w = pacing.confirm(spike_cand, qrs_detect.detect(xc, FS), fs0, FS, xc)
        if spike_note:
            notes.append(spike_note)
        if blank_w.size:
            xw = pacing.blank_spikes(xw, blank_w, FS)
            xc, mains = preprocess.clean(xw, FS, mains_hz=mains)
    else:
        spikes_w = np.zeros(0, dtype=np.int64)
    if mains is not None:
        notes.append(f"{mains:g} Hz power-line interference removed")

    # 3. Lead quality.
    labels = []
    band = qrs_detect.qrs_band(xc, FS)
    for (q, why), name in zip(quality.assess_all(raw, xc, fs0, FS, band), names):
        m.lead_quality[name] = q
        labels.append(q)
        if q != quality.GOOD:
            notes.append(f"lead {name} {q} ({why}): excluded from detection and fiducials")
    labels_arr = np.asarray(labels)
    usable = labels_arr == quality.GOOD
    if not usable.any():
        usable = labels_arr == quality.NOISY
        if usable.any():
            notes.append("no clean lead: measuring on noisy leads, results uncertain")
        else:
            notes.append("no usable lead: nothing measured")
            return m

    # 4. QRS detection on the usable leads (no copy when every lead is usable).
    all_usable = bool(usable.all())
    xu = xc if all_usable else xc[usable]
    energy = qrs_detect.qrs_energy(xu, FS, band if all_usable else band[usable])
    peaks = qrs_detect.detect(xu, FS, energy)
    if spikes0.size:
        m.pacing_spikes = [int(s) for s in spikes0]
    if peaks.size == 0:
        notes.append("no QRS complex detected")
        return m
    classes = beat_classify.classify(xu, energy, peaks, FS, spikes_w if spikes_w.size else None)
    noise = beat_classify.likely_noise(classes, peaks, FS)
    if noise.any():
        peaks = peaks[~noise]
        notes.append(f"{int(noise.sum())} detection(s) rejected as artefact (foreign shape inside a normal RR)")
        classes = beat_classify.classify(xu, energy, peaks, FS, spikes_w if spikes_w.size else None)

    # Dominant beats for the median: dominant class; paced rhythm -> the paced family.
    lab = np.asarray(classes.labels)
    # Premature beats stay out even where they are not called ectopic (AF, sinus arrhythmia).
    dom = np.flatnonzero((lab == "dominant") & ~classes.premature)
    if dom.size < 3:
        fam = np.flatnonzero(classes.in_dominant_family & ~classes.premature)
        dom = fam if fam.size >= dom.size else dom
    if dom.size == 0:
        dom = np.arange(peaks.size)
        notes.append("no dominant beat family: median beat from all beats")

    # 5. Baseline: spline through one PR-segment knot per beat (placed 12 ms before the
    # QRS onset of a provisional median beat), then the median beat and global fiducials.
    few = dom[np.unique(np.linspace(0, dom.size - 1, min(dom.size, 40)).astype(int))]
    med0, r0, _ = median_beat.build(xu, peaks[few], FS, np.ones(xu.shape[0], bool))
    on0, _ = delineate.qrs_bounds(med0, r0, FS)
    knot_rel = (on0 - r0 - 0.012 * FS) if on0 is not None else -0.08 * FS
    xm, _ = preprocess.clean(xw, FS, remove_baseline=False, mains_hz=mains)
    xm -= preprocess.spline_baseline(xm, peaks + int(round(knot_rel)), FS)  # clean() returned a new array
    # Align every beat on the dominant QRS, so per-beat fiducials do not inherit the
    # detector's jitter; the median is built from the aligned dominant beats.
    peaks = median_beat.align(xm, peaks, FS, usable, reference=peaks[dom])
    # Alignment can push a beat cut by the recording's edge outside it (CinC E07541: R at -1).
    peaks = np.clip(peaks, 0, xm.shape[1] - 1)
    med, r_idx, _ = median_beat.build(xm, peaks[dom], FS, usable, aligned=True)
    rr_stats = rhythm.rr_statistics(peaks / FS)
    rr_dom = None
    if peaks.size > 1:
        rr_all = np.diff(peaks) / FS
        dom_set = set(dom.tolist())
        pair = [rr_all[k - 1] for k in range(1, peaks.size) if k in dom_set and (k - 1) in dom_set]
        rr_dom = float(np.median(pair)) if pair else float(np.median(rr_all))
    bounds = delineate.delineate(med[usable], r_idx, FS, rr_dom)

    # 5b. Organised atrial activity (flutter waves) in the QRST-cancelled residual.
    spectrum = flutter.atrial_spectrum(xm, FS, names, usable, peaks, med, r_idx,
                                       bounds.qrs_onset, bounds.t_offset,
                                       bounds.p_onset if bounds.p_present else None)
    if spectrum is not None:
        m.atrial_spectral_rate_bpm = float(round(spectrum.rate_per_min, 1))
        m.atrial_organisation = float(round(spectrum.organisation, 3))
    if bounds.qrs_onset is not None:
        coh = atrial.pre_qrs_coherence(xm[usable], peaks + int(round(bounds.qrs_onset - r_idx)), FS,
                                       ~np.isin(lab, ("ventricular_ectopic", "paced")))
        m.atrial_pre_qrs_coherence = None if coh is None else float(round(coh, 3))

    # 6. Per-beat fiducials.
    reference = int(np.argmax(np.ptp(med[usable], axis=1)))
    ref_lead = np.flatnonzero(usable)[reference]
    seg = med[ref_lead, r_idx - int(0.05 * FS): r_idx + int(0.05 * FS)]
    polarity = 1.0 if seg.max() >= -seg.min() else -1.0
    r_peaks_w = qrs_detect.refine_to_extremum(xc[ref_lead], peaks, FS, polarity)
    scale = fs0 / FS

    def to0(v):
        return None if v is None else int(round(v * scale))

    n_w = xc.shape[1]
    beats: list[BeatFiducials] = []
    is_dom = np.zeros(peaks.size, bool)
    is_dom[dom] = True
    p_lag = p_ok = t_lag = None
    if bounds.p_present:
        pa = int(bounds.p_onset) - int(0.01 * FS)
        pb = int(np.ceil(bounds.p_offset)) + int(0.01 * FS)
        tmpl = med[usable][:, pa:pb]
        p_lag, p_c, p_ratio = _lag_match(xu, peaks, tmpl, r_idx - pa, int(0.03 * FS))
        p_ok = (p_c >= P_MATCH_CORR) & (p_ratio > 0.4) & (p_ratio < 2.5)
    if bounds.t_peak is not None and bounds.t_offset is not None:
        ta = int(bounds.t_peak) - int(0.08 * FS)
        tb = int(bounds.t_offset) + int(0.02 * FS)
        tmpl = med[usable][:, ta:tb]
        t_lag, t_c, _ = _lag_match(xu, peaks, tmpl, r_idx - ta, int(0.04 * FS))
        t_lag = np.where(t_c >= 0.5, t_lag, 0)

    def column(v, lag=0) -> list:
        """Median-beat fiducial `v` placed in every beat (shifted by `lag`), as original-rate
        sample indices; None where absent or outside the recording."""
        if v is None:
            return [None] * peaks.size
        pos = peaks + (v - r_idx) + lag
        inside = ((pos >= 0) & (pos < n_w)).tolist()
        return [s if ok else None for s, ok in zip(np.rint(pos * scale).astype(np.int64).tolist(), inside)]

    # All beats' fiducials as columns; only the beats outside the dominant family are
    # delineated one by one.
    q_on, q_off = column(bounds.qrs_onset), column(bounds.qrs_offset)
    if t_lag is not None:
        t_pk, t_off = column(bounds.t_peak, t_lag), column(bounds.t_offset, t_lag)
    if p_ok is not None:
        p_on, p_pk, p_off = column(bounds.p_onset, p_lag), column(bounds.p_peak, p_lag), column(bounds.p_offset, p_lag)
    r_list = np.rint(r_peaks_w * scale).astype(np.int64).tolist()
    rr_prev = (np.diff(peaks) * 1000.0 / FS).tolist()
    family = (classes.in_dominant_family | is_dom).tolist()
    premature = classes.premature.tolist()
    p_ok_list = p_ok.tolist() if p_ok is not None else None
    for k in range(peaks.size):
        bf = BeatFiducials(r_peak=r_list[k], beat_class=classes.labels[k], premature=bool(premature[k]))
        if k > 0:
            bf.rr_prev_ms = rr_prev[k - 1]
        if family[k]:
            bf.qrs_onset, bf.qrs_offset = q_on[k], q_off[k]
            if t_lag is not None and not premature[k]:
                bf.t_peak, bf.t_offset = t_pk[k], t_off[k]
            if p_ok_list is not None and p_ok_list[k]:
                bf.p_onset, bf.p_peak, bf.p_offset = p_on[k], p_pk[k], p_off[k]
                # The P template slides by its own lag; it may not end inside this beat's QRS
                # (MIT-BIH 102, QTDB sel102: P offset 1-4 samples after the QRS onset).
                if bf.p_offset is not None and bf.qrs_onset is not None and bf.p_offset > bf.qrs_onset:
                    bf.p_offset = bf.qrs_onset
                    if bf.p_onset is None or bf.p_onset >= bf.p_offset or (
                            bf.p_peak is not None and bf.p_peak >= bf.p_offset):
                        bf.p_onset = bf.p_peak = bf.p_offset = None
        else:
            a, b = max(0, peaks[k] - int(0.3 * FS)), min(n_w, peaks[k] + int(0.3 * FS))
            on, off = delineate.qrs_bounds(xu[:, a:b], peaks[k] - a, FS)
            bf.qrs_onset = to0(None if on is None else a + on)
            bf.qrs_offset = to0(None if off is None else a + off)
        # The R peak lies inside its QRS: the extremum refinement (up to 40 ms) does not move
        # with the median's QRS bounds and could leave it just outside them (MIT-BIH 107, 200,
        # QTDB sel803: 1-9 samples before the onset).
        if bf.qrs_onset is not None and bf.qrs_offset is not None and bf.qrs_onset < bf.qrs_offset:
            bf.r_peak = min(max(bf.r_peak, bf.qrs_onset + 1), bf.qrs_offset - 1)
        beats.append(bf)
    m.beats = beats
    m.r_peaks = [b.r_peak for b in beats]
    m.n_beats = len(beats)
    m.n_dominant = int((lab == "dominant").sum())
    m.n_ventricular_ectopic = int((lab == "ventricular_ectopic").sum())
    m.n_supraventricular_ectopic = int((lab == "supraventricular_ectopic").sum())
    m.n_paced = int((lab == "paced").sum())

    # 7. Rhythm.
    for key, val in rr_stats.items():
        setattr(m, key, val)
    if bounds.p_present and p_ok is not None:
        m.p_wave_fraction = float(p_ok[dom].mean()) if dom.size else None
    elif bounds.qrs_onset is not None:
        m.p_wave_fraction = 0.0
    p_global = bounds.p_present and (m.p_wave_fraction or 0.0) >= 0.5
    if not p_global and bounds.p_present:
        notes.append(f"P wave in only {m.p_wave_fraction:.0%} of dominant beats: P measurements withheld")
        _drop_p_overlays(beats)  # a few chance matches are not P waves
    if p_global:
        # Sinus P waves keep a fixed PR (SD <= 6 ms in every LUDB record with P waves);
        # fibrillation waves that happen to resemble a P wave do not.
        sel = dom[p_ok[dom]]
        pr_sd_ms = float(np.std(p_lag[sel]) * 1000.0 / FS) if sel.size > 2 else 0.0
        # Applied to irregular rhythms only: in a long regular recording the PR drifts with
        # the rate (and its estimate with noise) without the P waves being anything else.
        if pr_sd_ms > PR_SD_MAX_MS and (m.rr_irregularity or 0.0) > 0.05:
            p_global = False
            m.p_wave_fraction = 0.0
            notes.append(f"P-like waves without a fixed PR (SD {pr_sd_ms:.0f} ms): no P wave reported "
                         "(fibrillation/flutter waves or AV dissociation)")
            _drop_p_overlays(beats)
    if p_global and _ms(bounds.p_offset - bounds.p_onset) > P_MAX_PLAUSIBLE_MS:
        # Decided before anything is built on this P (P per QRS, axis, overlays, PR).
        notes.append(_p_unreliable_note(_ms(bounds.p_offset - bounds.p_onset)))
        p_global = False
        _drop_p_overlays(beats)
    if p_global and bounds.t_offset is not None and peaks.size >= 2:
        # Conducted P (one per beat with P) plus P waves found between the beats.
        pa = int(bounds.p_onset) - int(0.01 * FS)
        pb = int(np.ceil(bounds.p_offset)) + int(0.01 * FS)
        extra = atrial.extra_p_counts(xm if all_usable else xm[usable], peaks, med[usable][:, pa:pb], pa - r_idx,
                                      int(bounds.t_offset) - r_idx, FS)
        if extra.size:
            m.p_per_qrs = float(round(m.p_wave_fraction + extra.mean(), 2))
            if m.hr_bpm is not None:
                m.atrial_rate_bpm = float(m.hr_bpm * m.p_per_qrs)
            if extra.mean() >= 0.3:
                notes.append(f"P waves without QRS: {m.p_per_qrs:.2f} P per QRS")
    if p_global and flutter.p_is_flutter_wave(
            m.atrial_organisation, m.atrial_spectral_rate_bpm, m.hr_bpm, m.p_wave_fraction, m.p_per_qrs,
            None if bounds.qrs_onset is None or bounds.qrs_offset is None
            else _ms(bounds.qrs_offset - bounds.qrs_onset)):
        # The "P" is a flutter wave (in 2:1 flutter one sits where a P would): the same criteria name
        # the rhythm flutter (rules_rhythm), so no PR, P axis or P count is built on it.
        notes[:] = [n for n in notes if not n.startswith("P waves without QRS")]
        notes.append(flutter.P_AS_FLUTTER_NOTE.format(rate=m.atrial_spectral_rate_bpm))
        p_global = False
        m.p_wave_fraction = 0.0
        m.p_per_qrs = m.atrial_rate_bpm = None
        _drop_p_overlays(beats)

    # 8. Global intervals.
    if bounds.qrs_onset is not None and bounds.qrs_offset is not None:
        m.qrs_ms = _ms(bounds.qrs_offset - bounds.qrs_onset)
        if bounds.t_offset is not None:
            m.qt_ms = _ms(bounds.t_offset - bounds.qrs_onset)
        if p_global:
            m.p_ms = _ms(bounds.p_offset - bounds.p_onset)
            m.pr_ms = _ms(bounds.qrs_onset - bounds.p_onset)
        _withhold_impossible_intervals(m, notes)
    rr_for_qtc = rr_dom * 1000.0 if rr_dom else m.rr_ms
    m.qtc_ms = rhythm.qtc(m.qt_ms, rr_for_qtc)

    # 9. Per-lead amplitudes (every lead with a signal) and axes.
    if not p_global:
        bounds_amp = delineate.WaveBounds(**{**bounds.__dict__, "p_present": False})
    else:
        bounds_amp = bounds
    qrs_area, t_area, p_area = {}, {}, {}
    amps = amp_mod.all_lead_amplitudes(med, bounds_amp, FS)  # all leads in one pass
    # Net T and P areas of every lead at once, from the PR-segment baseline (for the axes).
    base_all = _baselines(med, bounds, FS)
    t_areas = p_areas = None
    if bounds.qrs_offset is not None and bounds.t_offset is not None:
        a, b = int(round(bounds.qrs_offset)), int(round(bounds.t_offset)) + 1
        t_areas = np.trapezoid(med[:, a:b] - base_all, dx=1000.0 / FS, axis=1).tolist()
    if p_global:
        a, b = int(round(bounds.p_onset)), int(round(bounds.p_offset)) + 1
        p_areas = np.trapezoid(med[:, a:b] - base_all, dx=1000.0 / FS, axis=1).tolist()
    for i, name in enumerate(names):
        if labels[i] in (quality.FLAT, quality.LEAD_OFF):
            continue
        la = amps[i]
        m.lead_amplitudes[name] = la
        if p_global and usable[i] and bounds.p_lead_onsets is not None:
            # This lead's own P wave (delineate's rows are the usable leads).
            j = int(usable[:i].sum())
            on_l, off_l = bounds.p_lead_onsets[j], bounds.p_lead_offsets[j]
            if np.isfinite(on_l) and np.isfinite(off_l):
                la.p_ms = _ms(off_l - on_l)
        if labels[i] != quality.GOOD:
            continue
        qrs_area[name] = la.qrs_area_mv_ms
        if t_areas is not None:
            t_area[name] = t_areas[i]
        if p_areas is not None:
            p_area[name] = p_areas[i]
    m.qrs_axis_deg = axes.frontal_axis_deg(qrs_area)
    m.t_axis_deg = axes.frontal_axis_deg(t_area) if t_area else None
    m.p_axis_deg = axes.frontal_axis_deg(p_area) if p_area else None

    m.median = MedianBeat(
        signals_mv=np.round(med, 4).tolist(),
        sampling_rate_hz=FS,
        lead_names=names,
        r_index=int(r_idx),
        n_beats_used=int(dom.size),
        p_onset=_r(bounds.p_onset if p_global else None),
        p_offset=_r(bounds.p_offset if p_global else None),
        qrs_onset=_r(bounds.qrs_onset),
        qrs_offset=_r(bounds.qrs_offset),
        t_peak=_r(bounds.t_peak),
        t_offset=_r(bounds.t_offset),
    )
    if peaks.size < 3:
        notes.append(f"only {peaks.size} beats detected: median beat unreliable")
    return m


# Widths no heart produces: a value beyond them means the boundaries were put on something else
# (a pacing spike, a notch, noise), so it is withheld rather than shown. Long values are never
# withheld: a very long QT or P may be real and is the one a physician must not miss.
QRS_MIN_PLAUSIBLE_MS = 40.0
P_MAX_PLAUSIBLE_MS = 250.0
QT_MIN_PLAUSIBLE_MS = 200.0
QT_MIN_CHECK_BELOW_BPM = 150.0  # in faster rhythms a QT under 200 ms is possible


def _p_unreliable_note(p_ms: float) -> str:
    return f"P boundaries unreliable ({p_ms:.0f} ms > {P_MAX_PLAUSIBLE_MS:.0f} ms): P and PR withheld"


def _drop_p_overlays(beats) -> None:
    for b in beats:
        b.p_onset = b.p_peak = b.p_offset = None


def _withhold_impossible_intervals(m: Measurements, notes: list[str]) -> None:
    if m.qrs_ms is not None and m.qrs_ms < QRS_MIN_PLAUSIBLE_MS:
        notes.append(f"QRS boundaries unreliable ({m.qrs_ms:.0f} ms < {QRS_MIN_PLAUSIBLE_MS:.0f} ms, "
                     "narrower than any QRS; pacing spike or notch?): QRS and QT withheld")
        m.qrs_ms = m.qt_ms = None
    if m.p_ms is not None and m.p_ms > P_MAX_PLAUSIBLE_MS:
        notes.append(_p_unreliable_note(m.p_ms))
        m.p_ms = m.pr_ms = None
    if (m.qt_ms is not None and m.qt_ms < QT_MIN_PLAUSIBLE_MS
            and (m.hr_bpm is None or m.hr_bpm < QT_MIN_CHECK_BELOW_BPM)):
        notes.append(f"T end unreliable (QT {m.qt_ms:.0f} ms < {QT_MIN_PLAUSIBLE_MS:.0f} ms at a rate under "
                     f"{QT_MIN_CHECK_BELOW_BPM:.0f}/min): QT withheld")
        m.qt_ms = None


def _r(v: float | None) -> int | None:
    return None if v is None else int(round(v))


def _baselines(med: np.ndarray, bounds, FS: float) -> np.ndarray:
    """PR-segment level of each lead of the median beats [leads, 1] (zeros without a QRS onset)."""
    if bounds.qrs_onset is None:
        return np.zeros((med.shape[0], 1))
    on = int(round(bounds.qrs_onset))
    a, b = max(0, on - int(0.02 * FS)), max(1, on - int(0.004 * FS))
    return med[:, a:b].mean(axis=1, keepdims=True)
