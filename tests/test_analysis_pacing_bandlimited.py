"""Pacing spikes in band-limited recordings (issue #3/#4): MIT-BIH 107 is ventricular paced
at 360 Hz with a 0.1–100 Hz band, so its stimuli are ~15 ms out-and-back deflections that the
sharp (4 ms) spike test misses; PTB-XL 351 is a non-paced record whose narrow R apices look like
smeared spikes and must not be called paced."""

from __future__ import annotations

import numpy as np

from ecgchat_desktop.analysis import measure, pacing
from ecgchat_desktop.interpret import interpret


def _codes(result):
    return {s.code: s for s in (result.statements if hasattr(result, "statements") else result)}


def _first_seconds(ecg, seconds):
    n = int(seconds * ecg.sampling_rate_hz)
    return ecg.with_changes(signals_mv=np.asarray(ecg.signals_mv)[:, :n])


def test_smeared_spikes_found_where_sharp_pass_finds_none(data_dir):
    from ecgchat_desktop.io import read_ecg
    ecg = _first_seconds(read_ecg(data_dir / "mitdb" / "107.hea"), 30)
    x = np.asarray(ecg.signals_mv, dtype=np.float64)
    assert pacing.detect_spikes(x, ecg.sampling_rate_hz).size == 0
    spikes, mode = pacing.detect_spikes_with_mode(x, ecg.sampling_rate_hz)
    assert mode == "smeared"
    # 107 is paced at ~70/min: about one candidate per beat, not a handful.
    assert 20 <= spikes.size <= 60


def test_band_limited_paced_record_is_called_paced_with_the_method_in_evidence(data_dir):
    from ecgchat_desktop.io import read_ecg
    ecg = _first_seconds(read_ecg(data_dir / "mitdb" / "107.hea"), 30)
    m = measure(ecg)
    assert any("band-limited (smeared)" in n for n in m.analysis_notes)
    codes = _codes(interpret(m, ecg.patient))
    assert "PACE" in codes
    ev = " ".join(codes["PACE"].evidence)
    assert "band-limited (smeared)" in ev and "ms before the R peak" in ev
    assert "RHYTHM_OTHER" not in codes


def test_non_paced_record_with_sharp_narrow_qrs_not_called_paced(data_dir):
    from ecgchat_desktop.io import read_ecg
    ecg = read_ecg(data_dir / "ptb-xl" / "records500" / "00000" / "00351_hr.hea")
    x = np.asarray(ecg.signals_mv, dtype=np.float64)
    spikes, mode = pacing.detect_spikes_with_mode(x, ecg.sampling_rate_hz)
    assert mode == "smeared" and spikes.size >= 10   # narrow R apices pass the shape test ...
    m = measure(ecg)
    assert not m.pacing_spikes                       # ... and are dropped as QRS apices
    assert "PACE" not in _codes(interpret(m, ecg.patient))


def test_no_spike_search_below_250_hz():
    fs = 100.0
    x = np.zeros((2, 1000))
    x[:, 100::80] = 2.0
    spikes, mode = pacing.detect_spikes_with_mode(x, fs)
    assert spikes.size == 0 and mode == ""
