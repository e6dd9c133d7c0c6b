"""The `ecgchat` command. Each sub-command is a module of this package with
`register(subparsers)`; it sets `func(args) -> int` as its handler.

Error contract (scripted against): exit 0 on success; a file that cannot be read
gives exit 2 and ONE line on stderr naming the file and the problem, no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

_COMMAND_MODULES = ("info", "convert", "analyze", "import_cmd", "ask", "report", "gui")
_COMMAND_NAMES = ("info", "convert", "analyze", "import", "ask", "report", "gui")


def build_parser(only: tuple[str, ...] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ecgchat",
        description="ECG-Chat Desktop: offline ECG reading, measurement, interpretation, chat and reports.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        if only is not None and name not in only:
            continue
        full = f"ecgchat_desktop.cli.{name}"
        try:
            module = importlib.import_module(full)
        except ModuleNotFoundError as exc:
            if exc.name != full:  # only a command not part of this build may be absent
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from ecgchat_desktop.io.errors import EcgReadError, EcgWriteError

    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] not in _COMMAND_NAMES and not argv[0].startswith("-") and os.path.exists(argv[0]):
        argv = ["gui", *argv]  # `ecgchat FILE...` opens the files in the window
    # `ecgchat` and `ecgchat gui ...` register only the gui command: the window must appear
    # fast, and other commands' modules may import heavy packages when they register.
    parser = build_parser(("gui",) if not argv or argv[0] == "gui" else None)
    args = parser.parse_args(argv)
    if args.command is None:
        if "gui" in parser._subparsers._group_actions[0].choices:  # bare `ecgchat` opens the window
            args = parser.parse_args(["gui", *(argv or [])])
        else:
            parser.print_help()
            return 0
    try:
        return int(args.func(args) or 0)
    except (EcgReadError, EcgWriteError) as exc:
        print(f"ecgchat: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ecgchat: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
