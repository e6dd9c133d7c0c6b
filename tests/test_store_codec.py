"""The signal codec is exact (bit for bit) whatever the samples, and compact on real ECGs."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from ecgchat_desktop.store.signal_codec import CODEC_FLOAT32, CODEC_INT16_DELTA, decode_signal, encode_signal
from tests.store_support import sample_ecgs


def _roundtrip(x):
    e = encode_signal(x)
    return e, decode_signal(e.codec, e.scale_mv, e.n_leads, e.n_samples, e.data)


def test_real_ptbxl_ecg_uses_int16_codec_exactly():
    for ecg in sample_ecgs():
        enc, back = _roundtrip(ecg.signals_mv)
        assert enc.codec == CODEC_INT16_DELTA
        assert np.array_equal(back, ecg.signals_mv)
        assert len(enc.data) < ecg.signals_mv.nbytes / 4  # float32 -> well under a quarter


@settings(max_examples=60, deadline=None)
@given(counts=hnp.arrays(np.int16, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=40),
                         elements=st.integers(-32767, 32767)),
       scale=st.sampled_from([0.001, 0.0025, 0.00488, 1 / 3000]),
       nan_at=st.lists(st.integers(0, 10_000), max_size=5))
def test_quantised_signals_roundtrip_exactly(counts, scale, nan_at):
    x = (counts.astype(np.float64) * scale).astype(np.float32)
    flat = x.reshape(-1)
    for i in nan_at:
        flat[i % flat.size] = np.nan
    if not np.isfinite(x).any():
        return
    _, back = _roundtrip(x)
    assert np.array_equal(back, x, equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(x=hnp.arrays(np.float32, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=30),
                    elements=st.floats(width=32, allow_nan=True, allow_infinity=True)))
def test_arbitrary_float_signals_roundtrip_exactly(x):
    enc, back = _roundtrip(x)
    assert np.array_equal(back, x, equal_nan=True)
    assert enc.codec in (CODEC_INT16_DELTA, CODEC_FLOAT32)


def test_large_values_fall_back_to_float32():
    x = np.random.default_rng(1).normal(0.0, 30.0, (2, 500)).astype(np.float32)  # not quantised
    enc, back = _roundtrip(x)
    assert enc.codec == CODEC_FLOAT32 and np.array_equal(back, x)
