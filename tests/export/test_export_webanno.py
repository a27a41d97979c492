"""W3C Web Annotation export: valid JSON-LD offline, accepted by the W3C test schemas, exact anchors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from bundles import bundles, context
from pyld import jsonld
from w3c_schemas import failures, must_validators, schema_dir

from app.export.webanno import ANNO_CONTEXT, QUOTE_CONTEXT_CHARS, local_document_loader, write_webanno

OA = "http://www.w3.org/ns/oa#"


@pytest.fixture(scope="module")
def collection() -> dict[str, Any]:
    return json.loads(b"".join(write_webanno(context(), bundles())))


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return {f"http://127.0.0.1:5000/documents/{b.document.id}": b.document.text for b in bundles()}


def test_collection_holds_one_annotation_per_claim_and_marker(collection: dict[str, Any]) -> None:
    expected = sum(len(b.claims) + len(b.markers) for b in bundles())
    assert collection["@context"] == ANNO_CONTEXT
    assert collection["type"] == "AnnotationCollection"
    assert collection["first"]["type"] == "AnnotationPage"
    assert len(collection["first"]["items"]) == expected == collection["total"]
    assert all(item["@context"] == ANNO_CONTEXT for item in collection["first"]["items"])


def test_selectors_anchor_exactly_in_code_points(collection: dict[str, Any], texts: dict[str, str]) -> None:
    for item in collection["first"]["items"]:
        targets = item["target"] if isinstance(item["target"], list) else [item["target"]]
        bodies = [b for b in item["body"] if b.get("selector")]
        for resource in [*targets, *bodies]:
            text = texts[resource["source"]]
            quote, position = resource["selector"]
            start, end = position["start"], position["end"]
            assert quote["exact"] == text[start:end]
            assert quote.get("prefix", "") == text[max(0, start - QUOTE_CONTEXT_CHARS) : start]
            assert quote.get("suffix", "") == text[end : end + QUOTE_CONTEXT_CHARS]


def test_discontinuous_quote_has_one_target_per_segment(collection: dict[str, Any]) -> None:
    item = next(i for i in collection["first"]["items"] if i["id"].endswith("#c103"))
    assert [t["selector"][0]["exact"] for t in item["target"]] == [
        "We will not give up an inch of our land,",
        "and the occupiers will pay a price.",
    ]


def test_bodies_carry_speaker_codes_stances_and_exact_notes(collection: dict[str, Any]) -> None:
    item = next(i for i in collection["first"]["items"] if i["id"].endswith("#c102"))
    values = {b["value"] for b in item["body"] if b["type"] == "TextualBody"}
    assert {"attribution:indirect", "claim_type:event", "stance:T2:against", "verification_status:false"} <= values
    assert '=HYPERLINK("http://x/?"&A1,"click")' in values  # JSON keeps formulas exact
    speaker = next(b for b in item["body"] if b.get("purpose") == "identifying" and "selector" not in b)
    assert speaker["source"] == "http://127.0.0.1:5000/projects/karabakh-2020/speakers/1"
    note = next(i for i in collection["first"]["items"] if i["id"].endswith("#c108"))
    assert {"type": "TextualBody", "purpose": "commenting", "value": "\r=1", "format": "text/plain"} in note["body"]


def test_pyld_expands_offline_with_the_packaged_context(collection: dict[str, Any]) -> None:
    expanded = jsonld.expand(collection, {"documentLoader": local_document_loader})
    items = expanded[0]["http://www.w3.org/ns/activitystreams#first"][0]["http://www.w3.org/ns/activitystreams#items"]
    annotations = items[0]["@list"]
    assert len(annotations) == collection["total"]
    for annotation in annotations:
        assert annotation["@type"] == [f"{OA}Annotation"]
        assert annotation[f"{OA}hasTarget"]
        assert annotation[f"{OA}motivatedBy"] == [{"@id": f"{OA}classifying"}]
        for target in annotation[f"{OA}hasTarget"]:
            selector_types = {s["@type"][0] for s in target[f"{OA}hasSelector"]}
            assert selector_types == {f"{OA}TextQuoteSelector", f"{OA}TextPositionSelector"}


def test_local_loader_refuses_every_other_url() -> None:
    with pytest.raises(ValueError, match=r"only http://www\.w3\.org/ns/anno\.jsonld"):
        local_document_loader("https://example.org/evil.jsonld")
    with pytest.raises(jsonld.JsonLdError):
        jsonld.expand({"@context": "https://example.org/ctx.jsonld", "@id": "x"}, {"documentLoader": local_document_loader})


def test_packaged_context_defines_every_term_we_use(collection: dict[str, Any]) -> None:
    terms = set(local_document_loader(ANNO_CONTEXT)["document"]["@context"])
    used: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            used.update(k for k in node if not k.startswith("@"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(collection)
    assert used <= terms


needs_schemas = pytest.mark.skipif(schema_dir() is None, reason="W3C schemas not found (set SOURCEMARK_SHARED)")


@needs_schemas
def test_every_annotation_passes_the_w3c_must_schemas(collection: dict[str, Any]) -> None:
    validators = must_validators("annotations/annotationMusts.test")
    assert len(validators) > 40
    for item in collection["first"]["items"]:
        assert failures(validators, item) == [], item["id"]


@needs_schemas
def test_collection_and_page_pass_the_w3c_must_schemas(collection: dict[str, Any]) -> None:
    envelope = {key: value for key, value in collection.items() if key != "first"}
    envelope["first"] = collection["first"]["id"]
    assert failures(must_validators("collections/collectionMusts.test"), envelope) == []
    assert failures(must_validators("collections/collectionMusts.test"), collection) == []
    page = {"@context": ANNO_CONTEXT, **collection["first"]}
    assert failures(must_validators("collections/pages/pageMusts.test"), page) == []


@needs_schemas
def test_the_w3c_schemas_do_reject_a_broken_annotation(collection: dict[str, Any]) -> None:
    broken = dict(collection["first"]["items"][0], **{"@context": "http://example.org/other.jsonld"})
    del broken["target"]
    problems = failures(must_validators("annotations/annotationMusts.test"), broken)
    assert any("3.1-annotationContextValidated" in p for p in problems)
    assert any("3.1-targetKeyFound" in p for p in problems)
