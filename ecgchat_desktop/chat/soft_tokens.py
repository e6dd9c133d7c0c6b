"""ECG soft tokens: embedding vectors placed into the prompt at a marker (LLaVA-style).

The prompt is rendered with a marker (default ``<ecg>``) where the ECG goes. Text
before the marker is decoded as token ids, then the vectors are decoded through
``llama_batch_init(n, n_embd, 1)`` / ``batch.embd`` / ``llama_decode``, then the text
after it, and generation continues normally from there.

Vectors are expected in the space of the model's token-embedding rows (``token_embd``):
what a projector trained against this model outputs. llama.cpp scales token input of
Gemma-architecture models by sqrt(n_embd) inside the graph but does not scale raw
embedding input, so for those we apply that scale here, and a token-embedding row fed
through this path behaves exactly like its token id (tested on the default model).

The projector producing real ECG embeddings comes later; this is the tested mechanism.
"""

from __future__ import annotations

import ctypes
import math
import threading
import time
from pathlib import Path

import numpy as np
import llama_cpp

from ecgchat_desktop.chat.engine import ChatEngine, Generation, _split_valid_utf8

DEFAULT_MARKER = "<ecg>"

# Architectures whose graph multiplies token embeddings by sqrt(n_embd) only for token input.
_SCALED_ARCHITECTURES = ("gemma", "gemma2", "gemma3", "gemma3n", "gemma-embedding")


def input_embedding_size(engine: ChatEngine) -> int:
    fn = getattr(llama_cpp, "llama_model_n_embd_inp", None)
    n = fn(engine.llm.model) if fn is not None else 0
    return int(n or llama_cpp.llama_model_n_embd(engine.llm.model))


def raw_embedding_scale(architecture: str, n_embd: int) -> float:
    """Factor that makes a token-embedding row equal to what the graph sees for that token."""
    return math.sqrt(n_embd) if (architecture or "").lower() in _SCALED_ARCHITECTURES else 1.0


def token_embedding_rows(model_path: str | Path, token_ids) -> np.ndarray:
    """Rows of the GGUF's `token_embd.weight`, dequantised to float32 [n, n_embd]."""
    from gguf import GGUFReader
    from gguf.quants import dequantize

    reader = GGUFReader(str(model_path))
    for tensor in reader.tensors:
        if tensor.name == "token_embd.weight":
            rows = np.asarray(tensor.data)[np.asarray(list(token_ids), dtype=np.int64)]
            return np.ascontiguousarray(dequantize(rows, tensor.tensor_type), dtype=np.float32)
    raise KeyError(f"{model_path}: no token_embd.weight tensor")


class SoftPromptDecoder:
    """Decodes mixed token / embedding input into one llama context, position by position.

    It takes the context over: the Llama object's own prefix cache is invalidated before
    and after, so a later normal `generate` never reuses soft-token state by mistake.
    """

    def __init__(self, engine: ChatEngine):
        self.engine = engine
        self.llm = engine.llm
        self.ctx = self.llm.ctx
        self.n_embd = input_embedding_size(engine)
        self.n_vocab = self.llm.n_vocab()
        self.scale = raw_embedding_scale(engine.metadata.get("general.architecture", ""), self.n_embd)
        self.n_past = 0

    def reset(self) -> None:
        self.llm._ctx.kv_cache_clear()
        self.llm.n_tokens = 0  # the Llama prefix cache no longer matches the context
        self.n_past = 0

    def _check_room(self, n: int) -> None:
        if self.n_past + n > self.llm.n_ctx():
            raise ValueError(f"{self.n_past + n} positions exceed the context of {self.llm.n_ctx()}")

    def decode_tokens(self, tokens: list[int], want_logits: bool = True) -> None:
        tokens = list(tokens)
        n_batch = self.llm.n_batch
        for start in range(0, len(tokens), n_batch):
            chunk = tokens[start:start + n_batch]
            last_chunk = start + n_batch >= len(tokens)
            self._check_room(len(chunk))
            batch = llama_cpp.llama_batch_init(len(chunk), 0, 1)
            try:
                batch.n_tokens = len(chunk)
                for i, tok in enumerate(chunk):
                    batch.token[i] = tok
                    batch.pos[i] = self.n_past + i
                    batch.n_seq_id[i] = 1
                    batch.seq_id[i][0] = 0
                    batch.logits[i] = int(want_logits and last_chunk and i == len(chunk) - 1)
                self._decode(batch)
            finally:
                llama_cpp.llama_batch_free(batch)
            self.n_past += len(chunk)

    def decode_embeddings(self, vectors: np.ndarray, want_logits: bool = False,
                          token_space: bool = True) -> None:
        """Decode [n, n_embd] vectors. `token_space`: the vectors are token-embedding-row
        space (the architecture's input scale is applied); False: already graph-input space."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.n_embd:
            raise ValueError(f"embeddings must be [n, {self.n_embd}], got {vectors.shape}")
        if not np.isfinite(vectors).all():
            raise ValueError("embeddings contain NaN or infinite values")
        if token_space and self.scale != 1.0:
            vectors = vectors * np.float32(self.scale)
        vectors = np.ascontiguousarray(vectors)
        n_batch = self.llm.n_batch
        for start in range(0, len(vectors), n_batch):
            chunk = vectors[start:start + n_batch]
            last_chunk = start + n_batch >= len(vectors)
            self._check_room(len(chunk))
            batch = llama_cpp.llama_batch_init(len(chunk), self.n_embd, 1)
            try:
                batch.n_tokens = len(chunk)
                ctypes.memmove(batch.embd, chunk.ctypes.data, chunk.nbytes)
                for i in range(len(chunk)):
                    batch.pos[i] = self.n_past + i
                    batch.n_seq_id[i] = 1
                    batch.seq_id[i][0] = 0
                    batch.logits[i] = int(want_logits and last_chunk and i == len(chunk) - 1)
                self._decode(batch)
            finally:
                llama_cpp.llama_batch_free(batch)
            self.n_past += len(chunk)

    def _decode(self, batch) -> None:
        rc = llama_cpp.llama_decode(self.ctx, batch)
        if rc != 0:
            raise RuntimeError(f"llama_decode failed with code {rc}")

    def last_logits(self) -> np.ndarray:
        ptr = llama_cpp.llama_get_logits_ith(self.ctx, -1)
        return np.ctypeslib.as_array(ptr, shape=(self.n_vocab,)).copy()


def split_at_marker(prompt: str, marker: str) -> tuple[str, str]:
    if prompt.count(marker) != 1:
        raise ValueError(f"the prompt must contain the marker {marker!r} exactly once")
    before, after = prompt.split(marker)
    return before, after


def prompt_logits_with_embeddings(engine: ChatEngine, prompt: str, vectors: np.ndarray,
                                  marker: str = DEFAULT_MARKER) -> np.ndarray:
    """Next-token logits after `prompt` with `vectors` decoded at `marker`."""
    dec = _decode_prompt(engine, prompt, vectors, marker)
    return dec.last_logits()


def _decode_prompt(engine: ChatEngine, prompt: str, vectors: np.ndarray, marker: str) -> SoftPromptDecoder:
    before, after = split_at_marker(prompt, marker)
    dec = SoftPromptDecoder(engine)
    dec.reset()
    head = engine.tokenize_prompt(before) if before else []
    tail = engine.llm.tokenize(after.encode("utf-8"), add_bos=False, special=True) if after else []
    if head:
        dec.decode_tokens(head, want_logits=False)
    dec.decode_embeddings(vectors, want_logits=not tail)
    if tail:
        dec.decode_tokens(tail, want_logits=True)
    return dec


def generate_with_embeddings(engine: ChatEngine, messages: list[dict], vectors: np.ndarray,
                             marker: str = DEFAULT_MARKER, max_tokens: int = 256,
                             temperature: float = 0.0, seed: int = 0,
                             on_token=None, cancel: threading.Event | None = None) -> Generation:
    """Chat with the vectors placed where `marker` appears in the messages, then generate.

    Use from the model's own thread (e.g. `EngineWorker.call`)."""
    started = time.perf_counter()
    prompt = engine.render(messages)
    dec = _decode_prompt(engine, prompt, vectors, marker)
    rng = np.random.default_rng(seed)
    n_prompt = dec.n_past
    pieces: list[str] = []
    pending = b""
    n_out = 0
    first_at = last_at = None
    finish = "length"
    try:
        for _ in range(min(max_tokens, engine.n_ctx - dec.n_past)):
            if cancel is not None and cancel.is_set():
                finish = "cancelled"
                break
            logits = dec.last_logits()
            if temperature <= 0:
                token = int(np.argmax(logits))
            else:
                z = (logits - logits.max()) / temperature
                p = np.exp(z)
                token = int(rng.choice(len(p), p=p / p.sum()))
            if token in engine._stop_ids or llama_cpp.llama_vocab_is_eog(engine._vocab, token):
                finish = "stop"
                break
            n_out += 1
            pending += engine.llm.detokenize([token])
            text, pending = _split_valid_utf8(pending)
            if text:
                last_at = time.perf_counter()
                first_at = first_at or last_at
                pieces.append(text)
                if on_token is not None:
                    on_token(text)
            dec.decode_tokens([token], want_logits=True)
    finally:
        dec.reset()  # leave a clean context for ordinary generation
    total = time.perf_counter() - started
    tps = (n_out - 1) / (last_at - first_at) if first_at and last_at and last_at > first_at else None
    return Generation("".join(pieces), finish, n_prompt, n_out,
                      (first_at - started) if first_at else None, tps, total)
