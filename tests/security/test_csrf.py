"""CSRF on every state-changing route (security.md §0.8, §4 C 43).

For each POST/PUT/PATCH/DELETE rule of the route table, the role that is allowed to make the call
sends it with its session cookie but without the CSRF token (and with a token of another session):
400, a JSON error for the API, and nothing changed. With a bearer token (API) no CSRF token is
needed; a bearer header does not waive CSRF on HTML routes, and a bad bearer header next to a
session cookie is a 401, never a way round the check.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.security.routes import KEYS, LOGIN, MATRIX, build_path, prepare
from tests.security.support import bearer_token, db_digest, digest_diff, role_client

UNSAFE = [key for key in KEYS if key[1] in ("POST", "PUT", "PATCH", "DELETE")]


def allowed_role(key: tuple[str, str]) -> tuple[str, int]:
    """The first role the matrix lets through (with the status it gets), else the first member."""
    route = MATRIX[key]
    for role in ("annotator1", "curator", "admin", "anonymous"):
        status = route.expect[role]
        if status != LOGIN and isinstance(status, int) and status < 400 and role not in route.inert:
            return role, status
    return "annotator1", int(route.expect["annotator1"])


def _send(app: Flask, role: str, key: tuple[str, str], params: dict[str, Any], body: Any, *,
          token: str | None, headers: dict[str, str] | None = None, cookie: bool = True) -> Any:
    rule, method = key
    route = MATRIX[key]
    client = role_client(app, role)
    if not cookie:
        client.client.delete_cookie("session")
    path = build_path(rule, params, route.query)
    headers = dict(headers or {})
    if route.form:
        data = dict(body or {})
        if token is not None:
            data["csrf_token"] = token
        return client.client.open(path, method=method, data=data, headers=headers)
    if token is not None:
        headers["X-CSRFToken"] = token
    return client.client.open(path, method=method, json=body, headers=headers)


def test_the_table_has_state_changing_routes() -> None:
    assert len(UNSAFE) >= 30


@pytest.mark.parametrize("key", UNSAFE, ids=[f"{m} {r}" for r, m in UNSAFE])
def test_no_token_no_change(app: Flask, key: tuple[str, str]) -> None:
    role, _status = allowed_role(key)
    other_session_token = role_client(app, "annotator2" if role != "annotator2" else "curator").token
    for token in (None, "", "not-a-token", other_session_token):
        params, body = prepare(app, role, key)
        role_client(app, role)
        before = db_digest(app)
        response = _send(app, role, key, params, body, token=token)
        assert response.status_code == 400, (token, response.status_code, response.get_data(as_text=True)[:300])
        if key[0].startswith("/api/"):
            assert response.json["error"]["code"] == "csrf"
        else:
            assert "security token" in response.get_data(as_text=True)
        assert digest_diff(before, db_digest(app)) == {}, f"{key} without a valid CSRF token changed data"


@pytest.mark.parametrize("key", UNSAFE, ids=[f"{m} {r}" for r, m in UNSAFE])
def test_the_same_call_with_the_token_goes_through(app: Flask, key: tuple[str, str]) -> None:
    """The control of the test above: the same call, with its token, is not refused as CSRF."""
    role, status = allowed_role(key)
    params, body = prepare(app, role, key)
    response = _send(app, role, key, params, body, token=role_client(app, role).token)
    assert response.status_code == status, response.get_data(as_text=True)[:300]


API_UNSAFE = [key for key in UNSAFE if key[0].startswith("/api/")]
HTML_UNSAFE = [key for key in UNSAFE if not key[0].startswith("/api/")]


@pytest.mark.parametrize("key", API_UNSAFE, ids=[f"{m} {r}" for r, m in API_UNSAFE])
def test_bearer_token_needs_no_csrf(app: Flask, key: tuple[str, str]) -> None:
    role, status = allowed_role(key)
    token = bearer_token(app, role)
    params, body = prepare(app, role, key)
    response = _send(app, role, key, params, body, token=None, cookie=False,
                     headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == status, response.get_data(as_text=True)[:300]


@pytest.mark.parametrize("key", API_UNSAFE, ids=[f"{m} {r}" for r, m in API_UNSAFE])
def test_a_bad_bearer_next_to_a_session_cookie_is_401(app: Flask, key: tuple[str, str]) -> None:
    role, _status = allowed_role(key)
    params, body = prepare(app, role, key)
    role_client(app, role)
    before = db_digest(app)
    response = _send(app, role, key, params, body, token=None, headers={"Authorization": "Bearer smk_forged"})
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"
    assert digest_diff(before, db_digest(app)) == {}


@pytest.mark.parametrize("key", HTML_UNSAFE, ids=[f"{m} {r}" for r, m in HTML_UNSAFE])
def test_a_bearer_header_does_not_waive_csrf_on_pages(app: Flask, key: tuple[str, str]) -> None:
    role, _status = allowed_role(key)
    token = bearer_token(app, role)
    params, body = prepare(app, role, key)
    role_client(app, role)
    before = db_digest(app)
    response = _send(app, role, key, params, body, token=None, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
    assert digest_diff(before, db_digest(app)) == {}


def test_cross_site_form_post_to_the_api_is_refused(app: Flask) -> None:
    """A form on another site can send text/plain or form-encoded bodies with the cookie: 400."""
    annotator = role_client(app, "annotator1")
    before = db_digest(app)
    for content_type, data in (("text/plain", '{"name": "Evil", "side": "armenia"}'),
                               ("application/x-www-form-urlencoded", "name=Evil&side=armenia")):
        response = annotator.client.post("/api/v1/projects/demo/speakers", data=data, content_type=content_type,
                                         headers={"Origin": "https://evil.example",
                                                  "Referer": "https://evil.example/page"})
        assert response.status_code == 400, content_type
    assert digest_diff(before, db_digest(app)) == {}


def test_get_requests_never_need_or_check_a_token_and_change_nothing(app: Flask) -> None:
    """State changes only happen on unsafe methods: a GET to a write URL is a 405, not a write."""
    curator = role_client(app, "curator")
    for rule, method in UNSAFE:
        if (rule, "GET") in MATRIX:
            continue
        params, _body = prepare(app, "curator", (rule, method))
        before = db_digest(app)
        response = curator.client.get(build_path(rule, params))
        assert response.status_code in (405, 404), (rule, response.status_code)
        assert digest_diff(before, db_digest(app)) == {}
