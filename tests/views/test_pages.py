"""HTML pages through the Flask client: login, import, annotation page, speakers, admin."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from app.models import Claim, Document, Speaker, User
from tests.conftest import PASSWORD, csrf_token, find_span, login, row_count, seed_document_id


def test_login_logout_and_server_side_revocation(app: Any) -> None:
    client = app.test_client()
    assert client.get("/projects").status_code == 302
    token = login(client, "annotator1")
    assert client.get("/projects").status_code == 200
    stolen_cookie = client.get_cookie("session").value
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen_cookie)
    assert thief.get("/projects").status_code == 302  # the copied cookie no longer works


def test_wrong_password_and_unknown_user_look_the_same(app: Any) -> None:
    client = app.test_client()
    answers = []
    for username, password in (("annotator1", "wrong password"), ("nobody", "wrong password")):
        response = client.post("/login", data={"username": username, "password": password,
                                               "csrf_token": csrf_token(client)})
        answers.append((response.status_code, response.get_data(as_text=True).count("Wrong user name or password.")))
    assert answers == [(401, 1), (401, 1)]


@pytest.mark.parametrize("target", ["https://evil.example", "//evil.example", "/\\evil.example", "https:evil.example"])
def test_login_never_redirects_off_site(app: Any, target: str) -> None:
    client = app.test_client()
    response = client.post(f"/login?next={target}", data={"username": "annotator1", "password": PASSWORD,
                                                          "csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.headers["Location"] == "/projects"


def test_login_form_without_csrf_token_is_refused(app: Any) -> None:
    response = app.test_client().post("/login", data={"username": "annotator1", "password": PASSWORD})
    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)


def test_login_rate_limit(app: Any) -> None:
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    client = app.test_client()
    statuses = [client.post("/login", data={"username": "annotator1", "password": "nope",
                                            "csrf_token": csrf_token(client)}).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_security_headers_on_pages_and_errors(app: Any) -> None:
    client = app.test_client()
    for response in (client.get("/login"), client.get("/nothing-here")):
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
    missing = client.get("/nothing-here")
    assert missing.status_code == 404 and "Request id" in missing.get_data(as_text=True)


def test_annotation_page_shows_paragraphs_claims_and_form(app: Any, as_user: Any) -> None:
    api = as_user("annotator1")
    doc = seed_document_id(app)
    start, end = find_span(app, doc, "What Armenia did is unacceptable.")
    api.post(f"/api/v1/documents/{doc}/claims", {"content": [{"start": start, "end": end}], "attribution": "direct",
                                                  "speaker": "Cavusoglu", "note": "<script>alert(1)</script>"})
    page = api.client.get(f"/documents/{doc}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count('class="para"') == 34
    assert re.search(r'<mark class="hl content" data-claims="\d+"[^>]*>What Armenia did is unacceptable\.</mark>', html)
    assert "Mevlüt Çavuşoğlu" in html and 'id="claim-form"' in html
    assert "<script>alert(1)</script>" not in html
    assert '<option value="Cavusoglu">' in html  # aliases offered by the type-ahead


def test_annotation_page_query_count_does_not_grow_with_claims(app: Any, as_user: Any, count_queries: Any) -> None:
    api = as_user("annotator1")
    doc = seed_document_id(app)

    def add_claim(word: str, occurrence: int) -> None:
        start, end = find_span(app, doc, word, occurrence)
        assert api.post(f"/api/v1/documents/{doc}/claims", {
            "content": [{"start": start, "end": end}], "cue_span": {"start": start, "end": end},
            "attribution": "indirect", "speaker": "Baku",
            "stances": [{"target": "T1", "value": "favor"}]}).status_code == 201

    add_claim("Tensions", 0)
    with count_queries() as few:
        assert api.client.get(f"/documents/{doc}").status_code == 200
    for word in ["Azerbaijan", "Armenia", "Baku", "Guliyev", "conflict", "border", "the"]:
        for occurrence in range(2):
            add_claim(word, occurrence)
        add_claim(word, 2)
    with count_queries() as many:
        page = api.client.get(f"/documents/{doc}")
    assert page.get_data(as_text=True).count('data-claim="') == 22
    assert len(many) == len(few)


def test_claim_form_without_javascript(app: Any) -> None:
    client = app.test_client()
    login(client, "annotator1")
    doc = seed_document_id(app)
    start, end = find_span(app, doc, "What Armenia did is unacceptable.")
    token = csrf_token(client, f"/documents/{doc}")
    form = {"csrf_token": token, "content": f"{start}-{end}", "attribution": "direct", "speaker": "Erdogan",
            "stance_T2": "against", "claim_type": "opinion", "check_worthiness": "NFS"}
    response = client.post(f"/documents/{doc}/claims", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert row_count(app, Claim) == 1
    bad = client.post(f"/documents/{doc}/claims", data={**form, "speaker": "Nobody Known"})
    assert bad.status_code == 422 and "no speaker named" in bad.get_data(as_text=True)
    empty = client.post(f"/documents/{doc}/claims", data={**form, "content": ""})
    assert empty.status_code == 422 and "select the words" in empty.get_data(as_text=True)
    no_csrf = client.post(f"/documents/{doc}/claims", data={k: v for k, v in form.items() if k != "csrf_token"})
    assert no_csrf.status_code == 400
    assert row_count(app, Claim) == 1


def test_import_by_paste_and_upload(app: Any) -> None:
    client = app.test_client()
    login(client, "curator")
    token = csrf_token(client, "/projects/demo")
    pasted = client.post("/projects/demo/import", data={"csrf_token": token, "title": "Pasted",
                                                        "text": "One.\r\n\r\nTwo.", "format": "auto"})
    assert pasted.status_code == 302 and "/documents/" in pasted.headers["Location"]
    uploads = {"csrf_token": token, "format": "auto", "file": [
        (io.BytesIO(b"<p>Upload one</p><script>x()</script>"), "one.html"),
        (io.BytesIO(b'{"title": "J", "text": "Json one"}\n{"title": "K", "text": "Json two"}\n'), "two.jsonl"),
    ]}
    response = client.post("/projects/demo/import", data=uploads, content_type="multipart/form-data")
    assert response.status_code == 302
    titles = set()
    with app.app_context():
        from app.db import get_session

        titles = {d.title for d in get_session().query(Document)}
    assert {"Pasted", "one", "J", "K"} <= titles


@pytest.mark.parametrize("upload,message", [
    ((io.BytesIO(b""), "empty.txt"), "empty"),
    ((io.BytesIO("caf\xe9".encode("latin-1")), "latin.txt"), "not valid UTF-8"),
    ((io.BytesIO(b"\x00\x01\x02binary"), "blob.txt"), "control character"),
    ((io.BytesIO(b"x"), "../../etc/passwd"), "cannot tell the format"),
    ((io.BytesIO(b"{bad json"), "bad.json"), "not valid JSON"),
])
def test_bad_uploads_store_nothing(app: Any, upload: Any, message: str) -> None:
    client = app.test_client()
    login(client, "curator")
    before = row_count(app, Document)
    response = client.post("/projects/demo/import", data={"csrf_token": csrf_token(client, "/projects/demo"),
                                                          "format": "auto", "file": upload},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert row_count(app, Document) == before


def test_speakers_page_add_edit_merge(app: Any) -> None:
    client = app.test_client()
    login(client, "curator")
    token = csrf_token(client, "/projects/demo/speakers")
    added = client.post("/projects/demo/speakers", data={"csrf_token": token, "name": "Hikmet Hajiyev",
                                                         "aliases": "Hajiyev, Hikmat Hajiyev", "side": "azerbaijan",
                                                         "type": "person", "role": "Presidential aide"})
    assert added.status_code == 302
    with app.app_context():
        from app.db import get_session

        speaker = get_session().query(Speaker).filter_by(name="Hikmet Hajiyev").one()
        target = get_session().query(Speaker).filter_by(name="Ilham Aliyev").one()
        speaker_id, target_id = speaker.id, target.id
    assert speaker.aliases == ["Hajiyev", "Hikmat Hajiyev"]
    edited = client.post("/projects/demo/speakers", data={"csrf_token": token, "speaker_id": speaker_id,
                                                          "name": "Hikmet Hajiyev", "aliases": "Hajiyev",
                                                          "side": "mars"})
    assert edited.status_code == 422
    merged = client.post("/projects/demo/speakers/merge", data={"csrf_token": token, "source": speaker_id,
                                                                "target": target_id})
    assert merged.status_code == 302
    page = client.get("/projects/demo/speakers").get_data(as_text=True)
    assert "Hikmet Hajiyev" in page  # now an alias of the merge target
    assert page.count("<tr id=\"s") == 9


def test_pages_of_a_project_are_404_for_strangers(app: Any) -> None:
    client = app.test_client()
    login(client, "outsider")
    doc = seed_document_id(app)
    for path in ("/projects/demo", "/projects/demo/speakers", "/projects/demo/codebook", "/projects/demo/export",
                 f"/documents/{doc}", "/projects/demo/codebook.json"):
        assert client.get(path).status_code == 404, path


def test_admin_pages(app: Any) -> None:
    client = app.test_client()
    login(client, "curator")
    assert client.get("/admin/users").status_code == 404
    admin = app.test_client()
    login(admin, "admin")
    token = csrf_token(admin, "/admin/users")
    assert admin.post("/admin/users", data={"csrf_token": token, "username": "annotator3",
                                            "password": "long enough pw"}).status_code == 302
    before = row_count(app, User)
    taken = admin.post("/admin/users", data={"csrf_token": token, "username": "annotator3", "password": "long enough pw"})
    assert taken.status_code == 422 and "is taken" in taken.get_data(as_text=True)
    short = admin.post("/admin/users", data={"csrf_token": token, "username": "x4", "password": "short"})
    assert short.status_code == 422
    assert row_count(app, User) == before


def test_codebook_page_escapes_definitions(app: Any, as_user: Any) -> None:
    curator = as_user("curator")
    codebook = curator.get("/api/v1/projects/demo/codebook").json
    codebook["fields"]["attribution"][0]["definition"] = "**bold** <img src=x onerror=alert(1)>"
    assert curator.put("/api/v1/projects/demo/codebook", codebook).status_code == 200
    html = curator.client.get("/projects/demo/codebook").get_data(as_text=True)
    assert "<strong>bold</strong>" in html and "<img src=x" not in html and "&lt;img src=x" in html


def test_codebook_editor(app: Any, as_user: Any) -> None:
    curator = as_user("curator")
    page = curator.client.get("/projects/demo/codebook/edit")
    assert page.status_code == 200
    token = csrf_token(curator.client, "/projects/demo/codebook/edit")
    codebook = curator.get("/api/v1/projects/demo/codebook").json
    form: dict[str, Any] = {"csrf_token": token, "shown_fields": ["claim_type", "check_worthiness", "stances"]}
    for i, target in enumerate(codebook["targets"]):
        form.update({f"targets-{i}-code": target["code"], f"targets-{i}-label": target["label"],
                     f"targets-{i}-description": target["description"], f"targets-{i}-order": str(10 - i)})
    form.update({"targets-5-code": "T6", "targets-5-label": "Russia's role", "targets-5-description": "x",
                 "targets-5-order": "0"})
    for i, side in enumerate(codebook["sides"]):
        form.update({f"sides-{i}-code": side["code"], f"sides-{i}-label": side["label"]})
    for name, entries in codebook["fields"].items():
        for i, entry in enumerate(entries):
            form.update({f"field.{name}-{i}-code": entry["code"], f"field.{name}-{i}-label": entry["label"],
                         f"field.{name}-{i}-definition": entry["definition"]})
    form["field.attribution-0-examples"] = "“We will win,” **he** said."
    form["field.claim_type-7-retired"] = "on"  # opinion
    saved = curator.client.post("/projects/demo/codebook/edit", data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    new = curator.get("/api/v1/projects/demo/codebook").json
    assert new["version"] == 2
    assert [t["code"] for t in new["targets"]] == ["T6", "T5", "T4", "T3", "T2", "T1"]  # reordered
    assert new["fields"]["attribution"][0]["examples"].startswith("“We will win,”")
    assert next(c for c in new["fields"]["claim_type"] if c["code"] == "opinion")["retired"] is True
    assert next(c for c in new["fields"]["claim_type"] if c["code"] == "event")["ff"] == "other_claim"
    assert "cue_valence" in new["hidden_fields"] and "claim_type" not in new["hidden_fields"]
    html = curator.client.get(f"/documents/{seed_document_id(app)}").get_data(as_text=True)
    assert 'id="cue_valence"' not in html and 'id="claim_type"' in html and "markers-title" not in html
    assert "<strong>he</strong>" in curator.client.get("/projects/demo/codebook").get_data(as_text=True)
    # Removing a code in use fails with a clear message and stores nothing.
    doc = seed_document_id(app)
    start, end = find_span(app, doc, "What Armenia did")
    as_user("annotator1").post(f"/api/v1/documents/{doc}/claims", {"content": [{"start": start, "end": end}],
                                                                   "attribution": "direct"})
    form["field.attribution-0-code"] = ""
    refused = curator.client.post("/projects/demo/codebook/edit", data=form)
    assert refused.status_code == 409 and "retire the code" in refused.get_data(as_text=True)
    assert curator.get("/api/v1/projects/demo/codebook").json["version"] == 2
    bad_file = curator.client.post("/projects/demo/codebook/edit", data={
        "csrf_token": token, "codebook_file": (io.BytesIO(b"{nope"), "codebook.json")},
        content_type="multipart/form-data")
    assert bad_file.status_code == 422 and "not a JSON codebook" in bad_file.get_data(as_text=True)
    assert as_user("annotator1").client.get("/projects/demo/codebook/edit").status_code == 403


def test_document_list_filters(app: Any, as_user: Any) -> None:
    curator = as_user("curator")
    curator.post("/api/v1/projects/demo/documents", {"documents": [
        {"title": "Wire one", "text": "First wire story.", "source": "Wire", "published": "2020-07-20"},
        {"title": "Wire two", "text": "Second wire story.", "source": "Wire", "published": "2021-01-02"}]})
    annotator = as_user("annotator1")
    doc = seed_document_id(app)
    start, end = find_span(app, doc, "What Armenia did")
    annotator.post(f"/api/v1/documents/{doc}/claims", {"content": [{"start": start, "end": end}],
                                                       "attribution": "direct"})

    def titles(query: str) -> list[str]:
        html = annotator.client.get(f"/projects/demo?{query}").get_data(as_text=True)
        return re.findall(r'<a href="/documents/\d+">([^<]+)</a>', html)

    assert titles("outlet=Wire") == ["Wire one", "Wire two"]
    assert titles("outlet=Wire&from=2021-01-01") == ["Wire two"]
    assert titles("to=2020-12-31&outlet=Wire") == ["Wire one"]
    assert titles("status=started") == ["Tavush clashes"]
    assert "Tavush clashes" not in titles("status=todo") and "Wire one" in titles("status=todo")
    assert titles("q=second") == ["Wire two"]
    assert annotator.client.get("/projects/demo?from=last-week").status_code == 422
    assert annotator.client.get("/projects/demo?status=whatever").status_code == 422


def test_import_an_annotated_export_through_the_web(app: Any, as_user: Any, runner: Any, tmp_path: Any) -> None:
    from tests.demo_fixture import annotate_demo

    annotate_demo(as_user("annotator1"), seed_document_id(app))
    exported = tmp_path / "demo.zip"
    assert runner.invoke(args=["export", "demo", "--format", "brat", "-o", str(exported)]).exit_code == 0
    runner.invoke(args=["projects", "create", "copy", "--name", "Copy"])
    runner.invoke(args=["projects", "add-member", "copy", "curator", "--role", "curator"])
    client = app.test_client()
    login(client, "curator")
    token = csrf_token(client, "/projects/copy")
    refused = client.post("/projects/copy/import", data={"csrf_token": token, "format": "brat",
                                                        "file": (io.BytesIO(exported.read_bytes()), "demo.zip")},
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and "not members of this project: annotator1" in refused.get_data(as_text=True)
    runner.invoke(args=["projects", "add-member", "copy", "annotator1", "--role", "annotator"])
    response = client.post("/projects/copy/import", data={"csrf_token": token, "format": "auto",
                                                         "file": (io.BytesIO(exported.read_bytes()), "demo.zip")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200 and "Imported 21 claim(s)" in response.get_data(as_text=True)


def test_export_page_every_format_and_the_labelstudio_config(app: Any, as_user: Any) -> None:
    from app.export import WRITERS
    from tests.demo_fixture import annotate_demo

    doc = seed_document_id(app)
    annotator = as_user("annotator1")
    claim = annotate_demo(annotator, doc)[0]
    verified = annotator.patch(f"/api/v1/claims/{claim['id']}", {"version": 1, "verification": {
        "status": "mostly_false", "rating_text": "Figures disputed", "evidence": ["https://example.org/report"]}})
    assert verified.status_code == 200, verified.json
    curator = as_user("curator")
    page = curator.client.get("/projects/demo/export").get_data(as_text=True)
    for name in WRITERS:
        assert f"<code>{name}</code>" in page
        response = curator.client.get(f"/projects/demo/export?format={name}&documents={doc}")
        assert response.status_code == 200, name
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert len(response.get_data()) > 100, name
    config = curator.client.get("/projects/demo/export/labelstudio-config.xml")
    assert config.status_code == 200 and config.get_data(as_text=True).lstrip().startswith("<View")
    bad = curator.client.get("/projects/demo/export?format=pdf")
    assert bad.status_code == 422
    assert curator.client.get("/projects/demo/export?format=csv&documents=abc").status_code == 422


def test_an_export_that_matches_no_claims_says_so(app: Any, as_user: Any) -> None:
    curator = as_user("curator")
    response = curator.client.get("/projects/demo/export?format=csv&annotator=annotator2")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="empty-export"' in html and "0 claims match" in html
    anyway = curator.client.get("/projects/demo/export?format=csv&annotator=annotator2&empty_ok=1")
    assert anyway.headers["Content-Disposition"].startswith("attachment;")
