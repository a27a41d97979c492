"""Test set-up: one migrated template database per run, copied for each test.

The template holds a realistic starting point (role-named users, the demo project with the
seed article and its speakers, and a second project the demo users do not belong to), so each
test starts from a fresh copy in about a millisecond and may commit freely.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from app import create_app
from app.db import get_session
from app.migrate import upgrade

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SOURCEMARK_SHARED", REPO.parent / "shared"))
CORPUS = SHARED / "corpus"
SEED = CORPUS / "seed" / "trtworld-tavush-clashes-2020.txt"
PASSWORD = "correct horse battery"
SECRET = "test-secret-key-that-is-long-enough-0123456789"
USERS = {"admin": True, "curator": False, "annotator1": False, "annotator2": False, "outsider": False}


def _build_template(url: str, instance: Path) -> None:
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "TESTING": True})
    with app.app_context():
        from app.models import User
        from app.services import documents, projects, users
        from app.services.demo import DEMO_SPEAKERS
        from app.services.speakers import create_speaker

        session = get_session()
        for name, is_admin in USERS.items():
            users.create_user(session, name, PASSWORD, is_admin=is_admin)
        admin = session.scalar(sa.select(User).where(User.username == "admin"))
        assert admin is not None
        demo = projects.create_project(session, admin, "demo", "Demo project")
        other = projects.create_project(session, admin, "other", "Other project")
        demo_access = projects.ProjectAccess(demo, admin, "admin")
        other_access = projects.ProjectAccess(other, admin, "admin")
        by_name = {u.username: u for u in session.scalars(sa.select(User))}
        projects.add_member(session, demo_access, by_name["curator"], "curator")
        projects.add_member(session, demo_access, by_name["annotator1"], "annotator")
        projects.add_member(session, demo_access, by_name["annotator2"], "annotator")
        projects.add_member(session, other_access, by_name["outsider"], "curator")
        for entry in DEMO_SPEAKERS:
            create_speaker(session, demo_access, dict(entry))
        create_speaker(session, other_access, {"name": "Other Speaker", "side": "unknown"})
        documents.import_documents(session, demo_access, [documents.parse_document_payload(
            {"title": "Tavush clashes", "text": SEED.read_text(encoding="utf-8"), "source": "TRT World",
             "external_id": "trt-tavush"})])
        documents.import_documents(session, other_access, [documents.parse_document_payload(
            {"title": "Other article", "text": "“Secret words,” said Other Speaker.\n\nSecond paragraph."})])
        session.commit()
    app.extensions["sourcemark.engine"].dispose()


TEST_DB = os.environ.get("SOURCEMARK_TEST_DB", "sqlite")


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    from tests.pgserver import PostgresServer

    server = PostgresServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Any:
    folder = tmp_path_factory.mktemp("template")
    if TEST_DB == "postgresql":
        server = request.getfixturevalue("postgres")
        admin = sa.create_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql("CREATE DATABASE sourcemark_template")
        admin.dispose()
        _build_template(server.url("sourcemark_template"), folder)
        return server
    path = folder / "template.sqlite3"
    _build_template(f"sqlite:///{path}", folder)
    return path


_database_counter = iter(range(1, 1_000_000))


@pytest.fixture
def database_url(template_db: Any, tmp_path: Path) -> Iterator[str]:
    """A fresh copy of the template for this test (a file copy, or CREATE DATABASE … TEMPLATE)."""
    if TEST_DB == "postgresql":
        name = f"sourcemark_test_{next(_database_counter)}"
        admin = sa.create_engine(template_db.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE sourcemark_template")
        yield template_db.url(name)
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()
        return
    path = tmp_path / "test.sqlite3"
    shutil.copyfile(template_db, path)
    yield f"sqlite:///{path}"


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": SECRET, "TESTING": True,
                      "DEMO_CORPUS": str(CORPUS), "LOGIN_RATE_LIMIT": "1000 per minute"})
    app.instance_path = str(tmp_path / "instance")
    yield app
    engine = app.extensions["sourcemark.engine"]
    # Every request, streamed or not, must give its connection back: a leaked one is only
    # returned by the garbage collector, at a moment nobody chose (and, on PostgreSQL, maybe
    # after its database is gone).
    leaked = engine.pool.checkedout()
    engine.dispose()
    assert leaked == 0, f"{leaked} database connection(s) still checked out after the test"


@pytest.fixture
def db(app: Flask) -> Iterator[Any]:
    """A session for service tests (inside an app context, like a CLI command)."""
    with app.app_context():
        yield get_session()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path)
    match = CSRF_META.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the CSRF token of the new session."""
    token = csrf_token(client)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return csrf_token(client, "/projects")


class ApiClient:
    """JSON calls as a logged-in browser would make them (session cookie + X-CSRFToken)."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client, self.token = client, token

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        headers = {"X-CSRFToken": self.token, **kwargs.pop("headers", {})}
        return self.client.open(path, method=method, json=body, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("POST", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("PATCH", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("PUT", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.call("DELETE", path, **kwargs)


@pytest.fixture
def as_user(app: Flask) -> Any:
    """``as_user("annotator1")`` -> an ApiClient logged in as that user (fresh cookie jar)."""

    def make(username: str) -> ApiClient:
        client = app.test_client()
        return ApiClient(client, login(client, username))

    return make


@pytest.fixture
def count_queries(app: Flask) -> Any:
    """Context manager counting SQL statements sent to the database."""
    from contextlib import contextmanager

    engine = app.extensions["sourcemark.engine"]

    @contextmanager
    def counter() -> Iterator[list[str]]:
        statements: list[str] = []

        def listener(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            yield statements
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)

    return counter


@contextmanager
def another_request_between(app: Flask, after: Callable[[str], bool],
                            request: Callable[[], Any]) -> Iterator[dict[str, Any]]:
    """A race made to happen every time: inside the block, right after the first SQL statement for
    which ``after(statement)`` is true, ``request()`` runs to its end in another thread (its own
    connection) before the block's request goes on. Yields ``{"response": ...}``, filled then."""
    engine = app.extensions["sourcemark.engine"]
    ran: dict[str, Any] = {}

    def run_between(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "started" not in ran and after(statement):
            ran["started"] = True
            thread = threading.Thread(target=lambda: ran.update(response=request()))
            thread.start()
            thread.join(30)

    sa.event.listen(engine, "after_cursor_execute", run_between)
    try:
        yield ran
    finally:
        sa.event.remove(engine, "after_cursor_execute", run_between)


def row_count(app: Flask, model: Any) -> int:
    with app.app_context():
        return get_session().scalar(sa.select(sa.func.count()).select_from(model)) or 0


def seed_document_id(app: Flask, title: str = "Tavush clashes") -> int:
    from app.models import Document

    with app.app_context():
        doc_id = get_session().scalar(sa.select(Document.id).where(Document.title == title))
    assert doc_id is not None
    return doc_id


def find_span(app: Flask, document_id: int, needle: str, occurrence: int = 0) -> tuple[int, int]:
    """Code-point offsets of ``needle`` in a document's canonical text."""
    from app.models import Document

    with app.app_context():
        text = get_session().get(Document, document_id).text  # type: ignore[union-attr]
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(needle, start + 1)
    return start, start + len(needle)


# -- real Chromium (Debian's package) driven by Playwright against a live server on 127.0.0.1 --

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: dialog.accept())
    page.js_errors = errors
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


