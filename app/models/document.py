from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.models.base import UTCDateTime, utcnow


class Document(Base):
    """An article's canonical text (SPEC §3): never edited in place; a new text is a new revision."""

    __tablename__ = "documents"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "text_hash"),
        # An import finds the newest revision of each external id it brings (migration 0004; none on
        # url: PostgreSQL cannot index a 2,000-character non-ASCII url).
        sa.Index("ix_documents_project_external_id_revision", "project_id", "external_id", "revision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(500))
    #: NFC, \n line ends, paragraphs joined by a blank line; offsets are code points into it.
    text: Mapped[str] = mapped_column(sa.Text)
    #: SHA-256 (hex) of the UTF-8 bytes of text.
    text_hash: Mapped[str] = mapped_column(sa.String(64))
    source: Mapped[str | None] = mapped_column(sa.String(500))
    url: Mapped[str | None] = mapped_column(sa.String(2000))
    author: Mapped[str | None] = mapped_column(sa.String(500))
    #: Publication date as given (ISO 8601 date or date-time).
    published: Mapped[str | None] = mapped_column(sa.String(40))
    external_id: Mapped[str | None] = mapped_column(sa.String(500), index=True)
    meta: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: 1 for the first version; a changed text under the same external_id/url is revision + 1.
    revision: Mapped[int] = mapped_column(default=1)
    previous_id: Mapped[int | None] = mapped_column(sa.ForeignKey("documents.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    paragraphs: Mapped[list[Paragraph]] = relationship(
        order_by="Paragraph.index", lazy="raise_on_sql", cascade="all, delete-orphan"
    )


class Paragraph(Base):
    __tablename__ = "paragraphs"
    __table_args__ = (sa.UniqueConstraint("document_id", "index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"))
    index: Mapped[int]
    #: [start, end) of the paragraph in the document's text.
    start: Mapped[int]
    end: Mapped[int]
