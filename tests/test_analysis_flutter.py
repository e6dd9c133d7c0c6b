"""Flutter waves after QRST cancellation (analysis/flutter.py) and the AFLT rule built on them:
real records that show flutter, sinus rhythm and fibrillation, and the rule's thresholds."""

from __future__ import annotations

import numpy as np
import pytest

from ecgchat_desktop.analysis import measure
from ecgchat_desktop.analysis.flutter import atrial_spectrum
from ecgchat_desktop.findings import analyze_ecg
from ecgchat_desktop.interpret import interpret
from ecgchat_desktop.interpret import rules_rhythm as RR
from ecgchat_desktop.io import read_ecg
from tests.interpret_builders import MAN_50, normal


def _codes(m):
    return {s.code for s in interpret(m, MAN_50)}


@pytest.mark.parametrize("org,fires", [(RR.FLUTTER_ORGANISATION_AT_LEAST - 0.01, False),
                                       (RR.FLUTTER_ORGANISATION_AT_LEAST, True)])
def test_flutter_waves_threshold(org, fires):
    m = normal(75.0, p_wave_fraction=0.0, pr_ms=None, p_ms=None, atrial_rate_bpm=None,
               atrial_organisation=org, atrial_spectral_rate_bpm=300.0)
    assert ("AFLT" in _codes(m)) == fires


def test_flutter_waves_need_atria_faster_than_ventricles_and_a_flutter_rate():
    base = dict(p_wave_fraction=0.0, pr_ms=None, p_ms=None, atrial_rate_bpm=None, atrial_organisation=0.6)
    hr = 200.0  # 1.3 x 200 = 260/min: inside the flutter range
    just_below = RR.FLUTTER_ATRIA_FASTER_THAN_VENTRICLES * hr - 1.0
    assert "AFLT" not in _codes(normal(hr, atrial_spectral_rate_bpm=just_below, **base))
    assert "AFLT" in _codes(normal(hr, atrial_spectral_rate_bpm=RR.FLUTTER_ATRIA_FASTER_THAN_VENTRICLES * hr,
                                   **base))
    lo, hi = RR.FLUTTER_SPECTRAL_RATE_BPM
    assert "AFLT" not in _codes(normal(75.0, atrial_spectral_rate_bpm=hi + 1, **base))
    assert "AFLT" in _codes(normal(75.0, atrial_spectral_rate_bpm=hi, **base))
    assert "AFLT" in _codes(normal(75.0, atrial_spectral_rate_bpm=lo, **base))
    assert "AFLT" not in _codes(normal(75.0, atrial_spectral_rate_bpm=lo - 1, **base))


def test_flutter_statement_carries_its_spectral_evidence():
    m = normal(75.0, p_wave_fraction=0.0, pr_ms=None, p_ms=None, atrial_rate_bpm=None,
               atrial_organisation=0.55, atrial_spectral_rate_bpm=300.0)
    s = next(s for s in interpret(m, MAN_50) if s.code == "AFLT")
    assert any("300/min" in e and "55%" in e for e in s.evidence)
    assert any("4.0:1" in e for e in s.evidence)


def test_spectrum_of_a_synthetic_sawtooth_finds_the_flutter_rate():
    fs = 500.0
    t = np.arange(int(10 * fs)) / fs
    f_atrial = 5.0  # 300/min
    saw = 0.15 * (2 * ((t * f_atrial) % 1.0) - 1.0)
    x = np.vstack([saw, saw, saw, -saw])
    names = ["II", "III", "aVF", "V1"]
    peaks = np.arange(int(0.5 * fs), x.shape[1] - int(0.5 * fs), int(0.8 * fs))
    med = np.zeros((4, int(0.8 * fs)))
    r_idx = int(0.25 * fs)
    med[:, r_idx - 10:r_idx + 10] = 1.0  # a QRS-like block at every beat, which cancellation removes
    for p in peaks:
        x[:, p - 10:p + 10] += 1.0
    spectrum = atrial_spectrum(x, fs, names, np.ones(4, bool), peaks, med, r_idx,
                               qrs_on=r_idx - 20, t_off=r_idx + 150)
    assert spectrum is not None
    assert abs(spectrum.rate_per_min - 300.0) <= 15.0
    assert spectrum.organisation >= RR.FLUTTER_ORGANISATION_AT_LEAST


def test_spectrum_without_a_t_end_uses_an_estimated_qt():
    # Flutter waves riding on the T often leave the median beat without a delineated T end; the
    # spectrum is still measured, cancelling up to an upper-normal QT for the rate.
    fs = 500.0
    t = np.arange(int(10 * fs)) / fs
    saw = 0.15 * (2 * ((t * 5.0) % 1.0) - 1.0)
    x = np.vstack([saw, saw, saw, -saw])
    peaks = np.arange(int(0.5 * fs), x.shape[1] - int(0.5 * fs), int(0.8 * fs))
    med = np.zeros((4, int(1.4 * fs)))
    r_idx = int(0.6 * fs)
    med[:, r_idx - 10:r_idx + 10] = 1.0
    for p in peaks:
        x[:, p - 10:p + 10] += 1.0
    spectrum = atrial_spectrum(x, fs, ["II", "III", "aVF", "V1"], np.ones(4, bool), peaks, med, r_idx,
                               qrs_on=r_idx - 20, t_off=None)
    assert spectrum is not None and abs(spectrum.rate_per_min - 300.0) <= 15.0
    assert spectrum.organisation >= RR.FLUTTER_ORGANISATION_AT_LEAST


def test_no_estimated_t_end_above_150_per_min():
    from ecgchat_desktop.analysis.flutter import FALLBACK_MAX_RATE_PER_MIN
    fs = 500.0
    x = np.zeros((4, int(10 * fs)))
    med = np.zeros((4, int(1.4 * fs)))
    r_idx = int(0.6 * fs)
    for rate, judged in ((FALLBACK_MAX_RATE_PER_MIN, True), (FALLBACK_MAX_RATE_PER_MIN + 10.0, False)):
        step = 60.0 / rate * fs
        peaks = np.round(np.arange(int(0.5 * fs), x.shape[1] - int(0.5 * fs), step)).astype(int)
        xs = x + 0.01 * np.sin(2 * np.pi * 5.0 * np.arange(x.shape[1]) / fs)
        s = atrial_spectrum(xs, fs, ["II", "III", "aVF", "V1"], np.ones(4, bool), peaks, med, r_idx,
                            qrs_on=r_idx - 20, t_off=None)
        assert (s is not None) == judged


def test_estimated_t_end_follows_the_rate_and_stops_short_of_the_next_beat():
    from ecgchat_desktop.analysis.flutter import FALLBACK_QTC_S, estimated_t_end
    fs, r_idx = 500.0, 300
    one_s = np.arange(0, 10 * 500, 500)          # RR 1 s: QT = QTc
    assert estimated_t_end(280, one_s, fs, r_idx, 700) == 280 + int(round(FALLBACK_QTC_S * fs))
    fast = np.arange(0, 10 * 500, 150)           # RR 300 ms: capped at 90 % of RR after R
    assert estimated_t_end(280, fast, fs, r_idx, 700) == int(r_idx + 0.9 * 150)


def test_flutter_record_without_a_t_end_gets_a_spectrum(data_dir):
    # CinC JS09740 (labelled AFL): its median beat has no delineated T end.
    m = measure(read_ecg(data_dir / "cinc" / "chapman" / "JS09740.hea"))
    assert m.atrial_organisation is not None and m.atrial_spectral_rate_bpm is not None


def test_real_flutter_record_is_named_with_evidence(data_dir):
    findings = analyze_ecg(read_ecg(data_dir / "ludb" / "data" / "52.hea"))  # LUDB: atrial flutter
    flutter = [s for s in findings.statements if s.code == "AFLT"]
    assert flutter and "SR" not in {s.code for s in findings.statements}
    assert any("QRST cancellation" in e or "atrial rate" in e for e in flutter[0].evidence)


@pytest.mark.parametrize("record", ["ludb/data/1.hea", "ptb-xl/records500/00000/00001_hr.hea",
                                    "cinc/cpsc2018/A0109.hea"])
def test_sinus_and_fibrillation_records_are_not_flutter(data_dir, record):
    m = measure(read_ecg(data_dir / record))
    assert "AFLT" not in {s.code for s in interpret(m, MAN_50)}
    if m.atrial_organisation is not None:
        assert 0.0 <= m.atrial_organisation <= 1.0


# --- pre-QRS atrial coherence (analysis/atrial.py) -------------------------------------------

def test_pre_qrs_coherence_repeating_wave_vs_random_activity():
    import numpy as np

    from ecgchat_desktop.analysis.atrial import pre_qrs_coherence
    fs = 500.0
    rng = np.random.default_rng(4)
    n = int(10 * fs)
    onsets = np.arange(int(0.6 * fs), n - int(0.3 * fs), int(0.8 * fs))
    t = np.arange(int(0.1 * fs)) / fs
    p = 0.1 * np.sin(np.pi * t / t[-1])            # a 100 ms, 0.1 mV P wave
    sinus = rng.normal(0, 0.005, (2, n))
    for o in onsets:
        sinus[:, o - int(0.16 * fs): o - int(0.16 * fs) + p.size] += p
    tt = np.arange(n) / fs                          # f waves: 6 Hz with a wandering phase
    phase = np.cumsum(rng.normal(0, 0.3, n)) / np.sqrt(fs)
    fib = 0.08 * np.sin(2 * np.pi * 6.0 * tt + 20 * phase)[None, :] + rng.normal(0, 0.005, (2, n))
    assert pre_qrs_coherence(sinus, onsets, fs) > 0.9
    assert pre_qrs_coherence(fib, onsets, fs) < 0.5
    # Too few usable beats: not judged.
    use = np.zeros(onsets.size, bool)
    use[:4] = True
    assert pre_qrs_coherence(sinus, onsets, fs, use) is None


# --- one P per QRS against a far-off flutter peak; the "P" of 2:1 flutter withheld ----------------

def _p_per_qrs_case(p_per_qrs: float, pf: float = 1.0, rate: float = 300.0, hr: float = 75.0):
    # P waves measured before every QRS, plus a residual flutter peak (4:1 at 75/min).
    return normal(hr, p_wave_fraction=pf, p_per_qrs=p_per_qrs, atrial_organisation=0.6,
                  atrial_spectral_rate_bpm=rate)


def test_one_p_per_qrs_overrules_a_slow_conduction_flutter_peak_at_its_thresholds():
    from ecgchat_desktop.analysis import flutter as F
    below = F.SINGLE_P_PER_QRS_BELOW
    codes = _codes(_p_per_qrs_case(below - 0.01))
    assert "AFLT" not in codes and "SR" in codes
    assert "AFLT" in _codes(_p_per_qrs_case(below))                     # P waves between the beats
    assert "AFLT" in _codes(_p_per_qrs_case(1.0, pf=F.SINGLE_P_FRACTION_AT_LEAST - 0.01))
    assert "AFLT" not in _codes(_p_per_qrs_case(1.0, pf=F.SINGLE_P_FRACTION_AT_LEAST))
    # Conduction ratio: at 2:1 the second flutter wave hides in the T, so one "P" per QRS is no
    # argument against flutter there.
    hr = 120.0
    ratio = F.SINGLE_P_CONDUCTION_AT_LEAST
    assert "AFLT" not in _codes(_p_per_qrs_case(1.0, rate=ratio * hr, hr=hr))
    assert "AFLT" in _codes(_p_per_qrs_case(1.0, rate=ratio * hr - 1.0, hr=hr))


def test_overruled_flutter_peak_is_explained_in_the_sinus_evidence():
    sr = next(s for s in interpret(_p_per_qrs_case(1.0), MAN_50) if s.code == "SR")
    assert any("300/min" in e and "4.0 × the QRS rate" in e and "not taken as flutter" in e for e in sr.evidence)


def test_p_is_flutter_wave_follows_the_rule_criteria():
    from ecgchat_desktop.analysis import flutter as F
    assert F.p_is_flutter_wave(0.5, 270.0, 135.0, 1.0, 1.0)          # 2:1: the "P" is a flutter wave
    assert not F.p_is_flutter_wave(0.5, 270.0, 67.0, 1.0, 1.0)       # 4:1 with one P per QRS: P kept
    assert not F.p_is_flutter_wave(F.ORGANISATION_AT_LEAST - 0.01, 270.0, 135.0, 1.0, 1.0)
    assert not F.p_is_flutter_wave(None, None, 135.0, 1.0, 1.0)


def test_mitdb_101_normal_sinus_is_not_flutter(data_dir):
    # MIT-BIH 101, 0.5–10.5 s, reference rhythm normal sinus: a V1 residual peak at ~255/min
    # (3.8 x the QRS rate) with one P per QRS and a fixed PR. Was called atrial flutter.
    ecg = read_ecg(data_dir / "mitdb" / "101.hea")
    fs = ecg.sampling_rate_hz
    m = measure(ecg.with_changes(signals_mv=ecg.signals_mv[:, int(0.5 * fs):int(10.5 * fs)]))
    codes = {s.code for s in interpret(m, MAN_50)}
    assert "AFLT" not in codes and codes & {"SR", "SBRAD", "SARRH"}
    assert m.pr_ms is not None


def test_two_to_one_flutter_reports_no_p_measurements(data_dir):
    # LUDB 35: typical atrial flutter, 2:1 at 132/min. One flutter wave sits before each QRS at a
    # fixed distance and used to be reported as a P wave (PR 116 ms, P axis 106°) beside "flutter".
    findings = analyze_ecg(read_ecg(data_dir / "ludb" / "data" / "35.hea"))
    m = findings.measurements
    assert "AFLT" in {s.code for s in findings.statements}
    assert m.pr_ms is None and m.p_ms is None and m.p_axis_deg is None and m.p_per_qrs is None
    assert all(b.p_onset is None for b in m.beats)
    assert any("flutter waves" in n and "P, PR and P axis withheld" in n for n in m.analysis_notes)


def test_no_spectral_flutter_in_a_wide_complex_tachycardia():
    from ecgchat_desktop.analysis import flutter as F
    base = dict(p_wave_fraction=0.0, pr_ms=None, p_ms=None, atrial_rate_bpm=None, p_per_qrs=None,
                atrial_organisation=0.8, atrial_spectral_rate_bpm=300.0)
    hr, wide = F.WIDE_TACHY_AT_LEAST_BPM, F.WIDE_QRS_AT_LEAST_MS
    assert "AFLT" not in _codes(normal(hr, qrs_ms=wide, **base))
    assert "WCT" in _codes(normal(hr, qrs_ms=wide, **base))
    assert "AFLT" in _codes(normal(hr, qrs_ms=wide - 1.0, **base))
    assert "AFLT" in _codes(normal(hr - 1.0, qrs_ms=wide, **base))


def test_ventricular_tachycardia_record_is_not_called_flutter(data_dir):
    # CinC JS45548 (ningbo), labelled VT: 136/min, QRS 190 ms, a 300/min residual peak (organisation
    # 0.82). Was "atrial flutter" beside the wide-complex tachycardia; now the WCT statement alone.
    m = measure(read_ecg(data_dir / "cinc" / "ningbo" / "JS45548.hea"))
    codes = _codes(m)
    assert "WCT" in codes and "AFLT" not in codes


def test_pre_qrs_coherence_equals_the_per_beat_reference_loop():
    # The vectorised coherence against the plain per-beat loop it replaced (scipy design and filter).
    from scipy import signal

    from ecgchat_desktop.analysis.atrial import COHERENCE_BAND_HZ, PRE_QRS_WINDOW_MS, pre_qrs_coherence
    fs = 500.0
    rng = np.random.default_rng(7)
    x = np.cumsum(rng.normal(0, 0.02, (3, int(10 * fs))), axis=1)
    onsets = np.arange(int(0.5 * fs), x.shape[1] - int(0.2 * fs), int(0.83 * fs))
    sos = signal.butter(2, COHERENCE_BAND_HZ, btype="bandpass", fs=fs, output="sos")
    xf = signal.sosfiltfilt(sos, x, axis=1)
    a_off, b_off = (int(round(v * fs / 1000.0)) for v in PRE_QRS_WINDOW_MS)
    w = np.stack([np.concatenate([seg - seg.mean() for seg in xf[:, o - a_off:o - b_off]]) for o in onsets])
    total = w.sum(axis=0)
    corr = []
    for k in range(len(onsets)):
        other = (total - w[k]) / (len(onsets) - 1)
        corr.append(float(w[k] @ other) / float(np.linalg.norm(w[k]) * np.linalg.norm(other)))
    assert pre_qrs_coherence(x, onsets, fs) == pytest.approx(float(np.median(corr)), abs=1e-12)


def test_atrial_spectrum_filter_equals_scipy_sosfiltfilt():
    # The cached design and zero-phase filter of preprocess give scipy's numbers.
    from scipy import signal

    from ecgchat_desktop.analysis import preprocess
    from ecgchat_desktop.analysis.flutter import ANALYSIS_BAND_HZ
    fs = 500.0
    x = np.random.default_rng(3).normal(0, 0.05, (4, int(10 * fs)))
    ref = signal.sosfiltfilt(signal.butter(3, ANALYSIS_BAND_HZ, btype="bandpass", fs=fs, output="sos"), x, axis=1)
    ours = preprocess._sosfiltfilt(preprocess._butter(3, ANALYSIS_BAND_HZ, "bandpass", fs), x)
    assert np.allclose(ours, ref, rtol=0, atol=1e-12)


def test_p_withheld_as_flutter_waves_is_never_called_fibrillation():
    # An irregular RR (variable flutter conduction) after the engine withheld the "P" as a flutter
    # wave: the rhythm is named flutter, as the engine's note says, not fibrillation.
    from ecgchat_desktop.analysis import flutter as F
    from tests.interpret_builders import beats_for
    rng = np.random.default_rng(1)
    rr = 60.0 / 90.0 * (1 + rng.uniform(-0.25, 0.25, 14))
    peaks = list(np.round(200 + np.concatenate([[0], np.cumsum(rr)]) * 500.0).astype(int))
    beats = beats_for(peaks)
    for b in beats:
        b.p_onset = None
    base = dict(r_peaks=peaks, beats=beats, p_wave_fraction=0.0, pr_ms=None, p_ms=None, p_axis_deg=None,
                p_per_qrs=None, atrial_rate_bpm=None, atrial_organisation=0.6, atrial_spectral_rate_bpm=300.0,
                atrial_pre_qrs_coherence=0.3)
    note = F.P_AS_FLUTTER_NOTE.format(rate=300.0)
    with_note = _codes(normal(90.0, analysis_notes=[note], **base))
    assert "AFLT" in with_note and "AFIB" not in with_note
    assert "AFIB" in _codes(normal(90.0, analysis_notes=[], **base))
