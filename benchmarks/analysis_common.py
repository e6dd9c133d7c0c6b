"""Shared helpers of the measurement-engine benchmarks (loading, NeuroKit2, matching)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ecgchat_desktop.ecg import Ecg, canonical_lead_name  # noqa: E402
from ecgchat_desktop.settings import shared_data_dir  # noqa: E402

DATA = shared_data_dir()


def load_wfdb(path: Path | str) -> Ecg:
    """A WFDB record as an Ecg (the project's reader when it handles it, else wfdb directly)."""
    try:
        from ecgchat_desktop.io import read_ecg

        return read_ecg(str(path) + ".hea")
    except Exception:  # reader missing or not yet handling this record
        import wfdb

        rec = wfdb.rdrecord(str(path))
        x = rec.p_signal.T.astype(np.float32)
        for i, unit in enumerate(rec.units):
            if unit.lower() in ("uv", "µv"):
                x[i] /= 1000.0
        return Ecg(signals_mv=x, sampling_rate_hz=rec.fs,
                   lead_names=[canonical_lead_name(n) for n in rec.sig_name], source_path=str(path))


def nk_delineate(x: np.ndarray, fs: float) -> dict[str, np.ndarray] | None:
    """NeuroKit2 ecg_process on one lead, as the ECG-Chat paper uses it: per-beat arrays
    (NaN where NeuroKit2 gave nothing) keyed like our fiducials. None if it fails."""
    import neurokit2 as nk

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            _, info = nk.ecg_process(np.asarray(x, dtype=float), sampling_rate=int(round(fs)))
        except Exception:
            return None
    r = np.asarray(info["ECG_R_Peaks"], dtype=float)

    def arr(key):
        v = np.asarray(info.get(key, [np.nan] * r.size), dtype=float)
        return v if v.size == r.size else np.full(r.size, np.nan)

    return {
        "r_peak": r,
        "p_onset": arr("ECG_P_Onsets"), "p_offset": arr("ECG_P_Offsets"),
        "qrs_onset": arr("ECG_R_Onsets"), "qrs_offset": arr("ECG_R_Offsets"),
        "t_peak": arr("ECG_T_Peaks"), "t_offset": arr("ECG_T_Offsets"),
    }


def ours_per_beat(m) -> dict[str, np.ndarray]:
    keys = ("r_peak", "p_onset", "p_offset", "qrs_onset", "qrs_offset", "t_peak", "t_offset")
    return {k: np.array([np.nan if getattr(b, k) is None else getattr(b, k) for b in m.beats], dtype=float)
            for k in keys}


def match(ref_r: np.ndarray, det_r: np.ndarray, tol: float) -> np.ndarray:
    """For each reference beat the index of the nearest detected beat within tol, else -1."""
    out = np.full(ref_r.size, -1)
    if det_r.size == 0:
        return out
    j = np.searchsorted(det_r, ref_r)
    for k, s in enumerate(ref_r):
        best, bd = -1, tol
        for jj in (j[k] - 1, j[k]):
            if 0 <= jj < det_r.size and abs(det_r[jj] - s) <= bd:
                best, bd = jj, abs(det_r[jj] - s)
        out[k] = best
    return out


def fmt(v, nd=1):
    return "—" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:.{nd}f}"
