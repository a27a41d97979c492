"""The annotation page as its script and a no-JavaScript browser read it: the claims' table in the
page's JSON, the claim list, and deleting through the page's one delete form."""

from __future__ import annotations

import html as html_lib
import json
import re
from typing import Any

import pytest
from jinja2 import Environment

from app.models import Claim
from app.presenters import truncate
from tests.conftest import find_span, row_count, seed_document_id

DATA = re.compile(r'<script type="application/json" id="sm-data">(.*?)</script>', re.S)


def page_data(html: str) -> dict[str, Any]:
    match = DATA.search(html)
    assert match
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def _claim(api: Any, app: Any, doc: int, needle: str, **fields: Any) -> dict[str, Any]:
    start, end = find_span(app, doc, needle)
    response = api.post(f"/api/v1/documents/{doc}/claims", {"content": [{"start": start, "end": end}], **fields})
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


def test_the_claims_table_holds_what_the_api_says(app: Any, as_user: Any) -> None:
    api = as_user("annotator1")
    doc = seed_document_id(app)
    cue = find_span(app, doc, "unacceptable")
    first = _claim(api, app, doc, "What Armenia did is unacceptable.", attribution="direct", speaker="Cavusoglu",
                   cue_span={"start": cue[0], "end": cue[1]}, claim_type="opinion", check_worthiness="NFS",
                   note='<b>"note"</b> & more', stances=[{"target": "T2", "value": "against"}])
    second = _claim(api, app, doc, "Tensions", attribution="authorial")
    data = page_data(api.client.get(f"/documents/{doc}").get_data(as_text=True))
    rows = [dict(zip(data["claims"]["fields"], row, strict=True)) for row in data["claims"]["rows"]]
    assert [r["id"] for r in rows] == sorted([first["id"], second["id"]],
                                             key=lambda i: (first if i == first["id"] else second)["content"][0]["start"])
    for row in rows:
        claim = api.get(f"/api/v1/claims/{row['id']}").json
        assert row["version"] == claim["version"] and row["attribution"] == claim["attribution"]
        assert row["content"] == [[s["start"], s["end"]] for s in claim["content"]]
        for span in ("source_span", "cue_span"):
            assert row[span] == (None if claim[span] is None else [claim[span]["start"], claim[span]["end"]])
        assert row["speaker"] == (claim["speaker"]["name"] if claim["speaker"] else None)
        assert row["stances"] == [[s["target"], s["value"]] for s in claim["stances"]]
        for name in ("source_specificity", "speaker_resolution", "cue_valence", "claim_type", "check_worthiness",
                     "authorial_stance", "note"):
            assert row[name] == claim[name], name


def test_the_claim_list_is_escaped_and_read_only_for_another_layer(app: Any, as_user: Any) -> None:
    api = as_user("annotator1")
    doc = seed_document_id(app)
    claim = _claim(api, app, doc, "What Armenia did is unacceptable.", attribution="direct", speaker="Cavusoglu",
                   stances=[{"target": "T2", "value": "against"}, {"target": "T1", "value": "none"}])
    own = api.client.get(f"/documents/{doc}").get_data(as_text=True)
    item = re.search(rf'<li id="c{claim["id"]}" data-claim="{claim["id"]}" tabindex="-1">(.*?)</li>', own, re.S)
    assert item, own
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", item.group(1)))
    assert "“What Armenia did is unacceptable.”" in text and "Mevlüt Çavuşoğlu" in text
    assert "T2 against" in text and "T1" not in text
    assert f'data-edit="{claim["id"]}"' in item.group(1)
    assert f'form="delete-claim" formaction="/claims/{claim["id"]}/delete"' in item.group(1)
    assert own.count('<form method="post" id="delete-claim" hidden>') == 1
    curator = as_user("curator").client.get(f"/documents/{doc}?annotator=annotator1").get_data(as_text=True)
    assert f'<li id="c{claim["id"]}"' in curator
    assert "data-edit=" not in curator and "delete-claim" not in curator
    assert page_data(curator)["claims"]["rows"] == []  # nothing to edit: the script needs no claims
    empty = as_user("annotator2").client.get(f"/documents/{doc}").get_data(as_text=True)
    assert '<li class="empty">No claims yet.</li>' in empty and "Claims (0)" in empty


def test_delete_without_javascript_through_the_one_form(app: Any, as_user: Any) -> None:
    api = as_user("annotator1")
    doc = seed_document_id(app)
    claim = _claim(api, app, doc, "What Armenia did is unacceptable.", attribution="direct")
    page = api.client.get(f"/documents/{doc}").get_data(as_text=True)
    form = re.search(r'<form method="post" id="delete-claim" hidden><input type="hidden" name="csrf_token" '
                     r'value="([^"]+)"></form>', page)
    action = re.search(rf'formaction="([^"]+)" data-delete="{claim["id"]}"', page)
    assert form and action
    response = api.client.post(action.group(1), data={"csrf_token": form.group(1)})
    assert response.status_code == 302
    assert row_count(app, Claim) == 1  # soft delete: the row stays
    assert api.get(f"/api/v1/claims/{claim['id']}").status_code == 404


@pytest.mark.parametrize("text", ["", "short", "word " * 40, "x" * 170, "a" * 164, "a" * 166, "one two " * 21,
                                  "“quoted” … words " * 12, "no-spaces-at-all-" * 12])
def test_truncate_is_jinjas_filter(text: str) -> None:
    jinja = Environment(autoescape=False).from_string("{{ text | truncate(160) }}")
    assert truncate(text, 160) == jinja.render(text=text)
