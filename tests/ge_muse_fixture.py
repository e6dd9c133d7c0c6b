"""Writes GE MUSE RestingECG XML files to the layout GE documents, from real PTB-XL records.

No GE sample may be redistributed, so the GE MUSE reader is tested with files written
here: 8 stored leads (I, II, V1-V6) as base64 little-endian int16 at 4.88 uV per bit,
a Rhythm and a Median waveform, demographics, RestingECGMeasurements and Diagnosis.

    python tests/ge_muse_fixture.py OUT.xml [PTB-XL record path without extension]

regenerates the committed fixture tests/data/ge-muse/ptbxl-00001-muse.xml.
"""

from __future__ import annotations

import base64
import sys
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

STORED_LEADS = ("I", "II", "V1", "V2", "V3", "V4", "V5", "V6")
UV_PER_BIT = 4.88


def to_counts(signal_mv: np.ndarray, uv_per_bit: float = UV_PER_BIT) -> np.ndarray:
    return np.clip(np.rint(np.asarray(signal_mv) * 1000.0 / uv_per_bit), -32768, 32767).astype("<i2")


def simple_median_beat(leads_mv: dict[str, np.ndarray], rate_hz: float, n_samples: int = 600) -> dict[str, np.ndarray]:
    """A representative beat for the fixture: the sample-wise median of beats aligned on lead II's steepest slope."""
    from scipy.signal import find_peaks

    slope = np.abs(np.diff(leads_mv["II"]))
    peaks, _ = find_peaks(slope, distance=int(0.3 * rate_hz), height=0.4 * slope.max())
    before = int(0.4 * rate_hz)
    starts = [p - before for p in peaks if p - before >= 0 and p - before + n_samples <= slope.size]
    return {name: np.median(np.vstack([x[s:s + n_samples] for s in starts]), axis=0) for name, x in leads_mv.items()}


def _lead_data(name: str, counts: np.ndarray, uv_per_bit: float, units: str) -> str:
    raw = counts.astype("<i2").tobytes()
    return f"""      <LeadData>
         <LeadByteCountTotal>{len(raw)}</LeadByteCountTotal>
         <LeadTimeOffset>0</LeadTimeOffset>
         <LeadSampleCountTotal>{counts.size}</LeadSampleCountTotal>
         <LeadAmplitudeUnitsPerBit>{uv_per_bit}</LeadAmplitudeUnitsPerBit>
         <LeadAmplitudeUnits>{units}</LeadAmplitudeUnits>
         <LeadHighLimit>32767</LeadHighLimit>
         <LeadLowLimit>-32768</LeadLowLimit>
         <LeadID>{escape(name)}</LeadID>
         <LeadOffsetFirstSample>0</LeadOffsetFirstSample>
         <FirstSampleBaseline>0</FirstSampleBaseline>
         <LeadSampleSize>2</LeadSampleSize>
         <LeadOff>FALSE</LeadOff>
         <BaselineSway>FALSE</BaselineSway>
         <LeadDataCRC32>{zlib.crc32(raw)}</LeadDataCRC32>
         <WaveFormData>{base64.b64encode(raw).decode('ascii')}</WaveFormData>
      </LeadData>
"""


def _waveform(kind: str, leads_mv: dict[str, np.ndarray], rate_hz: int, uv_per_bit: float, units: str) -> str:
    scale = uv_per_bit * 1000.0 if units == "MILLIVOLTS" else uv_per_bit  # microvolts per count
    body = "".join(_lead_data(name, to_counts(x, scale), uv_per_bit, units) for name, x in leads_mv.items())
    return f"""   <Waveform>
      <WaveformType>{kind}</WaveformType>
      <WaveformStartTime>0</WaveformStartTime>
      <NumberofLeads>{len(leads_mv)}</NumberofLeads>
      <SampleType>CONTINUOUS_SAMPLES</SampleType>
      <SampleBase>{rate_hz}</SampleBase>
      <SampleExponent>0</SampleExponent>
      <HighPassFilter>5</HighPassFilter>
      <LowPassFilter>150</LowPassFilter>
      <ACFilter>50</ACFilter>
{body}   </Waveform>
"""


def muse_xml(rhythm_mv: dict[str, np.ndarray], rate_hz: int, median_mv: dict[str, np.ndarray] | None = None,
             patient: dict | None = None, acquisition: tuple[str, str] = ("11-09-1984", "09:17:34"),
             measurements: dict[str, int] | None = None, statements=(), uv_per_bit: float = UV_PER_BIT,
             units: str = "MICROVOLTS", device: str = "MAC5500") -> str:
    """The text of a MUSE RestingECG document (ISO-8859-1, with GE's DOCTYPE line)."""
    patient = patient or {}
    measurements = measurements or {}
    demographics = "".join(f"      <{k}>{escape(str(v))}</{k}>\n" for k, v in patient.items())
    meas = "".join(f"      <{k}>{v}</{k}>\n" for k, v in measurements.items())
    diagnosis = "".join(
        f"      <DiagnosisStatement>\n         <StmtFlag>ENDSLINE</StmtFlag>\n"
        f"         <StmtText>{escape(s)}</StmtText>\n      </DiagnosisStatement>\n" for s in statements)
    waveforms = ""
    if median_mv is not None:
        waveforms += _waveform("Median", median_mv, rate_hz, uv_per_bit, units)
    waveforms += _waveform("Rhythm", rhythm_mv, rate_hz, uv_per_bit, units)
    return f"""<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE RestingECG SYSTEM "restecg.dtd">
<RestingECG>
   <MuseInfo>
      <MuseVersion>9.0.9.18167</MuseVersion>
   </MuseInfo>
   <PatientDemographics>
{demographics}   </PatientDemographics>
   <TestDemographics>
      <DataType>RESTING</DataType>
      <Site>1</Site>
      <AcquisitionDevice>{escape(device)}</AcquisitionDevice>
      <Status>UNCONFIRMED</Status>
      <AcquisitionTime>{acquisition[1]}</AcquisitionTime>
      <AcquisitionDate>{acquisition[0]}</AcquisitionDate>
      <AcquisitionSoftwareVersion>010A</AcquisitionSoftwareVersion>
   </TestDemographics>
   <RestingECGMeasurements>
{meas}      <ECGSampleBase>{rate_hz}</ECGSampleBase>
      <ECGSampleExponent>0</ECGSampleExponent>
   </RestingECGMeasurements>
   <Diagnosis>
      <Modality>RESTING</Modality>
{diagnosis}   </Diagnosis>
{waveforms}</RestingECG>
"""


def from_ptbxl(record_path: Path, stored=STORED_LEADS, with_median: bool = True, **kwargs) -> str:
    """MUSE XML of a PTB-XL record (500 Hz, 12 leads in mV), storing only `stored` leads."""
    import wfdb

    record = wfdb.rdrecord(str(record_path))
    names = [n if n.upper() not in ("AVR", "AVL", "AVF") else "a" + n[1:].upper() for n in record.sig_name]
    all_leads = {n: record.p_signal[:, i] for i, n in enumerate(names)}
    rhythm = {n: all_leads[n] for n in stored}
    median = simple_median_beat(rhythm, record.fs) if with_median else None
    return muse_xml(rhythm, int(record.fs), median, **kwargs)


# The committed fixture: PTB-XL ecg_id 1 (fold 3, not the test split). Demographics are PTB-XL's
# (anonymised id, age 56, female, shifted recording date); the statements translate its German
# report ("sinusrhythmus periphere niederspannung"); the interval values are illustrative
# numbers written into the file, not measurements of this tracing.
FIXTURE_KWARGS = dict(
    patient={"PatientID": "15709", "PatientAge": 56, "AgeUnits": "YEARS", "Gender": "FEMALE",
             "PatientLastName": "PTBXL", "PatientFirstName": "ONE"},
    acquisition=("11-09-1984", "09:17:34"),
    measurements={"VentricularRate": 63, "AtrialRate": 63, "PRInterval": 160, "QRSDuration": 88,
                  "QTInterval": 400, "QTCorrected": 409, "PAxis": 52, "RAxis": 31, "TAxis": 40},
    statements=("Sinus rhythm", "Low voltage QRS in limb leads", "Otherwise normal ECG"),
)

if __name__ == "__main__":
    out = Path(sys.argv[1])
    source = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(
        __file__).resolve().parents[2] / "shared" / "data" / "ptb-xl" / "records500" / "00000" / "00001_hr"
    out.write_text(from_ptbxl(source, **FIXTURE_KWARGS), encoding="iso-8859-1")
    print(f"wrote {out}")
