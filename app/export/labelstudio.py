"""Label Studio export: a JSON array of tasks, one per document (``research/domain.md`` §3.8).

Each task is ``{id, data: {text, title, doc_id}, annotations: [...]}`` with one annotation
per layer (``completed_by`` and ``created_username`` hold the annotator's user name,
``ground_truth`` marks the gold layer). Regions follow ``app.export.regions``: ``labels``
results from the ``label`` control (``SOURCE``, ``CUE``, ``CONTENT``) and the ``bias``
control (bias types), always with ``value.text`` (Label Studio's own export lacks it, a
standing complaint); per-region ``choices`` share the region id; relations run
source → content (``source_of``), cue → content (``cue_of``) and later segment → first
segment (``segment_of``); notes are per-region ``textarea`` results.

``labelstudio_config(ctx)`` gives the matching labelling configuration (XML), which the web
layer offers as a second download so that the import is one click.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any
from xml.sax.saxutils import quoteattr

from app.export.common import CodebookLookup, item_layer
from app.export.model import ClaimOut, DocumentBundle, ExportContext, MarkerOut
from app.export.regions import (
    CLAIM_CHOICES,
    CONTENT,
    CUE,
    CUE_OF,
    SEGMENT_OF,
    SOURCE,
    SOURCE_OF,
    STANCE_PREFIX,
    Region,
    claim_choices,
    claim_regions,
    marker_choices,
    marker_region,
)
from app.export.streams import json_array

TEXT_NAME = "text"
SPAN_CONTROL = "label"
BIAS_CONTROL = "bias"
NOTE_CONTROL = "note"
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _span_value(region: Region) -> dict[str, Any]:
    return {"start": region.span.start, "end": region.span.end, "text": region.span.text}


def _labels(region: Region, control: str, label: str) -> dict[str, Any]:
    return {
        "id": region.key,
        "from_name": control,
        "to_name": TEXT_NAME,
        "type": "labels",
        "origin": "manual",
        "value": {**_span_value(region), "labels": [label]},
    }


def _choice(region: Region, control: str, value: str) -> dict[str, Any]:
    return {
        "id": region.key,
        "from_name": control,
        "to_name": TEXT_NAME,
        "type": "choices",
        "origin": "manual",
        "value": {**_span_value(region), "choices": [value]},
    }


def _note(region: Region, note: str) -> dict[str, Any]:
    return {
        "id": region.key,
        "from_name": NOTE_CONTROL,
        "to_name": TEXT_NAME,
        "type": "textarea",
        "origin": "manual",
        "value": {"start": region.span.start, "end": region.span.end, "text": [note]},
    }


def claim_results(claim: ClaimOut) -> list[dict[str, Any]]:
    regions, relations = claim_regions(claim)
    results = [_labels(region, SPAN_CONTROL, region.label) for region in regions]
    head = regions[0]
    results += [_choice(head, name, value) for name, value in claim_choices(claim).items()]
    if claim.note:
        results.append(_note(head, claim.note))
    results += [
        {
            "type": "relation",
            "from_id": relation.source_key,
            "to_id": relation.target_key,
            "direction": "right",
            "labels": [relation.kind],
        }
        for relation in relations
    ]
    return results


def marker_results(marker: MarkerOut) -> list[dict[str, Any]]:
    region = marker_region(marker)
    choices = marker_choices(marker)
    results = [_labels(region, BIAS_CONTROL, choices.pop("bias_type"))]
    results += [_choice(region, name, value) for name, value in choices.items()]
    if marker.note:
        results.append(_note(region, marker.note))
    return results


def task(bundle: DocumentBundle, first_annotation_id: int) -> dict[str, Any]:
    """The task of one document; annotation ids continue from ``first_annotation_id``."""
    document = bundle.document
    layers: dict[str, list[ClaimOut | MarkerOut]] = {}
    for item in [*bundle.claims, *bundle.markers]:
        layers.setdefault(item_layer(item), []).append(item)
    annotations = []
    for offset, (layer, items) in enumerate(layers.items()):
        results: list[dict[str, Any]] = []
        for item in items:
            results += claim_results(item) if isinstance(item, ClaimOut) else marker_results(item)
        annotations.append({
            "id": first_annotation_id + offset,
            "completed_by": items[0].annotator,
            "created_username": items[0].annotator,
            "result": results,
            "was_cancelled": False,
            "ground_truth": layer == "gold",
            "created_at": min(item.created_at for item in items),
            "updated_at": max(item.updated_at for item in items),
            "lead_time": 0,
            "meta": {"layer": layer},
        })
    return {
        "id": document.id,
        "data": {TEXT_NAME: document.text, "title": document.title, "doc_id": document.id},
        "meta": {"text_hash": document.text_hash, "url": document.url, "source": document.source},
        "annotations": annotations,
        "predictions": [],
    }


def write_labelstudio(ctx: ExportContext, bundles: Iterable[DocumentBundle]) -> Iterator[bytes]:
    """A JSON array of tasks, streamed one task at a time."""

    def tasks() -> Iterator[str]:
        annotation_id = 1  # unique over the export, as Label Studio expects
        for bundle in bundles:
            item = task(bundle, annotation_id)
            annotation_id += len(item["annotations"])
            yield _dumps(item)

    return json_array(tasks())


def _choices_xml(name: str, values: list[tuple[str, str | None]], visible_when: str) -> str:
    options = "".join(
        f"<Choice value={quoteattr(code)}{' hint=' + quoteattr(hint) if hint else ''}/>"
        for code, hint in values
    )
    return (
        f'  <Choices name={quoteattr(name)} toName="{TEXT_NAME}" perRegion="true" choice="single" '
        f'visibleWhen="region-selected" {visible_when}>{options}</Choices>'
    )


def labelstudio_config(ctx: ExportContext) -> str:
    """The labelling configuration matching ``write_labelstudio``'s results, from the codebook."""
    codebook = CodebookLookup(ctx.codebook)

    def coded(field: str) -> list[tuple[str, str | None]]:
        return [(str(e["code"]), e.get("definition") or e.get("label")) for e in codebook.entries(field)]

    on_claims = f'whenLabelValue="{CONTENT}"'
    on_markers = f'whenTagName="{BIAS_CONTROL}"'
    lines = [
        "<View>",
        f"  <Header value={quoteattr(ctx.project_name)}/>",
        f'  <Labels name="{SPAN_CONTROL}" toName="{TEXT_NAME}">'
        f'<Label value="{SOURCE}" background="#8fd4ff"/><Label value="{CUE}" background="#b6f0a0"/>'
        f'<Label value="{CONTENT}" background="#ffe08a"/></Labels>',
        f'  <Labels name="{BIAS_CONTROL}" toName="{TEXT_NAME}">'
        + "".join(f'<Label value={quoteattr(code)} background="#ff9f9f"/>' for code, _ in coded("bias_type"))
        + "</Labels>",
        f'  <Text name="{TEXT_NAME}" value="$text"/>',
        f'  <Relations><Relation value="{SOURCE_OF}"/><Relation value="{CUE_OF}"/>'
        f'<Relation value="{SEGMENT_OF}"/></Relations>',
    ]
    for name in CLAIM_CHOICES:
        if name == "speaker":
            values: list[tuple[str, str | None]] = [(s.name, s.role) for s in ctx.speakers]
        else:
            values = coded(name)
        if values:
            lines.append(_choices_xml(name, values, on_claims))
    for target in codebook.targets:
        lines.append(_choices_xml(f"{STANCE_PREFIX}{target['code']}", coded("stance"), on_claims))
    lines.append(_choices_xml("polarity", coded("polarity"), on_markers))
    targets = [(str(target["code"]), target.get("label")) for target in codebook.targets]
    lines.append(_choices_xml("bias_target", targets, on_markers))
    lines.append(
        f'  <TextArea name="{NOTE_CONTROL}" toName="{TEXT_NAME}" perRegion="true" editable="true" '
        'visibleWhen="region-selected"/>'
    )
    lines.append("</View>")
    return "\n".join(lines) + "\n"
