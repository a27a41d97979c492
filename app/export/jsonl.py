"""JSONL export: one JSON object per document, lossless (``research/domain.md`` §3.4).

Each line holds the canonical text, its hash and paragraphs, and every claim, bias marker
and set of article labels of the exported layers, each item naming its annotator and
layer. Text is exact (``ensure_ascii=False``; JSON escapes newlines, so one line stays one
document). The shape is published as a JSON Schema (draft 2020-12) in
``docs/schemas/sourcemark-jsonl.schema.json``; ``app.export.readers.read_jsonl`` reads it back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from app.export.common import STREAM_CHUNK_BYTES, ParagraphLocator, document_metadata
from app.export.model import (
    ClaimOut,
    DocumentBundle,
    ExportContext,
    LabelsOut,
    MarkerOut,
    SpanOut,
    SpeakerOut,
)

FORMAT_VERSION = 1
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def span_record(span: SpanOut, locate: ParagraphLocator) -> dict[str, Any]:
    return {
        "start": span.start,
        "end": span.end,
        "text": span.text,
        "paragraph": span.paragraph if span.paragraph is not None else locate(span.start),
    }


def speaker_record(speaker: SpeakerOut) -> dict[str, Any]:
    return {
        "id": speaker.id,
        "name": speaker.name,
        "aliases": list(speaker.aliases),
        "type": speaker.type,
        "role": speaker.role,
        "affiliation": speaker.affiliation,
        "side": speaker.side,
        "country": speaker.country,
        "wikidata": speaker.wikidata,
    }


class RecordBuilder:
    """Builds the JSON-ready dicts; caches speaker objects, which repeat across claims."""

    def __init__(self) -> None:
        self._speakers: dict[int, dict[str, Any]] = {}

    def speaker(self, speaker: SpeakerOut | None) -> dict[str, Any] | None:
        if speaker is None:
            return None
        record = self._speakers.get(speaker.id)
        if record is None:
            record = self._speakers[speaker.id] = speaker_record(speaker)
        return record

    def claim(self, claim: ClaimOut, locate: ParagraphLocator) -> dict[str, Any]:
        source = claim.source
        cue = claim.cue
        return {
            "id": claim.id,
            "annotator": claim.annotator,
            "layer": claim.layer,
            "codebook_version": claim.codebook_version,
            "version": claim.version,
            "content": [span_record(span, locate) for span in claim.content],
            "source": span_record(source, locate) if source else None,
            "cue": span_record(cue, locate) if cue else None,
            "attribution": claim.attribution,
            "source_specificity": claim.source_specificity,
            "speaker": self.speaker(claim.speaker),
            "speaker_resolution": claim.speaker_resolution,
            "cue_valence": claim.cue_valence,
            "stances": [{"target": target, "value": value} for target, value in claim.stances.items()],
            "authorial_stance": claim.authorial_stance,
            "claim_type": claim.claim_type,
            "claim_type_ff": claim.claim_type_ff,
            "verifiable": claim.verifiable,
            "check_worthiness": claim.check_worthiness,
            "verification": claim.verification,
            "note": claim.note,
            "n_bias_spans_overlapping": claim.n_bias_spans_overlapping,
            "created_at": claim.created_at,
            "updated_at": claim.updated_at,
        }

    @staticmethod
    def marker(marker: MarkerOut, locate: ParagraphLocator) -> dict[str, Any]:
        return {
            "id": marker.id,
            "annotator": marker.annotator,
            "layer": marker.layer,
            "codebook_version": marker.codebook_version,
            "version": marker.version,
            "span": span_record(marker.span, locate),
            "bias_type": marker.bias_type,
            "target": marker.target,
            "polarity": marker.polarity,
            "in_quote": marker.in_quote,
            "note": marker.note,
            "created_at": marker.created_at,
            "updated_at": marker.updated_at,
        }

    @staticmethod
    def labels(labels: LabelsOut) -> dict[str, Any]:
        return {
            "annotator": labels.annotator,
            "layer": labels.layer,
            "outlet": labels.outlet,
            "ownership": labels.ownership,
            "genre": labels.genre,
            "frame": labels.frame,
            "slant": labels.slant,
            "omissions": labels.omissions,
            "notes": labels.notes,
            "version": labels.version,
        }

    def document(self, ctx: ExportContext, bundle: DocumentBundle) -> dict[str, Any]:
        document = bundle.document
        locate = ParagraphLocator(document.paragraphs)
        claim = self.claim
        marker = self.marker
        return {
            "format_version": FORMAT_VERSION,
            "project": ctx.project_slug,
            "doc_id": document.id,
            "title": document.title,
            "text": document.text,
            "text_hash": document.text_hash,
            "metadata": document_metadata(document),
            "paragraphs": [
                {"index": index, "start": start, "end": end}
                for index, (start, end) in enumerate(document.paragraphs)
            ],
            "claims": [claim(c, locate) for c in bundle.claims],
            "bias_spans": [marker(m, locate) for m in bundle.markers],
            "article_labels": [self.labels(labels) for labels in bundle.labels],
        }


def write_jsonl(ctx: ExportContext, bundles: Iterable[DocumentBundle]) -> Iterator[bytes]:
    """One line per document; lines are batched into chunks of about 256 kB."""
    builder = RecordBuilder()
    pending: list[str] = []
    size = 0
    for bundle in bundles:
        line = _encode(builder.document(ctx, bundle))
        pending.append(line)
        size += len(line)
        if size >= STREAM_CHUNK_BYTES:
            pending.append("")
            yield "\n".join(pending).encode("utf-8")
            pending.clear()
            size = 0
    if pending:
        pending.append("")
        yield "\n".join(pending).encode("utf-8")
