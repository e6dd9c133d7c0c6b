"""QRS detection in noise, on real MIT-BIH stretches where false beats used to appear.

Each stretch holds a noise burst, electrode steps or a long pause; the detector must
find the annotated beats there and place nothing else. The stretches were picked from
the per-record false-positive lists of `benchmarks/rpeak_mitdb.py` (before the
signal-quality-weighted fusion, each gave 3–15 false beats).
"""

from __future__ import annotations

import numpy as np
import pytest

from ecgchat_desktop.analysis import measure, preprocess, qrs_detect
from ecgchat_desktop.ecg import Ecg

BEAT_SYMBOLS = set("NLRBAaJSVrFejnE/fQ?")
FS_MITDB = 360.0
TOL_S = 0.15  # ANSI/AAMI EC57 match window


def _stretch(data_dir, rec: str, t0_s: float, t1_s: float, leads=None):
    import wfdb

    a, b = int(t0_s * FS_MITDB), int(t1_s * FS_MITDB)
    r = wfdb.rdrecord(str(data_dir / "mitdb" / rec), sampfrom=a, sampto=b)
    ann = wfdb.rdann(str(data_dir / "mitdb" / rec), "atr", sampfrom=a, sampto=b)
    x = r.p_signal.T.astype(np.float32)
    names = list(r.sig_name)
    if leads is not None:
        x, names = x[leads], [names[i] for i in leads]
    ref_s = np.array([(s - a) / FS_MITDB for s, sym in zip(ann.sample, ann.symbol) if sym in BEAT_SYMBOLS])
    return Ecg(signals_mv=x, sampling_rate_hz=FS_MITDB, lead_names=names), ref_s


def _score(ref_s: np.ndarray, det_s: np.ndarray) -> tuple[int, int]:
    """(annotated beats found, detections matching no annotated beat)."""
    if det_s.size == 0:
        return 0, 0
    found = int(sum(np.abs(det_s - r).min() <= TOL_S for r in ref_s))
    false = int(sum(np.abs(ref_s - d).min() > TOL_S for d in det_s))
    return found, false


# (record, start s, end s, what is there)
NOISY_STRETCHES = [
    ("103", 1165, 1205, "lead V1 in a 30-s muscle/motion burst, MLII clean"),
    # 90 s, so that V1's clean stretches (its typical QRS-to-noise ratio) are in the crop
    # too: in a crop that is mostly artefact, nothing tells the lead's clean level.
    ("200", 700, 790, "electrode steps and rail hits on V1, ventricular bigeminy on MLII"),
    ("106", 650, 670, "noise burst on V1 with ectopic beats"),
    ("232", 375, 395, "sinus bradycardia with pauses of several seconds (noise bumps in the pauses)"),
]


@pytest.mark.parametrize("rec,t0,t1,what", NOISY_STRETCHES, ids=[s[0] for s in NOISY_STRETCHES])
def test_detector_places_no_beat_in_noise_and_misses_none(data_dir, rec, t0, t1, what):
    """The detector alone (cleaned leads at the working rate, no artefact rejection after it)."""
    ecg, ref_s = _stretch(data_dir, rec, t0, t1)
    fs = preprocess.WORKING_RATE_HZ
    x = preprocess.resample(np.asarray(ecg.signals_mv, dtype=np.float64), FS_MITDB, fs)
    xc, _ = preprocess.clean(x, fs)
    det_s = qrs_detect.detect(xc, fs) / fs
    found, false = _score(ref_s, det_s)
    assert found >= ref_s.size - 1, f"{rec} ({what}): {ref_s.size - found} annotated beats missed"
    assert false <= 1, f"{rec} ({what}): {false} detections in noise"


@pytest.mark.parametrize("rec,t0,t1,what", NOISY_STRETCHES[:2], ids=[s[0] for s in NOISY_STRETCHES[:2]])
def test_measure_r_peaks_in_noise(data_dir, rec, t0, t1, what):
    """The same through the whole pipeline (`measure`), which reports r_peaks at the original rate."""
    ecg, ref_s = _stretch(data_dir, rec, t0, t1)
    det_s = np.asarray(measure(ecg).r_peaks, dtype=float) / FS_MITDB
    found, false = _score(ref_s, det_s)
    assert found == ref_s.size, f"{rec} ({what}): {ref_s.size - found} annotated beats missed"
    assert false == 0, f"{rec} ({what}): {false} detections in noise"


def test_noisy_lead_is_silenced_in_the_fused_energy(data_dir):
    """In 103's burst the fused energy must follow the clean lead: its bumps above a quarter
    of the beats' level are (almost) only the annotated QRS complexes."""
    ecg, ref_s = _stretch(data_dir, "103", 1170, 1200)
    fs = preprocess.WORKING_RATE_HZ
    x = preprocess.resample(np.asarray(ecg.signals_mv, dtype=np.float64), FS_MITDB, fs)
    xc, _ = preprocess.clean(x, fs)
    energy = qrs_detect.qrs_energy(xc, fs)
    from scipy.ndimage import uniform_filter1d
    from scipy.signal import find_peaks

    mwi = uniform_filter1d(energy, int(0.1 * fs))
    level = np.median(mwi[(ref_s * fs).astype(int)])
    bumps, _ = find_peaks(mwi, height=0.25 * level, distance=int(0.12 * fs))
    found, false = _score(ref_s, bumps / fs)
    assert found >= ref_s.size - 1
    assert false <= 2, f"{false} noise bumps reach a quarter of the QRS level"


def test_flat_lead_does_not_take_over_the_fusion(data_dir):
    """A lead that goes flat (electrode off, digitally zero) mid-stretch must not take the
    whole weight of the block where it dropped (its level between beats is zero, so its
    QRS-to-noise ratio is unbounded there): every beat of the other lead is still found."""
    ecg, ref_s = _stretch(data_dir, "100", 0, 60)
    fs = preprocess.WORKING_RATE_HZ
    x = preprocess.resample(np.asarray(ecg.signals_mv, dtype=np.float64), FS_MITDB, fs)
    xc, _ = preprocess.clean(x, fs)
    xc[0, int(30.8 * fs):] = 0.0  # MLII drops out early in a 2-s block
    det_s = qrs_detect.detect(xc, fs) / fs
    found, false = _score(ref_s, det_s)
    assert found == ref_s.size and false == 0


@pytest.mark.parametrize("fs_out,up,down", [(100, 5, 18), (1000, 25, 9)], ids=["100Hz", "1000Hz"])
@pytest.mark.parametrize("rec,t0,t1,what", NOISY_STRETCHES[:2], ids=[s[0] for s in NOISY_STRETCHES[:2]])
def test_noise_gate_at_other_sampling_rates(data_dir, rec, t0, t1, what, fs_out, up, down):
    """The same stretches resampled to 100 Hz (upsampled to the 500 Hz working rate) and to
    1000 Hz (analysed at 1000 Hz): block lengths and windows are in seconds, not samples."""
    from scipy.signal import resample_poly

    ecg, ref_s = _stretch(data_dir, rec, t0, t1)
    x = resample_poly(np.asarray(ecg.signals_mv, dtype=np.float64), up, down, axis=1)
    ecg_rs = Ecg(signals_mv=x.astype(np.float32), sampling_rate_hz=float(fs_out), lead_names=ecg.lead_names)
    det_s = np.asarray(measure(ecg_rs).r_peaks, dtype=float) / fs_out
    found, false = _score(ref_s, det_s)
    assert found == ref_s.size, f"{rec} at {fs_out} Hz: {ref_s.size - found} annotated beats missed"
    assert false <= 1, f"{rec} at {fs_out} Hz: {false} detections in noise"
