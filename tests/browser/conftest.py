"""Helpers for driving the pages in real Chromium (the fixtures live in tests/conftest.py, so every
test module shares one browser: Playwright's sync API allows one instance per thread)."""

from __future__ import annotations

from typing import Any


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
