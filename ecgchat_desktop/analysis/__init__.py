"""Measurement engine (numpy/scipy only): preprocessing, QRS detection, delineation,
median beats and global measurements. Entry point: `measure(ecg) -> Measurements`."""
