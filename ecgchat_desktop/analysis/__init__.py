"""Measurement engine (numpy/scipy only): preprocessing, QRS detection, delineation,
median beats and global measurements. Entry point: `measure(ecg) -> Measurements`."""

# The data classes load eagerly (light); `measure` and the scipy-based pipeline on first use,
# so that reading stored Findings (store, report, window) does not import scipy.
from ecgchat_desktop.analysis.measurements import (
    BeatFiducials,
    LeadAmplitudes,
    Measurements,
    MedianBeat,
)

__all__ = ["measure", "Measurements", "BeatFiducials", "LeadAmplitudes", "MedianBeat"]


def __getattr__(name: str):
    if name == "measure":
        from ecgchat_desktop.analysis.engine import measure

        return measure
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
