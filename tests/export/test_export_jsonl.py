"""JSONL export: one valid line per document, checked by the published JSON Schema."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from bundles import FORMULAS, bundles, context
from jsonschema import Draft202012Validator

from app.export.jsonl import write_jsonl

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "schemas" / "sourcemark-jsonl.schema.json"


@pytest.fixture(scope="module")
def lines() -> list[str]:
    data = b"".join(write_jsonl(context(), bundles())).decode("utf-8")
    assert data.endswith("\n")
    return data.splitlines()


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_one_line_per_document(lines: list[str]) -> None:
    assert len(lines) == len(bundles())
    assert [json.loads(line)["doc_id"] for line in lines] == [11, 12, 13]


def test_every_line_matches_the_schema(lines: list[str], validator: Draft202012Validator) -> None:
    for line in lines:
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(json.loads(line))]
        assert errors == []


def test_schema_rejects_drift(lines: list[str], validator: Draft202012Validator) -> None:
    record = json.loads(lines[0])
    del record["claims"][0]["attribution"]
    record["claims"][1]["content"] = []
    record["bias_spans"][0]["span"]["start"] = -1
    assert len(list(validator.iter_errors(record))) == 3


def test_text_and_offsets_are_exact_code_points(lines: list[str]) -> None:
    for line, bundle in zip(lines, bundles(), strict=True):
        record: dict[str, Any] = json.loads(line)
        text = record["text"]
        assert text == bundle.document.text
        assert record["text_hash"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
        for claim in record["claims"]:
            for span in [*claim["content"], claim["source"], claim["cue"]]:
                if span:
                    assert text[span["start"] : span["end"]] == span["text"]
        for marker in record["bias_spans"]:
            assert text[marker["span"]["start"] : marker["span"]["end"]] == marker["span"]["text"]


def test_values_match_the_bundles_and_stay_unescaped(lines: list[str]) -> None:
    assert "\\u" not in lines[0]  # ensure_ascii=False: Armenian, Arabic and emoji as themselves
    record = json.loads(lines[0])
    claims = {c["id"]: c for c in record["claims"]}
    source = {c.id: c for c in bundles()[0].claims}
    for claim_id, claim in claims.items():
        original = source[claim_id]
        assert claim["annotator"] == original.annotator and claim["layer"] == original.layer
        assert [(s["start"], s["end"]) for s in claim["content"]] == [(s.start, s.end) for s in original.content]
        assert claim["stances"] == [{"target": t, "value": v} for t, v in original.stances.items()]
        assert claim["verification"] == original.verification
        assert claim["note"] == original.note
        assert claim["verifiable"] == original.verifiable
    assert claims[101]["speaker"]["aliases"] == ["Əliyev", "Aliyev"]
    assert claims[103]["content"][1]["paragraph"] == 1
    assert claims[102]["verification"]["rating_text"] == FORMULAS[0]
    assert {m["annotator"] for m in record["bias_spans"]} == {"alice", "bob", "carol"}
    assert record["article_labels"][0]["notes"] == "@SUM(1+1)\nsecond line"
    assert record["metadata"]["author"] == "=Staff, agencies"
