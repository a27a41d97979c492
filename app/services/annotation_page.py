"""What the annotation page reads about a document and a layer's claims, as plain rows.

The page shows hundreds of claims at once: building ORM objects for them (claims, segments,
stances, speakers, annotators) cost more than everything else on the page together. Core
queries on the request's connection, a constant number whatever the number of claims or
paragraphs, give the page what it shows and nothing else.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Claim, ClaimSegment, ClaimStance, Speaker


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


def _statements(by_annotator: bool) -> tuple[sa.Select[Any], sa.Select[Any], sa.Select[Any]]:
    """The three reads of ``page_claims``, built once (parameters: document, layer[, annotator])."""
    where = [Claim.document_id == sa.bindparam("document"), Claim.layer == sa.bindparam("layer"),
             Claim.deleted_at.is_(None)]
    if by_annotator:
        where.append(Claim.annotator_id == sa.bindparam("annotator"))
    claims = (sa.select(Claim.id, Claim.version, Claim.attribution, Claim.source_specificity,
                        Claim.speaker_resolution, Claim.cue_valence, Claim.authorial_stance, Claim.claim_type,
                        Claim.check_worthiness, Claim.note, Claim.anchor, Claim.source_start, Claim.source_end,
                        Claim.cue_start, Claim.cue_end, Claim.speaker_id, Speaker.name)
              .outerjoin(Speaker, Speaker.id == Claim.speaker_id).where(*where))
    segments = (sa.select(ClaimSegment.claim_id, ClaimSegment.start, ClaimSegment.end, ClaimSegment.text)
                .join(Claim, Claim.id == ClaimSegment.claim_id).where(*where)
                .order_by(ClaimSegment.claim_id, ClaimSegment.ordinal))
    stances = (sa.select(ClaimStance.claim_id, ClaimStance.target, ClaimStance.value)
               .join(Claim, Claim.id == ClaimStance.claim_id).where(*where)
               .order_by(ClaimStance.claim_id, ClaimStance.target))
    return claims, segments, stances


_STATEMENTS = {by_annotator: _statements(by_annotator) for by_annotator in (False, True)}


def page_claims(session: Session, document_id: int, layer: str, annotator_id: int | None) -> list[PageClaim]:
    """Live claims of one layer of a document (one annotator's, or all when ``annotator_id`` is None),
    ordered by where they start, then id: 3 statements."""
    claims_stmt, segments_stmt, stances_stmt = _STATEMENTS[annotator_id is not None]
    params = {"document": document_id, "layer": layer, "annotator": annotator_id}
    connection = session.connection()
    rows = connection.execute(claims_stmt, params).all()
    segments: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    stances: dict[int, list[tuple[str, str]]] = defaultdict(list)
    if rows:
        for claim_id, start, end, text in connection.execute(segments_stmt, params).all():
            segments[claim_id].append((start, end, text))
        for claim_id, target, value in connection.execute(stances_stmt, params).all():
            stances[claim_id].append((target, value))
    claims = [PageClaim(*row, segments.get(row[0], []), stances.get(row[0], [])) for row in rows]
    claims.sort(key=lambda c: (c.segments[0][0] if c.segments else 0, c.id))
    return claims


def quoted_spans(claims: list[PageClaim]) -> list[tuple[int, int]]:
    """Content spans of the attributed (non-authorial) claims: what a bias marker's ``in_quote`` is read from."""
    return [(start, end) for c in claims if c.attribution != "authorial" for start, end, _text in c.segments]


_SPEAKERS = (sa.select(Speaker.name, Speaker.role, Speaker.aliases)
             .where(Speaker.project_id == sa.bindparam("project"), Speaker.merged_into_id.is_(None))
             .order_by(Speaker.name))


def page_speakers(session: Session, project_id: int) -> list[sa.Row[Any]]:
    """(name, role, aliases) of the registry's speakers (merged ones left out), for the type-ahead."""
    return list(session.connection().execute(_SPEAKERS, {"project": project_id}).all())
