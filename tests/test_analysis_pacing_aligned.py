"""Pacing spikes found as corners aligned across leads (issue #3/#4).

LUDB 111 (bipolar ventricular pacing, 500 Hz) shows its stimuli as single-sample steps that the
out-and-back spike test misses; LUDB 74's stimuli are so large that a first QRS detection puts
its peak on them, so the apex check used to drop them. LUDB 99 (sinus, compressed recording)
has sample-and-hold steps inside its QRSs that are simultaneous in all leads too, but are not
preceded by a quiet stretch. A real non-paced record with stimuli added only to some leads, or
without a quiet lead-in, must not gain spikes."""

from __future__ import annotations

import numpy as np
import pytest

from ecgchat_desktop.analysis import measure, pacing
from ecgchat_desktop.interpret import interpret


def _pace(ecg):
    return {s.code: s for s in interpret(measure(ecg), ecg.patient)}.get("PACE")


@pytest.fixture(scope="module")
def ludb(data_dir):
    from ecgchat_desktop.io import read_ecg
    return lambda n: read_ecg(data_dir / "ludb" / "data" / f"{n}.hea")


def test_single_sample_steps_found_as_aligned_corners_one_per_beat(ludb):
    ecg = ludb(111)
    x = np.asarray(ecg.signals_mv, dtype=np.float64)
    assert pacing.detect_spikes(x, ecg.sampling_rate_hz).size == 0     # the sharp test misses them
    cand = pacing.detect_candidates(x, ecg.sampling_rate_hz)
    assert cand.mode == "aligned" and cand.self_confirmed.all()
    # 10 paced beats at 60/min: one stimulus each, 1 s apart.
    assert cand.samples.size == 10
    assert np.allclose(np.diff(cand.samples), 500, atol=3)


def test_bipolar_paced_record_called_paced_with_method_and_lag_in_evidence(ludb):
    ecg = ludb(111)
    m = measure(ecg)
    assert any(n.startswith("pacing spikes found as sharp corners simultaneous") for n in m.analysis_notes)
    assert m.n_paced >= 8
    st = _pace(ecg)
    assert st is not None
    ev = " ".join(st.evidence)
    assert "simultaneous in most leads" in ev and "ms before the R peak (median" in ev


def test_stimulus_under_a_first_detection_peak_is_kept_and_qrs_measured(ludb):
    ecg = ludb(74)
    m = measure(ecg)
    assert len(m.pacing_spikes) >= 8
    # Blanked, the stimuli no longer pose as an 18 ms QRS: a paced (wide) QRS is measured.
    assert m.qrs_ms is not None and m.qrs_ms >= 120
    assert _pace(ecg) is not None


def test_mid_qrs_sample_and_hold_steps_are_not_stimuli(ludb):
    ecg = ludb(99)
    x = np.asarray(ecg.signals_mv, dtype=np.float64)
    assert pacing._aligned_corners(x, ecg.sampling_rate_hz).size == 0
    assert _pace(ecg) is None


def _with_stimuli(ecg, leads, before_r_ms=80.0, quiet=True):
    """The real record with a 0.6 mV one-sample stimulus added to `leads`, `before_r_ms` before
    each R peak; `quiet=False` adds a steep 1 mV half-sine wave (32 ms) ending 8 ms before each one."""
    fs = ecg.sampling_rate_hz
    x = np.array(ecg.signals_mv, dtype=np.float64)
    r_peaks = measure(ecg).r_peaks
    at = [r - int(before_r_ms * fs / 1000) for r in r_peaks if r - int(before_r_ms * fs / 1000) > 30]
    for s in at:
        x[leads, s] += 0.6
        if not quiet:
            x[leads, s - 20:s - 4] += 1.0 * np.sin(np.linspace(0.0, np.pi, 16))
    return ecg.with_changes(signals_mv=x), np.asarray(at)


@pytest.fixture(scope="module")
def sinus_ptbxl(data_dir):
    from ecgchat_desktop.io import read_ecg
    return read_ecg(data_dir / "ptb-xl" / "records500" / "00000" / "00001_hr.hea")


def test_added_stimuli_in_all_leads_are_found_where_they_are(sinus_ptbxl):
    ecg, at = _with_stimuli(sinus_ptbxl, slice(None))
    corners = pacing._aligned_corners(np.asarray(ecg.signals_mv, dtype=np.float64), ecg.sampling_rate_hz)
    assert corners.size == at.size and np.abs(corners - at).max() <= 1
    assert _pace(ecg) is not None


def test_added_stimuli_in_a_minority_of_leads_or_after_steep_slopes_are_not(sinus_ptbxl):
    assert pacing._aligned_corners(np.asarray(sinus_ptbxl.signals_mv, dtype=np.float64), 500.0).size == 0
    few, _ = _with_stimuli(sinus_ptbxl, [0, 6, 7])          # 3 of 12 leads
    assert pacing._aligned_corners(np.asarray(few.signals_mv, dtype=np.float64), 500.0).size == 0
    noisy, _ = _with_stimuli(sinus_ptbxl, slice(None), quiet=False)
    assert pacing._aligned_corners(np.asarray(noisy.signals_mv, dtype=np.float64), 500.0).size == 0


def test_a_train_of_aligned_artefacts_not_coupled_to_the_qrs_is_not_pacing(sinus_ptbxl):
    # One-sample glitches in every lead every 730 ms (a device artefact, not a pacemaker): they
    # pass the aligned-corner test and fall before more than a quarter of the beats, but at
    # lags spread over the whole cycle.
    x = np.array(sinus_ptbxl.signals_mv, dtype=np.float64)
    at = np.arange(200, x.shape[1] - 50, int(0.73 * 500))
    x[:, at] += 0.6
    ecg = sinus_ptbxl.with_changes(signals_mv=x)
    cand = pacing.detect_candidates(x, 500.0)
    assert cand.mode == "aligned" and cand.samples.size == at.size
    m = measure(ecg)
    assert not m.pacing_spikes and m.n_paced == 0
    assert _pace(ecg) is None
