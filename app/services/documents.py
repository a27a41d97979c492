"""Importing documents (atomic per document, duplicates skipped) and reading them back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.domain.spans import reanchor
from app.domain.text import (
    CanonicalText,
    ParagraphSpan,
    TextError,
    canonicalize_paragraphs,
    paragraph_index_at,
    split_plain_text,
)
from app.errors import DomainError, NotFound
from app.models import Assignment, BiasMarker, Claim, ClaimSegment, ClaimStance, Document, Paragraph, Project
from app.sanitize import html_to_paragraphs, safe_url
from app.services import audit
from app.services.assignments import require_document
from app.services.projects import ProjectAccess, access_project

MAX_DOCUMENT_CHARS = 2_000_000
MAX_PARAGRAPHS = 20_000
METADATA_LIMITS = {"title": 500, "source": 500, "url": 2000, "author": 500, "published": 40, "external_id": 500}


@dataclass
class DocumentInput:
    title: str
    canonical: CanonicalText
    source: str | None = None
    url: str | None = None
    author: str | None = None
    published: str | None = None
    external_id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportResult:
    document: Document
    status: str  # created, duplicate or revision
    anchors: dict[str, int] = field(default_factory=dict)


def _text_field(payload: dict[str, Any], key: str, where: str, required: bool = False) -> str | None:
    value = payload.get(key)
    if value is None or value == "":
        if required:
            raise DomainError(f"{key} is required", f"{where}{key}")
        return None
    if not isinstance(value, str):
        raise DomainError(f"{key} must be a string", f"{where}{key}")
    value = value.strip()
    if len(value) > METADATA_LIMITS[key]:
        raise DomainError(f"{key} is longer than {METADATA_LIMITS[key]} characters", f"{where}{key}")
    if "\x00" in value:
        raise DomainError(f"{key} contains a NUL character", f"{where}{key}")
    return value


def canonicalize_input(payload: dict[str, Any], where: str = "") -> CanonicalText:
    """The canonical text of ``{text}``, ``{paragraphs}`` or ``{html}`` (exactly one of them)."""
    given = [key for key in ("text", "paragraphs", "html") if payload.get(key) is not None]
    if len(given) != 1:
        raise DomainError("give exactly one of text, paragraphs or html", f"{where}text")
    key = given[0]
    value = payload[key]
    try:
        if key == "paragraphs":
            if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
                raise DomainError("paragraphs must be a list of strings", f"{where}paragraphs")
            if len(value) > MAX_PARAGRAPHS:
                raise DomainError(f"at most {MAX_PARAGRAPHS} paragraphs", f"{where}paragraphs")
            raw = value
        elif not isinstance(value, str):
            raise DomainError(f"{key} must be a string", f"{where}{key}")
        elif key == "html":
            raw = html_to_paragraphs(value)
        else:
            raw = split_plain_text(value)
        canonical = canonicalize_paragraphs(raw)
    except TextError as exc:
        raise DomainError(str(exc), f"{where}{key}") from exc
    if len(canonical.text) > MAX_DOCUMENT_CHARS:
        raise DomainError(f"the article is longer than {MAX_DOCUMENT_CHARS} characters", f"{where}{key}")
    return canonical


def parse_document_payload(payload: Any, where: str = "") -> DocumentInput:
    """Check one document of an import (API body, JSONL line, form) and canonicalise its text.

    Keys the caller may not set (id, project_id, owner...) are ignored: the project comes from
    the URL and the creator from the session.
    """
    if not isinstance(payload, dict):
        raise DomainError("a document is a JSON object", where.rstrip(".") or "body")
    canonical = canonicalize_input(payload, where)
    title = _text_field(payload, "title", where) or canonical.text[:80].split("\n")[0]
    url = _text_field(payload, "url", where)
    if url and not safe_url(url):
        raise DomainError("url must be an http or https address", f"{where}url")
    meta = payload.get("meta")
    meta = {} if meta is None else meta
    if not isinstance(meta, dict):
        raise DomainError("meta must be an object", f"{where}meta")
    return DocumentInput(
        title=title, canonical=canonical, source=_text_field(payload, "source", where), url=url,
        author=_text_field(payload, "author", where), published=_text_field(payload, "published", where),
        external_id=_text_field(payload, "external_id", where), meta=meta,
    )


def _previous_revision(session: Session, project_id: int, data: DocumentInput) -> Document | None:
    conditions = []
    if data.external_id:
        conditions.append(Document.external_id == data.external_id)
    elif data.url:
        conditions.append(Document.url == data.url)
    if not conditions:
        return None
    return session.scalar(
        sa.select(Document).where(Document.project_id == project_id, *conditions)
        .order_by(Document.revision.desc()).limit(1)
    )


def import_documents(session: Session, access: ProjectAccess, inputs: Sequence[DocumentInput]) -> list[ImportResult]:
    """Store documents not seen before; the same text again returns the existing one.

    Runs in the caller's transaction: the view or CLI commits once, so a batch is all or nothing.
    """
    project_id = access.project.id
    hashes = {data.canonical.sha256 for data in inputs}
    existing = {
        doc.text_hash: doc
        for doc in session.scalars(
            sa.select(Document).where(Document.project_id == project_id, Document.text_hash.in_(hashes))
        )
    } if len(hashes) < 5000 else _existing_in_chunks(session, project_id, hashes)
    results: list[ImportResult] = []
    new_documents: list[tuple[Document, DocumentInput]] = []
    for data in inputs:
        if data.canonical.sha256 in existing:
            results.append(ImportResult(existing[data.canonical.sha256], "duplicate"))
            continue
        previous = _previous_revision(session, project_id, data) if (data.external_id or data.url) else None
        document = Document(
            project_id=project_id, title=data.title, text=data.canonical.text, text_hash=data.canonical.sha256,
            source=data.source, url=data.url, author=data.author, published=data.published,
            external_id=data.external_id, meta=data.meta, created_by_id=access.user.id,
            revision=(previous.revision + 1) if previous else 1, previous_id=previous.id if previous else None,
        )
        session.add(document)
        existing[data.canonical.sha256] = document
        new_documents.append((document, data))
        results.append(ImportResult(document, "revision" if previous else "created"))
    session.flush()
    if new_documents:
        session.execute(sa.insert(Paragraph), [
            {"document_id": document.id, "index": p.index, "start": p.start, "end": p.end}
            for document, data in new_documents for p in data.canonical.paragraphs
        ])
    for result in results:
        if result.status == "revision" and result.document.previous_id is not None:
            result.anchors = carry_over_annotations(session, result.document.previous_id, result.document)
    if new_documents:
        audit.record(session, access.user, "import", "document", new_documents[0][0].id if len(new_documents) == 1
                     else None, project_id, after={"documents": [d.id for d, _ in new_documents][:1000],
                                                   "count": len(new_documents)})
    return results


def _existing_in_chunks(session: Session, project_id: int, hashes: set[str]) -> dict[str, Document]:
    found: dict[str, Document] = {}
    ordered = sorted(hashes)
    for offset in range(0, len(ordered), 1000):
        chunk = ordered[offset:offset + 1000]
        for doc in session.scalars(
            sa.select(Document).where(Document.project_id == project_id, Document.text_hash.in_(chunk))
        ):
            found[doc.text_hash] = doc
    return found


def carry_over_annotations(session: Session, previous_id: int, document: Document) -> dict[str, int]:
    """Copy the previous revision's live claims and markers onto the new text, re-anchored.

    A span found at the same place is ``exact``, found elsewhere by quote and context is
    ``moved``; a claim or marker that cannot be re-found stays only on the old revision and is
    counted as ``orphaned`` (kept for review there, never attached to other words).
    """
    previous = session.get(Document, previous_id)
    assert previous is not None
    paragraphs = [ParagraphSpan(p.index, p.start, p.end) for p in session.scalars(
        sa.select(Paragraph).where(Paragraph.document_id == document.id).order_by(Paragraph.index))]
    counts = {"exact": 0, "moved": 0, "orphaned": 0}
    claims = session.scalars(
        sa.select(Claim).where(Claim.document_id == previous_id, Claim.deleted_at.is_(None))
        .options(sa.orm.selectinload(Claim.segments), sa.orm.selectinload(Claim.stances))
    ).all()
    for claim in claims:
        placed = [reanchor(previous.text, document.text, s.start, s.end) for s in claim.segments]
        optional = {}
        for name in ("source", "cue"):
            start, end = getattr(claim, f"{name}_start"), getattr(claim, f"{name}_end")
            optional[name] = reanchor(previous.text, document.text, start, end) if start is not None else None
        if any(p is None for p in placed) or any(
            getattr(claim, f"{n}_start") is not None and optional[n] is None for n in ("source", "cue")
        ):
            counts["orphaned"] += 1
            claim.anchor = "orphaned"
            continue
        status = "moved" if any(p[2] == "moved" for p in placed if p) else "exact"
        counts[status] += 1
        copy = Claim(
            project_id=claim.project_id, document_id=document.id, annotator_id=claim.annotator_id,
            layer=claim.layer, codebook_version=claim.codebook_version, attribution=claim.attribution,
            source_specificity=claim.source_specificity, speaker_id=claim.speaker_id,
            speaker_resolution=claim.speaker_resolution, cue_valence=claim.cue_valence,
            authorial_stance=claim.authorial_stance, claim_type=claim.claim_type,
            check_worthiness=claim.check_worthiness, verification=claim.verification, note=claim.note,
            origin=claim.origin, gold_sources=claim.gold_sources, anchor=status,
        )
        for name in ("source", "cue"):
            if optional[name]:
                start, end, _ = optional[name]
                setattr(copy, f"{name}_start", start)
                setattr(copy, f"{name}_end", end)
                setattr(copy, f"{name}_text", document.text[start:end])
        copy.segments = [
            ClaimSegment(ordinal=i, start=p[0], end=p[1], text=document.text[p[0]:p[1]],
                         paragraph=paragraph_index_at(paragraphs, p[0]))
            for i, p in enumerate(placed) if p
        ]
        copy.stances = [ClaimStance(target=s.target, value=s.value) for s in claim.stances]
        session.add(copy)
    for marker in session.scalars(
        sa.select(BiasMarker).where(BiasMarker.document_id == previous_id, BiasMarker.deleted_at.is_(None))
    ):
        placed_marker = reanchor(previous.text, document.text, marker.start, marker.end)
        if placed_marker is None:
            counts["orphaned"] += 1
            marker.anchor = "orphaned"
            continue
        counts[placed_marker[2]] += 1
        session.add(BiasMarker(
            project_id=marker.project_id, document_id=document.id, annotator_id=marker.annotator_id,
            layer=marker.layer, codebook_version=marker.codebook_version, start=placed_marker[0],
            end=placed_marker[1], text=document.text[placed_marker[0]:placed_marker[1]],
            bias_type=marker.bias_type, target=marker.target, polarity=marker.polarity, note=marker.note,
            anchor=placed_marker[2],
        ))
    session.flush()
    return counts


def get_document_access(session: Session, user: Any, document_id: int) -> tuple[Document, ProjectAccess]:
    """The document and the caller's access to its project; NotFound for ids of other projects."""
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound("no such document")
    project = session.get(Project, document.project_id)
    access = access_project(session, user, project)
    require_document(session, access, document.id)
    return document, access


def paragraph_spans(session: Session, document_id: int) -> list[ParagraphSpan]:
    return [ParagraphSpan(p.index, p.start, p.end) for p in session.scalars(
        sa.select(Paragraph).where(Paragraph.document_id == document_id).order_by(Paragraph.index))]


@dataclass
class DocumentRow:
    document: Document
    my_claims: int
    all_claims: int


@dataclass
class DocumentFilters:
    query: str | None = None
    outlet: str | None = None
    published_from: str | None = None
    published_to: str | None = None
    #: The caller's own progress: "todo" (no claims yet), "started" (some), "done" (assignment done).
    status: str | None = None


DOCUMENT_STATUSES = ("todo", "started", "done")


def list_documents(session: Session, access: ProjectAccess, after_id: int = 0, limit: int = 100,
                   query: str | None = None, filters: DocumentFilters | None = None) -> list[DocumentRow]:
    """Documents of a project with claim counts (the caller's and everyone's), in one query."""
    mine = (sa.select(sa.func.count(Claim.id)).where(
        Claim.document_id == Document.id, Claim.annotator_id == access.user.id, Claim.layer == "annotator",
        Claim.deleted_at.is_(None)).correlate(Document).scalar_subquery())
    everyone = (sa.select(sa.func.count(Claim.id)).where(
        Claim.document_id == Document.id, Claim.deleted_at.is_(None)).correlate(Document).scalar_subquery())
    stmt = (sa.select(Document, mine, everyone)
            .where(Document.project_id == access.project.id, Document.id > after_id)
            .order_by(Document.id).limit(limit))
    if access.project.assigned_only and access.role == "annotator":
        stmt = stmt.where(Document.id.in_(sa.select(Assignment.document_id).where(
            Assignment.user_id == access.user.id)))
    filters = filters or DocumentFilters(query=query)
    if filters.query:
        like = "%" + escape_like(filters.query) + "%"
        stmt = stmt.where(sa.or_(Document.title.ilike(like, escape="\\"), Document.text.ilike(like, escape="\\")))
    if filters.outlet:
        stmt = stmt.where(Document.source == filters.outlet)
    if filters.published_from:
        stmt = stmt.where(Document.published >= filters.published_from)
    if filters.published_to:
        stmt = stmt.where(Document.published <= filters.published_to + "\uffff")
    if filters.status == "todo":
        stmt = stmt.where(mine == 0)
    elif filters.status == "started":
        stmt = stmt.where(mine > 0)
    elif filters.status == "done":
        stmt = stmt.where(Document.id.in_(sa.select(Assignment.document_id).where(
            Assignment.user_id == access.user.id, Assignment.status == "done")))
    elif filters.status is not None:
        raise DomainError(f"status is one of: {', '.join(DOCUMENT_STATUSES)}", "status")
    return [DocumentRow(doc, m, a) for doc, m, a in session.execute(stmt)]


def escape_like(value: str) -> str:
    """Make user text literal inside a LIKE pattern (escape character: backslash)."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def outlets(session: Session, project_id: int) -> list[str]:
    return [o for o in session.scalars(sa.select(Document.source).where(
        Document.project_id == project_id, Document.source.is_not(None)).distinct().order_by(Document.source))]
