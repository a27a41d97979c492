"""Access-control matrix: every rule of ``app.url_map`` called by every role (security.md §0.1, §4 C 34-37).

Each route is called with ids and the slug of project ``demo`` as: anonymous, ``outsider`` (curator
of another project), ``annotator1`` (owner of the claim, marker and assignment in the URL),
``annotator2``, ``curator`` and ``admin``. ``routes.MATRIX`` says what each role gets. A role that is
refused (and every GET) must leave the whole database unchanged, byte for byte; nothing answers 500;
anonymous callers are sent to the log-in page (HTML) or get 401 (API); the outsider gets a 404 that
is identical for a real id and for one that does not exist.

A route added to the application without a row in ``routes.MATRIX`` fails ``test_every_route_is_in_the_matrix``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from tests.conftest import seed_document_id
from tests.security.routes import KEYS, LOGIN, MATRIX, app_rules, prepare, send
from tests.security.support import (
    MEMBERS,
    ROLES,
    assert_no_traceback,
    db_digest,
    digest_diff,
    make_speaker,
    make_user,
    role_client,
)


def test_every_route_is_in_the_matrix(app: Flask) -> None:
    rules = app_rules(app)
    assert rules - set(MATRIX) == set(), "routes without a row in the access matrix (add them to MATRIX)"
    assert set(MATRIX) - rules == set(), "rows of the access matrix for routes that no longer exist"


def test_every_row_names_every_role() -> None:
    for key, route in MATRIX.items():
        assert set(route.expect) == set(ROLES), key


@pytest.mark.parametrize("key", KEYS, ids=[f"{m} {r}" for r, m in KEYS])
def test_route_answers_each_role_as_the_matrix_says(app: Flask, key: tuple[str, str]) -> None:
    route = MATRIX[key]
    rule, method = key
    answers = {}
    for role in ROLES:
        expected = route.expect[role]
        params, body = prepare(app, role, key)
        client = role_client(app, role)  # log-in (first use) before the digest
        before = db_digest(app)
        response = send(app, role, key, params, body)
        after = db_digest(app)
        del client
        text = response.get_data().decode("utf-8", "replace")
        assert response.status_code != 500, f"{role}: 500 on {method} {rule}: {text[:300]}"
        assert_no_traceback(text)
        if expected == LOGIN:
            assert response.status_code == 302, f"{role} {method} {rule}: {response.status_code}"
            location = urlsplit(response.headers["Location"])
            assert location.path == "/login" and location.netloc in ("", "localhost"), response.headers["Location"]
        else:
            answers[role] = response.status_code
        refused = expected == LOGIN or (isinstance(expected, int) and expected >= 400) or role in route.inert
        if refused or method == "GET":
            assert digest_diff(before, after) == {}, f"{role} {method} {rule} ({response.status_code}) changed data"
        if isinstance(expected, int) and expected >= 400 and rule.startswith("/api/"):
            assert response.is_json and set(response.json["error"]) >= {"code", "message", "field"}, text[:300]
    wanted = {role: value for role, value in route.expect.items() if value != LOGIN}
    assert answers == wanted


# -- outsiders: a real id and a missing one get the same answer ------------------------------

MISSING = {"slug": "no-such-project", "document_id": 987654321, "claim_id": 987654321, "marker_id": 987654321,
           "assignment_id": 987654321, "speaker_id": 987654321}
SCOPED = [key for key in KEYS if MATRIX[key].project_scoped]
SLUG_AND_ID = [key for key in SCOPED if "<slug>" in key[0] and "_id>" in key[0]]


def page_text(response: Any) -> str:
    """The body, without the CSRF token (signed with a timestamp, so it differs from second to second)."""
    text = response.get_data().decode("utf-8", "replace")
    text = re.sub(r'(<meta name="csrf-token" content=")[^"]+', r"\1", text)
    # Both orders of the hidden field's attributes: WTForms renders name first, base.html's logout form type first.
    return re.sub(r'(name="csrf_token"(?: type="hidden")? value=")[^"]+', r"\1", text)


@pytest.mark.parametrize("key", SCOPED, ids=[f"{m} {r}" for r, m in SCOPED])
def test_outsider_cannot_tell_a_real_id_from_a_missing_one(app: Flask, key: tuple[str, str]) -> None:
    headers = {"X-Request-Id": "fixed-request-id"}
    params, body = prepare(app, "outsider", key)
    _, body_again = prepare(app, "outsider", key)  # bodies with uploads are read once
    role_client(app, "outsider")
    before = db_digest(app)
    real = send(app, "outsider", key, params, body, headers=headers)
    missing = send(app, "outsider", key, {name: MISSING[name] for name in params}, body_again, headers=headers)
    assert digest_diff(before, db_digest(app)) == {}
    assert real.status_code == missing.status_code == 404
    assert page_text(real) == page_text(missing)


@pytest.mark.parametrize("key", SLUG_AND_ID, ids=[f"{m} {r}" for r, m in SLUG_AND_ID])
def test_demo_ids_under_the_outsiders_own_project_look_missing(app: Flask, key: tuple[str, str]) -> None:
    """The outsider is curator of ``other``: ``/projects/other/…/<id of demo>`` answers exactly as
    ``/projects/other/…/<id that does not exist>`` and changes nothing."""
    headers = {"X-Request-Id": "fixed-request-id"}
    params, body = prepare(app, "outsider", key)
    _, body_again = prepare(app, "outsider", key)
    role_client(app, "outsider")
    before = db_digest(app)
    real = send(app, "outsider", key, {**params, "slug": "other"}, body, headers=headers)
    missing = send(app, "outsider", key, {**{name: MISSING[name] for name in params}, "slug": "other"},
                   body_again, headers=headers)
    assert digest_diff(before, db_digest(app)) == {}
    assert real.status_code == missing.status_code and real.status_code in (404, 422), real.status_code
    assert page_text(real) == page_text(missing)
    assert "Tavush" not in page_text(real)


def test_outsider_uses_demo_ids_inside_their_own_project(app: Flask) -> None:
    """A curator of project ``other`` puts ids of ``demo`` into the URLs and bodies of their own project."""
    demo_speaker = make_speaker(app, "Demo Only Speaker")
    other_speaker = make_speaker(app, "Other Side Speaker", slug="other")
    outsider = role_client(app, "outsider")
    before = db_digest(app)
    patch = outsider.call("PATCH", f"/api/v1/projects/other/speakers/{demo_speaker}", json={"name": "Stolen"})
    assert patch.status_code == 404
    merge = outsider.call("POST", "/api/v1/projects/other/speakers/merge",
                          json={"source": demo_speaker, "target": other_speaker})
    assert merge.status_code == 404
    merge_back = outsider.call("POST", "/api/v1/projects/other/speakers/merge",
                               json={"source": other_speaker, "target": demo_speaker})
    assert merge_back.status_code == 404
    assign = outsider.call("POST", "/api/v1/projects/other/assignments",
                           json={"annotators": ["outsider"], "documents": [seed_document_id(app)]})
    assert assign.status_code in (404, 422)
    form_edit = outsider.call("POST", "/projects/other/speakers",
                              data={"speaker_id": str(demo_speaker), "name": "Stolen by form", "side": "", "type": ""})
    assert form_edit.status_code in (404, 422)
    page = outsider.call("GET", f"/projects/other/speakers?edit={demo_speaker}")
    assert page.status_code == 404 and "Demo Only Speaker" not in page.get_data(as_text=True)
    export = outsider.call("GET", f"/api/v1/projects/other/export?format=jsonl&documents={seed_document_id(app)}")
    assert export.status_code in (200, 422) and "Tavush" not in export.get_data(as_text=True)
    balance = outsider.call("GET", f"/projects/other/balance?document={seed_document_id(app)}")
    assert balance.status_code in (404, 422) and "Tavush" not in balance.get_data(as_text=True)
    for path in ("/api/v1/projects/other/documents", "/api/v1/projects/other/speakers",
                 "/api/v1/projects/other/assignments", "/api/v1/projects/other/progress"):
        text = outsider.call("GET", path).get_data(as_text=True)
        assert "Tavush" not in text and "Aliyev" not in text and "annotator1" not in text, path
    assert digest_diff(before, db_digest(app)) == {}


def test_removed_or_unknown_members_see_nothing(app: Flask) -> None:
    """A user who is no member (here: a brand-new account) is treated exactly like the outsider."""
    stranger = make_user(app)
    from tests.conftest import login

    client = app.test_client()
    login(client, stranger)
    for path in ("/projects/demo", f"/documents/{seed_document_id(app)}", "/api/v1/projects/demo/codebook",
                 f"/api/v1/documents/{seed_document_id(app)}"):
        assert client.get(path).status_code == 404, path
    assert client.get("/api/v1/projects").json == []


def test_members_of_demo_only_list_their_projects(app: Flask) -> None:
    for role in MEMBERS:
        slugs = {p["slug"] for p in role_client(app, role).call("GET", "/api/v1/projects").json}
        assert slugs == ({"demo", "other"} if role == "admin" else {"demo"}), role
