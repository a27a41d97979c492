"""The export's database read path: the same bundles as a plain ORM reading, and keyed claims.

``app.services.exports`` reads with compiled Core queries on the driver's cursor, aggregates
stances and the recurring claim fields in SQL, and converts timestamps from their stored text.
``reference_bundles`` is the straightforward ORM reading it replaced, kept here as the
definition: the two must give equal bundles, and the writers equal bytes.
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from bundles import bundles, context

from app.db import get_session
from app.export import WRITERS, streams, tabular
from app.export.model import (
    ClaimOut,
    DocumentBundle,
    DocumentOut,
    LabelsOut,
    MarkerOut,
    RowBundle,
    SpanOut,
    SpeakerOut,
)
from app.models import ArticleLabel, BiasMarker, Claim, ClaimSegment, ClaimStance, Document, Paragraph, User
from app.presenters import iso
from app.services import exports
from app.services.projects import ProjectAccess
from tests.conftest import seed_document_id
from tests.demo_fixture import annotate_demo


def reference_bundles(session: Any, request: exports.ExportRequest,
                      speakers: dict[int, SpeakerOut]) -> Iterator[DocumentBundle]:
    """Every selected document with its claims, markers and labels, read through the ORM."""
    codebook = request.codebook
    users = dict(session.execute(sa.select(User.id, User.username)).tuples().all())
    stmt = sa.select(Document).where(Document.project_id == request.access.project.id).order_by(Document.id)
    if request.document_ids is not None:
        stmt = stmt.where(Document.id.in_(request.document_ids))
    for document in session.scalars(stmt).all():
        paragraphs = [(p.start, p.end) for p in session.scalars(
            sa.select(Paragraph).where(Paragraph.document_id == document.id).order_by(Paragraph.index))]
        claims = []
        for claim in session.scalars(sa.select(Claim).where(
                Claim.document_id == document.id, *exports._row_filter(Claim, request)).order_by(Claim.id)):
            segments = session.scalars(sa.select(ClaimSegment).where(ClaimSegment.claim_id == claim.id)
                                       .order_by(ClaimSegment.ordinal))
            stances = session.scalars(sa.select(ClaimStance).where(ClaimStance.claim_id == claim.id)
                                      .order_by(ClaimStance.target))
            claims.append(ClaimOut(
                id=claim.id, document_id=claim.document_id, annotator=users.get(claim.annotator_id, ""),
                layer=claim.layer, codebook_version=claim.codebook_version, version=claim.version,
                content=[SpanOut(s.start, s.end, s.text, s.paragraph) for s in segments],
                source=None if claim.source_start is None else SpanOut(claim.source_start, claim.source_end or 0,
                                                                        claim.source_text or ""),
                cue=None if claim.cue_start is None else SpanOut(claim.cue_start, claim.cue_end or 0,
                                                                  claim.cue_text or ""),
                attribution=claim.attribution, source_specificity=claim.source_specificity,
                speaker=speakers.get(claim.speaker_id) if claim.speaker_id else None,
                speaker_resolution=claim.speaker_resolution, cue_valence=claim.cue_valence,
                stances={s.target: s.value for s in stances}, authorial_stance=claim.authorial_stance,
                claim_type=claim.claim_type, claim_type_ff=codebook.claim_type_ff(claim.claim_type),
                verifiable=codebook.verifiable(claim.claim_type), check_worthiness=claim.check_worthiness,
                verification=claim.verification, note=claim.note,
                created_at=iso(claim.created_at) or "", updated_at=iso(claim.updated_at) or ""))
        markers = [MarkerOut(
            id=m.id, document_id=m.document_id, annotator=users.get(m.annotator_id, ""), layer=m.layer,
            codebook_version=m.codebook_version, version=m.version, span=SpanOut(m.start, m.end, m.text),
            bias_type=m.bias_type, target=m.target, polarity=m.polarity, in_quote=False, note=m.note,
            created_at=iso(m.created_at) or "", updated_at=iso(m.updated_at) or "",
        ) for m in session.scalars(sa.select(BiasMarker).where(
            BiasMarker.document_id == document.id, *exports._row_filter(BiasMarker, request)).order_by(BiasMarker.id))]
        labels_by_doc: dict[int, list[LabelsOut]] = defaultdict(list)
        for label in session.scalars(sa.select(ArticleLabel).where(
                ArticleLabel.document_id == document.id, *exports._row_filter(ArticleLabel, request))
                .order_by(ArticleLabel.annotator_id, ArticleLabel.layer)):
            labels_by_doc[label.document_id].append(LabelsOut(
                document_id=label.document_id, annotator=users.get(label.annotator_id, ""), layer=label.layer,
                outlet=label.outlet, ownership=label.ownership, genre=label.genre, frame=label.frame,
                slant=dict(label.slant or {}), omissions=label.omissions, notes=label.notes, version=label.version))
        exports._derive_overlaps(claims, markers)
        yield DocumentBundle(
            document=DocumentOut(
                id=document.id, title=document.title, text=document.text, text_hash=document.text_hash,
                paragraphs=paragraphs, source=document.source, url=document.url, author=document.author,
                published=document.published, external_id=document.external_id, meta=dict(document.meta or {})),
            claims=claims, markers=markers, labels=labels_by_doc.get(document.id, []))


def unkeyed(bundle: DocumentBundle) -> DocumentBundle:
    return dataclasses.replace(bundle, claims=[dataclasses.replace(c, codes_key=None) for c in bundle.claims])


@pytest.fixture
def annotated(app: Any, as_user: Any) -> int:
    """The demo article coded by two annotators and in gold, with a verdict, markers and labels."""
    doc = seed_document_id(app)
    first = annotate_demo(as_user("annotator1"), doc)
    annotate_demo(as_user("annotator2"), doc)
    curator = as_user("curator")
    annotate_demo(curator, doc, layer="gold")
    verified = as_user("annotator1").patch(f"/api/v1/claims/{first[0]['id']}", {"version": 1, "verification": {
        "status": "mostly_false", "rating_text": "Figures disputed", "evidence": ["https://example.org/report"]}})
    assert verified.status_code == 200, verified.json
    text = as_user("annotator1").get(f"/api/v1/documents/{doc}").json["text"]
    for user, needle in (("annotator1", "Armenian-occupied"), ("annotator2", "provocation")):
        start = text.index(needle)
        response = as_user(user).post(f"/api/v1/documents/{doc}/markers", {
            "span": {"start": start, "end": start + len(needle)}, "bias_type": "contested_term",
            "target": "azerbaijan"})
        assert response.status_code == 201, response.json
    labels = as_user("annotator2").put(f"/api/v1/documents/{doc}/labels", {
        "outlet": "TRT World", "ownership": "state_public_broadcaster", "genre": "hard_news",
        "frame": "security_defense", "slant": {"T2": "against", "T1": "favor"}, "omissions": "=1+1"})
    assert labels.status_code == 200, labels.json
    return doc


@pytest.mark.parametrize(("annotator", "gold", "documents"), [
    (None, False, None), ("annotator2", False, None), (None, True, None), (None, False, "seed"),
])
def test_service_reads_what_the_orm_reads(app: Any, annotated: int, annotator: str | None, gold: bool,
                                          documents: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "FIRST_BATCH_DOCUMENTS", 1)  # several batches even for a small project
    with app.app_context():
        session = get_session()
        project = session.scalar(sa.select(exports.Document.project_id).where(Document.id == annotated))
        from app.models import Project

        admin = session.scalar(sa.select(User).where(User.username == "admin"))
        access = ProjectAccess(session.get(Project, project), admin, "admin")
        request = exports.parse_export_request(session, access, "jsonl", annotator, gold,
                                               str(annotated) if documents else None, "http://localhost")
        ctx, speakers = exports.export_context(session, request)
        expected = list(reference_bundles(session, request, speakers))
        got = list(exports.iter_bundles(session, request, speakers))
        assert sum(len(b.claims) for b in expected) > 0
        assert [unkeyed(b) for b in got] == expected
        if not gold:
            assert all(c.codes_key is not None for b in got for c in b.claims)
        for fmt in WRITERS:
            if fmt in ("spss", "stata"):  # the files hold the time they were written
                continue
            assert b"".join(WRITERS[fmt].writer(ctx, iter(got))) == b"".join(WRITERS[fmt].writer(ctx, iter(expected))), fmt


def keyed(bundle: DocumentBundle) -> DocumentBundle:
    """The bundle with ``codes_key`` set the way the service sets it: equal for equal recurring fields."""
    def key(c: ClaimOut) -> object:
        return repr((c.annotator, c.layer, c.codebook_version, c.version, c.attribution, c.source_specificity,
                     c.speaker, c.speaker_resolution, c.cue_valence, sorted(c.stances.items()), c.authorial_stance,
                     c.claim_type, c.claim_type_ff, c.verifiable, c.check_worthiness))

    return dataclasses.replace(bundle, claims=[dataclasses.replace(c, codes_key=key(c)) for c in bundle.claims])


@pytest.mark.parametrize("fmt", ["csv", "csv-raw", "jsonl"])
def test_keyed_claims_give_the_same_bytes(fmt: str) -> None:
    plain = b"".join(WRITERS[fmt].writer(context(), bundles() * 3))
    assert b"".join(WRITERS[fmt].writer(context(), [keyed(b) for b in bundles()] * 3)) == plain


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_download_streams_every_batch(app: Any, as_user: Any, annotated: int, fmt: str,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Over HTTP the view's session is closed once the response starts: later batches still read."""
    curator = as_user("curator")
    created = curator.post("/api/v1/projects/demo/documents", {"documents": [
        {"title": f"Later {n}", "text": f"“We will talk,” said Ilham Aliyev on day {n}."} for n in range(3)]})
    assert created.status_code in (200, 201), created.json
    for item in created.json["items"]:
        response = as_user("annotator1").post(f"/api/v1/documents/{item['id']}/claims", {
            "content": [{"start": 1, "end": 13}], "attribution": "direct", "speaker": "Aliyev"})
        assert response.status_code == 201, response.json
    monkeypatch.setattr(exports, "FIRST_BATCH_DOCUMENTS", 1)
    monkeypatch.setattr(exports, "CLAIMS_PER_BATCH", 1)  # one document a batch
    # Bytes handed on after every document, so the view returns before the last batch is read.
    monkeypatch.setattr(streams, "STREAM_CHUNK_BYTES", 1)
    monkeypatch.setattr(streams, "CSV_BUFFER_CHARS", 1)
    monkeypatch.setattr(tabular, "STREAM_CHUNK_BYTES", 1)
    response = curator.client.get(f"/api/v1/projects/demo/export?format={fmt}", buffered=False)
    assert response.status_code == 200
    body = b"".join(response.response)
    response.close()
    if fmt == "jsonl":
        records = [json.loads(line) for line in body.decode("utf-8").splitlines()]
        assert [r["doc_id"] for r in records] == [annotated, *[item["id"] for item in created.json["items"]]]
        assert [len(r["claims"]) for r in records[1:]] == [1, 1, 1]
    else:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            claims = archive.read("claims.csv").decode("utf-8-sig").splitlines()
        assert len(claims) == 1 + sum(1 for _ in range(3)) + len(annotate_demo_count(app, annotated))


def annotate_demo_count(app: Any, document_id: int) -> list[int]:
    with app.app_context():
        return list(get_session().scalars(sa.select(Claim.id).where(
            Claim.document_id == document_id, Claim.layer == "annotator", Claim.deleted_at.is_(None))))


TRICKY_TEXT = ("=SUM(A1) “Quoted,” he said; \"plain\" quotes\tand a tab.\n\n"
               "+1 rise, -2 fall, @handle and Çavuşoğlu’s words\u2028after a line separator.\n\n"
               "Emoji 😀 and the end.")


@pytest.fixture
def tricky(app: Any, as_user: Any, annotated: int) -> int:
    """A document whose spans and notes hold what CSV and JSON must escape or neutralise: quotes,
    commas, tabs, CR and LF, U+2028, non-BMP characters, text starting with = + - @; claims without
    a speaker or stances, with several segments, authorial, in gold; markers overlapping claims."""
    curator = as_user("curator")
    created = curator.post("/api/v1/projects/demo/documents", {"documents": [
        {"title": "=Tricky, \"title\"", "text": TRICKY_TEXT}]})
    assert created.status_code in (200, 201), created.json
    doc = created.json["items"][0]["id"]
    text = curator.get(f"/api/v1/documents/{doc}").json["text"]

    def span(needle: str) -> dict[str, Any]:
        start = text.index(needle)
        return {"start": start, "end": start + len(needle)}

    bodies = [
        ({"content": [span("=SUM(A1) “Quoted,”")], "attribution": "direct", "source_span": span("he said"),
          "note": "line one\r\nline two\ttab \"q\" \u2028 =1+1"}, "annotator1"),
        ({"content": [span("+1 rise"), span("-2 fall")], "attribution": "indirect", "speaker": "Aliyev",
          "stances": [{"target": "T1", "value": "favor"}], "cue_span": span("@handle")}, "annotator1"),
        ({"content": [span("Çavuşoğlu’s words\u2028after")], "attribution": "authorial", "note": "@note"},
         "annotator2"),
        ({"content": [span("Emoji 😀")], "attribution": "mixed", "layer": "gold",
          "stances": [{"target": "T2", "value": "against"}, {"target": "T1", "value": "neutral"}]}, "curator"),
    ]
    for body, user in bodies:
        response = as_user(user).post(f"/api/v1/documents/{doc}/claims", body)
        assert response.status_code == 201, (body, response.json)
    for user, needle in (("annotator1", "Quoted"), ("annotator2", "words"), ("annotator1", "rise, -2")):
        response = as_user(user).post(f"/api/v1/documents/{doc}/markers", {
            "span": span(needle), "bias_type": "contested_term", "target": "azerbaijan"})
        assert response.status_code == 201, response.json
    return doc


@pytest.mark.parametrize(("annotator", "gold", "documents"), [
    (None, False, None), ("annotator1", False, None), (None, True, None), (None, False, "tricky"),
])
def test_row_bundles_write_what_the_orm_reading_writes(app: Any, tricky: int, annotator: str | None, gold: bool,
                                                       documents: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSV and JSONL writers read the service's claim rows: byte for byte what they write from
    the plain ORM reading, tricky text, several batches, every filter."""
    monkeypatch.setattr(exports, "FIRST_BATCH_DOCUMENTS", 1)
    with app.app_context():
        session = get_session()
        from app.models import Project

        project = session.scalar(sa.select(Document.project_id).where(Document.id == tricky))
        admin = session.scalar(sa.select(User).where(User.username == "admin"))
        access = ProjectAccess(session.get(Project, project), admin, "admin")
        for fmt in ("csv", "csv-raw", "jsonl"):
            assert WRITERS[fmt].reads_rows
            request = exports.parse_export_request(session, access, fmt, annotator, gold,
                                                   str(tricky) if documents else None, "http://localhost")
            ctx, speakers = exports.export_context(session, request)
            expected = list(reference_bundles(session, request, speakers))
            assert sum(len(b.claims) for b in expected) > 0
            got = list(exports.iter_bundles(session, request, speakers, rows=True))
            assert all(isinstance(b, RowBundle) for b in got)
            if not gold:  # markers overlap claims (one of them authorial), and one claim has two segments
                assert any(b.overlaps for b in got) and any(b.more_segments for b in got)
            written = b"".join(WRITERS[fmt].writer(ctx, iter(expected)))
            assert b"".join(WRITERS[fmt].writer(ctx, iter(got))) == written, fmt
            # The service's own export (what the views and the CLI call) too; a zip's members, as its
            # headers hold the time of the export.
            assert members(b"".join(exports.export_chunks(session, request))) == members(written), fmt


def members(data: bytes) -> dict[str, bytes] | bytes:
    if not data.startswith(b"PK"):
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}
