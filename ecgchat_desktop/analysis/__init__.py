"""Measurement engine (numpy/scipy only): preprocessing, QRS detection, delineation,
median beats and global measurements. Entry point: `measure(ecg) -> Measurements`."""

from ecgchat_desktop.analysis.engine import measure
from ecgchat_desktop.analysis.measurements import (
    BeatFiducials,
    LeadAmplitudes,
    Measurements,
    MedianBeat,
)

__all__ = ["measure", "Measurements", "BeatFiducials", "LeadAmplitudes", "MedianBeat"]
