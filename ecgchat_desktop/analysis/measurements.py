"""`Measurements`: everything the analysis produces about one ECG.

This is the contract read by `interpret`, `chat`, `report`, `store` and `ui`.
Fields may be added; existing names and units must not change. Every number
carries its unit in its name. None means "could not be measured / absent"
(a P wave in atrial fibrillation is absent, never invented).

Sample indices refer to the ORIGINAL recording's sampling rate unless the
field says otherwise (median-beat fiducials index the median beat array).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

QTC_FORMULAS: tuple[str, ...] = ("bazett", "fridericia", "framingham", "hodges")

LEAD_QUALITY_VALUES = ("good", "noisy", "flat", "saturated", "lead_off")


@dataclass
class BeatFiducials:
    """One beat in the recording (sample indices into the original signal)."""

    r_peak: int
    beat_class: str = "dominant"  # "dominant" | "ventricular_ectopic" | "supraventricular_ectopic" | "paced" | "unknown"
    premature: bool = False
    qrs_onset: int | None = None
    qrs_offset: int | None = None
    p_onset: int | None = None
    p_peak: int | None = None
    p_offset: int | None = None
    t_peak: int | None = None
    t_offset: int | None = None
    rr_prev_ms: float | None = None


@dataclass
class MedianBeat:
    """Representative beat per lead, built from dominant beats only."""

    signals_mv: list[list[float]]  # [n_leads][n_samples]; lists so that Findings serialise to JSON
    sampling_rate_hz: float
    lead_names: list[str]
    r_index: int  # sample of the fiducial R peak inside the median beat
    n_beats_used: int
    # Global fiducials (CSE convention: earliest onset / latest offset over all leads),
    # as sample indices into the median beat.
    p_onset: int | None = None
    p_offset: int | None = None
    qrs_onset: int | None = None
    qrs_offset: int | None = None
    t_peak: int | None = None
    t_offset: int | None = None


@dataclass
class LeadAmplitudes:
    """Per-lead measurements on that lead's median beat. Amplitudes in mV relative to the
    PR-segment (isoelectric) baseline; negative deflections are negative numbers."""

    p_mv: float | None = None          # largest P deflection (signed)
    p_pos_mv: float | None = None      # positive P phase
    p_neg_mv: float | None = None      # negative P phase (e.g. terminal P in V1)
    p_neg_ms: float | None = None      # duration of the negative P phase
    q_mv: float | None = None          # <= 0; None when no Q wave
    q_ms: float | None = None
    r_mv: float | None = None          # >= 0
    r_ms: float | None = None
    s_mv: float | None = None          # <= 0
    s_ms: float | None = None
    r_prime_mv: float | None = None    # second positive wave inside the QRS (rSR')
    s_prime_mv: float | None = None
    qrs_pp_mv: float | None = None     # peak-to-peak QRS amplitude
    qrs_area_mv_ms: float | None = None  # net QRS area (used for the axis)
    r_peak_time_ms: float | None = None  # ventricular activation time (QRS onset to R peak)
    notched_r: bool | None = None
    delta_wave: bool | None = None     # slurred initial QRS upstroke
    st_j_mv: float | None = None       # ST level at the J point
    st_j60_mv: float | None = None     # ST level 60 ms after J
    st_slope: str | None = None        # "up" | "flat" | "down"
    t_mv: float | None = None          # dominant T deflection (signed)
    t_pos_mv: float | None = None
    t_neg_mv: float | None = None
    # Added for interpretation (optional; None until the analysis fills it). At the end so that
    # positional construction keeps working.
    p_ms: float | None = None          # P duration in this lead alone (LAE: ≥ 120 ms in lead II)


@dataclass
class Measurements:
    # Rhythm and rate
    hr_bpm: float | None = None            # ventricular rate
    rr_ms: float | None = None             # mean RR of the whole recording
    rr_sd_ms: float | None = None
    rr_min_ms: float | None = None
    rr_max_ms: float | None = None
    rmssd_ms: float | None = None
    rr_irregularity: float | None = None   # dimensionless; see analysis docs
    atrial_rate_bpm: float | None = None
    n_beats: int = 0
    n_dominant: int = 0
    n_ventricular_ectopic: int = 0
    n_supraventricular_ectopic: int = 0
    n_paced: int = 0
    pacing_spikes: list[int] = field(default_factory=list)
    p_wave_fraction: float | None = None   # fraction of dominant beats with a detected P wave
    p_per_qrs: float | None = None         # atrial events per ventricular event (AV block)
    # Atrial activity after QRST cancellation (analysis/flutter.py): the spectral peak at
    # 204–372/min and the share of residual power in it (high in flutter, low in AF/sinus).
    atrial_spectral_rate_bpm: float | None = None
    atrial_organisation: float | None = None
    # Median correlation of each beat's 240–20 ms pre-QRS window with the other beats' mean
    # (analysis/atrial.py): high when a P wave repeats before every QRS, low in AF.
    atrial_pre_qrs_coherence: float | None = None
    # Global intervals (ms), from the median beat over all leads
    p_ms: float | None = None
    pr_ms: float | None = None
    qrs_ms: float | None = None
    qt_ms: float | None = None
    qtc_ms: dict[str, float | None] = field(default_factory=lambda: {k: None for k in QTC_FORMULAS})
    # Frontal axes (degrees, -180..180)
    p_axis_deg: float | None = None
    qrs_axis_deg: float | None = None
    t_axis_deg: float | None = None
    # Per lead
    lead_amplitudes: dict[str, LeadAmplitudes] = field(default_factory=dict)
    lead_quality: dict[str, str] = field(default_factory=dict)
    # Beats and median
    r_peaks: list[int] = field(default_factory=list)
    beats: list[BeatFiducials] = field(default_factory=list)
    median: MedianBeat | None = None
    sampling_rate_hz: float | None = None
    analysis_notes: list[str] = field(default_factory=list)  # e.g. "lead V3 flat: excluded"

    def to_dict(self, include_beats: bool = True, include_median: bool = True) -> dict:
        data = asdict(self)
        if not include_beats:
            data.pop("beats")
        if not include_median:
            data.pop("median")
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Measurements":
        data = dict(data)
        data["lead_amplitudes"] = {k: LeadAmplitudes(**v) for k, v in data.get("lead_amplitudes", {}).items()}
        data["beats"] = [BeatFiducials(**b) for b in data.get("beats", [])]
        if data.get("median") is not None:
            data["median"] = MedianBeat(**data["median"])
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})
