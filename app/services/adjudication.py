"""Adjudication: every annotator's claims side by side, and the gold layer written from them.

Per-annotator rows are never changed. A gold claim records where it came from (``gold_sources``:
the annotator claims of its unit) and ``origin='adjudication'``; a curator may also write gold
claims from scratch on the annotation page (``?layer=gold``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from app.domain.agreement import MatchRule, match_claims
from app.errors import Conflict, DomainError, NotFound
from app.models import Claim, Document, User
from app.models.base import is_id
from app.services import audit
from app.services.agreement import CLAIM_FIELDS, coded_claims
from app.services.claims import create_claim, load_claims
from app.services.projects import ProjectAccess, require_curator

# Fields a curator can take from one annotator or another when merging.
MERGEABLE = ("speaker", "attribution", "source_specificity", "speaker_resolution", "cue_valence", "claim_type",
             "check_worthiness", "authorial_stance", "stances", "content", "source_span", "cue_span", "note")


@dataclass
class Unit:
    """The claims of one content span across annotators (a single annotator's claim is a unit too)."""

    claims: dict[str, Claim]
    differing: list[str]
    gold: list[Claim] = field(default_factory=list)

    @property
    def first_offset(self) -> int:
        return min(c.segments[0].start for c in self.claims.values() if c.segments)

    @property
    def claim_ids(self) -> list[int]:
        return sorted(c.id for c in self.claims.values())


def documents_to_adjudicate(session: Session, access: ProjectAccess) -> list[dict[str, Any]]:
    """Documents with claims by two or more annotators, with their gold progress."""
    require_curator(access)
    rows = session.execute(
        sa.select(Document.id, Document.title,
                  sa.func.count(sa.distinct(Claim.annotator_id)).filter(Claim.layer == "annotator"),
                  sa.func.count(Claim.id).filter(Claim.layer == "annotator"),
                  sa.func.count(Claim.id).filter(Claim.layer == "gold"))
        .join(Claim, Claim.document_id == Document.id)
        .where(Document.project_id == access.project.id, Claim.deleted_at.is_(None))
        .group_by(Document.id, Document.title).order_by(Document.id))
    return [{"id": i, "title": t, "annotators": a, "claims": c, "gold": g} for i, t, a, c, g in rows if a >= 2]


def _values(claim: Claim) -> dict[str, Any]:
    return {
        "speaker": claim.speaker_id, "attribution": claim.attribution, "claim_type": claim.claim_type,
        "check_worthiness": claim.check_worthiness, "cue_valence": claim.cue_valence,
        "source_specificity": claim.source_specificity, "authorial_stance": claim.authorial_stance,
        "speaker_resolution": claim.speaker_resolution,
        "stances": sorted((s.target, s.value) for s in claim.stances),
        "content": [(s.start, s.end) for s in claim.segments],
        "source_span": (claim.source_start, claim.source_end), "cue_span": (claim.cue_start, claim.cue_end),
        "note": claim.note,
    }


def document_units(session: Session, access: ProjectAccess, document_id: int,
                   match: MatchRule = "overlap") -> tuple[Document, list[Unit]]:
    require_curator(access)
    document = session.get(Document, document_id)
    if document is None or document.project_id != access.project.id:
        raise NotFound("no such document")
    coded = coded_claims(session, access.project.id, [document_id])
    claims = {c.id: c for c in load_claims(session, [c.claim_id for c in coded])}
    gold = session.scalars(sa.select(Claim).where(
        Claim.document_id == document_id, Claim.layer == "gold", Claim.deleted_at.is_(None))
        .options(selectinload(Claim.segments), selectinload(Claim.stances), selectinload(Claim.speaker),
                 selectinload(Claim.annotator))).all()
    units: list[Unit] = []
    matched: set[int] = set()
    for unit in match_claims(coded, match):
        members = {coder: claims[c.claim_id] for coder, c in unit.claims.items()}
        matched.update(c.id for c in members.values())
        units.append(Unit(members, _differences(list(members.values()))))
    for claim in claims.values():
        if claim.id not in matched:
            units.append(Unit({claim.annotator.username: claim}, []))
    for unit in units:
        ids = set(unit.claim_ids)
        unit.gold = [g for g in gold if ids & set(g.gold_sources or [])]
    return document, sorted(units, key=lambda u: (u.first_offset, u.claim_ids))


def _differences(claims: list[Claim]) -> list[str]:
    values = [_values(c) for c in claims]
    return [name for name in MERGEABLE if len({repr(v[name]) for v in values}) > 1]


def _payload(claim: Claim) -> dict[str, Any]:
    """A claim as the create payload (so gold goes through every check a claim does)."""
    return {
        "content": [{"start": s.start, "end": s.end} for s in claim.segments],
        "source_span": None if claim.source_start is None else {"start": claim.source_start, "end": claim.source_end},
        "cue_span": None if claim.cue_start is None else {"start": claim.cue_start, "end": claim.cue_end},
        "speaker": claim.speaker_id, "attribution": claim.attribution,
        "source_specificity": claim.source_specificity, "speaker_resolution": claim.speaker_resolution,
        "cue_valence": claim.cue_valence, "claim_type": claim.claim_type, "check_worthiness": claim.check_worthiness,
        "authorial_stance": claim.authorial_stance, "note": claim.note, "verification": claim.verification,
        "stances": [{"target": s.target, "value": s.value} for s in claim.stances],
    }


def write_gold(session: Session, user: User, document_id: int, payload: Any) -> Claim:
    """Accept one annotator's version (``base``) into gold, taking chosen fields from others (``choose``)."""
    if not isinstance(payload, dict):
        raise DomainError("the body is an object {base, choose?}", "body")
    base_id = payload.get("base")
    if isinstance(base_id, bool) or not isinstance(base_id, int):
        raise DomainError("base is the id of the annotator claim to start from", "base")
    if not is_id(base_id):
        raise NotFound("no such annotator claim in this document", "base")
    choose = payload.get("choose") or {}
    if not isinstance(choose, dict):
        raise DomainError("choose is an object {field: claim id}", "choose")
    sources = load_claims(session, [base_id, *[v for v in choose.values() if is_id(v)]])
    by_id = {c.id: c for c in sources}
    base = by_id.get(base_id)
    if base is None or base.document_id != document_id or base.layer != "annotator" or base.deleted_at is not None:
        raise NotFound("no such annotator claim in this document", "base")
    body = _payload(base)
    for name, claim_id in choose.items():
        if name not in MERGEABLE:
            raise DomainError(f"{name} cannot be chosen; one of: {', '.join(MERGEABLE)}", f"choose.{name}")
        other = by_id.get(claim_id) if isinstance(claim_id, int) else None
        if other is None or other.document_id != document_id or other.layer != "annotator":
            raise NotFound("no such annotator claim in this document", f"choose.{name}")
        body[name] = _payload(other)[name]
    source_ids = sorted({base.id, *[by_id[v].id for v in choose.values()]})
    existing = session.scalars(sa.select(Claim).where(
        Claim.document_id == document_id, Claim.layer == "gold", Claim.deleted_at.is_(None))).all()
    if any(set(source_ids) & set(g.gold_sources or []) for g in existing):
        raise Conflict("this unit is in the gold layer already; edit the gold claim instead", "base")
    body["layer"] = "gold"
    claim, _ = create_claim(session, user, document_id, body, origin="adjudication", gold_sources=source_ids)
    audit.record(session, user, "adjudicate", "claim", claim.id, claim.project_id,
                 after={"gold_sources": source_ids, "base": base.id, "choose": choose})
    return claim


__all__ = ["CLAIM_FIELDS", "Unit", "document_units", "documents_to_adjudicate", "write_gold"]
