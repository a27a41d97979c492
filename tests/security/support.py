"""Shared helpers of the security tests: a whole-database digest, logged-in clients per role,
fresh objects of project ``demo`` (claims, markers, assignments, speakers, users) and tokens.

Logged-in session cookies are cached for the whole run: every test database is a copy of the
same template (same user ids, same session generations, same SECRET_KEY), so a cookie made by
a real log-in on one copy is valid on every other copy until a test revokes it in its own copy.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.db import Base, get_session
from tests.conftest import CSRF_META, PASSWORD, find_span, seed_document_id

ROLES = ("anonymous", "outsider", "annotator1", "annotator2", "curator", "admin")
MEMBERS = ("annotator1", "annotator2", "curator", "admin")
QUOTE = "What Armenia did is unacceptable"
_counter = itertools.count(1)
_sessions: dict[str, tuple[str, str]] = {}


def unique(prefix: str = "x") -> str:
    return f"{prefix}{next(_counter)}"


# -- database state -------------------------------------------------------------------------

def db_digest(app: Flask) -> dict[str, str]:
    """Per table: row count and a hash of every row (ordered by primary key)."""
    digest: dict[str, str] = {}
    with app.app_context():
        session = get_session()
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = session.execute(sa.select(table).order_by(*order)).all()
            hashed = hashlib.sha256(repr([tuple(row) for row in rows]).encode("utf-8", "backslashreplace"))
            digest[table.name] = f"{len(rows)}:{hashed.hexdigest()[:16]}"
        session.rollback()
    return digest


def digest_diff(before: dict[str, str], after: dict[str, str]) -> dict[str, tuple[str, str]]:
    return {name: (before.get(name, "-"), after.get(name, "-"))
            for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)}


# -- clients ------------------------------------------------------------------------------

def page_csrf(client: FlaskClient, path: str = "/login") -> str:
    match = CSRF_META.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@dataclass
class RoleClient:
    """A Flask test client acting as one role, with the CSRF token of its session."""

    role: str
    client: FlaskClient
    token: str

    def call(self, method: str, path: str, *, json: Any = None, data: Any = None, csrf: bool = True,
             headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        headers = dict(headers or {})
        if csrf:
            headers.setdefault("X-CSRFToken", self.token)
        if data is not None and csrf and isinstance(data, dict):
            data = {"csrf_token": self.token, **data}
        return self.client.open(path, method=method, json=json, data=data, headers=headers, **kwargs)


def role_client(app: Flask, role: str) -> RoleClient:
    """A client for ``role`` (``anonymous`` included): real log-in once per run, then the cookie."""
    client = app.test_client()
    if role == "anonymous":
        return RoleClient(role, client, page_csrf(client))
    if role not in _sessions:
        token = page_csrf(client)
        response = client.post("/login", data={"username": role, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        token = page_csrf(client, "/projects")  # puts the CSRF secret into the session cookie
        cookie = client.get_cookie("session")
        assert cookie is not None
        _sessions[role] = (cookie.value, token)
    cookie_value, token = _sessions[role]
    client.set_cookie("session", cookie_value)
    return RoleClient(role, client, token)


def bearer_token(app: Flask, username: str) -> str:
    from app.models import User
    from app.services.users import create_token

    with app.app_context():
        session = get_session()
        user = session.scalar(sa.select(User).where(User.username == username))
        assert user is not None
        token = create_token(session, user, "security-tests")
        session.commit()
    return token


# -- objects of project demo ----------------------------------------------------------------

def _access(session: Any, username: str, slug: str = "demo") -> Any:
    from app.models import User
    from app.services.projects import get_project_access

    user = session.scalar(sa.select(User).where(User.username == username))
    return get_project_access(session, user, slug)


def user_id(app: Flask, username: str) -> int:
    from app.models import User

    with app.app_context():
        found = get_session().scalar(sa.select(User.id).where(User.username == username))
    assert found is not None
    return found


def make_claim(app: Flask, owner: str = "annotator1", note: str | None = None) -> int:
    from app.models import User
    from app.services.claims import create_claim

    document = seed_document_id(app)
    start, end = find_span(app, document, QUOTE)
    with app.app_context():
        session = get_session()
        user = session.scalar(sa.select(User).where(User.username == owner))
        claim, _ = create_claim(session, user, document, {
            "content": [{"start": start, "end": end}], "attribution": "direct", "speaker": "Aliyev",
            "stances": [{"target": "T2", "value": "against"}], "note": note})
        session.commit()
        return claim.id


def make_marker(app: Flask, owner: str = "annotator1", note: str | None = None) -> int:
    from app.models import User
    from app.services.markers import create_marker

    document = seed_document_id(app)
    start, end = find_span(app, document, "unacceptable")
    with app.app_context():
        session = get_session()
        user = session.scalar(sa.select(User).where(User.username == owner))
        marker = create_marker(session, user, document, {"span": {"start": start, "end": end},
                                                         "bias_type": "loaded_language", "note": note})
        session.commit()
        return marker.id


def make_assignment(app: Flask, annotator: str = "annotator1") -> int:
    from app.models import Assignment
    from app.services.assignments import assign

    document = seed_document_id(app)
    with app.app_context():
        session = get_session()
        existing = session.scalar(sa.select(Assignment.id).where(
            Assignment.document_id == document, Assignment.user_id == user_id(app, annotator)))
        if existing is None:
            assign(session, _access(session, "curator"), {"annotators": [annotator], "documents": [document]})
            session.commit()
            existing = session.scalar(sa.select(Assignment.id).where(
                Assignment.document_id == document, Assignment.user_id == user_id(app, annotator)))
        assert existing is not None
        return existing


def make_speaker(app: Flask, name: str | None = None, slug: str = "demo", **fields: Any) -> int:
    from app.services.speakers import create_speaker

    with app.app_context():
        session = get_session()
        who = "curator" if slug == "demo" else "outsider"
        speaker = create_speaker(session, _access(session, who, slug), {"name": name or unique("Speaker "),
                                                                        **fields})
        session.commit()
        return speaker.id


def make_user(app: Flask, name: str | None = None) -> str:
    from app.services.users import create_user

    name = name or unique("extra")
    with app.app_context():
        session = get_session()
        create_user(session, name, PASSWORD)
        session.commit()
    return name


def import_document(app: Flask, payload: dict[str, Any], slug: str = "demo") -> int:
    from app.services import documents

    with app.app_context():
        session = get_session()
        result = documents.import_documents(session, _access(session, "curator", slug),
                                            [documents.parse_document_payload(payload)])[0]
        session.commit()
        return result.document.id


def demo_speaker_id(app: Flask, name: str = "Ilham Aliyev") -> int:
    from app.models import Speaker

    with app.app_context():
        found = get_session().scalar(sa.select(Speaker.id).where(Speaker.name == name))
    assert found is not None
    return found


def codebook_body(app: Flask) -> dict[str, Any]:
    from app.models import Project
    from app.services.projects import current_codebook

    with app.app_context():
        session = get_session()
        project = session.scalar(sa.select(Project).where(Project.slug == "demo"))
        body = current_codebook(session, project.id).as_api()
    body.pop("version", None)
    return body


TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"/|sqlalchemy\.exc|psycopg\.|sqlite3\.")


def assert_no_traceback(text: str) -> None:
    assert not TRACEBACK.search(text), f"internal detail in the answer: {text[:500]}"
