"""The shapes every export writer consumes: one bundle per document, streamed.

Pure data (no Flask, no SQLAlchemy). ``app.services.exports`` turns database rows into these
bundles, one document at a time, so a writer never holds more than one document's claims.
Offsets are Unicode code points over ``DocumentOut.text`` (the canonical text), end exclusive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


# Not frozen: an export makes a few million spans, and a frozen dataclass's ``__init__`` (which
# goes through ``object.__setattr__``) costs four times as much. Treat it as immutable all the same.
@dataclass(slots=True, unsafe_hash=True)
class SpanOut:
    start: int
    end: int
    text: str
    paragraph: int | None = None


@dataclass(frozen=True, slots=True)
class SpeakerOut:
    id: int
    name: str
    aliases: tuple[str, ...]
    type: str | None
    role: str | None
    affiliation: str | None
    side: str | None
    country: str | None
    wikidata: str | None


@dataclass(slots=True)
class ClaimOut:
    id: int
    document_id: int
    annotator: str  # user name of the annotator (for gold: the curator who wrote it)
    layer: str  # "annotator" or "gold"
    codebook_version: int
    version: int
    content: list[SpanOut]
    source: SpanOut | None
    cue: SpanOut | None
    attribution: str
    source_specificity: str | None
    speaker: SpeakerOut | None
    speaker_resolution: str | None
    cue_valence: str | None
    stances: dict[str, str]  # target code -> favor|against|neutral|none
    authorial_stance: str | None
    claim_type: str | None
    claim_type_ff: str | None  # Full Fact class the claim type collapses to
    verifiable: bool | None
    check_worthiness: str | None
    # {status, rating_text, evidence: [{url, title, accessed_at, note}], checked_by, checked_at}
    verification: dict[str, Any] | None
    note: str | None
    created_at: str  # ISO 8601 UTC
    updated_at: str
    n_bias_spans_overlapping: int = 0
    # Identity of the recurring fields above (annotator, layer, codebook_version, version,
    # attribution, source_specificity, speaker, speaker_resolution, cue_valence, stances,
    # authorial_stance, claim_type, claim_type_ff, verifiable, check_worthiness): claims with the
    # same key have the same values there, so a writer may encode that part once per key. Set
    # by the producer that knows it (``app.services.exports``); None means "not known". Whoever
    # changes one of those fields on a keyed claim must set it back to None.
    codes_key: object = None


@dataclass(slots=True)
class MarkerOut:
    id: int
    document_id: int
    annotator: str
    layer: str
    codebook_version: int
    version: int
    span: SpanOut
    bias_type: str
    target: str | None
    polarity: str | None
    in_quote: bool
    note: str | None
    created_at: str
    updated_at: str


@dataclass(slots=True)
class LabelsOut:
    document_id: int
    annotator: str
    layer: str
    outlet: str | None
    ownership: str | None
    genre: str | None
    frame: str | None
    slant: dict[str, str]
    omissions: str | None
    notes: str | None
    version: int


@dataclass(slots=True)
class DocumentOut:
    id: int
    title: str
    text: str
    text_hash: str
    paragraphs: list[tuple[int, int]]  # (start, end) of each paragraph in text
    source: str | None = None
    url: str | None = None
    author: str | None = None
    published: str | None = None
    external_id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class DocumentBundle:
    document: DocumentOut
    claims: list[ClaimOut]
    markers: list[MarkerOut]
    labels: list[LabelsOut]


@dataclass(slots=True)
class ExportContext:
    project_slug: str
    project_name: str
    codebook: dict[str, Any]  # as GET /api/v1/projects/{slug}/codebook answers
    speakers: list[SpeakerOut]
    base_url: str  # absolute URL prefix for IRIs in linked-data exports, e.g. "http://127.0.0.1:5000"
    generated_at: str  # ISO 8601 UTC
    generator: str = "Sourcemark 0.1.0"
    filters: dict[str, Any] = field(default_factory=dict)
