"""The one module that handles untrusted HTML (and the only one that imports bleach).

Imported HTML never reaches a page: it becomes plain-text paragraphs here, and templates
escape that text. Markdown-ish rich text (codebook definitions) is rendered by
``render_definition``: a small, escaped subset, cleaned by bleach again on the way out.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from markupsafe import Markup, escape

# Elements that start a new paragraph.
BLOCK_TAGS = frozenset(
    "address article aside blockquote dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 header "
    "hr li main nav ol p pre section table tbody td tfoot th thead tr ul".split()
)
# Elements whose content is never text of the article (code, styles, embedded documents).
DROP_CONTENT_TAGS = frozenset(
    "script style template noscript iframe object svg math head title select textarea canvas "
    "audio video".split()  # only elements with an end tag: a void one (embed) would never close

)


class _ParagraphCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._current: list[str] = []
        self._dropping = 0

    def _break(self) -> None:
        text = "".join(self._current)
        if text.strip():
            self.paragraphs.append(text)
        self._current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROP_CONTENT_TAGS:
            self._dropping += 1
        elif tag in BLOCK_TAGS:
            self._break()
        elif tag == "br" and not self._dropping:
            self._current.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCK_TAGS:
            self._break()
        elif tag == "br" and not self._dropping:
            self._current.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in DROP_CONTENT_TAGS:
            self._dropping = max(0, self._dropping - 1)
        elif tag in BLOCK_TAGS:
            self._break()

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            # In HTML, runs of white space inside a block are one space.
            self._current.append(re.sub(r"[ \t\r\n\f]+", " ", data))

    def close(self) -> None:
        super().close()
        self._break()


def html_to_paragraphs(html: str) -> list[str]:
    """Plain-text paragraphs of an HTML article: no markup survives, block elements split.

    bleach (html5lib) first reduces the document to structure-only, attribute-free markup
    (comments and unknown elements stripped, broken markup repaired, entities decoded once);
    the collector then keeps the text of everything but script-like elements.
    """
    import bleach  # loaded on first use: html5lib is a noticeable part of every command's start-up

    structural = bleach.clean(
        html,
        tags=BLOCK_TAGS | DROP_CONTENT_TAGS | {"br"},
        attributes={},
        protocols=[],
        strip=True,
        strip_comments=True,
    )
    collector = _ParagraphCollector()
    collector.feed(structural)
    collector.close()
    return collector.paragraphs


_SAFE_URL = re.compile(r"^https?://", re.IGNORECASE)


def safe_url(url: str | None) -> str | None:
    """Only http(s) URLs may become links; anything else (javascript:, data:) is shown as text."""
    if url and _SAFE_URL.match(url.strip()):
        return url.strip()
    return None


_EMPHASIS = re.compile(r"\*\*(.+?)\*\*|\*(.+?)\*|`(.+?)`")


def render_definition(text: str | None) -> Markup:
    """Render a codebook definition or example: escaped text with **bold**, *italic*, `code`
    and line breaks, passed through bleach with a tiny allow-list as the last step."""
    if not text:
        return Markup("")
    escaped = str(escape(text))

    def _emphasis(match: re.Match[str]) -> str:
        if match.group(1):
            return f"<strong>{match.group(1)}</strong>"
        if match.group(2):
            return f"<em>{match.group(2)}</em>"
        return f"<code>{match.group(3)}</code>"

    html = _EMPHASIS.sub(_emphasis, escaped).replace("\n", "<br>")
    import bleach

    return Markup(bleach.clean(html, tags={"strong", "em", "code", "br"}, attributes={}, strip=True))
