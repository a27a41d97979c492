"""All models, re-exported so Alembic sees the whole metadata."""

from app.models.annotation import ArticleLabel, BiasMarker, Claim, ClaimSegment, ClaimStance, Speaker
from app.models.audit import AuditEvent
from app.models.document import Document, Paragraph
from app.models.project import Assignment, Codebook, Membership, Project
from app.models.user import ApiToken, User

__all__ = [
    "ApiToken",
    "Assignment",
    "ArticleLabel",
    "AuditEvent",
    "BiasMarker",
    "Claim",
    "ClaimSegment",
    "ClaimStance",
    "Codebook",
    "Document",
    "Membership",
    "Paragraph",
    "Project",
    "Speaker",
    "User",
]
