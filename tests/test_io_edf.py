"""EDF/EDF+/BDF reader (own code) against wfdb reading the same samples through a WFDB header."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import wfdb

from ecgchat_desktop.io import CorruptFileError, EcgReadError, ImplausibleContentError, detect_format, read_ecg
from ecgchat_desktop.io import edf_reader
from io_broken_inputs import expect_typed_error, random_bytes, truncation_points


@pytest.fixture()
def generator(data_dir):
    return data_dir / "wfdb-formats" / "test_generator_2.edf"


def test_edf_matches_wfdb(generator, tmp_path, data_dir):
    assert detect_format(generator) == "edf"
    ecg = read_ecg(generator)
    assert ecg.sampling_rate_hz == 200.0 and ecg.n_samples == 600 * 200
    assert ecg.lead_names[:4] == ("squarewave", "ramp", "pulse", "ECG")
    assert any("sine 15 Hz" in c and "not loaded" in c for c in ecg.comments)  # unit "°" is no voltage
    assert ecg.acquired_at.isoformat() == "2009-12-10T12:44:02"
    # The shipped WFDB header describes the same samples; point it at the EDF data (offset 13 x 256 bytes).
    header = (data_dir / "wfdb-formats" / "test_generator_2.hea").read_bytes().decode("latin-1")
    header = header.replace("test_generator_2 12", "tg 12")
    header = header.replace("test_generator_2.dat 16x200 ", "test_generator_2.edf 16x200+3328 ")
    header = header.replace("test_generator_2.dat 16x51 ", "test_generator_2.edf 16x51+3328 ")
    (tmp_path / "tg.hea").write_text(header, encoding="latin-1")
    shutil.copy(generator, tmp_path / generator.name)
    ref = wfdb.rdrecord(str(tmp_path / "tg"), smooth_frames=False, channels=list(range(8)))
    step_mv = 1 / 32.7675 / 1000
    for k in range(8):
        expected = np.asarray(ref.e_p_signal[k]) / 1000.0  # uV -> mV
        assert np.max(np.abs(ecg.signals_mv[k] - expected)) <= step_mv, ecg.lead_names[k]


def test_annotation_only_file(data_dir):
    err = expect_typed_error(edf_reader, data_dir / "wfdb-formats" / "test_edfann.edf")
    assert isinstance(err, ImplausibleContentError) and "no ECG" in err.problem


def test_broken_edf(generator, tmp_path):
    data = generator.read_bytes()
    path = tmp_path / "cut.edf"
    for cut in truncation_points(len(data)):
        path.write_bytes(data[:cut])
        err = expect_typed_error(edf_reader, path) if cut >= 256 else None
        if err is not None:
            assert isinstance(err, (CorruptFileError, ImplausibleContentError))
    path.write_bytes(data[:236] + b"99999999" + data[244:])
    assert "truncated" in expect_typed_error(edf_reader, path).problem
    path.write_bytes(data[:252] + b"9999" + data[256:])
    assert isinstance(expect_typed_error(edf_reader, path), ImplausibleContentError)
    path.write_bytes(b"0       " + random_bytes(3000, 1))
    with pytest.raises(EcgReadError) as info:
        read_ecg(path)
    assert str(path) in str(info.value)
