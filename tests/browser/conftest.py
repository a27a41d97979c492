"""Real Chromium (Debian's package) driven by Playwright against a live server on 127.0.0.1."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

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


def log_in(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#submit")
    page.wait_for_url(f"{base}/projects")


SELECT_TEXT = """([needle, occurrence]) => {
  // Select the words like a user dragging over them: a DOM Range over the text nodes.
  const paragraphs = Array.from(document.querySelectorAll('.para'));
  let seen = 0;
  for (const para of paragraphs) {
    const walker = document.createTreeWalker(para, NodeFilter.SHOW_TEXT);
    const nodes = []; let node; let text = '';
    while ((node = walker.nextNode())) { nodes.push([node, text.length]); text += node.data; }
    let from = 0, index;
    while ((index = text.indexOf(needle, from)) !== -1) {
      if (seen++ === occurrence) {
        const locate = (pos) => { for (let i = nodes.length - 1; i >= 0; i--) if (nodes[i][1] <= pos) return [nodes[i][0], pos - nodes[i][1]]; };
        const [sn, so] = locate(index), [en, eo] = locate(index + needle.length);
        const range = document.createRange(); range.setStart(sn, so); range.setEnd(en, eo);
        const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
        return true;
      }
      from = index + 1;
    }
  }
  return false;
}"""


def select_text(page: Any, needle: str, occurrence: int = 0) -> None:
    assert page.evaluate(SELECT_TEXT, [needle, occurrence]), f"{needle!r} not found on the page"
