"""CSV: a time column (seconds) and one column per lead in millivolts, with a header row.

    time_s,I,II,III,...
    0.000000000,-0.115000,-0.050000,...

The sampling rate is derivable from the time column; missing samples are empty
cells. Patient data is not written (a CSV has no place for it and travels easily).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from ecgchat_desktop.io.atomic_write import commit, staging
from ecgchat_desktop.io.errors import EcgWriteError

TIME_COLUMN = "time_s"


def write(ecg, path: str | Path) -> Path:
    path = Path(path)
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow([TIME_COLUMN, *ecg.lead_names])
    time_s = np.arange(ecg.n_samples, dtype=np.float64) / ecg.sampling_rate_hz
    table = np.column_stack([time_s, ecg.signals_mv.T.astype(np.float64)])
    with staging(path) as tmp:
        staged = tmp / path.name
        with open(staged, "w", encoding="utf-8", newline="") as fh:
            fh.write(header.getvalue())
            body = io.StringIO()
            np.savetxt(body, table, fmt=["%.9f"] + ["%.6f"] * ecg.n_leads, delimiter=",")
            # NaN (a sample the device did not record) becomes an empty cell
            fh.write(body.getvalue().replace("nan", ""))
        commit(staged, path, path)
    if not path.is_file():
        raise EcgWriteError(path, "was not written")
    return path
