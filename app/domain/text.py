"""Canonical document text (SPEC §3): the one rendering every offset refers to.

Pure functions, no Flask or SQLAlchemy. A document's canonical text is Unicode NFC with
``\\n`` line ends; paragraphs are stripped of surrounding white space (NBSP included) and
joined by a blank line. Offsets everywhere are Unicode code points over this text.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

PARAGRAPH_SEPARATOR = "\n\n"
# A blank line: a line break, then any run of white space (NBSP too) up to the next one.
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n\s*")
# C0 controls other than tab, LF and CR have no business in news text; NUL in particular
# is stored differently (or refused) by SQLite and PostgreSQL, so refuse it everywhere.
_FORBIDDEN_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Either of the above: one scan of a whole document, the precise message only when it finds something.
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class TextError(ValueError):
    """The text cannot become a document; the message says why, in words for a user."""


@dataclass(frozen=True, slots=True)
class ParagraphSpan:
    index: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class CanonicalText:
    text: str
    paragraphs: tuple[ParagraphSpan, ...]
    sha256: str

    def paragraph_texts(self) -> list[str]:
        return [self.text[p.start : p.end] for p in self.paragraphs]


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_characters(text: str) -> None:
    """Refuse NUL, other C0 controls and lone surrogates (they cannot round-trip)."""
    if _LONE_SURROGATE.search(text):
        raise TextError("text contains a lone surrogate code point (broken UTF-16)")
    bad = _FORBIDDEN_CONTROL.search(text)
    if bad:
        raise TextError(
            f"text contains the control character U+{ord(bad.group()):04X} at position {bad.start()}"
        )


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def split_plain_text(text: str) -> list[str]:
    """Split plain text into paragraphs on blank lines (before stripping and NFC)."""
    return _BLANK_LINE.split(normalize_newlines(text))


def canonicalize_paragraphs(paragraphs: list[str]) -> CanonicalText:
    """Build the canonical text from raw paragraphs; empty ones are dropped.

    :raises TextError: when nothing is left, or a character cannot be stored.
    """
    cleaned: list[str] = []
    for raw in paragraphs:
        if not isinstance(raw, str):
            raise TextError("every paragraph must be a string")
        raw = unicodedata.normalize("NFC", normalize_newlines(raw))
        # A blank line inside a given paragraph would make the joined text ambiguous: split there.
        for piece in _BLANK_LINE.split(raw) if "\n" in raw else (raw,):
            para = piece.strip()
            if para:
                cleaned.append(para)
    if not cleaned:
        raise TextError("the article has no text")
    text = PARAGRAPH_SEPARATOR.join(cleaned)
    if _UNSTORABLE.search(text):
        for para in cleaned:
            check_characters(para)  # raises, naming the character and its place in the paragraph
    spans: list[ParagraphSpan] = []
    position = 0
    for index, para in enumerate(cleaned):
        spans.append(ParagraphSpan(index, position, position + len(para)))
        position += len(para) + len(PARAGRAPH_SEPARATOR)
    return CanonicalText(text=text, paragraphs=tuple(spans), sha256=text_sha256(text))


def canonicalize_plain_text(text: str) -> CanonicalText:
    """Canonical form of a plain-text article (paragraphs on blank lines)."""
    return canonicalize_paragraphs(split_plain_text(text))


def decode_upload(data: bytes) -> str:
    """Decode an uploaded file: UTF-8 (BOM stripped) or UTF-16 with a BOM; nothing guessed.

    :raises TextError: for anything else, rather than store mojibake.
    """
    if not data.strip():
        raise TextError("the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise TextError("the file starts like UTF-16 but is not valid UTF-16") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TextError(
            f"the file is not valid UTF-8 (byte {exc.start}); save it as UTF-8 and try again"
        ) from exc


def paragraph_index_at(paragraphs: tuple[ParagraphSpan, ...] | list[ParagraphSpan], offset: int) -> int:
    """Index of the paragraph containing ``offset`` (binary search over starts)."""
    lo, hi = 0, len(paragraphs) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if paragraphs[mid].start <= offset:
            lo = mid
        else:
            hi = mid - 1
    return paragraphs[lo].index if paragraphs else 0
