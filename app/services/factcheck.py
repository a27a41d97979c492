"""The fact-check queue: check-worthy (CFS), verifiable claims across the corpus, and their
verification records.

Per-annotator rows are never changed by anyone but their annotator (not even by curators), so a
verification record is written on the claim's own row by the annotator who made it, or on a gold
claim by a curator. The write goes through ``claims.update_claim``, the service behind
``PATCH /api/v1/claims/{id}``: the same checks, the same version guard, the same audit log.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.domain.codebook import CodebookView
from app.errors import DomainError, NotFound
from app.models import Claim, Document, Speaker, User
from app.sanitize import safe_url
from app.services.claims import get_claim, load_claims, update_claim
from app.services.projects import ProjectAccess, current_codebook, get_project_access
from app.services.search import (
    MAX_ID,
    MAX_PAGE,
    ClaimFilters,
    DocumentInfo,
    FilterOptions,
    LayerScope,
    claim_link,
    document_infos,
    filter_claims,
    parse_filters,
    parse_int,
    text_arg,
)

PAGE_SIZE = 50
CHECK_WORTHY = "CFS"
UNVERIFIED = "unverified"
SORTS = ("date", "speaker", "side", "status")
CSV_BATCH = 500
CSV_HEADER = ["claim_id", "document_id", "document_title", "outlet", "published", "speaker", "side", "annotator",
              "layer", "attribution", "claim_type", "content", "status", "rating_text", "evidence_urls",
              "checked_by", "checked_at", "link"]


def verifiable_types(codebook: CodebookView) -> list[str] | None:
    """Claim types whose claims can be checked (derived ``verifiable``); None when the project does
    not code claim types (then every check-worthy claim is in the queue)."""
    if not codebook.uses("claim_type") or not codebook.has_field("claim_type"):
        return None
    return [code for code in codebook.all_codes("claim_type") if codebook.verifiable(code)]


def status_of(claim: Claim) -> str:
    verification = claim.verification if isinstance(claim.verification, dict) else None
    status = verification.get("status") if verification else None
    return status if isinstance(status, str) and status else UNVERIFIED


def may_verify(claim: Claim, access: ProjectAccess) -> bool:
    """Whether the caller may write this claim's verification (the rule of ``update_claim``)."""
    if claim.layer == "gold":
        return access.is_curator
    return claim.annotator_id == access.user.id


@dataclass(frozen=True)
class QueueRequest:
    filters: ClaimFilters
    status: str | None = None
    sort: str = "date"
    descending: bool = False
    page: int = 1

    @property
    def sort_arg(self) -> str:
        return ("-" if self.descending else "") + self.sort


def parse_queue(session: Session, access: ProjectAccess, codebook: CodebookView,
                args: Mapping[str, Any]) -> QueueRequest:
    """Filters (speaker, side, status, outlet, dates, annotator/layer), a sort key from the allow-list
    (``date``, ``speaker``, ``side``, ``status``; ``-`` in front for descending) and the page."""
    if access.is_curator and not text_arg(args, "annotator") and not text_arg(args, "layer"):
        # Curators verify on the gold layer (annotators' rows are theirs): the queue opens there.
        args = {**args, "layer": "gold"}
    filters = parse_filters(session, access, codebook, args, names=("speaker", "side", "outlet", "dates"))
    status = text_arg(args, "status")
    if status is not None and status not in codebook.all_codes("verification_status"):
        raise DomainError(f"status must be one of: {', '.join(codebook.all_codes('verification_status'))}",
                          "status")
    sort = text_arg(args, "sort") or "date"
    key = sort.removeprefix("-")
    if key not in SORTS:
        raise DomainError(f"sort is one of: {', '.join(SORTS)} (with - in front for descending)", "sort")
    return QueueRequest(filters, status, key, sort.startswith("-"), parse_int(args, "page", 1, MAX_PAGE))


def _status_expression() -> Any:
    return sa.func.coalesce(Claim.verification["status"].as_string(), UNVERIFIED)


def _queue_select(access: ProjectAccess, codebook: CodebookView, request: QueueRequest) -> sa.Select[Any]:
    stmt = (sa.select(Claim.id).join(Document, Document.id == Claim.document_id)
            .outerjoin(Speaker, Speaker.id == Claim.speaker_id)
            .where(Claim.check_worthiness == CHECK_WORTHY))
    types = verifiable_types(codebook)
    if types is not None:
        stmt = stmt.where(Claim.claim_type.in_(types))
    if request.status is not None:
        stmt = stmt.where(_status_expression() == request.status)
    return filter_claims(stmt, access, request.filters)


def _ordering(codebook: CodebookView, request: QueueRequest) -> list[Any]:
    statuses = codebook.all_codes("verification_status")
    keys = {
        "date": Document.published,
        "speaker": Speaker.name,
        "side": Speaker.side,
        "status": sa.case({code: i for i, code in enumerate(statuses)}, value=_status_expression(),
                          else_=len(statuses)),
    }
    key = keys[request.sort]
    return [(key.desc() if request.descending else key.asc()).nulls_last(), Document.published.asc().nulls_last(),
            Claim.document_id, Claim.id]


@dataclass
class QueueItem:
    claim: Claim
    document: DocumentInfo
    status: str
    editable: bool
    link: dict[str, Any]


@dataclass
class QueuePage:
    access: ProjectAccess
    codebook: CodebookView
    options: FilterOptions
    args: Mapping[str, Any]
    request: QueueRequest | None = None
    error: DomainError | None = None
    items: list[QueueItem] = field(default_factory=list)
    total: int = 0

    @property
    def has_next(self) -> bool:
        return self.request is not None and self.total > self.request.page * PAGE_SIZE

    @property
    def scope(self) -> LayerScope | None:
        return self.request.filters.scope if self.request else None


def _items(session: Session, access: ProjectAccess, ids: list[int]) -> list[QueueItem]:
    claims = load_claims(session, ids)
    documents = document_infos(session, (c.document_id for c in claims))
    return [QueueItem(c, documents[c.document_id], status_of(c), may_verify(c, access), claim_link(c, access.user))
            for c in claims]


def queue_page(session: Session, user: User, slug: str, args: Mapping[str, Any]) -> QueuePage:
    """One page of the queue, in a constant number of queries. Bad input (422) is returned in
    ``error`` for the form; 403 and 404 are raised."""
    access = get_project_access(session, user, slug)
    codebook = current_codebook(session, access.project.id)
    result = QueuePage(access, codebook, FilterOptions.load(session, access), args)
    try:
        result.request = parse_queue(session, access, codebook, args)
    except DomainError as exc:
        if exc.status != 422:
            raise
        result.error = exc
        return result
    stmt = _queue_select(access, codebook, result.request)
    result.total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    ids = list(session.scalars(stmt.order_by(*_ordering(codebook, result.request))
                               .limit(PAGE_SIZE).offset((result.request.page - 1) * PAGE_SIZE)))
    result.items = _items(session, access, ids)
    return result


def queue_rows(session: Session, user: User, slug: str, args: Mapping[str, Any],
               link: Any) -> tuple[ProjectAccess, Iterator[list[Any]]]:
    """The whole queue as CSV rows (header first), loaded in batches; ``link(item)`` makes the
    address of a claim. Bad input raises (the download has no form to show it on)."""
    access = get_project_access(session, user, slug)
    codebook = current_codebook(session, access.project.id)
    request = parse_queue(session, access, codebook, args)
    ids = list(session.scalars(_queue_select(access, codebook, request).order_by(*_ordering(codebook, request))))

    def rows() -> Iterator[list[Any]]:
        yield CSV_HEADER
        for start in range(0, len(ids), CSV_BATCH):
            for item in _items(session, access, ids[start:start + CSV_BATCH]):
                claim, verification = item.claim, item.claim.verification or {}
                yield [claim.id, claim.document_id, item.document.title, item.document.source,
                       item.document.published, claim.speaker.name if claim.speaker else None,
                       claim.speaker.side if claim.speaker else None, claim.annotator.username, claim.layer,
                       claim.attribution, claim.claim_type, " … ".join(s.text for s in claim.segments), item.status,
                       verification.get("rating_text"),
                       "|".join(e.get("url", "") for e in verification.get("evidence") or [] if isinstance(e, dict)),
                       verification.get("checked_by"), verification.get("checked_at"), link(item)]

    return access, rows()


# --- one claim's verification record -----------------------------------------------------------

@dataclass
class VerificationPage:
    access: ProjectAccess
    codebook: CodebookView
    claim: Claim
    document: DocumentInfo
    editable: bool
    link: dict[str, Any]
    #: Evidence as stored, each with ``href`` set only for http(s) addresses.
    evidence: list[dict[str, Any]]

    @property
    def status(self) -> str:
        return status_of(self.claim)

    @property
    def verifiable(self) -> bool | None:
        return self.codebook.verifiable(self.claim.claim_type)


def verification_page(session: Session, user: User, slug: str, claim_id: int) -> VerificationPage:
    """A claim of the project as the caller may see it (404 otherwise), and whether they may verify it."""
    access = get_project_access(session, user, slug)
    if claim_id > MAX_ID:
        raise NotFound("no such claim")
    claim = get_claim(session, user, claim_id)
    if claim.project_id != access.project.id:
        raise NotFound("no such claim")
    document = document_infos(session, [claim.document_id])[claim.document_id]
    stored = (claim.verification or {}).get("evidence") or []
    evidence = [{**e, "href": safe_url(e.get("url"))} for e in stored if isinstance(e, dict)]
    return VerificationPage(access, current_codebook(session, access.project.id), claim, document,
                            may_verify(claim, access), claim_link(claim, user), evidence)


def save_verification(session: Session, user: User, slug: str, claim_id: int, payload: dict[str, Any]) -> Claim:
    """Write ``{version, verification}`` on the claim through ``update_claim`` (403 on another
    annotator's row, 409 on a stale version, 422 naming the field)."""
    verification_page(session, user, slug, claim_id)
    return update_claim(session, user, claim_id, {"version": payload.get("version"),
                                                  "verification": payload.get("verification")})
