"""Optional URL import: off by default; private, loopback and link-local targets refused, also
after a redirect; size and type limits; a page on an explicitly allowed network imports."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from app.errors import DomainError
from app.models import Document
from app.services.url_import import check_target, fetch
from tests.conftest import csrf_token, login, row_count

PAGES = {
    "/article": (200, "text/html; charset=utf-8", "<h1>Headline</h1><p>“Peace,” said Ilham Aliyev.</p>"
                 "<script>alert(1)</script>"),
    "/to-metadata": (302, "text/plain", ""),
    "/big": (200, "text/html", "<p>" + "x" * 300_000 + "</p>"),
    "/image": (200, "image/png", "\x89PNG"),
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        status, content_type, body = PAGES.get(self.path, (404, "text/plain", "missing"))
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
        self.send_header("Content-Type", content_type)
        data = body.encode("utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("url", ["http://127.0.0.1/", "http://localhost/", "http://[::1]/", "http://2130706433/",
                                 "http://169.254.169.254/", "http://10.0.0.1/", "http://[::ffff:127.0.0.1]/",
                                 "http://0.0.0.0/", "file:///etc/passwd", "gopher://example.org/",
                                 "ftp://example.org/x", "http://user:pw@example.org/", "javascript:alert(1)"])
def test_targets_that_are_refused(url: str) -> None:
    with pytest.raises(DomainError) as info:
        check_target(url)
    assert info.value.field == "url"


def test_fetch_from_an_allowed_network_and_the_limits(site: str) -> None:
    page = fetch(f"{site}/article", allowed_networks=["127.0.0.1/32"])
    assert page.content_type == "text/html" and "Ilham Aliyev" in page.text
    with pytest.raises(DomainError, match="private or local"):
        fetch(f"{site}/article")  # not allowed by default
    with pytest.raises(DomainError, match="private or local"):
        fetch(f"{site}/to-metadata", allowed_networks=["127.0.0.1/32"])  # the redirect is checked again
    with pytest.raises(DomainError, match="larger than"):
        fetch(f"{site}/big", max_bytes=100_000, allowed_networks=["127.0.0.1/32"])
    with pytest.raises(DomainError, match="not an article"):
        fetch(f"{site}/image", allowed_networks=["127.0.0.1/32"])
    with pytest.raises(DomainError, match="answered 404"):
        fetch(f"{site}/nothing", allowed_networks=["127.0.0.1/32"])


def test_import_form_fetches_when_enabled(app: Any, site: str) -> None:
    client = app.test_client()
    login(client, "curator")
    form = {"csrf_token": csrf_token(client, "/projects/demo"), "url": f"{site}/article", "fetch_url": "y",
            "format": "auto"}
    before = row_count(app, Document)
    off = client.post("/projects/demo/import", data=form)
    assert off.status_code == 422 and "switched off" in off.get_data(as_text=True)
    app.config["URL_IMPORT_ENABLED"] = True
    refused = client.post("/projects/demo/import", data=form)
    assert refused.status_code == 422 and "private or local network" in refused.get_data(as_text=True)
    assert row_count(app, Document) == before
    app.config["URL_IMPORT_ALLOWED_NETWORKS"] = ["127.0.0.1/32"]
    imported = client.post("/projects/demo/import", data=form)
    assert imported.status_code == 302
    page = client.get(imported.headers["Location"]).get_data(as_text=True)
    assert "Ilham Aliyev" in page and "alert(1)" not in page
