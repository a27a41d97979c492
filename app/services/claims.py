"""Claims: create, update (optimistic locking), soft delete, list — every write audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.domain.codebook import CodebookView
from app.domain.spans import Span, SpanError, check_segments, check_span
from app.errors import Conflict, DomainError, Forbidden, NotFound
from app.models import Claim, ClaimSegment, ClaimStance, Document, Project, Speaker, User
from app.models.base import utcnow
from app.sanitize import safe_url
from app.services import audit
from app.services.assignments import mark_started, require_document
from app.services.documents import paragraph_spans
from app.services.projects import ProjectAccess, current_codebook, document_for_writing
from app.services.speakers import resolve_speaker

# Optional single-code fields and the codebook field that lists their codes.
CODED_FIELDS = {
    "source_specificity": "source_specificity",
    "speaker_resolution": "speaker_resolution",
    "cue_valence": "cue_valence",
    "authorial_stance": "authorial_stance",
    "claim_type": "claim_type",
    "check_worthiness": "check_worthiness",
}
MAX_NOTE = 10_000
EDITABLE = ("content", "source_span", "cue_span", "speaker", "attribution", "stances", "verification", "note",
            *CODED_FIELDS)


@dataclass
class DocumentContext:
    """What a write needs to know about its document, loaded once."""

    document: Document
    access: ProjectAccess
    codebook: CodebookView
    #: The user's assignment of the document as read (todo, in_progress, done; None: not assigned).
    assignment_status: str | None

    @property
    def project(self) -> Project:
        return self.access.project


def load_document_context(session: Session, user: User, document_id: int) -> DocumentContext:
    document, access, assignment_status = document_for_writing(session, user, document_id)
    require_document(session, access, document.id, assigned=assignment_status is not None)
    return DocumentContext(document, access, current_codebook(session, document.project_id), assignment_status)


def _code(codebook: CodebookView, field: str, value: Any, codebook_field: str, old: Any = None) -> str | None:
    if value is None or value == "":
        return None
    if value == old:
        return value  # unchanged values stay valid even if their code was retired since
    if not isinstance(value, str) or value not in codebook.active_codes(codebook_field):
        allowed = ", ".join(codebook.active_codes(codebook_field))
        raise DomainError(f"{field} must be one of: {allowed}", field)
    return value


def _optional_span(ctx: DocumentContext, paragraphs: Sequence[Any], value: Any, field: str) -> Span | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise DomainError(f"{field} is an object {{start, end, text?}}", field)
    try:
        return check_span(ctx.document.text, paragraphs, value.get("start"), value.get("end"), value.get("text"), field)
    except SpanError as exc:
        raise DomainError(str(exc), exc.field) from exc


def _stances(codebook: CodebookView, value: Any, old: dict[str, str]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, list):
        raise DomainError("stances is a list of {target, value}", "stances")
    result: dict[str, str] = {}
    for position, item in enumerate(value):
        where = f"stances[{position}]"
        if not isinstance(item, dict):
            raise DomainError("each stance is an object {target, value}", where)
        target, stance = item.get("target"), item.get("value")
        if not isinstance(target, str) or (target not in codebook.active_codes("targets") and target not in old):
            raise DomainError(f"unknown target; the codebook's targets are: "
                              f"{', '.join(codebook.active_codes('targets'))}", f"{where}.target")
        if target in result:
            raise DomainError(f"target {target} appears twice", f"{where}.target")
        if stance != old.get(target):
            _code(codebook, f"{where}.value", stance, "stance")
        if not isinstance(stance, str) or not stance:
            raise DomainError("value is required", f"{where}.value")
        result[target] = stance
    return result


def _verification(codebook: CodebookView, value: Any, checker: User) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise DomainError("verification is an object", "verification")
    status = _code(codebook, "verification.status", value.get("status") or "unverified", "verification_status")
    rating = value.get("rating_text")
    if rating is not None and (not isinstance(rating, str) or len(rating) > 500):
        raise DomainError("rating_text is text of at most 500 characters", "verification.rating_text")
    evidence_in = value.get("evidence") or []
    if not isinstance(evidence_in, list) or len(evidence_in) > 50:
        raise DomainError("evidence is a list of at most 50 {url, title, accessed_at, note}", "verification.evidence")
    evidence = []
    for position, item in enumerate(evidence_in):
        where = f"verification.evidence[{position}]"
        if isinstance(item, str):
            item = {"url": item}
        if not isinstance(item, dict) or not isinstance(item.get("url"), str) or not safe_url(item["url"]):
            raise DomainError("each piece of evidence needs an http(s) url", f"{where}.url")
        clean = {"url": item["url"].strip()}
        for key in ("title", "accessed_at", "note"):
            if item.get(key) is not None:
                if not isinstance(item[key], str) or len(item[key]) > 2000:
                    raise DomainError(f"{key} is text of at most 2000 characters", f"{where}.{key}")
                clean[key] = item[key]
        evidence.append(clean)
    # Who checked and when are facts the server records, never what a client says (no one can
    # sign a verdict in someone else's name).
    return {
        "status": status, "rating_text": rating, "evidence": evidence,
        "checked_by": checker.username, "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _note(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_NOTE:
        raise DomainError(f"note is text of at most {MAX_NOTE} characters", "note")
    if "\x00" in value:
        raise DomainError("note contains a NUL character", "note")
    return value


def _apply(session: Session, ctx: DocumentContext, claim: Claim, payload: dict[str, Any], creating: bool) -> None:
    """Check every given field against the document and codebook, then set it on the claim."""
    codebook = ctx.codebook
    paragraphs = paragraph_spans(session, ctx.document)
    if creating or "content" in payload:
        try:
            segments = check_segments(ctx.document.text, paragraphs, payload.get("content"))
        except SpanError as exc:
            raise DomainError(str(exc), exc.field) from exc
        _replace_segments(claim, segments, creating)
    for name in ("source", "cue"):
        key = f"{name}_span"
        if creating or key in payload:
            span = _optional_span(ctx, paragraphs, payload.get(key), key)
            setattr(claim, f"{name}_start", span.start if span else None)
            setattr(claim, f"{name}_end", span.end if span else None)
            setattr(claim, f"{name}_text", span.text if span else None)
    if creating or "attribution" in payload:
        attribution = _code(codebook, "attribution", payload.get("attribution"), "attribution",
                            None if creating else claim.attribution)
        if attribution is None:
            raise DomainError("attribution is required", "attribution")
        claim.attribution = attribution
    for field, codebook_field in CODED_FIELDS.items():
        if creating or field in payload:
            setattr(claim, field, _code(codebook, field, payload.get(field), codebook_field,
                                        None if creating else getattr(claim, field)))
    if creating or "speaker" in payload:
        reference = payload.get("speaker")
        if isinstance(reference, dict):
            reference = reference.get("id")
        speaker = None if reference in (None, "") else resolve_speaker(session, ctx.project.id, reference)
        claim.speaker_id = speaker.id if speaker else None
        set_committed_value(claim, "speaker", speaker)
    if creating or "stances" in payload:
        old = {} if creating else {s.target: s.value for s in claim.stances}
        stances = _stances(codebook, payload.get("stances"), old)
        if creating:
            claim.stances = [ClaimStance(target=t, value=v) for t, v in sorted(stances.items())]
        else:
            # Change rows in place: a new row for a target that still has one would break
            # the (claim, target) key, because the flush inserts before it deletes orphans.
            by_target = {s.target: s for s in claim.stances}
            kept = []
            for target, value in sorted(stances.items()):
                row = by_target.get(target) or ClaimStance(target=target)
                row.value = value
                kept.append(row)
            claim.stances = kept
    if creating or "verification" in payload:
        claim.verification = _verification(codebook, payload.get("verification"), ctx.access.user)
    if creating or "note" in payload:
        claim.note = _note(payload.get("note"))


def _replace_segments(claim: Claim, segments: list[Span], creating: bool) -> None:
    """Set the content segments, reusing existing rows by ordinal (the key is claim + ordinal)."""
    existing = [] if creating else list(claim.segments)
    rows = []
    for ordinal, span in enumerate(segments):
        row = existing[ordinal] if ordinal < len(existing) else ClaimSegment(ordinal=ordinal)
        row.start, row.end, row.text, row.paragraph = span.start, span.end, span.text, span.paragraph
        rows.append(row)
    claim.segments = rows


def claim_snapshot(claim: Claim) -> dict[str, Any]:
    """The claim as the audit log keeps it (enough to restore it)."""
    return {
        "content": [{"start": s.start, "end": s.end, "text": s.text} for s in claim.segments],
        "source_span": None if claim.source_start is None else
        {"start": claim.source_start, "end": claim.source_end, "text": claim.source_text},
        "cue_span": None if claim.cue_start is None else
        {"start": claim.cue_start, "end": claim.cue_end, "text": claim.cue_text},
        "speaker": claim.speaker_id, "attribution": claim.attribution,
        **{field: getattr(claim, field) for field in CODED_FIELDS},
        "stances": [{"target": s.target, "value": s.value} for s in claim.stances],
        "verification": claim.verification, "note": claim.note, "layer": claim.layer,
        "version": claim.version, "deleted": claim.deleted_at is not None,
    }


# Statements of the hottest paths (every save, every claim list) are built once: building a
# statement and its cache key costs more than SQLite takes to run it.
_CLAIMS, _SEGMENTS, _STANCES = Claim.__table__, ClaimSegment.__table__, ClaimStance.__table__
_CLAIM_BY_CLIENT_ID = sa.select(_CLAIMS.c.id, _CLAIMS.c.document_id).where(
    _CLAIMS.c.annotator_id == sa.bindparam("annotator_id"), _CLAIMS.c.client_id == sa.bindparam("client_id"))
# Every column a new claim sets (the id comes from the database, a deletion later).
_NEW_CLAIM_COLUMNS = [column for column in _CLAIMS.c if column.key not in ("id", "deleted_at")]
# ON CONFLICT DO NOTHING (SQLite and PostgreSQL alike) turns a concurrent retry's unique key
# (annotator, client_id) into "no row" instead of an error that would end the transaction. As
# text: SQLAlchemy's dialect inserts with ON CONFLICT are compiled anew for every execution.
_COLUMN_NAMES = ", ".join(f'"{column.name}"' for column in _NEW_CLAIM_COLUMNS)
_PARAMETERS = ", ".join(f":{column.key}" for column in _NEW_CLAIM_COLUMNS)
# Built from the table's own column names; every value is bound.
_INSERT_CLAIM = sa.text(  # nosec B608
    f"INSERT INTO claims ({_COLUMN_NAMES}) VALUES ({_PARAMETERS}) ON CONFLICT DO NOTHING RETURNING id"
).bindparams(
    *(sa.bindparam(column.key, type_=column.type) for column in _NEW_CLAIM_COLUMNS if column.key != "gold_sources"),
    # Only gold rows have sources; the others store SQL NULL, as the mapper did for an unset column.
    sa.bindparam("gold_sources", type_=sa.JSON(none_as_null=True)))
_INSERT_SEGMENTS = _SEGMENTS.insert()
_INSERT_STANCES = _STANCES.insert()


def _insert_new_claim(session: Session, claim: Claim) -> bool:
    """Store a new claim with its segments and stances in three Core INSERTs; False (and nothing
    stored) if another claim of the annotator has its client_id.

    The claim stays a plain (transient) object, and the response and the audit log are made from
    it: the unit of work took more than half of a claim save to add, sort and flush these same
    rows. What the mapper would fill in (version, anchor, timestamps) is set first, so the object
    is the row as stored.
    """
    now = utcnow()
    claim.version, claim.anchor, claim.created_at, claim.updated_at = 1, "exact", now, now
    claim_id = session.execute(_INSERT_CLAIM, {c.key: getattr(claim, c.key) for c in _NEW_CLAIM_COLUMNS}).scalar()
    if claim_id is None:
        return False
    claim.id = claim_id
    session.execute(_INSERT_SEGMENTS, [
        {"claim_id": claim_id, "ordinal": s.ordinal, "start": s.start, "end": s.end, "text": s.text,
         "paragraph": s.paragraph, "words": s.words} for s in claim.segments])
    if claim.stances:
        session.execute(_INSERT_STANCES, [{"claim_id": claim_id, "target": s.target, "value": s.value}
                                          for s in claim.stances])
    return True


def _claim_with_client_id(session: Session, user: User, document_id: int, client_id: str) -> Claim | None:
    """The claim an earlier request of the user stored under this client_id, if any."""
    # Ids only (a Core row, not a Claim): nearly every save looks, and nearly always finds nothing.
    earlier = session.execute(_CLAIM_BY_CLIENT_ID, {"annotator_id": user.id, "client_id": client_id}).first()
    if earlier is None:
        return None
    if earlier.document_id != document_id:
        raise Conflict("client_id was used for another document", "client_id")
    return load_claims(session, [earlier.id])[0]


def create_claim(session: Session, user: User, document_id: int, payload: Any, *, origin: str | None = None,
                 gold_sources: list[int] | None = None) -> tuple[Claim, bool]:
    """A new claim of ``user`` on the document; (claim, created). A retried create with the same
    ``client_id`` returns the first claim instead of storing a second one.

    ``origin`` and ``gold_sources`` are the server's to set (adjudication), never the client's.
    """
    if not isinstance(payload, dict):
        raise DomainError("the claim is a JSON object", "body")
    ctx = load_document_context(session, user, document_id)
    layer = payload.get("layer") or "annotator"
    if layer not in ("annotator", "gold"):
        raise DomainError("layer is annotator or gold", "layer")
    if layer == "gold" and not ctx.access.is_curator:
        raise Forbidden("only curators write the gold layer", "layer")
    client_id = payload.get("client_id")
    if client_id is not None and (not isinstance(client_id, str) or not 1 <= len(client_id) <= 64):
        raise DomainError("client_id is a string of 1-64 characters", "client_id")
    claim = Claim(project_id=ctx.project.id, document_id=document_id, annotator_id=user.id, layer=layer,
                  codebook_version=ctx.codebook.version, client_id=client_id,
                  gold_sources=gold_sources, origin=origin or (
                      payload.get("origin") if payload.get("origin") in ("manual", "suggestion") else "manual"))
    try:
        _apply(session, ctx, claim, payload, creating=True)
    except DomainError:
        # A retry gets its first claim even if the body would no longer pass (a code retired, a
        # speaker merged away in between).
        earlier = _claim_with_client_id(session, user, document_id, client_id) if client_id else None
        if earlier is None:
            raise
        return earlier, False
    # A retry is found by the unique key (annotator, client_id), not by a lookup first: nearly every
    # save would look and find nothing, and a lookup cannot see a retry that is still saving anyway
    # (see app.db.QueuedWriterConnection). Either way the retry gets the first claim.
    if not _insert_new_claim(session, claim):
        earlier = _claim_with_client_id(session, user, document_id, client_id)
        if earlier is None:  # the other claim is gone again: say so rather than guess
            raise Conflict("another request with this client_id was saving at the same moment; try again",
                           "client_id")
        return earlier, False
    if layer == "annotator":
        mark_started(session, user.id, document_id, ctx.assignment_status)
    audit.record(session, user, "create", "claim", claim.id, ctx.project.id, after=claim_snapshot(claim))
    _load_references(session, claim)
    return claim, True


def editable_context(session: Session, user: User, row: Claim | Any, what: str) -> DocumentContext:
    """The document context of a claim or marker the user may change, or why not.

    Other annotators' rows are never changed, not even by curators (adjudication writes gold);
    in a blind project an annotator does not even learn that they exist.
    """
    if row is None or row.deleted_at is not None:
        raise NotFound(f"no such {what}")
    ctx = load_document_context(session, user, row.document_id)
    if row.annotator_id != user.id and not (row.layer == "gold" and ctx.access.is_curator):
        if ctx.access.is_curator or not ctx.project.blind:
            raise Forbidden(f"this {what} belongs to another annotator")
        raise NotFound(f"no such {what}")
    return ctx


def check_version(payload: dict[str, Any], current: int, what: str) -> None:
    """Optimistic locking: the client says which version it last saw; a stale one is a 409."""
    version = payload.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise DomainError("version (the version you last saw) is required", "version")
    if version != current:
        raise Conflict(f"this {what} was changed since version {version}; the current version is {current}",
                       "version", current=current)


def _editable_claim(session: Session, user: User, claim_id: int) -> tuple[Claim, DocumentContext]:
    claim = session.scalar(sa.select(Claim).where(Claim.id == claim_id).options(
        selectinload(Claim.segments), selectinload(Claim.stances)))
    return claim, editable_context(session, user, claim, "claim")  # type: ignore[return-value]


def update_claim(session: Session, user: User, claim_id: int, payload: Any) -> Claim:
    """Apply changed fields; ``version`` must be the one the client last saw, or 409."""
    if not isinstance(payload, dict):
        raise DomainError("the changes are a JSON object", "body")
    claim, ctx = _editable_claim(session, user, claim_id)
    check_version(payload, claim.version, "claim")
    before = claim_snapshot(claim)
    # One flush at the end, so the version goes up by exactly one (each flush of a changed row
    # would bump it, and the lookups inside _apply would otherwise autoflush).
    with session.no_autoflush:
        _apply(session, ctx, claim, {k: v for k, v in payload.items() if k in EDITABLE}, creating=False)
        claim.codebook_version = ctx.codebook.version
        claim.updated_at = datetime.now(UTC)  # bumps the version even if only child rows changed
    session.flush()
    audit.record(session, user, "update", "claim", claim.id, ctx.project.id, before=before, after=claim_snapshot(claim))
    _load_references(session, claim)
    return claim


def _load_references(session: Session, claim: Claim) -> None:
    """Attach the claim's speaker and annotator, so a claim just written is presented from memory
    (``claim_json``) instead of being read back: both are normally in the session already (the
    speaker was just resolved, the annotator authenticated), and then this costs no query."""
    unloaded = sa.inspect(claim).unloaded
    if "speaker" in unloaded:
        set_committed_value(claim, "speaker",
                            None if claim.speaker_id is None else session.get(Speaker, claim.speaker_id))
    if "annotator" in unloaded:
        set_committed_value(claim, "annotator", session.get(User, claim.annotator_id))


def delete_claim(session: Session, user: User, claim_id: int, version: int | None = None) -> None:
    """Soft delete: the row stays (and the audit log keeps its last state)."""
    claim, ctx = _editable_claim(session, user, claim_id)
    if version is not None and version != claim.version:
        raise Conflict(f"this claim was changed since version {version}", "version", current=claim.version)
    before = claim_snapshot(claim)
    claim.deleted_at = datetime.now(UTC)
    session.flush()
    audit.record(session, user, "delete", "claim", claim.id, ctx.project.id, before=before)


def _claim_loading() -> list[Any]:
    return [selectinload(Claim.segments), selectinload(Claim.stances), selectinload(Claim.speaker),
            selectinload(Claim.annotator)]


def load_claims(session: Session, claim_ids: list[int]) -> list[Claim]:
    claims = session.scalars(sa.select(Claim).where(Claim.id.in_(claim_ids)).options(*_claim_loading())).all()
    order = {claim_id: i for i, claim_id in enumerate(claim_ids)}
    return sorted(claims, key=lambda c: order[c.id])


def get_claim(session: Session, user: User, claim_id: int) -> Claim:
    claim = session.scalar(sa.select(Claim).where(Claim.id == claim_id).options(*_claim_loading()))
    if claim is None or claim.deleted_at is not None:
        raise NotFound("no such claim")
    ctx = load_document_context(session, user, claim.document_id)
    if claim.annotator_id != user.id and not ctx.access.is_curator and (claim.layer == "gold" or ctx.project.blind):
        raise NotFound("no such claim")
    return claim


def visible_layer(session: Session, access: ProjectAccess, annotator: str | None,
                  layer: str | None) -> tuple[str, int | None]:
    """Which rows the caller may read: their own, or (curators, or anyone when not blind) another's/gold."""
    if layer not in (None, "", "annotator", "gold"):
        raise DomainError("layer is annotator or gold", "layer")
    if layer == "gold":
        if not access.is_curator:
            raise Forbidden("only curators read the gold layer", "layer")
        return "gold", None
    if annotator and annotator != access.user.username:
        if not access.is_curator and access.project.blind:
            raise Forbidden("annotators see only their own claims in a blind project", "annotator")
        other = session.scalar(sa.select(User).where(User.username == annotator))
        if other is None:
            raise DomainError(f"no annotator named {annotator!r}", "annotator")
        return "annotator", other.id
    return "annotator", access.user.id


@dataclass(slots=True)
class SegmentRecord:
    start: int
    end: int
    text: str
    paragraph: int


@dataclass(slots=True)
class StanceRecord:
    target: str
    value: str


@dataclass(slots=True)
class SpeakerRecord:
    id: int
    name: str
    side: str | None


@dataclass(slots=True)
class AnnotatorRecord:
    username: str


@dataclass(slots=True)
class ClaimRecord:
    """A claim as read for display: the attributes ``claim_json`` reads of a ``Claim``, from plain
    rows (reading a page of claims as ORM objects cost several times the query itself)."""

    id: int
    project_id: int
    document_id: int
    layer: str
    codebook_version: int
    version: int
    attribution: str
    source_specificity: str | None
    speaker_resolution: str | None
    source_start: int | None
    source_end: int | None
    source_text: str | None
    cue_start: int | None
    cue_end: int | None
    cue_text: str | None
    cue_valence: str | None
    authorial_stance: str | None
    claim_type: str | None
    check_worthiness: str | None
    verification: dict[str, Any] | None
    note: str | None
    origin: str
    gold_sources: list[int] | None
    anchor: str
    created_at: datetime
    updated_at: datetime
    annotator: AnnotatorRecord
    speaker: SpeakerRecord | None
    segments: list[SegmentRecord]
    stances: list[StanceRecord]


_RECORD_COLUMNS = (
    Claim.id, Claim.project_id, Claim.document_id, Claim.layer, Claim.codebook_version, Claim.version,
    Claim.attribution, Claim.source_specificity, Claim.speaker_resolution, Claim.source_start, Claim.source_end,
    Claim.source_text, Claim.cue_start, Claim.cue_end, Claim.cue_text, Claim.cue_valence, Claim.authorial_stance,
    Claim.claim_type, Claim.check_worthiness, Claim.verification, Claim.note, Claim.origin, Claim.gold_sources,
    Claim.anchor, Claim.created_at, Claim.updated_at,
)


def _claim_list_statements(one_annotator: bool) -> tuple[sa.Select[Any], sa.Select[Any], sa.Select[Any]]:
    where = [Claim.document_id == sa.bindparam("document_id"), Claim.layer == sa.bindparam("layer"),
             Claim.deleted_at.is_(None)]
    if one_annotator:
        where.append(Claim.annotator_id == sa.bindparam("annotator_id"))
    selected = sa.select(Claim.id).where(*where)
    segments = (sa.select(ClaimSegment.claim_id, ClaimSegment.start, ClaimSegment.end, ClaimSegment.text,
                          ClaimSegment.paragraph).where(ClaimSegment.claim_id.in_(selected))
                .order_by(ClaimSegment.claim_id, ClaimSegment.ordinal))
    stances = (sa.select(ClaimStance.claim_id, ClaimStance.target, ClaimStance.value)
               .where(ClaimStance.claim_id.in_(selected)).order_by(ClaimStance.claim_id, ClaimStance.target))
    claims = (sa.select(*_RECORD_COLUMNS, User.username, Speaker.id, Speaker.name, Speaker.side)
              .join(User, User.id == Claim.annotator_id).outerjoin(Speaker, Speaker.id == Claim.speaker_id)
              .where(*where))
    return segments, stances, claims


_CLAIM_LIST = {one_annotator: _claim_list_statements(one_annotator) for one_annotator in (False, True)}


def list_claims(session: Session, document_id: int, layer: str, annotator_id: int | None) -> list[ClaimRecord]:
    """Live claims of one layer of a document, ordered by where they start, in three queries."""
    segments_of, stances_of, claims_of = _CLAIM_LIST[annotator_id is not None]
    parameters = {"document_id": document_id, "layer": layer, "annotator_id": annotator_id}
    if annotator_id is None:
        del parameters["annotator_id"]
    connection = session.connection()
    segments: dict[int, list[SegmentRecord]] = {}
    for claim_id, start, end, text, paragraph in connection.execute(segments_of, parameters):
        segments.setdefault(claim_id, []).append(SegmentRecord(start, end, text, paragraph))
    stances: dict[int, list[StanceRecord]] = {}
    for claim_id, target, value in connection.execute(stances_of, parameters):
        stances.setdefault(claim_id, []).append(StanceRecord(target, value))
    claims = []
    width = len(_RECORD_COLUMNS)
    for row in connection.execute(claims_of, parameters):
        speaker_id, speaker_name, speaker_side = row[width + 1:]
        claims.append(ClaimRecord(
            *row[:width], annotator=AnnotatorRecord(row[width]),
            speaker=None if speaker_id is None else SpeakerRecord(speaker_id, speaker_name, speaker_side),
            segments=segments.get(row.id, []), stances=stances.get(row.id, [])))
    return sorted(claims, key=lambda c: (c.segments[0].start if c.segments else 0, c.id))
