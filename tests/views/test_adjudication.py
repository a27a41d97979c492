"""Adjudication: side-by-side units, accept or merge into gold with provenance, annotator rows untouched."""

from __future__ import annotations

from typing import Any

from tests.conftest import csrf_token, find_span, seed_document_id
from tests.views.test_agreement_views import double_code


def test_merge_into_gold_keeps_annotator_rows(app: Any, as_user: Any) -> None:
    double_code(app, as_user)
    curator = as_user("curator")
    doc = seed_document_id(app)
    first = {c["content"][0]["text"]: c for c in curator.get(f"/api/v1/documents/{doc}/claims?annotator=annotator1").json["items"]}
    second = {c["content"][0]["text"]: c for c in curator.get(f"/api/v1/documents/{doc}/claims?annotator=annotator2").json["items"]}
    text = "the latest fighting “another provocation of Armenia”"
    a, b = first[text], second[text]
    assert (a["attribution"], b["attribution"]) == ("mixed", "indirect")
    merged = curator.post(f"/api/v1/documents/{doc}/gold", {"base": b["id"], "choose": {"attribution": a["id"]}})
    assert merged.status_code == 201, merged.json
    gold = merged.json
    assert gold["layer"] == "gold" and gold["attribution"] == "mixed" and gold["origin"] == "adjudication"
    assert gold["gold_sources"] == sorted([a["id"], b["id"]]) and gold["speaker"]["name"] == "Ilham Aliyev"
    again = curator.post(f"/api/v1/documents/{doc}/gold", {"base": a["id"]})
    assert again.status_code == 409
    # The annotators' rows are unchanged.
    assert curator.get(f"/api/v1/claims/{b['id']}").json["attribution"] == "indirect"
    assert curator.get(f"/api/v1/claims/{b['id']}").json["version"] == 1
    layer = curator.get(f"/api/v1/documents/{doc}/claims?layer=gold").json["items"]
    assert [c["id"] for c in layer] == [gold["id"]]
    balance = curator.get(f"/api/v1/documents/{doc}/balance?layer=gold").json
    assert balance["sides"]["azerbaijan"]["mixed"] == 1 and balance["claims"] == 1


def test_bad_gold_requests(app: Any, as_user: Any) -> None:
    double_code(app, as_user)
    curator = as_user("curator")
    doc = seed_document_id(app)
    claim = curator.get(f"/api/v1/documents/{doc}/claims?annotator=annotator1").json["items"][0]
    for body, status, field in [({}, 422, "base"), ({"base": 10**9}, 404, "base"),
                                ({"base": claim["id"], "choose": {"password": claim["id"]}}, 422, "choose.password"),
                                ({"base": claim["id"], "choose": {"attribution": 10**9}}, 404, "choose.attribution")]:
        response = curator.post(f"/api/v1/documents/{doc}/gold", body)
        assert response.status_code == status and response.json["error"]["field"] == field, body
    assert curator.get(f"/api/v1/documents/{doc}/claims?layer=gold").json["items"] == []
    assert as_user("annotator1").post(f"/api/v1/documents/{doc}/gold", {"base": claim["id"]}).status_code == 403


def test_adjudication_pages(app: Any, as_user: Any) -> None:
    double_code(app, as_user)
    curator = as_user("curator")
    doc = seed_document_id(app)
    listing = curator.client.get("/projects/demo/adjudicate").get_data(as_text=True)
    assert "Tavush clashes" in listing
    page = curator.client.get(f"/projects/demo/adjudicate/{doc}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count('class="unit disagree"') == 3
    assert html.count("Marked by one annotator") == 1
    claim = curator.get(f"/api/v1/documents/{doc}/claims?annotator=annotator1").json["items"][0]
    token = csrf_token(curator.client, f"/projects/demo/adjudicate/{doc}")
    accepted = curator.client.post(f"/projects/demo/adjudicate/{doc}", data={"csrf_token": token, "base": claim["id"]})
    assert accepted.status_code == 302
    assert len(curator.get(f"/api/v1/documents/{doc}/claims?layer=gold").json["items"]) == 1
    assert "in gold" in curator.client.get(f"/projects/demo/adjudicate/{doc}").get_data(as_text=True)
    assert as_user("annotator1").client.get(f"/projects/demo/adjudicate/{doc}").status_code == 403


def test_curator_writes_gold_on_the_annotation_page(app: Any, as_user: Any) -> None:
    curator = as_user("curator")
    doc = seed_document_id(app)
    page = curator.client.get(f"/documents/{doc}?layer=gold").get_data(as_text=True)
    assert 'id="claim-form"' in page and '"layer": "gold"' in page
    start, end = find_span(app, doc, "What Armenia did is unacceptable.")
    created = curator.post(f"/api/v1/documents/{doc}/claims", {"content": [{"start": start, "end": end}],
                                                               "attribution": "direct", "layer": "gold"})
    assert created.status_code == 201 and created.json["layer"] == "gold"
