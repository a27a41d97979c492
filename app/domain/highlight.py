"""Cut paragraphs into pieces for highlighting (pure): each piece knows which spans cover it.

Runs in one sweep per paragraph over sorted boundaries, so a page with thousands of claims
renders in linear time, with no per-claim query.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from app.domain.text import ParagraphSpan


@dataclass(frozen=True, slots=True)
class Mark:
    start: int
    end: int
    claim_id: int  # the claim's id, or the bias marker's for kind "bias"
    kind: str  # content, source, cue, bias or suggested (claim_id is then -(index + 1))


@dataclass(frozen=True, slots=True)
class Piece:
    text: str
    start: int
    marks: tuple[Mark, ...]

    @property
    def claim_ids(self) -> list[int]:
        return sorted({m.claim_id for m in self.marks if m.kind not in ("bias", "suggested")})

    @property
    def suggestion_indexes(self) -> list[int]:
        return sorted({-m.claim_id - 1 for m in self.marks if m.kind == "suggested"})

    @property
    def marker_ids(self) -> list[int]:
        return sorted({m.claim_id for m in self.marks if m.kind == "bias"})

    @property
    def kinds(self) -> list[str]:
        return sorted({m.kind for m in self.marks})


def paragraph_pieces(text: str, paragraphs: Sequence[ParagraphSpan], marks: Sequence[Mark]) -> list[list[Piece]]:
    by_paragraph: dict[int, list[Mark]] = defaultdict(list)
    starts = [p.start for p in paragraphs]
    for mark in marks:
        first = max(0, bisect.bisect_right(starts, mark.start) - 1)
        for index in range(first, len(paragraphs)):
            para = paragraphs[index]
            if para.start >= mark.end:
                break
            if para.end > mark.start:
                by_paragraph[index].append(mark)
    result = []
    for index, para in enumerate(paragraphs):
        local = by_paragraph.get(index, [])
        bounds = {para.start, para.end}
        for mark in local:
            bounds.add(min(max(mark.start, para.start), para.end))
            bounds.add(min(max(mark.end, para.start), para.end))
        ordered = sorted(bounds)
        pieces = []
        for left, right in zip(ordered, ordered[1:], strict=False):
            covering = tuple(m for m in local if m.start < right and left < m.end)
            pieces.append(Piece(text[left:right], left, covering))
        result.append(pieces)
    return result
