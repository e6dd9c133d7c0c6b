"""ST depression and T inversion on real records (PTB-XL folds 1–8 only), full pipeline: file →
io → analysis.measure → interpret. Secondary ST changes of a right bundle branch delay (V1–V3)
and of a conduction delay (QRS ≥ 110 ms, shallow depression) are not called ST depression; a
negative T in III and aVF alone is a normal variant."""

from __future__ import annotations

import pytest

from ecgchat_desktop.analysis import measure
from ecgchat_desktop.interpret import interpret
from ecgchat_desktop.io import read_ecg


def _ptbxl(data_dir, n: int):
    return data_dir / "ptb-xl" / "records500" / f"{n // 1000 * 1000:05d}" / f"{n:05d}_hr.hea"


@pytest.fixture(scope="module")
def statements(data_dir):
    cache = {}

    def get(n: int):
        if n not in cache:
            m = measure(read_ecg(_ptbxl(data_dir, n)))
            cache[n] = (m, {s.code: s for s in interpret(m)})
        return cache[n]
    return get


def test_std_fires_on_shallow_horizontal_depression_in_v5_v6(statements):
    # PTB-XL 341: labelled STD_ (non-specific ST depression), narrow QRS.
    m, st = statements(341)
    assert "STD" in st, sorted(st)
    assert "V5" in st["STD"].text and "V6" in st["STD"].text
    assert "mV at J+60 ms" in st["STD"].evidence[0]


@pytest.mark.parametrize("n,why", [(428, "incomplete RBBB pattern: depression in V1–V2 is secondary"),
                                   (310, "complete RBBB (QRS ≥ 110 ms): V1–V3 left out, shallow lateral "
                                         "depression not counted")])
def test_std_silent_on_secondary_changes(statements, n, why):
    m, st = statements(n)
    assert {"IRBBB", "CRBBB"} & set(st), sorted(st)
    assert "STD" not in st, why


def test_t_inversion_fires_on_a_labelled_record(statements):
    m, st = statements(298)   # labelled INVT: lateral T inversion with LVH
    assert "TINV" in st and "V5" in st["TINV"].text


def test_t_inversion_silent_on_a_normal_record_with_negative_t_in_iii_avf(statements):
    m, st = statements(420)   # labelled NORM
    assert m.lead_amplitudes["III"].t_mv <= -0.1 and m.lead_amplitudes["aVF"].t_mv <= -0.1
    assert "TINV" not in st
