"""Bias markers and article labels through the API."""

from __future__ import annotations

from typing import Any

import pytest

from app.models import ArticleLabel, BiasMarker
from tests.conftest import find_span, row_count, seed_document_id


def test_markers_with_in_quote_derived_from_claims(app: Any, as_user: Any) -> None:
    api = as_user("annotator1")
    doc = seed_document_id(app)
    quote = "This provocation by Armenia perpetrated along the border"
    q_start, q_end = find_span(app, doc, quote)
    api.post(f"/api/v1/documents/{doc}/claims", {"content": [{"start": q_start, "end": q_end}],
                                                  "attribution": "direct", "speaker": "Guliyev"})
    inside = (q_start + len("This "), q_start + len("This provocation"))
    outside = find_span(app, doc, "Armenian-occupied")
    first = api.post(f"/api/v1/documents/{doc}/markers", {
        "span": {"start": inside[0], "end": inside[1], "text": "provocation"}, "bias_type": "loaded_language",
        "target": "T2", "polarity": "negative"})
    assert first.status_code == 201, first.json
    assert first.json["in_quote"] is True and first.json["span"]["text"] == "provocation"
    second = api.post(f"/api/v1/documents/{doc}/markers", {
        "span": {"start": outside[0], "end": outside[1]}, "bias_type": "contested_term", "target": "azerbaijan"})
    assert second.status_code == 201 and second.json["in_quote"] is False
    # Markers may overlap each other and claims.
    overlap = api.post(f"/api/v1/documents/{doc}/markers", {
        "span": {"start": outside[0], "end": outside[0] + 8}, "bias_type": "labeling"})
    assert overlap.status_code == 201
    listed = api.get(f"/api/v1/documents/{doc}/markers").json["items"]
    assert [m["bias_type"] for m in listed] == ["contested_term", "labeling", "loaded_language"]  # text order
    updated = api.patch(f"/api/v1/markers/{second.json['id']}", {"version": 1, "polarity": "positive"})
    assert updated.status_code == 200 and updated.json["version"] == 2
    assert api.patch(f"/api/v1/markers/{second.json['id']}", {"version": 1}).status_code == 409
    assert api.delete(f"/api/v1/markers/{overlap.json['id']}").status_code == 204
    assert len(api.get(f"/api/v1/documents/{doc}/markers").json["items"]) == 2
    assert as_user("annotator2").get(f"/api/v1/documents/{doc}/markers").json["items"] == []
    assert as_user("annotator2").delete(f"/api/v1/markers/{first.json['id']}").status_code == 404


@pytest.mark.parametrize("body,field", [
    ({"span": {"start": 0, "end": 7}, "bias_type": "sarcasm"}, "bias_type"),
    ({"span": {"start": 0, "end": 7}}, "bias_type"),
    ({"span": {"start": 7, "end": 0}, "bias_type": "labeling"}, "span.end"),
    ({"span": {"start": 0, "end": 7, "text": "nope"}, "bias_type": "labeling"}, "span.text"),
    ({"bias_type": "labeling"}, "span"),
    ({"span": {"start": 0, "end": 7}, "bias_type": "labeling", "target": "T99"}, "target"),
    ({"span": {"start": 0, "end": 7}, "bias_type": "labeling", "polarity": "up"}, "polarity"),
])
def test_bad_markers_store_nothing(app: Any, as_user: Any, body: dict[str, Any], field: str) -> None:
    doc = seed_document_id(app)
    response = as_user("annotator1").post(f"/api/v1/documents/{doc}/markers", body)
    assert response.status_code == 422 and response.json["error"]["field"] == field
    assert row_count(app, BiasMarker) == 0


def test_article_labels(app: Any, as_user: Any) -> None:
    api = as_user("annotator1")
    doc = seed_document_id(app)
    empty = api.get(f"/api/v1/documents/{doc}/labels").json
    assert empty["version"] == 0 and empty["slant"] == {}
    body = {"outlet": "TRT World", "ownership": "state_public_broadcaster", "genre": "hard_news",
            "frame": "security_defense", "slant": {"T1": "favor", "T2": "against"},
            "omissions": "No Armenian official is quoted directly.", "notes": None}
    saved = api.put(f"/api/v1/documents/{doc}/labels", body)
    assert saved.status_code == 200, saved.json
    assert saved.json["version"] == 1 and saved.json["slant"] == {"T1": "favor", "T2": "against"}
    again = api.put(f"/api/v1/documents/{doc}/labels", {**body, "genre": "analysis", "version": 1})
    assert again.status_code == 200 and again.json["version"] == 2 and again.json["genre"] == "analysis"
    stale = api.put(f"/api/v1/documents/{doc}/labels", {**body, "version": 1})
    assert stale.status_code == 409
    for bad, field in [({"genre": "poetry"}, "genre"), ({"slant": {"T9": "favor"}}, "slant.T9"),
                       ({"slant": {"T1": "love"}}, "slant.T1"), ({"slant": "x"}, "slant")]:
        response = api.put(f"/api/v1/documents/{doc}/labels", {**body, **bad, "version": 2})
        assert response.status_code == 422 and response.json["error"]["field"] == field
    assert row_count(app, ArticleLabel) == 1
    curator = as_user("curator")
    assert curator.get(f"/api/v1/documents/{doc}/labels?annotator=annotator1").json["genre"] == "analysis"
    assert as_user("annotator2").get(f"/api/v1/documents/{doc}/labels?annotator=annotator1").status_code == 403
