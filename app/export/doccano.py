"""doccano export: JSONL for sequence labelling with relations (``research/domain.md`` §3.7).

doccano keeps one set of labels per example, so the unit is a document *and layer*: one line
per annotated layer of each document (a document nobody annotated gets one line with no
labels). ``id`` is the document id (repeated across its layers; doccano assigns its own ids
on import), ``meta`` names the document, annotator and layer.

Each line carries both doccano shapes: ``entities`` + ``relations`` (relation projects) and
``label`` ``[[start, end, LABEL], …]`` (sequence labelling, older versions call it
``labels``). Entity labels are ``SOURCE``, ``CUE``, ``CONTENT`` and ``BIAS:<bias_type>``;
relations follow ``app.export.regions`` (``source_of``, ``cue_of``, ``segment_of``).
doccano has no per-span attributes, so the claims' codes, stances and notes travel in
``meta.attributes``, keyed by entity id, for ``readers.read_doccano`` to restore.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from app.export.common import item_layer
from app.export.model import ClaimOut, DocumentBundle, ExportContext, MarkerOut
from app.export.regions import BIAS, claim_choices, claim_regions, marker_choices, marker_region
from app.export.streams import text_chunks

BIAS_LABEL_PREFIX = f"{BIAS}:"
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def layer_example(
    bundle: DocumentBundle, layer: str | None, items: list[ClaimOut | MarkerOut]
) -> dict[str, Any]:
    """One doccano example: the document's text with one layer's spans."""
    entities: list[dict[str, Any]] = []
    relations: list[dict[str, Any]] = []
    attributes: dict[str, dict[str, Any]] = {}
    entity_ids: dict[str, int] = {}

    def add(key: str, label: str, start: int, end: int) -> int:
        entity_ids[key] = len(entities) + 1
        entities.append({"id": entity_ids[key], "label": label, "start_offset": start, "end_offset": end})
        return entity_ids[key]

    for item in items:
        if isinstance(item, ClaimOut):
            regions, links = claim_regions(item)
            for region in regions:
                add(region.key, region.label, region.span.start, region.span.end)
            head = entity_ids[regions[0].key]
            details: dict[str, Any] = dict(claim_choices(item))
            if item.note:
                details["note"] = item.note
            details["claim_id"] = item.id
            attributes[str(head)] = details
            for link in links:
                relations.append({
                    "id": len(relations) + 1,
                    "from_id": entity_ids[link.source_key],
                    "to_id": entity_ids[link.target_key],
                    "type": link.kind,
                })
        else:
            region = marker_region(item)
            choices = marker_choices(item)
            label = BIAS_LABEL_PREFIX + choices.pop("bias_type")
            entity = add(region.key, label, region.span.start, region.span.end)
            details = dict(choices)
            if item.note:
                details["note"] = item.note
            details["marker_id"] = item.id
            attributes[str(entity)] = details
    document = bundle.document
    return {
        "id": document.id,
        "text": document.text,
        "entities": entities,
        "relations": relations,
        "label": [[e["start_offset"], e["end_offset"], e["label"]] for e in entities],
        "meta": {
            "doc_id": document.id,
            "title": document.title,
            "annotator": items[0].annotator if items else None,
            "layer": layer,
            "gold": bool(items) and items[0].layer == "gold",
            "text_hash": document.text_hash,
            "attributes": attributes,
        },
    }


def examples(bundle: DocumentBundle) -> list[dict[str, Any]]:
    layers: dict[str, list[ClaimOut | MarkerOut]] = {}
    for item in [*bundle.claims, *bundle.markers]:
        layers.setdefault(item_layer(item), []).append(item)
    if not layers:
        return [layer_example(bundle, None, [])]
    return [layer_example(bundle, layer, items) for layer, items in layers.items()]


def write_doccano(ctx: ExportContext, bundles: Iterable[DocumentBundle]) -> Iterator[bytes]:
    """One JSON line per document and layer."""
    return text_chunks(_dumps(example) + "\n" for bundle in bundles for example in examples(bundle))
