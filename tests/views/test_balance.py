"""Sourcing balance against the hand annotation of the demo article (tests/data/demo_claims.json)."""

from __future__ import annotations

from typing import Any

from tests.conftest import seed_document_id
from tests.demo_fixture import annotate_demo


def test_every_quote_of_the_demo_can_be_annotated_through_the_api(app: Any, as_user: Any) -> None:
    saved = annotate_demo(as_user("annotator1"), seed_document_id(app))
    assert len(saved) == 21
    multi = [c for c in saved if len(c["content"]) == 2]
    assert [[s["paragraph"] for s in c["content"]] for c in multi] == [[19, 20], [25, 26]]


def test_demo_balance_matches_the_hand_count(app: Any, as_user: Any) -> None:
    api = as_user("annotator1")
    doc = seed_document_id(app)
    annotate_demo(api, doc)
    balance = api.get(f"/api/v1/documents/{doc}/balance").json
    sides = {side: {k: v[k] for k in ("claims", "direct", "indirect", "mixed")} for side, v in balance["sides"].items()}
    assert sides == {
        "azerbaijan": {"claims": 11, "direct": 5, "indirect": 4, "mixed": 2},
        "armenia": {"claims": 2, "direct": 0, "indirect": 1, "mixed": 1},
        "turkey": {"claims": 3, "direct": 1, "indirect": 2, "mixed": 0},
        "third_party": {"claims": 1, "direct": 0, "indirect": 0, "mixed": 1},
    }
    assert balance["authorial"] == 3 and balance["vague"] == 1 and balance["claims"] == 21
    # Quoted words (direct and mixed content): Armenia's side speaks only in a 10-word fragment,
    # Turkey in one 12-word quote, Pakistan in 5 words.
    assert balance["sides"]["armenia"]["quoted_words"] == 10
    assert balance["sides"]["turkey"]["quoted_words"] == 12
    assert balance["sides"]["third_party"]["quoted_words"] == 5
    assert balance["sides"]["azerbaijan"]["quoted_words"] > 10 * balance["sides"]["armenia"]["quoted_words"]
    speakers = {s["name"]: s["claims"] for s in balance["speakers"]}
    assert speakers["Azay Guliyev"] == 9 and speakers["Mevlüt Çavuşoğlu"] == 2
    assert balance["cue_valence"]["azerbaijan"] == {"neutral": 7, "endorsing": 1, "emotive": 1}
    guliyev = next(s for s in balance["stances"] if s["speaker"] == "Azay Guliyev")
    assert guliyev["targets"]["T2"]["against"] == 4 and guliyev["targets"]["T5"]["against"] == 3
    # The project view pools the same claims; other annotators' balance is empty.
    assert as_user("curator").get("/api/v1/projects/demo/balance?annotator=annotator1").json["claims"] == 21
    assert as_user("annotator2").get("/api/v1/projects/demo/balance").json["claims"] == 0


def test_balance_filters_and_bad_filters(app: Any, as_user: Any) -> None:
    api = as_user("annotator1")
    annotate_demo(api, seed_document_id(app))
    assert api.get("/api/v1/projects/demo/balance?outlet=TRT%20World").json["claims"] == 21
    assert api.get("/api/v1/projects/demo/balance?outlet=Other").json["claims"] == 0
    for query, field in [("date_from=yesterday", "date_from"), ("layer=draft", "layer"),
                         ("annotator=nobody", "annotator")]:
        response = as_user("curator").get(f"/api/v1/projects/demo/balance?{query}")
        assert response.status_code == 422 and response.json["error"]["field"] == field
    assert api.get("/api/v1/projects/demo/balance?layer=gold").status_code == 403
    assert api.get("/api/v1/projects/demo/balance?annotator=annotator2").status_code == 403


def test_balance_page_charts_and_downloads(app: Any, as_user: Any) -> None:
    api = as_user("annotator1")
    doc = seed_document_id(app)
    annotate_demo(api, doc)
    curator = as_user("curator")
    page = curator.client.get("/projects/demo/balance?annotator=annotator1")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count("<svg") == 3 and "<title" in html
    assert "Azay Guliyev" in html and "21 claims" in html
    csv_text = curator.client.get("/projects/demo/balance.csv?table=sides&annotator=annotator1").get_data(as_text=True)
    lines = csv_text.lstrip("\ufeff").splitlines()
    assert lines[0] == "side,claims,direct,indirect,mixed,quoted_words,words"
    assert any(line.startswith("azerbaijan,11,5,4,2,") for line in lines)
    svg = curator.client.get("/projects/demo/balance.svg?chart=sides&annotator=annotator1")
    assert svg.mimetype == "image/svg+xml" and svg.get_data(as_text=True).startswith("<svg")
    assert curator.client.get("/projects/demo/balance.csv?table=nope").status_code == 422
    assert as_user("outsider").client.get("/projects/demo/balance").status_code == 404
    single = curator.client.get(f"/projects/demo/balance?document={doc}&annotator=annotator1")
    assert single.status_code == 200 and f"in document {doc}" in single.get_data(as_text=True)


def test_trend_by_month_of_publication(app: Any, as_user: Any) -> None:
    curator = as_user("curator")
    created = curator.post("/api/v1/projects/demo/documents", {"documents": [
        {"title": "July", "text": "“We will win,” said Ilham Aliyev.", "published": "2020-07-14"},
        {"title": "Later", "text": "“Peace is possible,” said Nikol Pashinyan.", "published": "2020-09-28T10:00"},
        {"title": "Undated", "text": "“Nobody knows,” said Nikol Pashinyan."}]}).json["items"]
    api = as_user("annotator1")
    for item, speaker in zip(created, ("Aliyev", "Pashinyan", "Pashinyan"), strict=True):
        document = api.get(f"/api/v1/documents/{item['id']}").json
        end = document["text"].index("”")
        assert api.post(f"/api/v1/documents/{item['id']}/claims", {
            "content": [{"start": 1, "end": end - 1}], "attribution": "direct", "speaker": speaker}).status_code == 201
    balance = api.get("/api/v1/projects/demo/balance").json
    assert balance["trend"] == {"2020-07": {"azerbaijan": 1}, "2020-09": {"armenia": 1}}
    page = curator.client.get("/projects/demo/balance?annotator=annotator1").get_data(as_text=True)
    assert page.count("<svg") == 4 and "per month of publication" in page
    trend_csv = curator.client.get("/projects/demo/balance.csv?table=trend&annotator=annotator1").get_data(as_text=True)
    assert trend_csv.lstrip("\ufeff").splitlines() == ["month,armenia,azerbaijan", "2020-07,0,1", "2020-09,1,0"]


def test_annotators_see_others_balance_only_when_the_project_is_not_blind(app: Any, as_user: Any) -> None:
    annotate_demo(as_user("annotator1"), seed_document_id(app))
    other = as_user("annotator2")
    assert other.get("/api/v1/projects/demo/balance?annotator=annotator1").status_code == 403
    assert as_user("curator").patch("/api/v1/projects/demo", {"blind": False}).status_code == 200
    assert other.get("/api/v1/projects/demo/balance?annotator=annotator1").json["claims"] == 21
    assert other.get("/api/v1/projects/demo/balance?layer=gold").status_code == 403
