"""The annotation page's highlighted paragraphs, built in Python: same HTML as the template made
piece by piece before (checked against that algorithm on random spans), and escaped."""

from __future__ import annotations

import random
import re

import pytest
from markupsafe import escape

from app.domain.highlight import Mark, highlighted_paragraphs, mark_open_tag
from app.domain.text import ParagraphSpan


def _paragraphs(text: str) -> list[ParagraphSpan]:
    spans, start = [], 0
    for index, part in enumerate(text.split("\n\n")):
        spans.append(ParagraphSpan(index, start, start + len(part)))
        start += len(part) + 2
    return spans


def _reference(text: str, paragraphs: list[ParagraphSpan], marks: list[Mark]) -> str:
    """The former algorithm and template: bounds per paragraph, covering marks per piece."""
    out = []
    for para in paragraphs:
        local = [m for m in marks if m.start < para.end and para.start < m.end]
        bounds = sorted({para.start, para.end} | {min(max(b, para.start), para.end)
                                                  for m in local for b in (m.start, m.end)})
        out.append(f'<p class="para" id="p{para.index}" data-start="{para.start}" data-index="{para.index}">')
        for left, right in zip(bounds, bounds[1:], strict=False):
            covering = [m for m in local if m.start < right and left < m.end]
            piece = str(escape(text[left:right]))
            if not covering:
                out.append(piece)
                continue
            kinds = sorted({m.kind for m in covering})
            claims = sorted({m.claim_id for m in covering if m.kind not in ("bias", "suggested")})
            markers = sorted({m.claim_id for m in covering if m.kind == "bias"})
            suggestions = sorted({-m.claim_id - 1 for m in covering if m.kind == "suggested"})
            label = ""
            if claims:
                label += f"{', '.join(k for k in kinds if k != 'bias')} of claim {', '.join(map(str, claims))}"
            if markers:
                label += ("; " if claims else "") + f"bias marker {', '.join(map(str, markers))}"
            if suggestions:
                label += ("; " if claims or markers else "") + f"suggestion {', '.join(map(str, suggestions))}"
            out.append(f'<mark class="hl {" ".join(kinds)}" data-claims="{" ".join(map(str, claims))}" '
                       f'data-markers="{" ".join(map(str, markers))}"'
                       + (f' data-suggestions="{" ".join(map(str, suggestions))}"' if suggestions else "")
                       + f' aria-label="{label}">{piece}</mark>')
        out.append("</p>\n")
    html = "".join(out)
    return html.replace(' data-markers=""', "")  # now left out when empty


def _normalise(html: str) -> str:
    """Quotes as escaped or not (both are the same text in element content), and two adjacent
    pieces with the same tag (cut where an empty span or a duplicate span starts) as one."""
    html = html.replace("&#34;", '"').replace("&#39;", "'")
    while True:
        merged = re.sub(r'(<mark [^>]*>)([^<]*)</mark>\1', r"\1\2", html)
        if merged == html:
            return html
        html = merged


@pytest.mark.parametrize("seed", range(40))
def test_same_html_as_the_piece_by_piece_template(seed: int) -> None:
    rng = random.Random(seed)
    words = ["Baku", "said", "“we", "will”", "<b>", "R&D", "'quoted'", '"x"', "Ilham", "Aliyev", "👨‍👩‍👧", "Çavuşoğlu"]
    text = "\n\n".join(" ".join(rng.choice(words) for _ in range(rng.randint(1, 12))) for _ in range(rng.randint(1, 6)))
    paragraphs = _paragraphs(text)
    marks = []
    for number in range(rng.randint(0, 25)):
        start = rng.randrange(0, len(text) + 1)
        end = min(len(text), start + rng.choice([0, 1, 3, 8, 20, 60]))
        kind = rng.choice(["content", "content", "source", "cue", "bias", "suggested"])
        claim_id = -(number % 4 + 1) if kind == "suggested" else rng.randint(1, 9)
        marks.append(Mark(start, end, claim_id, kind))
    got = _normalise(str(highlighted_paragraphs(text, paragraphs, marks)))
    assert got == _normalise(_reference(text, paragraphs, marks))


def test_a_span_over_two_paragraphs_highlights_both() -> None:
    text = "One two.\n\nThree four."
    html = str(highlighted_paragraphs(text, _paragraphs(text), [Mark(4, 15, 7, "content")]))
    assert html == ('<p class="para" id="p0" data-start="0" data-index="0">One '
                    '<mark class="hl content" data-claims="7" aria-label="content of claim 7">two.</mark></p>\n'
                    '<p class="para" id="p1" data-start="10" data-index="1">'
                    '<mark class="hl content" data-claims="7" aria-label="content of claim 7">Three</mark>'
                    ' four.</p>\n')


def test_text_is_escaped_inside_and_outside_marks() -> None:
    text = 'A <script>alert(1)</script> & "quote" <img src=x onerror=alert(2)>\n\nplain'
    start = text.index("<script>")
    html = str(highlighted_paragraphs(text, _paragraphs(text), [Mark(start, start + 25, 1, "content")]))
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&amp;" in html and "&lt;img src=x" in html
    assert html.count("<mark ") == 1 and html.count("<p ") == 2


def test_overlaps_name_every_claim_marker_and_suggestion() -> None:
    tag = mark_open_tag([Mark(0, 5, 12, "content"), Mark(0, 5, 3, "cue"), Mark(0, 5, 4, "bias"),
                         Mark(0, 5, -2, "suggested")])
    assert tag == ('<mark class="hl bias content cue suggested" data-claims="3 12" data-markers="4" '
                   'data-suggestions="1" aria-label="content, cue, suggested of claim 3, 12; bias marker 4; '
                   'suggestion 1">')


def test_no_paragraphs_no_html() -> None:
    assert str(highlighted_paragraphs("", [], [Mark(0, 3, 1, "content")])) == ""
