"""Infrastructure faults (security.md §4 E 56-60): a read-only database, a lock held past the busy
timeout, a full disk, ``kill -9`` in the middle of an import, and concurrent writers.

Writes that cannot happen answer 503 (507 allowed for a full disk) with a clear message, JSON for
the API, a page for HTML, never a traceback; reads keep working; nothing partial is stored.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import make_server

from app import create_app
from app.db import get_session
from app.models import Claim, Document, Paragraph, Project, Speaker
from tests.conftest import (
    CORPUS,
    REPO,
    SECRET,
    TEST_DB,
    another_request_between,
    find_span,
    row_count,
    seed_document_id,
)
from tests.security.support import (
    QUOTE,
    assert_no_traceback,
    bearer_token,
    db_digest,
    digest_diff,
    role_client,
)

SQLITE_ONLY = pytest.mark.skipif(TEST_DB != "sqlite", reason="a fault of the SQLite file (the PostgreSQL run "
                                                              "has its own variant of this test where one exists)")


def sqlite_path(url: str) -> Path:
    assert url.startswith("sqlite:///")
    return Path(url[len("sqlite:///"):])


def claim_body(app: Flask) -> dict[str, Any]:
    start, end = find_span(app, seed_document_id(app), QUOTE)
    return {"content": [{"start": start, "end": end}], "attribution": "direct", "speaker": "Aliyev"}


def fresh_connections(app: Flask) -> None:
    """Drop pooled connections: the next request opens the database as it is now."""
    app.extensions["sourcemark.engine"].dispose()


def assert_unavailable(response: Any, code: str, api: bool, statuses: tuple[int, ...] = (503,)) -> None:
    text = response.get_data(as_text=True)
    assert response.status_code in statuses, (response.status_code, text[:300])
    assert_no_traceback(text)
    if api:
        assert response.is_json and response.json["error"]["code"] == code, text[:300]
        assert response.json["error"]["message"]
    else:
        assert response.mimetype == "text/html" and "Request id" in text


# -- read-only database ---------------------------------------------------------------------

@contextlib.contextmanager
def read_only_file(path: Path) -> Iterator[None]:
    """chmod 0444; as root (who may write anyway) also the immutable attribute."""
    mode = path.stat().st_mode
    immutable = False
    os.chmod(path, 0o444)
    try:
        if os.geteuid() == 0:
            if not shutil.which("chattr"):
                pytest.skip("running as root without chattr: cannot make the database file read-only")
            result = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
            if result.returncode != 0:
                pytest.skip(f"chattr +i is not supported here: {result.stderr.strip()}")
            immutable = True
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        os.chmod(path, mode)


@contextlib.contextmanager
def read_only_database(app: Flask, url: str) -> Iterator[None]:
    if TEST_DB == "sqlite":
        with read_only_file(sqlite_path(url)):
            fresh_connections(app)
            yield
        fresh_connections(app)
        return
    name = sa.engine.make_url(url).database
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
    fresh_connections(app)
    try:
        yield
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql("SET default_transaction_read_only = off")
            conn.exec_driver_sql(f"ALTER DATABASE {name} RESET default_transaction_read_only")
        admin.dispose()
        fresh_connections(app)


def test_read_only_database_refuses_writes_and_keeps_reading(app: Flask, database_url: str,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    annotator = role_client(app, "annotator1")
    curator = role_client(app, "curator")
    document = seed_document_id(app)
    body = claim_body(app)
    before = db_digest(app)
    with read_only_database(app, database_url), caplog.at_level(logging.WARNING, logger="sourcemark"):
        assert annotator.call("GET", f"/api/v1/documents/{document}").status_code == 200
        assert annotator.call("GET", f"/documents/{document}").status_code == 200
        assert curator.call("GET", "/projects/demo").status_code == 200
        for _ in range(3):
            api = annotator.call("POST", f"/api/v1/documents/{document}/claims", json=body)
            assert_unavailable(api, "read_only", api=True)
            assert "read-only" in api.json["error"]["message"]
        page = curator.call("POST", "/projects/demo/speakers", data={"name": "Read Only Speaker", "side": "",
                                                                     "type": ""})
        assert_unavailable(page, "read_only", api=False)
        assert "read-only" in page.get_data(as_text=True)
        label = annotator.call("PUT", f"/api/v1/documents/{document}/labels", json={"outlet": "x"})
        assert_unavailable(label, "read_only", api=True)
    warnings = [r for r in caplog.records if "read_only" in r.getMessage() and r.levelno >= logging.WARNING]
    assert len(warnings) == 1, "a read-only database is logged once, not once per request"
    assert digest_diff(before, db_digest(app)) == {}
    # Writable again: the same write goes through.
    assert annotator.call("POST", f"/api/v1/documents/{document}/claims", json=body).status_code == 201


# -- a lock held past the busy timeout -------------------------------------------------------

@pytest.fixture
def impatient_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": SECRET, "TESTING": True,
                      "SQLITE_BUSY_TIMEOUT_MS": 300, "LOGIN_RATE_LIMIT": "1000 per minute",
                      "DEMO_CORPUS": str(CORPUS)})
    app.instance_path = str(tmp_path / "instance")
    yield app
    app.extensions["sourcemark.engine"].dispose()


@contextlib.contextmanager
def lock_held(url: str) -> Iterator[None]:
    """Another process's write lock: BEGIN EXCLUSIVE (SQLite) / LOCK TABLE … EXCLUSIVE (PostgreSQL)."""
    if TEST_DB == "sqlite":
        other = sqlite3.connect(str(sqlite_path(url)), isolation_level=None, timeout=0)
        other.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        conn.exec_driver_sql("LOCK TABLE claims, speakers, audit_events, article_labels IN EXCLUSIVE MODE")
        try:
            yield
        finally:
            conn.rollback()
    engine.dispose()


def test_lock_past_busy_timeout_is_503_with_retry_after(impatient_app: Flask, database_url: str) -> None:
    app = impatient_app
    annotator = role_client(app, "annotator1")
    curator = role_client(app, "curator")
    document = seed_document_id(app)
    body = claim_body(app)
    before = row_count(app, Claim)
    with lock_held(database_url):
        started = time.monotonic()
        api = annotator.call("POST", f"/api/v1/documents/{document}/claims", json=body)
        waited = time.monotonic() - started
        assert_unavailable(api, "busy", api=True)
        assert int(api.headers["Retry-After"]) >= 1
        assert 0.25 <= waited < 10, f"the request waited {waited:.2f}s, not about the busy timeout"
        page = curator.call("POST", "/projects/demo/speakers", data={"name": "Locked Speaker", "side": "",
                                                                     "type": ""})
        assert_unavailable(page, "busy", api=False)
        assert page.headers.get("Retry-After")
        # Readers are not blocked by a writer (WAL / MVCC).
        assert annotator.call("GET", f"/api/v1/documents/{document}/claims").status_code == 200
        assert annotator.call("GET", f"/documents/{document}").status_code == 200
    assert row_count(app, Claim) == before
    assert annotator.call("POST", f"/api/v1/documents/{document}/claims", json=body).status_code == 201


def test_two_requests_passing_the_same_uniqueness_check_at_once_get_201_and_409(app: Flask) -> None:
    """Both look the slug up before either writes; the second meets the unique key: a 409 with a
    clear message, nothing of it stored, not a 500."""
    admin, second_admin = role_client(app, "admin"), app.test_client()
    token = bearer_token(app, "admin")
    projects_before = row_count(app, Project)
    with another_request_between(
            app, lambda sql: sql.startswith("SELECT projects.id") and "projects.slug" in sql,
            lambda: second_admin.post("/api/v1/projects", json={"slug": "race", "name": "First"},
                                      headers={"Authorization": f"Bearer {token}"})) as first:
        second = admin.call("POST", "/api/v1/projects", json={"slug": "race", "name": "Second"})
    assert first["response"].status_code == 201, first["response"].json
    assert second.status_code == 409, second.get_data(as_text=True)[:300]
    assert second.json["error"]["code"] == "conflict" and "same moment" in second.json["error"]["message"]
    assert_no_traceback(second.get_data(as_text=True))
    assert row_count(app, Project) == projects_before + 1
    with app.app_context():
        assert get_session().scalar(sa.select(Project.name).where(Project.slug == "race")) == "First"


# -- disk full ---------------------------------------------------------------------------------

@SQLITE_ONLY
def test_disk_full_is_refused_cleanly_and_stores_nothing(app: Flask, database_url: str) -> None:
    curator = role_client(app, "curator")
    path = sqlite_path(database_url)
    with sqlite3.connect(str(path)) as probe:
        pages = probe.execute("PRAGMA page_count").fetchone()[0]
    engine = app.extensions["sourcemark.engine"]

    def cap(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 8}")

    sa.event.listen(engine, "connect", cap)
    fresh_connections(app)
    paragraphs = [f"Paragraph {i}: " + ("lorem ipsum dolor sit amet " * 40) for i in range(120)]
    big = {"title": "Too big for the disk", "text": "\n\n".join(paragraphs)}
    batch = {"documents": [{"title": f"Batch {i}", "text": f"Batch document {i}.\n\n" + paragraphs[i]}
                           for i in range(60)]}
    before = db_digest(app)
    try:
        for payload in (big, batch):
            response = curator.call("POST", "/api/v1/projects/demo/documents", json=payload)
            assert_unavailable(response, "disk_full", api=True, statuses=(503, 507))
            assert "disk" in response.json["error"]["message"]
        page = curator.call("POST", "/projects/demo/import", data={"title": "Form import", "text": big["text"],
                                                                   "format": "auto"})
        assert_unavailable(page, "disk_full", api=False, statuses=(503, 507))
        assert digest_diff(before, db_digest(app)) == {}, "a full disk left part of an import behind"
        assert row_count(app, Document) == int(before["documents"].split(":")[0])
    finally:
        sa.event.remove(engine, "connect", cap)
        fresh_connections(app)
    with sqlite3.connect(str(path)) as check:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    retry = curator.call("POST", "/api/v1/projects/demo/documents", json=big)
    assert retry.status_code == 201, "with space again the same import goes through"


# -- kill -9 during a large import ---------------------------------------------------------------

def _paragraph_texts(number: int) -> list[str]:
    return [f"Document {number} paragraph {p}: {'word ' * (5 + (number * 7 + p) % 20)}".strip() for p in range(5)]


def test_kill_9_during_import_leaves_whole_documents(app: Flask, database_url: str, tmp_path: Path) -> None:
    total = 30_000
    source = tmp_path / "big.jsonl"
    with source.open("w", encoding="utf-8") as handle:
        for number in range(total):
            handle.write(json.dumps({"title": f"Big {number}", "text": "\n\n".join(_paragraph_texts(number))}) + "\n")
    documents_before = row_count(app, Document)
    fresh_connections(app)
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": SECRET, "FLASK_APP": "wsgi.py",
           "SOURCEMARK_ENV": "development"}
    command = [sys.executable, "-m", "flask", "import", "demo", str(source)]
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    engine = sa.create_engine(database_url)
    killed_at = None
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            with engine.connect() as conn:
                count = conn.scalar(sa.text("SELECT count(*) FROM documents"))
            if count > documents_before:
                process.send_signal(signal.SIGKILL)
                killed_at = count
                break
            time.sleep(0.01)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        engine.dispose()
    assert killed_at is not None, "the import finished (or never started) before it could be killed"
    stored = row_count(app, Document) - documents_before
    assert 0 < stored < total, f"the kill was not halfway: {stored} of {total}"
    _assert_whole_documents(app, database_url)
    # Running the same import again completes it, skipping what is there, with no duplicates.
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert row_count(app, Document) == documents_before + total
    _assert_whole_documents(app, database_url)


def _assert_whole_documents(app: Flask, database_url: str) -> None:
    with app.app_context():
        session = get_session()
        counts = dict(session.execute(sa.select(Paragraph.document_id, sa.func.count())
                                      .group_by(Paragraph.document_id)).all())
        for document_id, text in session.execute(sa.select(Document.id, Document.text)):
            assert counts.get(document_id) == len(text.split("\n\n")), f"document {document_id} is not whole"
        orphans = session.scalar(sa.select(sa.func.count()).select_from(Paragraph).where(
            ~Paragraph.document_id.in_(sa.select(Document.id))))
        assert orphans == 0
        session.rollback()
    if TEST_DB == "sqlite":
        with sqlite3.connect(str(sqlite_path(database_url))) as check:
            assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert check.execute("PRAGMA foreign_key_check").fetchall() == []


# -- concurrent writers ----------------------------------------------------------------------

@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)


def _post_json(base: str, path: str, token: str, body: Any) -> tuple[int, Any]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request("POST", path, body=json.dumps(body),
                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None
    finally:
        conn.close()


def test_concurrent_annotators_lose_nothing(app: Flask, server: str) -> None:
    writers = ["annotator1", "annotator2", "curator", "admin"] * 2
    saves = 25
    tokens = {name: bearer_token(app, name) for name in set(writers)}
    document = seed_document_id(app)
    start, end = find_span(app, document, QUOTE)
    claims_before, speakers_before = row_count(app, Claim), row_count(app, Speaker)
    failures: list[Any] = []
    created: list[int] = []
    lock = threading.Lock()

    def work(index: int, name: str) -> None:
        for n in range(saves):
            status, body = _post_json(server, f"/api/v1/documents/{document}/claims", tokens[name], {
                "content": [{"start": start, "end": end}], "attribution": "direct", "note": f"{index}-{n}",
                "client_id": f"w{index}-{n}"})
            with lock:
                (created.append(body["id"]) if status == 201 else failures.append((name, n, status, body)))
            if n % 5 == 0:
                status, body = _post_json(server, "/api/v1/projects/demo/speakers", tokens[name],
                                          {"name": f"Concurrent {index}-{n}", "side": "armenia"})
                if status != 201:
                    with lock:
                        failures.append((name, "speaker", status, body))

    threads = [threading.Thread(target=work, args=(i, name)) for i, name in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures[:5]
    assert len(created) == len(set(created)) == len(writers) * saves
    assert row_count(app, Claim) == claims_before + len(writers) * saves
    assert row_count(app, Speaker) == speakers_before + len(writers) * (saves // 5)
    with app.app_context():
        notes = set(get_session().scalars(sa.select(Claim.note).where(Claim.id.in_(created))))
    assert notes == {f"{i}-{n}" for i in range(len(writers)) for n in range(saves)}


def test_two_app_processes_on_one_database_lose_nothing(app: Flask, database_url: str, tmp_path: Path) -> None:
    """Two application instances (as two gunicorn workers) writing the same database at once."""
    second = create_app({"DATABASE_URL": database_url, "SECRET_KEY": SECRET, "TESTING": True,
                         "LOGIN_RATE_LIMIT": "1000 per minute"})
    second.instance_path = str(tmp_path / "second")
    document = seed_document_id(app)
    body = claim_body(app)
    before = row_count(app, Claim)
    statuses: list[int] = []
    lock = threading.Lock()

    def work(instance: Flask, name: str) -> None:
        client = role_client(instance, name)
        for n in range(20):
            response = client.call("POST", f"/api/v1/documents/{document}/claims",
                                   json={**body, "note": f"{name}-{n}"})
            with lock:
                statuses.append(response.status_code)

    for name in ("annotator1", "annotator2"):
        role_client(app, name)  # log in once before the threads start
    try:
        threads = [threading.Thread(target=work, args=(instance, name))
                   for instance in (app, second) for name in ("annotator1", "annotator2")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    finally:
        second.extensions["sourcemark.engine"].dispose()
    assert statuses.count(201) == 80, sorted(set(statuses))
    assert row_count(app, Claim) == before + 80
