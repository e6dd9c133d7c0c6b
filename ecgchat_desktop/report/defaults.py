"""Report defaults from the workstation's settings file (written by the GUI's Preferences,
a QSettings INI file), read here with configparser so that the CLI needs no Qt."""

from __future__ import annotations

import configparser

from ecgchat_desktop.report.options import PAPER_SIZES_MM


def workstation_settings() -> dict[str, str]:
    """Raw 'section/key' -> value pairs of <user data>/workstation.ini ({} when absent/unreadable)."""
    from ecgchat_desktop.settings import user_data_dir

    path = user_data_dir() / "workstation.ini"
    parser = configparser.ConfigParser(interpolation=None)
    try:
        if not parser.read(path, encoding="utf-8"):
            return {}
    except (configparser.Error, OSError, UnicodeDecodeError):
        return {}  # a damaged settings file must not stop printing
    return {f"{section}/{key}": value for section in parser.sections() for key, value in parser[section].items()}


def default_paper() -> str:
    """The paper size chosen in the workstation settings ('a4' or 'letter'), else 'a4'."""
    value = workstation_settings().get("report/paper_size", "a4").strip().strip('"').lower()
    return value if value in PAPER_SIZES_MM else "a4"


def default_user() -> str | None:
    value = workstation_settings().get("user/name", "").strip().strip('"')
    return value or None
