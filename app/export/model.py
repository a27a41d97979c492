"""The shapes every export writer consumes: one bundle per document, streamed.

Pure data (no Flask, no SQLAlchemy). ``app.services.exports`` turns database rows into these
bundles, one document at a time, so a writer never holds more than one document's claims.
Offsets are Unicode code points over ``DocumentOut.text`` (the canonical text), end exclusive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


@dataclass(frozen=True, slots=True)
class ClaimCodes:
    """The recurring fields of a claim (``ClaimOut``'s fields of the same names), shared by every
    claim that has the same values: an export has a few hundred combinations for a million claims."""

    annotator: str
    layer: str
    codebook_version: int
    version: int
    attribution: str
    source_specificity: str | None
    speaker: SpeakerOut | None
    speaker_resolution: str | None
    cue_valence: str | None
    stances: dict[str, str]
    authorial_stance: str | None
    claim_type: str | None
    claim_type_ff: str | None
    verifiable: bool | None
    check_worthiness: str | None


# A claim of a ``RowBundle``: one sequence (a tuple, or a list) with these fields, as the database
# hands them over, unconverted. The first content segment is part of the row; the others are in
# ``RowBundle.more_segments``. ``start`` is None for a claim without content.
CLAIM_ROW_FIELDS = (
    "id", "document_id", "codes_key", "source_start", "source_end", "cue_start", "cue_end",
    "created_at", "updated_at",  # the timestamps as stored: ``RowBundle.timestamps`` gives the ISO form
    "start", "end", "paragraph",  # the first content segment's place
    # The texts last: SQLite hands the fields before them over as one JSON array and these as another.
    "source_text", "cue_text",
    "verification",  # None, a JSON object's text, or the dict
    "note",
    "text",  # the first content segment's text
)
ClaimRow = Sequence[Any]


class _Same(dict[Any, Any]):
    def __missing__(self, value: Any) -> Any:
        return value


@dataclass(slots=True)
class RowBundle:
    """A document with its claims as database rows: what the CSV and JSONL writers read fastest.

    The same content as a ``DocumentBundle`` without a ``ClaimOut`` and three ``SpanOut``s per
    claim (building those cost as much as writing the claim). ``codes`` maps a row's
    ``codes_key`` to its ``ClaimCodes``; ``timestamps`` a stored timestamp to its ISO 8601 text;
    ``more_segments`` a claim id to its content segments after the first, as
    ``(start, end, text, paragraph)``; ``overlaps`` a claim id to ``n_bias_spans_overlapping``
    where that is not 0. ``row_bundle`` turns a ``DocumentBundle`` into one.
    """

    document: DocumentOut
    claims: list[ClaimRow]
    markers: list[MarkerOut]
    labels: list[LabelsOut]
    codes: Mapping[Any, ClaimCodes]
    timestamps: Mapping[Any, str] = field(default_factory=_Same)
    more_segments: dict[int, list[tuple[int, int, str, int | None]]] = field(default_factory=dict)
    overlaps: dict[int, int] = field(default_factory=dict)


def claim_codes(claim: ClaimOut) -> ClaimCodes:
    return ClaimCodes(
        claim.annotator, claim.layer, claim.codebook_version, claim.version, claim.attribution,
        claim.source_specificity, claim.speaker, claim.speaker_resolution, claim.cue_valence, claim.stances,
        claim.authorial_stance, claim.claim_type, claim.claim_type_ff, claim.verifiable, claim.check_worthiness,
    )


def row_bundle(bundle: DocumentBundle | RowBundle) -> RowBundle:
    """The bundle with its claims as rows (a ``RowBundle`` is returned as it is).

    A claim's ``codes_key``, where set, is its key in ``codes`` (claims with equal keys have equal
    recurring fields); a claim without one gets a key of its own.
    """
    if isinstance(bundle, RowBundle):
        return bundle
    codes: dict[Any, ClaimCodes] = {}
    rows: list[ClaimRow] = []
    more: dict[int, list[tuple[int, int, str, int | None]]] = {}
    overlaps: dict[int, int] = {}
    for claim in bundle.claims:
        key = claim.codes_key if claim.codes_key is not None else object()
        if key not in codes:
            codes[key] = claim_codes(claim)
        source, cue, content = claim.source, claim.cue, claim.content
        first = content[0] if content else None
        rows.append((
            claim.id, claim.document_id, key,
            None if source is None else source.start, None if source is None else source.end,
            None if cue is None else cue.start, None if cue is None else cue.end,
            claim.created_at, claim.updated_at,
            None if first is None else first.start, None if first is None else first.end,
            None if first is None else first.paragraph,
            None if source is None else source.text, None if cue is None else cue.text,
            claim.verification, claim.note, None if first is None else first.text,
        ))
        if len(content) > 1:
            more[claim.id] = [(s.start, s.end, s.text, s.paragraph) for s in content[1:]]
        if claim.n_bias_spans_overlapping:
            overlaps[claim.id] = claim.n_bias_spans_overlapping
    return RowBundle(bundle.document, rows, bundle.markers, bundle.labels, codes, _Same(), more, overlaps)


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
