"""Exports: one consistent snapshot, read in batches of documents with Core queries, streamed.

The service yields ``DocumentBundle``s (app/export/model.py) one document at a time; the
writers in ``app.export`` turn them into bytes. Memory stays flat whatever the project's size.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.domain.codebook import CodebookView
from app.errors import DomainError, Forbidden
from app.export import WRITERS, ExportFormat
from app.export.model import (
    ClaimOut,
    DocumentBundle,
    DocumentOut,
    ExportContext,
    LabelsOut,
    MarkerOut,
    SpanOut,
    SpeakerOut,
)
from app.models import ArticleLabel, BiasMarker, Claim, ClaimSegment, ClaimStance, Document, Paragraph, Speaker, User
from app.models.base import is_id
from app.presenters import iso
from app.services.projects import ProjectAccess, current_codebook

DOCUMENTS_PER_BATCH = 200


@dataclass
class ExportRequest:
    access: ProjectAccess
    format: ExportFormat
    layer: str
    annotator_id: int | None
    annotator_name: str | None
    document_ids: list[int] | None
    base_url: str
    codebook: CodebookView
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        who = "gold" if self.layer == "gold" else (self.annotator_name or "all")
        return f"{self.access.project.slug}-{who}.{self.format.extension}"


def parse_export_request(session: Session, access: ProjectAccess, fmt: str, annotator: str | None, gold: bool,
                         documents: str | None, base_url: str) -> ExportRequest:
    """Check an export's options; annotators may export their own layer, curators everything."""
    if fmt not in WRITERS:
        raise DomainError(f"format must be one of: {', '.join(WRITERS)}", "format")
    annotator_id = None
    if annotator:
        user = session.scalar(sa.select(User).where(User.username == annotator))
        if user is None:
            raise DomainError(f"no annotator named {annotator!r}", "annotator")
        annotator_id = user.id
    if not access.is_curator:
        if gold or (annotator_id is not None and annotator_id != access.user.id):
            raise Forbidden("annotators export only their own claims", "annotator")
        annotator_id, annotator = access.user.id, access.user.username
    document_ids = None
    if documents:
        parts = [part.strip() for part in documents.split(",") if part.strip()]
        if not parts or not all(re.fullmatch(r"[0-9]{1,10}", part) and is_id(int(part)) for part in parts):
            raise DomainError("documents is a comma-separated list of document ids", "documents")
        document_ids = sorted({int(part) for part in parts})
    return ExportRequest(access=access, format=WRITERS[fmt], layer="gold" if gold else "annotator",
                         annotator_id=annotator_id, annotator_name=annotator, document_ids=document_ids,
                         base_url=base_url, codebook=current_codebook(session, access.project.id))


def speaker_out(row: Any) -> SpeakerOut:
    return SpeakerOut(id=row.id, name=row.name, aliases=tuple(row.aliases or ()), type=row.type, role=row.role,
                      affiliation=row.affiliation, side=row.side, country=row.country, wikidata=row.wikidata)


def export_context(session: Session, request: ExportRequest) -> tuple[ExportContext, dict[int, SpeakerOut]]:
    project = request.access.project
    speakers = {s.id: speaker_out(s) for s in session.scalars(
        sa.select(Speaker).where(Speaker.project_id == project.id).order_by(Speaker.id))}
    ctx = ExportContext(
        project_slug=project.slug, project_name=project.name, codebook=request.codebook.as_api(),
        speakers=[s for s in speakers.values()], base_url=request.base_url,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        filters={"layer": request.layer, "annotator": request.annotator_name, "documents": request.document_ids},
    )
    return ctx, speakers


def _row_filter(model: Any, request: ExportRequest) -> list[Any]:
    conditions = [model.layer == request.layer]
    if request.annotator_id is not None:
        conditions.append(model.annotator_id == request.annotator_id)
    if hasattr(model, "deleted_at"):
        conditions.append(model.deleted_at.is_(None))
    return conditions


def iter_bundles(session: Session, request: ExportRequest, speakers: dict[int, SpeakerOut]) -> Iterator[DocumentBundle]:
    """Every selected document with its claims, markers and labels, a batch of documents at a time."""
    project_id = request.access.project.id
    codebook = request.codebook
    users = dict(session.execute(sa.select(User.id, User.username)).tuples().all())
    last_id = 0
    while True:
        stmt = sa.select(Document).where(Document.project_id == project_id, Document.id > last_id)
        if request.document_ids is not None:
            stmt = stmt.where(Document.id.in_(request.document_ids))
        documents = session.scalars(stmt.order_by(Document.id).limit(DOCUMENTS_PER_BATCH)).all()
        if not documents:
            return
        last_id = documents[-1].id
        ids = [d.id for d in documents]
        paragraphs: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for doc_id, start, end in session.execute(
            sa.select(Paragraph.document_id, Paragraph.start, Paragraph.end)
            .where(Paragraph.document_id.in_(ids)).order_by(Paragraph.document_id, Paragraph.index)
        ):
            paragraphs[doc_id].append((start, end))
        claim_rows = session.execute(
            sa.select(Claim).where(Claim.document_id.in_(ids), *_row_filter(Claim, request)).order_by(Claim.id)
            .execution_options(yield_per=2000)
        ).scalars().all()
        claim_ids = [c.id for c in claim_rows]
        segments: dict[int, list[SpanOut]] = defaultdict(list)
        stances: dict[int, dict[str, str]] = defaultdict(dict)
        for chunk_start in range(0, len(claim_ids), 5000):
            chunk = claim_ids[chunk_start:chunk_start + 5000]
            for claim_id, start, end, text, paragraph in session.execute(
                sa.select(ClaimSegment.claim_id, ClaimSegment.start, ClaimSegment.end, ClaimSegment.text,
                          ClaimSegment.paragraph).where(ClaimSegment.claim_id.in_(chunk))
                .order_by(ClaimSegment.claim_id, ClaimSegment.ordinal)
            ):
                segments[claim_id].append(SpanOut(start, end, text, paragraph))
            for claim_id, target, value in session.execute(
                sa.select(ClaimStance.claim_id, ClaimStance.target, ClaimStance.value)
                .where(ClaimStance.claim_id.in_(chunk))
            ):
                stances[claim_id][target] = value
        markers_by_doc: dict[int, list[MarkerOut]] = defaultdict(list)
        for marker in session.scalars(sa.select(BiasMarker).where(
                BiasMarker.document_id.in_(ids), *_row_filter(BiasMarker, request)).order_by(BiasMarker.id)):
            markers_by_doc[marker.document_id].append(MarkerOut(
                id=marker.id, document_id=marker.document_id, annotator=users.get(marker.annotator_id, ""),
                layer=marker.layer, codebook_version=marker.codebook_version, version=marker.version,
                span=SpanOut(marker.start, marker.end, marker.text), bias_type=marker.bias_type,
                target=marker.target, polarity=marker.polarity, in_quote=False, note=marker.note,
                created_at=iso(marker.created_at) or "", updated_at=iso(marker.updated_at) or ""))
        labels_by_doc: dict[int, list[LabelsOut]] = defaultdict(list)
        for label in session.scalars(sa.select(ArticleLabel).where(
                ArticleLabel.document_id.in_(ids), *_row_filter(ArticleLabel, request))):
            labels_by_doc[label.document_id].append(LabelsOut(
                document_id=label.document_id, annotator=users.get(label.annotator_id, ""), layer=label.layer,
                outlet=label.outlet, ownership=label.ownership, genre=label.genre, frame=label.frame,
                slant=dict(label.slant or {}), omissions=label.omissions, notes=label.notes, version=label.version))
        claims_by_doc: dict[int, list[ClaimOut]] = defaultdict(list)
        for claim in claim_rows:
            claim_segments = segments.get(claim.id, [])
            claims_by_doc[claim.document_id].append(ClaimOut(
                id=claim.id, document_id=claim.document_id, annotator=users.get(claim.annotator_id, ""),
                layer=claim.layer, codebook_version=claim.codebook_version, version=claim.version,
                content=claim_segments,
                source=None if claim.source_start is None else SpanOut(claim.source_start, claim.source_end or 0,
                                                                        claim.source_text or ""),
                cue=None if claim.cue_start is None else SpanOut(claim.cue_start, claim.cue_end or 0,
                                                                  claim.cue_text or ""),
                attribution=claim.attribution, source_specificity=claim.source_specificity,
                speaker=speakers.get(claim.speaker_id) if claim.speaker_id else None,
                speaker_resolution=claim.speaker_resolution, cue_valence=claim.cue_valence,
                stances=stances.get(claim.id, {}), authorial_stance=claim.authorial_stance,
                claim_type=claim.claim_type, claim_type_ff=codebook.claim_type_ff(claim.claim_type),
                verifiable=codebook.verifiable(claim.claim_type), check_worthiness=claim.check_worthiness,
                verification=claim.verification, note=claim.note,
                created_at=iso(claim.created_at) or "", updated_at=iso(claim.updated_at) or ""))
        for document in documents:
            claims = claims_by_doc.get(document.id, [])
            markers = markers_by_doc.get(document.id, [])
            _derive_overlaps(claims, markers)
            request.counts["documents"] = request.counts.get("documents", 0) + 1
            request.counts["claims"] = request.counts.get("claims", 0) + len(claims)
            yield DocumentBundle(
                document=DocumentOut(
                    id=document.id, title=document.title, text=document.text, text_hash=document.text_hash,
                    paragraphs=paragraphs.get(document.id, []), source=document.source, url=document.url,
                    author=document.author, published=document.published, external_id=document.external_id,
                    meta=dict(document.meta or {})),
                claims=claims, markers=markers, labels=labels_by_doc.get(document.id, []))
        session.expunge_all()


def _derive_overlaps(claims: list[ClaimOut], markers: list[MarkerOut]) -> None:
    """in_quote of a marker and n_bias_spans_overlapping of a claim, from the spans (derived)."""
    if not markers:
        return
    for marker in markers:
        for claim in claims:
            if claim.attribution == "authorial":
                continue
            if any(s.start < marker.span.end and marker.span.start < s.end for s in claim.content):
                marker.in_quote = True
                claim.n_bias_spans_overlapping += 1


def export_chunks(session: Session, request: ExportRequest) -> Iterator[bytes]:
    ctx, speakers = export_context(session, request)
    return request.format.writer(ctx, iter_bundles(session, request, speakers))


def labelstudio_config_for(session: Session, access: ProjectAccess, base_url: str) -> str:
    """The Label Studio labelling configuration that matches the project's codebook."""
    from app.export import labelstudio_config

    request = parse_export_request(session, access, "labelstudio", None, False, None, base_url)
    ctx, _speakers = export_context(session, request)
    return labelstudio_config(ctx)


def matching_claims(session: Session, request: ExportRequest) -> int:
    """How many claims the export's filters select (to say so when it is none)."""
    stmt = sa.select(sa.func.count(Claim.id)).where(Claim.project_id == request.access.project.id,
                                                    *_row_filter(Claim, request))
    if request.document_ids is not None:
        stmt = stmt.where(Claim.document_id.in_(request.document_ids))
    return session.scalar(stmt) or 0
