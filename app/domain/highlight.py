"""Highlighted paragraphs of the annotation page, built once in Python (pure).

The text is cut at every boundary of the spans (claims' content, source and cue, bias markers,
suggestions) and of the paragraphs; each piece is one ``<mark>`` naming the claims, bias markers
and suggestions covering it, or plain text. One sweep over the sorted boundaries, so a page with
thousands of claims renders in linear time, and the HTML is made here once instead of piece by
piece in the template. Text goes through markupsafe's ``escape`` (a paragraph holding no ``<``,
``&`` or ``>`` needs none: quotes matter only in attributes); tags hold only ids and kinds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from markupsafe import Markup, escape

from app.domain.text import ParagraphSpan


class Mark(NamedTuple):
    start: int
    end: int
    claim_id: int  # the claim's id, or the bias marker's for kind "bias"
    kind: str  # content, source, cue, bias or suggested (claim_id is then -(index + 1))


def page_marks(claims: Iterable[Any], markers: Iterable[Any], suggestions: Sequence[dict[str, Any]]) -> list[Mark]:
    """The spans the annotation page highlights: each claim's content segments, source and cue,
    each bias marker, and each suggestion's content (``claim_id`` is then ``-(index + 1)``: never
    a claim's id)."""
    marks = [Mark(s.start, s.end, c.id, "content") for c in claims for s in c.segments]
    marks += [Mark(c.source_start, c.source_end or 0, c.id, "source") for c in claims if c.source_start is not None]
    marks += [Mark(c.cue_start, c.cue_end or 0, c.id, "cue") for c in claims if c.cue_start is not None]
    marks += [Mark(m.start, m.end, m.id, "bias") for m in markers]
    marks += [Mark(s["start"], s["end"], -(index + 1), "suggested")
              for index, item in enumerate(suggestions) for s in item["content"]]
    return marks


def _join(values: Iterable[int], sep: str = " ") -> str:
    return sep.join(map(str, sorted(values)))


def mark_open_tag(marks: Iterable[Mark]) -> str:
    """``<mark …>`` for a piece covered by these marks."""
    kinds: set[str] = set()
    claim_ids: set[int] = set()
    marker_ids: set[int] = set()
    suggestions: set[int] = set()
    for mark in marks:
        kinds.add(mark.kind)
        if mark.kind == "bias":
            marker_ids.add(mark.claim_id)
        elif mark.kind == "suggested":
            suggestions.add(-mark.claim_id - 1)
        else:
            claim_ids.add(mark.claim_id)
    ordered_kinds = sorted(kinds)
    tag = f'<mark class="hl {" ".join(ordered_kinds)}" data-claims="{_join(claim_ids)}"'
    label = []
    if claim_ids:
        label.append(f"{', '.join(k for k in ordered_kinds if k != 'bias')} of claim {_join(claim_ids, ', ')}")
    if marker_ids:
        tag += f' data-markers="{_join(marker_ids)}"'
        label.append(f"bias marker {_join(marker_ids, ', ')}")
    if suggestions:
        tag += f' data-suggestions="{_join(suggestions)}"'
        label.append(f"suggestion {_join(suggestions, ', ')}")
    return f'{tag} aria-label="{"; ".join(label)}">'


def _single_tag(mark: Mark) -> str:
    """``mark_open_tag([mark])``, the common case, made directly."""
    if mark.kind == "bias":
        return (f'<mark class="hl bias" data-claims="" data-markers="{mark.claim_id}" '
                f'aria-label="bias marker {mark.claim_id}">')
    if mark.kind == "suggested":
        index = -mark.claim_id - 1
        return f'<mark class="hl suggested" data-claims="" data-suggestions="{index}" aria-label="suggestion {index}">'
    return (f'<mark class="hl {mark.kind}" data-claims="{mark.claim_id}" '
            f'aria-label="{mark.kind} of claim {mark.claim_id}">')


def _needs_escaping(text: str) -> bool:
    """Whether element content has a character HTML would read as markup (quotes only matter in attributes)."""
    return "<" in text or "&" in text or ">" in text


def highlighted_paragraphs(text: str, paragraphs: Sequence[ParagraphSpan], marks: Sequence[Mark]) -> Markup:
    """The ``<p class="para">`` elements of the whole text, every span highlighted, text escaped.

    Paragraph by paragraph, in one pass over the sorted boundaries of all spans: at each boundary
    the spans starting there join the covering set and those ending there leave it; each piece
    between two boundaries is one ``<mark>`` (the same tag for the same covering set), or plain
    text when nothing covers it. A span over several paragraphs covers the pieces of each.
    The text of a paragraph that holds ``<``, ``&`` or ``>`` goes through markupsafe's ``escape``.
    """
    # position -> (marks ending there, marks starting there), by their index in ``marks``
    events: dict[int, tuple[list[int], list[int]]] = {}
    for number, (start, end, _id, _kind) in enumerate(marks):
        if start < end:
            event = events.get(start)
            if event is None:
                event = events[start] = ([], [])
            event[1].append(number)
            event = events.get(end)
            if event is None:
                event = events[end] = ([], [])
            event[0].append(number)
    positions = sorted(events)
    count = len(positions)
    tags: dict[object, str] = {}
    active: set[int] = set()
    out: list[str] = []
    append = out.append
    k = 0  # positions[k] is the first boundary not applied yet
    for para in paragraphs:
        append(f'<p class="para" id="p{para.index}" data-start="{para.start}" data-index="{para.index}">')
        start, end = para.start, para.end
        body = text[start:end]
        clean = escape if _needs_escaping(body) else None
        while k < count and positions[k] <= start:
            _cross(active, events[positions[k]])
            k += 1
        left = start
        while True:
            if k < count and positions[k] < end:
                right = positions[k]
            else:
                right = end
            piece = body[left - start:right - start]
            if clean is not None:
                piece = clean(piece)
            if active:
                if len(active) == 1:
                    for number in active:  # noqa: B007 (the only one)
                        break
                    tag = tags.get(number)
                    if tag is None:
                        tag = tags[number] = _single_tag(marks[number])
                else:
                    key = frozenset(active)
                    tag = tags.get(key)
                    if tag is None:
                        tag = tags[key] = mark_open_tag([marks[number] for number in key])
                append(f"{tag}{piece}</mark>")
            elif piece:
                append(piece)
            if right == end:
                break
            _cross(active, events[right])
            k += 1
            left = right
        append("</p>\n")
    return Markup("".join(out))


def _cross(active: set[int], event: tuple[list[int], list[int]]) -> None:
    """Cross one span boundary: the marks ending there leave ``active``, those starting there join."""
    leaving, joining = event
    if leaving:
        active.difference_update(leaving)
    if joining:
        active.update(joining)
