"""The audit log: every write records who, when, and the record before and after."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.models import AuditEvent, User


def record(session: Session, actor: User | None, action: str, entity_type: str, entity_id: int | None,
           project_id: int | None, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> None:
    session.add(AuditEvent(
        project_id=project_id, actor_id=actor.id if actor else None, action=action,
        entity_type=entity_type, entity_id=entity_id, before=before, after=after,
    ))
