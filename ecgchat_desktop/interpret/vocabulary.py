"""The statement vocabulary (resources/statements.json): codes, texts, categories,
severities, critical flags, synonyms and the PTB-XL SCP / AHA code mapping.

Data, not code: the chat knowledge base and the claim checker read the same file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ecgchat_desktop.interpret.statement import CATEGORIES, SEVERITIES, Statement
from ecgchat_desktop.settings import RESOURCES_DIR

VOCABULARY_PATH = RESOURCES_DIR / "statements.json"


class VocabularyError(ValueError):
    """The vocabulary file is missing or malformed (names the file and the problem)."""


@dataclass(frozen=True)
class StatementDef:
    code: str
    text: str
    category: str
    severity: str
    critical: bool
    synonyms: tuple[str, ...]
    scp_codes: tuple[str, ...]
    aha_codes: tuple[str, ...]
    description: str = ""

    def make(self, evidence: list[str] | tuple[str, ...], text: str | None = None,
             severity: str | None = None, critical: bool | None = None) -> Statement:
        """A `Statement` of this code carrying its evidence (text/severity may be specialised,
        e.g. a territory or the QTc formula named in the text)."""
        return Statement(
            code=self.code,
            text=text or self.text,
            category=self.category,
            severity=severity or self.severity,
            evidence=list(evidence),
            critical=self.critical if critical is None else critical,
        )


def _parse(path: Path) -> dict[str, StatementDef]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise VocabularyError(f"{path}: statement vocabulary not found") from exc
    except json.JSONDecodeError as exc:
        raise VocabularyError(f"{path}: not valid JSON ({exc})") from exc
    out: dict[str, StatementDef] = {}
    for i, row in enumerate(data.get("statements", [])):
        try:
            item = StatementDef(
                code=str(row["code"]),
                text=str(row["text"]),
                category=str(row["category"]),
                severity=str(row["severity"]),
                critical=bool(row.get("critical", False)),
                synonyms=tuple(row.get("synonyms", ())),
                scp_codes=tuple(row.get("scp_codes", ())),
                aha_codes=tuple(str(a) for a in row.get("aha_codes", ())),
                description=str(row.get("description", "")),
            )
        except KeyError as exc:
            raise VocabularyError(f"{path}: statement #{i} lacks field {exc}") from exc
        if item.category not in CATEGORIES:
            raise VocabularyError(f"{path}: {item.code}: unknown category {item.category!r}")
        if item.severity not in SEVERITIES:
            raise VocabularyError(f"{path}: {item.code}: unknown severity {item.severity!r}")
        if item.code in out:
            raise VocabularyError(f"{path}: duplicate code {item.code}")
        out[item.code] = item
    if not out:
        raise VocabularyError(f"{path}: no statements")
    return out


@lru_cache(maxsize=4)
def load_vocabulary(path: str | Path | None = None) -> dict[str, StatementDef]:
    """All statement definitions by code (cached; the file is read once)."""
    return _parse(Path(path) if path else VOCABULARY_PATH)


def statement_def(code: str) -> StatementDef:
    try:
        return load_vocabulary()[code]
    except KeyError as exc:
        raise KeyError(f"unknown statement code {code!r} (not in {VOCABULARY_PATH.name})") from exc


def make_statement(code: str, evidence, **overrides) -> Statement:
    return statement_def(code).make(evidence, **overrides)


def codes_for_scp(scp_code: str) -> tuple[str, ...]:
    """Our codes that map to one PTB-XL SCP code."""
    return tuple(c for c, d in load_vocabulary().items() if scp_code in d.scp_codes)


def _norm(text: str) -> str:
    text = text.lower().replace("‐", "-").replace("–", "-").replace("′", "'")
    return re.sub(r"[\s\-_]+", " ", text).strip()


@lru_cache(maxsize=1)
def _synonym_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for code, d in load_vocabulary().items():
        for term in (code, d.text, *d.synonyms):
            index.setdefault(_norm(term), [])
            if code not in index[_norm(term)]:
                index[_norm(term)].append(code)
    return {k: tuple(v) for k, v in index.items()}


def codes_for_term(term: str) -> tuple[str, ...]:
    """Codes whose code, text or synonym equals `term` (case/hyphen-insensitive).
    A term may be shared (e.g. "tachycardia"), so several codes can come back."""
    return _synonym_index().get(_norm(term), ())
