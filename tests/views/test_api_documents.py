"""Importing documents through the API: canonical text, duplicates, batches, revisions, bad input."""

from __future__ import annotations

from typing import Any

import pytest

from app.models import Document, Paragraph
from tests.conftest import SEED, row_count, seed_document_id


def test_import_text_and_read_it_back(app: Any, as_user: Any) -> None:
    api = as_user("curator")
    response = api.post("/api/v1/projects/demo/documents", {
        "title": "Crlf", "text": "First\u00a0 \r\n\r\nCafe\u0301 said “hi” 😀\r\n", "source": "Wire",
        "owner_id": 1, "project_id": 2})
    assert response.status_code == 201, response.json
    doc = response.json
    assert doc["text"] == "First\n\nCafé said “hi” 😀"
    assert doc["paragraphs"] == [{"index": 0, "start": 0, "end": 5, "text": "First"},
                                 {"index": 1, "start": 7, "end": 23, "text": "Café said “hi” 😀"}]
    assert len(doc["text_hash"]) == 64
    assert api.get(f"/api/v1/documents/{doc['id']}").json["text"] == doc["text"]
    again = api.post("/api/v1/projects/demo/documents", {"title": "Other title", "text": doc["text"]})
    assert again.status_code == 200 and again.json["id"] == doc["id"]


def test_import_html_and_paragraphs(as_user: Any) -> None:
    api = as_user("annotator1")
    html = api.post("/api/v1/projects/demo/documents", {
        "title": "<script>alert(1)</script>", "html": "<p>One<script>alert(1)</script></p><p>Two &amp; three</p>"})
    assert html.status_code == 201 and html.json["text"] == "One\n\nTwo & three"
    paragraphs = api.post("/api/v1/projects/demo/documents", {"title": "P", "paragraphs": [" a ", "", "b"]})
    assert paragraphs.json["text"] == "a\n\nb"


def test_the_seed_imports_to_the_same_document(app: Any, as_user: Any) -> None:
    response = as_user("curator").post("/api/v1/projects/demo/documents",
                                       {"title": "Seed again", "text": SEED.read_text(encoding="utf-8")})
    assert response.status_code == 200 and response.json["id"] == seed_document_id(app)


@pytest.mark.parametrize("body,field", [
    ({"title": "x", "text": ""}, "text"),
    ({"title": "x", "text": "  \n\n\u00a0"}, "text"),
    ({"title": "x"}, "text"),
    ({"title": "x", "text": "a", "html": "<p>b</p>"}, "text"),
    ({"title": "x", "paragraphs": "not a list"}, "paragraphs"),
    ({"title": "x", "paragraphs": [1, 2]}, "paragraphs"),
    ({"title": "x", "text": "nul \u0000 byte"}, "text"),
    ({"title": "x", "text": "lone \ud800"}, "text"),
    ({"title": "x", "text": "ok", "url": "javascript:alert(1)"}, "url"),
    ({"title": 5, "text": "ok"}, "title"),
    ({"title": "x", "text": "ok", "meta": []}, "meta"),
])
def test_bad_documents_store_nothing(app: Any, as_user: Any, body: Any, field: str) -> None:
    before = (row_count(app, Document), row_count(app, Paragraph))
    response = as_user("curator").post("/api/v1/projects/demo/documents", body)
    assert response.status_code == 422, response.json
    assert response.json["error"]["field"] == field
    assert (row_count(app, Document), row_count(app, Paragraph)) == before


def test_bodies_that_are_not_json(app: Any, as_user: Any) -> None:
    api = as_user("curator")
    raw = api.client.post("/api/v1/projects/demo/documents", data="{not json", content_type="application/json",
                          headers={"X-CSRFToken": api.token})
    assert raw.status_code == 422 and raw.json["error"]["field"] == "body"
    deep = "[" * 100_000 + "]" * 100_000
    nested = api.client.post("/api/v1/projects/demo/documents", data=deep, content_type="application/json",
                             headers={"X-CSRFToken": api.token})
    assert nested.status_code == 422
    huge = api.client.post("/api/v1/projects/demo/documents", data=b"x" * (33 * 1024 * 1024),
                           content_type="application/json", headers={"X-CSRFToken": api.token})
    assert huge.status_code == 413 and huge.json["error"]["code"]


def test_batch_import_is_all_or_nothing(app: Any, as_user: Any) -> None:
    api = as_user("curator")
    docs = [{"title": f"Doc {i}", "text": f"Paragraph one of {i}.\n\nParagraph two."} for i in range(50)]
    response = api.post("/api/v1/projects/demo/documents", {"documents": docs + [docs[0]]})
    assert response.status_code == 201
    assert response.json["created"] == 50 and response.json["duplicates"] == 1
    before = row_count(app, Document)
    bad = api.post("/api/v1/projects/demo/documents", {"documents": [{"title": "new", "text": "fresh"},
                                                                     {"title": "bad", "text": ""}]})
    assert bad.status_code == 422 and bad.json["error"]["field"] == "documents[1].text"
    assert row_count(app, Document) == before
    listed = api.get("/api/v1/projects/demo/documents?limit=20").json
    assert len(listed["items"]) == 20 and listed["next"]
    rest = api.get(listed["next"]).json
    assert rest["items"][0]["id"] > listed["items"][-1]["id"]
    assert api.get("/api/v1/projects/demo/documents?limit=0").status_code == 422


def test_new_revision_carries_claims_over(app: Any, as_user: Any) -> None:
    curator = as_user("curator")
    first = curator.post("/api/v1/projects/demo/documents", {
        "title": "Rev", "external_id": "story-1",
        "text": "Intro.\n\n“We will win,” said Ilham Aliyev.\n\nThe end is near."}).json
    text = first["text"]
    annotator = as_user("annotator1")
    kept = annotator.post(f"/api/v1/documents/{first['id']}/claims", {
        "content": [{"start": text.index("We will win"), "end": text.index("We will win") + 11}],
        "attribution": "direct", "speaker": "Aliyev"}).json
    lost = annotator.post(f"/api/v1/documents/{first['id']}/claims", {
        "content": [{"start": text.index("The end"), "end": len(text)}], "attribution": "authorial"}).json
    second = curator.post("/api/v1/projects/demo/documents", {
        "title": "Rev", "external_id": "story-1",
        "text": "A new lead paragraph.\n\nIntro.\n\n“We will win,” said Ilham Aliyev.\n\nIt ended."})
    assert second.status_code == 201, second.json
    assert second.json["revision"] == 2 and second.json["previous"] == first["id"]
    assert second.json["anchors"] == {"exact": 0, "moved": 1, "orphaned": 1}
    claims = annotator.get(f"/api/v1/documents/{second.json['id']}/claims").json["items"]
    assert len(claims) == 1 and claims[0]["anchor"] == "moved"
    assert claims[0]["content"][0]["text"] == "We will win" and claims[0]["speaker"]["name"] == "Ilham Aliyev"
    old = annotator.get(f"/api/v1/documents/{first['id']}/claims").json["items"]
    assert {c["id"]: c["anchor"] for c in old} == {kept["id"]: "exact", lost["id"]: "orphaned"}


def test_changes_between_revisions_page(app: Any, as_user: Any) -> None:
    curator = as_user("curator")
    first = curator.post("/api/v1/projects/demo/documents", {
        "title": "Rev", "url": "https://example.org/story", "text": "Same start.\n\nThe army said ten.\n\nGone.\n\nStays."}).json
    second = curator.post("/api/v1/projects/demo/documents", {
        "title": "Rev", "url": "https://example.org/story", "text": "Same start.\n\nThe army said twelve.\n\nStays.\n\nNew <b>end</b>."}).json
    html = curator.client.get(f"/documents/{second['id']}/changes").get_data(as_text=True)
    assert "<del aria-label=\"removed\">ten.</del>" in html and "<ins aria-label=\"added\">twelve.</ins>" in html
    assert "<del>Gone.</del>" in html and "<ins>New &lt;b&gt;end&lt;/b&gt;.</ins>" in html  # escaped, never markup
    assert '<p class="same">Stays.</p>' in html
    assert curator.client.get(f"/documents/{first['id']}/changes").status_code == 404
    assert as_user("outsider").client.get(f"/documents/{second['id']}/changes").status_code == 404
