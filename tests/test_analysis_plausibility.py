"""Interval values no heart produces are withheld with a note, never shown (engine step 8)."""
from __future__ import annotations

import pytest

from ecgchat_desktop.analysis import measure
from ecgchat_desktop.analysis.engine import _withhold_impossible_intervals
from ecgchat_desktop.analysis.measurements import Measurements
from ecgchat_desktop.io import read_ecg


def _m(**kw) -> Measurements:
    m = Measurements()
    for k, v in kw.items():
        setattr(m, k, v)
    return m


@pytest.mark.parametrize("qrs, kept", [(39.0, False), (40.0, True), (260.0, True)])
def test_qrs_narrower_than_any_heart_is_withheld_with_qt(qrs, kept):
    m, notes = _m(qrs_ms=qrs, qt_ms=400.0, hr_bpm=70.0), []
    _withhold_impossible_intervals(m, notes)
    assert (m.qrs_ms == qrs) is kept and (m.qt_ms == 400.0) is kept
    assert bool(notes) is not kept


@pytest.mark.parametrize("p, kept", [(250.0, True), (251.0, False)])
def test_p_longer_than_plausible_is_withheld_with_pr(p, kept):
    m, notes = _m(p_ms=p, pr_ms=300.0, qrs_ms=90.0), []
    _withhold_impossible_intervals(m, notes)
    assert (m.p_ms == p) is kept and (m.pr_ms == 300.0) is kept


@pytest.mark.parametrize("qt, hr, kept", [(199.0, 80.0, False), (200.0, 80.0, True), (199.0, 160.0, True),
                                          (760.0, 40.0, True)])
def test_short_qt_withheld_only_at_ordinary_rates_and_long_qt_never(qt, hr, kept):
    m, notes = _m(qt_ms=qt, qrs_ms=90.0, hr_bpm=hr), []
    _withhold_impossible_intervals(m, notes)
    assert (m.qt_ms == qt) is kept


def test_paced_ludb_record_gets_no_spike_width_qrs(data_dir):
    # LUDB 74: unipolar ventricular pacing; the boundaries land on the pacing spike (QRS read 18 ms).
    m = measure(read_ecg(data_dir / "ludb" / "data" / "74.hea"))
    assert m.qrs_ms is None or m.qrs_ms >= 40.0
    if m.qrs_ms is None:
        assert m.qt_ms is None and all(v is None for v in m.qtc_ms.values())
        assert any("QRS boundaries unreliable" in n for n in m.analysis_notes)


def test_withheld_p_takes_its_axis_and_overlays_with_it(data_dir):
    # QTDB sel104: the P boundaries span ~300 ms (a T/U wave read as P); nothing P-derived is kept.
    m = measure(read_ecg(data_dir / "qtdb" / "sel104.hea"))
    assert m.p_ms is None or m.p_ms <= 250.0
    if any("P boundaries unreliable" in n for n in m.analysis_notes):
        assert m.pr_ms is None and m.p_axis_deg is None and m.p_per_qrs is None
        assert all(b.p_onset is None for b in m.beats)
