"""Speakers, claims (with content segments and stances), bias markers and article labels.

Each annotator's rows are separate; the gold layer is rows with ``layer='gold'``. Nothing is
deleted for real (``deleted_at``); every write goes to the audit log; ``version`` guards
concurrent edits (a stale write gets 409).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.db import Base
from app.domain.balance import word_count
from app.domain.names import folded_name_list
from app.models.base import UTCDateTime, utcnow
from app.models.user import User

LAYERS = ("annotator", "gold")


class Speaker(Base):
    """A registry entry: who can be quoted in a project."""

    __tablename__ = "speakers"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    #: Preferred display form, with diacritics ("Mevlüt Çavuşoğlu").
    name: Mapped[str] = mapped_column(sa.String(300))
    #: Transliterations and variants used for matching ("Cavusoglu", "Turkish FM").
    aliases: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: Codebook field entity_type: person, government_body, military, party, ngo, ...
    type: Mapped[str | None] = mapped_column(sa.String(40))
    role: Mapped[str | None] = mapped_column(sa.String(300))
    affiliation: Mapped[str | None] = mapped_column(sa.String(300))
    #: A side code of the project's codebook.
    side: Mapped[str | None] = mapped_column(sa.String(64))
    #: ISO 3166-1 alpha-2.
    country: Mapped[str | None] = mapped_column(sa.String(2))
    wikidata: Mapped[str | None] = mapped_column(sa.String(20))
    notes: Mapped[str | None] = mapped_column(sa.Text)
    #: Set when this entry was merged into another: claims now point there.
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("speakers.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    #: The name and aliases folded (``app.domain.names.folded_name_list``), kept in step by the
    #: listeners below: a save that names its speaker finds the entry in SQL (migration 0006).
    folded_names: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    __mapper_args__ = {"version_id_col": version}


@sa.event.listens_for(Speaker, "before_insert")
@sa.event.listens_for(Speaker, "before_update")
def _fold_speaker_names(_mapper: Any, _connection: Any, speaker: Speaker) -> None:
    speaker.folded_names = folded_name_list(speaker.name, speaker.aliases)


class Claim(Base):
    """The central record: content segments, optional source and cue spans, and its labels."""

    __tablename__ = "claims"
    __table_args__ = (
        sa.Index("ix_claims_document_layer", "document_id", "layer", "annotator_id"),
        sa.UniqueConstraint("annotator_id", "client_id"),
        sa.CheckConstraint("layer IN ('annotator', 'gold')", name="layer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"))
    #: Who made it; for the gold layer, the curator who wrote the gold row.
    annotator_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    layer: Mapped[str] = mapped_column(sa.String(16), default="annotator")
    codebook_version: Mapped[int]
    version: Mapped[int] = mapped_column(default=1)
    #: Idempotency key sent by the client, so a retried create returns the first row.
    client_id: Mapped[str | None] = mapped_column(sa.String(64))
    attribution: Mapped[str] = mapped_column(sa.String(32))
    source_specificity: Mapped[str | None] = mapped_column(sa.String(32))
    speaker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("speakers.id"), index=True)
    speaker_resolution: Mapped[str | None] = mapped_column(sa.String(32))
    source_start: Mapped[int | None]
    source_end: Mapped[int | None]
    source_text: Mapped[str | None] = mapped_column(sa.Text)
    cue_start: Mapped[int | None]
    cue_end: Mapped[int | None]
    cue_text: Mapped[str | None] = mapped_column(sa.Text)
    cue_valence: Mapped[str | None] = mapped_column(sa.String(32))
    authorial_stance: Mapped[str | None] = mapped_column(sa.String(32))
    claim_type: Mapped[str | None] = mapped_column(sa.String(40))
    check_worthiness: Mapped[str | None] = mapped_column(sa.String(8))
    #: {status, rating_text, evidence: [{url, title, accessed_at, note}], checked_by, checked_at}
    verification: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    note: Mapped[str | None] = mapped_column(sa.Text)
    #: manual, suggestion, import or adjudication.
    origin: Mapped[str] = mapped_column(sa.String(16), default="manual")
    #: For gold rows: the annotator claims it was adjudicated from.
    gold_sources: Mapped[list[int] | None] = mapped_column(sa.JSON)
    #: exact, moved or orphaned (after a new revision of the document).
    anchor: Mapped[str] = mapped_column(sa.String(16), default="exact")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    segments: Mapped[list[ClaimSegment]] = relationship(
        order_by="ClaimSegment.ordinal", lazy="raise_on_sql", cascade="all, delete-orphan"
    )
    stances: Mapped[list[ClaimStance]] = relationship(
        order_by="ClaimStance.target", lazy="raise_on_sql", cascade="all, delete-orphan"
    )
    speaker: Mapped[Speaker | None] = relationship(lazy="raise_on_sql")
    annotator: Mapped[User] = relationship(lazy="raise_on_sql")

    __mapper_args__ = {"version_id_col": version}


class ClaimSegment(Base):
    """One content span of a claim; discontinuous or multi-paragraph quotes have several."""

    __tablename__ = "claim_segments"
    __table_args__ = (
        sa.UniqueConstraint("claim_id", "ordinal"),
        # Covers the balance's per-claim word sum (the index alone answers it, no row is read).
        sa.Index("ix_claim_segments_claim_words", "claim_id", "words"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("claims.id", ondelete="CASCADE"))
    ordinal: Mapped[int]
    #: [start, end) in code points over the document's canonical text.
    start: Mapped[int]
    end: Mapped[int]
    #: The exact text at the offsets, checked on every write.
    text: Mapped[str] = mapped_column(sa.Text)
    paragraph: Mapped[int]
    #: How many words ``text`` has (white-space separated), kept with it so that the sourcing
    #: balance of a large corpus is summed in SQL instead of splitting every quote again.
    words: Mapped[int] = mapped_column(default=0, server_default="0")

    @validates("text")
    def _count_words(self, _key: str, text: str) -> str:
        self.words = word_count((text,))
        return text


class ClaimStance(Base):
    __tablename__ = "claim_stances"
    __table_args__ = (sa.UniqueConstraint("claim_id", "target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("claims.id", ondelete="CASCADE"))
    #: A target code of the codebook.
    target: Mapped[str] = mapped_column(sa.String(64))
    #: favor, against, neutral or none.
    value: Mapped[str] = mapped_column(sa.String(16))


class BiasMarker(Base):
    __tablename__ = "bias_markers"
    __table_args__ = (
        sa.Index("ix_bias_markers_document_layer", "document_id", "layer", "annotator_id"),
        sa.CheckConstraint("layer IN ('annotator', 'gold')", name="layer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"))
    annotator_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    layer: Mapped[str] = mapped_column(sa.String(16), default="annotator")
    codebook_version: Mapped[int]
    version: Mapped[int] = mapped_column(default=1)
    start: Mapped[int]
    end: Mapped[int]
    text: Mapped[str] = mapped_column(sa.Text)
    bias_type: Mapped[str] = mapped_column(sa.String(40))
    #: A target code of the codebook, or a speaker-free description.
    target: Mapped[str | None] = mapped_column(sa.String(64))
    polarity: Mapped[str | None] = mapped_column(sa.String(16))
    note: Mapped[str | None] = mapped_column(sa.Text)
    anchor: Mapped[str] = mapped_column(sa.String(16), default="exact")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    annotator: Mapped[User] = relationship(lazy="raise_on_sql")

    __mapper_args__ = {"version_id_col": version}


class ArticleLabel(Base):
    """Article-level fields, one row per annotator (or gold) and document."""

    __tablename__ = "article_labels"
    __table_args__ = (sa.UniqueConstraint("document_id", "annotator_id", "layer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"))
    annotator_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    layer: Mapped[str] = mapped_column(sa.String(16), default="annotator")
    codebook_version: Mapped[int]
    version: Mapped[int] = mapped_column(default=1)
    outlet: Mapped[str | None] = mapped_column(sa.String(300))
    ownership: Mapped[str | None] = mapped_column(sa.String(64))
    genre: Mapped[str | None] = mapped_column(sa.String(64))
    frame: Mapped[str | None] = mapped_column(sa.String(64))
    slant: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    omissions: Mapped[str | None] = mapped_column(sa.Text)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    annotator: Mapped[User] = relationship(lazy="raise_on_sql")

    __mapper_args__ = {"version_id_col": version}
