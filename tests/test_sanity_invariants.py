"""Clinical invariants found broken by benchmarks/sanity_sweep.py, each pinned on the real
record that showed it (shared data; skipped when absent)."""

from __future__ import annotations

import re

import pytest

from ecgchat_desktop.findings import analyze_ecg
from ecgchat_desktop.io import read_ecg


def _analyze(data_dir, rel: str):
    return analyze_ecg(read_ecg(data_dir / rel))


def test_poor_quality_evidence_is_checkable_with_a_count(data_dir):
    # PTB-XL 15 (fold 3): aVL noisy; the evidence said only "leads not used ...: aVL (noisy)".
    f = _analyze(data_dir, "ptb-xl/records500/00000/00015_hr.hea")
    q = [s for s in f.statements if s.code == "POOR_QUALITY"]
    assert q, [s.code for s in f.statements]
    assert re.search(r"\b\d+ of 12 leads not used", q[0].evidence[0]), q[0].evidence
    n_bad = sum(v != "good" for v in f.measurements.lead_quality.values())
    assert q[0].evidence[0].startswith(f"{n_bad} of 12")


def test_r_peaks_stay_inside_the_recording(data_dir):
    # CinC Georgia E07541 (100 Hz): a beat cut by the start was aligned to R at sample -1.
    f = _analyze(data_dir, "cinc/georgia/E07541.hea")
    r = f.measurements.r_peaks
    assert r and min(r) >= 0 and max(r) < 1000
    assert all(b > a for a, b in zip(r, r[1:]))
    assert f.measurements.n_beats == len(r)


@pytest.mark.parametrize("rel", ["qtdb/sel102.hea", "cinc/ptbxl/HR20715.hea"])
def test_beat_p_wave_ends_before_its_qrs(data_dir, rel):
    # The per-beat P template, shifted by its own lag, ended 1 sample inside the QRS.
    f = _analyze(data_dir, rel)
    checked = 0
    for b in f.measurements.beats:
        if b.p_offset is not None and b.qrs_onset is not None:
            assert b.p_onset < b.p_offset <= b.qrs_onset, (b.r_peak, b.p_onset, b.p_offset, b.qrs_onset)
            checked += 1
    assert checked > 5


@pytest.mark.parametrize("rel", ["qtdb/sel803.hea", "cinc/cpsc2018/A0115.hea"])
def test_every_r_peak_lies_inside_its_qrs(data_dir, rel):
    # The refined R (extremum within 40 ms) fell 1-8 samples before the beat's QRS onset.
    f = _analyze(data_dir, rel)
    checked = 0
    for b in f.measurements.beats:
        if b.qrs_onset is not None and b.qrs_offset is not None:
            assert b.qrs_onset <= b.r_peak <= b.qrs_offset, (b.qrs_onset, b.r_peak, b.qrs_offset)
            checked += 1
    assert checked > 5
    r = f.measurements.r_peaks
    assert all(b > a for a, b in zip(r, r[1:]))
