"""DICOM waveform reader against pydicom's own waveform_array, on the shared files and variants of them."""

from __future__ import annotations

import warnings
from datetime import date, datetime

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from ecgchat_desktop.io import (
    CorruptFileError,
    ImplausibleContentError,
    UnsupportedFormatError,
    detect_format,
    read_ecg,
)

TWELVE = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
_MV = {"uV": 1e-3, "mV": 1.0, "V": 1000.0}


def _dcmread(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(str(path))


def _pydicom_mv(ds, index):
    """pydicom's waveform_array (units applied) converted to mV, [channels, samples]."""
    arr = ds.waveform_array(index).T.astype(np.float64)
    for j, ch in enumerate(ds.WaveformSequence[index].ChannelDefinitionSequence):
        arr[j] *= _MV[ch.ChannelSensitivityUnitsSequence[0].CodeValue]
    return arr


def _quantum_mv(ds, index):
    return np.array([float(ch.ChannelSensitivity) * float(ch.get("ChannelSensitivityCorrectionFactor", 1))
                     * _MV[ch.ChannelSensitivityUnitsSequence[0].CodeValue]
                     for ch in ds.WaveformSequence[index].ChannelDefinitionSequence])


@pytest.fixture(scope="module")
def toolkit_path(data_dir):
    return data_dir / "formats" / "dicom" / "ecgtoolkit-example.dcm"


def test_toolkit_example_signals_match_pydicom(toolkit_path):
    assert detect_format(toolkit_path) == "dicom"
    ecg = read_ecg(toolkit_path)
    ds = _dcmread(toolkit_path)
    assert ecg.source_format == "dicom"
    assert ecg.lead_names == TWELVE
    assert ecg.sampling_rate_hz == 500.0 and ecg.n_samples == 5000
    ref = _pydicom_mv(ds, 0)
    step = _quantum_mv(ds, 0)[:, None]
    assert np.all(np.abs(ecg.signals_mv - ref) <= step)
    # the file stores all 12 leads: Einthoven holds within a few quanta
    assert np.max(np.abs(ecg.lead("III") - (ecg.lead("II") - ecg.lead("I")))) <= 0.0125


def test_toolkit_example_median_beats(toolkit_path):
    ecg = read_ecg(toolkit_path)
    ds = _dcmread(toolkit_path)
    mb = ecg.median_beats
    assert mb is not None
    assert mb.lead_names == TWELVE and mb.sampling_rate_hz == 500.0
    assert mb.signals_mv.shape == (12, 600)
    # the last sample of each median beat is -32768 ("no data"): NaN for us, a number for pydicom
    raw = ds.waveform_array(1).T / _quantum_mv(ds, 1)[:, None] * 1e-3
    missing = np.isclose(raw, -32768)
    assert missing.sum() == 12 and np.array_equal(np.isnan(mb.signals_mv), missing)
    ref = _pydicom_mv(ds, 1)
    assert np.all(np.abs(mb.signals_mv[~missing] - ref[~missing]) <= 0.0025 + 1e-9)


def test_toolkit_example_device_data(toolkit_path):
    ecg = read_ecg(toolkit_path)
    dm = ecg.device_measurements
    assert (dm.pr_ms, dm.qrs_ms, dm.qt_ms, dm.qtc_ms) == (148, 120, 420, 443)
    assert (dm.p_axis_deg, dm.qrs_axis_deg, dm.t_axis_deg) == (44, -61, 86)
    assert ecg.patient.id == "SBJ-123" and ecg.patient.name == "Clark" and ecg.patient.sex == "M"
    assert ecg.patient.birth_date == date(1953, 5, 8)
    assert ecg.patient.age_years == 49  # from birth date and acquisition date
    assert ecg.acquired_at == datetime(2002, 11, 22, 9, 10, 0)
    assert ecg.device == "ELI250"  # manufacturer "Unknown" is not shown


def test_hemodynamic_file(data_dir):
    path = data_dir / "formats" / "dicom" / "hemodynamic-240hz.dcm"
    ecg = read_ecg(path)
    ds = _dcmread(path)
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.9.2.1"
    assert ecg.lead_names == TWELVE and ecg.sampling_rate_hz == 240.0
    ref = _pydicom_mv(ds, 0)
    raw = ds.waveform_array(0).T
    # our reader marks the padding value (-32768) as NaN; pydicom leaves it as a number
    padded = raw == -32768
    assert np.array_equal(np.isnan(ecg.signals_mv), padded)
    ok = ~padded
    assert np.all(np.abs(ecg.signals_mv[ok] - ref[ok]) <= 0.00122 + 1e-9)
    assert ecg.device_measurements.hr_bpm == 69
    assert ecg.patient.age_years == 55 and ecg.patient.name == "Patient, Test"
    assert ecg.device == "GE Marquette MACLB"


# --- variants of the toolkit file: units, correction factor, baseline, codes, annotations -----
def _variant(toolkit_path, tmp_path, edit, name="variant.dcm"):
    ds = _dcmread(toolkit_path)
    edit(ds)
    out = tmp_path / name
    ds.save_as(out)
    return out, ds


def test_units_correction_and_baseline_applied(toolkit_path, tmp_path):
    original = read_ecg(toolkit_path)

    def edit(ds):
        chans = ds.WaveformSequence[0].ChannelDefinitionSequence
        chans[0].ChannelSensitivityUnitsSequence[0].CodeValue = "mV"
        chans[0].ChannelSensitivity = "0.0025"
        chans[1].ChannelSensitivity = "1.25"
        chans[1].ChannelSensitivityCorrectionFactor = "2"
        chans[2].ChannelBaseline = "100"  # uV: +0.1 mV
        chans[3].ChannelSensitivityUnitsSequence[0].CodeValue = "V"
        chans[3].ChannelSensitivity = "0.0000025"

    path, ds = _variant(toolkit_path, tmp_path, edit)
    ecg = read_ecg(path)
    assert np.allclose(ecg.lead("I"), original.lead("I"), atol=1e-6)
    assert np.allclose(ecg.lead("II"), original.lead("II"), atol=1e-6)
    assert np.allclose(ecg.lead("III"), original.lead("III") + 0.1, atol=1e-6)
    assert np.allclose(ecg.lead("aVR"), original.lead("aVR"), atol=1e-6)
    assert np.allclose(ecg.signals_mv, _pydicom_mv(ds, 0), atol=1e-6)


def test_lead_names_from_codes_without_meaning(toolkit_path, tmp_path):
    def edit(ds):
        for k, ch in enumerate(ds.WaveformSequence[0].ChannelDefinitionSequence):
            src = ch.ChannelSourceSequence[0]
            del src.CodeMeaning
            if k % 2:  # MDC spelling of the same lead numbers
                src.CodingSchemeDesignator = "MDC"
                src.CodeValue = "2:" + src.CodeValue.rsplit("-", 1)[1]

    path, _ = _variant(toolkit_path, tmp_path, edit)
    assert read_ecg(path).lead_names == TWELVE


def test_statements_and_measurements_by_meaning(toolkit_path, tmp_path):
    def edit(ds):
        for item in ds.WaveformAnnotationSequence[:7]:
            item.ConceptNameCodeSequence[0].CodeValue = "99"  # unknown code: match by meaning
        hr = Dataset()
        hr.ConceptNameCodeSequence = Sequence([Dataset()])
        hr.ConceptNameCodeSequence[0].CodeValue = "8867-4"
        hr.ConceptNameCodeSequence[0].CodingSchemeDesignator = "LN"
        hr.ConceptNameCodeSequence[0].CodeMeaning = "Heart rate"
        hr.NumericValue = "71"
        qrs_s = ds.WaveformAnnotationSequence[1]
        qrs_s.MeasurementUnitsCodeSequence[0].CodeValue = "s"
        qrs_s.NumericValue = "0.12"
        text = Dataset()
        text.UnformattedTextValue = "Sinus rhythm\nLeft axis deviation"
        ds.WaveformAnnotationSequence = Sequence([hr, text, *ds.WaveformAnnotationSequence])

    path, _ = _variant(toolkit_path, tmp_path, edit)
    ecg = read_ecg(path)
    dm = ecg.device_measurements
    assert dm.hr_bpm == 71 and dm.pr_ms == 148 and dm.qrs_ms == pytest.approx(120)
    assert (dm.qt_ms, dm.qtc_ms, dm.p_axis_deg, dm.qrs_axis_deg, dm.t_axis_deg) == (420, 443, 44, -61, 86)
    assert ecg.device_statements == ("Sinus rhythm", "Left axis deviation")


def test_non_voltage_channel_dropped(toolkit_path, tmp_path):
    def edit(ds):
        ch = ds.WaveformSequence[0].ChannelDefinitionSequence[11]
        ch.ChannelSensitivityUnitsSequence[0].CodeValue = "mm[Hg]"
        ch.ChannelSensitivityUnitsSequence[0].CodeMeaning = "mmHg"

    path, _ = _variant(toolkit_path, tmp_path, edit)
    ecg = read_ecg(path)
    assert ecg.lead_names == TWELVE[:11]
    assert any("not loaded" in c for c in ecg.comments)


def test_truncated_waveform_data_is_corrupt(toolkit_path, tmp_path):
    def edit(ds):
        ds.WaveformSequence[0].WaveformData = ds.WaveformSequence[0].WaveformData[:1000]

    path, _ = _variant(toolkit_path, tmp_path, edit)
    with pytest.raises(CorruptFileError, match="truncated"):
        read_ecg(path)


def test_absurd_group_values(toolkit_path, tmp_path):
    def zero_rate(ds):
        ds.WaveformSequence[0].SamplingFrequency = "0"

    def huge(ds):
        ds.WaveformSequence[0].NumberOfWaveformSamples = 2**31 - 1

    def zero_sensitivity(ds):
        ds.WaveformSequence[0].ChannelDefinitionSequence[3].ChannelSensitivity = "0"

    for edit, name in ((zero_rate, "zero.dcm"), (huge, "huge.dcm"), (zero_sensitivity, "flat.dcm")):
        path, _ = _variant(toolkit_path, tmp_path, edit, name)
        with pytest.raises(ImplausibleContentError):
            read_ecg(path)


def test_non_waveform_dicom_is_unsupported(tmp_path):
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"  # CT image
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.PatientName = "Nobody"
    path = tmp_path / "ct.dcm"
    ds.save_as(path, enforce_file_format=True)
    with pytest.raises(UnsupportedFormatError, match="not an ECG waveform"):
        read_ecg(path)


def test_detected_by_content_not_extension(toolkit_path, tmp_path):
    renamed = tmp_path / "ecg.bin"
    renamed.write_bytes(toolkit_path.read_bytes())
    assert detect_format(renamed) == "dicom"
    assert read_ecg(renamed).device_measurements.qtc_ms == 443


def test_pydicom_test_file_mortara():
    """pydicom ships a real Mortara ELI 250 export (1000 Hz, rhythm + median beat, Italian statements)."""
    from pydicom.data import get_testdata_file

    path = get_testdata_file("waveform_ecg.dcm", download=False)
    if path is None:
        pytest.skip("pydicom's test files are not installed")
    ecg = read_ecg(path)
    ds = _dcmread(path)
    assert ecg.lead_names == TWELVE  # "Lead I (Einthoven)": the SCP-ECG code decides
    assert ecg.sampling_rate_hz == 1000.0 and ecg.n_samples == 10000
    assert np.all(np.abs(ecg.signals_mv - _pydicom_mv(ds, 0)) <= _quantum_mv(ds, 0)[:, None])
    assert ecg.median_beats.signals_mv.shape == (12, 1200)
    dm = ecg.device_measurements
    assert (dm.rr_ms, dm.pr_ms, dm.qrs_ms, dm.qt_ms, dm.qtc_ms) == (982, 161, 75, 368, 370)
    assert (dm.p_axis_deg, dm.qrs_axis_deg, dm.t_axis_deg) == (74, 52, 57)
    assert dm.hr_bpm is None  # the file states no rate; we do not derive one here
    assert ecg.device_statements == ("RITMO SINUSALE", "ECG NORMALE")
    assert ecg.device == "Mortara Instrument, Inc. el250"


def test_consecutive_rhythm_groups_joined(toolkit_path, tmp_path):
    """An ambulatory-style file: the same 12 leads in two groups, the second 10 s later."""
    import copy

    def edit(ds):
        first = ds.WaveformSequence[0]
        first.MultiplexGroupTimeOffset = "0"
        second = copy.deepcopy(first)
        second.MultiplexGroupTimeOffset = "12000"  # 12 s: a 2 s gap
        ds.WaveformSequence = Sequence([first, second, ds.WaveformSequence[1]])

    path, _ = _variant(toolkit_path, tmp_path, edit)
    ecg = read_ecg(path)
    original = read_ecg(toolkit_path)
    assert ecg.n_samples == 11000  # 12 s offset x 500 Hz + 5000 samples
    assert np.array_equal(ecg.signals_mv[:, :5000], original.signals_mv)
    assert np.isnan(ecg.signals_mv[:, 5000:6000]).all()
    assert np.array_equal(ecg.signals_mv[:, 6000:], original.signals_mv)
    assert any("joined" in c for c in ecg.comments)
    assert ecg.median_beats is not None
