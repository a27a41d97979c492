"""Assignments (queues, rule-based double coding), project settings and the progress dashboard."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.errors import DomainError, NotFound
from app.models import Assignment, Claim, Document, Membership, Project, User
from app.models.base import is_id
from app.services import audit
from app.services.projects import ProjectAccess, require_curator

STATUSES = ("todo", "in_progress", "done")


def update_settings(session: Session, access: ProjectAccess, payload: Any) -> Project:
    require_curator(access)
    if not isinstance(payload, dict):
        raise DomainError("the settings are a JSON object", "body")
    project = access.project
    before = {"blind": project.blind, "assigned_only": project.assigned_only, "name": project.name}
    for key in ("blind", "assigned_only"):
        if key in payload:
            if not isinstance(payload[key], bool):
                raise DomainError(f"{key} is true or false", key)
            setattr(project, key, payload[key])
    if "name" in payload:
        name = payload["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise DomainError("the name is 1-200 characters", "name")
        project.name = name.strip()
    session.flush()
    audit.record(session, access.user, "settings", "project", project.id, project.id, before=before,
                 after={"blind": project.blind, "assigned_only": project.assigned_only, "name": project.name})
    return project


def _annotators(session: Session, project_id: int, names: list[str] | None) -> list[User]:
    members = session.scalars(sa.select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.project_id == project_id, Membership.role == "annotator").order_by(User.username)).all()
    if names is None:
        return list(members)
    by_name = {u.username: u for u in members}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise DomainError(f"not annotators of this project: {', '.join(missing)}", "annotators")
    return [by_name[n] for n in names]


@dataclass
class AssignmentPlan:
    created: int
    existing: int
    reliability_documents: int


def assign(session: Session, access: ProjectAccess, payload: Any) -> AssignmentPlan:
    """Give documents to annotators, by hand (``documents`` × ``annotators``) or by rule.


    Rule: every document goes to ``per_document`` annotators (the least loaded first; ties broken
    by a seeded shuffle); a seeded random ``reliability_percent`` of the documents goes to at least
    two annotators and is flagged as the reliability sample. The same seed gives the same plan.
    Assignments that exist are kept.
    """
    require_curator(access)
    if not isinstance(payload, dict):
        raise DomainError("the assignment request is a JSON object", "body")
    names = payload.get("annotators")
    if names is not None and (not isinstance(names, list) or not all(isinstance(n, str) for n in names) or not names):
        raise DomainError("annotators is a list of user names", "annotators")
    annotators = _annotators(session, access.project.id, names)
    if not annotators:
        raise DomainError("the project has no annotators to assign to", "annotators")
    # Named annotators without a rule: each document goes to every one of them (by hand).
    per_document = payload.get("per_document", len(annotators) if names is not None else 1)
    if isinstance(per_document, bool) or not isinstance(per_document, int) or not 1 <= per_document <= len(annotators):
        raise DomainError(f"per_document is a whole number from 1 to {len(annotators)}", "per_document")
    percent = payload.get("reliability_percent", 0)
    if isinstance(percent, bool) or not isinstance(percent, int | float) or not 0 <= percent <= 100:
        raise DomainError("reliability_percent is a number from 0 to 100", "reliability_percent")
    if percent and len(annotators) < 2:
        raise DomainError("double coding needs at least two annotators", "reliability_percent")
    seed = payload.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise DomainError("seed is a whole number", "seed")
    documents = payload.get("documents", "all")
    stmt = sa.select(Document.id).where(Document.project_id == access.project.id).order_by(Document.id)
    if documents != "all":
        if not isinstance(documents, list) or not all(is_id(d) for d in documents):
            raise DomainError('documents is "all" or a list of document ids', "documents")
        stmt = stmt.where(Document.id.in_(documents))
    document_ids = list(session.scalars(stmt))
    if documents != "all" and len(document_ids) != len(set(documents)):
        raise NotFound("some of these documents are not in this project", "documents")
    rng = random.Random(seed)
    sample = set(rng.sample(document_ids, math.ceil(len(document_ids) * percent / 100))) if percent else set()
    existing_rows = session.execute(sa.select(Assignment.document_id, Assignment.user_id).where(
        Assignment.project_id == access.project.id)).all()
    existing = {(d, u) for d, u in existing_rows}
    load: dict[int, int] = defaultdict(int)
    for _document_id, user_id in existing:
        load[user_id] += 1
    order = {user.id: rank for rank, user in enumerate(rng.sample(annotators, len(annotators)))}
    created = kept = 0
    rows = []
    for document_id in document_ids:
        wanted = max(per_document, 2) if document_id in sample else per_document
        already = [u for u in annotators if (document_id, u.id) in existing]
        kept += len(already)
        candidates = sorted((u for u in annotators if (document_id, u.id) not in existing),
                            key=lambda u: (load[u.id], order[u.id]))
        for user in candidates[:max(0, wanted - len(already))]:
            rows.append({"project_id": access.project.id, "document_id": document_id, "user_id": user.id,
                         "status": "todo", "reliability": document_id in sample})
            load[user.id] += 1
            created += 1
    if rows:
        session.execute(sa.insert(Assignment), rows)
    audit.record(session, access.user, "assign", "project", access.project.id, access.project.id,
                 after={"created": created, "per_document": per_document, "reliability_percent": percent,
                        "seed": seed, "annotators": [u.username for u in annotators]})
    return AssignmentPlan(created, kept, len(sample))


def list_assignments(session: Session, project_id: int, user_id: int | None = None) -> list[Assignment]:
    stmt = sa.select(Assignment).where(Assignment.project_id == project_id)
    if user_id is not None:
        stmt = stmt.where(Assignment.user_id == user_id)
    return list(session.scalars(stmt.order_by(Assignment.document_id, Assignment.user_id)))


def set_status(session: Session, user: User, assignment_id: int, status: Any) -> Assignment:
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound("no such assignment")
    from app.services.projects import access_project

    access = access_project(session, user, session.get(Project, assignment.project_id))
    if assignment.user_id != user.id and not access.is_curator:
        raise NotFound("no such assignment")
    if status not in STATUSES:
        raise DomainError(f"status is one of: {', '.join(STATUSES)}", "status")
    before = assignment.status
    assignment.status = status
    session.flush()
    audit.record(session, user, "status", "assignment", assignment.id, assignment.project_id,
                 before={"status": before}, after={"status": status})
    return assignment


# Built once: every claim save runs it (building a statement costs more than this UPDATE).
# A Core UPDATE (the table's, not the mapped class's): no ORM objects are kept in step with it.
_ASSIGNMENTS = Assignment.__table__
_START_ASSIGNMENT = _ASSIGNMENTS.update().where(
    _ASSIGNMENTS.c.document_id == sa.bindparam("for_document"), _ASSIGNMENTS.c.user_id == sa.bindparam("for_user"),
    _ASSIGNMENTS.c.status == "todo").values(status="in_progress")


def mark_started(session: Session, user_id: int, document_id: int, status: str | None) -> None:
    """The first claim on an assigned document moves its assignment from to-do to in progress;
    ``status`` is the assignment's as the request read it (None: not assigned). The update checks
    the status again, so a save that read it a moment before another one moved it changes nothing."""
    if status == "todo":
        session.execute(_START_ASSIGNMENT, {"for_document": document_id, "for_user": user_id})


def is_assigned(session: Session, user_id: int, document_id: int) -> bool:
    return session.scalar(sa.select(Assignment.id).where(
        Assignment.document_id == document_id, Assignment.user_id == user_id)) is not None


def require_document(session: Session, access: ProjectAccess, document_id: int, assigned: bool | None = None) -> None:
    """In a project set to "assigned documents only", annotators see nothing else (404).
    ``assigned``: whether the user has the document, if the caller read it already."""
    if access.project.assigned_only and access.role == "annotator" and not (
            assigned if assigned is not None else is_assigned(session, access.user.id, document_id)):
        raise NotFound("no such document")


@dataclass
class AnnotatorProgress:
    username: str
    assigned: int
    todo: int
    in_progress: int
    done: int
    claims: int
    active_hours: int

    @property
    def claims_per_hour(self) -> float | None:
        return round(self.claims / self.active_hours, 1) if self.active_hours else None


def progress(session: Session, access: ProjectAccess) -> tuple[list[AnnotatorProgress], list[dict[str, Any]]]:
    """Per annotator: assignments by status, live claims, claims per active hour (hours with a
    claim); per document: who is on it and in which state. A fixed number of queries."""
    require_curator(access)
    project_id = access.project.id
    members = session.execute(sa.select(User.id, User.username).join(Membership, Membership.user_id == User.id)
                              .where(Membership.project_id == project_id).order_by(User.username)).all()
    counts: dict[tuple[int, str], int] = {
        (u, s): n for u, s, n in session.execute(
            sa.select(Assignment.user_id, Assignment.status, sa.func.count()).where(Assignment.project_id == project_id)
            .group_by(Assignment.user_id, Assignment.status))}
    claim_times: dict[int, list[Any]] = defaultdict(list)
    for user_id, created in session.execute(sa.select(Claim.annotator_id, Claim.created_at).where(
            Claim.project_id == project_id, Claim.layer == "annotator", Claim.deleted_at.is_(None))):
        claim_times[user_id].append(created)
    people = []
    for user_id, username in members:
        times = claim_times.get(user_id, [])
        hours = {(t.year, t.month, t.day, t.hour) for t in times}
        by_status = {s: counts.get((user_id, s), 0) for s in STATUSES}
        people.append(AnnotatorProgress(username, sum(by_status.values()), by_status["todo"],
                                        by_status["in_progress"], by_status["done"], len(times), len(hours)))
    documents: dict[int, dict[str, Any]] = {}
    for doc_id, title, username, status, reliability in session.execute(
        sa.select(Document.id, Document.title, User.username, Assignment.status, Assignment.reliability)
        .join(Assignment, Assignment.document_id == Document.id).join(User, User.id == Assignment.user_id)
        .where(Document.project_id == project_id).order_by(Document.id, User.username)
    ):
        row = documents.setdefault(doc_id, {"id": doc_id, "title": title, "annotators": [], "reliability": False})
        row["annotators"].append({"user": username, "status": status})
        row["reliability"] = row["reliability"] or reliability
    return people, list(documents.values())


def queue_position(session: Session, user_id: int, project_id: int,
                   document_id: int) -> tuple[Assignment | None, int | None]:
    """The caller's assignment for this document, and the next document in their queue not done."""
    rows = list_assignments(session, project_id, user_id)
    here = next((a for a in rows if a.document_id == document_id), None)
    following = [a for a in rows if a.status != "done" and a.document_id != document_id]
    after = [a for a in following if a.document_id > document_id] or following
    return here, (after[0].document_id if after else None)
