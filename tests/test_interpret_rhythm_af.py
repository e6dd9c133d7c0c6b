"""Atrial fibrillation vs sinus rhythm with ectopy on real records (PTB-XL folds 1–8 only), full
pipeline: an irregular rhythm whose P waves were not delineated is not called AF when the same
atrial wave precedes every QRS (pre-QRS coherence); a true AF still fires, with the value shown."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ecgchat_desktop.analysis import measure
from ecgchat_desktop.interpret import interpret
from ecgchat_desktop.interpret.rules_rhythm import AF_PRE_QRS_COHERENCE_BELOW
from ecgchat_desktop.io import read_ecg


def _ptbxl(data_dir, n: int):
    return data_dir / "ptb-xl" / "records500" / f"{n // 1000 * 1000:05d}" / f"{n:05d}_hr.hea"


@pytest.fixture(scope="module")
def sinus_with_pacs(data_dir):
    # PTB-XL 176 (fold ≤ 8): NORM, SR; two PACs, P waves too small to be delineated — was called AF.
    return measure(read_ecg(_ptbxl(data_dir, 176)))


def test_sinus_with_pacs_and_undelineated_p_is_not_af(sinus_with_pacs):
    m = sinus_with_pacs
    assert m.atrial_pre_qrs_coherence >= AF_PRE_QRS_COHERENCE_BELOW
    st = {s.code: s for s in interpret(m)}
    assert "AFIB" not in st
    # The reader is told why AF was not called, with the measured value and the threshold.
    ev = " ".join(st["RHYTHM_OTHER"].evidence)
    assert f"pre-QRS coherence {m.atrial_pre_qrs_coherence:.2f} ≥ {AF_PRE_QRS_COHERENCE_BELOW}" in ev


def test_true_af_still_fires_with_coherence_evidence(data_dir):
    m = measure(read_ecg(_ptbxl(data_dir, 321)))   # PTB-XL 321 (fold ≤ 8): AFIB
    assert m.atrial_pre_qrs_coherence < AF_PRE_QRS_COHERENCE_BELOW
    af = [s for s in interpret(m) if s.code == "AFIB"]
    assert af
    assert any(f"pre-QRS coherence {m.atrial_pre_qrs_coherence:.2f} < {AF_PRE_QRS_COHERENCE_BELOW}" in e
               for e in af[0].evidence)


def test_coherence_threshold_boundary(sinus_with_pacs):
    # The same real measurements with the coherence just below / at the threshold.
    below = replace(sinus_with_pacs, atrial_pre_qrs_coherence=AF_PRE_QRS_COHERENCE_BELOW - 0.01)
    at = replace(sinus_with_pacs, atrial_pre_qrs_coherence=AF_PRE_QRS_COHERENCE_BELOW)
    unknown = replace(sinus_with_pacs, atrial_pre_qrs_coherence=None)
    assert "AFIB" in {s.code for s in interpret(below)}
    assert "AFIB" not in {s.code for s in interpret(at)}
    af = [s for s in interpret(unknown) if s.code == "AFIB"]
    assert af and "atrial activity before the QRS: not assessed" in af[0].evidence


def test_vetoed_irregular_rhythm_gets_no_flutter_statement(data_dir):
    # PTB-XL 181 (fold ≤ 8): sinus tachycardia 137/min, P waves not delineated, a residual peak at
    # 345/min (organisation ≥ 0.40). It was called AF; now neither AF nor flutter.
    m = measure(read_ecg(_ptbxl(data_dir, 181)))
    assert m.atrial_pre_qrs_coherence >= AF_PRE_QRS_COHERENCE_BELOW
    codes = {s.code for s in interpret(m)}
    assert not codes & {"AFIB", "AFLT"}
    assert "RHYTHM_OTHER" in codes
