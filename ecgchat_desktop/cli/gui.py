"""`ecgchat gui [PATH...]` (and a bare `ecgchat`): the workstation window.

Qt is imported only when this command runs, so the other commands stay fast."""

from __future__ import annotations

import argparse


def register(sub) -> None:
    p = sub.add_parser("gui", help="open the workstation window (optionally with ECG files)")
    p.add_argument("paths", nargs="*", help="ECG files to open")
    p.add_argument("--theme", choices=("light", "dark"), help="colour theme (remembered)")
    # For smoke tests and benchmarks: close the window this long after the last file is shown.
    p.add_argument("--quit-after-ms", type=int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def run(args) -> int:
    import os
    import sys

    if (sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM")
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")):
        # Qt would abort with a long plugin message; say what is missing instead.
        print("ecgchat gui: error: no display (DISPLAY/WAYLAND_DISPLAY unset); run it on a desktop "
              "or under xvfb-run", file=sys.stderr)
        return 1
    from ecgchat_desktop.ui.app import run_gui

    return run_gui(list(args.paths), theme=args.theme, quit_after_ms=args.quit_after_ms)
