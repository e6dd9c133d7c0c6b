"""The local language model: one GGUF loaded with llama-cpp-python.

`ChatEngine` owns one `llama_cpp.Llama` and must be used from one thread at a time.
`EngineWorker` gives the UI that guarantee: it owns the engine on its own thread and
runs jobs from a queue; a `ChatJob` streams tokens, can be cancelled mid-answer and
yields a `Generation` at the end.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import llama_cpp

from ecgchat_desktop.chat.models import check_gguf, default_model_path
from ecgchat_desktop.chat.templates import ChatTemplate, choose_template

TokenCallback = Callable[[str], None]


@dataclass
class EngineSettings:
    model_path: str | Path | None = None  # None: the embedded default model
    n_ctx: int = 4096
    n_threads: int | None = None          # None: llama.cpp's default for this machine
    n_gpu_layers: int = -1                 # -1: all layers when the build can offload
    n_batch: int = 512
    seed: int = 0


@dataclass
class Generation:
    text: str
    finish_reason: str          # "stop" | "length" | "cancelled"
    n_prompt_tokens: int
    n_tokens: int
    ttft_s: float | None        # call start to first emitted text
    tokens_per_s: float | None  # decode speed after the first token
    total_s: float


def gpu_offload_supported() -> bool:
    return bool(llama_cpp.llama_supports_gpu_offload())


class ChatEngine:
    """One loaded GGUF model with its chat template. Not thread-safe: see EngineWorker."""

    def __init__(self, settings: EngineSettings | None = None):
        self.settings = settings or EngineSettings()
        # Set by EngineWorker.shutdown: stops a running prefill or generation early.
        self.interrupt = threading.Event()
        path = self.settings.model_path or default_model_path()
        self.model_path = check_gguf(path)
        self.gpu_offload = gpu_offload_supported()
        n_gpu = self.settings.n_gpu_layers if self.gpu_offload else 0
        kwargs = dict(model_path=str(self.model_path), n_ctx=self.settings.n_ctx,
                      n_gpu_layers=n_gpu, n_batch=self.settings.n_batch,
                      seed=self.settings.seed, verbose=False)
        if self.settings.n_threads:
            kwargs["n_threads"] = self.settings.n_threads
            kwargs["n_threads_batch"] = self.settings.n_threads
        try:
            self.llm = llama_cpp.Llama(**kwargs)
        except ValueError as exc:  # llama.cpp refuses the file (damaged, unknown architecture)
            from ecgchat_desktop.chat.models import ModelNotFoundError

            raise ModelNotFoundError(self.model_path, f"llama.cpp cannot load it ({exc})") from None
        if self.gpu_offload and n_gpu != 0:
            self.device = f"GPU (n_gpu_layers={n_gpu})"
        elif self.gpu_offload:
            self.device = "CPU (n_gpu_layers=0; this build could offload)"
        else:
            self.device = ("CPU (this llama.cpp build has no GPU offload; "
                           f"n_gpu_layers={self.settings.n_gpu_layers} not used)")
        self.metadata = dict(self.llm.metadata)
        self.model_name = self.model_path.stem
        self._vocab = llama_cpp.llama_model_get_vocab(self.llm.model)
        bos = self._token_text(self.llm.token_bos())
        eos = self._token_text(self.llm.token_eos())
        self.template: ChatTemplate = choose_template(self.metadata, bos, eos, self.is_special_token)
        self._bos_text = bos
        self._stop_ids = {self.llm.token_eos()}
        for marker in self.template.stop_markers:
            ids = self.llm.tokenize(marker.encode(), add_bos=False, special=True)
            if len(ids) == 1:
                self._stop_ids.add(ids[0])

    # --- vocabulary helpers ---------------------------------------------
    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return self.llm._model.token_get_text(token)

    def is_special_token(self, text: str) -> bool:
        ids = self.llm.tokenize(text.encode(), add_bos=False, special=True)
        if len(ids) != 1:
            return False
        return self._token_text(ids[0]) == text

    @property
    def n_params(self) -> int:
        return int(llama_cpp.llama_model_n_params(self.llm.model))

    @property
    def is_small(self) -> bool:
        """Below a billion parameters: keep answers to one paragraph (see iter_tokens)."""
        return self.n_params < 1_000_000_000

    @property
    def n_ctx(self) -> int:
        return self.llm.n_ctx()

    def tokenize_prompt(self, prompt: str) -> list[int]:
        """Tokens of a rendered prompt: special markers parsed, BOS added once."""
        has_bos_text = bool(self._bos_text) and prompt.startswith(self._bos_text)
        add_bos = (not has_bos_text) and str(self.metadata.get("tokenizer.ggml.add_bos_token", "true")).lower() == "true"
        return self.llm.tokenize(prompt.encode("utf-8"), add_bos=add_bos, special=True)

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def render(self, messages: list[dict]) -> str:
        return self.template.render(messages, add_generation_prompt=True)

    def info(self) -> dict:
        return {"model": self.model_name, "path": str(self.model_path), "device": self.device,
                "gpu_offload_supported": self.gpu_offload, "n_ctx": self.n_ctx, "n_params": self.n_params,
                "template": self.template.source}

    # --- generation ------------------------------------------------------
    def reset_cache(self) -> None:
        """Forget the cached prompt. Greedy answers are reproducible bit for bit only from
        the same cache state (a reused prefix is evaluated in different batches)."""
        self.llm.reset()

    def prefill(self, messages: list[dict]) -> int:
        """Evaluate the prompt now (e.g. when an ECG is opened) so the first question's
        answer starts sooner: llama-cpp-python reuses the matching prefix later.
        Evaluated batch by batch so a shutdown (`interrupt`) lands within one batch; an
        interrupted prefill leaves a consistent shorter cached prefix."""
        tokens = self.tokenize_prompt(self.render(messages))
        self.llm.reset()
        step = max(1, int(self.settings.n_batch))
        for start in range(0, len(tokens), step):
            if self.interrupt.is_set():
                break
            self.llm.eval(tokens[start:start + step])
        return len(tokens)

    def generate(self, messages: list[dict], max_tokens: int = 256, temperature: float = 0.0,
                 repeat_penalty: float = 1.1, on_token: TokenCallback | None = None,
                 cancel: threading.Event | None = None, stop_at_blank_line: bool = False,
                 assistant_prefix: str = "") -> Generation:
        """`assistant_prefix`: text the answer starts with (placed after the generation
        prompt; not part of the returned text)."""
        started = time.perf_counter()
        tokens = self.tokenize_prompt(self.render(messages) + assistant_prefix)
        return self.generate_tokens(tokens, max_tokens, temperature, repeat_penalty,
                                    on_token, cancel, started, stop_at_blank_line)

    def generate_tokens(self, prompt_tokens: list[int], max_tokens: int = 256,
                        temperature: float = 0.0, repeat_penalty: float = 1.1,
                        on_token: TokenCallback | None = None,
                        cancel: threading.Event | None = None,
                        started: float | None = None, stop_at_blank_line: bool = False) -> Generation:
        it = self.iter_tokens(prompt_tokens, max_tokens, temperature, repeat_penalty, cancel, started,
                              stop_at_blank_line)
        while True:
            try:
                text = next(it)
            except StopIteration as stop:
                return stop.value
            if on_token is not None:
                on_token(text)

    def stream(self, messages: list[dict], max_tokens: int = 256, temperature: float = 0.0,
               repeat_penalty: float = 1.1, cancel: threading.Event | None = None,
               stop_at_blank_line: bool = False):
        """Text pieces as they come, on the calling thread; the Generation is the
        generator's return value (StopIteration.value)."""
        started = time.perf_counter()
        tokens = self.tokenize_prompt(self.render(messages))
        return self.iter_tokens(tokens, max_tokens, temperature, repeat_penalty, cancel, started,
                                stop_at_blank_line)

    def iter_tokens(self, prompt_tokens: list[int], max_tokens: int = 256,
                    temperature: float = 0.0, repeat_penalty: float = 1.1,
                    cancel: threading.Event | None = None, started: float | None = None,
                    stop_at_blank_line: bool = False):
        """Text pieces as decoded. `stop_at_blank_line` ends the answer at its first
        paragraph break (small models tend to ramble, and invent, after the first paragraph)."""
        started = time.perf_counter() if started is None else started
        if len(prompt_tokens) >= self.n_ctx:
            raise ValueError(f"prompt of {len(prompt_tokens)} tokens does not fit the context of {self.n_ctx}")
        max_tokens = min(max_tokens, self.n_ctx - len(prompt_tokens))
        pieces: list[str] = []
        pending = b""
        n_out = 0
        first_at = last_at = None
        finish = "length"
        stream = self.llm.generate(prompt_tokens, temp=temperature, repeat_penalty=repeat_penalty,
                                   top_k=40, top_p=0.95, min_p=0.05)
        try:
            for token in stream:
                # Checked once per token: a cancel lands within one decode step.
                if (cancel is not None and cancel.is_set()) or self.interrupt.is_set():
                    finish = "cancelled"
                    break
                if token in self._stop_ids or llama_cpp.llama_vocab_is_eog(self._vocab, token):
                    finish = "stop"
                    break
                n_out += 1
                pending += self.llm.detokenize([token])
                text, pending = _split_valid_utf8(pending)
                if text and stop_at_blank_line:
                    so_far = "".join(pieces).lstrip()
                    joined = so_far + text
                    cut = joined.find("\n\n") if so_far or text.strip() else -1
                    # "... are:" followed by a blank line introduces a list: keep going.
                    if cut > 0 and joined[:cut].strip() and not joined[:cut].rstrip().endswith(":"):
                        text = joined[:cut][len(so_far):] if cut > len(so_far) else ""
                        finish = "stop"
                        if text:
                            now = time.perf_counter()
                            first_at = first_at or now
                            last_at = now
                            pieces.append(text)
                            yield text
                        pending = b""
                        break
                if text:
                    now = time.perf_counter()
                    if first_at is None:
                        first_at = now
                    last_at = now
                    pieces.append(text)
                    yield text
                if n_out >= max_tokens:
                    break
        finally:
            stream.close()
        if pending:
            pieces.append(pending.decode("utf-8", errors="replace"))
        total = time.perf_counter() - started
        tps = None
        if first_at is not None and last_at is not None and n_out > 1 and last_at > first_at:
            tps = (n_out - 1) / (last_at - first_at)
        return Generation(text="".join(pieces), finish_reason=finish,
                          n_prompt_tokens=len(prompt_tokens), n_tokens=n_out,
                          ttft_s=(first_at - started) if first_at is not None else None,
                          tokens_per_s=tps, total_s=total)

    def close(self) -> None:
        llm = getattr(self, "llm", None)
        if llm is not None:
            llm.close()
            self.llm = None


def _split_valid_utf8(data: bytes) -> tuple[str, bytes]:
    """Decode what is complete; keep a trailing partial multi-byte character for later."""
    for cut in range(len(data), max(len(data) - 4, -1), -1):
        try:
            return data[:cut].decode("utf-8"), data[cut:]
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace"), b""


# --- the worker thread --------------------------------------------------------------

class ChatJob:
    """One queued generation: iterate it for tokens, `cancel()` it, `result()` for the end."""

    _DONE = object()

    def __init__(self, messages: list[dict], kwargs: dict, on_token: TokenCallback | None):
        self.messages = messages
        self.kwargs = kwargs
        self.on_token = on_token
        self.cancel_event = threading.Event()
        self._tokens: queue.Queue = queue.Queue()
        self._finished = threading.Event()
        self._result: Generation | None = None
        self._error: BaseException | None = None

    def cancel(self) -> None:
        self.cancel_event.set()

    def _emit(self, text: str) -> None:
        self._tokens.put(text)
        if self.on_token is not None:
            self.on_token(text)

    def _finish(self, result: Generation | None, error: BaseException | None) -> None:
        self._result, self._error = result, error
        self._finished.set()
        self._tokens.put(self._DONE)

    def __iter__(self) -> Iterator[str]:
        while True:
            item = self._tokens.get()
            if item is self._DONE:
                return
            yield item

    def done(self) -> bool:
        return self._finished.is_set()

    def result(self, timeout: float | None = None) -> Generation:
        if not self._finished.wait(timeout):
            raise TimeoutError("generation still running")
        if self._error is not None:
            raise self._error
        return self._result


class EngineWorker:
    """Owns one ChatEngine on its own thread; every use of the model goes through its queue.

    The model is loaded on the worker thread (so a UI thread never blocks on it);
    `ready()` waits for that and re-raises a load error.
    """

    def __init__(self, settings: EngineSettings | None = None, engine: ChatEngine | None = None):
        self._jobs: queue.Queue = queue.Queue()
        self._loaded = threading.Event()
        self._load_error: BaseException | None = None
        self.engine: ChatEngine | None = engine
        self._settings = settings
        self._stopping = threading.Event()
        self._close_on_exit = False
        self._thread = threading.Thread(target=self._run, name="ecgchat-llm", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            if self.engine is None:
                self.engine = ChatEngine(self._settings)
        except BaseException as exc:  # reported through ready(); the thread ends
            self._load_error = exc
            self._loaded.set()
            return
        self._loaded.set()
        while True:
            job = self._jobs.get()
            if job is None:
                break
            if isinstance(job, _CallJob):
                if self._stopping.is_set():
                    job.fail(RuntimeError("language model is shutting down"))
                else:
                    job.run(self.engine)
                continue
            if job.cancel_event.is_set() or self._stopping.is_set():
                job._finish(Generation("", "cancelled", 0, 0, None, None, 0.0), None)
                continue
            try:
                gen = self.engine.generate(job.messages, on_token=job._emit,
                                           cancel=job.cancel_event, **job.kwargs)
                job._finish(gen, None)
            except BaseException as exc:
                job._finish(None, exc)
        if self._close_on_exit and self.engine is not None:
            # Closed here, on the thread that uses it: freeing the llama context from
            # another thread while a decode runs crashes the process.
            self.engine.close()

    def ready(self, timeout: float | None = None) -> ChatEngine:
        if not self._loaded.wait(timeout):
            raise TimeoutError("model still loading")
        if self._load_error is not None:
            raise self._load_error
        return self.engine

    def submit(self, messages: list[dict], on_token: TokenCallback | None = None, **kwargs) -> ChatJob:
        job = ChatJob(messages, kwargs, on_token)
        self._jobs.put(job)
        return job

    def call(self, fn: Callable[[ChatEngine], object], timeout: float | None = None):
        """Run `fn(engine)` on the worker thread (prefill, soft tokens, token counts) and wait."""
        job = _CallJob(fn)
        self._jobs.put(job)
        return job.wait(timeout)

    def shutdown(self, timeout: float | None = 10.0) -> None:
        """Stop the worker: the running job is interrupted at its next batch or token,
        queued jobs are dropped, and the model is closed on the worker thread. If the
        thread does not end within `timeout`, it closes the model when it does (never
        from here, which would free the model under a running decode)."""
        self._stopping.set()
        if self.engine is not None:
            self.engine.interrupt.set()
        self._close_on_exit = True
        self._jobs.put(None)
        self._thread.join(timeout)


@dataclass
class _CallJob:
    fn: Callable
    _done: threading.Event = field(default_factory=threading.Event)
    _value: object = None
    _error: BaseException | None = None

    def run(self, engine: ChatEngine) -> None:
        try:
            self._value = self.fn(engine)
        except BaseException as exc:
            self._error = exc
        self._done.set()

    def fail(self, error: BaseException) -> None:
        self._error = error
        self._done.set()

    def wait(self, timeout: float | None):
        if not self._done.wait(timeout):
            raise TimeoutError("worker call still running")
        if self._error is not None:
            raise self._error
        return self._value
