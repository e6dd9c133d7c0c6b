"""Right atrial enlargement on real records (PTB-XL folds 1–8 only), full pipeline."""

from __future__ import annotations

import pytest

from ecgchat_desktop.analysis import measure
from ecgchat_desktop.interpret import interpret
from ecgchat_desktop.io import read_ecg


def _ptbxl(data_dir, n: int):
    return data_dir / "ptb-xl" / "records500" / f"{n // 1000 * 1000:05d}" / f"{n:05d}_hr.hea"


@pytest.mark.parametrize("n", [332, 401])
def test_rae_silent_on_normal_records_with_a_modest_chest_p(data_dir, n):
    # NORM-labelled: positive P 0.15–0.2 mV in V2 only, which the old 0.15 mV limit called RAE.
    m = measure(read_ecg(_ptbxl(data_dir, n)))
    v2 = m.lead_amplitudes["V2"].p_pos_mv
    assert v2 is not None and 0.15 <= v2 < 0.2
    assert "RAE" not in {s.code for s in interpret(m)}


def test_rae_fires_on_a_labelled_record(data_dir):
    m = measure(read_ecg(_ptbxl(data_dir, 45)))   # labelled RAO/RAE
    rae = [s for s in interpret(m) if s.code == "RAE"]
    assert rae and any("mV in II ≥ 0.25 mV" in e for e in rae[0].evidence)
