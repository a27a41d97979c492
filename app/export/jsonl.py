"""JSONL export: one JSON object per document, lossless (``research/domain.md`` §3.4).

Each line holds the canonical text, its hash and paragraphs, and every claim, bias marker
and set of article labels of the exported layers, each item naming its annotator and
layer. Text is exact (``ensure_ascii=False``; JSON escapes newlines, so one line stays one
document). The shape is published as a JSON Schema (draft 2020-12) in
``docs/schemas/sourcemark-jsonl.schema.json``; ``app.export.readers.read_jsonl`` reads it back.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring as _json_string  # the C escaper: quotes included
from typing import Any

from app.export.common import EncodedTimestamps, ParagraphLocator, document_metadata, paragraph_locator
from app.export.model import (
    ClaimCodes,
    DocumentBundle,
    ExportContext,
    LabelsOut,
    MarkerOut,
    RowBundle,
    SpanOut,
    SpeakerOut,
    row_bundle,
)
from app.export.streams import text_chunks

FORMAT_VERSION = 1
# Distinct ``codes_key``s whose JSON a writer keeps (a few hundred in practice).
KEYED_CODES_LIMIT = 20_000
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
loads = json.loads


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


def labels_record(labels: LabelsOut) -> dict[str, Any]:
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


class _JsonValues(dict[str | None, str]):
    """JSON text of recurring strings (codes, user names); ``None`` becomes ``null``."""

    def __missing__(self, value: str | None) -> str:
        encoded = self[value] = "null" if value is None else _json_string(value)
        return encoded


class DocumentLines:
    """The JSON line of a document, with claims assembled from pre-encoded pieces.

    ``json.dumps`` of a claim dict spends most of its time walking the structure (about
    9 µs a claim, plus building the dict); the same text from an f-string, with strings
    escaped by the C encoder and recurring values (codes, speakers) encoded once per export,
    takes about half. Labels and metadata are few and go through ``json`` as dicts. The
    published JSON Schema and the round-trip tests hold the shape.
    """

    def __init__(self, ctx: ExportContext) -> None:
        self._values = _JsonValues()
        self._speakers: dict[int | None, str] = {None: "null"}
        self._by_key: dict[object, tuple[str, str]] = {}
        self._stamps = EncodedTimestamps(_json_string)
        project = _json_string(ctx.project_slug)
        self._head = f'{{"format_version":{FORMAT_VERSION},"project":{project},"doc_id":'

    def _speaker(self, speaker: SpeakerOut) -> str:
        encoded = self._speakers[speaker.id] = _dumps(speaker_record(speaker))
        return encoded

    @staticmethod
    def _span(span: SpanOut | None, locate: ParagraphLocator) -> str:
        if span is None:
            return "null"
        paragraph = span.paragraph if span.paragraph is not None else locate(span.start)
        return (
            f'{{"start":{span.start},"end":{span.end},"text":{_json_string(span.text)},'
            f'"paragraph":{"null" if paragraph is None else paragraph}}}'
        )

    def _codes(self, codes: ClaimCodes) -> tuple[str, str]:
        """The members for the recurring fields: annotator … version, and attribution … check_worthiness."""
        value = self._values
        speaker = codes.speaker
        speaker_id = None if speaker is None else speaker.id
        speaker_json = self._speakers.get(speaker_id)
        if speaker_json is None:
            speaker_json = self._speaker(speaker)  # type: ignore[arg-type]  # None is always cached
        stances = codes.stances
        stance_text = ",".join([
            f'{{"target":{value[target]},"value":{value[stance]}}}' for target, stance in stances.items()
        ]) if stances else ""
        verifiable = codes.verifiable
        return (
            f'"annotator":{value[codes.annotator]},"layer":{value[codes.layer]},'
            f'"codebook_version":{codes.codebook_version},"version":{codes.version},',
            f'"attribution":{value[codes.attribution]},'
            f'"source_specificity":{value[codes.source_specificity]},'
            f'"speaker":{speaker_json},"speaker_resolution":{value[codes.speaker_resolution]},'
            f'"cue_valence":{value[codes.cue_valence]},"stances":[{stance_text}],'
            f'"authorial_stance":{value[codes.authorial_stance]},"claim_type":{value[codes.claim_type]},'
            f'"claim_type_ff":{value[codes.claim_type_ff]},'
            f'"verifiable":{"null" if verifiable is None else "true" if verifiable else "false"},'
            f'"check_worthiness":{value[codes.check_worthiness]},',
        )

    def _keyed(self, key: object, codes: ClaimCodes) -> tuple[str, str]:
        if len(self._by_key) >= KEYED_CODES_LIMIT:
            self._by_key.clear()
        members = self._by_key[key] = self._codes(codes)
        return members

    def claims(self, bundle: RowBundle, locate: ParagraphLocator) -> str:
        """The document's claims as JSON objects, comma-separated (hot path: a million must take seconds)."""
        by_key = self._by_key
        codes = bundle.codes
        stamps = self._stamps
        if stamps.source is not bundle.timestamps:
            stamps.use(bundle.timestamps)
        more = bundle.more_segments
        overlaps = bundle.overlaps
        # Where source and cue spans lie: ``locate`` inlined (a call per span costs more than the search).
        starts = [start for start, _end in bundle.document.paragraphs]
        out = []
        for (claim_id, _document_id, key, source_start, source_end, cue_start, cue_end, created, updated, start, end,
             paragraph, source_text, cue_text, verification, note, segment_text) in bundle.claims:
            members = by_key.get(key)
            if members is None:
                members = self._keyed(key, codes[key])
            head, middle = members
            if start is None:
                content = ""
            else:
                if paragraph is None:
                    paragraph = locate(start)
                content = (f'{{"start":{start},"end":{end},"text":{_json_string(segment_text)},'
                           f'"paragraph":{"null" if paragraph is None else paragraph}}}')
                if more and claim_id in more:
                    content = ",".join([content, *[self._segment(*s, locate) for s in more[claim_id]]])
            if source_start is None:
                source = "null"
            else:
                place = bisect_right(starts, source_start) - 1 if starts else None
                source = (f'{{"start":{source_start},"end":{source_end or 0},"text":{_json_string(source_text or "")},'
                          f'"paragraph":{"null" if place is None else place if place > 0 else 0}}}')
            if cue_start is None:
                cue = "null"
            else:
                place = bisect_right(starts, cue_start) - 1 if starts else None
                cue = (f'{{"start":{cue_start},"end":{cue_end or 0},"text":{_json_string(cue_text or "")},'
                       f'"paragraph":{"null" if place is None else place if place > 0 else 0}}}')
            if verification is not None:
                verification = _dumps(loads(verification) if isinstance(verification, str) else verification)
            out.append(
                f'{{"id":{claim_id},{head}"content":[{content}],"source":{source},"cue":{cue},{middle}'
                f'"verification":{"null" if verification is None else verification},'
                f'"note":{"null" if note is None else _json_string(note)},'
                f'"n_bias_spans_overlapping":{overlaps.get(claim_id, 0) if overlaps else 0},'
                f'"created_at":{stamps[created]},"updated_at":{stamps[updated]}}}'
            )
        return ",".join(out)

    @staticmethod
    def _segment(start: int, end: int, text: str, paragraph: int | None, locate: ParagraphLocator) -> str:
        if paragraph is None:
            paragraph = locate(start)
        return (f'{{"start":{start},"end":{end},"text":{_json_string(text)},'
                f'"paragraph":{"null" if paragraph is None else paragraph}}}')

    def marker(self, marker: MarkerOut, locate: ParagraphLocator) -> str:
        value = self._values
        note = marker.note
        return (
            f'{{"id":{marker.id},"annotator":{value[marker.annotator]},"layer":{value[marker.layer]},'
            f'"codebook_version":{marker.codebook_version},"version":{marker.version},'
            f'"span":{self._span(marker.span, locate)},"bias_type":{value[marker.bias_type]},'
            f'"target":{value[marker.target]},"polarity":{value[marker.polarity]},'
            f'"in_quote":{"true" if marker.in_quote else "false"},'
            f'"note":{"null" if note is None else _json_string(note)},'
            f'"created_at":{_json_string(marker.created_at)},"updated_at":{_json_string(marker.updated_at)}}}'
        )

    def document(self, bundle: DocumentBundle | RowBundle) -> str:
        return "".join(self.pieces(bundle))

    def pieces(self, bundle: DocumentBundle | RowBundle) -> tuple[str, ...]:
        """The document's line (with its newline) in pieces: the text and the claims are the bulk of
        an export, and are copied once less than they would be into one string."""
        bundle = row_bundle(bundle)
        document = bundle.document
        locate = paragraph_locator(document.paragraphs)
        marker = self.marker
        paragraphs = ",".join([
            f'{{"index":{index},"start":{start},"end":{end}}}'
            for index, (start, end) in enumerate(document.paragraphs)
        ])
        labels = _dumps([labels_record(labels) for labels in bundle.labels]) if bundle.labels else "[]"
        return (
            f'{self._head}{document.id},"title":{_json_string(document.title)},"text":',
            _json_string(document.text),
            f',"text_hash":{_json_string(document.text_hash)},'
            f'"metadata":{_dumps(document_metadata(document))},"paragraphs":[{paragraphs}],"claims":[',
            self.claims(bundle, locate),
            f'],"bias_spans":[{",".join([marker(m, locate) for m in bundle.markers])}],'
            f'"article_labels":{labels}}}\n',
        )


def write_jsonl(ctx: ExportContext, bundles: Iterable[DocumentBundle | RowBundle]) -> Iterator[bytes]:
    """One line per document, handed on in chunks of about 256 kB."""
    lines = DocumentLines(ctx)
    pieces = lines.pieces
    return text_chunks(piece for bundle in bundles for piece in pieces(bundle))
