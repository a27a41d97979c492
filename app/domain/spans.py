"""Span rules (pure): offsets are [start, end) Unicode code points over the canonical text.

Every stored span carries its exact text; a write whose text differs from the text at its
offsets is refused, so a client that counted in UTF-16 (or any drift) can never store a span
that silently points at other words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.domain.text import PARAGRAPH_SEPARATOR, ParagraphSpan, paragraph_index_at

QUOTE_CONTEXT = 32  # characters of prefix/suffix kept for re-anchoring (W3C TextQuoteSelector)


class SpanError(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    text: str
    paragraph: int


def _offset(value: Any, field: str) -> int:
    # bool is an int in Python; "5", 5.5 and True are all refused (security.md §4 #5, #20).
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpanError("offsets must be whole numbers", field)
    return value


def check_span(text: str, paragraphs: Sequence[ParagraphSpan], start: Any, end: Any,
               exact: Any = None, field: str = "span") -> Span:
    """The span at [start, end), after checking the offsets and, if given, its text."""
    start = _offset(start, f"{field}.start")
    end = _offset(end, f"{field}.end")
    length = len(text)
    if start < 0 or start > length:
        raise SpanError(f"start must be between 0 and {length} (the text's length)", f"{field}.start")
    if end <= start or end > length:
        raise SpanError(f"end must be greater than start and at most {length}", f"{field}.end")
    selected = text[start:end]
    if exact is not None:
        if not isinstance(exact, str):
            raise SpanError("text must be a string", f"{field}.text")
        if exact != selected:
            raise SpanError("the text does not match the document's text at these offsets "
                            "(offsets are Unicode code points)", f"{field}.text")
    if not selected.strip():
        raise SpanError("the span holds only white space", field)
    return Span(start, end, selected, paragraph_index_at(paragraphs, start))


def split_at_paragraphs(span: Span, text: str, paragraphs: Sequence[ParagraphSpan]) -> list[Span]:
    """A span crossing paragraph breaks becomes one segment per paragraph (breaks left out)."""
    pieces: list[Span] = []
    for para in paragraphs:
        if para.end <= span.start or para.start >= span.end:
            continue
        start, end = max(span.start, para.start), min(span.end, para.end)
        if text[start:end].strip():
            pieces.append(Span(start, end, text[start:end], para.index))
    return pieces


def check_segments(text: str, paragraphs: Sequence[ParagraphSpan], segments: Any,
                   field: str = "content") -> list[Span]:
    """Content segments: 1..n spans, split at paragraph breaks, sorted, not overlapping."""
    if not isinstance(segments, list) or not segments:
        raise SpanError("content must be a list of one or more spans", field)
    if len(segments) > 100:
        raise SpanError("a claim has at most 100 content segments", field)
    spans: list[Span] = []
    for position, segment in enumerate(segments):
        where = f"{field}[{position}]"
        if not isinstance(segment, dict):
            raise SpanError("each content segment is an object {start, end, text?}", where)
        span = check_span(text, paragraphs, segment.get("start"), segment.get("end"), segment.get("text"), where)
        spans.extend(split_at_paragraphs(span, text, paragraphs))
    spans.sort(key=lambda s: s.start)
    for previous, current in zip(spans, spans[1:], strict=False):
        if current.start < previous.end:
            raise SpanError("content segments overlap", field)
    return spans


def overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def quote_context(text: str, start: int, end: int) -> tuple[str, str]:
    return text[max(0, start - QUOTE_CONTEXT):start], text[end:end + QUOTE_CONTEXT]


def reanchor(old_text: str, new_text: str, start: int, end: int) -> tuple[int, int, str] | None:
    """Find a span of ``old_text`` in ``new_text`` by its quote and context.

    Returns (start, end, "exact") when the same words sit at the same offsets, (start, end,
    "moved") when the quote is found once elsewhere (or, among several places, exactly one
    has the same prefix or suffix), and None (orphaned) otherwise: never a guess.
    """
    exact = old_text[start:end]
    if new_text[start:end] == exact:
        prefix, suffix = quote_context(old_text, start, end)
        new_prefix, new_suffix = quote_context(new_text, start, end)
        if new_prefix == prefix or new_suffix == suffix or new_text.count(exact) == 1:
            return start, end, "exact"
    places = []
    position = new_text.find(exact)
    while position != -1 and len(places) < 1000:
        places.append(position)
        position = new_text.find(exact, position + 1)
    if len(places) == 1:
        return places[0], places[0] + len(exact), "moved"
    if len(places) > 1:
        prefix, suffix = quote_context(old_text, start, end)
        matching = [p for p in places
                    if quote_context(new_text, p, p + len(exact)) == (prefix, suffix)]
        if not matching:
            matching = [p for p in places if new_text[max(0, p - len(prefix)):p] == prefix
                        or new_text[p + len(exact):p + len(exact) + len(suffix)] == suffix]
        if len(matching) == 1:
            return matching[0], matching[0] + len(exact), "moved"
    return None


__all__ = ["PARAGRAPH_SEPARATOR", "Span", "SpanError", "check_segments", "check_span", "overlaps", "reanchor"]
