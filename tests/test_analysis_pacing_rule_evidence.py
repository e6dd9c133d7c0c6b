"""How the PACE rule counts paced beats and what its evidence says (issue #4), on Measurements
built by hand: a stimulus 20–350 ms before the R peak counts; one closer than 20 ms counts only in
a beat the analysis classed paced (a stimulus with a trailing edge, where the R peak lands just
after it: LUDB 111, MIT-BIH 104); the evidence gives the stimulus-to-R lag and the analysis note
saying how the spikes were found."""

from __future__ import annotations

from dataclasses import replace

from ecgchat_desktop.analysis import pacing
from ecgchat_desktop.interpret import interpret
from tests.interpret_builders import FS, MAN_50, normal


def _pace(m):
    return {s.code: s for s in interpret(m, MAN_50)}.get("PACE")


def _with_spikes(lag_ms: float, beat_class: str, n: int | None = None):
    m = normal(70.0)
    lag = int(round(lag_ms * FS / 1000.0))
    n = len(m.r_peaks) if n is None else n
    beats = [replace(b, beat_class=beat_class) if i < n else b for i, b in enumerate(m.beats)]
    return replace(m, beats=beats, n_paced=n if beat_class == "paced" else 0,
                   pacing_spikes=[r - lag for r in m.r_peaks[:n]])


def test_close_stimulus_counts_only_in_beats_classed_paced():
    assert _pace(_with_spikes(10.0, "paced")) is not None
    assert _pace(_with_spikes(10.0, "dominant")) is None      # 10 ms before an unpaced R: its apex


def test_boundary_of_the_lag_window_for_unclassed_beats():
    assert _pace(_with_spikes(20.0, "dominant")) is not None
    assert _pace(_with_spikes(18.0, "dominant")) is None
    assert _pace(_with_spikes(350.0, "dominant")) is not None
    assert _pace(_with_spikes(360.0, "dominant")) is None


def test_evidence_gives_the_lag_and_the_method_note():
    m = _with_spikes(80.0, "paced")
    m = replace(m, analysis_notes=[pacing.ALIGNED_NOTE + pacing.COUPLING_NOTE])
    ev = _pace(m).evidence
    assert any("spike 80 ms before the R peak (median; range 80–80 ms)" in e and f"{len(m.r_peaks)} of" in e
               for e in ev)
    assert any(e.startswith("pacing spikes found as sharp corners simultaneous in most leads") and
               "fixed lag" in e for e in ev)


def test_a_quarter_of_the_beats_is_needed():
    m = normal(70.0)
    quarter = -(-len(m.r_peaks) // 4)
    assert _pace(_with_spikes(80.0, "paced", n=quarter)) is not None
    assert _pace(_with_spikes(80.0, "paced", n=quarter - 1)) is None
