"""Ectopic beats on real records (PTB-XL folds 1–8 only), full pipeline: an unlike first QRS
(cut by the start of the recording, no preceding RR) is not called a PVC; a premature one is."""

from __future__ import annotations

import pytest

from ecgchat_desktop.analysis import measure
from ecgchat_desktop.interpret import interpret
from ecgchat_desktop.io import read_ecg


def _ptbxl(data_dir, n: int):
    return data_dir / "ptb-xl" / "records500" / f"{n // 1000 * 1000:05d}" / f"{n:05d}_hr.hea"


@pytest.mark.parametrize("n", [168, 369])
def test_first_beat_unlike_the_rest_is_not_a_pvc(data_dir, n):
    # Sinus records without PVC in their labels whose first QRS was classed ventricular.
    m = measure(read_ecg(_ptbxl(data_dir, n)))
    assert "PVC" not in {s.code for s in interpret(m)}


def test_premature_ventricular_beats_fire(data_dir):
    m = measure(read_ecg(_ptbxl(data_dir, 363)))   # labelled PVC (ventricular bigeminy runs)
    pvc = [s for s in interpret(m) if s.code == "PVC"]
    assert pvc and "coupling RR" in pvc[0].evidence[0]
