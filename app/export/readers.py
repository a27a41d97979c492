"""Readers for the round trip: JSONL, Label Studio, doccano and brat back into plain dicts.

Pure parsing, no database: each reader yields ``ImportedDocument``s whose claims, bias
markers and article labels are grouped by layer (the annotator's user name, or ``gold``)
and shaped like the JSON API's request bodies (``POST /documents/{id}/claims``:
``content``, ``source_span``, ``cue_span``, ``speaker`` by name, codes, ``stances`` as
``[{target, value}]``, ``verification``, ``note``), so the importing service can hand them
to the same code that validates API writes. Keys whose value is unknown are left out.

Every span is checked here already: offsets must be integers inside the text, and any text
given with them must equal the text at those offsets. Bad input raises ``ValueError`` with
a message that names the line (or task, or file) and the field.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from app.export.brat import BIAS as BRAT_BIAS
from app.export.brat import CLAIM_ATTRIBUTES, MARKER_ATTRIBUTES, SPEAKER_DB, unescape_note
from app.export.brat import CONTENT as BRAT_CONTENT
from app.export.brat import CUE as BRAT_CUE
from app.export.brat import SOURCE as BRAT_SOURCE
from app.export.common import GOLD_LAYER, layer_name
from app.export.doccano import BIAS_LABEL_PREFIX
from app.export.regions import CONTENT, CUE, CUE_OF, SEGMENT_OF, SOURCE, SOURCE_OF, STANCE_PREFIX

MAX_MEMBER_BYTES = 64 * 1024 * 1024
MAX_ARCHIVE_BYTES = 1024 * 1024 * 1024
_CLAIM_CODES = (
    "attribution",
    "source_specificity",
    "speaker_resolution",
    "cue_valence",
    "authorial_stance",
    "claim_type",
    "check_worthiness",
)
_LABEL_FIELDS = ("outlet", "ownership", "genre", "frame", "slant", "omissions", "notes")
_LINE_BREAKS = re.compile(r"[\n\r\u2028\u2029]+")


@dataclass
class ImportedDocument:
    """One document read from an export, with its annotations by layer."""

    text: str
    title: str | None = None
    doc_id: str | None = None  # the document's id in the file read (not a database id here)
    meta: dict[str, Any] = field(default_factory=dict)
    claims: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    markers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add_claim(self, layer: str, claim: dict[str, Any]) -> None:
        self.claims.setdefault(layer, []).append(claim)

    def add_marker(self, layer: str, marker: dict[str, Any]) -> None:
        self.markers.setdefault(layer, []).append(marker)


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def check_span(
    text: str, raw: Any, where: str, *, start_key: str = "start", end_key: str = "end"
) -> dict[str, Any]:
    """``{start, end, text}`` from a span object, checked against the document text."""
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected an object with {start_key} and {end_key}")
    start, end = raw.get(start_key), raw.get(end_key)
    for key, value in ((start_key, start), (end_key, end)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"{where}.{key}: expected an integer offset, got {value!r}")
    assert isinstance(start, int) and isinstance(end, int)
    if not 0 <= start < end <= len(text):
        raise ValueError(f"{where}: offsets {start}-{end} are not a span inside the text ({len(text)} long)")
    actual = text[start:end]
    given = raw.get("text")
    if given is not None and given != actual:
        raise ValueError(f"{where}.text: {given!r} does not match the text at {start}-{end} ({actual!r})")
    return {"start": start, "end": end, "text": actual}


def _string(raw: dict[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise ValueError(f"{where}.{key}: missing")
        return None
    if not isinstance(value, str):
        raise ValueError(f"{where}.{key}: expected a string, got {type(value).__name__}")
    return value


def _list(raw: dict[str, Any], key: str, where: str) -> list[Any]:
    value = raw.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{where}.{key}: expected a list")
    return value


def _stances(raw: Any, where: str) -> list[dict[str, str]]:
    if raw is None:
        return []
    if isinstance(raw, dict):
        raw = [{"target": target, "value": value} for target, value in raw.items()]
    if not isinstance(raw, list):
        raise ValueError(f"{where}: expected a list of {{target, value}}")
    stances = []
    for n, item in enumerate(raw):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("target", "value")):
            raise ValueError(f"{where}[{n}]: expected {{\"target\": str, \"value\": str}}")
        stances.append({"target": item["target"], "value": item["value"]})
    return stances


# --- JSONL ------------------------------------------------------------------------------


def _jsonl_claim(text: str, raw: Any, where: str) -> tuple[str, dict[str, Any]]:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected an object")
    content = _list(raw, "content", where)
    if not content:
        raise ValueError(f"{where}.content: a claim needs at least one content segment")
    speaker = raw.get("speaker")
    speaker_details = None
    if isinstance(speaker, dict):
        # Keep the registry entry too, so an importing project can recreate it in full.
        speaker_details = {k: v for k, v in speaker.items()
                           if k in ("name", "aliases", "type", "role", "affiliation", "side", "country", "wikidata")}
        speaker = speaker.get("name")
    if speaker is not None and not isinstance(speaker, str):
        raise ValueError(f"{where}.speaker: expected an object with a name, or a name")
    verification = raw.get("verification")
    if verification is not None and not isinstance(verification, dict):
        raise ValueError(f"{where}.verification: expected an object")
    annotator = _string(raw, "annotator", where)
    layer = _string(raw, "layer", where) or "annotator"
    claim = _compact({
        "content": [check_span(text, segment, f"{where}.content[{n}]") for n, segment in enumerate(content)],
        "source_span": check_span(text, raw["source"], f"{where}.source") if raw.get("source") else None,
        "cue_span": check_span(text, raw["cue"], f"{where}.cue") if raw.get("cue") else None,
        "speaker": speaker,
        "speaker_details": speaker_details,
        **{key: _string(raw, key, where) for key in _CLAIM_CODES},
        "stances": _stances(raw.get("stances"), f"{where}.stances"),
        "verification": verification,
        "note": _string(raw, "note", where),
        "annotator": annotator,
    })
    if "attribution" not in claim:
        raise ValueError(f"{where}.attribution: missing")
    return layer_name(layer, annotator or "imported"), claim


def _jsonl_marker(text: str, raw: Any, where: str) -> tuple[str, dict[str, Any]]:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected an object")
    annotator = _string(raw, "annotator", where)
    layer = _string(raw, "layer", where) or "annotator"
    marker = _compact({
        "span": check_span(text, raw.get("span"), f"{where}.span"),
        "bias_type": _string(raw, "bias_type", where, required=True),
        "target": _string(raw, "target", where),
        "polarity": _string(raw, "polarity", where),
        "note": _string(raw, "note", where),
        "annotator": annotator,
    })
    return layer_name(layer, annotator or "imported"), marker


def read_jsonl(lines: Iterable[str | bytes]) -> Iterator[ImportedDocument]:
    """Documents from Sourcemark JSONL (one document per line; blank lines are skipped)."""
    for number, line in enumerate(lines, start=1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise ValueError(f"line {number}: not UTF-8 (byte {exc.start})") from exc
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {number}: not valid JSON ({exc.msg}, column {exc.colno})") from exc
        where = f"line {number}"
        if not isinstance(raw, dict):
            raise ValueError(f"{where}: expected a JSON object per line")
        text = _string(raw, "text", where, required=True)
        assert text is not None
        metadata = raw.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise ValueError(f"{where}.metadata: expected an object")
        document = ImportedDocument(
            text=text,
            title=_string(raw, "title", where),
            doc_id=None if raw.get("doc_id") is None else str(raw["doc_id"]),
            meta=metadata,
        )
        for n, item in enumerate(_list(raw, "claims", where)):
            document.add_claim(*_jsonl_claim(text, item, f"{where}: claims[{n}]"))
        for n, item in enumerate(_list(raw, "bias_spans", where)):
            document.add_marker(*_jsonl_marker(text, item, f"{where}: bias_spans[{n}]"))
        for n, item in enumerate(_list(raw, "article_labels", where)):
            if not isinstance(item, dict):
                raise ValueError(f"{where}: article_labels[{n}]: expected an object")
            annotator = _string(item, "annotator", f"{where}: article_labels[{n}]")
            key = layer_name(item.get("layer") or "annotator", annotator or "imported")
            document.labels[key] = _compact({name: item.get(name) for name in _LABEL_FIELDS})
        yield document


# --- regions (Label Studio, doccano) -----------------------------------------------------


@dataclass
class _Region:
    key: str
    label: str
    span: dict[str, Any]
    choices: dict[str, str] = field(default_factory=dict)
    note: str | None = None


def _claims_and_markers(
    regions: dict[str, _Region], relations: list[tuple[str, str, str | None]], where: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rebuild claims and markers from labelled regions and the relations between them."""
    heads = {key: region for key, region in regions.items() if region.label == CONTENT}
    segments: dict[str, list[dict[str, Any]]] = {key: [region.span] for key, region in heads.items()}
    sources: dict[str, dict[str, Any]] = {}
    cues: dict[str, dict[str, Any]] = {}
    for n, (from_key, to_key, kind) in enumerate(relations):
        if from_key not in regions or to_key not in regions:
            raise ValueError(f"{where}: relations[{n}] links a missing region ({from_key} → {to_key})")
        a, b = regions[from_key], regions[to_key]
        if kind == SEGMENT_OF or (a.label == CONTENT and b.label == CONTENT):
            if from_key in heads and to_key in heads:
                segments[to_key] += segments.pop(from_key, [])
                heads.pop(from_key)
            continue
        # Either direction: tools disagree on whether the source points at the content.
        content, other = (b, a) if b.label == CONTENT else (a, b)
        if content.label != CONTENT:
            continue
        if other.label == SOURCE or kind == SOURCE_OF:
            sources[content.key] = other.span
        elif other.label == CUE or kind == CUE_OF:
            cues[content.key] = other.span
    claims = []
    for key, head in heads.items():
        choices = dict(head.choices)
        status = choices.pop("verification_status", None)
        stances = [
            {"target": name[len(STANCE_PREFIX):], "value": choices.pop(name)}
            for name in [n for n in choices if n.startswith(STANCE_PREFIX)]
        ]
        claims.append(_compact({
            "content": sorted(segments[key], key=lambda s: s["start"]),
            "source_span": sources.get(key),
            "cue_span": cues.get(key),
            "speaker": choices.pop("speaker", None),
            **{name: choices.pop(name, None) for name in _CLAIM_CODES},
            "stances": stances,
            "verification": {"status": status} if status else None,
            "note": head.note,
        }))
    markers = [
        _compact({
            "span": region.span,
            "bias_type": region.label[len(BIAS_LABEL_PREFIX):],
            "target": region.choices.get("bias_target"),
            "polarity": region.choices.get("polarity"),
            "note": region.note,
        })
        for region in regions.values()
        if region.label.startswith(BIAS_LABEL_PREFIX)
    ]
    return claims, markers


def _labelstudio_annotator(annotation: dict[str, Any]) -> str:
    meta = annotation.get("meta") if isinstance(annotation.get("meta"), dict) else {}
    if meta.get("layer"):
        return str(meta["layer"])
    if annotation.get("ground_truth"):
        return GOLD_LAYER
    who = annotation.get("completed_by") or annotation.get("created_username")
    if isinstance(who, dict):
        who = who.get("username") or who.get("email") or who.get("id")
    return str(who) if who is not None else "labelstudio"


def _labelstudio_task(raw: Any, where: str) -> ImportedDocument:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected a task object")
    data = raw.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise ValueError(f"{where}.data.text: missing (the task's text must be in data.text)")
    text = data["text"]
    doc_id = data.get("doc_id", raw.get("id"))
    document = ImportedDocument(
        text=text,
        title=data.get("title") if isinstance(data.get("title"), str) else None,
        doc_id=None if doc_id is None else str(doc_id),
        meta=raw.get("meta") if isinstance(raw.get("meta"), dict) else {},
    )
    for a, annotation in enumerate(_list(raw, "annotations", where)):
        here = f"{where}.annotations[{a}]"
        if not isinstance(annotation, dict):
            raise ValueError(f"{here}: expected an object")
        if annotation.get("was_cancelled"):
            continue
        regions: dict[str, _Region] = {}
        relations: list[tuple[str, str, str | None]] = []
        extras: list[tuple[str, dict[str, Any], str]] = []
        for r, result in enumerate(_list(annotation, "result", here)):
            spot = f"{here}.result[{r}]"
            if not isinstance(result, dict):
                raise ValueError(f"{spot}: expected an object")
            kind = result.get("type")
            if kind == "relation":
                labels = result.get("labels") or [None]
                relations.append((str(result.get("from_id")), str(result.get("to_id")), labels[0]))
                continue
            value = result.get("value")
            if not isinstance(value, dict):
                raise ValueError(f"{spot}.value: expected an object")
            key = str(result.get("id"))
            if kind == "labels":
                labels = value.get("labels")
                if not isinstance(labels, list) or not labels or not isinstance(labels[0], str):
                    raise ValueError(f"{spot}.value.labels: expected a list with one label")
                label = labels[0] if result.get("from_name") != "bias" else BIAS_LABEL_PREFIX + labels[0]
                if label not in (CONTENT, SOURCE, CUE) and not label.startswith(BIAS_LABEL_PREFIX):
                    label = BIAS_LABEL_PREFIX + label
                regions[key] = _Region(key, label, check_span(text, value, f"{spot}.value"))
            elif kind in ("choices", "textarea"):
                extras.append((key, result, spot))
        for key, result, spot in extras:
            region = regions.get(key)
            if region is None:
                raise ValueError(f"{spot}: per-region {result.get('type')} for unknown region {key!r}")
            value = result["value"]
            if result["type"] == "textarea":
                region.note = "\n".join(str(t) for t in value.get("text") or [])
            else:
                picked = value.get("choices")
                if not isinstance(picked, list) or not picked:
                    raise ValueError(f"{spot}.value.choices: expected a non-empty list")
                region.choices[str(result.get("from_name"))] = str(picked[0])
        claims, markers = _claims_and_markers(regions, relations, here)
        layer = _labelstudio_annotator(annotation)
        for claim in claims:
            document.add_claim(layer, claim)
        for marker in markers:
            document.add_marker(layer, marker)
    return document


def read_labelstudio(obj: Any) -> Iterator[ImportedDocument]:
    """Documents from a Label Studio JSON export (a list of tasks, or one task)."""
    tasks = obj if isinstance(obj, list) else [obj]
    for n, raw in enumerate(tasks):
        yield _labelstudio_task(raw, f"task {n}")


def _doccano_line(raw: Any, where: str) -> tuple[ImportedDocument, str]:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected a JSON object per line")
    text = _string(raw, "text", where, required=True)
    assert text is not None
    meta = raw.get("meta") if isinstance(raw.get("meta"), dict) else {}
    attributes = meta.get("attributes") if isinstance(meta.get("attributes"), dict) else {}
    regions: dict[str, _Region] = {}
    entities = raw.get("entities")
    if entities is None:
        legacy = raw.get("label", raw.get("labels")) or []
        if not isinstance(legacy, list):
            raise ValueError(f"{where}.label: expected a list of [start, end, label]")
        entities = []
        for n, item in enumerate(legacy):
            if not (isinstance(item, list) and len(item) == 3):
                raise ValueError(f"{where}.label[{n}]: expected [start, end, label] (not a category)")
            entities.append({"id": n + 1, "start_offset": item[0], "end_offset": item[1], "label": item[2]})
    if not isinstance(entities, list):
        raise ValueError(f"{where}.entities: expected a list")
    for n, entity in enumerate(entities):
        spot = f"{where}.entities[{n}]"
        if not isinstance(entity, dict) or not isinstance(entity.get("label"), str):
            raise ValueError(f"{spot}: expected {{id, label, start_offset, end_offset}}")
        key = str(entity.get("id"))
        span = check_span(text, entity, spot, start_key="start_offset", end_key="end_offset")
        region = _Region(key, entity["label"], span)
        details = attributes.get(key) or {}
        region.choices = {k: str(v) for k, v in details.items() if k not in ("note", "claim_id", "marker_id")}
        region.note = details.get("note")
        regions[key] = region
    relations = []
    for n, relation in enumerate(_list(raw, "relations", where)):
        if not isinstance(relation, dict):
            raise ValueError(f"{where}.relations[{n}]: expected {{from_id, to_id, type}}")
        relations.append((str(relation.get("from_id")), str(relation.get("to_id")), relation.get("type")))
    claims, markers = _claims_and_markers(regions, relations, where)
    layer = str(meta.get("layer") or meta.get("annotator") or "doccano")
    doc_id = meta.get("doc_id", raw.get("id"))
    document = ImportedDocument(
        text=text,
        title=meta.get("title") if isinstance(meta.get("title"), str) else None,
        doc_id=None if doc_id is None else str(doc_id),
        meta={k: v for k, v in meta.items() if k != "attributes"},
    )
    for claim in claims:
        document.add_claim(layer, claim)
    for marker in markers:
        document.add_marker(layer, marker)
    return document, layer


def read_doccano(lines: Iterable[str | bytes]) -> Iterator[ImportedDocument]:
    """Documents from doccano JSONL; consecutive lines of one document (one per layer) merge."""
    current: ImportedDocument | None = None
    for number, line in enumerate(lines, start=1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise ValueError(f"line {number}: not UTF-8 (byte {exc.start})") from exc
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {number}: not valid JSON ({exc.msg}, column {exc.colno})") from exc
        document, _layer = _doccano_line(raw, f"line {number}")
        if current is not None and current.text == document.text and current.doc_id == document.doc_id:
            for layer, claims in document.claims.items():
                current.claims.setdefault(layer, []).extend(claims)
            for layer, markers in document.markers.items():
                current.markers.setdefault(layer, []).extend(markers)
            continue
        if current is not None:
            yield current
        current = document
    if current is not None:
        yield current


# --- brat ---------------------------------------------------------------------------------


@dataclass
class _Textbound:
    kind: str
    fragments: list[tuple[int, int]]
    attributes: dict[str, str | bool] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    references: list[tuple[str, str]] = field(default_factory=list)


def _parse_ann(text: str, ann: str, where: str) -> tuple[dict[str, _Textbound], list[tuple[str, str, str]]]:
    textbounds: dict[str, _Textbound] = {}
    relations: list[tuple[str, str, str]] = []
    pending: list[tuple[int, str]] = []
    for number, line in enumerate(ann.split("\n"), start=1):
        if not line.strip():
            continue
        spot = f"{where} line {number}"
        ident, _, rest = line.partition("\t")
        if ident.startswith("T"):
            head, tab, quoted = rest.partition("\t")
            kind, _, offsets = head.partition(" ")
            if not tab or not offsets:
                raise ValueError(f"{spot}: expected 'T<n><TAB><type> <start> <end><TAB><text>'")
            pieces = []
            for fragment in offsets.split(";"):
                try:
                    start, end = (int(x) for x in fragment.split())
                except ValueError as exc:
                    raise ValueError(f"{spot}: bad offsets {fragment!r}") from exc
                if not 0 <= start < end <= len(text):
                    raise ValueError(f"{spot}: offsets {start}-{end} are outside the text ({len(text)} long)")
                pieces.append((start, end))
            actual = " ".join(text[s:e] for s, e in pieces)
            if quoted != actual:
                raise ValueError(f"{spot}: text {quoted!r} does not match the text at {offsets} ({actual!r})")
            textbounds[ident] = _Textbound(kind, pieces)
        elif ident.startswith("R"):
            parts = rest.split()
            args = dict(part.split(":", 1) for part in parts[1:] if ":" in part)
            if len(parts) < 3 or "Arg1" not in args or "Arg2" not in args:
                raise ValueError(f"{spot}: expected 'R<n><TAB><type> Arg1:<T> Arg2:<T>'")
            relations.append((parts[0], args["Arg1"], args["Arg2"]))
        elif ident[:1] in ("A", "M", "N", "#"):
            pending.append((number, line))
    for number, line in pending:
        spot = f"{where} line {number}"
        ident, _, rest = line.partition("\t")
        if ident[:1] in ("A", "M"):
            parts = rest.split()
            if len(parts) < 2 or parts[1] not in textbounds:
                raise ValueError(f"{spot}: attribute on an unknown annotation")
            textbounds[parts[1]].attributes[parts[0]] = parts[2] if len(parts) > 2 else True
        elif ident.startswith("N"):
            head, _, name = rest.partition("\t")
            parts = head.split()
            if len(parts) < 3 or parts[1] not in textbounds:
                raise ValueError(f"{spot}: normalisation of an unknown annotation")
            textbounds[parts[1]].references.append((parts[2], unescape_note(name)))
        else:
            head, _, note = rest.partition("\t")
            parts = head.split()
            if len(parts) < 2 or parts[1] not in textbounds:
                raise ValueError(f"{spot}: note on an unknown annotation")
            textbounds[parts[1]].notes.append(unescape_note(note))
    return textbounds, relations


def _brat_spans(text: str, pieces: list[tuple[int, int]]) -> list[dict[str, Any]]:
    """Fragments back to segments: pieces cut only at line breaks are one segment again."""
    merged: list[list[int]] = []
    for start, end in sorted(pieces):
        if merged and _LINE_BREAKS.fullmatch(text[merged[-1][1] : start]):
            merged[-1][1] = end
        else:
            merged.append([start, end])
    return [{"start": s, "end": e, "text": text[s:e]} for s, e in merged]


def _brat_items(text: str, ann: str, where: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    textbounds, relations = _parse_ann(text, ann, where)
    linked: dict[str, dict[str, str]] = {}
    for kind, arg1, arg2 in relations:
        if arg1 not in textbounds or arg2 not in textbounds:
            raise ValueError(f"{where}: relation {kind} links an unknown annotation")
        linked.setdefault(arg1, {})[textbounds[arg2].kind] = arg2
    claims, markers = [], []
    for ident, tb in textbounds.items():
        note = next((n[len("note: "):] for n in tb.notes if n.startswith("note: ")), None)
        if tb.kind == BRAT_CONTENT:
            links = linked.get(ident, {})
            source = textbounds[links[BRAT_SOURCE]] if BRAT_SOURCE in links else None
            cue = textbounds[links[BRAT_CUE]] if BRAT_CUE in links else None
            stance_note = next((n[len("stances: "):] for n in tb.notes if n.startswith("stances: ")), "")
            pairs = (part.partition("=") for part in stance_note.split(";") if "=" in part)
            stances = [{"target": target.strip(), "value": value.strip()} for target, _, value in pairs]
            speaker = next((name for ref, name in tb.references if ref.startswith(f"{SPEAKER_DB}:")), None)
            status = tb.attributes.get("VerificationStatus")
            claims.append(_compact({
                "content": _brat_spans(text, tb.fragments),
                "source_span": _brat_spans(text, source.fragments)[0] if source else None,
                "cue_span": _brat_spans(text, cue.fragments)[0] if cue else None,
                "speaker": speaker,
                **{key: tb.attributes.get(name) for name, (key, _field) in CLAIM_ATTRIBUTES.items()},
                "stances": stances,
                "verification": {"status": status} if isinstance(status, str) else None,
                "note": note,
            }))
        elif tb.kind == BRAT_BIAS:
            markers.append(_compact({
                "span": _brat_spans(text, tb.fragments)[0],
                **{key: tb.attributes.get(name) for name, (key, _field) in MARKER_ATTRIBUTES.items()},
                "target": tb.attributes.get("BiasTarget"),
                "note": note,
            }))
    return claims, markers


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    if info.file_size > MAX_MEMBER_BYTES:
        raise ValueError(f"{info.filename}: {info.file_size} bytes, more than the {MAX_MEMBER_BYTES} allowed")
    try:
        return archive.read(info).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{info.filename}: not UTF-8 (byte {exc.start})") from exc


def read_brat(data: bytes) -> Iterator[ImportedDocument]:
    """Documents from a brat zip (ours, with ``manifest.jsonl``, or any ``.txt``/``.ann`` pairs)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ValueError(f"not a zip archive: {exc}") from exc
    with archive:
        infos = {info.filename: info for info in archive.infolist() if not info.is_dir()}
        if sum(info.file_size for info in infos.values()) > MAX_ARCHIVE_BYTES:
            raise ValueError(f"the archive unpacks to more than {MAX_ARCHIVE_BYTES} bytes")
        entries: list[dict[str, Any]] = []
        manifest_name = next((name for name in infos if PurePosixPath(name).name == "manifest.jsonl"), None)
        if manifest_name:
            manifest = _read_member(archive, infos[manifest_name])
            for number, line in enumerate(manifest.split("\n"), start=1):
                if not line.strip():
                    continue
                where = f"{manifest_name} line {number}"
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{where}: not valid JSON ({exc.msg})") from exc
                if not isinstance(entry, dict) or not isinstance(entry.get("ann"), str):
                    raise ValueError(f"{where}: expected an object with 'ann' and 'txt'")
                entries.append(entry)
        else:
            for name in sorted(infos):
                if name.endswith(".ann"):
                    stem = name[: -len(".ann")]
                    entries.append({"ann": name, "txt": f"{stem}.txt", "doc_id": PurePosixPath(stem).name,
                                    "layer": "brat", "title": None})
        documents: dict[str, ImportedDocument] = {}
        for entry in entries:
            ann_name, txt_name = entry["ann"], entry.get("txt") or entry["ann"][: -len(".ann")] + ".txt"
            for name in (ann_name, txt_name):
                if name not in infos:
                    raise ValueError(f"{name}: listed but not in the archive")
            text = _read_member(archive, infos[txt_name])
            doc_id = str(entry.get("doc_id") if entry.get("doc_id") is not None else txt_name)
            document = documents.get(doc_id)
            if document is None:
                document = ImportedDocument(text=text, title=entry.get("title"), doc_id=doc_id)
                documents[doc_id] = document
            elif document.text != text:
                raise ValueError(f"{txt_name}: differs from the other text files of document {doc_id}")
            claims, markers = _brat_items(text, _read_member(archive, infos[ann_name]), ann_name)
            layer = entry.get("layer")
            if layer is None:
                continue
            layer = GOLD_LAYER if entry.get("gold") else str(layer)
            annotator = entry.get("annotator")
            for claim in claims:
                document.add_claim(layer, {**claim, "annotator": annotator} if annotator else claim)
            for marker in markers:
                document.add_marker(layer, {**marker, "annotator": annotator} if annotator else marker)
        yield from documents.values()
