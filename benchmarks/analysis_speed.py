"""Speed of the full measurement (measure()) against NeuroKit2, same process.

1. A 12-lead 10-s 500 Hz ECG (LUDB record 1): our full 12-lead analysis vs NeuroKit2
   ecg_process on ONE lead (II). The two are run alternately (ours, NK2, ours, NK2, ...)
   so that a change in the machine's load hits both alike; medians of wall-clock and
   of process CPU time. The ratio is what counts (target: ours at least 10x faster).
2. A 30-minute 2-lead MIT-BIH record (100, 360 Hz): seconds per minute of signal
   (target: well under one second per minute).
3. With --stages: where measure() spends its CPU time on the 10-s ECG (top-level steps,
   each timed where the engine calls it; the rest is the engine's own code).

    nice -n 10 .venv/bin/python benchmarks/analysis_speed.py [--repeat 25] [--stages]
"""

from __future__ import annotations

import argparse
import collections
import time
import warnings

import numpy as np

from analysis_common import DATA, load_wfdb

from ecgchat_desktop.analysis import engine, measure


def _run(fn) -> tuple[float, float]:
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def stage_profile(ecg, repeat: int) -> list[tuple[str, float]]:
    """CPU ms per call of each step the engine calls (module.function), plus the rest."""
    spent = collections.defaultdict(float)
    depth = [0]
    originals = []

    def wrap(owner, name, label):
        fn = getattr(owner, name)
        originals.append((owner, name, fn))

        def timed(*args, **kwargs):
            if depth[0]:
                return fn(*args, **kwargs)
            depth[0] += 1
            c0 = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label] += time.process_time() - c0
                depth[0] -= 1
        setattr(owner, name, timed)

    steps = {
        "pacing": ("detect_spikes", "detect_candidates", "confirm", "confirm_spikes"),
        "preprocess": ("resample", "clean", "spline_baseline"),
        "qrs_detect": ("qrs_band", "qrs_energy", "detect", "refine_to_extremum"),
        "quality": ("assess_all",), "beat_classify": ("classify", "likely_noise"),
        "median_beat": ("build", "align"), "delineate": ("qrs_bounds", "delineate"),
        "flutter": ("atrial_spectrum",), "atrial": ("extra_p_counts", "pre_qrs_coherence"),
        "amp_mod": ("all_lead_amplitudes",), "axes": ("frontal_axis_deg",), "rhythm": ("rr_statistics",),
    }
    for mod_attr, names in steps.items():
        owner = getattr(engine, mod_attr, None)
        for name in names:
            if owner is not None and hasattr(owner, name):
                label = f"{owner.__name__.rsplit('.', 1)[-1]}.{name}"
                wrap(owner, name, label)
    wrap(engine, "_lag_match", "engine._lag_match")
    try:
        measure(ecg)
        spent.clear()
        total = 0.0
        for _ in range(repeat):
            total += _run(lambda: measure(ecg))[1]
    finally:
        for owner, name, fn in reversed(originals):
            setattr(owner, name, fn)
    rows = sorted(((k, v / repeat * 1000.0) for k, v in spent.items()), key=lambda kv: -kv[1])
    rows.append(("(engine's own code)", (total - sum(spent.values())) / repeat * 1000.0))
    rows.append(("total", total / repeat * 1000.0))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=25)
    ap.add_argument("--stages", action="store_true")
    args = ap.parse_args()
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
    ours, base = [], []
    for _ in range(args.repeat):
        ours.append(_run(lambda: measure(ecg)))
        base.append(_run(nk_run))
    ow, oc = np.median(ours, axis=0)
    bw, bc = np.median(base, axis=0)
    long_ecg = load_wfdb(DATA / "mitdb" / "100")
    minutes = long_ecg.duration_s / 60.0
    t_long = float(np.median([_run(lambda: measure(long_ecg))[0] for _ in range(3)]))
    print(f"{args.repeat} alternating runs each; medians.\n")
    print("| task | clock | ours | NeuroKit2 | ratio (NK2 / ours) | target |")
    print("|---|---|---|---|---|---|")
    print(f"| 12-lead 10 s 500 Hz (ours: 12 leads; NK2: lead II only) | wall | {ow * 1000:.1f} ms | "
          f"{bw * 1000:.1f} ms | {bw / ow:.1f}x | >= 10x |")
    print(f"| same | CPU | {oc * 1000:.1f} ms | {bc * 1000:.1f} ms | {bc / oc:.1f}x | >= 10x |")
    print(f"| MIT-BIH 100, {minutes:.0f} min, 2 leads, 360 Hz | wall | {t_long:.2f} s "
          f"({t_long / minutes:.3f} s per minute) | — | — | well under 1 s/min |")
    if args.stages:
        print("\nCPU time per step of measure() on the 10-s 12-lead ECG (ms per call):\n")
        print("| step | ms |")
        print("|---|---:|")
        for name, ms in stage_profile(ecg, args.repeat):
            print(f"| {name} | {ms:.2f} |")


if __name__ == "__main__":
    main()
