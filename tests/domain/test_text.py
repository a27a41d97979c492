"""Canonical text (SPEC §3): NFC, \\n, paragraphs on blank lines, stripped (NBSP too)."""

from __future__ import annotations

import hashlib
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.text import (
    TextError,
    canonicalize_paragraphs,
    canonicalize_plain_text,
    decode_upload,
    paragraph_index_at,
)
from app.sanitize import html_to_paragraphs
from tests.conftest import SEED


def test_seed_article_trailing_nbsp_and_paragraphs() -> None:
    raw = SEED.read_text(encoding="utf-8")
    canonical = canonicalize_plain_text(raw)
    paragraphs = canonical.paragraph_texts()
    assert paragraphs[0].startswith("Clashes in the Tavush region")
    assert paragraphs[-1] == "Source: TRT World"
    # The seed has paragraphs ending in a non-breaking space: stripped.
    assert not any(p != p.strip() for p in paragraphs)
    assert "\u00a0\n" not in canonical.text and not canonical.text.endswith("\u00a0")
    assert canonical.sha256 == hashlib.sha256(canonical.text.encode("utf-8")).hexdigest()
    assert "\n\n".join(paragraphs) == canonical.text


def test_crlf_lone_cr_and_nfc() -> None:
    raw = "Cafe\u0301 said\r\n\r\nSecond\rline\r\n \u00a0\r\nThird "
    canonical = canonicalize_plain_text(raw)
    assert canonical.paragraph_texts() == ["Café said", "Second\nline", "Third"]
    assert unicodedata.is_normalized("NFC", canonical.text)


def test_blank_line_inside_a_given_paragraph_splits_it() -> None:
    canonical = canonicalize_paragraphs(["one\n \ntwo", "three\nstill three"])
    assert canonical.paragraph_texts() == ["one", "two", "three\nstill three"]


def test_paragraph_offsets_point_into_text() -> None:
    canonical = canonicalize_paragraphs(["  one ", "", "two 😀", "three"])
    assert [(p.start, p.end) for p in canonical.paragraphs] == [(0, 3), (5, 10), (12, 17)]
    assert paragraph_index_at(canonical.paragraphs, 11) == 1
    assert paragraph_index_at(canonical.paragraphs, 12) == 2


@pytest.mark.parametrize("raw", ["", "   \n\n \u00a0 ", "\r\n\r\n"])
def test_empty_articles_are_refused(raw: str) -> None:
    with pytest.raises(TextError, match="no text"):
        canonicalize_plain_text(raw)


@pytest.mark.parametrize("raw", ["nul \x00 here", "bell \x07", "lone \ud800 surrogate"])
def test_unstorable_characters_are_refused(raw: str) -> None:
    with pytest.raises(TextError):
        canonicalize_plain_text(raw)


def test_bidi_and_zero_width_characters_are_kept() -> None:
    raw = "abc \u202eevil\u202c and \u200d joined \u2028 sep"
    assert canonicalize_plain_text(raw).text == raw


def test_decode_upload() -> None:
    assert decode_upload("\ufeffÇavuşoğlu".encode()) == "Çavuşoğlu"
    assert decode_upload("Çavuşoğlu".encode("utf-16")) == "Çavuşoğlu"
    with pytest.raises(TextError, match="not valid UTF-8"):
        decode_upload("Café Ağrı".encode("cp1254"))
    with pytest.raises(TextError, match="empty"):
        decode_upload(b"  \n")


def test_html_import_keeps_text_only() -> None:
    html = ("<html><head><title>T</title><style>p{}</style></head><body><h1>Head</h1>"
            "<p>One <b>bold</b> &amp; <a href='javascript:alert(1)'>link</a><script>alert(1)</script></p>"
            "<div>&lt;script&gt;alert(2)&lt;/script&gt; &amp;lt;</div><img src=x onerror=alert(3)>"
            "<svg onload=alert(4)><text>svg text</text></svg><iframe srcdoc='<script>5</script>'></iframe>"
            "<!-- comment --><ul><li>item</li></ul></body></html>")
    paragraphs = html_to_paragraphs(html)
    assert paragraphs == ["Head", "One bold & link", "<script>alert(2)</script> &lt;", "item"]


def test_html_entities_decoded_once_and_doctype_entities_ignored() -> None:
    html = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><p>&e; &amp;amp; x</p>'
    joined = " ".join(html_to_paragraphs(html))
    assert "root:" not in joined
    assert "&amp; x" in joined


paragraph_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=40)


@given(st.lists(paragraph_text, max_size=8))
def test_canonical_form_is_stable(paragraphs: list[str]) -> None:
    try:
        first = canonicalize_paragraphs(paragraphs)
    except TextError:
        return
    again = canonicalize_plain_text(first.text)
    # Canonicalising the canonical text again changes nothing: offsets never drift.
    assert again.text == first.text
    assert again.paragraphs == first.paragraphs
    for span in first.paragraphs:
        piece = first.text[span.start:span.end]
        assert piece == piece.strip() and piece
        assert "\n\n" not in piece  # a paragraph never holds a blank line
