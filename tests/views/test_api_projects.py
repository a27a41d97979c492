"""Projects, members, codebook versions and the speaker registry through the API."""

from __future__ import annotations

from typing import Any

import pytest

from app.models import Claim, Codebook, Membership, Project, Speaker
from tests.conftest import find_span, row_count, seed_document_id


def test_projects_list_shows_only_the_callers_projects(as_user: Any) -> None:
    assert as_user("annotator1").get("/api/v1/projects").json == [
        {"slug": "demo", "name": "Demo project", "role": "annotator"}]
    assert {p["slug"] for p in as_user("admin").get("/api/v1/projects").json} == {"demo", "other"}


def test_admin_creates_a_project_with_the_default_codebook(app: Any, as_user: Any) -> None:
    admin = as_user("admin")
    response = admin.post("/api/v1/projects", {"slug": "newsroom", "name": "Newsroom", "id": 99})
    assert response.status_code == 201
    codebook = admin.get("/api/v1/projects/newsroom/codebook").json
    assert codebook["version"] == 1
    assert [t["code"] for t in codebook["targets"]] == ["T1", "T2", "T3", "T4", "T5"]
    assert {"direct", "indirect", "mixed", "authorial"} == {c["code"] for c in codebook["fields"]["attribution"]}
    assert all(c["definition"] for field in codebook["fields"].values() for c in field)


@pytest.mark.parametrize("body,status,field", [
    ({"slug": "Bad Slug", "name": "x"}, 422, "slug"),
    ({"slug": "ok", "name": ""}, 422, "name"),
    ({"slug": "demo", "name": "again"}, 409, "slug"),
    ([], 422, "body"),
])
def test_bad_projects(app: Any, as_user: Any, body: Any, status: int, field: str) -> None:
    before = row_count(app, Project)
    response = as_user("admin").post("/api/v1/projects", body)
    assert response.status_code == status and response.json["error"]["field"] == field
    assert row_count(app, Project) == before


def test_only_admins_create_projects(app: Any, as_user: Any) -> None:
    assert as_user("curator").post("/api/v1/projects", {"slug": "x", "name": "x"}).status_code == 403
    assert row_count(app, Project) == 2


def test_members(app: Any, as_user: Any) -> None:
    curator = as_user("curator")
    assert curator.post("/api/v1/projects/demo/members", {"user": "outsider", "role": "annotator"}).status_code == 201
    assert as_user("outsider").get("/api/v1/projects/demo/codebook").status_code == 200
    before = row_count(app, Membership)
    assert curator.post("/api/v1/projects/demo/members", {"user": "ghost", "role": "annotator"}).status_code == 404
    assert curator.post("/api/v1/projects/demo/members", {"user": "outsider", "role": "owner"}).status_code == 422
    assert as_user("annotator1").post("/api/v1/projects/demo/members",
                                      {"user": "annotator2", "role": "curator"}).status_code == 403
    assert row_count(app, Membership) == before


def test_non_members_get_404_everywhere(app: Any, as_user: Any) -> None:
    stranger = as_user("outsider")
    doc = seed_document_id(app)
    for path in ("/api/v1/projects/demo/codebook", "/api/v1/projects/demo/speakers", "/api/v1/projects/demo/documents",
                 f"/api/v1/documents/{doc}", f"/api/v1/documents/{doc}/claims", "/api/v1/projects/demo/export?format=csv",
                 "/api/v1/projects/nonexistent/codebook"):
        response = stranger.get(path)
        assert response.status_code == 404, path
        assert response.json["error"]["code"] == "not_found"
    assert stranger.post(f"/api/v1/documents/{doc}/claims", {"content": []}).status_code == 404
    assert stranger.post("/api/v1/projects/demo/speakers", {"name": "X"}).status_code == 404


def test_codebook_versions_and_retired_codes(app: Any, as_user: Any) -> None:
    curator = as_user("curator")
    codebook = curator.get("/api/v1/projects/demo/codebook").json
    codebook["targets"].append({"code": "T6", "label": "Russia's role", "description": "Stance toward Russia."})
    saved = curator.put("/api/v1/projects/demo/codebook", codebook)
    assert saved.status_code == 200 and saved.json["version"] == 2
    # A claim made now records version 2.
    doc = seed_document_id(app)
    start, end = find_span(app, doc, "What Armenia did is unacceptable.")
    annotator = as_user("annotator1")
    claim = annotator.post(f"/api/v1/documents/{doc}/claims", {
        "content": [{"start": start, "end": end}], "attribution": "direct", "claim_type": "opinion",
        "stances": [{"target": "T6", "value": "none"}]}).json
    assert claim["codebook_version"] == 2
    # Removing a code in use is refused; retiring it is fine and keeps old claims valid.
    removed = dict(saved.json)
    removed["fields"] = dict(removed["fields"])
    removed["fields"]["claim_type"] = [c for c in removed["fields"]["claim_type"] if c["code"] != "opinion"]
    response = curator.put("/api/v1/projects/demo/codebook", removed)
    assert response.status_code == 409 and response.json["error"]["field"] == "fields.claim_type"
    assert row_count(app, Codebook) == 3  # two for demo, one for other: nothing stored
    retired = dict(saved.json)
    retired["fields"] = dict(retired["fields"])
    retired["fields"]["claim_type"] = [dict(c, retired=True) if c["code"] == "opinion" else c
                                       for c in retired["fields"]["claim_type"]]
    assert curator.put("/api/v1/projects/demo/codebook", retired).json["version"] == 3
    refused = annotator.post(f"/api/v1/documents/{doc}/claims", {
        "content": [{"start": start, "end": end}], "attribution": "direct", "claim_type": "opinion"})
    assert refused.status_code == 422 and refused.json["error"]["field"] == "claim_type"
    # The old claim keeps its retired code when other fields change.
    kept = annotator.patch(f"/api/v1/claims/{claim['id']}", {"version": 1, "claim_type": "opinion", "note": "x"})
    assert kept.status_code == 200 and kept.json["claim_type"] == "opinion" and kept.json["codebook_version"] == 3


@pytest.mark.parametrize("mutate,field", [
    (lambda cb: cb.update(fields="x"), "fields"),
    (lambda cb: cb["fields"].update(attribution=[]), "fields.attribution"),
    (lambda cb: cb["targets"].append({"code": "T1", "label": "dup"}), "targets[5].code"),
    (lambda cb: cb["targets"].append({"code": "bad code!", "label": "x"}), "targets[5].code"),
])
def test_bad_codebooks_are_refused(app: Any, as_user: Any, mutate: Any, field: str) -> None:
    curator = as_user("curator")
    codebook = curator.get("/api/v1/projects/demo/codebook").json
    mutate(codebook)
    response = curator.put("/api/v1/projects/demo/codebook", codebook)
    assert response.status_code == 422 and response.json["error"]["field"] == field
    assert row_count(app, Codebook) == 2


def test_annotators_cannot_change_the_codebook(as_user: Any) -> None:
    annotator = as_user("annotator1")
    codebook = annotator.get("/api/v1/projects/demo/codebook").json
    assert annotator.put("/api/v1/projects/demo/codebook", codebook).status_code == 403


def test_speaker_registry(app: Any, as_user: Any) -> None:
    api = as_user("annotator1")
    created = api.post("/api/v1/projects/demo/speakers", {
        "name": "Ministry of Defence of Azerbaijan", "aliases": ["Azerbaijan's Defence Ministry"],
        "type": "government_body", "side": "azerbaijan", "country": "az", "project_id": 2})
    assert created.status_code == 201, created.json
    assert created.json["country"] == "AZ" and created.json["aliases"] == ["Azerbaijan's Defence Ministry"]
    names = [s["name"] for s in api.get("/api/v1/projects/demo/speakers").json]
    assert "Ministry of Defence of Azerbaijan" in names and "Other Speaker" not in names
    before = row_count(app, Speaker)
    for body, field in [({"name": "X", "side": "mars"}, "side"), ({"name": ""}, "name"),
                        ({"name": "X", "wikidata": "nope"}, "wikidata"), ({"name": "X", "aliases": "a"*400}, "aliases"),
                        ({"name": "X", "country": "AZE"}, "country")]:
        response = api.post("/api/v1/projects/demo/speakers", body)
        assert response.status_code == 422 and response.json["error"]["field"] == field, body
    duplicate = api.post("/api/v1/projects/demo/speakers", {"name": "ilham ALIYEV"})
    assert duplicate.status_code == 409
    assert row_count(app, Speaker) == before


def test_speaker_by_alias_and_merge(app: Any, as_user: Any) -> None:
    curator = as_user("curator")
    annotator = as_user("annotator1")
    extra = curator.post("/api/v1/projects/demo/speakers", {"name": "M. Cavusoglu", "aliases": ["Mevlut C."]}).json
    doc = seed_document_id(app)
    start, end = find_span(app, doc, "What Armenia did is unacceptable.")
    claim = annotator.post(f"/api/v1/documents/{doc}/claims", {
        "content": [{"start": start, "end": end}], "attribution": "direct", "speaker": "Mevlut C."}).json
    assert claim["speaker"]["id"] == extra["id"]
    target = next(s for s in curator.get("/api/v1/projects/demo/speakers").json if s["name"] == "Mevlüt Çavuşoğlu")
    assert annotator.post("/api/v1/projects/demo/speakers/merge",
                          {"source": extra["id"], "target": target["id"]}).status_code == 403
    merged = curator.post("/api/v1/projects/demo/speakers/merge", {"source": extra["id"], "target": target["id"]})
    assert merged.status_code == 200
    assert {"M. Cavusoglu", "Mevlut C."} <= set(merged.json["aliases"])
    moved = annotator.get(f"/api/v1/claims/{claim['id']}").json
    assert moved["speaker"]["id"] == target["id"] and moved["version"] == 2
    assert all(s["id"] != extra["id"] for s in curator.get("/api/v1/projects/demo/speakers").json)
    again = curator.post("/api/v1/projects/demo/speakers/merge", {"source": extra["id"], "target": target["id"]})
    assert again.status_code == 409
    # The merged entry's names now belong to the target.
    renamed = annotator.post(f"/api/v1/documents/{doc}/claims", {
        "content": [{"start": start, "end": end}], "attribution": "direct", "speaker": "m. çavuşoğlu"})
    assert renamed.status_code == 201 and renamed.json["speaker"]["id"] == target["id"], renamed.json


def test_a_speaker_is_named_whole_and_wildcards_are_plain_characters(app: Any, as_user: Any) -> None:
    curator = as_user("curator")
    annotator = as_user("annotator1")
    wild = curator.post("/api/v1/projects/demo/speakers", {"name": "Press_Office 100%", "aliases": ["A/B"]}).json
    doc = seed_document_id(app)
    start, end = find_span(app, doc, "What Armenia did is unacceptable.")

    def speaker_of(name: str) -> Any:
        return annotator.post(f"/api/v1/documents/{doc}/claims", {
            "content": [{"start": start, "end": end}], "attribution": "direct", "speaker": name})

    for named in ("PRESS_OFFICE  100%", "a/b"):
        response = speaker_of(named)
        assert response.status_code == 201 and response.json["speaker"]["id"] == wild["id"], (named, response.json)
    # Neither _ nor % nor the escape character matches anything but itself, and part of a name is
    # no name: each of these is refused without storing a claim.
    claims = row_count(app, Claim)
    for named in ("Press%", "_ress_Office 100%", "Press_Office 10_", "Press_Office", "Office 100%", "A", "%", "_",
                  "Cavusoglu Mevlut", "x" * 100_000):
        response = speaker_of(named)
        assert response.status_code == 422 and response.json["error"]["field"] == "speaker", (named, response.json)
    assert row_count(app, Claim) == claims
