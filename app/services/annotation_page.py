"""What the annotation page reads about a document and a layer's claims, as plain rows.

The page shows hundreds of claims at once: building ORM objects for them (claims, segments,
stances, speakers, annotators) cost more than everything else on the page together. Core
queries on the request's connection, a constant number whatever the number of claims or
paragraphs, give the page what it shows and nothing else.
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.domain.text import ParagraphSpan
from app.models import Claim, ClaimSegment, ClaimStance, Paragraph, Speaker


class PageClaim(NamedTuple):
    """One claim as the page shows it: its spans, labels and the speaker's name."""

    id: int
    version: int
    attribution: str
    source_specificity: str | None
    speaker_resolution: str | None
    cue_valence: str | None
    authorial_stance: str | None
    claim_type: str | None
    check_worthiness: str | None
    note: str | None
    anchor: str
    source_start: int | None
    source_end: int | None
    cue_start: int | None
    cue_end: int | None
    speaker_id: int | None
    speaker_name: str | None
    #: (start, end, text), in the claim's order.
    segments: list[tuple[int, int, str]]
    #: (target, value), ordered by target.
    stances: list[tuple[str, str]]


_CLAIM_COLUMNS = (Claim.id, Claim.version, Claim.attribution, Claim.source_specificity, Claim.speaker_resolution,
                  Claim.cue_valence, Claim.authorial_stance, Claim.claim_type, Claim.check_worthiness, Claim.note,
                  Claim.anchor, Claim.source_start, Claim.source_end, Claim.cue_start, Claim.cue_end,
                  Claim.speaker_id, Speaker.name)


def page_claims(session: Session, document_id: int, layer: str, annotator_id: int | None) -> list[PageClaim]:
    """Live claims of one layer of a document, ordered by where they start (then id): 3 statements."""
    where = [Claim.document_id == document_id, Claim.layer == layer, Claim.deleted_at.is_(None)]
    if annotator_id is not None:
        where.append(Claim.annotator_id == annotator_id)
    connection = session.connection()
    rows = connection.execute(sa.select(*_CLAIM_COLUMNS).outerjoin(Speaker, Speaker.id == Claim.speaker_id)
                              .where(*where)).all()
    segments: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    stances: dict[int, list[tuple[str, str]]] = defaultdict(list)
    if rows:
        for claim_id, start, end, text in connection.execute(
                sa.select(ClaimSegment.claim_id, ClaimSegment.start, ClaimSegment.end, ClaimSegment.text)
                .join(Claim, Claim.id == ClaimSegment.claim_id).where(*where)
                .order_by(ClaimSegment.claim_id, ClaimSegment.ordinal)):
            segments[claim_id].append((start, end, text))
        for claim_id, target, value in connection.execute(
                sa.select(ClaimStance.claim_id, ClaimStance.target, ClaimStance.value)
                .join(Claim, Claim.id == ClaimStance.claim_id).where(*where)
                .order_by(ClaimStance.claim_id, ClaimStance.target)):
            stances[claim_id].append((target, value))
    claims = [PageClaim(*row, segments.get(row[0], []), stances.get(row[0], [])) for row in rows]
    claims.sort(key=lambda c: (c.segments[0][0] if c.segments else 0, c.id))
    return claims


def page_paragraphs(session: Session, document_id: int) -> list[ParagraphSpan]:
    """The document's paragraphs in order (offsets only)."""
    rows = session.connection().execute(sa.select(Paragraph.index, Paragraph.start, Paragraph.end)
                                        .where(Paragraph.document_id == document_id).order_by(Paragraph.index))
    return [ParagraphSpan(index, start, end) for index, start, end in rows]
