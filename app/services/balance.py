"""Sourcing balance over a document or a filtered corpus (one query for claims, one for stances)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.domain.balance import Balance, BalanceClaim, StanceCount, compute_balance
from app.errors import DomainError, Forbidden
from app.models import Claim, ClaimSegment, ClaimStance, Document, Speaker, User
from app.services.projects import ProjectAccess

DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"


@dataclass
class BalanceScope:
    layer: str = "annotator"
    annotator_id: int | None = None  # None with layer annotator: every annotator pooled (curators)
    document_id: int | None = None
    outlet: str | None = None
    date_from: str | None = None
    date_to: str | None = None

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def parse_scope(session: Session, access: ProjectAccess, args: Any, document_id: int | None = None) -> BalanceScope:
    """Filters from query arguments; annotators see their own claims, curators anyone's or gold."""
    scope = BalanceScope(document_id=document_id)
    layer = args.get("layer") or "annotator"
    annotator = args.get("annotator") or None
    if layer not in ("annotator", "gold"):
        raise DomainError("layer is annotator or gold", "layer")
    if not access.is_curator and layer == "gold":
        raise Forbidden("only curators read the gold layer", "layer")
    if not access.is_curator and access.project.blind and annotator and annotator != access.user.username:
        # The same rule as the claims themselves: in a blind project annotators see only their own.
        raise Forbidden("annotators see only their own claims in a blind project", "annotator")
    scope.layer = layer
    if layer == "annotator":
        if annotator == "all" and access.is_curator:
            scope.annotator_id = None
        elif annotator:
            user = session.scalar(sa.select(User).where(User.username == annotator))
            if user is None:
                raise DomainError(f"no annotator named {annotator!r}", "annotator")
            scope.annotator_id = user.id
        else:
            scope.annotator_id = None if access.is_curator else access.user.id
    outlet = args.get("outlet") or None
    if outlet is not None and len(outlet) > 500:
        raise DomainError("outlet is at most 500 characters", "outlet")
    scope.outlet = outlet
    for key in ("date_from", "date_to"):
        value = args.get(key) or None
        if value is not None and not re.match(DATE, value):
            raise DomainError(f"{key} is a date like 2020-07-14", key)
        setattr(scope, key, value)
    return scope


def claims_in_scope(access: ProjectAccess, scope: BalanceScope) -> sa.Select[Any]:
    stmt = (sa.select(Claim.id).join(Document, Document.id == Claim.document_id)
            .where(Claim.project_id == access.project.id, Claim.layer == scope.layer, Claim.deleted_at.is_(None)))
    if scope.annotator_id is not None:
        stmt = stmt.where(Claim.annotator_id == scope.annotator_id)
    if scope.document_id is not None:
        stmt = stmt.where(Claim.document_id == scope.document_id)
    if scope.outlet:
        stmt = stmt.where(Document.source == scope.outlet)
    if scope.date_from:
        stmt = stmt.where(Document.published >= scope.date_from)
    if scope.date_to:
        # Dates are ISO strings: everything that starts with the end date is still inside.
        stmt = stmt.where(Document.published <= scope.date_to + "\uffff")
    return stmt


def compute(session: Session, access: ProjectAccess, scope: BalanceScope) -> Balance:
    """The balance of the claims in scope, summed by the database: one row per group of claims
    alike in everything counted, and stance counts per speaker (a corpus of 100,000 claims is a
    few thousand rows instead of 100,000 claims, their segments and stances)."""
    in_scope = claims_in_scope(access, scope)
    # Literal numbers, not bound parameters: PostgreSQL matches the GROUP BY expression with the
    # selected one only if both are written the same.
    seven = sa.literal_column("7")
    period = sa.case((sa.func.length(Document.published) >= seven,
                      sa.func.substr(Document.published, sa.literal_column("1"), seven)))
    keys = (Claim.attribution, Claim.speaker_id, Speaker.name, Speaker.side, Claim.source_specificity,
            Claim.cue_valence, period)
    claim_words = (sa.select(sa.func.coalesce(sa.func.sum(ClaimSegment.words), 0))
                   .where(ClaimSegment.claim_id == Claim.id).scalar_subquery())
    groups = session.execute(
        in_scope.with_only_columns(*keys, sa.func.count(), sa.func.sum(claim_words))
        .outerjoin(Speaker, Speaker.id == Claim.speaker_id).group_by(*keys))
    attributed = [Claim.attribution != "authorial", Claim.speaker_id.is_not(None),
                  sa.or_(Claim.source_specificity.is_(None), Claim.source_specificity != "vague_collective")]
    stance_keys = (Claim.speaker_id, ClaimStance.target, ClaimStance.value)
    stance_rows = session.execute(
        in_scope.with_only_columns(*stance_keys, sa.func.count()).join(ClaimStance, ClaimStance.claim_id == Claim.id)
        .where(*attributed).group_by(*stance_keys)).all()
    return compute_balance(
        (BalanceClaim(attribution, speaker_id, name, side, specificity, valence, int(words or 0), (), month, count)
         for attribution, speaker_id, name, side, specificity, valence, month, count, words in groups),
        [StanceCount(speaker_id, target, value, count) for speaker_id, target, value, count in stance_rows])
