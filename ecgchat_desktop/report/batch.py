"""Producing reports from files: one ECG, or every ECG of a folder (with a progress bar).

Used by `ecgchat report`; kept apart from argparse so that the GUI and the benchmark
call the same code. Each PDF is written atomically (temporary file, then rename), so an
interrupted run never leaves a half-written report behind.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator

from ecgchat_desktop.report.options import ReportOptions

# Files that belong to a WFDB record (or are obviously not ECGs) and are never reports' inputs.
_COMPANION_SUFFIXES = {".dat", ".atr", ".qrs", ".ecg", ".pu", ".pu0", ".pu1", ".q1c", ".q2c", ".man", ".json",
                       ".txt", ".md", ".pdf", ".png", ".jpg", ".py", ".gz", ".zip", ".csv"}


def iter_ecg_files(folder: Path) -> Iterator[Path]:
    """ECG files under `folder`, sorted: WFDB headers, and any other file the format
    sniffers recognise (DICOM, XML ...). Data files of a WFDB record are skipped.

    CSV files are skipped in folder mode: a folder of records usually also holds label
    tables (e.g. ptbxl_database.csv) that are not recordings; pass a CSV ECG explicitly.
    """
    from ecgchat_desktop.io import EcgReadError, detect_format

    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        suffix = path.suffix.lower()
        if suffix == ".hea":
            yield path
            continue
        if suffix in _COMPANION_SUFFIXES or path.with_suffix(".hea").exists():
            continue
        try:
            detect_format(path)
        except EcgReadError:
            continue
        yield path


@dataclass
class ReportResult:
    source: Path
    output: Path
    sha256: str
    n_pages: int
    record_id: int | None = None
    report_id: int | None = None
    narrative_source: str = "structured"


def atomic_write(path: Path, data: bytes) -> None:
    from ecgchat_desktop.io import EcgWriteError

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise EcgWriteError(path, f"cannot write the report ({exc.strerror or exc})") from None


class ReportProducer:
    """Reads, analyses, renders, writes and (optionally) stores reports, one ECG at a time.

    Holds what is expensive to open once per batch: the store connection and the
    language-model narrative drafter.
    """

    def __init__(self, options: ReportOptions, store=None, drafter=None, user: str | None = None,
                 warn: Callable[[str], None] | None = None, stored_transcript: bool = False):
        self.options = options
        self.store = store
        self.drafter = drafter
        self.user = user
        self.stored_transcript = stored_transcript
        self.last_timings: dict[str, float] = {}
        self.warn = warn or (lambda msg: print(f"ecgchat: warning: {msg}", file=sys.stderr))

    def produce(self, source: Path, output: Path) -> ReportResult:
        import hashlib

        from ecgchat_desktop.findings import analyze_ecg
        from ecgchat_desktop.io import read_ecg
        from ecgchat_desktop.report.render import render_report

        clock = time.perf_counter
        t0 = clock()
        ecg = read_ecg(source)
        findings = analyze_ecg(ecg)
        t1 = clock()
        options = self.options if self.options.record_label else replace(self.options, record_label=source.name)
        record_id = confirmation = confirmation_id = None
        if self.store is not None:
            record_id, _ = self.store.add_ecg(ecg, findings=findings, source_path=str(source), user=self.user)
            confirmation, confirmation_id, findings = self._confirmed(record_id, findings)
        narrative = None
        if self.drafter is not None:
            try:
                narrative = self.drafter(ecg, findings, options)
            except Exception as exc:  # the model failing must not cost the report: print the findings
                self.warn(f"{source.name}: the language-model narrative failed ({type(exc).__name__}: {exc}); "
                          "page 2 gives the structured findings")
        transcript = None
        if self.store is not None and self.stored_transcript:
            transcript = latest_transcript(self.store, record_id)
        t2 = clock()
        pdf = render_report(ecg, findings, options, narrative=narrative, confirmation=confirmation,
                            transcript=transcript)
        t3 = clock()
        atomic_write(output, pdf)
        report_id = None
        if self.store is not None:
            report_id = self.store.add_report(record_id, pdf, created_by=self.user, confirmation_id=confirmation_id)
        t4 = clock()
        # Where the time goes (benchmarks/report_batch.py prints it; the GUI may show it).
        self.last_timings = {"read_analyse_s": t1 - t0, "store_narrative_s": t2 - t1, "render_s": t3 - t2,
                             "write_store_s": t4 - t3}
        return ReportResult(source, output, hashlib.sha256(pdf).hexdigest(), _count_pages(pdf), record_id,
                            report_id, narrative.source if narrative is not None else "structured")

    def _confirmed(self, record_id, findings):
        """A physician's confirmation in the store replaces the program's statements on the print."""
        from ecgchat_desktop.report.options import Confirmation

        view = self.store.latest_confirmation(record_id)
        if view is None:
            return None, None, findings
        confirmed = replace(findings, statements=list(view.statements),
                            critical=any(s.critical for s in view.statements))
        return (Confirmation(view.confirmed_by, view.confirmed_at, statements_confirmed=True,
                             narrative_confirmed=False, comment=view.note), view.id, confirmed)


def latest_transcript(store, record_id: int):
    """The newest stored chat about this ECG as transcript messages (None when there is none)."""
    from ecgchat_desktop.report.options import TranscriptMessage

    chats = store.chats_for_ecg(record_id)
    if not chats:
        return None
    chat = store.chat_with_messages(chats[0].id)
    return [TranscriptMessage(m.role, m.text, m.created_at) for m in chat.messages if m.role != "system"] or None


def render_and_store(ecg, findings, options: ReportOptions, *, store=None, record_id: int | None = None,
                     user: str | None = None, narrative=None, transcript=None, confirmation=None,
                     confirmation_id: int | None = None) -> tuple[bytes, int | None]:
    """For the GUI: render the report of an ECG already open (and analysed), and store it
    with its sha256 and author when a store and the ECG's record id are given.
    Returns (pdf_bytes, report_id or None)."""
    from ecgchat_desktop.report.render import render_report

    pdf = render_report(ecg, findings, options, narrative=narrative, transcript=transcript,
                        confirmation=confirmation)
    report_id = None
    if store is not None and record_id is not None:
        report_id = store.add_report(record_id, pdf, created_by=user or options.created_by or "unknown",
                                     confirmation_id=confirmation_id)
    return pdf, report_id


def _count_pages(pdf: bytes) -> int:
    # Cheap count without parsing: one "/Type /Page" object per page ("/Pages" excluded).
    import re

    return len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", pdf))


class ProgressBar:
    """A one-line text progress bar on stderr: [#####.....] 37/100  2.4 reports/s  name."""

    def __init__(self, total: int, stream=None, width: int = 30):
        self.total = max(total, 1)
        self.stream = stream or sys.stderr
        self.width = width
        self.start = time.perf_counter()
        self.done = 0

    def update(self, done: int, label: str = "") -> None:
        self.done = done
        frac = done / self.total
        filled = int(round(frac * self.width))
        elapsed = time.perf_counter() - self.start
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - done) / rate if rate > 0 else 0.0
        line = (f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done}/{self.total} "
                f"{rate:.1f}/s eta {eta:.0f}s {label[:40]:<40}")
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()
