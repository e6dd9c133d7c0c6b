"""Evaluated prompt prefixes kept on disk, so that a new process asking about an ECG it
has seen before starts from them (`ecgchat ask` twice on one file).

Cold, a question costs the prompt evaluation of the findings and passages (~700 tokens,
about 2 s on this 2-core machine, far more when the machine is busy); reading those model
cells back from disk costs a fraction of that. Keyed by the model file, the context size
and the exact prompt tokens, so a changed finding, passage or model never reuses a state.

The state encodes the prompt (measurements, statements, age and sex; never name or id),
so it lives in the per-user data folder beside the session database, and only the most
recent few are kept.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import struct
import tempfile
from pathlib import Path

import llama_cpp

_MAGIC = b"ECGCHATKV1"
MAX_FILES = 8


def default_cache_dir() -> Path:
    from ecgchat_desktop.settings import user_data_dir

    return user_data_dir() / "prompt-cache"


class PromptCache:
    def __init__(self, folder: str | Path | None = None, max_files: int = MAX_FILES):
        self.folder = Path(folder) if folder is not None else default_cache_dir()
        self.max_files = max_files

    def _key(self, engine, tokens: list[int]) -> str:
        st = os.stat(engine.model_path)
        h = hashlib.sha256()
        h.update(f"{engine.model_path}|{st.st_size}|{st.st_mtime_ns}|{engine.n_ctx}|".encode())
        h.update(struct.pack(f"<{len(tokens)}i", *tokens))
        return h.hexdigest()[:32]

    def path_for(self, engine, tokens: list[int]) -> Path:
        return self.folder / f"{self._key(engine, tokens)}.kv"

    def load(self, engine, tokens: list[int]) -> bool:
        """Restore the model cells of `tokens` (sequence 0) when saved before; the engine
        then evaluates only what follows them. False when absent or unreadable."""
        path = self.path_for(engine, tokens)
        try:
            data = path.read_bytes()
        except OSError:
            return False
        head = len(_MAGIC) + 4
        if not data.startswith(_MAGIC) or len(data) < head:
            return False
        (n,) = struct.unpack("<i", data[len(_MAGIC):head])
        ids = data[head:head + 4 * n]
        if n != len(tokens) or len(ids) != 4 * n or list(struct.unpack(f"<{n}i", ids)) != list(tokens):
            return False
        blob = data[head + 4 * n + 8:]
        size_bytes = data[head + 4 * n:head + 4 * n + 8]
        if len(size_bytes) != 8:
            return False
        (size,) = struct.unpack("<q", size_bytes)
        if not blob or len(blob) != size:  # a cut-short file is never handed to llama.cpp
            return False
        llm = engine.llm
        llm.reset()
        buf = (ctypes.c_uint8 * len(blob)).from_buffer_copy(blob)
        if llama_cpp.llama_state_seq_set_data(llm.ctx, buf, len(blob), 0) != len(blob):
            llm.reset()
            return False
        llm.input_ids[:n] = tokens
        llm.n_tokens = n
        llm._requires_eval = True  # logits are not restored: the next decode refreshes them
        os.utime(path)  # most recently used
        return True

    def save(self, engine, tokens: list[int]) -> Path | None:
        """Save the cells of `tokens`; the engine must hold exactly them at the start of its
        cache (anything evaluated after them is dropped first)."""
        llm = engine.llm
        n = len(tokens)
        if llm.n_tokens < n or list(llm.input_ids[:n]) != list(tokens):
            return None
        if llm.n_tokens > n:
            llm._ctx.kv_cache_seq_rm(-1, n, -1)
            llm.n_tokens = n
        size = llama_cpp.llama_state_seq_get_size(llm.ctx, 0)
        buf = (ctypes.c_uint8 * size)()
        got = llama_cpp.llama_state_seq_get_data(llm.ctx, buf, size, 0)
        if got <= 0:
            return None
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path_for(engine, tokens)
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(_MAGIC + struct.pack("<i", n) + struct.pack(f"<{n}i", *tokens) + struct.pack("<q", got))
                fh.write(bytes(buf)[:got])
            os.replace(tmp, path)
        except OSError:
            Path(tmp).unlink(missing_ok=True)
            return None
        self._prune()
        return path

    def _prune(self) -> None:
        files = sorted(self.folder.glob("*.kv"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[self.max_files:]:
            old.unlink(missing_ok=True)
