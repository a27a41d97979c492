"""W3C Web Annotation export: one JSON-LD ``AnnotationCollection`` (``research/domain.md`` §3.1).

One Annotation per claim and one per bias marker. Each target is a ``SpecificResource`` on
the document IRI (``{base_url}/documents/{id}``) with a ``TextQuoteSelector`` (exact text,
32 code points of prefix and suffix) and a ``TextPositionSelector`` (code points, end
exclusive); a discontinuous quote has one target per segment.

How an attribution relation fits the model, which has no relation type: the content
segments are the targets; the speaker is a ``SpecificResource`` body with purpose
``identifying`` whose source is the registry entry
(``{base_url}/projects/{slug}/speakers/{id}``); the source mention and the cue are
``SpecificResource`` bodies on the document (purposes ``identifying`` and ``describing``,
``label`` "source mention" / "cue"); codes are ``TextualBody`` values ``field:code`` with
purpose ``classifying``; stances and the layer are ``tagging`` bodies (``stance:T2:against``,
``layer:gold``); the verdict is an ``assessing`` body, evidence URLs ``linking`` bodies, the
note a ``commenting`` body. Only terms of the W3C context are used, so ``@context`` is
exactly ``http://www.w3.org/ns/anno.jsonld`` and every item validates against the W3C
test schemas on its own (each item repeats the ``@context`` for that reason).

The collection is streamed: the envelope first, then the items one by one, then ``total``.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from app.export.common import base_iri, document_iri, speaker_iri
from app.export.model import ClaimOut, DocumentBundle, ExportContext, MarkerOut, SpanOut
from app.export.streams import text_chunks

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
CONTEXT_FILE = Path(__file__).resolve().parent.parent / "data" / "anno.jsonld"
QUOTE_CONTEXT_CHARS = 32
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@functools.cache
def _packaged_context() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))
    return document


def local_document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """A pyld document loader that serves the packaged W3C context and nothing else.

    Validating or expanding our exports must not fetch anything from the network (the
    W3C asks clients to cache the context; CI has no network): pass it as
    ``jsonld.expand(doc, {"documentLoader": local_document_loader})``.

    :raises ValueError: for any other URL (pyld reports it as a loading failure).
    """
    if url != ANNO_CONTEXT:
        raise ValueError(f"refusing to load {url!r}: only {ANNO_CONTEXT} is served, from the packaged copy")
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": copy.deepcopy(_packaged_context()),
    }


def selectors(text: str, span: SpanOut) -> list[dict[str, Any]]:
    """Quote and position selectors of a span; prefix/suffix are left out at the text's ends."""
    quote_selector: dict[str, Any] = {"type": "TextQuoteSelector", "exact": span.text}
    prefix = text[max(0, span.start - QUOTE_CONTEXT_CHARS) : span.start]
    suffix = text[span.end : span.end + QUOTE_CONTEXT_CHARS]
    if prefix:
        quote_selector["prefix"] = prefix
    if suffix:
        quote_selector["suffix"] = suffix
    return [quote_selector, {"type": "TextPositionSelector", "start": span.start, "end": span.end}]


def _target(source: str, text: str, span: SpanOut) -> dict[str, Any]:
    return {"type": "SpecificResource", "source": source, "selector": selectors(text, span)}


def _classifying(field: str, value: object, purpose: str = "classifying") -> dict[str, Any]:
    return {"type": "TextualBody", "purpose": purpose, "value": f"{field}:{value}"}


def _textual(purpose: str, text: str) -> dict[str, Any]:
    """Free text (a verdict, a note), exactly as typed."""
    return {"type": "TextualBody", "purpose": purpose, "value": text, "format": "text/plain"}


class AnnotationBuilder:
    """Annotations of one export (IRIs and the generator are shared by all items)."""

    def __init__(self, ctx: ExportContext) -> None:
        self.ctx = ctx
        self.generator = {"id": f"{base_iri(ctx)}/", "type": "Software", "name": ctx.generator}

    def _common(self, item_id: str, item: ClaimOut | MarkerOut) -> dict[str, Any]:
        return {
            "@context": ANNO_CONTEXT,
            "id": item_id,
            "type": "Annotation",
            "motivation": "classifying",
            "creator": {"type": "Person", "nickname": item.annotator},
            "created": item.created_at,
            "modified": item.updated_at,
            "generator": self.generator,
        }

    def claim(self, text: str, claim: ClaimOut) -> dict[str, Any]:
        source = document_iri(self.ctx, claim.document_id)
        bodies: list[dict[str, Any]] = []
        if claim.speaker is not None:
            bodies.append({
                "type": "SpecificResource",
                "purpose": "identifying",
                "source": speaker_iri(self.ctx, claim.speaker.id),
                "label": claim.speaker.name,
            })
        if claim.source is not None:
            mention = _target(source, text, claim.source)
            bodies.append({**mention, "purpose": "identifying", "label": "source mention"})
        if claim.cue is not None:
            cue = _target(source, text, claim.cue)
            bodies.append({**cue, "purpose": "describing", "label": "cue"})
        for field, value in (
            ("attribution", claim.attribution),
            ("source_specificity", claim.source_specificity),
            ("speaker_resolution", claim.speaker_resolution),
            ("cue_valence", claim.cue_valence),
            ("authorial_stance", claim.authorial_stance),
            ("claim_type", claim.claim_type),
            ("claim_type_ff", claim.claim_type_ff),
            ("check_worthiness", claim.check_worthiness),
        ):
            if value is not None:
                bodies.append(_classifying(field, value))
        if claim.verifiable is not None:
            bodies.append(_classifying("verifiable", "true" if claim.verifiable else "false"))
        for target, stance in claim.stances.items():
            bodies.append(_classifying(f"stance:{target}", stance, "tagging"))
        verification = claim.verification or {}
        if verification.get("status"):
            bodies.append(_classifying("verification_status", verification["status"], "assessing"))
        if verification.get("rating_text"):
            bodies.append(_textual("assessing", verification["rating_text"]))
        for evidence in verification.get("evidence") or ():
            if evidence.get("url"):
                bodies.append({"type": "SpecificResource", "purpose": "linking", "source": evidence["url"]})
        bodies.append(_classifying("layer", claim.layer, "tagging"))
        if claim.note:
            bodies.append(_textual("commenting", claim.note))
        annotation = self._common(f"{source}#c{claim.id}", claim)
        annotation["body"] = bodies
        annotation["target"] = [_target(source, text, segment) for segment in claim.content]
        return annotation

    def marker(self, text: str, marker: MarkerOut) -> dict[str, Any]:
        source = document_iri(self.ctx, marker.document_id)
        bodies = [_classifying("bias_type", marker.bias_type)]
        if marker.polarity is not None:
            bodies.append(_classifying("polarity", marker.polarity))
        if marker.target is not None:
            bodies.append(_classifying("bias_target", marker.target, "tagging"))
        bodies.append(_classifying("in_quote", "true" if marker.in_quote else "false", "tagging"))
        bodies.append(_classifying("layer", marker.layer, "tagging"))
        if marker.note:
            bodies.append(_textual("commenting", marker.note))
        annotation = self._common(f"{source}#m{marker.id}", marker)
        annotation["body"] = bodies
        annotation["target"] = _target(source, text, marker.span)
        return annotation


def collection_iri(ctx: ExportContext) -> str:
    return f"{base_iri(ctx)}/api/v1/projects/{quote(ctx.project_slug, safe='')}/export?format=webanno"


def write_webanno(ctx: ExportContext, bundles: Iterable[DocumentBundle]) -> Iterator[bytes]:
    """The collection, streamed: envelope, then each annotation, then the total."""
    builder = AnnotationBuilder(ctx)
    collection_id = collection_iri(ctx)
    envelope = {
        "@context": ANNO_CONTEXT,
        "id": collection_id,
        "type": "AnnotationCollection",
        "label": f"{ctx.project_name}: claims and bias markers",
        "generator": builder.generator,
        "generated": ctx.generated_at,
    }
    head = _dumps(envelope)[:-1]  # reopen the object to append "first" and, at the end, "total"
    page = f'{{"id":{_dumps(collection_id + "#page1")},"type":"AnnotationPage","startIndex":0,"items":['
    total = 0

    def items() -> Iterator[str]:
        nonlocal total
        for bundle in bundles:
            text = bundle.document.text
            annotations = [builder.claim(text, claim) for claim in bundle.claims]
            annotations += [builder.marker(text, marker) for marker in bundle.markers]
            for annotation in annotations:
                yield ("," if total else "") + _dumps(annotation) + "\n"
                total += 1

    opening = f'{head},"first":{page}\n'
    return text_chunks(items(), opening=opening, closing=lambda: f']}},"total":{total}}}\n')
