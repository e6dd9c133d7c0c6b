"""Speed of the full measurement (measure()) against NeuroKit2, same process.

1. A 12-lead 10-s 500 Hz ECG (LUDB record 1): our full 12-lead analysis vs NeuroKit2
   ecg_process on ONE lead (II). Median of repeated runs; the ratio is what counts
   (target: ours at least 10x faster).
2. A 30-minute 2-lead MIT-BIH record (100, 360 Hz): seconds per minute of signal
   (target: well under one second per minute).

    nice -n 10 .venv/bin/python benchmarks/analysis_speed.py
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from analysis_common import DATA, load_wfdb

from ecgchat_desktop.analysis import measure


def timed(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return float(np.median(runs))


def main():
    import neurokit2 as nk

    ecg = load_wfdb(DATA / "ludb" / "data" / "1")
    lead_ii = ecg.signals_mv[ecg.lead_names.index("II")].astype(float)
    fs = int(ecg.sampling_rate_hz)

    def nk_run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nk.ecg_process(lead_ii, sampling_rate=fs)

    measure(ecg)  # warm caches (filter designs) once, like a running application
    nk_run()
    ours = timed(lambda: measure(ecg), 15)
    base = timed(nk_run, 15)
    long_ecg = load_wfdb(DATA / "mitdb" / "100")
    minutes = long_ecg.duration_s / 60.0
    t_long = timed(lambda: measure(long_ecg), 3)
    print("| task | ours | NeuroKit2 | ratio (NK2 / ours) | target |")
    print("|---|---|---|---|---|")
    print(f"| 12-lead 10 s 500 Hz (ours: 12 leads; NK2: lead II only) | {ours * 1000:.0f} ms | "
          f"{base * 1000:.0f} ms | {base / ours:.1f}x | >= 10x |")
    print(f"| MIT-BIH 100, {minutes:.0f} min, 2 leads, 360 Hz | {t_long:.2f} s "
          f"({t_long / minutes:.3f} s per minute) | — | — | well under 1 s/min |")


if __name__ == "__main__":
    main()
