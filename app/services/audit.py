"""The audit log: every write records who, when, and the record before and after."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.models import AuditEvent, User

# A Core INSERT, run at once: every write of the application records one, and the unit of work
# (an object added, then sorted, batched and flushed with the commit) cost more than the write
# it records. The row is in the transaction from here on, and goes with its rollback.
_INSERT = AuditEvent.__table__.insert()


def record(session: Session, actor: User | None, action: str, entity_type: str, entity_id: int | None,
           project_id: int | None, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> None:
    session.execute(_INSERT, {
        "project_id": project_id, "actor_id": actor.id if actor else None, "action": action,
        "entity_type": entity_type, "entity_id": entity_id, "before": before, "after": after,
    })
