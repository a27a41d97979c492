"""Projects, memberships, codebook versions, and the one access rule for everything in a project."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from app.domain.codebook import CodebookError, CodebookView, default_codebook, validate_codebook
from app.errors import Conflict, DomainError, Forbidden, NotFound
from app.models import (
    ArticleLabel,
    Assignment,
    BiasMarker,
    Claim,
    ClaimStance,
    Codebook,
    Document,
    Membership,
    Project,
    Speaker,
    User,
)
from app.models.project import ROLES
from app.services import audit

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


@dataclass(frozen=True)
class ProjectAccess:
    """What the acting user may do in a project: ``role`` is admin, curator or annotator."""

    project: Project
    user: User
    role: str

    @property
    def is_curator(self) -> bool:
        return self.role in ("admin", "curator")


def membership_role(session: Session, user: User, project_id: int) -> str | None:
    if user.is_admin:
        return "admin"
    return session.scalar(
        sa.select(Membership.role).where(Membership.project_id == project_id, Membership.user_id == user.id)
    )


def access_project(session: Session, user: User, project: Project | None) -> ProjectAccess:
    """Access to a project, or NotFound: a non-member learns nothing, not even that it exists."""
    if project is None:
        raise NotFound("no such project")
    role = membership_role(session, user, project.id)
    if role is None:
        raise NotFound("no such project")
    return ProjectAccess(project, user, role)


# Built once (every claim save and fetch runs one of them): building a statement and its cache key
# costs more than running it.
_DOCUMENT_FOR_ADMIN = sa.select(Document, Project).join(Project, Project.id == Document.project_id).where(
    Document.id == sa.bindparam("document_id"))
_DOCUMENT_FOR_MEMBER = _DOCUMENT_FOR_ADMIN.add_columns(Membership.role).outerjoin(
    Membership, sa.and_(Membership.project_id == Project.id, Membership.user_id == sa.bindparam("user_id")))
_LATEST_CODEBOOK = (sa.select(Codebook.version, Codebook.data).where(Codebook.project_id == sa.bindparam("project_id"))
                    .order_by(Codebook.version.desc()).limit(1))
# The same queries with what a write needs in the row: the project's latest codebook and the
# user's assignment of the document. One round trip less for every claim save and claim list (on
# PostgreSQL each is a few hundred microseconds of waiting), and no assignment update for a save
# with nothing to start.
_OTHER_VERSIONS = aliased(Codebook)
_LATEST_VERSION = (sa.select(sa.func.max(_OTHER_VERSIONS.version)).where(_OTHER_VERSIONS.project_id == Project.id)
                   .correlate(Project).scalar_subquery())


def _for_writing(statement: sa.Select[Any]) -> sa.Select[Any]:
    return statement.add_columns(Codebook.version.label("codebook_version"), Codebook.data.label("codebook_data"),
                                 Assignment.status.label("assignment_status")) \
        .outerjoin(Codebook, sa.and_(Codebook.project_id == Project.id, Codebook.version == _LATEST_VERSION)) \
        .outerjoin(Assignment, sa.and_(Assignment.document_id == Document.id,
                                       Assignment.user_id == sa.bindparam("user_id")))


_DOCUMENT_ACCESS = {
    (False, False): _DOCUMENT_FOR_MEMBER, (True, False): _DOCUMENT_FOR_ADMIN,
    (False, True): _for_writing(_DOCUMENT_FOR_MEMBER), (True, True): _for_writing(_DOCUMENT_FOR_ADMIN),
}


def _document_row(session: Session, user: User, document_id: int, for_writing: bool) -> Any:
    row = session.execute(_DOCUMENT_ACCESS[user.is_admin, for_writing],
                          {"document_id": document_id, "user_id": user.id}).first()
    if row is None:
        raise NotFound("no such document")
    if not user.is_admin and row.role is None:
        raise NotFound("no such project")
    return row


def document_access(session: Session, user: User, document_id: int) -> tuple[Document, ProjectAccess]:
    """A document and the caller's access to its project, in one query (every document fetch
    starts here); the same NotFound answers as ``access_project``."""
    row = _document_row(session, user, document_id, for_writing=False)
    return row[0], ProjectAccess(row[1], user, "admin" if user.is_admin else row.role)


def document_for_writing(session: Session, user: User, document_id: int) -> tuple[Document, ProjectAccess, str | None]:
    """``document_access`` and, in the same query, the project's latest codebook (for
    ``current_codebook``) and the status of the user's assignment of the document (None: not
    assigned): every claim save starts here."""
    row = _document_row(session, user, document_id, for_writing=True)
    if row.codebook_version is not None:
        session.info.setdefault(CODEBOOK_CACHE, {}).setdefault(
            row[1].id, CodebookView(row.codebook_version, row.codebook_data))
    return row[0], ProjectAccess(row[1], user, "admin" if user.is_admin else row.role), row.assignment_status


def get_project_access(session: Session, user: User, slug: str) -> ProjectAccess:
    project = session.scalar(sa.select(Project).where(Project.slug == slug))
    return access_project(session, user, project)


def require_curator(access: ProjectAccess) -> None:
    if not access.is_curator:
        raise Forbidden("only the project's curators can do this")


def list_projects(session: Session, user: User) -> list[tuple[Project, str]]:
    if user.is_admin:
        return [(p, "admin") for p in session.scalars(sa.select(Project).order_by(Project.name))]
    rows = session.execute(
        sa.select(Project, Membership.role)
        .join(Membership, Membership.project_id == Project.id)
        .where(Membership.user_id == user.id)
        .order_by(Project.name)
    )
    return [(project, role) for project, role in rows]


def create_project(session: Session, actor: User, slug: str, name: str,
                   codebook: dict[str, Any] | None = None) -> Project:
    if not actor.is_admin:
        raise Forbidden("only site administrators create projects")
    slug = slug.strip() if isinstance(slug, str) else ""
    if not SLUG.match(slug):
        raise DomainError("the slug is 1-64 lower-case letters, digits or hyphens", "slug")
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > 200:
        raise DomainError("the name is 1-200 characters", "name")
    try:
        cleaned = validate_codebook(codebook if codebook is not None else default_codebook())
    except CodebookError as exc:
        raise DomainError(str(exc), exc.field or "codebook") from exc
    if session.scalar(sa.select(Project.id).where(Project.slug == slug)) is not None:
        raise Conflict(f"a project with the slug {slug!r} exists", "slug")
    project = Project(slug=slug, name=name)
    session.add(project)
    session.flush()
    session.add(Codebook(project_id=project.id, version=1, data=cleaned, created_by_id=actor.id))
    audit.record(session, actor, "create", "project", project.id, project.id, after={"slug": slug, "name": name})
    return project


def add_member(session: Session, access: ProjectAccess, user: User, role: str) -> Membership:
    require_curator(access)
    if role not in ROLES:
        raise DomainError("role must be curator or annotator", "role")
    membership = session.scalar(
        sa.select(Membership).where(Membership.project_id == access.project.id, Membership.user_id == user.id)
    )
    before = {"role": membership.role} if membership else None
    if membership is None:
        membership = Membership(project_id=access.project.id, user_id=user.id, role=role)
        session.add(membership)
    else:
        membership.role = role
    session.flush()
    audit.record(session, access.user, "member", "membership", membership.id, access.project.id,
                 before=before, after={"user": user.username, "role": role})
    return membership


def list_members(session: Session, project_id: int) -> list[Membership]:
    return list(session.scalars(
        sa.select(Membership).where(Membership.project_id == project_id).order_by(Membership.role)
    ))


CODEBOOK_CACHE = "sourcemark.codebooks"


def current_codebook(session: Session, project_id: int) -> CodebookView:
    """The project's latest codebook, read once per session (a save asks for it several times;
    ``update_codebook`` replaces the cached one)."""
    cache: dict[int, CodebookView] = session.info.setdefault(CODEBOOK_CACHE, {})
    cached = cache.get(project_id)
    if cached is not None:
        return cached
    row = session.execute(_LATEST_CODEBOOK, {"project_id": project_id}).first()
    if row is None:
        raise NotFound("the project has no codebook")
    view = cache[project_id] = CodebookView(row.version, row.data)
    return view


def _codes_in_use(session: Session, project_id: int, field: str, codes: set[str]) -> set[str]:
    """Which of ``codes`` live annotations of the project still use for ``field``."""
    if not codes:
        return set()
    columns: dict[str, Any] = {
        "attribution": Claim.attribution, "source_specificity": Claim.source_specificity,
        "speaker_resolution": Claim.speaker_resolution, "cue_valence": Claim.cue_valence,
        "authorial_stance": Claim.authorial_stance, "claim_type": Claim.claim_type,
        "check_worthiness": Claim.check_worthiness,
    }
    if field in columns:
        column = columns[field]
        stmt = sa.select(column).where(Claim.project_id == project_id, Claim.deleted_at.is_(None),
                                       column.in_(codes))
    elif field in ("targets", "stance"):
        column = ClaimStance.target if field == "targets" else ClaimStance.value
        stmt = (sa.select(column).join(Claim, Claim.id == ClaimStance.claim_id)
                .where(Claim.project_id == project_id, Claim.deleted_at.is_(None), column.in_(codes)))
    elif field in ("bias_type", "polarity"):
        column = getattr(BiasMarker, field)
        stmt = sa.select(column).where(BiasMarker.project_id == project_id, BiasMarker.deleted_at.is_(None),
                                       column.in_(codes))
    elif field in ("genre", "ownership", "frame"):
        column = getattr(ArticleLabel, field)
        stmt = sa.select(column).where(ArticleLabel.project_id == project_id, column.in_(codes))
    elif field == "sides":
        stmt = sa.select(Speaker.side).where(Speaker.project_id == project_id, Speaker.side.in_(codes))
    elif field == "entity_type":
        stmt = sa.select(Speaker.type).where(Speaker.project_id == project_id, Speaker.type.in_(codes))
    else:
        return set()
    return {value for value in session.scalars(stmt.distinct())}


def save_codebook(session: Session, access: ProjectAccess, data: Any) -> CodebookView:
    """Store a new codebook version; removing a code in use is refused (retire it instead)."""
    require_curator(access)
    try:
        cleaned = validate_codebook(data)
    except CodebookError as exc:
        raise DomainError(str(exc), exc.field or "codebook") from exc
    current = current_codebook(session, access.project.id)
    groups = ["targets", "sides", *current.data.get("fields", {}).keys()]
    for group in groups:
        old = set(current.all_codes(group))
        new_entries = cleaned[group] if group in ("targets", "sides") else cleaned["fields"].get(group, [])
        removed = old - {entry["code"] for entry in new_entries}
        in_use = _codes_in_use(session, access.project.id, group, removed)
        if in_use:
            codes = ", ".join(sorted(in_use))
            raise Conflict(f"{group}: {codes} used by annotations; retire the code instead of removing it",
                           group if group in ("targets", "sides") else f"fields.{group}")
    version = current.version + 1
    session.add(Codebook(project_id=access.project.id, version=version, data=cleaned,
                         created_by_id=access.user.id))
    audit.record(session, access.user, "update", "codebook", None, access.project.id,
                 before={"version": current.version}, after={"version": version})
    view = session.info.setdefault(CODEBOOK_CACHE, {})[access.project.id] = CodebookView(version, cleaned)
    return view
