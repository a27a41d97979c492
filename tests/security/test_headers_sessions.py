"""Security headers on every kind of answer, session cookies, fixation, revocation, log-in rate
limits, the production secret key, forged cookies and the 500 page (security.md §4 C 39-47)."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from app import create_app
from app.config import ConfigError
from app.db import get_session
from tests.conftest import PASSWORD, REPO, SECRET, csrf_token, login, seed_document_id
from tests.security.support import assert_no_traceback, role_client, user_id

STRONG_KEY = "Zq8-vN3xLr0pWm7tYb2cKd9sHf4jGa1eUo6iRn5"


def assert_security_headers(response: Any, what: str) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    assert csp, f"{what}: no Content-Security-Policy"
    directives = {part.strip().split()[0]: part.strip().split()[1:] for part in csp.split(";") if part.strip()}
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, f"{what}: {csp}"
    assert directives.get("frame-ancestors") == ["'none'"], f"{what}: {csp}"
    assert directives.get("object-src") == ["'none'"], f"{what}: {csp}"
    script_src = directives.get("script-src", directives.get("default-src", []))
    assert script_src and not {"*", "data:", "http:", "https:", "blob:"} & set(script_src), f"{what}: {csp}"
    assert response.headers.get("X-Content-Type-Options") == "nosniff", what
    assert response.headers.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")
    assert response.headers.get("X-Frame-Options") == "DENY", what


@pytest.fixture
def prod_app(database_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The application as ``make serve`` runs it: production mode, exceptions handled, not testing."""
    for name in ("SECRET_KEY", "SOURCEMARK_ENV", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": STRONG_KEY, "SOURCEMARK_ENV": "production",
                      "TESTING": False, "PROPAGATE_EXCEPTIONS": False, "LOGIN_RATE_LIMIT": "1000 per minute"})
    app.instance_path = str(tmp_path / "instance")

    def boom() -> str:
        raise RuntimeError("internal detail: /srv/secret/path password=hunter2")

    def db_boom() -> str:
        with app.app_context():
            get_session().execute(sa.text("SELECT * FROM no_such_table_xyz"))
        return "unreachable"

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/v1/boom", "api_boom", boom)
    app.add_url_rule("/db-boom", "db_boom", db_boom)
    yield app
    app.extensions["sourcemark.engine"].dispose()


def https_login(app: Flask, username: str) -> Any:
    """Log in over https (production cookies are Secure, so the test client must speak https)."""
    client = app.test_client()
    base = {"base_url": "https://localhost", "headers": {"Referer": "https://localhost/login"}}
    page = client.get("/login", **base)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token}, **base)
    return client, response


# -- headers ------------------------------------------------------------------------------

def test_headers_on_every_kind_of_answer(app: Flask) -> None:
    curator = role_client(app, "curator")
    anonymous = app.test_client()
    document = seed_document_id(app)

    def read(response: Any) -> Any:
        response.get_data()  # streamed downloads are read at once (their generators hold a context)
        response.close()
        return response

    answers = {
        "login page": read(anonymous.get("/login")),
        "redirect to log-in": read(anonymous.get("/projects")),
        "static file": read(anonymous.get("/static/css/app.css")),
        "API 401": read(anonymous.get("/api/v1/projects")),
        "page": read(curator.client.get("/projects/demo")),
        "annotation page": read(curator.client.get(f"/documents/{document}")),
        "API JSON": read(curator.client.get("/api/v1/projects")),
        "HTML 404": read(curator.client.get("/no/such/page")),
        "API 404": read(curator.client.get("/api/v1/documents/987654321")),
        "HTML 405": read(curator.client.delete("/projects")),
        "API 422": read(curator.call("POST", "/api/v1/projects/demo/speakers", json={"name": ""})),
        "CSRF 400": read(curator.client.post("/api/v1/projects/demo/speakers", json={"name": "x"})),
        "export download": read(curator.client.get("/api/v1/projects/demo/export?format=jsonl")),
        "export page download": read(curator.client.get("/projects/demo/export?format=csv&empty_ok=1")),
        "codebook download": read(curator.client.get("/projects/demo/codebook.json")),
        "CSV download": read(curator.client.get("/projects/demo/balance.csv?table=sides")),
        "SVG download": read(curator.client.get("/projects/demo/balance.svg?chart=sides")),
    }
    for what, response in answers.items():
        assert response.status_code != 500, what
        assert_security_headers(response, what)
    for what in ("page", "annotation page", "API JSON", "API 404", "export download"):
        assert "no-store" in answers[what].headers.get("Cache-Control", ""), what
        assert "Cookie" in answers[what].headers.get("Vary", ""), what
    for what in ("export download", "export page download", "codebook download", "CSV download", "SVG download"):
        assert answers[what].headers["Content-Disposition"].startswith("attachment"), what


def test_headers_on_500_and_429(prod_app: Flask) -> None:
    client = prod_app.test_client()
    for path in ("/boom", "/api/v1/boom", "/db-boom"):
        response = client.get(path)
        assert response.status_code == 500
        assert_security_headers(response, path)
    prod_app.config["LOGIN_RATE_LIMIT"] = "1 per minute"
    statuses = []
    for _ in range(3):
        client, response = https_login(prod_app, "nobody")
        statuses.append(response.status_code)
    assert statuses[-1] == 429
    assert_security_headers(response, "429")


def test_every_html_page_has_no_inline_script(app: Flask) -> None:
    """Strict CSP only works if the pages need no inline script: every <script> is external or
    a JSON data block, and no element carries an on* handler attribute or a javascript: URL."""
    curator = role_client(app, "curator")
    document = seed_document_id(app)
    paths = ["/projects", "/projects/demo", f"/documents/{document}", "/projects/demo/speakers",
             "/projects/demo/codebook", "/projects/demo/balance", "/projects/demo/assignments",
             "/projects/demo/export", "/account", "/admin/users"]
    admin = role_client(app, "admin")
    for path in paths:
        client = admin if path == "/admin/users" else curator
        html = client.client.get(path).get_data(as_text=True)
        for match in re.finditer(r"<script\b([^>]*)>(.*?)</script>", html, re.S | re.I):
            attrs, body = match.groups()
            assert "src=" in attrs or 'type="application/json"' in attrs, f"inline script on {path}: {attrs}"
            if "src=" in attrs:
                assert not body.strip()
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", html, re.I), f"event handler attribute on {path}"
        assert "javascript:" not in html.lower(), path


# -- cookies and sessions ---------------------------------------------------------------------

def _set_cookie_headers(response: Any) -> list[str]:
    return [value for key, value in response.headers.items() if key.lower() == "set-cookie"]


def test_session_cookie_flags_in_development(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client)
    response = client.post("/login", data={"username": "annotator1", "password": PASSWORD, "csrf_token": token})
    cookies = [c for c in _set_cookie_headers(response) if c.startswith("session=")]
    assert cookies, "the log-in sets the session cookie"
    for cookie in cookies:
        flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
        assert "httponly" in flags and flags.get("samesite", "").lower() == "samesite=lax", cookie
        assert "domain" not in flags, cookie


def test_session_cookie_is_secure_in_production(prod_app: Flask) -> None:
    client, response = https_login(prod_app, "annotator1")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    cookies = [c for c in _set_cookie_headers(response) if c.startswith("session=")]
    assert cookies
    for cookie in cookies:
        lowered = cookie.lower()
        assert "; secure" in lowered and "; httponly" in lowered and "samesite=lax" in lowered, cookie
    assert prod_app.debug is False
    assert client.get("/console", base_url="https://localhost").status_code == 404


def test_a_new_session_at_login(app: Flask) -> None:
    """Session fixation: what was in the cookie before the log-in does not survive it."""
    client = app.test_client()
    old_token = csrf_token(client)
    with client.session_transaction() as planted:
        planted["planted_by_attacker"] = "x"
    before = client.get_cookie("session").value
    response = client.post("/login", data={"username": "annotator1", "password": PASSWORD, "csrf_token": old_token})
    assert response.status_code == 302
    after = client.get_cookie("session").value
    assert after != before
    with client.session_transaction() as session:
        assert "planted_by_attacker" not in session
        assert session.get("_user_id")
    # The attacker's copy of the pre-login cookie is still anonymous.
    attacker = app.test_client()
    attacker.set_cookie("session", before)
    assert attacker.get("/projects").status_code == 302
    assert attacker.get("/api/v1/projects").status_code == 401
    # The pre-login CSRF token belonged to the old session.
    stale = client.post("/api/v1/projects/demo/speakers", json={"name": "Fixation"},
                        headers={"X-CSRFToken": old_token})
    assert stale.status_code == 400


def test_logout_revokes_copied_cookies_for_pages_and_api(app: Flask) -> None:
    client = app.test_client()
    token = login(client, "annotator1")
    stolen = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/api/v1/projects").status_code == 200
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/projects").status_code == 302
    assert thief.get("/api/v1/projects").status_code == 401
    assert thief.post("/api/v1/projects/demo/speakers", json={"name": "After logout"},
                      headers={"X-CSRFToken": token}).status_code == 401


def test_password_change_logs_out_other_devices(app: Flask) -> None:
    laptop, phone = app.test_client(), app.test_client()
    laptop_token = login(laptop, "annotator1")
    login(phone, "annotator1")
    phone_cookie = phone.get_cookie("session").value
    response = laptop.post("/account", data={"current": PASSWORD, "new": "a brand new passphrase",
                                             "csrf_token": csrf_token(laptop, "/account")})
    assert response.status_code == 302
    assert laptop.get("/projects").status_code == 200  # this browser stays logged in
    replay = app.test_client()
    replay.set_cookie("session", phone_cookie)
    assert replay.get("/projects").status_code == 302
    assert replay.get("/api/v1/projects").status_code == 401
    fresh = app.test_client()
    failed = fresh.post("/login", data={"username": "annotator1", "password": PASSWORD,
                                        "csrf_token": csrf_token(fresh)})
    assert failed.status_code == 401
    login(fresh, "annotator1", "a brand new passphrase")
    assert laptop_token


def test_wrong_current_password_changes_nothing(app: Flask) -> None:
    client = app.test_client()
    login(client, "annotator1")
    response = client.post("/account", data={"current": "not my password", "new": "a brand new passphrase",
                                              "csrf_token": csrf_token(client, "/account")})
    assert response.status_code in (200, 401, 422)
    assert "not your current password" in response.get_data(as_text=True)
    login(app.test_client(), "annotator1")


# -- log-in: identical answers, rate limits ------------------------------------------------------

def _login_answer(client: Any, username: str, password: str, ip: str = "127.0.0.1") -> Any:
    token = csrf_token(client)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": ip})


def _normalised(response: Any, username: str) -> str:
    text = response.get_data(as_text=True)
    text = re.sub(r'content="[^"]+"', 'content=""', text)
    text = re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", text)
    text = re.sub(r'value="[^"]*"', 'value=""', text)
    text = re.sub(r"<code>[0-9a-f]+</code>", "<code>ID</code>", text)  # the request id
    return text.replace(username, "USER")


def test_unknown_user_and_wrong_password_answer_alike(app: Flask) -> None:
    answers = []
    timings = []
    for username in ("annotator1", "no-such-user", "admin", "nobody_at_all"):
        client = app.test_client()
        csrf_token(client)
        started = time.perf_counter()
        response = _login_answer(client, username, "wrong password")
        timings.append(time.perf_counter() - started)
        answers.append((response.status_code, _normalised(response, username)))
    assert len(set(answers)) == 1, "the log-in answer tells whether a user exists"
    assert answers[0][0] == 401
    # The same work for both (a dummy hash is checked for unknown users): no 10x timing gap.
    assert max(timings) < 5 * min(timings) + 0.05, timings


def test_rate_limit_per_address(app: Flask) -> None:
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    client = app.test_client()
    statuses = [_login_answer(client, name, "wrong password").status_code
                for name in ("annotator1", "annotator2", "nobody", "curator")]
    assert statuses == [401, 401, 401, 429]
    blocked = _login_answer(client, "admin", PASSWORD)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert_no_traceback(blocked.get_data(as_text=True))
    elsewhere = _login_answer(app.test_client(), "admin", PASSWORD, ip="10.0.0.9")
    assert elsewhere.status_code == 302


def test_rate_limit_answers_alike_for_unknown_and_known_users(app: Flask) -> None:
    app.config["LOGIN_RATE_LIMIT"] = "1 per minute"
    answers = []
    for ip, username in (("10.1.0.1", "annotator1"), ("10.1.0.2", "nobody-here")):
        client = app.test_client()
        _login_answer(client, username, "wrong", ip=ip)
        response = _login_answer(client, username, "wrong", ip=ip)
        answers.append((response.status_code, _normalised(response, username)))
    assert answers[0] == answers[1] and answers[0][0] == 429


def test_rate_limit_per_account_from_many_addresses(app: Flask) -> None:
    """security.md §4 #39: 20 wrong passwords for one account from 20 addresses are limited too."""
    app.config["LOGIN_RATE_LIMIT"] = "5 per minute"
    statuses = [_login_answer(app.test_client(), "annotator1", "wrong password", ip=f"10.2.0.{n}").status_code
                for n in range(1, 21)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}, statuses
    other = _login_answer(app.test_client(), "annotator2", PASSWORD, ip="10.2.1.1")
    assert other.status_code == 302, "another account is not locked out"


def test_correct_password_works_once_the_window_passes(app: Flask) -> None:
    app.config["LOGIN_RATE_LIMIT"] = "2 per 2 seconds"
    client = app.test_client()
    assert [_login_answer(client, "annotator1", "wrong").status_code for _ in range(3)] == [401, 401, 429]
    time.sleep(2.2)
    assert _login_answer(client, "annotator1", PASSWORD).status_code == 302


# -- secret key -------------------------------------------------------------------------------

@pytest.mark.parametrize("key", [None, "", "dev", "DEV", "0123456789", "changeme", "secret", "a" * 64,
                                 "abababababababababababababababababab"])
def test_production_refuses_weak_keys_at_create_app(database_url: str, monkeypatch: pytest.MonkeyPatch,
                                                     key: str | None) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY") as refused:
        create_app({"DATABASE_URL": database_url, "SOURCEMARK_ENV": "production", "SECRET_KEY": key})
    assert "secrets.token_urlsafe" in str(refused.value)


def test_production_refuses_a_weak_key_from_the_environment(database_url: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCEMARK_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "dev")
    monkeypatch.setenv("DATABASE_URL", database_url)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_production_start_from_the_command_line_says_what_to_set(database_url: str, tmp_path: Any) -> None:
    env = {"PATH": "/usr/bin:/bin", "SOURCEMARK_ENV": "production", "SECRET_KEY": "dev",
           "DATABASE_URL": database_url, "FLASK_APP": "wsgi.py", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "flask", "routes"], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr + result.stdout


def test_production_accepts_a_strong_key(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app({"DATABASE_URL": database_url, "SOURCEMARK_ENV": "production", "SECRET_KEY": STRONG_KEY})
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["SESSION_COOKIE_HTTPONLY"] is True
    app.extensions["sourcemark.engine"].dispose()


# -- forged cookies -------------------------------------------------------------------------

def _cookie(app: Flask, secret: str, data: dict[str, Any]) -> str:
    other = Flask("forger")
    other.secret_key = secret
    serializer = SecureCookieSessionInterface().get_signing_serializer(other)
    assert serializer is not None
    return serializer.dumps(data)


@pytest.mark.parametrize("secret", ["dev", "secret", "changeme", "", "test-secret-key-that-is-long-enough-012345678"])
def test_forged_cookie_is_anonymous(app: Flask, secret: str) -> None:
    admin = user_id(app, "admin")
    if not secret:
        forged = "eyJfdXNlcl9pZCI6IjE6MCJ9.AAAAAA.invalid-signature"
    else:
        forged = _cookie(app, secret, {"_user_id": f"{admin}:0", "_fresh": True, "csrf_token": "a" * 40})
    client = app.test_client()
    client.set_cookie("session", forged)
    assert client.get("/projects").status_code == 302
    assert client.get("/admin/users").status_code == 302
    assert client.get("/api/v1/projects").status_code == 401


def test_real_key_but_wrong_generation_or_shape_is_anonymous(app: Flask) -> None:
    admin = user_id(app, "admin")
    for user_key in (f"{admin}:7", f"{admin}", f"{admin}:0:0", "x:y", f"{admin}:-1", "999999:0", ""):
        client = app.test_client()
        client.set_cookie("session", _cookie(app, SECRET, {"_user_id": user_key, "_fresh": True}))
        assert client.get("/projects").status_code == 302, user_key
        assert client.get("/api/v1/projects").status_code == 401, user_key


def test_the_real_key_with_the_right_generation_is_the_control(app: Flask) -> None:
    admin = user_id(app, "admin")
    client = app.test_client()
    client.set_cookie("session", _cookie(app, SECRET, {"_user_id": f"{admin}:0", "_fresh": True}))
    assert client.get("/api/v1/projects").status_code == 200


# -- the 500 page -----------------------------------------------------------------------------

def test_forced_exception_gives_a_plain_500_with_a_request_id(prod_app: Flask,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    client = prod_app.test_client()
    with caplog.at_level(logging.ERROR, logger="sourcemark"):
        page = client.get("/boom")
        api = client.get("/api/v1/boom")
        database = client.get("/db-boom")
    html = page.get_data(as_text=True)
    assert page.status_code == 500 and page.mimetype == "text/html"
    request_id = page.headers["X-Request-Id"]
    assert request_id and request_id in html
    for body in (html, api.get_data(as_text=True), database.get_data(as_text=True)):
        assert_no_traceback(body)
        assert "hunter2" not in body and "/srv/secret" not in body and "no_such_table_xyz" not in body
        assert "RuntimeError" not in body and "OperationalError" not in body
    assert api.status_code == 500 and api.is_json
    assert api.json["error"]["code"] == "server_error" and api.headers["X-Request-Id"] in api.json["error"]["message"]
    assert database.status_code == 500
    # The traceback goes to the log, tagged with the request id the user sees.
    logged = [r for r in caplog.records if r.exc_info and request_id in r.getMessage()]
    assert logged, "the traceback of the failed request is logged with its request id"


def test_a_client_request_id_is_not_reflected_as_markup(prod_app: Flask) -> None:
    response = prod_app.test_client().get("/boom", headers={"X-Request-Id": '<img src=x onerror=alert(1)>'})
    html = response.get_data(as_text=True)
    assert "<img src=x" not in html
    assert "\n" not in response.headers["X-Request-Id"]
