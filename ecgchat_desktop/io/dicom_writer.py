"""DICOM writer: 12-Lead ECG Waveform Storage (General ECG when the IOD limits do not fit).

- Signals: one RHYTHM multiplex group, int16 (SS), Channel Sensitivity in uV
  (1 uV per unit when the signal fits in int16, else the finest step that fits),
  correction factor 1, baseline 0; NaN is the padding value -32768.
- Median beats, when the Ecg has them: a second group labelled MEDIAN BEAT.
- Leads: MDC codes (2:N, SCP-ECG lead numbering) with the meaning "Lead X".
- Patient, acquisition time, device, device measurements (numeric annotations with
  SCP-ECG concept codes, as the ECG Toolkit writes them) and device statements
  (Unformatted Text Value annotations).
The 12-Lead ECG IOD allows at most 13 channels, 200-1000 Hz and 16 s per group;
outside those limits General ECG Waveform Storage is used (24 channels, any length).
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import numpy as np

from ecgchat_desktop.io.atomic_write import commit, staging
from ecgchat_desktop.io.errors import EcgWriteError

TWELVE_LEAD_SOP = "1.2.840.10008.5.1.4.1.1.9.1.1"
GENERAL_ECG_SOP = "1.2.840.10008.5.1.4.1.1.9.1.2"
INT16_MAX = 32767
PADDING = -32768

_LEAD_NUMBER = {
    "I": 1, "II": 2, "V1": 3, "V2": 4, "V3": 5, "V4": 6, "V5": 7, "V6": 8, "V7": 9,
    "V2R": 10, "V3R": 11, "V4R": 12, "V5R": 13, "V6R": 14, "V7R": 15, "X": 16, "Y": 17, "Z": 18,
    "III": 61, "aVR": 62, "aVL": 63, "aVF": 64, "-aVR": 65, "V8": 66, "V9": 67, "V8R": 68, "V9R": 69,
}
# (concept code, scheme, meaning, unit code, unit meaning) per device measurement
_MEASUREMENT_CODES = {
    "hr_bpm": ("8867-4", "LN", "Heart rate", "/min", "per minute"),
    "rr_ms": ("5.10.2.1-3", "SCPECG", "RR Interval", "ms", "milliseconds"),
    "p_ms": ("5.10.2.1-1", "SCPECG", "P Duration", "ms", "milliseconds"),
    "pr_ms": ("5.13.5-7", "SCPECG", "PR Interval", "ms", "milliseconds"),
    "qrs_ms": ("5.13.5-9", "SCPECG", "QRS Duration", "ms", "milliseconds"),
    "qt_ms": ("5.13.5-11", "SCPECG", "QT Interval", "ms", "milliseconds"),
    "qtc_ms": ("5.10.2.5-5", "SCPECG", "QTc Interval", "ms", "milliseconds"),
    "p_axis_deg": ("5.10.3-11", "SCPECG", "P Axis", "deg", "degrees"),
    "qrs_axis_deg": ("5.10.3-13", "SCPECG", "QRS Axis", "deg", "degrees"),
    "t_axis_deg": ("5.10.3-15", "SCPECG", "T Axis", "deg", "degrees"),
}


def _code(value: str, scheme: str, meaning: str):
    from pydicom.dataset import Dataset

    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    item.CodeMeaning = meaning
    if scheme in ("SCPECG", "99ECGCHAT"):  # not in the DICOM registry of schemes: version required
        item.CodingSchemeVersion = "1.3" if scheme == "SCPECG" else "1"
    return item


def _sensitivity_uv(signals: np.ndarray) -> float:
    finite = signals[np.isfinite(signals)]
    peak_uv = float(np.max(np.abs(finite))) * 1000.0 if finite.size else 0.0
    if peak_uv <= INT16_MAX:
        return 1.0
    return math.ceil(peak_uv / INT16_MAX * 1000.0) / 1000.0


def _group(signals_mv: np.ndarray, fs: float, names, label: str, originality: str):
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    group = Dataset()
    group.WaveformOriginality = originality
    group.NumberOfWaveformChannels = int(signals_mv.shape[0])
    group.NumberOfWaveformSamples = int(signals_mv.shape[1])
    group.SamplingFrequency = f"{fs:.6g}"
    group.MultiplexGroupLabel = label
    channels = []
    digital = np.empty(signals_mv.shape, dtype=np.int16)
    for j, (row, name) in enumerate(zip(signals_mv.astype(np.float64), names)):
        sens = _sensitivity_uv(row)
        scaled = np.round(row * 1000.0 / sens)
        digital[j] = np.where(np.isfinite(scaled), np.clip(np.nan_to_num(scaled), -INT16_MAX, INT16_MAX), PADDING)
        ch = Dataset()
        number = _LEAD_NUMBER.get(name)
        if number is not None:
            source = _code(f"2:{number}", "MDC", f"Lead {name}")
        else:
            source = _code(str(name)[:16] or f"ch{j + 1}", "99ECGCHAT", str(name)[:64] or f"channel {j + 1}")
        ch.ChannelSourceSequence = Sequence([source])
        ch.ChannelSensitivity = f"{sens:.6g}"
        ch.ChannelSensitivityUnitsSequence = Sequence([_code("uV", "UCUM", "microvolt")])
        ch.ChannelSensitivityCorrectionFactor = "1"
        ch.ChannelBaseline = "0"
        ch.ChannelSampleSkew = "0"
        ch.WaveformBitsStored = 16
        channels.append(ch)
    group.ChannelDefinitionSequence = Sequence(channels)
    group.WaveformBitsAllocated = 16
    group.WaveformSampleInterpretation = "SS"
    group.WaveformPaddingValue = PADDING.to_bytes(2, "little", signed=True)
    # samples interleaved by channel: C1S1, C2S1, ..., CnS1, C1S2, ...
    group.WaveformData = np.ascontiguousarray(digital.T).astype("<i2").tobytes()
    return group


def _person_name(name: str | None) -> str:
    if not name:
        return ""
    if name.count(", ") == 1:  # our reader shows "Family, Given"
        family, given = name.split(", ")
        return f"{family}^{given}"
    return name


def _annotations(ecg) -> list:
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    items = []
    for key, (code, scheme, meaning, unit, unit_meaning) in _MEASUREMENT_CODES.items():
        value = getattr(ecg.device_measurements, key)
        if value is None:
            continue
        item = Dataset()
        item.MeasurementUnitsCodeSequence = Sequence([_code(unit, "UCUM", unit_meaning)])
        item.ConceptNameCodeSequence = Sequence([_code(code, scheme, meaning)])
        item.ReferencedWaveformChannels = [1, 0]
        item.AnnotationGroupNumber = 0
        item.NumericValue = f"{value:.6g}"
        items.append(item)
    for statement in ecg.device_statements:
        item = Dataset()
        item.UnformattedTextValue = str(statement)[:10240]
        item.AnnotationGroupNumber = 0
        items.append(item)
    return items


def build_dataset(ecg):
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence
    from pydicom.uid import ExplicitVRLittleEndian, PYDICOM_IMPLEMENTATION_UID, generate_uid

    fits_12_lead = (ecg.n_leads <= 13 and 200 <= ecg.sampling_rate_hz <= 1000 and ecg.duration_s <= 16
                    and (ecg.median_beats is None or ecg.median_beats.signals_mv.shape[0] <= 13))
    sop_class = TWELVE_LEAD_SOP if fits_12_lead else GENERAL_ECG_SOP
    if ecg.n_leads > 24:
        raise ValueError(f"{ecg.n_leads} leads: a DICOM ECG group holds at most 24 channels")
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID

    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "ECG"
    now = datetime.now()
    when = ecg.acquired_at
    ds.InstanceCreationDate = now.strftime("%Y%m%d")
    ds.InstanceCreationTime = now.strftime("%H%M%S")
    # Content Date/Time (type 1) is when this instance's content was made: the
    # acquisition, else the conversion. An unknown acquisition time is left empty
    # (Acquisition DateTime present, no value) rather than invented; our reader then
    # does not fall back to the content time.
    ds.StudyDate = when.strftime("%Y%m%d") if when else ""
    ds.StudyTime = when.strftime("%H%M%S.%f") if when else ""
    ds.ContentDate = (when or now).strftime("%Y%m%d")
    ds.ContentTime = (when or now).strftime("%H%M%S.%f")
    ds.AcquisitionDateTime = when.strftime("%Y%m%d%H%M%S.%f") if when else ""
    ds.AccessionNumber = ""
    ds.ReferringPhysicianName = ""
    ds.StudyID = ""
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.Manufacturer = ""
    ds.ManufacturerModelName = ecg.device or ""
    ds.SoftwareVersions = "ECG-Chat Desktop (converted)"
    p = ecg.patient
    ds.PatientName = _person_name(p.name)
    ds.PatientID = p.id or ""
    ds.PatientBirthDate = p.birth_date.strftime("%Y%m%d") if p.birth_date else ""
    ds.PatientSex = p.sex or ""
    if p.age_years is not None and 0 <= p.age_years < 1000:
        ds.PatientAge = f"{int(p.age_years):03d}Y"
    ds.AcquisitionContextSequence = Sequence([])
    groups = [_group(ecg.signals_mv, ecg.sampling_rate_hz, ecg.lead_names, "RHYTHM", "ORIGINAL")]
    if ecg.median_beats is not None:
        mb = ecg.median_beats
        groups.append(_group(mb.signals_mv, mb.sampling_rate_hz, mb.lead_names, "MEDIAN BEAT", "DERIVED"))
    ds.WaveformSequence = Sequence(groups)
    annotations = _annotations(ecg)
    if annotations:
        ds.WaveformAnnotationSequence = Sequence(annotations)
    return ds


def write(ecg, path: str | Path) -> Path:
    path = Path(path)
    try:
        ds = build_dataset(ecg)
    except (ValueError, TypeError, OverflowError) as exc:
        raise EcgWriteError(path, f"DICOM cannot be built ({exc})") from None
    with staging(path) as tmp:
        staged = tmp / path.name
        try:
            ds.save_as(staged, enforce_file_format=True)
        except OSError:
            raise
        except Exception as exc:
            raise EcgWriteError(path, f"DICOM cannot be written ({type(exc).__name__}: {exc})") from None
        commit(staged, path, path)
    return path
