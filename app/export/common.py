"""Helpers every export writer shares: codebook look-ups, layer names, IRIs, paragraph look-up.

Kept in one place so that the writers agree on the details a consumer joins on (a layer is
named the same way in brat file names, CoNLL headers and reader output; an IRI is built the
same way in the W3C and ClaimReview exports).
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from app.export.model import ClaimOut, DocumentOut, ExportContext, SpanOut

GOLD_LAYER = "gold"
# Separator between the segments of a discontinuous quote wherever segments become one string.
SEGMENT_JOINER = " … "


class CodebookLookup:
    """Read-only look-ups over the codebook dict that ``ExportContext.codebook`` carries.

    The dict is the API shape (``{"version", "targets", "sides", "fields"}``); writers ask for
    labels and value lists by field name and must not care about that shape.
    """

    def __init__(self, codebook: Mapping[str, Any]) -> None:
        self.version: int = int(codebook.get("version") or 0)
        self.targets: list[dict[str, Any]] = list(codebook.get("targets") or [])
        self.sides: list[dict[str, Any]] = list(codebook.get("sides") or [])
        self.fields: dict[str, list[dict[str, Any]]] = dict(codebook.get("fields") or {})
        self.target_codes: list[str] = [str(t["code"]) for t in self.targets]
        self._labels: dict[str, dict[str, str]] = {
            name: {str(e["code"]): str(e.get("label") or e["code"]) for e in entries}
            for name, entries in self.fields.items()
        }
        self._labels["side"] = {str(s["code"]): str(s.get("label") or s["code"]) for s in self.sides}
        self._labels["target"] = {str(t["code"]): str(t.get("label") or t["code"]) for t in self.targets}

    def entries(self, field: str) -> list[dict[str, Any]]:
        """Codebook entries of a field (``side`` and ``target`` included), in codebook order."""
        if field == "side":
            return [dict(s, definition=s.get("definition") or s.get("label")) for s in self.sides]
        if field == "target":
            return [dict(t, definition=t.get("description")) for t in self.targets]
        return list(self.fields.get(field) or [])

    def codes(self, field: str) -> list[str]:
        return [str(e["code"]) for e in self.entries(field)]

    def label(self, field: str, code: str | None) -> str | None:
        if code is None:
            return None
        return self._labels.get(field, {}).get(code, code)

    def full_fact_codes(self) -> list[str]:
        """The Full Fact classes the project's claim types collapse to, in first-seen order."""
        seen: dict[str, None] = {}
        for entry in self.fields.get("claim_type") or []:
            seen.setdefault(str(entry.get("ff") or entry["code"]), None)
        return list(seen)


class EncodedTimestamps(dict[Any, str]):
    """Stored timestamp → its ISO 8601 text (through a ``RowBundle``'s ``timestamps``), encoded as a
    writer writes it (a JSON string, a CSV cell).

    Claims share timestamps (created and updated, bulk imports): each is converted once while it
    recurs. Bounded, as every claim may have times of its own. ``use`` the bundle's mapping first.
    """

    LIMIT = 4096

    def __init__(self, encode: Callable[[str], str]) -> None:
        super().__init__()
        self.encode = encode
        self.source: Mapping[Any, str] | None = None

    def use(self, source: Mapping[Any, str]) -> None:
        self.clear()
        self.source = source

    def __missing__(self, stored: Any) -> str:
        assert self.source is not None
        if len(self) >= self.LIMIT:
            self.clear()
        encoded = self[stored] = self.encode(self.source[stored])
        return encoded


# Index of the paragraph containing an offset (for spans that do not carry it), or None.
ParagraphLocator = Callable[[int], int | None]


def paragraph_locator(paragraphs: Sequence[tuple[int, int]]) -> ParagraphLocator:
    """A look-up for one document; a closure, because it runs for most spans of every export."""
    starts = [start for start, _end in paragraphs]
    if not starts:
        return lambda offset: None

    # Defaults bind the list and the function as locals: the cheapest look-ups in CPython.
    def locate(
        offset: int, starts: list[int] = starts, find: Callable[..., int] = bisect.bisect_right
    ) -> int:
        index = find(starts, offset) - 1
        return index if index > 0 else 0

    return locate


def span_paragraph(span: SpanOut, locate: ParagraphLocator) -> int | None:
    return span.paragraph if span.paragraph is not None else locate(span.start)


def layer_name(layer: str, annotator: str) -> str:
    """One name per layer: the annotator's user name, or ``gold`` for the adjudicated layer.

    Every writer that splits or labels output by layer (brat file names, CoNLL headers,
    Label Studio and doccano annotator fields) and every reader use this name.
    """
    return GOLD_LAYER if layer == GOLD_LAYER else annotator


def item_layer(item: Any) -> str:
    return layer_name(item.layer, item.annotator)


_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


def file_safe(name: str) -> str:
    """A name that is safe as part of a zip member name, and still unique per input.

    User names may hold slashes, dots or non-ASCII letters; a member name must never
    climb out of the archive (``../``) nor collide after replacing characters, so a short
    hash of the original is appended whenever anything had to change.
    """
    safe = _UNSAFE_FILE_CHARS.sub("_", name).strip("._") or "layer"
    if safe != name:
        safe = f"{safe[:40]}_{hashlib.sha1(name.encode('utf-8'), usedforsecurity=False).hexdigest()[:8]}"
    return safe


def base_iri(ctx: ExportContext) -> str:
    return ctx.base_url.rstrip("/")


def document_iri(ctx: ExportContext, document_id: int) -> str:
    return f"{base_iri(ctx)}/documents/{document_id}"


def speaker_iri(ctx: ExportContext, speaker_id: int) -> str:
    return f"{base_iri(ctx)}/projects/{quote(ctx.project_slug, safe='')}/speakers/{speaker_id}"


def project_iri(ctx: ExportContext) -> str:
    return f"{base_iri(ctx)}/projects/{quote(ctx.project_slug, safe='')}"


def wikidata_iri(wikidata: str | None) -> str | None:
    """Wikidata entity IRI from a stored id (``Q42``) or an IRI already."""
    if not wikidata:
        return None
    if wikidata.startswith(("http://", "https://")):
        return wikidata
    return f"https://www.wikidata.org/wiki/{wikidata}"


def content_text(claim: ClaimOut) -> str:
    """The claim's words as one string (segments of a discontinuous quote joined by `` … ``)."""
    content = claim.content
    if len(content) == 1:
        return content[0].text
    return SEGMENT_JOINER.join(span.text for span in content)


def parse_timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def zip_date_time(ctx: ExportContext) -> tuple[int, int, int, int, int, int]:
    """Member time stamps from the export time, so the same snapshot gives the same archive."""
    moment = parse_timestamp(ctx.generated_at) or datetime(1980, 1, 1, tzinfo=UTC)
    if moment.year < 1980:  # the zip format cannot express earlier dates
        moment = datetime(1980, 1, 1, tzinfo=UTC)
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


def document_metadata(document: DocumentOut) -> dict[str, Any]:
    """The bibliographic fields of a document, as every JSON export names them."""
    return {
        "source": document.source,
        "url": document.url,
        "author": document.author,
        "published": document.published,
        "external_id": document.external_id,
        "meta": document.meta,
    }
