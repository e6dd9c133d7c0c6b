"""Persisted user settings of the workstation (QSettings in an INI file in the user data
folder, so ECGCHAT_HOME isolates them in tests and a portable install keeps them beside
its database)."""

from __future__ import annotations

import getpass
from pathlib import Path

from PySide6.QtCore import QSettings

from ecgchat_desktop import settings as app_settings

MAX_RECENT = 10

DEFAULTS: dict[str, object] = {
    "view/layout": "3x4+1",
    "view/speed_mm_s": 25.0,
    "view/gain_mm_mv": 10.0,
    "view/chest_half_gain": False,
    "view/theme": "light",
    "view/highpass_hz": 0.5,
    "view/lowpass_hz": 40.0,
    "view/notch_hz": 0.0,
    "view/fiducials": False,
    "model/path": "",          # empty: the embedded default GGUF
    "model/n_ctx": 4096,
    "model/n_threads": 0,      # 0: let llama.cpp choose
    "model/n_gpu_layers": -1,  # all layers when the llama.cpp build can offload (CPU builds ignore it)
    "encoder/device": "auto",  # auto | cpu | cuda
    "store/url": "",           # empty: the default SQLite file in the user data folder
    "report/paper_size": "A4",
    "report/deidentify": False,
    "user/name": "",
}

_BOOL_KEYS = {k for k, v in DEFAULTS.items() if isinstance(v, bool)}
_FLOAT_KEYS = {k for k, v in DEFAULTS.items() if isinstance(v, float)}
_INT_KEYS = {k for k, v in DEFAULTS.items() if isinstance(v, int) and not isinstance(v, bool)}


def settings_file() -> Path:
    return app_settings.user_data_dir() / "workstation.ini"


class Preferences:
    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path else settings_file()
        self.qs = QSettings(str(self.path), QSettings.IniFormat)

    def get(self, key: str):
        default = DEFAULTS.get(key)
        value = self.qs.value(key, default)
        if value is None:
            return default
        try:
            if key in _BOOL_KEYS:
                return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
            if key in _FLOAT_KEYS:
                return float(value)
            if key in _INT_KEYS:
                return int(value)
        except (TypeError, ValueError):
            return default
        return value

    def set(self, key: str, value) -> None:
        self.qs.setValue(key, value)

    def sync(self) -> None:
        self.qs.sync()

    def user_name(self) -> str:
        name = str(self.get("user/name") or "").strip()
        if name:
            return name
        try:
            return getpass.getuser()
        except Exception:  # no login name in some containers
            return "physician"

    # recent files --------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self.qs.value("files/recent", [])
        if isinstance(value, str):
            value = [value] if value else []
        return [str(v) for v in (value or [])]

    def add_recent(self, path: str) -> list[str]:
        path = str(Path(path).resolve())
        items = [p for p in self.recent_files() if p != path]
        items.insert(0, path)
        items = items[:MAX_RECENT]
        self.qs.setValue("files/recent", items)
        return items
