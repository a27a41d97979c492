"""Suggestions in the API and CLI: claim-shaped, nothing stored, already-annotated ones left out."""

from __future__ import annotations

import json
from typing import Any

from app.models import AuditEvent, Claim
from tests.conftest import find_span, row_count, seed_document_id

QUOTE = "What Armenia did is unacceptable. It must get back to its senses"  # the detector leaves out the comma


def test_suggestions_are_claim_shaped_and_store_nothing(app: Any, as_user: Any) -> None:
    api = as_user("annotator1")
    doc = seed_document_id(app)
    before = (row_count(app, Claim), row_count(app, AuditEvent))
    items = api.get(f"/api/v1/documents/{doc}/suggestions").json["items"]
    assert (row_count(app, Claim), row_count(app, AuditEvent)) == before
    assert all(i["suggested"] is True and 0 <= i["confidence"] <= 1 for i in items)
    quote = next(i for i in items if i["content"][0]["text"] == QUOTE)
    assert quote["attribution"] == "direct" and quote["speaker"]["name"] == "Mevlüt Çavuşoğlu"
    # Accepting = posting it as one's own claim; it then drops out of the suggestions.
    body = {k: quote[k] for k in ("content", "source_span", "cue_span", "attribution", "cue_valence")}
    body.update(speaker=quote["speaker"]["id"], origin="suggestion")
    accepted = api.post(f"/api/v1/documents/{doc}/claims", body)
    assert accepted.status_code == 201 and accepted.json["origin"] == "suggestion"
    again = api.get(f"/api/v1/documents/{doc}/suggestions").json["items"]
    assert all(i["content"][0]["text"] != QUOTE for i in again) and len(again) == len(items) - 1
    # Another annotator still gets it.
    others = as_user("annotator2").get(f"/api/v1/documents/{doc}/suggestions").json["items"]
    assert any(i["content"][0]["text"] == QUOTE for i in others)
    assert as_user("outsider").get(f"/api/v1/documents/{doc}/suggestions").status_code == 404


def test_multi_paragraph_quote_is_one_suggestion(app: Any, as_user: Any) -> None:
    doc = seed_document_id(app)
    items = as_user("annotator1").get(f"/api/v1/documents/{doc}/suggestions").json["items"]
    start, _ = find_span(app, doc, "One million displaced people")
    multi = next(i for i in items if i["content"][0]["start"] == start)
    assert len(multi["content"]) == 2 and multi["content"][1]["text"].startswith("Co-existence")


def test_suggest_cli(app: Any, runner: Any) -> None:
    result = runner.invoke(args=["suggest", "demo", "--json"])
    assert result.exit_code == 0, result.output
    line = json.loads(result.output.splitlines()[0])
    assert any(i["content"][0]["text"] == QUOTE for i in line["items"])
    text = runner.invoke(args=["suggest", "demo", "--document", str(seed_document_id(app))])
    assert text.exit_code == 0 and "Mevlüt Çavuşoğlu" in text.output
    assert runner.invoke(args=["suggest", "demo", "--document", "99999"]).exit_code != 0


def test_dismissed_suggestions_stay_dismissed_for_that_user(app: Any, as_user: Any) -> None:
    api = as_user("annotator1")
    doc = seed_document_id(app)
    items = api.get(f"/api/v1/documents/{doc}/suggestions").json["items"]
    first = items[0]
    assert api.post(f"/api/v1/documents/{doc}/suggestions/dismiss", {"key": first["key"]}).status_code == 204
    assert api.post(f"/api/v1/documents/{doc}/suggestions/dismiss", {"key": first["key"]}).status_code == 204
    left = api.get(f"/api/v1/documents/{doc}/suggestions").json["items"]
    assert [i["key"] for i in left] == [i["key"] for i in items[1:]]
    assert as_user("annotator1").get(f"/api/v1/documents/{doc}/suggestions").json["items"] == left  # new session
    assert as_user("annotator2").get(f"/api/v1/documents/{doc}/suggestions").json["items"][0]["key"] == first["key"]
    assert row_count(app, Claim) == 0
    for bad in ({"key": "nope"}, {"key": 5}, {}):
        assert api.post(f"/api/v1/documents/{doc}/suggestions/dismiss", bad).status_code == 422
    assert as_user("outsider").post(f"/api/v1/documents/{doc}/suggestions/dismiss",
                                    {"key": first["key"]}).status_code == 404
