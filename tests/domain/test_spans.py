"""Span rules: code-point offsets, text must match, segments split at paragraphs, re-anchoring."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.spans import SpanError, check_segments, check_span, reanchor
from app.domain.text import canonicalize_paragraphs

DOC = canonicalize_paragraphs(["“Խաղաղություն 😀 now,” he said.", "مرحبا e\u0301 👨‍👩‍👧 end."])


def test_code_point_offsets_survive_emoji_and_scripts() -> None:
    text = DOC.text
    start = text.index("now")
    span = check_span(text, DOC.paragraphs, start, start + 3, "now")
    assert span.text == "now" and span.paragraph == 0
    family = text.index("👨‍👩‍👧")
    span = check_span(text, DOC.paragraphs, family, family + len("👨‍👩‍👧"), "👨‍👩‍👧")
    assert span.paragraph == 1


@pytest.mark.parametrize("start,end,field", [
    (5, 5, "span.end"), (6, 2, "span.end"), (-1, 3, "span.start"), (0, 10_000, "span.end"),
    ("1", 3, "span.start"), (1.5, 3, "span.start"), (True, 3, "span.start"), (0, 2**63, "span.end"),
])
def test_bad_offsets_name_the_field(start: object, end: object, field: str) -> None:
    with pytest.raises(SpanError) as info:
        check_span(DOC.text, DOC.paragraphs, start, end)
    assert info.value.field == field


def test_text_that_does_not_match_is_refused() -> None:
    start = DOC.text.index("now")
    # A client counting UTF-16 units would be one off after the emoji.
    with pytest.raises(SpanError, match="does not match"):
        check_span(DOC.text, DOC.paragraphs, start + 1, start + 4, "now")


def test_whitespace_only_span_is_refused() -> None:
    gap = DOC.paragraphs[0].end
    with pytest.raises(SpanError, match="white space"):
        check_span(DOC.text, DOC.paragraphs, gap, gap + 2)


def test_segments_split_at_paragraph_breaks_and_sort() -> None:
    text = DOC.text
    first_end = DOC.paragraphs[0].end
    second_start = DOC.paragraphs[1].start
    spans = check_segments(text, DOC.paragraphs, [{"start": first_end - 5, "end": second_start + 5}])
    assert [(s.start, s.end, s.paragraph) for s in spans] == [
        (first_end - 5, first_end, 0), (second_start, second_start + 5, 1)]
    with pytest.raises(SpanError, match="overlap"):
        check_segments(text, DOC.paragraphs, [{"start": 0, "end": 5}, {"start": 3, "end": 8}])
    with pytest.raises(SpanError, match="one or more"):
        check_segments(text, DOC.paragraphs, [])


def test_reanchor_exact_moved_orphaned() -> None:
    old = "Intro.\n\nHe said “we will win” today."
    start = old.index("we will win")
    assert reanchor(old, old, start, start + 11) == (start, start + 11, "exact")
    new = "A new first paragraph.\n\n" + old
    moved = reanchor(old, new, start, start + 11)
    assert moved is not None and moved[2] == "moved" and new[moved[0]:moved[1]] == "we will win"
    assert reanchor(old, "Intro.\n\nHe said nothing.", start, start + 11) is None
    # Two candidate places with no distinguishing context: never guess.
    ambiguous = "we will win. we will win."
    assert reanchor("xx we will win yy", ambiguous, 3, 14) is None


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
                        min_size=1, max_size=20), min_size=1, max_size=5), st.data())
def test_any_span_round_trips(paragraphs: list[str], data: st.DataObject) -> None:
    try:
        doc = canonicalize_paragraphs(paragraphs)
    except Exception:  # noqa: BLE001  (unstorable or empty input is refused elsewhere)
        return
    text = doc.text
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    if not text[start:end].strip():
        return
    span = check_span(text, doc.paragraphs, start, end, text[start:end])
    assert text[span.start:span.end] == span.text
    # The same span as the browser sends it (UTF-16 units) converts back to the same code points.
    utf16_start = len(text[:start].encode("utf-16-le")) // 2
    prefix = text.encode("utf-16-le")[:utf16_start * 2].decode("utf-16-le")
    assert len(prefix) == start
