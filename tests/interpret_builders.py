"""Hand-built `Measurements` for interpretation tests: a normal adult sinus ECG whose
fields a test overrides to sit exactly on (or next to) one threshold."""

from __future__ import annotations

from dataclasses import replace

from ecgchat_desktop.analysis.measurements import BeatFiducials, LeadAmplitudes, Measurements
from ecgchat_desktop.ecg import STANDARD_12_LEADS, Patient

# (r, s, t, p) in mV per lead: a normal adult pattern (R progression V1→V5, upright T except aVR/V1).
_NORMAL = {
    "I": (0.8, -0.1, 0.3, 0.08), "II": (1.0, -0.2, 0.35, 0.12), "III": (0.4, -0.3, 0.1, 0.05),
    "aVR": (0.1, -0.8, -0.3, -0.1), "aVL": (0.4, -0.3, 0.1, 0.03), "aVF": (0.7, -0.2, 0.2, 0.08),
    "V1": (0.2, -1.0, -0.1, 0.05), "V2": (0.4, -1.4, 0.5, 0.06), "V3": (0.8, -0.9, 0.5, 0.07),
    "V4": (1.4, -0.5, 0.5, 0.08), "V5": (1.5, -0.3, 0.4, 0.08), "V6": (1.2, -0.2, 0.3, 0.07),
}
FS = 500.0


def normal_leads() -> dict[str, LeadAmplitudes]:
    out = {}
    for ld, (r, s, t, p) in _NORMAL.items():
        out[ld] = LeadAmplitudes(
            p_mv=p, p_pos_mv=max(p, 0.0), r_mv=r, r_ms=40.0, s_mv=s, s_ms=20.0, qrs_pp_mv=r - s,
            r_peak_time_ms=30.0, notched_r=False, delta_wave=False, st_j_mv=0.0, st_j60_mv=0.05,
            st_slope="up", t_mv=t, t_pos_mv=max(t, 0.0), t_neg_mv=min(t, 0.0))
    return out


def regular_peaks(hr_bpm: float, seconds: float = 10.0) -> list[int]:
    step = 60.0 / hr_bpm * FS
    n = int(seconds * FS / step)
    return [int(round(200 + i * step)) for i in range(n)]


def beats_for(peaks: list[int], pr_ms: float | list[float] = 160.0) -> list[BeatFiducials]:
    prs = pr_ms if isinstance(pr_ms, list) else [pr_ms] * len(peaks)
    out = []
    for i, r in enumerate(peaks):
        qrs_on = r - 20
        out.append(BeatFiducials(r_peak=r, qrs_onset=qrs_on, p_onset=int(qrs_on - prs[i % len(prs)] * FS / 1000)))
    return out


def normal(hr_bpm: float = 72.0, **changes) -> Measurements:
    peaks = regular_peaks(hr_bpm)
    m = Measurements(
        hr_bpm=hr_bpm, rr_ms=60000.0 / hr_bpm, n_beats=len(peaks), n_dominant=len(peaks),
        atrial_rate_bpm=hr_bpm, p_wave_fraction=1.0, p_per_qrs=1.0,
        p_ms=100.0, pr_ms=160.0, qrs_ms=90.0, qt_ms=380.0,
        qtc_ms={"bazett": 410.0, "fridericia": 400.0, "framingham": 400.0, "hodges": 400.0},
        p_axis_deg=50.0, qrs_axis_deg=45.0, t_axis_deg=40.0,
        lead_amplitudes=normal_leads(), lead_quality={ld: "good" for ld in STANDARD_12_LEADS},
        r_peaks=peaks, beats=beats_for(peaks), sampling_rate_hz=FS,
    )
    return replace(m, **changes)


def set_lead(m: Measurements, lead: str, **changes) -> Measurements:
    m.lead_amplitudes[lead] = replace(m.lead_amplitudes[lead], **changes)
    return m


MAN_50 = Patient(sex="M", age_years=50)
MAN_30 = Patient(sex="M", age_years=30)
WOMAN_50 = Patient(sex="F", age_years=50)
UNKNOWN = Patient()
