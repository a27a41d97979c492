"""Bias markers (a span layer of their own) and article-level labels."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.domain.spans import SpanError, check_span
from app.errors import Conflict, DomainError, Forbidden
from app.models import ArticleLabel, BiasMarker, Claim, ClaimSegment, User
from app.models.base import is_id
from app.services import audit
from app.services.claims import DocumentContext, check_version, editable_context, load_document_context
from app.services.documents import paragraph_spans

MAX_TEXT = 10_000


def _code(ctx: DocumentContext, field: str, value: Any, codebook_field: str, old: Any = None) -> str | None:
    if value is None or value == "":
        return None
    if value == old:
        return value  # type: ignore[no-any-return]
    if not isinstance(value, str) or value not in ctx.codebook.active_codes(codebook_field):
        raise DomainError(f"{field} must be one of: {', '.join(ctx.codebook.active_codes(codebook_field))}", field)
    return value


def _text(value: Any, field: str, limit: int = MAX_TEXT) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        raise DomainError(f"{field} is text of at most {limit} characters", field)
    return value


def _layer(ctx: DocumentContext, payload: dict[str, Any]) -> str:
    layer = payload.get("layer") or "annotator"
    if layer not in ("annotator", "gold"):
        raise DomainError("layer is annotator or gold", "layer")
    if layer == "gold" and not ctx.access.is_curator:
        raise Forbidden("only curators write the gold layer", "layer")
    return layer  # type: ignore[no-any-return]


def marker_snapshot(marker: BiasMarker) -> dict[str, Any]:
    return {"span": {"start": marker.start, "end": marker.end, "text": marker.text}, "bias_type": marker.bias_type,
            "target": marker.target, "polarity": marker.polarity, "note": marker.note, "layer": marker.layer,
            "version": marker.version}


def _apply_marker(session: Session, ctx: DocumentContext, marker: BiasMarker, payload: dict[str, Any],
                  creating: bool) -> None:
    if creating or "span" in payload:
        span_in = payload.get("span")
        if not isinstance(span_in, dict):
            raise DomainError("span is an object {start, end, text?}", "span")
        try:
            span = check_span(ctx.document.text, paragraph_spans(session, ctx.document), span_in.get("start"),
                              span_in.get("end"), span_in.get("text"), "span")
        except SpanError as exc:
            raise DomainError(str(exc), exc.field) from exc
        marker.start, marker.end, marker.text = span.start, span.end, span.text
    if creating or "bias_type" in payload:
        old = None if creating else marker.bias_type
        bias_type = _code(ctx, "bias_type", payload.get("bias_type"), "bias_type", old)
        if bias_type is None:
            raise DomainError("bias_type is required", "bias_type")
        marker.bias_type = bias_type
    if creating or "target" in payload:
        target = payload.get("target") or None
        if target is not None and (not isinstance(target, str) or (
                target not in ctx.codebook.all_codes("targets") and target not in ctx.codebook.all_codes("sides"))):
            raise DomainError("target is a target or side code of the codebook", "target")
        marker.target = target
    if creating or "polarity" in payload:
        marker.polarity = _code(ctx, "polarity", payload.get("polarity"), "polarity",
                                None if creating else marker.polarity)
    if creating or "note" in payload:
        marker.note = _text(payload.get("note"), "note")


def create_marker(session: Session, user: User, document_id: int, payload: Any) -> BiasMarker:
    if not isinstance(payload, dict):
        raise DomainError("the marker is a JSON object", "body")
    ctx = load_document_context(session, user, document_id)
    marker = BiasMarker(project_id=ctx.project.id, document_id=document_id, annotator_id=user.id,
                        layer=_layer(ctx, payload), codebook_version=ctx.codebook.version)
    _apply_marker(session, ctx, marker, payload, creating=True)
    session.add(marker)
    session.flush()
    audit.record(session, user, "create", "bias_marker", marker.id, ctx.project.id, after=marker_snapshot(marker))
    return marker


def _editable_marker(session: Session, user: User, marker_id: int) -> tuple[BiasMarker, DocumentContext]:
    marker = session.get(BiasMarker, marker_id) if is_id(marker_id) else None
    return marker, editable_context(session, user, marker, "marker")  # type: ignore[return-value]


def update_marker(session: Session, user: User, marker_id: int, payload: Any) -> BiasMarker:
    if not isinstance(payload, dict):
        raise DomainError("the changes are a JSON object", "body")
    marker, ctx = _editable_marker(session, user, marker_id)
    check_version(payload, marker.version, "marker")
    before = marker_snapshot(marker)
    with session.no_autoflush:  # one flush, so the version goes up by exactly one
        _apply_marker(session, ctx, marker, payload, creating=False)
        marker.codebook_version = ctx.codebook.version
        marker.updated_at = datetime.now(UTC)
    session.flush()
    audit.record(session, user, "update", "bias_marker", marker.id, ctx.project.id, before=before,
                 after=marker_snapshot(marker))
    return marker


def delete_marker(session: Session, user: User, marker_id: int) -> None:
    marker, ctx = _editable_marker(session, user, marker_id)
    before = marker_snapshot(marker)
    marker.deleted_at = datetime.now(UTC)
    session.flush()
    audit.record(session, user, "delete", "bias_marker", marker.id, ctx.project.id, before=before)


def list_markers(session: Session, document_id: int, layer: str, annotator_id: int | None) -> list[BiasMarker]:
    stmt = sa.select(BiasMarker).where(BiasMarker.document_id == document_id, BiasMarker.layer == layer,
                                       BiasMarker.deleted_at.is_(None))
    if annotator_id is not None:
        stmt = stmt.where(BiasMarker.annotator_id == annotator_id)
    return list(session.scalars(stmt.options(sa.orm.selectinload(BiasMarker.annotator))
                                .order_by(BiasMarker.start, BiasMarker.id)))


def quoted_ranges(session: Session, document_id: int, layer: str, annotator_id: int | None) -> list[tuple[int, int]]:
    """Content spans of the layer's attributed (non-authorial) claims: what ``in_quote`` is derived from."""
    stmt = (sa.select(ClaimSegment.start, ClaimSegment.end).join(Claim, Claim.id == ClaimSegment.claim_id)
            .where(Claim.document_id == document_id, Claim.layer == layer, Claim.deleted_at.is_(None),
                   Claim.attribution != "authorial"))
    if annotator_id is not None:
        stmt = stmt.where(Claim.annotator_id == annotator_id)
    return [(start, end) for start, end in session.execute(stmt)]


def in_quote(marker: BiasMarker, ranges: list[tuple[int, int]]) -> bool:
    return any(start < marker.end and marker.start < end for start, end in ranges)


LABEL_FIELDS = ("outlet", "ownership", "genre", "frame", "omissions", "notes")


def get_labels(session: Session, document_id: int, layer: str, annotator_id: int | None) -> ArticleLabel | None:
    stmt = sa.select(ArticleLabel).where(ArticleLabel.document_id == document_id, ArticleLabel.layer == layer)
    if annotator_id is not None:
        stmt = stmt.where(ArticleLabel.annotator_id == annotator_id)
    return session.scalars(stmt.order_by(ArticleLabel.id).limit(1)).first()


def put_labels(session: Session, user: User, document_id: int, payload: Any) -> ArticleLabel:
    """Create or replace the caller's article labels; ``version`` guards an existing row."""
    if not isinstance(payload, dict):
        raise DomainError("the labels are a JSON object", "body")
    ctx = load_document_context(session, user, document_id)
    layer = _layer(ctx, payload)
    row = session.scalar(sa.select(ArticleLabel).where(
        ArticleLabel.document_id == document_id, ArticleLabel.annotator_id == user.id, ArticleLabel.layer == layer))
    before = None
    if row is not None:
        version = payload.get("version")
        if isinstance(version, bool) or not isinstance(version, int):
            raise DomainError("version (the version you last saw) is required", "version")
        if version != row.version:
            raise Conflict(f"these labels were changed since version {version}", "version", current=row.version)
        before = labels_snapshot(row)
    else:
        row = ArticleLabel(project_id=ctx.project.id, document_id=document_id, annotator_id=user.id, layer=layer,
                           codebook_version=ctx.codebook.version)
    row.outlet = _text(payload.get("outlet"), "outlet", 300)
    row.ownership = _code(ctx, "ownership", payload.get("ownership"), "ownership", before and before["ownership"])
    row.genre = _code(ctx, "genre", payload.get("genre"), "genre", before and before["genre"])
    row.frame = _code(ctx, "frame", payload.get("frame"), "frame", before and before["frame"])
    slant = payload.get("slant") or {}
    if not isinstance(slant, dict):
        raise DomainError("slant is an object {TARGET: value}", "slant")
    for target, value in slant.items():
        if target not in ctx.codebook.active_codes("targets"):
            raise DomainError(f"unknown target {target!r}", f"slant.{target}")
        _code(ctx, f"slant.{target}", value, "slant")
    row.slant = {t: v for t, v in slant.items() if v}
    row.omissions = _text(payload.get("omissions"), "omissions")
    row.notes = _text(payload.get("notes"), "notes")
    row.codebook_version = ctx.codebook.version
    row.updated_at = datetime.now(UTC)
    session.add(row)
    session.flush()
    audit.record(session, user, "update" if before else "create", "article_label", row.id, ctx.project.id,
                 before=before, after=labels_snapshot(row))
    return row


def labels_snapshot(row: ArticleLabel) -> dict[str, Any]:
    return {**{field: getattr(row, field) for field in LABEL_FIELDS}, "slant": dict(row.slant or {}),
            "version": row.version}
