"""Normal ECG on real records (PTB-XL folds 1–8 only), full pipeline: a NORM-labelled record
whose all-lead PR reads over 200 ms is still normal when the AV-block rule calls no block (and
says so), and a first-degree AV block record is not normal."""

from __future__ import annotations

from ecgchat_desktop.analysis import measure
from ecgchat_desktop.interpret import interpret
from ecgchat_desktop.io import read_ecg


def _ptbxl(data_dir, n: int):
    return data_dir / "ptb-xl" / "records500" / f"{n // 1000 * 1000:05d}" / f"{n:05d}_hr.hea"


def test_normal_with_a_long_all_lead_pr_but_no_av_block(data_dir):
    # PTB-XL 225: labelled NORM; its long P makes the all-lead PR read over 200 ms.
    m = measure(read_ecg(_ptbxl(data_dir, 225)))
    assert m.pr_ms is not None and 200.0 < m.pr_ms < 240.0
    st = {s.code: s for s in interpret(m)}
    assert "NORM" in st and "1AVB" not in st
    assert any("without first-degree AV block" in e for e in st["NORM"].evidence)


def test_first_degree_av_block_is_not_normal(data_dir):
    m = measure(read_ecg(_ptbxl(data_dir, 102)))   # labelled 1AVB
    codes = {s.code for s in interpret(m)}
    assert "1AVB" in codes and "NORM" not in codes
