"""Corpus pages: full-text search (page and API), the fact-check queue with verification records,
and speaker pages. Runs on SQLite (FTS5) and PostgreSQL (tsvector indexes) alike."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
import sqlalchemy as sa

from app.db import get_session
from app.domain.charts import stance_over_time
from app.models import AuditEvent, Claim, Speaker
from app.services.search import Term, match_spans, parse_query, snippet, stance_timeline
from tests.conftest import TEST_DB, find_span, row_count, seed_document_id
from tests.demo_fixture import annotate_demo

SEARCH = "/api/v1/projects/demo/search"
DATED_TEXT = ("Yerevan said the shelling near Berd destroyed three houses.\n\n"
              "Baku denied it and called the report “a provocation”.")


def _has_nul(values: dict[str, Any]) -> bool:
    return any("\x00" in str(v) for v in values.values())


def _claims(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.json["claims"]["items"]


def _speaker_id(app: Any, name: str) -> int:
    with app.app_context():
        speaker_id = get_session().scalar(sa.select(Speaker.id).where(Speaker.name == name))
    assert speaker_id is not None
    return speaker_id


def _claim_row(app: Any, claim_id: int) -> Claim:
    with app.app_context():
        claim = get_session().get(Claim, claim_id)
        assert claim is not None
        get_session().expunge(claim)
    return claim


def _dated_document(curator: Any, title: str, published: str, text: str = DATED_TEXT, source: str = "Wire") -> int:
    # The title opens the text: the same text twice would be one document.
    response = curator.post("/api/v1/projects/demo/documents",
                            {"title": title, "text": f"{title}.\n\n{text}", "source": source, "published": published})
    assert response.status_code == 201, response.json
    return int(response.json["id"])


def _claim_on(api: Any, document_id: int, text: str, **fields: Any) -> dict[str, Any]:
    document = api.get(f"/api/v1/documents/{document_id}").json
    start = document["text"].index(text)
    body = {"content": [{"start": start, "end": start + len(text), "text": text}], "attribution": "indirect"}
    body.update(fields)
    response = api.post(f"/api/v1/documents/{document_id}/claims", body)
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def demo(app: Any, as_user: Any) -> dict[str, Any]:
    """annotator1 has hand-annotated the demo article (21 claims)."""
    api = as_user("annotator1")
    doc = seed_document_id(app)
    return {"api": api, "doc": doc, "claims": annotate_demo(api, doc)}


# --- the query language and snippets (pure) ----------------------------------------------------

def test_queries_parse_into_quoted_terms() -> None:
    query = parse_query('Armenia "another provocation" Baku OR Ankara -Yerevan')
    assert [[t.words for t in g] for g in query.groups] == [[("armenia",)], [("another", "provocation")],
                                                             [("baku",), ("ankara",)]]
    assert [t.words for t in query.excluded] == [("yerevan",)]
    assert query.fts5() == '("armenia" AND "another provocation" AND ("baku" OR "ankara")) NOT "yerevan"'
    # FTS syntax typed by a user is only words to us: operators, columns, prefixes, parentheses.
    # A token with punctuation inside is a phrase of its words, as in the indexed text.
    assert parse_query('title:x NEAR(a b) c* ^d (e) AND').fts5() == \
        '("title x" AND "near a" AND "b" AND "c" AND "d" AND "e" AND "and")'
    assert parse_query("Nagorno-Karabakh 1.2").groups == ((Term(("nagorno", "karabakh")),), (Term(("1", "2")),))
    assert parse_query("“typographic quotes”").groups == ((Term(("typographic", "quotes")),),)


@pytest.mark.parametrize(("text", "message"), [
    ("", "at least one word"), ("  !!! ", "at least one word"), ("-baku", "not excluded"),
    ('"unclosed phrase', "not closed"), ("OR baku", "OR goes between"), ("baku OR", "OR goes between"),
    ("baku OR OR ankara", "OR goes between"), ("baku OR -ankara", "excluded"), ("a\x00b", "NUL"),
    ("x" * 201, "longer than 200"), (" ".join(f"w{i}" for i in range(13)), "at most 12"),
    ('"' + " ".join(["w"] * 11) + '"', "at most 10 words"), (None, "q is the text"),
])
def test_bad_queries_are_refused_with_a_reason(text: Any, message: str) -> None:
    with pytest.raises(Exception) as caught:
        parse_query(text)
    assert message in str(caught.value) and getattr(caught.value, "field", None) == "q"


def test_snippets_mark_words_in_the_canonical_text_and_escape_the_rest() -> None:
    text = "First paragraph <b>bold</b>.\n\nMevlüt Çavuşoğlu said: “<script>alert(1)</script> Cavusoglu”."
    terms = parse_query("cavusoglu").positive
    first, second = text.index("Çavuşoğlu"), text.index("Cavusoglu")
    assert match_spans(text, terms) == [(first, first + 9), (second, second + 9)]
    cut = snippet(text, terms)
    assert cut.paragraph == 1
    assert [piece for piece, hit in cut.pieces if hit] == ["Çavuşoğlu", "Cavusoglu"]
    html = str(cut.html())
    assert "<script>" not in html and "&lt;script&gt;" in html and "<mark>Çavuşoğlu</mark>" in html
    # A long text is cut to a window at word boundaries, with an ellipsis on the cut sides.
    long = " ".join(["filler"] * 200) + " needle " + " ".join(["more"] * 200)
    window = snippet(long, parse_query("needle").positive)
    assert window.pieces[0] == ("…", False) and window.pieces[-1] == ("…", False)
    assert len(window.text) < 400 and ("needle", True) in window.pieces
    # No match (e.g. only in the title): the start of the text, unmarked.
    assert snippet("nothing here", terms).pieces == [("nothing here", False)]
    assert [p for p, hit in snippet("a phrase here", parse_query('"phrase here"').positive).pieces if hit] == \
        ["phrase here"]


def test_stance_timeline_counts_per_day_and_target_and_the_chart_describes_it() -> None:
    rows = stance_timeline([("2020-07-14T10:00:00Z", "T2", "against"), ("2020-07-14", "T2", "against"),
                            ("2020-07-14", "T1", "favor"), (None, "T2", "neutral"), ("2020-07-12", "T2", "favor"),
                            ("not a date", "T2", "none")], ["T1", "T2"])
    assert [(r.date, r.target, r.counts) for r in rows] == [
        ("2020-07-12", "T2", {"favor": 1}), ("2020-07-14", "T1", {"favor": 1}), ("2020-07-14", "T2", {"against": 2}),
        (None, "T2", {"neutral": 1, "none": 1})]
    assert [r.net for r in rows] == [1.0, 1.0, -1.0, 0.0]
    svg = str(stance_over_time("Stance <of> X", ["2020-07-12", "2020-07-14"],
                               [("T1 <i>", [None, (1, 0, 0)]), ("T2", [(1, 0, 0), (0, 2, 0)])]))
    assert svg.startswith("<svg") and 'role="img"' in svg and "<title id=\"sot-t\">Stance &lt;of&gt; X" in svg
    assert "T2: 2020-07-12 +1.00 (1 claims), 2020-07-14 -1.00 (2 claims)" in svg and "<i>" not in svg
    assert "No dated claims" in str(stance_over_time("Empty", [], []))


# --- search: what it finds ---------------------------------------------------------------------

def test_search_finds_claims_and_documents_and_links_to_the_place(app: Any, demo: dict[str, Any]) -> None:
    api, doc = demo["api"], demo["doc"]
    result = api.get(f"{SEARCH}?q=provocation+Armenia")
    claims = _claims(result)
    assert {c["speaker"]["name"] for c in claims} == {"Ilham Aliyev", "Azay Guliyev"}
    for claim in claims:
        assert claim["url"] == f"/documents/{doc}#c{claim['id']}"
        marked = [p["text"] for segment in claim["content_match"] for p in segment if p["match"]]
        assert {w.lower() for w in marked} >= {"provocation", "armenia"}
    documents = result.json["documents"]
    assert documents["total"] == 1 and result.json["next"] is None
    hit = documents["items"][0]
    assert hit["id"] == doc and hit["url"] == f"/documents/{doc}#p{hit['paragraph']}"
    assert any(p["match"] for p in hit["snippet"]) and "<mark>" in hit["snippet_html"]
    paragraphs = api.get(f"/api/v1/documents/{doc}").json["paragraphs"]
    assert "provocation" in paragraphs[hit["paragraph"]]["text"].lower() or \
        "armenia" in paragraphs[hit["paragraph"]]["text"].lower()


def test_search_language_phrases_or_exclusion_and_accents(app: Any, demo: dict[str, Any]) -> None:
    api = demo["api"]

    def speakers(query: str) -> list[str | None]:
        return sorted((c["speaker"] or {}).get("name") or "" for c in _claims(api.get(SEARCH, query_string={"q": query})))

    assert speakers('"another provocation"') == ["Ilham Aliyev"]
    assert speakers("provocation -Yerevan") == ["Ilham Aliyev"]
    assert speakers("Ankara OR unacceptable") == ["Mevlüt Çavuşoğlu", "Recep Tayyip Erdoğan"]
    # The speaker's registry name and aliases are searched too, with or without diacritics.
    assert speakers("Çavuşoğlu") == speakers("cavusoglu") == ["Mevlüt Çavuşoğlu", "Mevlüt Çavuşoğlu"]
    # Words are split at punctuation the same way on both databases.
    assert speakers('"Nagorno Karabakh" displaced') == ["Azay Guliyev"]
    assert speakers("1.2 million") == [""]
    assert speakers("nonexistentword") == []


def test_search_follows_every_write(app: Any, demo: dict[str, Any], as_user: Any) -> None:
    """Notes, speaker renames, merges, edits and deletes reach the index (triggers on SQLite)."""
    api, claim = demo["api"], demo["claims"][0]
    assert _claims(api.get(f"{SEARCH}?q=zanzibar")) == []
    patched = api.patch(f"/api/v1/claims/{claim['id']}", {"version": claim["version"],
                                                          "note": "Compare with the Zanzibar report"})
    assert patched.status_code == 200
    hit = _claims(api.get(f"{SEARCH}?q=zanzibar"))
    assert [c["id"] for c in hit] == [claim["id"]] and any(p["match"] for p in hit[0]["note_match"])
    # Words from different parts of a claim (content and speaker) match together.
    assert [c["id"] for c in _claims(api.get(f"{SEARCH}?q=zanzibar+soldiers+Yerevan"))] == [claim["id"]]
    curator = as_user("curator")
    armenia = _speaker_id(app, "Government of Armenia")
    renamed = curator.patch(f"/api/v1/projects/demo/speakers/{armenia}", {"name": "Republic of Armenia Cabinet"})
    assert renamed.status_code == 200, renamed.json
    assert [c["id"] for c in _claims(api.get(f"{SEARCH}?q=cabinet"))] == [claim["id"]]
    merged = curator.post("/api/v1/projects/demo/speakers/merge",
                          {"source": armenia, "target": _speaker_id(app, "Nikol Pashinyan")})
    assert merged.status_code == 200, merged.json
    assert len(_claims(api.get(f"{SEARCH}?q=Pashinyan"))) == 2
    content = api.get(f"/api/v1/claims/{claim['id']}").json
    doc = demo["doc"]
    start, end = find_span(app, doc, "Tensions continue to mount")
    edited = api.patch(f"/api/v1/claims/{claim['id']}", {"version": content["version"],
                                                         "content": [{"start": start, "end": end}]})
    assert edited.status_code == 200, edited.json
    assert _claims(api.get(f"{SEARCH}?q=soldiers+zanzibar")) == []
    assert [c["id"] for c in _claims(api.get(f"{SEARCH}?q=tensions+zanzibar"))] == [claim["id"]]
    assert api.delete(f"/api/v1/claims/{claim['id']}").status_code == 204
    assert _claims(api.get(f"{SEARCH}?q=zanzibar")) == []


def test_search_filters(app: Any, demo: dict[str, Any], as_user: Any) -> None:
    api = demo["api"]
    guliyev = _speaker_id(app, "Azay Guliyev")

    def count(**args: Any) -> int:
        response = api.get(SEARCH, query_string={"q": "Armenia", **args})
        assert response.status_code == 200, response.json
        return int(response.json["claims"]["total"])

    everything = count()
    assert everything > count(speaker=guliyev) > 0
    assert count(speaker="Guliyev") == count(speaker=guliyev)
    assert count(side="armenia") + count(side="azerbaijan") + count(side="turkey") + count(side="third_party") <= everything
    assert count(side="armenia") > 0 and count(side="russia") == 0
    assert count(attribution="direct") + count(attribution="indirect") + count(attribution="mixed") + \
        count(attribution="authorial") == everything
    assert count(claim_type="opinion") > 0 and count(claim_type="law_rule") == 0
    assert count(stance="T2=against") > count(stance="T4=against") > 0
    assert count(outlet="TRT World") == everything and count(outlet="Other outlet") == 0
    assert count(date_from="2021-01-01") == 0  # the seed article has no publication date
    # A claim filter leaves documents out of the answer; outlet and dates apply to both.
    assert api.get(SEARCH, query_string={"q": "Armenia", "side": "armenia"}).json["documents"]["total"] == 0
    assert api.get(SEARCH, query_string={"q": "Armenia", "outlet": "TRT World"}).json["documents"]["total"] == 1
    dated = _dated_document(as_user("curator"), "Berd shelling", "2020-07-20")
    for args, total in [({"date_from": "2020-07-20"}, 1), ({"date_from": "2020-07"}, 1), ({"date_to": "2020-07-19"}, 0),
                        ({"date_from": "2020-07-20", "date_to": "2020-07-20"}, 1), ({"outlet": "Wire"}, 1)]:
        response = api.get(SEARCH, query_string={"q": "shelling Berd", **args})
        assert response.json["documents"]["total"] == total, args
        assert [d["id"] for d in response.json["documents"]["items"]] == ([dated] if total else [])


@pytest.mark.parametrize(("args", "field"), [
    ({"q": "a\x00b"}, "q"), ({"q": "x" * 201}, "q"), ({"q": '"open'}, "q"), ({"q": "-only"}, "q"), ({"q": ""}, "q"),
    ({}, "q"), ({"q": "a", "speaker": "nobody here"}, "speaker"), ({"q": "a", "speaker": "99999999999999999999"}, "speaker"),
    ({"q": "a", "side": "mars"}, "side"), ({"q": "a", "attribution": "shouted"}, "attribution"),
    ({"q": "a", "claim_type": "gossip"}, "claim_type"), ({"q": "a", "stance": "T2"}, "stance"),
    ({"q": "a", "stance": "T9=favor"}, "stance"), ({"q": "a", "stance": "T2=love"}, "stance"),
    ({"q": "a", "date_from": "yesterday"}, "date_from"), ({"q": "a", "date_to": "2020-13-45x"}, "date_to"),
    ({"q": "a", "date_from": "2021-01-01", "date_to": "2020-01-01"}, "date_from"), ({"q": "a", "layer": "draft"}, "layer"),
    ({"q": "a", "page": "0"}, "page"), ({"q": "a", "page": "abc"}, "page"), ({"q": "a", "page": "501"}, "page"),
    ({"q": "a", "outlet": "x" * 501}, "outlet"), ({"q": "a", "outlet": "a\x00"}, "outlet"),
])
def test_search_api_refuses_bad_input(app: Any, as_user: Any, args: dict[str, str], field: str) -> None:
    response = as_user("curator").get(SEARCH, query_string=args)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert response.json["error"]["field"] == field and response.json["error"]["message"]


@pytest.mark.parametrize("query", [
    "AND", "NOT", "OR OR", "*", "^", "a:b", "(((", ")", "NEAR(a b, 2)", "'; DROP TABLE claims; --", "\\", "%", "_",
    "{a b}", "a + b", "\"\"", "-", "!!", "a & b | !c", "<->", "title:armenia", "\u202eevil", "😀 Armenia", "ə",
])
def test_search_never_fails_on_fts_syntax(app: Any, as_user: Any, query: str) -> None:
    response = as_user("curator").get(SEARCH, query_string={"q": query})
    assert response.status_code in (200, 422), response.get_data(as_text=True)[:300]
    assert response.is_json and response.json


def test_search_respects_layers_and_blind_mode(app: Any, demo: dict[str, Any], as_user: Any) -> None:
    query = {"q": "Armenia"}
    mine = demo["api"].get(SEARCH, query_string=query).json["claims"]["total"]
    assert mine > 0
    other = as_user("annotator2")
    assert other.get(SEARCH, query_string=query).json["claims"]["total"] == 0  # blind: never annotator1's
    for args in ({"annotator": "annotator1"}, {"annotator": "*"}):
        refused = other.get(SEARCH, query_string={**query, **args})
        assert refused.status_code == 403 and refused.json["error"]["field"] == "annotator"
    assert other.get(SEARCH, query_string={**query, "layer": "gold"}).status_code == 403
    curator = as_user("curator")
    assert curator.get(SEARCH, query_string=query).json["claims"]["total"] == 0  # the curator's own claims
    assert curator.get(SEARCH, query_string={**query, "annotator": "annotator1"}).json["claims"]["total"] == mine
    assert curator.get(SEARCH, query_string={**query, "annotator": "*"}).json["claims"]["total"] == mine
    assert curator.get(SEARCH, query_string={**query, "annotator": "nobody"}).status_code == 422
    linked = _claims(curator.get(SEARCH, query_string={**query, "annotator": "annotator1"}))[0]
    assert linked["url"] == f"/documents/{demo['doc']}?annotator=annotator1#c{linked['id']}"
    # The gold layer: curators only.
    annotate_demo(curator, demo["doc"], layer="gold")
    gold = _claims(curator.get(SEARCH, query_string={**query, "layer": "gold"}))
    assert len(gold) == mine and all(c["layer"] == "gold" and c["url"].endswith(f"?layer=gold#c{c['id']}")
                                     for c in gold)
    # A project that is not blind lets annotators read (and pool) each other's claims.
    assert curator.patch("/api/v1/projects/demo", {"blind": False}).status_code == 200
    assert other.get(SEARCH, query_string={**query, "annotator": "annotator1"}).json["claims"]["total"] == mine
    assert other.get(SEARCH, query_string={**query, "annotator": "*"}).json["claims"]["total"] == mine


def test_search_in_assigned_only_projects_shows_assigned_documents_only(app: Any, demo: dict[str, Any],
                                                                         as_user: Any) -> None:
    curator = as_user("curator")
    assert curator.patch("/api/v1/projects/demo", {"assigned_only": True}).status_code == 200
    result = demo["api"].get(SEARCH, query_string={"q": "Armenia"}).json
    assert result["documents"]["total"] == 0 and result["claims"]["total"] == 0
    assert curator.get(SEARCH, query_string={"q": "Armenia"}).json["documents"]["total"] == 1


def test_search_is_private_to_the_project(app: Any, demo: dict[str, Any], as_user: Any, client: Any) -> None:
    outsider = as_user("outsider")
    assert outsider.get(f"{SEARCH}?q=Armenia").status_code == 404
    assert outsider.client.get("/projects/demo/search?q=Armenia").status_code == 404
    own = outsider.get("/api/v1/projects/other/search?q=secret").json
    assert own["documents"]["total"] == 1 and "Armenia" not in str(own)
    anonymous = client.get(f"{SEARCH}?q=Armenia")
    assert anonymous.status_code == 401 and anonymous.json["error"]["code"] == "unauthorized"
    assert client.get("/projects/demo/search?q=Armenia").status_code == 302
    assert as_user("annotator1").get("/api/v1/projects/nope/search?q=a").status_code == 404


def test_search_page_marks_matches_and_escapes_user_text(app: Any, as_user: Any) -> None:
    curator = as_user("curator")
    doc = _dated_document(curator, "<b>Loud</b> headline", "2020-07-21",
                          text="Intro words.\n\n<script>alert(1)</script> then the needle sentence & more.")
    page = curator.client.get("/projects/demo/search?q=needle")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Loud&lt;/b&gt;" in html and "<b>Loud</b>" not in html
    assert '<mark class="match">needle</mark>' in html
    assert f'href="/documents/{doc}#p2"' in html  # paragraph 0 is the title, 1 the intro
    # The query itself is echoed escaped, never as markup.
    for query in ('"><img src=x onerror=alert(1)> x"', '"><img src=x onerror=alert(1)>'):
        echoed = curator.client.get("/projects/demo/search", query_string={"q": query})
        assert echoed.status_code in (200, 422) and "<img src=x" not in echoed.get_data(as_text=True)
        assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in echoed.get_data(as_text=True)


def test_search_page_shows_bad_input_on_the_form(app: Any, as_user: Any) -> None:
    api = as_user("annotator1")
    blank = api.client.get("/projects/demo/search")
    assert blank.status_code == 200 and 'id="q"' in blank.get_data(as_text=True)
    for args, field in [({"q": '"unclosed'}, "q"), ({"q": "a\x00"}, "q"), ({"q": "a", "date_from": "soon"}, "date_from"),
                        ({"q": "a", "stance": "T2=love"}, "stance")]:
        page = api.client.get("/projects/demo/search", query_string=args)
        html = page.get_data(as_text=True)
        assert page.status_code == 422, args
        if _has_nul(args):  # refused for every route before the view runs (app/security.py)
            assert "NUL" in html
            continue
        assert f'id="{field}-error"' in html and 'role="alert"' in html and 'aria-invalid="true"' in html
    assert api.client.get("/projects/demo/search?q=a&annotator=annotator2").status_code == 403


def test_search_pages_and_next_link(app: Any, demo: dict[str, Any], as_user: Any) -> None:
    api = as_user("curator")
    annotate_demo(api, demo["doc"])  # the curator's own claims: 42 claims in all
    args = {"q": "the OR Armenia OR Azerbaijan OR Baku", "annotator": "*"}
    first = api.get(SEARCH, query_string=args).json
    total = first["claims"]["total"]
    assert 20 < total <= 40
    assert len(first["claims"]["items"]) == 20 and first["next"] and "annotator=" in first["next"]
    second = api.get(first["next"]).json
    assert second["page"] == 2 and len(second["claims"]["items"]) == total - 20
    assert not {c["id"] for c in first["claims"]["items"]} & {c["id"] for c in second["claims"]["items"]}
    assert api.get(second["next"]).json["claims"]["items"] == [] if second["next"] else True
    assert 'rel="next"' in api.client.get("/projects/demo/search", query_string=args).get_data(as_text=True)


def test_query_arguments_never_reach_url_building(app: Any, demo: dict[str, Any], as_user: Any) -> None:
    """Page links copy the query string; an argument named like url_for's own must not break them."""
    api = as_user("curator")
    annotate_demo(api, demo["doc"])
    args = {"q": "the OR Armenia OR Azerbaijan OR Baku", "annotator": "*", "slug": "other", "_external": "1",
            "_anchor": "x", "_scheme": "javascript"}
    response = api.get(SEARCH, query_string=args)
    assert response.status_code == 200 and response.json["next"].startswith("/api/v1/projects/demo/search?")
    for path in ("/projects/demo/search", "/projects/demo/factcheck"):
        page = api.client.get(path, query_string=args)
        assert page.status_code == 200, path
        assert "javascript:" not in page.get_data(as_text=True)


def test_search_costs_the_same_queries_for_one_hit_or_many(app: Any, demo: dict[str, Any], count_queries: Any) -> None:
    api = demo["api"]
    api.client.get("/projects/demo/search?q=Pashinyan")  # warm-up (log-in, first session)
    counts = {}
    for query in ("Pashinyan", "Armenia", "the"):
        with count_queries() as statements:
            page = api.client.get("/projects/demo/search", query_string={"q": query})
        assert page.status_code == 200
        counts[query] = len(statements)
    assert len(set(counts.values())) == 1 and counts["the"] <= 20, counts
    with count_queries() as api_statements:
        assert api.get(SEARCH, query_string={"q": "the"}).status_code == 200
    with count_queries() as one:
        assert api.get(SEARCH, query_string={"q": "Pashinyan"}).status_code == 200
    assert len(api_statements) == len(one)


def test_the_index_objects_exist_and_are_used(app: Any, demo: dict[str, Any]) -> None:
    """The search tables are filled by triggers; PostgreSQL answers a selective query from the GIN index."""
    claims = row_count(app, Claim)
    with app.app_context():
        connection = get_session().connection()
        indexed = connection.exec_driver_sql("SELECT count(*) FROM search_claims").scalar()
        assert indexed == claims == 21
        if TEST_DB == "postgresql":
            connection.exec_driver_sql("SET enable_seqscan = off")
            for table in ("search_documents", "search_claims"):
                plan = connection.exec_driver_sql(
                    f"EXPLAIN SELECT 1 FROM {table} WHERE vector @@ "
                    "websearch_to_tsquery('sourcemark_search'::regconfig, 'armenia')").scalars().all()
                assert any(f"ix_{table}_vector" in line for line in plan), plan
            assert connection.exec_driver_sql(
                "SELECT to_tsvector('sourcemark_search', 'Çavuşoğlu')::text").scalar() == "'cavusoglu':1"
            triggers = set(connection.exec_driver_sql(
                "SELECT tgname FROM pg_trigger WHERE starts_with(tgname, 'search_')").scalars())
            assert triggers == {"search_documents_sync", "search_claims_sync", "search_segments_sync",
                                "search_speakers_sync"}
        else:
            triggers = set(connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search_%'").scalars())
            assert triggers == {"search_documents_ai", "search_documents_ad", "search_documents_au", "search_claims_ai",
                                "search_claims_au", "search_claims_ad", "search_segments_ai", "search_segments_au",
                                "search_segments_ad", "search_speakers_au"}


# --- the fact-check queue ----------------------------------------------------------------------

def _queue_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="q(\d+)"', html)]


def test_queue_lists_check_worthy_verifiable_claims(app: Any, demo: dict[str, Any]) -> None:
    api = demo["api"]
    expected = {c["id"] for c in demo["claims"] if c["check_worthiness"] == "CFS" and c["verifiable"]}
    assert len(expected) == 10
    # A check-worthy opinion cannot be checked: not in the queue.
    _claim_on(api, demo["doc"], "What Armenia did is unacceptable.", claim_type="opinion", check_worthiness="CFS")
    page = api.client.get("/projects/demo/factcheck")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and set(_queue_ids(html)) == expected
    assert "10 claims in the queue" in html and "Who records a verdict" in html
    assert html.count(">Verify<") == 10


def test_queue_sorts_by_an_allow_list(app: Any, demo: dict[str, Any], as_user: Any) -> None:
    api = demo["api"]
    curator = as_user("curator")
    newer = _dated_document(curator, "Later report", "2020-08-01")
    older = _dated_document(curator, "Earlier report", "2020-07-01")
    late = _claim_on(api, newer, "three houses", speaker="Nikol Pashinyan", claim_type="quantity",
                     check_worthiness="CFS")
    early = _claim_on(api, older, "three houses", speaker="Ilham Aliyev", claim_type="quantity",
                      check_worthiness="CFS")
    by_date = _queue_ids(api.client.get("/projects/demo/factcheck?sort=date").get_data(as_text=True))
    assert by_date[:2] == [early["id"], late["id"]]  # dated first, oldest first; undated last
    newest = _queue_ids(api.client.get("/projects/demo/factcheck?sort=-date").get_data(as_text=True))
    assert newest[:2] == [late["id"], early["id"]]
    by_speaker = api.client.get("/projects/demo/factcheck?sort=speaker").get_data(as_text=True)
    names = re.findall(r'/speakers/\d+">([^<]+)</a>', by_speaker)
    assert names == sorted(names)
    by_side = _queue_ids(api.client.get("/projects/demo/factcheck?sort=side").get_data(as_text=True))
    assert by_side[0] == late["id"]  # "armenia" sorts first
    assert _queue_ids(api.client.get("/projects/demo/factcheck?sort=-status").get_data(as_text=True))
    for bad in ("password_hash", "id;DROP TABLE claims", "-", "--date", "Date", "claims.id"):
        response = api.client.get("/projects/demo/factcheck", query_string={"sort": bad})
        assert response.status_code == 422 and 'id="sort-error"' in response.get_data(as_text=True), bad
        assert api.client.get("/projects/demo/factcheck.csv", query_string={"sort": bad}).status_code == 422


def test_queue_filters_and_bad_filters(app: Any, demo: dict[str, Any]) -> None:
    api = demo["api"]

    def ids(**args: Any) -> list[int]:
        page = api.client.get("/projects/demo/factcheck", query_string=args)
        assert page.status_code == 200, args
        return _queue_ids(page.get_data(as_text=True))

    assert len(ids()) == 10
    assert len(ids(speaker=_speaker_id(app, "Azay Guliyev"))) == 2
    assert len(ids(side="armenia")) == 2 and ids(side="russia") == []
    assert len(ids(status="unverified")) == 10 and ids(status="false") == []
    assert len(ids(outlet="TRT World")) == 10 and ids(outlet="Elsewhere") == []
    for bad in ({"status": "fake"}, {"side": "mars"}, {"date_from": "x"}, {"annotator": "annotator2"}):
        download = api.client.get("/projects/demo/factcheck.csv", query_string=bad)
        assert download.status_code in (403, 422) and download.mimetype == "text/html", bad
    for args, field in [({"status": "fake"}, "status"), ({"side": "mars"}, "side"), ({"speaker": "999999"}, "speaker"),
                        ({"date_to": "tomorrow"}, "date_to"), ({"page": "-1"}, "page"), ({"layer": "gold"}, "layer"),
                        ({"outlet": "\x00"}, "outlet")]:
        page = api.client.get("/projects/demo/factcheck", query_string=args)
        expected = 403 if field == "layer" else 422
        assert page.status_code == expected, args
        if expected == 422:
            html = page.get_data(as_text=True)
            assert f'id="{field}-error"' in html or (field == "page" and "page is a whole number" in html) or \
                ("NUL" in html and _has_nul(args))


def test_verification_is_saved_through_the_claim_update(app: Any, demo: dict[str, Any]) -> None:
    api = demo["api"]
    claim = next(c for c in demo["claims"] if c["check_worthiness"] == "CFS")
    page = api.client.get(f"/projects/demo/factcheck/{claim['id']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="status"' in html and "This is your own claim" in html
    form = {"csrf_token": api.token, "version": str(claim["version"]), "status": "mostly_false",
            "rating_text": "=Misleading: counts both sides", "checked_by": "admin", "checked_at": "1999-01-01",
            "evidence-0-url": "https://example.org/report", "evidence-0-title": "UN report",
            "evidence-0-accessed_at": "2024-05-01", "evidence-0-note": "table 3",
            "evidence-1-url": "", "evidence-2-url": "https://example.org/second"}
    saved = api.client.post(f"/projects/demo/factcheck/{claim['id']}", data=form)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/projects/demo/factcheck/{claim['id']}")
    stored = api.get(f"/api/v1/claims/{claim['id']}").json
    assert stored["version"] == claim["version"] + 1
    # The checker and the date are who saved and when; what the form sent for them is ignored.
    checked_at = stored["verification"].pop("checked_at")
    assert checked_at[:4] != "1999" and re.match(r"^\d{4}-\d{2}-\d{2}T", checked_at)
    assert stored["verification"] == {
        "status": "mostly_false", "rating_text": "=Misleading: counts both sides", "checked_by": "annotator1",
        "evidence": [{"url": "https://example.org/report", "title": "UN report", "accessed_at": "2024-05-01",
                      "note": "table 3"}, {"url": "https://example.org/second"}]}
    with app.app_context():
        audit = get_session().scalars(sa.select(AuditEvent).where(
            AuditEvent.entity_type == "claim", AuditEvent.entity_id == claim["id"], AuditEvent.action == "update")).all()
    assert len(audit) == 1 and audit[0].after["verification"]["status"] == "mostly_false"
    shown = api.client.get(f"/projects/demo/factcheck/{claim['id']}").get_data(as_text=True)
    assert "Verification saved" in shown and 'href="https://example.org/report"' in shown
    assert 'value="https://example.org/report"' in shown and "accessed 2024-05-01" in shown
    queue = api.client.get("/projects/demo/factcheck?status=mostly_false").get_data(as_text=True)
    assert _queue_ids(queue) == [claim["id"]] and ">Edit verdict<" in queue
    # The CSV download of the queue: the record, spreadsheet-safe.
    download = api.client.get("/projects/demo/factcheck.csv?status=mostly_false")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 1 and rows[0]["claim_id"] == str(claim["id"])
    assert rows[0]["rating_text"] == "'=Misleading: counts both sides" and rows[0]["status"] == "mostly_false"
    assert rows[0]["evidence_urls"] == "https://example.org/report|https://example.org/second"
    assert rows[0]["link"].endswith(f"/documents/{demo['doc']}#c{claim['id']}")
    everything = list(csv.reader(io.StringIO(api.client.get("/projects/demo/factcheck.csv").get_data(as_text=True))))
    assert len(everything) == 11


@pytest.mark.parametrize(("changes", "field"), [
    ({"evidence-0-url": "javascript:alert(1)"}, "evidence-0-url"),
    ({"evidence-0-url": "", "evidence-0-title": "a title without an address"}, "evidence-0-url"),
    ({"evidence-0-accessed_at": "last week"}, "evidence-0-accessed_at"),
    ({"status": "probably"}, "status"),
    ({"rating_text": "x" * 501}, "rating_text"),
    ({"rating_text": "a\x00b"}, "rating_text"),
    ({"evidence-0-url": "https://example.org/" + "z" * 2000}, "evidence-0-url"),
])
def test_verification_form_refuses_bad_input_and_changes_nothing(app: Any, demo: dict[str, Any],
                                                                 changes: dict[str, str], field: str) -> None:
    api = demo["api"]
    claim = demo["claims"][0]
    form = {"csrf_token": api.token, "version": str(claim["version"]), "status": "true",
            "evidence-0-url": "https://example.org/ok", **changes}
    response = api.client.post(f"/projects/demo/factcheck/{claim['id']}", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:500]
    if _has_nul(changes):  # refused for every route before the view runs (app/security.py)
        assert "NUL" in html
    else:
        assert f'id="{field}-error"' in html and "Nothing was saved" in html
    after = _claim_row(app, claim["id"])
    assert after.version == claim["version"] and after.verification is None


def test_verification_form_with_too_many_or_odd_evidence_rows(app: Any, demo: dict[str, Any]) -> None:
    api = demo["api"]
    claim = demo["claims"][0]
    form = {"csrf_token": api.token, "version": str(claim["version"]), "status": "true"}
    rows = {f"evidence-{i}-url": f"https://example.org/{i}" for i in range(60)}
    many = api.client.post(f"/projects/demo/factcheck/{claim['id']}", data={**form, **rows})
    assert many.status_code in (302, 422)
    form["version"] = str(_claim_row(app, claim["id"]).version)
    odd = api.client.post(f"/projects/demo/factcheck/{claim['id']}",
                          data={**form, "evidence-99999999999999999999-url": "https://example.org/x",
                                "evidence--1-url": "https://example.org/y", "evidence-x-url": "z"})
    assert odd.status_code in (302, 422)
    stored = _claim_row(app, claim["id"]).verification
    assert stored is None or len(stored["evidence"]) <= 50


def test_verification_form_stale_version_csrf_and_missing_version(app: Any, demo: dict[str, Any]) -> None:
    api = demo["api"]
    claim = demo["claims"][0]
    form = {"csrf_token": api.token, "version": str(claim["version"]), "status": "true"}
    assert api.patch(f"/api/v1/claims/{claim['id']}", {"version": claim["version"], "note": "x"}).status_code == 200
    stale = api.client.post(f"/projects/demo/factcheck/{claim['id']}", data=form)
    assert stale.status_code == 409 and "changed since version" in stale.get_data(as_text=True)
    assert _claim_row(app, claim["id"]).verification is None
    no_csrf = api.client.post(f"/projects/demo/factcheck/{claim['id']}", data={**form, "csrf_token": "forged"})
    assert no_csrf.status_code == 400
    no_version = api.client.post(f"/projects/demo/factcheck/{claim['id']}", data={**form, "version": ""})
    assert no_version.status_code == 422
    huge = api.client.post(f"/projects/demo/factcheck/{claim['id']}", data={**form, "version": "9" * 30})
    assert huge.status_code == 422
    assert _claim_row(app, claim["id"]).verification is None


def test_only_the_rows_owner_or_a_curator_on_gold_verifies(app: Any, demo: dict[str, Any], as_user: Any) -> None:
    claim = demo["claims"][0]
    curator = as_user("curator")
    form = {"csrf_token": curator.token, "version": str(claim["version"]), "status": "true"}
    # A curator sees an annotator's claim read-only and cannot change it.
    page = curator.client.get(f"/projects/demo/factcheck/{claim['id']}").get_data(as_text=True)
    assert 'name="status"' not in page and "only they change their own rows" in page and "gold layer" in page
    assert curator.client.post(f"/projects/demo/factcheck/{claim['id']}", data=form).status_code == 403
    # Another annotator in a blind project does not even learn that the claim exists.
    other = as_user("annotator2")
    assert other.client.get(f"/projects/demo/factcheck/{claim['id']}").status_code == 404
    assert other.client.post(f"/projects/demo/factcheck/{claim['id']}",
                             data={**form, "csrf_token": other.token}).status_code == 404
    assert _claim_row(app, claim["id"]).verification is None
    # On the gold layer, the curator records the verdict; the queue opens there for curators.
    gold = annotate_demo(curator, demo["doc"], layer="gold")
    target = next(c for c in gold if c["check_worthiness"] == "CFS")
    queue = curator.client.get("/projects/demo/factcheck").get_data(as_text=True)
    assert target["id"] in _queue_ids(queue) and "from the gold layer" in queue
    assert "You are writing on the gold layer" in curator.client.get(
        f"/projects/demo/factcheck/{target['id']}").get_data(as_text=True)
    saved = curator.client.post(f"/projects/demo/factcheck/{target['id']}",
                                data={**form, "version": str(target["version"])})
    assert saved.status_code == 302
    assert curator.get(f"/api/v1/claims/{target['id']}").json["verification"]["status"] == "true"
    assert demo["api"].client.get(f"/projects/demo/factcheck/{target['id']}").status_code == 404
    # Annotators cannot read the gold layer's queue.
    assert demo["api"].client.get("/projects/demo/factcheck?layer=gold").status_code == 403


def test_queue_and_verification_are_private_to_the_project(app: Any, demo: dict[str, Any], as_user: Any) -> None:
    outsider = as_user("outsider")
    claim = demo["claims"][0]
    for path in ("/projects/demo/factcheck", "/projects/demo/factcheck.csv", f"/projects/demo/factcheck/{claim['id']}"):
        assert outsider.client.get(path).status_code == 404, path
    # Their own claim, asked for under the demo project's address: not found there either.
    other_doc = seed_document_id(app, "Other article")
    own = _claim_on(outsider, other_doc, "Secret words", claim_type="quantity", check_worthiness="CFS")
    assert outsider.client.get(f"/projects/other/factcheck/{own['id']}").status_code == 200
    assert as_user("curator").client.get(f"/projects/demo/factcheck/{own['id']}").status_code == 404
    assert demo["api"].client.get("/projects/demo/factcheck/99999999999999").status_code == 404
    assert demo["api"].client.get("/projects/demo/factcheck/424242").status_code == 404


def test_queue_costs_the_same_queries_for_few_or_many_claims(app: Any, demo: dict[str, Any],
                                                             count_queries: Any) -> None:
    api = demo["api"]
    api.client.get("/projects/demo/factcheck")
    counts = []
    for args in ({"side": "turkey"}, {"side": "azerbaijan"}, {}, {"sort": "status"}):
        with count_queries() as statements:
            assert api.client.get("/projects/demo/factcheck", query_string=args).status_code == 200
        counts.append(len(statements))
    assert len(set(counts)) == 1 and counts[0] <= 20, counts
    speaker_counts = []
    for name in ("Nikol Pashinyan", "Azay Guliyev"):  # 1 claim, 9 claims
        path = f"/projects/demo/speakers/{_speaker_id(app, name)}"
        with count_queries() as statements:
            assert api.client.get(path).status_code == 200
        speaker_counts.append(len(statements))
    assert speaker_counts[0] == speaker_counts[1], speaker_counts


# --- speaker pages -----------------------------------------------------------------------------

def test_speaker_page_lists_claims_and_stance_over_time(app: Any, demo: dict[str, Any], as_user: Any) -> None:
    api = demo["api"]
    guliyev = _speaker_id(app, "Azay Guliyev")
    curator = as_user("curator")
    july = _dated_document(curator, "July report", "2020-07-20")
    august = _dated_document(curator, "August report", "2020-08-03T09:00:00Z")
    _claim_on(api, july, "three houses", speaker=guliyev, stances=[{"target": "T2", "value": "against"}])
    _claim_on(api, august, "a provocation", speaker=guliyev, stances=[{"target": "T2", "value": "favor"},
                                                                       {"target": "T1", "value": "favor"}])
    page = api.client.get(f"/projects/demo/speakers/{guliyev}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "11 claims by Azay Guliyev" in html
    assert html.count('<svg') == 1 and 'aria-labelledby="sot-t sot-d"' in html
    assert "T2 Armenia&#39;s government / armed forces: 2020-07-20 -1.00 (1 claims), 2020-08-03 +1.00 (1 claims)" in html
    rows = re.findall(r"<tr><td>([^<]+)</td><th scope=\"row\">(T\d)", html)
    assert rows[:3] == [("2020-07-20", "T2"), ("2020-08-03", "T1"), ("2020-08-03", "T2")]
    assert ("undated", "T2") in rows
    assert html.index("July report") < html.index("August report") < html.index("Tavush clashes")
    assert f'href="/documents/{july}#c' in html
    # The speakers page links here.
    assert f'href="/projects/demo/speakers/{guliyev}"' in api.client.get("/projects/demo/speakers").get_data(as_text=True)


def test_speaker_page_layers_and_bad_input(app: Any, demo: dict[str, Any], as_user: Any) -> None:
    guliyev = _speaker_id(app, "Azay Guliyev")
    path = f"/projects/demo/speakers/{guliyev}"
    other = as_user("annotator2")
    assert "0 claims by Azay Guliyev" in other.client.get(path).get_data(as_text=True)
    assert other.client.get(f"{path}?annotator=annotator1").status_code == 403
    curator = as_user("curator")
    assert "9 claims by Azay Guliyev in annotator1's claims" in curator.client.get(
        f"{path}?annotator=annotator1").get_data(as_text=True)
    assert "9 claims by Azay Guliyev in every annotator" in curator.client.get(
        f"{path}?annotator=*").get_data(as_text=True)
    bad = curator.client.get(f"{path}?date_from=someday")
    assert bad.status_code == 422 and 'id="date_from-error"' in bad.get_data(as_text=True)
    other_speaker = None
    with app.app_context():
        other_speaker = get_session().scalar(sa.select(Speaker.id).where(Speaker.name == "Other Speaker"))
    for missing in (other_speaker, 999999, 99999999999999):
        assert curator.client.get(f"/projects/demo/speakers/{missing}").status_code == 404
    assert as_user("outsider").client.get(path).status_code == 404


def test_merged_speaker_page_points_to_the_merged_entry(app: Any, demo: dict[str, Any], as_user: Any) -> None:
    source, target = _speaker_id(app, "Government of Armenia"), _speaker_id(app, "Nikol Pashinyan")
    assert as_user("curator").post("/api/v1/projects/demo/speakers/merge",
                                   {"source": source, "target": target}).status_code == 200
    html = demo["api"].client.get(f"/projects/demo/speakers/{source}").get_data(as_text=True)
    assert "merged into" in html and f'href="/projects/demo/speakers/{target}"' in html
    assert "2 claims by Nikol Pashinyan" in demo["api"].client.get(
        f"/projects/demo/speakers/{target}").get_data(as_text=True)


def test_reading_the_corpus_pages_writes_nothing(app: Any, demo: dict[str, Any], as_user: Any) -> None:
    before = (row_count(app, Claim), row_count(app, AuditEvent))
    api = demo["api"]
    for path in ("/projects/demo/search?q=Armenia", "/projects/demo/factcheck", "/projects/demo/factcheck.csv",
                 f"/projects/demo/factcheck/{demo['claims'][0]['id']}",
                 f"/projects/demo/speakers/{_speaker_id(app, 'Azay Guliyev')}", f"{SEARCH}?q=Armenia"):
        assert api.client.get(path).status_code == 200, path
    assert (row_count(app, Claim), row_count(app, AuditEvent)) == before
    assert _claim_row(app, demo["claims"][0]["id"]).version == demo["claims"][0]["version"]
