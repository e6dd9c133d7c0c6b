"""`ecgchat report PATH -o OUT.pdf`: the formatted ECG report as a PDF.

PATH may be a folder: one PDF per ECG into the output folder (subfolders mirrored),
with a progress bar on stderr. Files that cannot be read are reported one line each
and skipped; the exit status is then 2.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path


def register(sub) -> None:
    from ecgchat_desktop.report.options import PAPER_SIZES_MM
    from ecgchat_desktop.report.paper import LAYOUTS

    p = sub.add_parser("report", help="print the formatted ECG report (PDF): tracing, measurements, narrative")
    p.add_argument("path", help="ECG file, or a folder of ECG files (batch)")
    p.add_argument("-o", "--output", required=True,
                   help="output PDF (or output folder when PATH is a folder)")
    p.add_argument("--layout", choices=LAYOUTS, default="3x4+1", help="lead layout (default 3x4+1)")
    p.add_argument("--speed", type=float, choices=(25.0, 50.0), default=25.0, help="paper speed in mm/s")
    p.add_argument("--gain", type=float, choices=(5.0, 10.0, 20.0), default=10.0, help="gain in mm/mV")
    p.add_argument("--paper", choices=tuple(PAPER_SIZES_MM), default=None,
                   help="paper size, landscape (default: the workstation setting, else a4)")
    p.add_argument("--half-gain-chest", action="store_true", help="print V1–V6 at half gain (marked on the print)")
    p.add_argument("--no-llm", action="store_true",
                   help="page 2 from the structured findings only, no language model")
    p.add_argument("--model", default=None, help="GGUF model for the narrative (default: the embedded one)")
    p.add_argument("--deidentify", action="store_true",
                   help="remove names and identifiers everywhere (text, metadata); dates reduced to the year")
    p.add_argument("--db", default=None, help="database URL or SQLite path to store the report in "
                   "(default: the workstation database)")
    p.add_argument("--no-store", action="store_true", help="do not store the report in the database")
    p.add_argument("--transcript", action="store_true",
                   help="append the newest stored chat about this ECG (from the database) as an appendix")
    p.add_argument("--user", default=None,
                   help="who produces the report (default: the workstation's user name, else the login name)")
    p.add_argument("--referring", default=None, help="referring physician (printed in the header)")
    p.add_argument("--reading", default=None, help="reading physician (printed in the header)")
    p.add_argument("--context", default=None, help="indication / clinical history to print")
    p.set_defaults(func=run)


def _options(args):
    from ecgchat_desktop.report.defaults import default_paper
    from ecgchat_desktop.report.options import ReportOptions

    paper = args.paper or default_paper()
    return ReportOptions(layout=args.layout, speed_mm_s=args.speed, gain_mm_mv=args.gain, paper=paper,
                         chest_half_gain=args.half_gain_chest, use_llm=not args.no_llm,
                         deidentify=args.deidentify, referring_physician=args.referring,
                         reading_physician=args.reading, clinical_context=args.context,
                         created_by=args.user)


def _open_store(args):
    if args.no_store:
        return None
    from ecgchat_desktop.store import open_store

    return open_store(args.db)


def _user(args) -> str:
    from ecgchat_desktop.report.defaults import default_user

    if args.user:
        return args.user
    if default_user():
        return default_user()
    import getpass

    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def run(args) -> int:
    from ecgchat_desktop.io import EcgReadError, EcgWriteError
    from ecgchat_desktop.report.batch import ProgressBar, ReportProducer, iter_ecg_files
    from ecgchat_desktop.report.narrative import NarrativeUnavailable, make_drafter
    from ecgchat_desktop.report.paper import PaperSettingsError

    source = Path(args.path)
    output = Path(args.output)
    if not source.exists():
        raise EcgReadError(source, "file does not exist")
    try:
        options = _options(args)
    except PaperSettingsError as exc:
        print(f"ecgchat: error: {exc}", file=sys.stderr)
        return 2
    user = _user(args)
    options = replace(options, created_by=user)

    drafter = None
    if not args.no_llm:
        try:
            drafter = make_drafter(args.model)
        except NarrativeUnavailable as exc:
            print(f"ecgchat: warning: {exc}; page 2 gives the structured findings (as with --no-llm)",
                  file=sys.stderr)
    from ecgchat_desktop.store.errors import StoreError

    from sqlalchemy.exc import SQLAlchemyError

    try:
        store = _open_store(args)
    except StoreError as exc:  # messages name the database, never its password
        print(f"ecgchat: error: database: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:  # e.g. the file is not a database; the URL is not printed
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        print(f"ecgchat: error: database: cannot be opened ({reason})", file=sys.stderr)
        return 2
    producer = ReportProducer(options, store=store, drafter=drafter, user=user,
                              stored_transcript=args.transcript)
    try:
        if source.is_dir():
            return _run_batch(producer, source, output, iter_ecg_files, ProgressBar, EcgReadError, EcgWriteError)
        if output.exists() and output.is_dir():
            output = output / (source.stem + ".pdf")
        try:
            result = producer.produce(source, output)
        except (EcgReadError, EcgWriteError):
            raise
        except Exception as exc:  # one line naming the file, as for unreadable files (nothing was written)
            print(f"ecgchat: error: {source}: report failed ({type(exc).__name__}: {exc})", file=sys.stderr)
            return 2
        print(f"{result.output}  {result.n_pages} pages  sha256 {result.sha256}"
              + (f"  stored as report {result.report_id}" if result.report_id is not None else ""))
        return 0
    finally:
        if store is not None:
            store.close()


def _run_batch(producer, source: Path, output: Path, iter_ecg_files, ProgressBar, EcgReadError,
               EcgWriteError) -> int:
    if output.exists() and not output.is_dir():
        print(f"ecgchat: error: {output}: PATH is a folder, so -o must be a folder", file=sys.stderr)
        return 2
    files = list(iter_ecg_files(source))
    if not files:
        print(f"ecgchat: error: {source}: no ECG files found in this folder", file=sys.stderr)
        return 2
    bar = ProgressBar(len(files))
    failures = 0
    pages = 0
    for i, path in enumerate(files):
        target = output / path.relative_to(source).with_suffix(".pdf")
        try:
            pages += producer.produce(path, target).n_pages
        except (EcgReadError, EcgWriteError) as exc:
            failures += 1
            sys.stderr.write("\n")
            print(f"ecgchat: error: {exc}", file=sys.stderr)
        except Exception as exc:  # one recording that breaks analysis or drawing must not stop the batch
            failures += 1
            sys.stderr.write("\n")
            print(f"ecgchat: error: {path}: report failed ({type(exc).__name__}: {exc})", file=sys.stderr)
        bar.update(i + 1, path.name)
    bar.close()
    print(f"{len(files) - failures} reports ({pages} pages) written to {output}"
          + (f"; {failures} file(s) failed (listed above)" if failures else ""))
    return 2 if failures else 0
