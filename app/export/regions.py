"""Claims and markers as labelled regions and relations: the span-tool view of an annotation.

Label Studio and doccano know only labelled spans, relations between them and per-span
choices. An attribution relation becomes: one ``CONTENT`` region per content segment (later
segments point at the first with ``segment_of``), a ``SOURCE`` and a ``CUE`` region pointing
at the first segment (``source_of``, ``cue_of``), and the claim's codes as choices on the
first segment. A bias marker is a ``BIAS`` region with its type. Both writers and
``app.export.readers`` use these names, so the round trip is a matter of reading them back.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.export.model import ClaimOut, MarkerOut, SpanOut

CONTENT, SOURCE, CUE, BIAS = "CONTENT", "SOURCE", "CUE", "BIAS"
SOURCE_OF, CUE_OF, SEGMENT_OF = "source_of", "cue_of", "segment_of"
# Choices carried by a claim's first content region, in this order.
CLAIM_CHOICES = (
    "attribution",
    "source_specificity",
    "speaker_resolution",
    "cue_valence",
    "authorial_stance",
    "claim_type",
    "check_worthiness",
    "verification_status",
    "speaker",
)
STANCE_PREFIX = "stance_"


@dataclass(frozen=True, slots=True)
class Region:
    key: str  # unique within the document's export, e.g. "c101-content-0"
    label: str
    span: SpanOut


@dataclass(frozen=True, slots=True)
class Relation:
    source_key: str
    target_key: str
    kind: str


def claim_choices(claim: ClaimOut) -> dict[str, str]:
    """The codes set on a claim, by choice name; stances as ``stance_<target>``."""
    verification = claim.verification or {}
    values: dict[str, str | None] = {
        "attribution": claim.attribution,
        "source_specificity": claim.source_specificity,
        "speaker_resolution": claim.speaker_resolution,
        "cue_valence": claim.cue_valence,
        "authorial_stance": claim.authorial_stance,
        "claim_type": claim.claim_type,
        "check_worthiness": claim.check_worthiness,
        "verification_status": verification.get("status"),
        "speaker": claim.speaker.name if claim.speaker else None,
    }
    choices = {name: value for name, value in values.items() if value is not None}
    choices.update({f"{STANCE_PREFIX}{target}": value for target, value in claim.stances.items()})
    return choices


def marker_choices(marker: MarkerOut) -> dict[str, str]:
    values = {"bias_type": marker.bias_type, "polarity": marker.polarity, "bias_target": marker.target}
    return {name: value for name, value in values.items() if value is not None}


def claim_regions(claim: ClaimOut) -> tuple[list[Region], list[Relation]]:
    """Regions of one claim (first content segment first) and the relations tying them."""
    prefix = f"c{claim.id}"
    regions = [Region(f"{prefix}-content-{i}", CONTENT, span) for i, span in enumerate(claim.content)]
    head = regions[0].key
    relations = [Relation(region.key, head, SEGMENT_OF) for region in regions[1:]]
    if claim.source is not None:
        regions.append(Region(f"{prefix}-source", SOURCE, claim.source))
        relations.append(Relation(f"{prefix}-source", head, SOURCE_OF))
    if claim.cue is not None:
        regions.append(Region(f"{prefix}-cue", CUE, claim.cue))
        relations.append(Relation(f"{prefix}-cue", head, CUE_OF))
    return regions, relations


def marker_region(marker: MarkerOut) -> Region:
    return Region(f"m{marker.id}", BIAS, marker.span)
