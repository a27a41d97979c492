"""Importing documents (atomic per document, duplicates skipped) and reading them back."""

from __future__ import annotations

import json
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
from app.errors import DomainError
from app.models import Assignment, BiasMarker, Claim, ClaimSegment, ClaimStance, Document, Paragraph
from app.models.base import utcnow
from app.sanitize import html_to_paragraphs, safe_url
from app.services import audit
from app.services.assignments import require_document
from app.services.projects import ProjectAccess, document_access

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


#: Keys per ``IN (…)`` lookup: well under SQLite's and PostgreSQL's limits on bound parameters.
LOOKUP_CHUNK = 1000


@dataclass(slots=True)
class StoredDocument:
    """What importing did with one input, without loading the document (the CLI's fast path)."""

    id: int
    status: str  # created, duplicate or revision ("existing" for a stored document looked up)
    revision: int = 1
    #: The revision this one follows: a stored document, or one of the same import (id set once inserted).
    previous: StoredDocument | None = None
    anchors: dict[str, int] = field(default_factory=dict)
    #: For a duplicate of a document of the same import: that document (its id is set once inserted).
    original: StoredDocument | None = None

    @property
    def previous_id(self) -> int | None:
        return self.previous.id if self.previous else None


@dataclass
class KnownDocuments:
    """What an import knows of a project's stored documents, by text hash, external id and url.

    Looked up in a few set-based queries per batch, or for a whole file at once before its first
    batch (``load``): on PostgreSQL the planner has no statistics yet for rows the import itself
    just added, and a lookup planned for a small table scans the whole project for each batch.
    Documents stored through it are added, so later batches see earlier ones without a query.
    """

    by_hash: dict[str, StoredDocument] = field(default_factory=dict)
    by_external: dict[str, StoredDocument] = field(default_factory=dict)
    by_url: dict[str, StoredDocument] = field(default_factory=dict)
    #: Keys looked up in the database already (found or not), per dictionary.
    asked: dict[str, set[str]] = field(default_factory=lambda: {"hash": set(), "external": set(), "url": set()})

    def load(self, session: Session, project_id: int, inputs: Sequence[DocumentInput]) -> None:
        columns = Document.__table__.c
        for kind, column, found, keys in (
            ("hash", columns.text_hash, self.by_hash, {data.canonical.sha256 for data in inputs}),
            ("external", columns.external_id, self.by_external, {d.external_id for d in inputs if d.external_id}),
            ("url", columns.url, self.by_url, {d.url for d in inputs if d.url and not d.external_id}),
        ):
            keys -= self.asked[kind]
            if keys:
                self.asked[kind] |= keys
                for key, record in _newest_by(session, project_id, column, keys).items():
                    if key not in found or found[key].revision < record.revision:
                        found[key] = record


@dataclass
class DocumentBatch:
    """The plan of one batch of an import: what each input is, and the documents to insert."""

    results: list[StoredDocument]
    new: list[tuple[StoredDocument, DocumentInput]]


def store_documents(session: Session, access: ProjectAccess, inputs: Sequence[DocumentInput],
                    known: KnownDocuments | None = None) -> list[StoredDocument]:
    """Store documents not seen before, with their paragraphs; the same text again is a duplicate.

    Set-based, for imports of thousands: the known texts and the newest revision of every
    external id and url come in a few queries (none when ``known`` has them already), documents
    and paragraphs are inserted with one executemany (SQLite) or COPY (PostgreSQL) each. Runs in
    the caller's transaction (the view or CLI commits), so a batch is all or nothing.
    """
    return write_documents(session, access, plan_documents(session, access, inputs, known))


def plan_documents(session: Session, access: ProjectAccess, inputs: Sequence[DocumentInput],
                   known: KnownDocuments | None = None) -> DocumentBatch:
    """Which inputs are new, duplicates or revisions; on PostgreSQL the new ones get their ids here.

    Writes nothing but the id sequence: the batch may then be written on another connection
    (``write_documents``), as long as batches are planned in order with the same ``known``.
    """
    known = known or KnownDocuments()
    known.load(session, access.project.id, inputs)
    by_hash, by_external, by_url = known.by_hash, known.by_external, known.by_url
    results: list[StoredDocument] = []
    new: list[tuple[StoredDocument, DocumentInput]] = []
    for data in inputs:
        original = by_hash.get(data.canonical.sha256)
        if original is not None:
            results.append(StoredDocument(original.id, "duplicate", original.revision, original=original))
            continue
        previous = (by_external.get(data.external_id) if data.external_id
                    else by_url.get(data.url) if data.url else None)
        record = StoredDocument(0, "revision" if previous else "created", previous.revision + 1 if previous else 1,
                                previous)
        new.append((record, data))
        results.append(record)
        by_hash[data.canonical.sha256] = record
        for key, latest in ((data.external_id, by_external), (data.url, by_url)):
            if key and (key not in latest or latest[key].revision <= record.revision):
                latest[key] = record
    if new and session.get_bind().dialect.name == "postgresql":
        ids = session.execute(sa.text("SELECT nextval(pg_get_serial_sequence('documents', 'id')) "
                                      "FROM generate_series(1, :n)"), {"n": len(new)}).scalars().all()
        for (record, _), document_id in zip(new, ids, strict=True):
            record.id = document_id
    return DocumentBatch(results, new)


def write_documents(session: Session, access: ProjectAccess, batch: DocumentBatch) -> list[StoredDocument]:
    """Insert a planned batch: documents, paragraphs, annotations carried over to revisions, the audit row."""
    if session.get_bind().dialect.name == "postgresql":
        _copy_documents(session, access, batch.new)
    else:
        pending: list[tuple[StoredDocument, DocumentInput]] = []
        for record, data in batch.new:
            if record.previous is not None and not record.previous.id:
                # A revision of a document of this same batch: that one needs its id first.
                _insert_documents(session, access, pending)
                pending = []
            pending.append((record, data))
        _insert_documents(session, access, pending)
    for record, data in batch.new:
        if record.previous is None:
            continue
        if record.previous.status == "existing":
            record.anchors = carry_over_annotations(session, record.previous.id, record.id, data.canonical)
        else:  # a document of this import: nothing annotated on it yet
            record.anchors = {"exact": 0, "moved": 0, "orphaned": 0}
    for result in batch.results:
        if result.original is not None:
            result.id = result.original.id
    if batch.new:
        ids = [record.id for record, _ in batch.new]
        audit.record(session, access.user, "import", "document", ids[0] if len(ids) == 1 else None,
                     access.project.id, after={"documents": ids[:1000], "count": len(ids)})
    return batch.results


def _document_rows(access: ProjectAccess, pending: list[tuple[StoredDocument, DocumentInput]]) -> list[dict[str, Any]]:
    now = utcnow()
    return [{
        "project_id": access.project.id, "title": data.title, "text": data.canonical.text,
        "text_hash": data.canonical.sha256, "source": data.source, "url": data.url, "author": data.author,
        "published": data.published, "external_id": data.external_id, "meta": data.meta,
        "revision": record.revision, "previous_id": record.previous_id, "created_by_id": access.user.id,
        "created_at": now,
    } for record, data in pending]


def _insert_documents(session: Session, access: ProjectAccess,
                      pending: list[tuple[StoredDocument, DocumentInput]]) -> None:
    """SQLite: insert documents (ids set on their records) and their paragraphs."""
    if not pending:
        return
    documents = Document.__table__
    ids = session.execute(documents.insert().returning(documents.c.id, sort_by_parameter_order=True),
                          _document_rows(access, pending)).scalars()
    for (record, _), document_id in zip(pending, ids, strict=True):
        record.id = document_id
    session.execute(Paragraph.__table__.insert(), [
        {"document_id": record.id, "index": p.index, "start": p.start, "end": p.end}
        for record, data in pending for p in data.canonical.paragraphs
    ])


def _copy_documents(session: Session, access: ProjectAccess,
                    pending: list[tuple[StoredDocument, DocumentInput]]) -> None:
    """PostgreSQL: documents (ids drawn by ``plan_documents``) and paragraphs by COPY.

    A multi-row INSERT … RETURNING of a few hundred articles is a statement of megabytes with
    thousands of parameters that the driver splits and the server parses for every batch; COPY
    streams the rows (the search trigger still fires for each).
    """
    if not pending:
        return
    rows = _document_rows(access, pending)
    for (record, _), row in zip(pending, rows, strict=True):
        row["id"] = record.id
        row["meta"] = json.dumps(row["meta"])
    cursor = session.connection().connection.cursor()
    try:
        columns = list(rows[0])
        quoted = ", ".join(f'"{column}"' for column in columns)
        with cursor.copy(f"COPY documents ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
        with cursor.copy('COPY paragraphs (document_id, "index", start, "end") FROM STDIN') as copy:
            for record, data in pending:
                for p in data.canonical.paragraphs:
                    copy.write_row((record.id, p.index, p.start, p.end))
    finally:
        cursor.close()


def import_documents(session: Session, access: ProjectAccess, inputs: Sequence[DocumentInput]) -> list[ImportResult]:
    """Store documents not seen before; the same text again returns the existing one.

    Runs in the caller's transaction: the view or CLI commits once, so a batch is all or nothing.
    """
    stored = store_documents(session, access, inputs)
    ids = sorted({record.id for record in stored})
    documents: dict[int, Document] = {}
    for offset in range(0, len(ids), LOOKUP_CHUNK):
        for document in session.scalars(sa.select(Document).where(Document.id.in_(ids[offset:offset + LOOKUP_CHUNK]))):
            documents[document.id] = document
    return [ImportResult(documents[record.id], record.status, record.anchors) for record in stored]


def _newest_by(session: Session, project_id: int, column: sa.ColumnElement[str | None],
               keys: set[str]) -> dict[str, StoredDocument]:
    """The newest stored revision for each of ``keys`` (text hashes, external ids or urls)."""
    documents = Document.__table__
    newest: dict[str, StoredDocument] = {}
    ordered = sorted(keys)
    for offset in range(0, len(ordered), LOOKUP_CHUNK):
        for key, document_id, revision in session.execute(
            sa.select(column, documents.c.id, documents.c.revision)
            .where(documents.c.project_id == project_id, column.in_(ordered[offset:offset + LOOKUP_CHUNK]))
        ):
            if key not in newest or revision > newest[key].revision:
                newest[key] = StoredDocument(document_id, "existing", revision)
    return newest


def carry_over_annotations(session: Session, previous_id: int, document_id: int,
                           canonical: CanonicalText) -> dict[str, int]:
    """Copy the previous revision's live claims and markers onto the new text, re-anchored.

    A span found at the same place is ``exact``, found elsewhere by quote and context is
    ``moved``; a claim or marker that cannot be re-found stays only on the old revision and is
    counted as ``orphaned`` (kept for review there, never attached to other words).
    """
    previous_text = session.scalar(sa.select(Document.text).where(Document.id == previous_id))
    assert previous_text is not None
    text, paragraphs = canonical.text, canonical.paragraphs
    counts = {"exact": 0, "moved": 0, "orphaned": 0}
    claims = session.scalars(
        sa.select(Claim).where(Claim.document_id == previous_id, Claim.deleted_at.is_(None))
        .options(sa.orm.selectinload(Claim.segments), sa.orm.selectinload(Claim.stances))
    ).all()
    for claim in claims:
        placed = [reanchor(previous_text, text, s.start, s.end) for s in claim.segments]
        optional = {}
        for name in ("source", "cue"):
            start, end = getattr(claim, f"{name}_start"), getattr(claim, f"{name}_end")
            optional[name] = reanchor(previous_text, text, start, end) if start is not None else None
        if any(p is None for p in placed) or any(
            getattr(claim, f"{n}_start") is not None and optional[n] is None for n in ("source", "cue")
        ):
            counts["orphaned"] += 1
            claim.anchor = "orphaned"
            continue
        status = "moved" if any(p[2] == "moved" for p in placed if p) else "exact"
        counts[status] += 1
        copy = Claim(
            project_id=claim.project_id, document_id=document_id, annotator_id=claim.annotator_id,
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
                setattr(copy, f"{name}_text", text[start:end])
        copy.segments = [
            ClaimSegment(ordinal=i, start=p[0], end=p[1], text=text[p[0]:p[1]],
                         paragraph=paragraph_index_at(paragraphs, p[0]))
            for i, p in enumerate(placed) if p
        ]
        copy.stances = [ClaimStance(target=s.target, value=s.value) for s in claim.stances]
        session.add(copy)
    for marker in session.scalars(
        sa.select(BiasMarker).where(BiasMarker.document_id == previous_id, BiasMarker.deleted_at.is_(None))
    ):
        placed_marker = reanchor(previous_text, text, marker.start, marker.end)
        if placed_marker is None:
            counts["orphaned"] += 1
            marker.anchor = "orphaned"
            continue
        counts[placed_marker[2]] += 1
        session.add(BiasMarker(
            project_id=marker.project_id, document_id=document_id, annotator_id=marker.annotator_id,
            layer=marker.layer, codebook_version=marker.codebook_version, start=placed_marker[0],
            end=placed_marker[1], text=text[placed_marker[0]:placed_marker[1]],
            bias_type=marker.bias_type, target=marker.target, polarity=marker.polarity, note=marker.note,
            anchor=placed_marker[2],
        ))
    session.flush()
    return counts


def get_document_access(session: Session, user: Any, document_id: int) -> tuple[Document, ProjectAccess]:
    """The document and the caller's access to its project; NotFound for ids of other projects."""
    document, access = document_access(session, user, document_id)
    require_document(session, access, document.id)
    return document, access


# Built once: every claim save and document fetch reads the paragraphs (see claims.py on why).
_PARAGRAPH_SPANS = (sa.select(Paragraph.index, Paragraph.start, Paragraph.end)
                    .where(Paragraph.document_id == sa.bindparam("document_id")).order_by(Paragraph.index))


# A document's paragraphs by (id, text hash). A document's text is never edited (a new text is a
# new revision with its own id), and its paragraphs are a function of that canonical text, so an
# entry can never go stale, even if a deleted document's id were used again. Every claim save
# checks its spans against them; they were one of its six reads.
_PARAGRAPHS_BY_TEXT: dict[tuple[int, str], tuple[ParagraphSpan, ...]] = {}
_PARAGRAPHS_BY_TEXT_MAX = 4096


def paragraph_spans(session: Session, document: Document) -> tuple[ParagraphSpan, ...]:
    key = (document.id, document.text_hash)
    spans = _PARAGRAPHS_BY_TEXT.get(key)
    if spans is None:
        spans = tuple(ParagraphSpan(index, start, end)
                      for index, start, end in session.execute(_PARAGRAPH_SPANS, {"document_id": document.id}))
        if len(_PARAGRAPHS_BY_TEXT) >= _PARAGRAPHS_BY_TEXT_MAX:
            _PARAGRAPHS_BY_TEXT.clear()  # a bound on memory; cheaper than an LRU for what it saves
        _PARAGRAPHS_BY_TEXT[key] = spans
    return spans


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
