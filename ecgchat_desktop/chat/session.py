"""One conversation about one ECG: findings + retrieval + engine + claim check -> Answer.

`ChatSession.ask()` runs on the model's thread (call it directly in a CLI, or through
`EngineWorker.call(lambda e: session.ask(...))` from the UI). Text streams through
`on_token`; the claim verdict comes with the finished `Answer`.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field

from ecgchat_desktop.chat import claims as claims_mod
from ecgchat_desktop.chat.engine import ChatEngine
from ecgchat_desktop.chat.grounding import Turn, build_messages
from ecgchat_desktop.chat.knowledge import KnowledgeBase, Passage, load_knowledge

MODEL_TEXT_NOTICE = "Language-model text: a draft, not a confirmed diagnosis."


@dataclass
class Answer:
    question: str
    answer: str                 # the model's text with every flagged claim marked in place
    raw_answer: str             # the answer before marking: the model's text, or for a requested
                                # conclusion the draft built from the findings (see `source`)
    claims: claims_mod.ClaimReport
    citations: list[dict]
    facts: list[str]            # measured values/statements relevant to the question (from Findings)
    model: str
    device: str
    ttft_s: float | None
    tokens_per_s: float | None
    n_tokens: int
    finish_reason: str
    prompt_info: dict = field(default_factory=dict)
    source: str = "language model"  # "language model" | "program draft" | "program draft, phrased by the model"
    model_text: str | None = None   # what the model wrote, when `source` is not the model's own text

    @property
    def verified(self) -> bool:
        return self.claims.verdict == "verified"

    def to_dict(self) -> dict:
        c = self.claims.to_dict()
        return {
            "question": self.question,
            "answer": self.answer,
            "raw_answer": self.raw_answer,
            "claims": {"verdict": c["verdict"], "unsupported": c["unsupported"], "checked": c["checked"],
                       "contradicted": c["contradicted"], "details": c["claims"]},
            "citations": self.citations,
            "facts": self.facts,
            "model": self.model,
            "device": self.device,
            "ttft_s": self.ttft_s,
            "tokens_per_s": self.tokens_per_s,
            "n_tokens": self.n_tokens,
            "finish_reason": self.finish_reason,
            "source": self.source,
            "model_text": self.model_text,
            "notice": MODEL_TEXT_NOTICE,
        }


# --------------------------------------------------------------------------------------
# Facts relevant to a question (deterministic, from Findings only)

def _v(x, unit):
    return None if x is None else f"{float(x):.0f} {unit}"


def relevant_facts(findings, question: str) -> list[str]:
    """Short lines of measured values and statements the question is about."""
    q = question.lower()
    m = findings.measurements
    facts: list[str] = []

    def add(label, value):
        facts.append(f"{label} {value}" if value is not None else f"{label} not measured")

    if re.search(r"\bqtc?\b|\bqt\b|corrected|bazett|fridericia|framingham|hodges|torsade", q):
        # the formula asked for first: small models copy the first number they see
        named = [n for n in (m.qtc_ms or {}) if n in q]
        for name in named:
            add(f"QTc {name.title()}", _v((m.qtc_ms or {})[name], "ms"))
        add("QT", _v(m.qt_ms, "ms"))
        for name, val in (m.qtc_ms or {}).items():
            if name not in named:
                add(f"QTc {name.title()}", _v(val, "ms"))
    if re.search(r"\bpr\b|\bpq\b|av block|heart block|first.degree|av conduction", q):
        add("PR", _v(m.pr_ms, "ms"))
    if re.search(r"\bqrs\b|bundle|bbb|wide|broad|conduction", q):
        add("QRS", _v(m.qrs_ms, "ms"))
    if re.search(r"\bp.wave|\bp duration|atri", q):
        add("P duration", _v(m.p_ms, "ms"))
    if re.search(r"rate|bpm|fast|slow|tachy|brady|pulse|beat", q):
        add("heart rate", _v(m.hr_bpm, "bpm"))
    if re.search(r"\brr\b", q):
        add("RR", _v(m.rr_ms, "ms"))
    if re.search(r"axis|deviation|fascic", q):
        add("QRS axis", _v(m.qrs_axis_deg, "degrees"))
        if "p axis" in q or "p-axis" in q:
            add("P axis", _v(m.p_axis_deg, "degrees"))
        if "t axis" in q or "t-axis" in q:
            add("T axis", _v(m.t_axis_deg, "degrees"))
    present = {s.code: s for s in findings.statements}
    # Diagnoses named in the question: present (with evidence) or not found.
    asked_codes: list[tuple[str, tuple[str, ...]]] = []
    for term, codes in claims_mod.terms_in(question):
        asked_codes.append((term, codes))
    for term, codes in asked_codes:
        if codes == (claims_mod.NOT_ASSESSED,):
            facts.append(f"The program does not assess {term}: it is not among the program's findings")
            continue
        hits = [present[c] for c in codes if c in present]
        # Worded as the answer's first words: small models copy what is nearest.
        if hits:
            for s in hits:
                ev = "; ".join(s.evidence[:3])
                facts.append(f"Yes: the program found '{s.text}'" + (f" because {ev}" if ev else ""))
        else:
            facts.append(f"No: the program did NOT find {term}")
    wants_all = re.search(r"conclusion|summar|overall|interpret|report|findings|diagnos|what does (this|the) ecg|"
                          r"normal|abnormal|explain|patient|rhythm", q)
    if wants_all or not facts:
        texts = [s.text for s in findings.statements]
        facts.append("program statements: " + ("; ".join(texts) if texts else "none"))
    return list(dict.fromkeys(facts))


_YES_NO_QUESTION = re.compile(r"\s*(is|are|was|were|does|do|did|can|could|has|have|would|confirm)\b"
                              r"|.*,\s*(right|correct|true|yes)\s*\?\s*$|.*\b(isn't|is|doesn't|does) it\s*\?\s*$",
                              re.I | re.S)


def answer_prefix(findings, question: str) -> str:
    """"Yes," or "No," for a yes/no question about statements, decided by the findings
    (small models answer such questions the wrong way round); "" otherwise."""
    if not _YES_NO_QUESTION.match(question):
        return ""
    asked = claims_mod.terms_in(question)
    if not asked or any(codes == (claims_mod.NOT_ASSESSED,) for _, codes in asked):
        return ""  # the program cannot say yes or no to what it does not assess
    present = {s.code for s in findings.statements}
    found = []
    for _, codes in asked:
        backing = set(codes)
        for c in codes:
            backing.update(claims_mod._IMPLIED_BY.get(c, ()))
        found.append(bool(backing & present))
    if all(found):
        return "Yes,"
    if not any(found):
        return "No,"
    return ""


_VALUE_QUESTION = re.compile(r"\s*(what|give|tell|how|which|report|state)\b", re.I)


def value_prefix(findings, question: str) -> str:
    """"The PR interval on this ECG is" for a question asking one measured value (small
    models otherwise define the interval instead of giving it). The number itself is left
    to the model, and checked; nothing is seeded when the value was not measured."""
    if not _VALUE_QUESTION.match(question) or _YES_NO_QUESTION.match(question):
        return ""
    q = question.lower()
    m = findings.measurements
    formula = re.search(r"bazett|fridericia|framingham|hodges", q)
    if re.search(r"\bqtc\b|corrected qt", q):
        key = formula.group(0) if formula else None
        value = (m.qtc_ms or {}).get(key) if key else next(iter((m.qtc_ms or {}).values()), None)
        label = f"QTc by {key.title()}" if key else "QTc"
    elif re.search(r"\bqt\b", q):
        value, label = m.qt_ms, "QT interval"
    elif re.search(r"\bpr\b", q):
        value, label = m.pr_ms, "PR interval"
    elif re.search(r"\baxis\b", q):
        if re.search(r"\b[pt][ -]?(wave )?axis", q):
            return ""
        value, label = m.qrs_axis_deg, "frontal QRS axis"
    elif re.search(r"\bqrs\b", q):
        value, label = m.qrs_ms, "QRS duration"
    elif re.search(r"\brr\b", q):
        value, label = m.rr_ms, "RR interval"
    elif re.search(r"heart rate|\brate\b|how fast|beating|pulse", q):
        value, label = m.hr_bpm, "heart rate"
    else:
        return ""
    verb = "is at" if label.endswith("axis") else "is"  # "a normal axis" otherwise, with no number
    return f"The {label} on this ECG {verb}" if value is not None else ""


def gen_started_delay(started: float, gen) -> float:
    """Seconds between `started` and the start of `gen` (its total time counts from there)."""
    return max(0.0, (time.perf_counter() - started) - gen.total_s)


# A request for the report conclusion / summary of the findings: answered with the draft
# built from the findings (critical first), the model only phrasing it.
_CONCLUSION_REQUEST = re.compile(
    r"\b(conclusion|impression|summari[sz]e|summary|main findings|overall interpretation|interpret this ecg)\b",
    re.I)


def is_conclusion_request(question: str) -> bool:
    return bool(_CONCLUSION_REQUEST.search(question)) and not re.search(r"\bpatient\b", question, re.I)


# --------------------------------------------------------------------------------------

class ChatSession:
    """A conversation about one ECG. Use from the model's thread only."""

    def __init__(self, findings, engine: ChatEngine, knowledge: KnowledgeBase | None = None,
                 max_tokens: int = 200, temperature: float = 0.0, n_passages: int = 2,
                 passage_chars: int = 420, n_base_passages: int = 3, n_extra_passages: int = 1,
                 seed_yes_no: bool = True, draft_conclusions: bool = True, prompt_cache=None):
        self.findings = findings
        self.engine = engine
        self.knowledge = knowledge or load_knowledge()
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.n_passages = n_passages
        self.passage_chars = passage_chars
        self.n_base_passages = n_base_passages
        self.n_extra_passages = n_extra_passages
        self.seed_yes_no = seed_yes_no
        self.draft_conclusions = draft_conclusions
        self.prompt_cache = prompt_cache  # a PromptCache: the findings prefix is kept on disk
        self.history: list[Turn] = []

    def _base_passages(self) -> list[Passage]:
        """Passages of the statements on this ECG, most severe first (overall labels only
        when nothing else): they go into the cached system prompt."""
        order = {"critical": 0, "abnormal": 1, "borderline": 2, "normal": 3}
        stmts = sorted(self.findings.statements, key=lambda s: order.get(s.severity, 9))
        specific = [s for s in stmts if s.code not in ("NORM", "ABNORMAL", "BORDERLINE")]
        chosen = [self.knowledge.by_id[s.code] for s in (specific or stmts) if s.code in self.knowledge.by_id]
        return chosen[: self.n_base_passages]

    def _numbered(self, passages: list[Passage], start: int = 1, chars: int | None = None) -> list[tuple[int, str, str]]:
        return [(start + i, p.title, p.short(chars or self.passage_chars)) for i, p in enumerate(passages)]

    def prefill(self) -> int:
        """Evaluate the fixed prompt part (findings + passages) ahead of the first question."""
        from ecgchat_desktop.chat.grounding import system_message

        return self.engine.prefill([system_message(self.findings, self._numbered(self._base_passages()))])

    def prepare(self, question: str) -> tuple[list[dict], list[Passage], list[str], dict]:
        codes = [s.code for s in self.findings.statements]
        base = self._base_passages()
        hits = self.knowledge.for_question(question, codes, k=self.n_passages)
        # Only passages not already in the cached system part are added per question,
        # which keeps the per-question prompt (evaluated every time) short.
        extra = [p for p in hits if p not in base][: self.n_extra_passages]
        facts = relevant_facts(self.findings, question)
        messages, info = build_messages(self.findings, question, self.history, self.engine.count_tokens,
                                        self.engine.n_ctx, reserve_for_answer=self.max_tokens + 16,
                                        passages=self._numbered(extra, len(base) + 1, self.passage_chars * 2 // 3),
                                        facts=facts,
                                        system_passages=self._numbered(base))
        used = base[: info["system_passages_used"]] + extra[: info["passages_used"]]
        info["retrieved"] = [p.id for p in hits]
        return messages, used, facts, info

    def ask(self, question: str, on_token=None, cancel: threading.Event | None = None,
            remember: bool = True) -> Answer:
        if self.draft_conclusions and is_conclusion_request(question):
            return self._ask_conclusion(question, on_token, cancel, remember)
        messages, passages, facts, info = self.prepare(question)
        prefix = ((answer_prefix(self.findings, question) or value_prefix(self.findings, question))
                  if self.seed_yes_no else "")
        info["answer_prefix"] = prefix
        if prefix and on_token is not None:
            on_token(prefix)
        started = time.perf_counter()
        cached_prefix = None
        if self.prompt_cache is not None:
            cached_prefix = self._shared_prefix(messages, prefix)
            info["prompt_cache_hit"] = self.prompt_cache.load(self.engine, cached_prefix)
        gen = self.engine.generate(messages, max_tokens=self.max_tokens, temperature=self.temperature,
                                   on_token=on_token, cancel=cancel,
                                   stop_at_blank_line=self.engine.is_small, assistant_prefix=prefix)
        if gen.ttft_s is not None:  # the first token counts from before the cache was read
            gen.ttft_s += gen_started_delay(started, gen)
        if cached_prefix and not info["prompt_cache_hit"]:
            self.prompt_cache.save(self.engine, cached_prefix)
        gen.text = prefix + gen.text
        report = claims_mod.check_answer(gen.text, self.findings)
        cited = {int(n) for n in re.findall(r"\[(\d{1,2})\]", gen.text)}
        citations = []
        for i, p in enumerate(passages, 1):
            c = p.citation(i)
            c["cited_in_text"] = i in cited
            c["retrieved_for_question"] = p.id in info["retrieved"]
            citations.append(c)
        if remember and gen.finish_reason != "cancelled":
            self.history.append(Turn(question, gen.text))
        return Answer(question=question, answer=claims_mod.annotate(gen.text, report), raw_answer=gen.text,
                      claims=report, citations=citations, facts=facts, model=self.engine.model_name,
                      device=self.engine.device, ttft_s=gen.ttft_s, tokens_per_s=gen.tokens_per_s,
                      n_tokens=gen.n_tokens, finish_reason=gen.finish_reason, prompt_info=info)

    def _shared_prefix(self, messages: list[dict], assistant_prefix: str) -> list[int]:
        """Tokens that every question about this ECG starts with (the system part)."""
        full = self.engine.tokenize_prompt(self.engine.render(messages) + assistant_prefix)
        system = self.engine.tokenize_prompt(self.engine.render(messages[:1]))
        n = 0
        for a, b in zip(full, system):
            if a != b:
                break
            n += 1
        return full[:n]

    def _ask_conclusion(self, question: str, on_token, cancel, remember: bool) -> Answer:
        """The conclusion is built from the findings (critical flags first, statements by
        severity, the physician notice); the model's sentence is added at the top only when
        it is verified and names every statement. Shown once decided, never streamed
        half-checked."""
        from ecgchat_desktop.chat.report_draft import draft_conclusion

        d = draft_conclusion(self.findings, self.engine, max_tokens=min(self.max_tokens, 80), cancel=cancel)
        if on_token is not None:
            on_token(d.text)
        report = claims_mod.check_answer(d.text, self.findings)
        passages = self._base_passages()
        citations = []
        for i, p in enumerate(passages, 1):
            c = p.citation(i)
            c["cited_in_text"] = False
            c["retrieved_for_question"] = False
            citations.append(c)
        gen = d.generation
        cancelled = gen is not None and gen.finish_reason == "cancelled"
        if remember and not cancelled:
            self.history.append(Turn(question, d.text))
        source = "program draft, phrased by the model" if d.source == "language model" else "program draft"
        info = {"conclusion_draft": True, "model_phrasing_rejected": d.rejected_because}
        return Answer(question=question, answer=claims_mod.annotate(d.text, report), raw_answer=d.text,
                      claims=report, citations=citations, facts=relevant_facts(self.findings, question),
                      model=self.engine.model_name, device=self.engine.device,
                      ttft_s=gen.ttft_s if gen else None, tokens_per_s=gen.tokens_per_s if gen else None,
                      n_tokens=gen.n_tokens if gen else 0,
                      finish_reason=gen.finish_reason if gen else "stop", prompt_info=info,
                      source=source, model_text=d.model_text)
