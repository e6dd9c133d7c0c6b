"""`ecgchat gui [PATH...]` (and a bare `ecgchat`): the workstation window.

Qt is imported only when this command runs, so the other commands stay fast."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("gui", help="open the workstation window (optionally with ECG files)")
    p.add_argument("paths", nargs="*", help="ECG files to open")
    p.add_argument("--theme", choices=("light", "dark"), help="colour theme (remembered)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ecgchat_desktop.ui.app import run_gui

    return run_gui(list(args.paths), theme=args.theme)
