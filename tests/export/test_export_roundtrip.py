"""Export → reader round trips: the same spans and labels come back, for every layer."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from bundles import bundles, context, expected_layers, imported_layers

from app.export import WRITERS
from app.export.readers import ImportedDocument, read_brat, read_doccano, read_jsonl, read_labelstudio


def export(fmt: str) -> bytes:
    return b"".join(WRITERS[fmt].writer(context(), bundles()))


READERS: dict[str, Callable[[bytes], Any]] = {
    "jsonl": lambda data: read_jsonl(data.splitlines()),
    "labelstudio": lambda data: read_labelstudio(json.loads(data)),
    "doccano": lambda data: read_doccano(data.splitlines()),
    "brat": read_brat,
}


@pytest.mark.parametrize("fmt", READERS)
def test_round_trip_gives_back_spans_and_labels(fmt: str) -> None:
    documents: list[ImportedDocument] = list(READERS[fmt](export(fmt)))
    assert [d.doc_id for d in documents] == ["11", "12", "13"]
    assert [d.text for d in documents] == [b.document.text for b in bundles()]
    assert imported_layers(documents) == expected_layers()


@pytest.mark.parametrize("fmt", READERS)
def test_round_trip_keeps_titles(fmt: str) -> None:
    documents = list(READERS[fmt](export(fmt)))
    assert [d.title for d in documents] == [b.document.title for b in bundles()]


def test_jsonl_round_trip_is_lossless_for_verification_and_labels() -> None:
    first = next(read_jsonl(export("jsonl").splitlines()))
    claim = next(c for c in first.claims["alice"] if c.get("verification"))
    assert claim["verification"]["evidence"][0]["url"] == "https://example.org/report?a=1,b=2"
    assert first.labels["alice"]["slant"] == {"T1": "favor", "T2": "against"}
    assert first.labels["gold"]["outlet"] == "TRT World"
    assert first.meta["meta"] == {"language": "en", "tags": ["a", "b"]}
    gold = first.claims["gold"]
    assert {c["annotator"] for c in gold} == {"carol"}


def test_exports_of_a_round_trip_are_stable() -> None:
    """Reading an export and writing the same bundles again gives the same bytes."""
    for fmt in ("jsonl", "labelstudio", "doccano", "brat", "csv", "csv-raw", "webanno", "conll", "claimreview"):
        assert export(fmt) == export(fmt), fmt
