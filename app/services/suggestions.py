"""Attribution suggestions for a document: the rule-based detector's proposals, claim-shaped,
minus what the annotator has already marked. Nothing is stored until a suggestion is accepted
(it is then posted as the annotator's own claim, ``origin: suggestion``)."""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.domain.text import paragraph_index_at
from app.errors import DomainError
from app.models import AuditEvent, Claim, ClaimSegment, Speaker, User
from app.services import audit
from app.services.claims import load_document_context
from app.services.documents import paragraph_spans
from app.services.speakers import list_speakers

if TYPE_CHECKING:
    from app.domain.suggest import RegistrySpeaker

KEY = re.compile(r"^[0-9a-f]{16}$")
OVERLAP_COVERED = 0.5  # Jaccard over characters from which a suggestion counts as already annotated


def suggestion_key(segments: list[tuple[int, int]]) -> str:
    """A stable name for a suggestion (its content offsets), for dismissing it."""
    return hashlib.sha256(";".join(f"{s}-{e}" for s, e in segments).encode()).hexdigest()[:16]


def registry(session: Session, project_id: int) -> list[RegistrySpeaker]:
    from app.domain.suggest import RegistrySpeaker  # the detector's word lists load on first use, not at start-up

    return [RegistrySpeaker(id=s.id, name=s.name, aliases=tuple(s.aliases or ()), type=s.type, role=s.role,
                            affiliation=s.affiliation, side=s.side, country=s.country)
            for s in list_speakers(session, project_id)]


def _covered(segments: list[tuple[int, int]], existing: list[list[tuple[int, int]]]) -> bool:
    chars = {i for s, e in segments for i in range(s, e)}
    for other in existing:
        other_chars = {i for s, e in other for i in range(s, e)}
        union = len(chars | other_chars)
        if union and len(chars & other_chars) / union >= OVERLAP_COVERED:
            return True
    return False


def dismissed_keys(session: Session, user: User, document_id: int) -> set[str]:
    """Keys of the suggestions this user dismissed on this document.

    A dismissal is a write like any other, so it lives in the audit log (entity ``suggestion``,
    id = the document); the log is also where it is read back from, so there is one record of it.
    """
    rows = session.scalars(sa.select(AuditEvent.after).where(
        AuditEvent.entity_type == "suggestion", AuditEvent.entity_id == document_id,
        AuditEvent.action == "dismiss", AuditEvent.actor_id == user.id))
    return {row["key"] for row in rows if row and "key" in row}


def dismiss(session: Session, user: User, document_id: int, key: Any) -> None:
    ctx = load_document_context(session, user, document_id)
    if not isinstance(key, str) or not KEY.match(key):
        raise DomainError("key is the suggestion's key (16 hexadecimal characters)", "key")
    if key not in dismissed_keys(session, user, document_id):
        audit.record(session, user, "dismiss", "suggestion", document_id, ctx.project.id, after={"key": key})


def document_suggestions(session: Session, user: User, document_id: int) -> dict[str, Any]:
    from app.domain.suggest import suggest, suggest_bias_markers

    ctx = load_document_context(session, user, document_id)
    dismissed = dismissed_keys(session, user, document_id)
    text = ctx.document.text
    paragraphs = paragraph_spans(session, ctx.document)
    speakers = {s.id: s for s in session.scalars(sa.select(Speaker).where(Speaker.project_id == ctx.project.id))}
    existing: dict[int, list[tuple[int, int]]] = {}
    for claim_id, start, end in session.execute(
            sa.select(ClaimSegment.claim_id, ClaimSegment.start, ClaimSegment.end)
            .join(Claim, Claim.id == ClaimSegment.claim_id)
            .where(Claim.document_id == document_id, Claim.annotator_id == user.id, Claim.layer == "annotator",
                   Claim.deleted_at.is_(None))):
        existing.setdefault(claim_id, []).append((start, end))
    items = []
    for found in suggest(text, registry(session, ctx.project.id)):
        segments = [(s, e) for s, e in found.content]
        key = suggestion_key(segments)
        if key in dismissed or _covered(segments, list(existing.values())):
            continue
        speaker = speakers.get(found.speaker_id) if found.speaker_id else None

        def span(pair: tuple[int, int] | None) -> dict[str, Any] | None:
            return None if pair is None else {"start": pair[0], "end": pair[1], "text": text[pair[0]:pair[1]]}

        items.append({
            "key": key, "suggested": True, "confidence": round(found.confidence, 3),
            "content": [{"start": s, "end": e, "text": text[s:e], "paragraph": paragraph_index_at(paragraphs, s)}
                        for s, e in segments],
            "source_span": span(found.source), "cue_span": span(found.cue),
            "speaker": None if speaker is None else {"id": speaker.id, "name": speaker.name, "side": speaker.side},
            "speaker_mention": found.speaker_mention, "speaker_resolution": found.speaker_resolution,
            "attribution": found.attribution, "source_specificity": found.source_specificity,
            "cue_valence": found.cue_valence, "claim_type": found.claim_type,
        })
    markers = [{"suggested": True, "span": {"start": m.start, "end": m.end, "text": text[m.start:m.end]},
                "bias_type": m.bias_type, "confidence": round(m.confidence, 3)}
               for m in suggest_bias_markers(text)]
    return {"items": items, "markers": markers}
