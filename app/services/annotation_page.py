"""What the annotation page reads besides the claims (``claims.list_claims``), as plain rows.

The page shows hundreds of claims at once: building ORM objects for them cost more than
everything else on the page together, so it reads plain rows, in a constant number of queries.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Speaker
from app.services.claims import ClaimRecord


def quoted_spans(claims: list[ClaimRecord]) -> list[tuple[int, int]]:
    """Content spans of the attributed (non-authorial) claims: what a bias marker's ``in_quote`` is read from."""
    return [(s.start, s.end) for c in claims if c.attribution != "authorial" for s in c.segments]


_SPEAKERS = (sa.select(Speaker.name, Speaker.role, Speaker.aliases)
             .where(Speaker.project_id == sa.bindparam("project"), Speaker.merged_into_id.is_(None))
             .order_by(Speaker.name))


def page_speakers(session: Session, project_id: int) -> list[sa.Row[Any]]:
    """(name, role, aliases) of the registry's speakers (merged ones left out), for the type-ahead."""
    return list(session.connection().execute(_SPEAKERS, {"project": project_id}).all())
