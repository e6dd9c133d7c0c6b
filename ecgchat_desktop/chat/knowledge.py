"""Cardiology knowledge passages (resources/knowledge/*.md) and BM25 retrieval over them.

File format: each passage starts with a `## ID — Title` heading, followed by
`key: value` lines (source, meaning, criteria, causes, next steps, or free text).
Statement passages use the vocabulary code as ID, so the passage for a finding
present on the ECG can be picked directly as well as by words.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ecgchat_desktop.settings import RESOURCES_DIR

KNOWLEDGE_DIR = RESOURCES_DIR / "knowledge"
_HEADING = re.compile(r"^##\s+(?P<id>[A-Za-z0-9_]+)\s+[—-]+\s+(?P<title>.+?)\s*$")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOP = frozenset(
    "a an the of in on at to for and or is are was were be been it its this that these those with as by "
    "what why how which who does do did can could should would will my your me i you we our there their "
    "from about into than then so if not no any all some more most very please tell explain".split())


@dataclass(frozen=True)
class Passage:
    id: str
    title: str
    source: str
    text: str            # the passage as given to the model (without the source line)
    file: str

    def short(self, max_chars: int = 700) -> str:
        return self.text if len(self.text) <= max_chars else self.text[: max_chars - 1].rsplit(" ", 1)[0] + "…"

    def citation(self, number: int | None = None) -> dict:
        return {"n": number, "id": self.id, "title": self.title, "source": self.source, "file": self.file}


class KnowledgeFormatError(ValueError):
    """A knowledge file is malformed; the message names the file and line."""


def parse_file(path: Path) -> list[Passage]:
    passages: list[Passage] = []
    current: dict | None = None

    def close():
        if current is None:
            return
        if not current["source"]:
            raise KnowledgeFormatError(f"{path}:{current['line']}: passage {current['id']} names no source")
        body = " ".join(current["body"]).strip()
        passages.append(Passage(current["id"], current["title"], current["source"], body, path.name))

    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        m = _HEADING.match(line)
        if m:
            close()
            current = {"id": m["id"], "title": m["title"], "source": "", "body": [], "line": lineno}
            continue
        if current is None or not line or line.startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == "source":
            current["source"] = value.strip()
        elif sep and key.strip().lower() in ("meaning", "criteria", "causes", "next steps", "note"):
            current["body"].append(f"{key.strip().capitalize()}: {value.strip()}")
        else:
            current["body"].append(line)
    close()
    return passages


def _tokens(text: str) -> list[str]:
    out = []
    for w in _WORD.findall(text.lower()):
        if w in _STOP:
            continue
        # crude plural folding keeps "waves"/"wave", "blocks"/"block" together
        if len(w) > 4 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.append(w)
    return out


class KnowledgeBase:
    """BM25 (Robertson/Sparck Jones, k1=1.5, b=0.75) over title, synonyms and text."""

    def __init__(self, passages: list[Passage], k1: float = 1.5, b: float = 0.75):
        if not passages:
            raise KnowledgeFormatError("no knowledge passages found")
        self.passages = passages
        self.by_id = {p.id: p for p in passages}
        self.k1, self.b = k1, b
        self._docs = [Counter(_tokens(self._index_text(p))) for p in passages]
        self._len = [sum(d.values()) for d in self._docs]
        self._avg = sum(self._len) / len(self._len)
        df: Counter = Counter()
        for d in self._docs:
            df.update(d.keys())
        n = len(passages)
        self._idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    @staticmethod
    def _index_text(p: Passage) -> str:
        extra = ""
        try:
            from ecgchat_desktop.interpret.vocabulary import load_vocabulary

            d = load_vocabulary().get(p.id)
            if d is not None:  # synonyms make "AF" or "heart block" find their passage
                extra = " ".join((d.text, *d.synonyms, d.description))
        except Exception:  # the vocabulary is optional for retrieval
            pass
        return f"{p.title} {p.title} {extra} {p.text}"

    def score(self, query: str) -> list[float]:
        q = _tokens(query)
        scores = []
        for doc, length in zip(self._docs, self._len):
            s = 0.0
            for t in q:
                f = doc.get(t)
                if not f:
                    continue
                s += self._idf[t] * f * (self.k1 + 1) / (f + self.k1 * (1 - self.b + self.b * length / self._avg))
            scores.append(s)
        return scores

    def search(self, query: str, k: int = 3, min_score: float = 1.0) -> list[tuple[Passage, float]]:
        scores = self.score(query)
        order = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)
        return [(self.passages[i], scores[i]) for i in order[:k] if scores[i] >= min_score]

    def for_question(self, question: str, present_codes: list[str], k: int = 2) -> list[Passage]:
        """Passages for a question about one ECG: the best BM25 hits, preferring passages
        of statements present on this ECG when the question is about them."""
        hits = self.search(question, k=k + 3, min_score=2.5)
        out: list[Passage] = []
        present = set(present_codes)
        # A passage of a present statement that the question matches at all comes first.
        for p, _ in hits:
            if p.id in present and p not in out:
                out.append(p)
        for p, _ in hits:
            if p not in out:
                out.append(p)
        if not out:
            out = [self.by_id[c] for c in present_codes if c in self.by_id][:1]
        return out[:k]


@lru_cache(maxsize=2)
def load_knowledge(folder: str | None = None) -> KnowledgeBase:
    base = Path(folder) if folder else KNOWLEDGE_DIR
    passages: list[Passage] = []
    for path in sorted(base.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        passages.extend(parse_file(path))
    ids = [p.id for p in passages]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise KnowledgeFormatError(f"{base}: duplicate passage ids {sorted(dup)}")
    return KnowledgeBase(passages + _vocabulary_fallbacks(set(ids)))


def _vocabulary_fallbacks(have: set[str]) -> list[Passage]:
    """A minimal passage for any vocabulary statement the knowledge files do not cover yet
    (its one-line criteria), so retrieval never lacks the statement; written passages win."""
    try:
        from ecgchat_desktop.interpret.vocabulary import load_vocabulary

        vocab = load_vocabulary()
    except Exception:
        return []
    return [Passage(code, d.text, "ECG-Chat statement vocabulary (resources/statements.json)",
                    f"Criteria: {d.description}", "statements.json")
            for code, d in vocab.items() if code not in have and d.description]
