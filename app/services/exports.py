"""Exports: one consistent snapshot, read in batches of documents with Core queries, streamed.

The service yields ``DocumentBundle``s (app/export/model.py) one document at a time; the
writers in ``app.export`` turn them into bytes. Memory stays flat whatever the project's size.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import gc
import json
import re
import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.db import DriverQuery
from app.domain.codebook import CodebookView
from app.errors import DomainError, Forbidden
from app.export import WRITERS, ExportFormat
from app.export.model import (
    ClaimCodes,
    ClaimOut,
    DocumentBundle,
    DocumentOut,
    ExportContext,
    LabelsOut,
    MarkerOut,
    RowBundle,
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


# Documents per batch adapt so that a batch holds about this many claims: a big batch keeps the
# queries few, a small one keeps memory flat and the first byte quick.
CLAIMS_PER_BATCH = 5000
FIRST_BATCH_DOCUMENTS = 20
MAX_BATCH_DOCUMENTS = 2000


def _timestamp_text(column: Any, dialect: str) -> Any:
    """A UTC timestamp column as text ``YYYY-MM-DD HH:MM:SS.ffffff`` (SQLite stores it so)."""
    if dialect == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD HH24:MI:SS.US")
    return sa.type_coerce(column, sa.String)


def _json_text(column: Any) -> Any:
    return sa.cast(column, sa.Text)


def _json_rows(statement: Any) -> Any:
    """SQLite: the rows of ``statement``, in its order, as one JSON array of arrays (a scalar sub-select)."""
    rows = statement.subquery()
    return sa.select(sa.func.json_group_array(sa.func.json_array(*rows.c))).scalar_subquery()


def _stances_json(dialect: str) -> Any:
    """A claim's stances as one JSON array ``[[target, value], …]`` in target order (NULL or ``[]``: none)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import aggregate_order_by

        aggregate = sa.func.json_agg(aggregate_order_by(
            sa.func.json_build_array(ClaimStance.target, ClaimStance.value), ClaimStance.target.collate("C")))
        return sa.select(aggregate).where(ClaimStance.claim_id == Claim.id).scalar_subquery()
    # SQLite visits the stances through the (claim_id, target) index: in target order.
    return (sa.select(sa.func.json_group_array(sa.func.json_array(ClaimStance.target, ClaimStance.value)))
            .where(ClaimStance.claim_id == Claim.id).scalar_subquery())


def _codes_key(dialect: str) -> Any:
    """The claim's recurring fields as one JSON text: ``ClaimOut.codes_key``.

    Most claims of an export share a few hundred combinations of annotator, codes, speaker and
    stances. The database writes them as one string, so a row brings one value instead of
    a dozen plus a row per stance, and each combination is decoded once per export (here, and
    again by the writers, which encode it once).
    """
    fields = (Claim.annotator_id, Claim.codebook_version, Claim.version, Claim.attribution,
              Claim.source_specificity, Claim.speaker_id, Claim.speaker_resolution, Claim.cue_valence,
              Claim.authorial_stance, Claim.claim_type, Claim.check_worthiness, _stances_json(dialect))
    if dialect == "postgresql":
        return sa.cast(sa.func.json_build_array(*fields), sa.Text)
    # Concatenated: plain text, not JSON, so that _json_rows embeds it as a string.
    return sa.func.json_array(*fields).concat("")


class _IsoTimestamps(dict[str | None, str]):
    """Stored timestamp text → the API's ISO 8601 form (``2025-01-01T09:30:00Z``, as ``presenters.iso``).

    Identical values recur (a claim's created and updated times, bulk imports), so results are
    kept, up to a bound; the canonical stored form is rewritten without parsing it.
    """

    LIMIT = 4096

    def __missing__(self, raw: str | None) -> str:
        if raw is None:
            return ""
        if len(raw) == 26 and raw[10] == " " and raw[19] == ".":
            text = f"{raw[:10]}T{raw[11:19]}Z" if raw.endswith(".000000") else f"{raw[:10]}T{raw[11:]}Z"
        else:
            moment = datetime.fromisoformat(raw)
            text = iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC)) or ""
        if len(self) >= self.LIMIT:
            self.clear()
        self[raw] = text
        return text


class _ClaimCodes(dict[str, ClaimCodes]):
    """``codes_key`` text → the ``ClaimCodes`` it stands for, decoded once per combination.

    Stances dicts are shared by the claims of a combination (read-only). Bounded, in case every
    claim of an export is a combination of its own.
    """

    LIMIT = 20_000

    def __init__(self, layer: str, users: dict[int, str], speakers: dict[int, SpeakerOut],
                 codebook: CodebookView) -> None:
        super().__init__()
        self._layer = layer
        self._users = users
        self._speakers = speakers
        self._codebook = codebook

    def __missing__(self, key: str) -> ClaimCodes:
        (annotator_id, codebook_version, version, attribution, specificity, speaker_id, resolution, valence,
         authorial, claim_type, worthiness, stances) = json.loads(key)
        if isinstance(stances, str):  # SQLite hands the sub-select's JSON over as text
            stances = json.loads(stances)
        codebook = self._codebook
        codes = ClaimCodes(
            self._users.get(annotator_id, ""), self._layer, codebook_version, version,
            attribution, specificity, self._speakers.get(speaker_id) if speaker_id else None, resolution, valence,
            {str(target): str(value) for target, value in stances or ()}, authorial, claim_type,
            codebook.claim_type_ff(claim_type), codebook.verifiable(claim_type), worthiness,
        )
        if len(self) >= self.LIMIT:
            self.clear()
        self[key] = codes
        return codes


@dataclass(slots=True)
class _Batch:
    """The rows of one batch of documents, as the driver returned them."""

    documents: list[tuple[Any, ...]]
    paragraphs: list[tuple[Any, ...]]
    claims: list[tuple[Any, ...]]
    markers: list[tuple[Any, ...]]
    labels: list[tuple[Any, ...]]


class _BundleReader:
    """Reads the export's rows a batch of documents at a time (a range of document ids per query)."""

    def __init__(self, session: Session, request: ExportRequest, speakers: dict[int, SpeakerOut],
                 rows: bool = False) -> None:
        self.request = request
        self.rows = rows
        self.speakers = speakers
        self.codebook = request.codebook
        dialect = session.connection().dialect.name
        self.prefetch = dialect == "postgresql"
        self.session = session
        self.users = dict(session.execute(sa.select(User.id, User.username)).tuples().all())
        lo, hi = sa.bindparam("lo", 0, type_=sa.Integer), sa.bindparam("hi", 0, type_=sa.Integer)
        project_id = request.access.project.id
        documents = sa.select(
            Document.id, Document.title, Document.text, Document.text_hash, Document.source, Document.url,
            Document.author, Document.published, Document.external_id, _json_text(Document.meta),
        ).where(Document.project_id == project_id, Document.id > lo)
        if request.document_ids is not None:
            # Checked ints, written into the SQL: the compiled statement then needs no expanding parameter.
            documents = documents.where(Document.id.in_([sa.literal_column(str(int(i))) for i in request.document_ids]))
        self.documents = DriverQuery(session, documents.order_by(Document.id).limit(
            sa.bindparam("limit", 1, type_=sa.Integer)))
        paragraphs = sa.select(
            Paragraph.document_id, Paragraph.start, Paragraph.end,
        ).where(Paragraph.document_id.between(lo, hi)).order_by(Paragraph.document_id, Paragraph.index)
        self.paragraphs = DriverQuery(session, paragraphs)
        # Claims joined with their content segments (one row per segment, in order), stances
        # aggregated per claim. Filtered by a range of document ids, not the project: the
        # (document_id, layer, annotator_id) index then serves the range; rows of other projects'
        # documents in that range are dropped by the caller.
        segments: Any = ClaimSegment.__table__
        on: Any = segments.c.claim_id == Claim.id
        if dialect == "postgresql":
            # PostgreSQL would hash the whole segments table for every batch (it expects that to
            # beat a few thousand index look-ups): a lateral sub-select with an OFFSET cannot be
            # flattened into a join, so it looks up each claim's segments by the (claim_id, ordinal) index.
            segments = (sa.select(ClaimSegment.start, ClaimSegment.end, ClaimSegment.text, ClaimSegment.paragraph,
                                  ClaimSegment.ordinal)
                        .where(ClaimSegment.claim_id == Claim.id).offset(0).lateral("segment"))
            on = sa.true()
        # In CLAIM_ROW_FIELDS order: numbers, codes and timestamps (ASCII as a rule), then the texts.
        claim_numbers = (
            Claim.id, Claim.document_id, _codes_key(dialect), Claim.source_start, Claim.source_end,
            Claim.cue_start, Claim.cue_end,
            _timestamp_text(Claim.created_at, dialect), _timestamp_text(Claim.updated_at, dialect),
            segments.c.start, segments.c.end, segments.c.paragraph,
        )
        claim_texts = (Claim.source_text, Claim.cue_text, _json_text(Claim.verification), Claim.note, segments.c.text)
        claims = (sa.select(
            *claim_numbers, *claim_texts).select_from(Claim).outerjoin(segments, on)
            .where(Claim.document_id.between(lo, hi), *_row_filter(Claim, request))
            .order_by(Claim.document_id, Claim.id, segments.c.ordinal))
        self.claims = DriverQuery(session, claims)
        markers = (sa.select(
            BiasMarker.id, BiasMarker.document_id, BiasMarker.annotator_id, BiasMarker.layer,
            BiasMarker.codebook_version, BiasMarker.version, BiasMarker.start, BiasMarker.end, BiasMarker.text,
            BiasMarker.bias_type, BiasMarker.target, BiasMarker.polarity, BiasMarker.note,
            _timestamp_text(BiasMarker.created_at, dialect), _timestamp_text(BiasMarker.updated_at, dialect),
        ).where(BiasMarker.document_id.between(lo, hi), *_row_filter(BiasMarker, request))
            .order_by(BiasMarker.document_id, BiasMarker.id))
        self.markers = DriverQuery(session, markers)
        labels = (sa.select(
            ArticleLabel.document_id, ArticleLabel.annotator_id, ArticleLabel.layer, ArticleLabel.outlet,
            ArticleLabel.ownership, ArticleLabel.genre, ArticleLabel.frame, _json_text(ArticleLabel.slant),
            ArticleLabel.omissions, ArticleLabel.notes, ArticleLabel.version,
        ).where(ArticleLabel.document_id.between(lo, hi), *_row_filter(ArticleLabel, request))
            .order_by(ArticleLabel.document_id, ArticleLabel.annotator_id, ArticleLabel.layer))
        self.labels = DriverQuery(session, labels)
        self.timestamps = _IsoTimestamps()
        self.codes = _ClaimCodes(request.layer, self.users, speakers, request.codebook)
        if dialect == "sqlite":
            # A batch's paragraphs, claims, markers and labels in one statement, each as one JSON
            # array: SQLite computes it in a single step, without the GIL (see _sqlite_bundles).
            # The claims come as two arrays of the same rows, their numbers and their texts, and their
            # codes_keys as lines: Python's JSON decoder reads an ASCII text without escapes several
            # times as fast as one with other characters (the texts) or escaped quotes (a key
            # embedded in JSON). A key is JSON text from json_array, which holds no line break.
            claim_rows = claims.subquery()
            columns = list(claim_rows.c)
            width = len(claim_numbers)
            claim_arrays = sa.select(
                sa.func.json_group_array(sa.func.json_array(*columns[:2], sa.null(), *columns[3:width])),
                sa.func.json_group_array(sa.func.json_array(*columns[width:])),
                sa.func.group_concat(columns[2], "\n"),
            ).subquery()
            self.batch_json = DriverQuery(session, sa.select(
                _json_rows(paragraphs), *claim_arrays.c, _json_rows(markers), _json_rows(labels)))

    def _fetch(self, connection: sa.Connection, after: int, limit: int) -> _Batch:
        """The rows of the next ``limit`` documents after id ``after``: the database's share of the work."""
        documents = self.documents.rows(connection, lo=after, limit=limit)
        if not documents:
            return _Batch(documents, [], [], [], [])
        lo, hi = documents[0][0], documents[-1][0]
        return _Batch(documents, self.paragraphs.rows(connection, lo=lo, hi=hi),
                      self.claims.rows(connection, lo=lo, hi=hi), self.markers.rows(connection, lo=lo, hi=hi),
                      self.labels.rows(connection, lo=lo, hi=hi))

    def _next_size(self, batch: _Batch) -> int:
        """Documents for the next batch: about CLAIMS_PER_BATCH claims (segment rows, near enough)."""
        return self._size_after(len(batch.documents), len(batch.claims))

    @staticmethod
    def _size_after(documents: int, segment_rows: int) -> int:
        """``_next_size`` after a batch of so many documents and claim rows (one per content segment)."""
        per_document = max(segment_rows / documents, 1.0)
        return max(1, min(MAX_BATCH_DOCUMENTS, int(CLAIMS_PER_BATCH / per_document)))

    def bundles(self) -> Iterator[DocumentBundle | RowBundle]:
        if self.prefetch:
            yield from self._prefetched_bundles()
        else:
            yield from self._sqlite_bundles()

    def _sqlite_bundles(self) -> Iterator[DocumentBundle | RowBundle]:
        """SQLite: a reader thread computes the next batch while this one becomes bundles and bytes.

        sqlite3 releases the GIL around every step of a statement, so a reader thread fetching
        rows would wait a switch interval (5 ms) to get it back, per row. It runs one statement
        per batch instead, whose single row holds the batch's paragraphs, claims, markers and
        labels as JSON arrays: SQLite builds them in one step without the GIL, and this thread
        decodes them (about a third of what fetching the rows costs). The documents of a batch,
        which give its id range, are read here while the reader is idle. One connection in one
        read transaction: every batch comes from the same snapshot, and the request's session
        may be closed (as a streamed response's is when the view returns) meanwhile.
        """
        engine = self.session.get_bind()
        loads = json.loads
        with engine.connect() as connection, connection.begin(), \
                concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-read") as reader:
            documents = self.documents.rows(connection, lo=0, limit=FIRST_BATCH_DOCUMENTS)
            pending = None
            try:
                if documents:
                    pending = reader.submit(self.batch_json.rows, connection, lo=documents[0][0], hi=documents[-1][0])
                while documents:
                    assert pending is not None
                    paragraphs, numbers, texts, keys, markers, labels = pending.result()[0]
                    # The next batch is started before this one is decoded, so that the reader works
                    # while this thread decodes as well as while it writes. Its size needs the number
                    # of claim rows only: one key a row, one line a key.
                    segment_rows = keys.count("\n") + 1 if keys else 0
                    next_documents = self.documents.rows(connection, lo=documents[-1][0],
                                                         limit=self._size_after(len(documents), segment_rows))
                    if next_documents:
                        pending = reader.submit(self.batch_json.rows, connection, lo=next_documents[0][0],
                                                hi=next_documents[-1][0])
                    paragraphs, numbers, texts, markers, labels = [
                        loads(text) if text else [] for text in (paragraphs, numbers, texts, markers, labels)]
                    for row, row_texts, key in zip(numbers, texts, keys.split("\n") if keys else (), strict=True):
                        row[2] = key  # a claim row: its numbers with its key, then its texts
                        row += row_texts
                    yield from self._bundles(_Batch(documents, paragraphs, numbers, markers, labels))
                    documents = next_documents
            finally:
                if pending is not None:
                    pending.cancel()
                    concurrent.futures.wait([pending])  # the connection is closed only once it is idle

    def _prefetched_bundles(self) -> Iterator[DocumentBundle | RowBundle]:
        """PostgreSQL: a reader thread fetches the next batch while this one becomes bundles and bytes.

        The server runs the queries in its own process and the driver waits for a whole result
        without the GIL, so the two overlap on two cores. The reader has a connection of its own,
        in one REPEATABLE READ transaction: every batch comes from the same snapshot, and the
        request's session may be closed (as a streamed response's is when the view returns)
        while a batch is being read.
        """
        engine = self.session.get_bind()
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection, \
                connection.begin(), \
                concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-read") as reader:
            pending = reader.submit(self._fetch, connection, 0, FIRST_BATCH_DOCUMENTS)
            try:
                while True:
                    batch = pending.result()
                    if not batch.documents:
                        return
                    pending = reader.submit(self._fetch, connection, batch.documents[-1][0],
                                            self._next_size(batch))
                    yield from self._bundles(batch)
            finally:
                pending.cancel()
                concurrent.futures.wait([pending])  # the connection is closed only once it is idle

    def _bundles(self, batch: _Batch) -> Iterator[DocumentBundle | RowBundle]:
        counts = self.request.counts
        documents = batch.documents
        wanted = {row[0] for row in documents}
        paragraphs: dict[int, list[tuple[int, int]]] = {doc_id: [] for doc_id in wanted}
        for doc_id, start, end in batch.paragraphs:
            if doc_id in wanted:
                paragraphs[doc_id].append((start, end))
        markers_by_doc = self._markers(batch.markers, wanted)
        labels_by_doc = self._labels(batch.labels, wanted)
        if self.rows:
            rows_by_doc, more = self._claim_rows(batch.claims, wanted)
            codes = self.codes
            timestamps = self.timestamps
        else:
            claims_by_doc = self._claims(batch.claims, wanted)
        for (doc_id, title, text, text_hash, source, url, author, published, external_id, meta) in documents:
            document = DocumentOut(
                id=doc_id, title=title, text=text, text_hash=text_hash, paragraphs=paragraphs[doc_id],
                source=source, url=url, author=author, published=published, external_id=external_id,
                meta=dict(json.loads(meta) or {}) if meta else {})
            markers = markers_by_doc.get(doc_id, [])
            counts["documents"] = counts.get("documents", 0) + 1
            if self.rows:
                rows = rows_by_doc.get(doc_id, [])
                overlaps = _row_overlaps(rows, more, codes, markers) if markers else {}
                counts["claims"] = counts.get("claims", 0) + len(rows)
                yield RowBundle(document, rows, markers, labels_by_doc.get(doc_id, []), codes, timestamps,
                                more, overlaps)
                continue
            claims = claims_by_doc.get(doc_id, [])
            if markers:
                _derive_overlaps(claims, markers)
            counts["claims"] = counts.get("claims", 0) + len(claims)
            yield DocumentBundle(document=document, claims=claims, markers=markers,
                                 labels=labels_by_doc.get(doc_id, []))

    @staticmethod
    def _claim_rows(rows: list[Any], wanted: set[int]
                    ) -> tuple[dict[int, list[Any]], dict[int, list[tuple[int, int, str, int | None]]]]:
        """The batch's claim rows by document (one row per claim: its first segment), and the
        further segments of the claims that have several."""
        rows_by_doc: dict[int, list[Any]] = {}
        more: dict[int, list[tuple[int, int, str, int | None]]] = {}
        group: list[Any] = []
        append = group.append
        last_doc = last_id = None
        for row in rows:
            claim_id = row[0]
            if claim_id == last_id:  # a further segment of the claim just seen
                if row[1] in wanted:
                    more.setdefault(claim_id, []).append((row[9], row[10], row[16], row[11]))
                continue
            last_id = claim_id
            doc_id = row[1]
            if doc_id != last_doc:
                if doc_id not in wanted:  # a document of another project within the id range
                    continue
                last_doc = doc_id
                group = rows_by_doc[doc_id] = []
                append = group.append
            append(row)
        return rows_by_doc, more

    def _claims(self, rows: list[tuple[Any, ...]], wanted: set[int]) -> dict[int, list[ClaimOut]]:
        """The batch's claims by document, in claim id order, each with its segments in order."""
        timestamps = self.timestamps
        codes = self.codes
        loads = json.loads
        claims_by_doc: dict[int, list[ClaimOut]] = {}
        group: list[ClaimOut] = []
        last_doc = last_id = None
        content: list[SpanOut] = []
        for (claim_id, doc_id, key, source_start, source_end, cue_start, cue_end, created, updated, start, end,
             paragraph, source_text, cue_text, verification, note, text) in rows:
            if claim_id == last_id:  # a further segment of the claim just made
                content.append(SpanOut(start, end, text, paragraph))
                continue
            last_id = claim_id
            content = [] if start is None else [SpanOut(start, end, text, paragraph)]
            if doc_id != last_doc:
                if doc_id not in wanted:  # a document of another project within the id range
                    continue
                last_doc = doc_id
                group = claims_by_doc[doc_id] = []
            c = codes[key]
            group.append(ClaimOut(
                claim_id, doc_id, c.annotator, c.layer, c.codebook_version, c.version, content,
                None if source_start is None else SpanOut(source_start, source_end or 0, source_text or ""),
                None if cue_start is None else SpanOut(cue_start, cue_end or 0, cue_text or ""),
                c.attribution, c.source_specificity, c.speaker, c.speaker_resolution, c.cue_valence, c.stances,
                c.authorial_stance, c.claim_type, c.claim_type_ff, c.verifiable, c.check_worthiness,
                None if verification is None else loads(verification), note,
                timestamps[created], timestamps[updated], 0, key))
        return claims_by_doc

    def _markers(self, rows: list[tuple[Any, ...]], wanted: set[int]) -> dict[int, list[MarkerOut]]:
        users = self.users
        timestamps = self.timestamps
        markers_by_doc: dict[int, list[MarkerOut]] = defaultdict(list)
        for (marker_id, doc_id, annotator_id, layer, codebook_version, version, start, end, text, bias_type, target,
             polarity, note, created, updated) in rows:
            if doc_id in wanted:
                markers_by_doc[doc_id].append(MarkerOut(
                    id=marker_id, document_id=doc_id, annotator=users.get(annotator_id, ""), layer=layer,
                    codebook_version=codebook_version, version=version, span=SpanOut(start, end, text),
                    bias_type=bias_type, target=target, polarity=polarity, in_quote=False, note=note,
                    created_at=timestamps[created], updated_at=timestamps[updated]))
        return markers_by_doc

    def _labels(self, rows: list[tuple[Any, ...]], wanted: set[int]) -> dict[int, list[LabelsOut]]:
        users = self.users
        labels_by_doc: dict[int, list[LabelsOut]] = defaultdict(list)
        for (doc_id, annotator_id, layer, outlet, ownership, genre, frame, slant, omissions, notes,
             version) in rows:
            if doc_id in wanted:
                labels_by_doc[doc_id].append(LabelsOut(
                    document_id=doc_id, annotator=users.get(annotator_id, ""), layer=layer, outlet=outlet,
                    ownership=ownership, genre=genre, frame=frame,
                    slant=dict(json.loads(slant) or {}) if slant else {}, omissions=omissions, notes=notes,
                    version=version))
        return labels_by_doc


def iter_bundles(session: Session, request: ExportRequest, speakers: dict[int, SpeakerOut],
                 rows: bool = False) -> Iterator[DocumentBundle | RowBundle]:
    """Every selected document with its claims, markers and labels, a batch of documents at a time:
    ``RowBundle``s with ``rows`` (for the writers that read them), else ``DocumentBundle``s."""
    return _BundleReader(session, request, speakers, rows).bundles()


def _row_overlaps(rows: list[Any], more: dict[int, list[tuple[int, int, str, int | None]]],
                  codes: Any, markers: list[MarkerOut]) -> dict[int, int]:
    """``_derive_overlaps`` for claim rows: sets the markers' in_quote, returns the claims' counts."""
    overlaps: dict[int, int] = {}
    for marker in markers:
        m_start, m_end = marker.span.start, marker.span.end
        for row in rows:
            if row[9] is None or codes[row[2]].attribution == "authorial":
                continue
            segments = [(row[9], row[10]), *[(s[0], s[1]) for s in more.get(row[0], ())]]
            if any(start < m_end and m_start < end for start, end in segments):
                marker.in_quote = True
                overlaps[row[0]] = overlaps.get(row[0], 0) + 1
    return overlaps


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


class _CollectorPause:
    """Keeps the cyclic garbage collector out of the way while exports run.

    An export allocates millions of short-lived objects (rows, claims, spans) and no reference
    cycles, and each allocation burst sets off a collection that walks every object of the
    application: that took two thirds of an export's CPU time. While any export runs, the
    objects that existed before it are frozen (left out of collections) and the youngest
    generation is collected less often; the last export to finish restores both. Objects
    made meanwhile, by exports or anything else, are still collected.
    """

    YOUNG_THRESHOLD = 50_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._saved = gc.get_threshold()

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._users == 0:
                self._saved = gc.get_threshold()
                gc.freeze()
                gc.set_threshold(max(self._saved[0], self.YOUNG_THRESHOLD), *self._saved[1:])
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    gc.set_threshold(*self._saved)
                    gc.unfreeze()


_collector_paused = _CollectorPause()


def _without_collector(chunks: Iterator[bytes]) -> Iterator[bytes]:
    with _collector_paused():
        yield from chunks


def export_chunks(session: Session, request: ExportRequest) -> Iterator[bytes]:
    ctx, speakers = export_context(session, request)
    return _without_collector(request.format.writer(
        ctx, iter_bundles(session, request, speakers, rows=request.format.reads_rows)))


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
