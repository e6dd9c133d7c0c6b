"""Soft tokens: token-embedding rows fed as embeddings reproduce the token path exactly."""

from __future__ import annotations

import numpy as np
import pytest

from ecgchat_desktop.chat.engine import ChatEngine, EngineSettings
from ecgchat_desktop.chat.soft_tokens import (
    SoftPromptDecoder,
    generate_with_embeddings,
    prompt_logits_with_embeddings,
    raw_embedding_scale,
    token_embedding_rows,
)

pytestmark = pytest.mark.llm

TEXT = "The ECG shows sinus rhythm with a heart rate of 72 bpm. Summarise."
MIDDLE = " sinus rhythm with a heart rate"


@pytest.fixture(scope="module")
def engine():
    eng = ChatEngine(EngineSettings(n_ctx=1024, n_threads=1))
    yield eng
    eng.close()


def _parts(engine):
    prompt = engine.render([{"role": "user", "content": TEXT}])
    before, after = prompt.split(MIDDLE)
    head = engine.tokenize_prompt(before)
    mid = engine.llm.tokenize(MIDDLE.encode(), add_bos=False, special=False)
    tail = engine.llm.tokenize(after.encode(), add_bos=False, special=True)
    assert head + mid + tail == engine.tokenize_prompt(prompt)
    return prompt, before, after, head, mid, tail


def test_token_embedding_rows_give_identical_next_token_logits(engine):
    prompt, before, after, head, mid, tail = _parts(engine)
    rows = token_embedding_rows(engine.model_path, mid)
    assert rows.shape == (len(mid), 576)
    dec = SoftPromptDecoder(engine)
    dec.reset()
    dec.decode_tokens(head + mid + tail)
    by_ids = dec.last_logits()
    with_embd = prompt_logits_with_embeddings(engine, before + "<ecg>" + after, rows)
    assert np.array_equal(by_ids, with_embd)
    # a different vector at the marker does change the prediction: the path is live
    other = prompt_logits_with_embeddings(engine, before + "<ecg>" + after, rows[::-1].copy())
    assert not np.array_equal(by_ids, other)


def test_generation_after_soft_tokens_matches_the_text_path(engine):
    _, _, _, _, mid, _ = _parts(engine)
    rows = token_embedding_rows(engine.model_path, mid)
    soft = generate_with_embeddings(
        engine, [{"role": "user", "content": TEXT.replace(MIDDLE, "<ecg>")}], rows, max_tokens=16)
    plain = engine.generate([{"role": "user", "content": TEXT}], max_tokens=16, repeat_penalty=1.0)
    assert soft.text == plain.text and soft.n_tokens == 16
    # and ordinary generation still works afterwards (context handed back clean)
    again = engine.generate([{"role": "user", "content": TEXT}], max_tokens=16, repeat_penalty=1.0)
    assert again.text == plain.text


def test_bad_embeddings_are_refused(engine):
    with pytest.raises(ValueError, match=r"\[n, 576\]"):
        prompt_logits_with_embeddings(engine, "a <ecg> b", np.zeros((2, 10), np.float32))
    with pytest.raises(ValueError, match="NaN"):
        prompt_logits_with_embeddings(engine, "a <ecg> b", np.full((1, 576), np.nan, np.float32))
    with pytest.raises(ValueError, match="exactly once"):
        prompt_logits_with_embeddings(engine, "no marker", np.zeros((1, 576), np.float32))


def test_gemma_scale_rule():
    assert raw_embedding_scale("llama", 576) == 1.0
    assert raw_embedding_scale("gemma2", 2304) == pytest.approx(48.0)
