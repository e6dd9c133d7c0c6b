"""Locations the program uses. One place, so nothing else hard-codes a path."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
RESOURCES_DIR = PROJECT_DIR / "resources"
MODELS_DIR = PROJECT_DIR / "models"
SAMPLES_DIR = RESOURCES_DIR / "samples"


def shared_data_dir() -> Path:
    """The shared real-ECG data (development, tests, benchmarks only).

    Set by ECGCHAT_DATA; defaults to ../shared/data beside the project.
    """
    env = os.environ.get("ECGCHAT_DATA")
    if env:
        return Path(env).expanduser().resolve()
    return (PROJECT_DIR.parent / "shared" / "data").resolve()


def user_data_dir() -> Path:
    """Per-user data folder (database, user models). ECGCHAT_HOME overrides it (tests)."""
    env = os.environ.get("ECGCHAT_HOME")
    if env:
        path = Path(env).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir("ecgchat-desktop", "ecgchat"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def user_models_dir() -> Path:
    path = user_data_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path
