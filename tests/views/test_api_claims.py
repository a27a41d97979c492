"""Claims through the JSON API: create, read, update with versions, soft delete, bad input."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from app.db import get_session
from app.models import AuditEvent, Claim, ClaimSegment
from tests.conftest import another_request_between, find_span, row_count, seed_document_id

CAVUSOGLU = "What Armenia did is unacceptable. It must get back to its senses,"


def claim_body(app: Any, **overrides: Any) -> dict[str, Any]:
    doc = seed_document_id(app)
    start, end = find_span(app, doc, CAVUSOGLU)
    body = {
        "content": [{"start": start, "end": end, "text": CAVUSOGLU}],
        "cue_span": dict(zip(("start", "end"), find_span(app, doc, "he said"), strict=True)),
        "speaker": "Cavusoglu", "attribution": "direct", "claim_type": "opinion", "check_worthiness": "NFS",
        "stances": [{"target": "T2", "value": "against"}, {"target": "T1", "value": "favor"}],
        "note": "=HYPERLINK(\"http://x\")",
    }
    body.update(overrides)
    return body


def test_create_and_read_a_claim(app: Any, as_user: Any) -> None:
    api = as_user("annotator1")
    doc = seed_document_id(app)
    response = api.post(f"/api/v1/documents/{doc}/claims", claim_body(app))
    assert response.status_code == 201, response.json
    claim = response.json
    assert claim["version"] == 1 and claim["codebook_version"] == 1
    assert claim["annotator"] == "annotator1" and claim["layer"] == "annotator"
    assert claim["speaker"]["name"] == "Mevlüt Çavuşoğlu" and claim["speaker"]["side"] == "turkey"
    assert claim["content"][0]["text"] == CAVUSOGLU
    assert claim["cue_span"]["text"] == "he said"
    assert claim["stances"] == [{"target": "T1", "value": "favor"}, {"target": "T2", "value": "against"}]
    assert claim["verifiable"] is False and claim["claim_type_ff"] == "not_a_claim"
    listed = api.get(f"/api/v1/documents/{doc}/claims").json["items"]
    assert [c["id"] for c in listed] == [claim["id"]]
    # Blind by default: another annotator sees none of it.
    assert as_user("annotator2").get(f"/api/v1/documents/{doc}/claims").json["items"] == []
    assert as_user("annotator2").get(f"/api/v1/claims/{claim['id']}").status_code == 404
    # A curator may look at any annotator's layer.
    curator = as_user("curator")
    assert len(curator.get(f"/api/v1/documents/{doc}/claims?annotator=annotator1").json["items"]) == 1


def test_multi_paragraph_quote_is_one_claim_with_segments(app: Any, as_user: Any) -> None:
    """Paragraphs 25-26 of the demo: a quote that continues into the next paragraph."""
    doc = seed_document_id(app)
    first = "One million displaced people from the occupied Nagorno-Karabakh region"
    second = "Co-existence of both Armenian and Azerbaijani communities"
    a, b = find_span(app, doc, first), find_span(app, doc, second)
    body = claim_body(app, content=[{"start": b[0], "end": b[1]}, {"start": a[0], "end": a[1], "text": first}],
                      speaker="Guliyev", attribution="direct", stances=[], cue_span=None, claim_type="event")
    response = as_user("annotator1").post(f"/api/v1/documents/{doc}/claims", body)
    assert response.status_code == 201, response.json
    segments = response.json["content"]
    assert [s["text"] for s in segments] == [first, second]
    assert segments[1]["paragraph"] == segments[0]["paragraph"] + 1


def test_a_selection_across_paragraphs_becomes_one_segment_per_paragraph(app: Any, as_user: Any) -> None:
    doc = seed_document_id(app)
    a = find_span(app, doc, "International bipolarity")
    b = find_span(app, doc, "TRT World spoke to Azerbaijani")
    response = as_user("annotator1").post(f"/api/v1/documents/{doc}/claims", claim_body(
        app, content=[{"start": a[0], "end": b[1]}], stances=[], cue_span=None, attribution="authorial",
        speaker=None))
    assert response.status_code == 201, response.json
    assert [s["text"] for s in response.json["content"]] == ["International bipolarity’",
                                                             "TRT World spoke to Azerbaijani"]


def test_interrupted_quote_is_one_claim_with_two_segments(app: Any, as_user: Any) -> None:
    """"…," said Guliyev, "…": the speaker's words on both sides of the cue."""
    doc = seed_document_id(app)
    first = "This provocation by Armenia perpetrated along the border"
    second = "is yet another evidence that officials in Yerevan"
    a, b = find_span(app, doc, first), find_span(app, doc, second)
    cue = find_span(app, doc, "said Guliyev")
    response = as_user("annotator1").post(f"/api/v1/documents/{doc}/claims", claim_body(
        app, content=[{"start": a[0], "end": a[1], "text": first}, {"start": b[0], "end": b[1], "text": second}],
        cue_span={"start": cue[0], "end": cue[0] + 4, "text": "said"},
        source_span={"start": cue[0] + 5, "end": cue[1], "text": "Guliyev"}, speaker="Azay Guliyev"))
    assert response.status_code == 201, response.json
    assert [s["text"] for s in response.json["content"]] == [first, second]
    assert response.json["source_span"]["text"] == "Guliyev"


@pytest.mark.parametrize("override,field", [
    ({"content": []}, "content"),
    ({"content": [{"start": 10, "end": 5}]}, "content[0].end"),
    ({"content": [{"start": -1, "end": 5}]}, "content[0].start"),
    ({"content": [{"start": 0, "end": 10**9}]}, "content[0].end"),
    ({"content": [{"start": "0", "end": 5}]}, "content[0].start"),
    ({"content": [{"start": 0, "end": 5, "text": "wrong"}]}, "content[0].text"),
    ({"speaker": "Nobody We Know"}, "speaker"),
    ({"speaker": 999999}, "speaker"),
    ({"attribution": "hearsay"}, "attribution"),
    ({"attribution": None}, "attribution"),
    ({"claim_type": "gossip"}, "claim_type"),
    ({"stances": [{"target": "T9", "value": "favor"}]}, "stances[0].target"),
    ({"stances": [{"target": "T1", "value": "love"}]}, "stances[0].value"),
    ({"stances": [{"target": "T1", "value": "favor"}, {"target": "T1", "value": "none"}]}, "stances[1].target"),
    ({"cue_span": {"start": 0, "end": 3, "text": "nope"}}, "cue_span.text"),
    ({"verification": {"status": "true", "evidence": ["javascript:alert(1)"]}}, "verification.evidence[0].url"),
    ({"note": 5}, "note"),
])
def test_bad_claims_are_refused_and_nothing_is_stored(app: Any, as_user: Any, override: dict[str, Any],
                                                       field: str) -> None:
    doc = seed_document_id(app)
    before = (row_count(app, Claim), row_count(app, ClaimSegment), row_count(app, AuditEvent))
    response = as_user("annotator1").post(f"/api/v1/documents/{doc}/claims", claim_body(app, **override))
    assert response.status_code == 422, response.json
    assert response.json["error"]["field"] == field
    assert response.json["error"]["message"]
    assert (row_count(app, Claim), row_count(app, ClaimSegment), row_count(app, AuditEvent)) == before


def test_other_projects_speaker_is_unknown_here(app: Any, as_user: Any) -> None:
    doc = seed_document_id(app)
    response = as_user("annotator1").post(f"/api/v1/documents/{doc}/claims", claim_body(app, speaker="Other Speaker"))
    assert response.status_code == 422 and response.json["error"]["field"] == "speaker"


def test_update_with_version_and_conflict(app: Any, as_user: Any) -> None:
    api = as_user("annotator1")
    doc = seed_document_id(app)
    claim = api.post(f"/api/v1/documents/{doc}/claims", claim_body(app)).json
    updated = api.patch(f"/api/v1/claims/{claim['id']}", {"version": 1, "claim_type": "event",
                                                          "stances": [{"target": "T2", "value": "against"}]})
    assert updated.status_code == 200, updated.json
    assert updated.json["version"] == 2 and updated.json["claim_type"] == "event"
    assert updated.json["stances"] == [{"target": "T2", "value": "against"}]
    # A second tab still on version 1 must not overwrite.
    stale = api.patch(f"/api/v1/claims/{claim['id']}", {"version": 1, "claim_type": "quantity"})
    assert stale.status_code == 409 and stale.json["error"]["current"] == 2
    assert api.get(f"/api/v1/claims/{claim['id']}").json["claim_type"] == "event"
    missing_version = api.patch(f"/api/v1/claims/{claim['id']}", {"claim_type": "quantity"})
    assert missing_version.status_code == 422 and missing_version.json["error"]["field"] == "version"
    # Nobody else can change it; another annotator does not even see it.
    assert as_user("annotator2").patch(f"/api/v1/claims/{claim['id']}", {"version": 2}).status_code == 404
    assert as_user("curator").patch(f"/api/v1/claims/{claim['id']}", {"version": 2}).status_code == 403


def test_update_content_segments_and_stances(app: Any, as_user: Any) -> None:
    api = as_user("annotator1")
    doc = seed_document_id(app)
    claim = api.post(f"/api/v1/documents/{doc}/claims", claim_body(app)).json
    first, second = find_span(app, doc, "What Armenia did"), find_span(app, doc, "It must get back")
    two = api.patch(f"/api/v1/claims/{claim['id']}", {
        "version": 1, "speaker": "Erdogan", "content": [{"start": first[0], "end": first[1]}, {"start": second[0], "end": second[1]}],
        "stances": [{"target": "T2", "value": "neutral"}, {"target": "T3", "value": "favor"}]})
    assert two.status_code == 200, two.json
    assert [s["text"] for s in two.json["content"]] == ["What Armenia did", "It must get back"]
    assert two.json["version"] == 2 and two.json["speaker"]["name"] == "Recep Tayyip Erdoğan"
    assert two.json["stances"] == [{"target": "T2", "value": "neutral"}, {"target": "T3", "value": "favor"}]
    one = api.patch(f"/api/v1/claims/{claim['id']}", {"version": 2, "content": [{"start": second[0], "end": second[1]}],
                                                      "stances": []})
    assert one.status_code == 200 and [s["text"] for s in one.json["content"]] == ["It must get back"]
    assert one.json["stances"] == [] and one.json["version"] == 3
    assert row_count(app, ClaimSegment) == 1


def test_soft_delete_keeps_the_row_and_the_audit_trail(app: Any, as_user: Any) -> None:
    api = as_user("annotator1")
    doc = seed_document_id(app)
    claim = api.post(f"/api/v1/documents/{doc}/claims", claim_body(app)).json
    assert api.delete(f"/api/v1/claims/{claim['id']}").status_code == 204
    assert api.get(f"/api/v1/documents/{doc}/claims").json["items"] == []
    assert api.delete(f"/api/v1/claims/{claim['id']}").status_code == 404
    with app.app_context():
        session = get_session()
        row = session.get(Claim, claim["id"])
        assert row is not None and row.deleted_at is not None
        actions = session.scalars(sa.select(AuditEvent.action).where(
            AuditEvent.entity_type == "claim", AuditEvent.entity_id == claim["id"]).order_by(AuditEvent.id)).all()
        assert actions == ["create", "delete"]
        deleted = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "delete"))
        assert deleted.before["content"][0]["text"] == CAVUSOGLU and deleted.actor_id is not None


def test_retried_create_with_client_id_stores_one_claim(app: Any, as_user: Any) -> None:
    api = as_user("annotator1")
    doc = seed_document_id(app)
    first = api.post(f"/api/v1/documents/{doc}/claims", claim_body(app, client_id="abc-123"))
    again = api.post(f"/api/v1/documents/{doc}/claims", claim_body(app, client_id="abc-123"))
    assert first.status_code == 201 and again.status_code == 200
    assert first.json["id"] == again.json["id"]
    assert row_count(app, Claim) == 1


def test_a_retry_whose_body_no_longer_passes_still_gets_the_first_claim(app: Any, as_user: Any) -> None:
    api = as_user("annotator1")
    doc = seed_document_id(app)
    first = api.post(f"/api/v1/documents/{doc}/claims", claim_body(app, client_id="abc-123"))
    again = api.post(f"/api/v1/documents/{doc}/claims", {**claim_body(app, client_id="abc-123"),
                                                          "attribution": "not-a-code"})
    assert first.status_code == 201 and again.status_code == 200, again.json
    assert again.json["id"] == first.json["id"] and again.json["attribution"] == first.json["attribution"]
    bad = api.post(f"/api/v1/documents/{doc}/claims", {**claim_body(app, client_id="new-one"),
                                                        "attribution": "not-a-code"})
    assert bad.status_code == 422 and bad.json["error"]["field"] == "attribution"
    assert row_count(app, Claim) == 1


def test_a_client_id_is_not_reused_on_another_document(app: Any, as_user: Any) -> None:
    api = as_user("annotator1")
    doc = seed_document_id(app)
    other = as_user("curator").post("/api/v1/projects/demo/documents", {"title": "Another", "text": "One paragraph."})
    assert other.status_code == 201, other.json
    assert api.post(f"/api/v1/documents/{doc}/claims", claim_body(app, client_id="abc-123")).status_code == 201
    reused = api.post(f"/api/v1/documents/{other.json['id']}/claims",
                      {"content": [{"start": 0, "end": 3, "text": "One"}], "client_id": "abc-123"})
    assert reused.status_code == 409 and reused.json["error"]["field"] == "client_id", reused.json
    assert row_count(app, Claim) == 1


def test_a_retry_racing_the_first_request_gets_the_first_claim(app: Any, as_user: Any) -> None:
    """The first request commits after the retry's reads and before its insert, which meets the
    unique key (annotator, client_id) and answers with the first claim instead of an error."""
    first_client, retry_client = as_user("annotator1"), as_user("annotator1")
    doc = seed_document_id(app)
    body = claim_body(app, client_id="race-1")
    # The retry has looked up the speaker it names, its last read before the insert.
    with another_request_between(app, lambda sql: sql.startswith("SELECT") and "FROM speakers" in sql,
                                 lambda: first_client.post(f"/api/v1/documents/{doc}/claims", body)) as first:
        retry = retry_client.post(f"/api/v1/documents/{doc}/claims", body)
    assert first["response"].status_code == 201, first["response"].json
    assert retry.status_code == 200, retry.json
    assert retry.json["id"] == first["response"].json["id"]
    assert retry.json["content"][0]["text"] == CAVUSOGLU
    assert row_count(app, Claim) == 1


def test_a_claim_save_costs_a_fixed_few_statements(app: Any, runner: Any, count_queries: Any) -> None:
    """A save through the API with a bearer token, as the page's script sends it: reads, then
    the claim, its segment and stances and the audit row, whatever the claim."""
    token = runner.invoke(args=["users", "token", "annotator1"]).output.strip()
    client = app.test_client()
    doc = seed_document_id(app)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post(f"/api/v1/documents/{doc}/claims", json=claim_body(app, client_id="warm"),
                       headers=headers).status_code == 201
    body = claim_body(app, client_id="counted")
    with count_queries() as statements:
        response = client.post(f"/api/v1/documents/{doc}/claims", json=body, headers=headers)
    assert response.status_code == 201, response.json
    writes = [" ".join(s.replace("INSERT INTO", "INSERT").split()[:2]) for s in statements
              if not s.startswith(("SELECT", "BEGIN"))]
    # No assignment to start (the document is not assigned to the annotator; see test_assignments).
    assert writes == ["INSERT claims", "INSERT claim_segments", "INSERT claim_stances", "INSERT audit_events"], \
        statements
    # The token's user, the document with its project, role and codebook, and the speaker named
    # (the paragraphs of a document already seen are known by its id and text hash).
    assert sum(s.startswith("SELECT") for s in statements) == 3, statements


def test_session_api_calls_need_the_csrf_token(app: Any, as_user: Any) -> None:
    api = as_user("annotator1")
    doc = seed_document_id(app)
    response = api.client.post(f"/api/v1/documents/{doc}/claims", json=claim_body(app))
    assert response.status_code == 400 and response.json["error"]["code"] == "csrf"
    assert row_count(app, Claim) == 0


def test_bearer_token_needs_no_csrf_and_a_bad_token_is_401(app: Any, runner: Any) -> None:
    token = runner.invoke(args=["users", "token", "annotator1"]).output.strip()
    client = app.test_client()
    doc = seed_document_id(app)
    response = client.post(f"/api/v1/documents/{doc}/claims", json=claim_body(app),
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.json
    bad = client.get("/api/v1/projects", headers={"Authorization": "Bearer smk_nope"})
    assert bad.status_code == 401 and bad.json["error"]["code"] == "unauthorized"
    assert client.get("/api/v1/projects").status_code == 401


def test_gold_layer_is_for_curators(app: Any, as_user: Any) -> None:
    doc = seed_document_id(app)
    refused = as_user("annotator1").post(f"/api/v1/documents/{doc}/claims", claim_body(app, layer="gold"))
    assert refused.status_code == 403
    curator = as_user("curator")
    gold = curator.post(f"/api/v1/documents/{doc}/claims", claim_body(app, layer="gold"))
    assert gold.status_code == 201 and gold.json["layer"] == "gold"
    assert [c["id"] for c in curator.get(f"/api/v1/documents/{doc}/claims?layer=gold").json["items"]] == [gold.json["id"]]
    assert as_user("annotator1").get(f"/api/v1/documents/{doc}/claims?layer=gold").status_code == 403
