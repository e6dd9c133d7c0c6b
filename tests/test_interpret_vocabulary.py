"""The statement vocabulary file: well formed, and its SCP/AHA mapping matches PTB-XL's table."""

from __future__ import annotations

import csv
import json

import pytest

from ecgchat_desktop.interpret.statement import CATEGORIES, SEVERITIES
from ecgchat_desktop.interpret.vocabulary import (
    VOCABULARY_PATH,
    VocabularyError,
    codes_for_scp,
    codes_for_term,
    load_vocabulary,
    make_statement,
)


def test_every_entry_is_complete_and_uses_contract_spellings():
    vocab = load_vocabulary()
    assert len(vocab) >= 40
    for code, d in vocab.items():
        assert d.category in CATEGORIES, code
        assert d.severity in SEVERITIES, code
        assert d.text and d.synonyms, code
        assert d.critical == (d.severity == "critical"), code


def test_required_statements_exist():
    vocab = load_vocabulary()
    for code in ("SR", "SBRAD", "STACH", "SARRH", "AFIB", "AFLT", "PAC", "PVC", "PACE", "1AVB", "2AVB", "3AVB",
                 "CRBBB", "IRBBB", "CLBBB", "ILBBB", "IVCD", "LAFB", "LPFB", "LAD", "RAD", "EXTREME_AXIS", "WPW",
                 "LVH", "RVH", "LAE", "RAE", "LVOLT", "Q_INF", "Q_ANTSEP", "Q_LAT", "STEMI_INF", "STEMI_ANT",
                 "STEMI_LAT", "STD", "TINV", "LQTC", "SQTC", "QTC_CRIT", "NORM", "WCT", "BRADY_CRIT", "TACHY_CRIT"):
        assert code in vocab, code
    for code in ("STEMI_INF", "STEMI_ANT", "STEMI_LAT", "3AVB", "QTC_CRIT", "WCT", "BRADY_CRIT", "TACHY_CRIT"):
        assert vocab[code].critical, code


def test_synonym_lookup_is_case_and_hyphen_insensitive():
    assert codes_for_term("RBBB") == ("CRBBB",)
    assert codes_for_term("right bundle-branch block") == ("CRBBB",)
    assert codes_for_term("First degree AV block") == ("1AVB",)
    assert codes_for_term("no such thing") == ()
    assert set(codes_for_scp("LNGQT")) == {"LQTC", "QTC_CRIT"}


def test_make_statement_carries_vocabulary_fields_and_evidence():
    s = make_statement("CRBBB", ["QRS 134 ms ≥ 120 ms"])
    assert (s.code, s.category, s.severity, s.critical) == ("CRBBB", "conduction", "abnormal", False)
    assert s.evidence == ["QRS 134 ms ≥ 120 ms"]
    with pytest.raises(KeyError, match="NOPE"):
        make_statement("NOPE", [])


def test_malformed_vocabulary_names_file_and_problem(tmp_path):
    bad = tmp_path / "v.json"
    bad.write_text(json.dumps({"statements": [{"code": "X", "text": "x", "category": "nonsense",
                                               "severity": "normal"}]}))
    with pytest.raises(VocabularyError, match="unknown category"):
        load_vocabulary(bad)
    bad.write_text("{not json")
    with pytest.raises(VocabularyError, match="v.json"):
        load_vocabulary(bad)


def test_scp_and_aha_codes_match_ptbxl_table(data_dir):
    table = {r[""]: r["AHA code"].strip() for r in csv.DictReader(open(data_dir / "ptb-xl" / "scp_statements.csv"))}
    for code, d in load_vocabulary().items():
        expected_aha = []
        for scp in d.scp_codes:
            assert scp in table, f"{code}: SCP code {scp} not in scp_statements.csv"
            if table[scp] and table[scp] not in expected_aha:
                expected_aha.append(table[scp])
        assert list(d.aha_codes) == expected_aha, code
    assert VOCABULARY_PATH.name == "statements.json"
