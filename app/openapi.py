"""The OpenAPI 3.1 description of the JSON API (SPEC §5), served at ``GET /api/openapi.json``.

Written by hand next to ``app/views/api.py`` and ``app/presenters.py``; ``tests/test_openapi.py``
checks that it is a valid OpenAPI 3.1 document, that it lists exactly the routes of the URL map
(a new route without a description fails the suite), and fuzzes every operation against it.

Schemas use the JSON Schema 2020-12 dialect of OpenAPI 3.1 (``type: [..., "null"]`` for
nullable fields). Response objects name the fields of the SPEC contract as ``required`` and
leave ``additionalProperties`` open: fields may be added, never renamed or removed.
"""

from __future__ import annotations

import copy
from typing import Any

from app.export import WRITERS
from app.views.api import MAX_BATCH

API = "/api/v1"

# Codes and slugs as the services check them (app.domain.codebook.CODE, app.services.projects.SLUG).
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_./-]{0,63}$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
DATE_PATTERN = r"^\d{4}(-\d{2}(-\d{2})?)?$"
# Media types a client may parse as JSON (JSON Schema given); the rest are bytes.
JSON_MEDIA_SUFFIXES = ("/json", "+json")

Schema = dict[str, Any]


# --------------------------------------------------------------------------------------------
# Schema helpers
# --------------------------------------------------------------------------------------------


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    """``schema`` or null (JSON Schema 2020-12: a type list, or anyOf for a $ref)."""
    if "$ref" in schema or "type" not in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    result = dict(schema)
    kind = result["type"]
    result["type"] = [*kind, "null"] if isinstance(kind, list) else [kind, "null"]
    if "enum" in result:
        result["enum"] = [*result["enum"], None]
    return result


def obj(properties: dict[str, Schema], required: list[str] | None = None, description: str | None = None,
        **extra: Any) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    if description:
        schema["description"] = description
    schema.update(extra)
    return schema


def array(items: Schema, **extra: Any) -> Schema:
    return {"type": "array", "items": items, **extra}


STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
COUNT: Schema = {"type": "integer", "minimum": 0}
ID: Schema = {"type": "integer", "minimum": 1}
BOOLEAN: Schema = {"type": "boolean"}
NUMBER: Schema = {"type": "number"}
DATETIME: Schema = {"type": "string", "format": "date-time"}
CODE: Schema = {"type": "string", "pattern": CODE_PATTERN, "description": "a code of the project's codebook"}
LAYER: Schema = {"type": "string", "enum": ["annotator", "gold"]}
ANCHOR: Schema = {"type": "string", "enum": ["exact", "moved", "orphaned"],
                  "description": "how the annotation sits on its text after a new revision"}


def _query(name: str, schema: Schema, description: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def text(max_length: int | None = None, **extra: Any) -> Schema:
    schema: Schema = {"type": "string", **extra}
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


# --------------------------------------------------------------------------------------------
# Components: schemas
# --------------------------------------------------------------------------------------------


def _codebook_entry(text_key: str) -> Schema:
    return obj({
        "code": {"type": "string", "pattern": CODE_PATTERN},
        "label": text(200, minLength=1),
        text_key: text(5000),
        "retired": {"type": "boolean", "description": "kept for old annotations; new writes may not use it"},
    }, ["code"], additionalProperties=True)


def _speaker_input(partial: bool) -> Schema:
    properties = {
        "name": text(300, minLength=1),
        "aliases": {"anyOf": [array(text(300), maxItems=100), text(description="comma-separated")]},
        "type": nullable({**CODE, "description": "an entity_type code of the codebook"}),
        "role": nullable(text(300)),
        "affiliation": nullable(text(300)),
        "side": nullable({**CODE, "description": "a side code of the codebook"}),
        "country": nullable({"type": "string", "pattern": "^[A-Za-z]{2}$",
                             "description": "ISO 3166-1 alpha-2"}),
        "wikidata": nullable({"type": "string", "pattern": r"^Q[1-9][0-9]{0,11}$"}),
        "notes": nullable(text(5000)),
    }
    return obj(properties, None if partial else ["name"])


def _span_input(description: str) -> Schema:
    return obj({
        "start": {**COUNT, "description": "offset in Unicode code points, inclusive"},
        "end": {**COUNT, "description": "offset in Unicode code points, exclusive"},
        "text": {"type": "string", "description": "if given, must equal the document's text at the offsets"},
    }, ["start", "end"], description)


def _claim_fields() -> dict[str, Schema]:
    """The claim fields a client writes (POST and PATCH share them)."""
    return {
        "content": array(ref("SpanInput"), minItems=1, maxItems=100,
                         description="content segments; a span across paragraphs is split at the breaks"),
        "source_span": nullable(ref("SpanInput")),
        "cue_span": nullable(ref("SpanInput")),
        "speaker": {"anyOf": [
            {**ID, "description": "a speaker id"},
            {"type": "string", "description": "a name or an alias of the registry"},
            obj({"id": ID}, ["id"]),
            {"type": "null"},
        ]},
        "attribution": {**CODE, "description": "direct, indirect, mixed, authorial (by default)"},
        "source_specificity": nullable(CODE),
        "speaker_resolution": nullable(CODE),
        "cue_valence": nullable(CODE),
        "stances": nullable(array(ref("Stance"))),
        "authorial_stance": nullable(CODE),
        "claim_type": nullable(CODE),
        "check_worthiness": nullable({**CODE, "description": "NFS, UFS or CFS (by default)"}),
        "verification": nullable(ref("VerificationInput")),
        "note": nullable(text(10_000)),
    }


def _marker_fields() -> dict[str, Schema]:
    return {
        "span": ref("SpanInput"),
        "bias_type": CODE,
        "target": nullable({**CODE, "description": "a target or side code of the codebook"}),
        "polarity": nullable(CODE),
        "note": nullable(text(10_000)),
    }


def _labels_fields() -> dict[str, Schema]:
    return {
        "outlet": nullable(text(300)),
        "ownership": nullable(CODE),
        "genre": nullable(CODE),
        "frame": nullable(CODE),
        "slant": nullable({"type": "object", "additionalProperties": nullable(CODE),
                           "description": "{TARGET: slant code}"}),
        "omissions": nullable(text(10_000)),
        "notes": nullable(text(10_000)),
    }


def _balance_counts() -> dict[str, Schema]:
    return {key: COUNT for key in ("claims", "direct", "indirect", "mixed", "quoted_words", "words")}


def _span_agreement() -> Schema:
    f1 = nullable({"type": "number", "minimum": 0, "maximum": 1})
    return obj({
        "f1_exact": f1,
        "f1_overlap": f1,
        "pairs": array(obj({
            "a": STRING, "b": STRING, "documents": COUNT, "a_claims": COUNT, "b_claims": COUNT,
            "matched_exact": COUNT, "matched_overlap": COUNT, "f1_exact": f1, "f1_overlap": f1,
        }, ["a", "b", "f1_exact", "f1_overlap"])),
    }, ["f1_exact", "f1_overlap"])


def schemas() -> dict[str, Schema]:
    return {
        "Error": obj({
            "error": obj({
                "code": {"type": "string", "description": "machine-readable: invalid, not_found, forbidden, "
                                                          "conflict, unauthorized, csrf, request_entity_too_large…"},
                "message": {"type": "string", "description": "for people"},
                "field": nullable({"type": "string", "description": "the offending field, as a path "
                                                                    "(content[0].start, stances[1].target)"}),
            }, ["code", "message", "field"], additionalProperties=True,
                description="May carry more keys, e.g. current (the current version on a 409) or existing "
                            "(the id of the duplicate on a 409)."),
        }, ["error"]),
        # ---- projects
        "ProjectSummary": obj({
            "slug": {"type": "string", "pattern": SLUG_PATTERN},
            "name": STRING,
            "role": {"type": "string", "enum": ["admin", "curator", "annotator"],
                     "description": "the caller's role in the project"},
        }, ["slug", "name", "role"]),
        "ProjectCreate": obj({
            "slug": {"type": "string", "pattern": SLUG_PATTERN},
            "name": text(200, minLength=1),
            "codebook": {**ref("CodebookInput"), "description": "default: the default codebook"},
        }, ["slug", "name"]),
        "ProjectSettings": obj({
            "name": text(200, minLength=1),
            "blind": {"type": "boolean", "description": "annotators never see each other's claims"},
            "assigned_only": {"type": "boolean", "description": "annotators see only their assigned documents"},
        }),
        "Project": obj({
            "slug": {"type": "string", "pattern": SLUG_PATTERN}, "name": STRING, "blind": BOOLEAN,
            "assigned_only": BOOLEAN,
        }, ["slug", "name", "blind", "assigned_only"]),
        "MemberInput": obj({
            "user": {"type": "string", "minLength": 1, "description": "a user name"},
            "role": {"type": "string", "enum": ["curator", "annotator"]},
        }, ["user", "role"]),
        "Member": obj({"user": STRING, "role": {"type": "string", "enum": ["curator", "annotator"]}},
                      ["user", "role"]),
        # ---- codebook
        "CodebookEntry": _codebook_entry("definition"),
        "CodebookTarget": _codebook_entry("description"),
        "Codebook": obj({
            "version": {"type": "integer", "minimum": 1},
            "targets": array(ref("CodebookTarget")),
            "sides": array(ref("CodebookTarget")),
            "fields": {"type": "object", "additionalProperties": array(ref("CodebookEntry")),
                       "description": "attribution, claim_type, check_worthiness, cue_valence, "
                                      "source_specificity, stance, bias_type, …: [{code, label, definition}]"},
        }, ["version", "targets", "sides", "fields"]),
        "CodebookInput": obj({
            "targets": array(ref("CodebookTarget"), maxItems=500),
            "sides": array(ref("CodebookTarget"), maxItems=500),
            "fields": obj(
                {name: array(ref("CodebookEntry"), minItems=1, maxItems=500)
                 for name in ("attribution", "claim_type", "check_worthiness", "stance", "bias_type")},
                ["attribution", "claim_type", "check_worthiness", "stance", "bias_type"],
                propertyNames={"pattern": "^[a-z][a-z0-9_]{0,39}$"},
                additionalProperties=array(ref("CodebookEntry"), maxItems=500),
            ),
        }, ["fields"], description="A new codebook version (a version given here is ignored). Removing a code "
                                   "that annotations use is a 409: retire it instead (retired: true)."),
        # ---- speakers
        "Speaker": obj({
            "id": ID, "name": STRING, "aliases": array(STRING), "type": nullable(STRING), "role": nullable(STRING),
            "affiliation": nullable(STRING), "side": nullable(STRING), "country": nullable(STRING),
            "wikidata": nullable(STRING), "notes": nullable(STRING),
            "merged_into": nullable({**ID, "description": "the speaker this one was merged into"}),
            "version": {"type": "integer", "minimum": 1},
        }, ["id", "name", "aliases", "type", "role", "affiliation", "side", "country", "wikidata"]),
        "SpeakerInput": _speaker_input(partial=False),
        "SpeakerPatch": _speaker_input(partial=True),
        "SpeakerMerge": obj({"source": {**ID, "description": "merged away: its claims move, its names "
                                                             "become aliases"},
                             "target": {**ID, "description": "kept"}}, ["source", "target"]),
        "SpeakerRef": obj({"id": ID, "name": STRING, "side": nullable(STRING)}, ["id", "name", "side"]),
        # ---- documents
        "DocumentInput": {
            **obj({
                "title": nullable(text(500)),
                "text": {"type": "string", "description": "plain text; paragraphs are separated by blank lines"},
                "paragraphs": array(STRING, maxItems=20_000),
                "html": {"type": "string", "description": "HTML; block elements become paragraphs"},
                "source": nullable(text(500)),
                "url": nullable(text(2000, description="an http(s) address")),
                "author": nullable(text(500)),
                "published": nullable(text(40, description="ISO 8601 date or date-time")),
                "external_id": nullable(text(500)),
                "meta": nullable({"type": "object"}),
            }),
            "description": "Exactly one of text, paragraphs or html. The same text again is a duplicate; a known "
                           "external_id (or url) with a different text is a new revision.",
            "oneOf": [{"required": ["text"]}, {"required": ["paragraphs"]}, {"required": ["html"]}],
            "not": {"required": ["documents"]},  # that key makes the body a batch
        },
        "DocumentBatch": obj({"documents": array(ref("DocumentInput"), minItems=1, maxItems=MAX_BATCH)},
                             ["documents"], description="A batch import: every document is checked before "
                                                        "any is stored."),
        "Paragraph": obj({
            "index": COUNT, "start": COUNT, "end": COUNT, "text": STRING,
        }, ["index", "start", "end", "text"], description="start/end: the paragraph's place in the text"),
        "Document": obj({
            "id": ID, "title": STRING, "text": {"type": "string", "description": "canonical text (NFC, \\n, "
                                                                                 "paragraphs joined by \\n\\n)"},
            "text_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$", "description": "SHA-256 of the text"},
            "paragraphs": array(ref("Paragraph")),
            "source": nullable(STRING), "url": nullable(STRING), "author": nullable(STRING),
            "published": nullable(STRING), "external_id": nullable(STRING), "meta": {"type": "object"},
            "revision": {"type": "integer", "minimum": 1},
            "previous": nullable({**ID, "description": "the document this one is a revision of"}),
            "created_at": nullable(DATETIME),
            "status": {"type": "string", "enum": ["created", "duplicate", "revision"],
                       "description": "on import only"},
            "anchors": obj({"exact": COUNT, "moved": COUNT, "orphaned": COUNT},
                           description="on a revision: how the carried-over claims and markers were re-anchored"),
        }, ["id", "title", "text", "text_hash", "paragraphs", "source", "url", "author", "published",
            "external_id", "meta", "revision", "previous"]),
        "DocumentSummary": obj({
            "id": ID, "title": STRING, "text_hash": STRING, "source": nullable(STRING), "url": nullable(STRING),
            "published": nullable(STRING), "external_id": nullable(STRING),
            "revision": {"type": "integer", "minimum": 1},
            "my_claims": {**COUNT, "description": "the caller's live claims (in lists)"},
            "status": {"type": "string", "enum": ["created", "duplicate", "revision"],
                       "description": "in batch imports"},
        }, ["id", "title", "text_hash", "revision"]),
        "DocumentPage": obj({
            "items": array(ref("DocumentSummary")),
            "next": nullable({"type": "string", "description": "the path of the next page"}),
        }, ["items", "next"]),
        "DocumentBatchResult": obj({
            "items": array(ref("DocumentSummary")), "created": COUNT, "duplicates": COUNT,
        }, ["items", "created", "duplicates"]),
        # ---- spans, claims
        "SpanInput": _span_input("[start, end) in Unicode code points over the document's canonical text"),
        "Span": obj({"start": COUNT, "end": COUNT, "text": STRING}, ["start", "end", "text"]),
        "Segment": obj({"start": COUNT, "end": COUNT, "text": STRING, "paragraph": COUNT},
                       ["start", "end", "text", "paragraph"]),
        "Stance": obj({"target": CODE, "value": {**CODE, "description": "favor, against, neutral, none "
                                                                        "(by default)"}},
                      ["target", "value"]),
        "Evidence": obj({"url": {"type": "string", "description": "http(s)"}, "title": text(2000),
                         "accessed_at": text(2000), "note": text(2000)}, ["url"]),
        "VerificationInput": obj({
            "status": nullable({**CODE, "description": "a verification_status code (default: unverified)"}),
            "rating_text": nullable(text(500)),
            "evidence": nullable(array({"anyOf": [ref("Evidence"), {"type": "string", "description": "a url"}]},
                                       maxItems=50)),
            "checked_by": STRING,
            "checked_at": STRING,
        }),
        "Verification": obj({
            "status": STRING, "rating_text": nullable(STRING), "evidence": array(ref("Evidence")),
            "checked_by": STRING, "checked_at": STRING,
        }, ["status", "rating_text", "evidence"]),
        "ClaimInput": obj({
            **_claim_fields(),
            "layer": nullable({**LAYER, "description": "gold: curators only"}),
            "client_id": {"type": "string", "minLength": 1, "maxLength": 64,
                          "description": "idempotency key: a retried create returns the first claim (200)"},
            "origin": {"type": "string", "enum": ["manual", "suggestion"]},
        }, ["content", "attribution"]),
        "ClaimPatch": obj({
            **_claim_fields(),
            "version": {"type": "integer", "description": "the version the client last saw; stale: 409"},
        }, ["version"], description="Only the fields given change."),
        "Claim": obj({
            "id": ID, "version": {"type": "integer", "minimum": 1},
            "codebook_version": {"type": "integer", "minimum": 1},
            "document": ID, "annotator": STRING, "layer": LAYER,
            "content": array(ref("Segment"), minItems=1),
            "source_span": nullable(ref("Span")), "cue_span": nullable(ref("Span")),
            "speaker": nullable(ref("SpeakerRef")),
            "attribution": STRING, "source_specificity": nullable(STRING), "speaker_resolution": nullable(STRING),
            "cue_valence": nullable(STRING), "stances": array(ref("Stance")),
            "authorial_stance": nullable(STRING), "claim_type": nullable(STRING),
            "claim_type_ff": nullable({"type": "string", "description": "the Full Fact class of claim_type"}),
            "check_worthiness": nullable(STRING), "verification": nullable(ref("Verification")),
            "note": nullable(STRING),
            "verifiable": nullable({"type": "boolean", "description": "derived from claim_type"}),
            "origin": {"type": "string", "enum": ["manual", "suggestion", "adjudication"]},
            "anchor": ANCHOR,
            "gold_sources": nullable(array(ID, description="gold: the annotator claims it was adjudicated from")),
            "created_at": nullable(DATETIME), "updated_at": nullable(DATETIME),
        }, ["id", "version", "codebook_version", "document", "annotator", "content", "source_span", "cue_span",
            "speaker", "attribution", "source_specificity", "speaker_resolution", "cue_valence", "stances",
            "authorial_stance", "claim_type", "check_worthiness", "verification", "note", "verifiable"]),
        "ClaimList": obj({"items": array(ref("Claim"))}, ["items"]),
        "SuggestedClaim": obj({
            "key": {"type": "string", "pattern": "^[0-9a-f]{16}$", "description": "names it for dismissing"},
            "suggested": {"const": True},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "content": array(ref("Segment"), minItems=1),
            "source_span": nullable(ref("Span")), "cue_span": nullable(ref("Span")),
            "speaker": nullable(ref("SpeakerRef")), "speaker_mention": nullable(STRING),
            "speaker_resolution": nullable(STRING), "attribution": nullable(STRING),
            "source_specificity": nullable(STRING), "cue_valence": nullable(STRING), "claim_type": nullable(STRING),
        }, ["key", "suggested", "confidence", "content", "source_span", "cue_span", "speaker", "attribution"],
            description="Claim-shaped; accept it by posting it as a claim with origin: suggestion."),
        "SuggestedMarker": obj({
            "suggested": {"const": True}, "span": ref("Span"), "bias_type": STRING,
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        }, ["suggested", "span", "bias_type", "confidence"]),
        "Suggestions": obj({"items": array(ref("SuggestedClaim")), "markers": array(ref("SuggestedMarker"))},
                           ["items"], description="Nothing is stored until a suggestion is accepted."),
        "SuggestionDismiss": obj({"key": {"type": "string", "pattern": "^[0-9a-f]{16}$"}}, ["key"]),
        "Piece": obj({"text": STRING, "match": BOOLEAN}, ["text", "match"],
                     description="a piece of text, and whether it matched the search"),
        "SearchDocument": obj({
            "id": ID, "title": STRING, "source": nullable(STRING), "published": nullable(STRING),
            "url": {"type": "string", "description": "the annotation page at the matching paragraph"},
            "title_match": array(ref("Piece")), "snippet": array(ref("Piece")),
            "snippet_html": {"type": "string", "description": "the snippet with <mark>ed matches, escaped"},
            "paragraph": nullable(COUNT),
        }, ["id", "title", "url", "snippet"]),
        "SearchClaim": {"allOf": [ref("Claim"), obj({
            "url": {"type": "string", "description": "the claim on the annotation page (#c{id})"},
            "document_meta": obj({"id": ID, "title": STRING, "source": nullable(STRING),
                                  "published": nullable(STRING)}, ["id", "title"]),
            "content_match": array(array(ref("Piece"))),
            "note_match": nullable(array(ref("Piece"))),
            "speaker_match": BOOLEAN,
        }, ["url", "document_meta"])]},
        "SearchResult": obj({
            "query": STRING, "page": {"type": "integer", "minimum": 1},
            "documents": obj({"total": COUNT, "items": array(ref("SearchDocument"))}, ["total", "items"]),
            "claims": obj({"total": COUNT, "items": array(ref("SearchClaim"))}, ["total", "items"]),
            "next": nullable({"type": "string", "description": "the path of the next page"}),
        }, ["query", "page", "documents", "claims", "next"]),
        "GoldInput": obj({
            "base": {**ID, "description": "the annotator claim to start from"},
            "choose": {"type": "object", "additionalProperties": ID,
                       "description": "{field: annotator claim id} to take that field from another claim"},
        }, ["base"]),
        # ---- markers, labels
        "Marker": obj({
            "id": ID, "version": {"type": "integer", "minimum": 1},
            "codebook_version": {"type": "integer", "minimum": 1},
            "document": ID, "annotator": STRING, "layer": LAYER, "span": ref("Span"),
            "bias_type": STRING, "target": nullable(STRING), "polarity": nullable(STRING),
            "note": nullable(STRING),
            "in_quote": {"type": "boolean", "description": "derived: overlaps an attributed claim's content"},
            "anchor": ANCHOR, "created_at": nullable(DATETIME), "updated_at": nullable(DATETIME),
        }, ["id", "version", "span", "bias_type", "target", "polarity", "in_quote"]),
        "MarkerInput": obj({**_marker_fields(), "layer": nullable({**LAYER, "description": "gold: curators only"})},
                           ["span", "bias_type"]),
        "MarkerPatch": obj({**_marker_fields(), "version": {"type": "integer"}}, ["version"],
                           description="Only the fields given change."),
        "MarkerList": obj({"items": array(ref("Marker"))}, ["items"]),
        "Labels": obj({
            "outlet": nullable(STRING), "ownership": nullable(STRING), "genre": nullable(STRING),
            "frame": nullable(STRING),
            "slant": {"type": "object", "additionalProperties": STRING, "description": "{TARGET: value}"},
            "omissions": nullable(STRING), "notes": nullable(STRING),
            "version": {**COUNT, "description": "0: no labels stored yet"},
            "codebook_version": {"type": "integer", "minimum": 1}, "updated_at": nullable(DATETIME),
        }, ["outlet", "ownership", "genre", "frame", "slant", "omissions", "notes", "version"]),
        "LabelsInput": obj({
            **_labels_fields(),
            "version": {"type": "integer", "description": "required when the caller's labels exist; stale: 409"},
            "layer": nullable({**LAYER, "description": "gold: curators only"}),
        }, description="Replaces the caller's labels (fields left out are cleared)."),
        # ---- assignments, progress
        "Assignment": obj({
            "id": ID, "document": ID, "user": STRING,
            "status": {"type": "string", "enum": ["todo", "in_progress", "done"]},
            "reliability": {"type": "boolean", "description": "in the double-coded reliability sample"},
            "updated_at": nullable(DATETIME),
        }, ["id", "document", "user", "status", "reliability"]),
        "AssignmentList": obj({"items": array(ref("Assignment"))}, ["items"]),
        "AssignmentRequest": obj({
            "annotators": array({"type": "string"}, minItems=1,
                                description="annotators of the project (default: all of them)"),
            "per_document": {"type": "integer", "minimum": 1,
                             "description": "annotators per document (at most the number of annotators)"},
            "reliability_percent": {"type": "number", "minimum": 0, "maximum": 100,
                                    "description": "seeded random share of documents double-coded"},
            "seed": INTEGER,
            "documents": {"anyOf": [{"const": "all"}, array(ID)]},
        }),
        "AssignmentPlan": obj({"created": COUNT, "existing": COUNT, "reliability_documents": COUNT},
                              ["created", "existing", "reliability_documents"]),
        "AssignmentStatus": obj({"status": {"type": "string", "enum": ["todo", "in_progress", "done"]}},
                                ["status"]),
        "Progress": obj({
            "annotators": array(obj({
                "user": STRING, "assigned": COUNT, "todo": COUNT, "in_progress": COUNT, "done": COUNT,
                "claims": COUNT, "claims_per_hour": nullable(NUMBER),
            }, ["user", "assigned", "todo", "in_progress", "done", "claims", "claims_per_hour"])),
            "documents": array(obj({
                "id": ID, "title": STRING,
                "annotators": array(obj({"user": STRING, "status": STRING}, ["user", "status"])),
                "reliability": BOOLEAN,
            }, ["id", "title", "annotators", "reliability"])),
        }, ["annotators", "documents"]),
        # ---- analysis
        "BalanceCounts": obj(_balance_counts(), ["claims", "direct", "indirect", "mixed", "quoted_words"]),
        "Balance": obj({
            "sides": {"type": "object", "additionalProperties": ref("BalanceCounts"),
                      "description": "{SIDE: counts}; speakers without a side count as unknown"},
            "authorial": {**COUNT, "description": "claims in the outlet's own voice"},
            "vague": {**COUNT, "description": "claims without a registry speaker or with a vague source"},
            "claims": COUNT,
            "speakers": array(obj({"id": ID, "name": STRING, "side": STRING, **_balance_counts()},
                                  ["id", "name", "side", "claims"])),
            "cue_valence": {"type": "object",
                            "additionalProperties": {"type": "object", "additionalProperties": COUNT},
                            "description": "{SIDE: {valence: claims}}"},
            "stances": array(obj({
                "speaker": STRING, "speaker_id": ID,
                "targets": {"type": "object",
                            "additionalProperties": {"type": "object", "additionalProperties": COUNT}},
            }, ["speaker", "speaker_id", "targets"])),
            "trend": {"type": "object", "propertyNames": {"pattern": r"^\d{4}-\d{2}$"},
                      "additionalProperties": {"type": "object", "additionalProperties": COUNT},
                      "description": "{YYYY-MM: {SIDE: attributed claims}} by month of publication"},
        }, ["sides", "authorial", "vague"]),
        "FieldAgreement": obj({
            "alpha": nullable({"type": "number", "description": "nominal Krippendorff's alpha"}),
            "kappa_pairwise": array(obj({"a": STRING, "b": STRING, "kappa": nullable(NUMBER), "units": COUNT},
                                        ["a", "b", "kappa"])),
            "units": COUNT, "coders": COUNT,
            "ci_low": nullable(NUMBER), "ci_high": nullable(NUMBER), "percent_agreement": nullable(NUMBER),
            "pairable_values": COUNT,
            "distribution": {"type": "object", "additionalProperties": COUNT},
            "threshold": nullable({"type": "string", "enum": ["reliable", "tentative", "unreliable"]}),
        }, ["alpha", "kappa_pairwise", "units", "coders"]),
        "SpanAgreement": _span_agreement(),
        "Agreement": obj({
            "fields": {"type": "object", "additionalProperties": ref("FieldAgreement"),
                       "description": "attribution, speaker, claim_type, …, stance:TARGET, bias_type"},
            "spans": ref("SpanAgreement"),
            "bias_spans": ref("SpanAgreement"),
            "match": {"type": "string", "enum": ["exact", "overlap"]},
            "missing": STRING,
        }, ["fields", "spans"]),
    }


# --------------------------------------------------------------------------------------------
# Components: responses and parameters
# --------------------------------------------------------------------------------------------

ERROR_RESPONSES = {
    "400": ("BadRequest", "A session request (no bearer token) without its CSRF token."),
    "401": ("Unauthorized", "No valid bearer token (missing, revoked or mistyped) and no session."),
    "403": ("Forbidden", "The caller's role does not allow this (e.g. curators only)."),
    "404": ("NotFound", "No such object, or the caller is not a member of its project (the same answer)."),
    "409": ("Conflict", "A stale version, a duplicate, or a code still used by annotations."),
    "413": ("PayloadTooLarge", "The request body is larger than the server accepts (32 MiB by default)."),
    "422": ("Invalid", "A bad input (a field of the body, a query parameter, or a value no database can "
                       "store: NUL, a lone surrogate, a number out of range); error.field names it. Nothing was "
                       "stored."),
    "503": ("Unavailable", "The database is busy, read-only or full; Retry-After may say when to retry."),
}


def responses() -> dict[str, Any]:
    return {
        name: {
            "description": description,
            "headers": {"X-Request-Id": {"description": "the request's id, as in the server log",
                                         "schema": {"type": "string"}}},
            "content": {"application/json": {"schema": ref("Error")}},
        }
        for name, description in ERROR_RESPONSES.values()
    }


def parameters() -> dict[str, Any]:
    return {
        "slug": {"name": "slug", "in": "path", "required": True,
                 "schema": {"type": "string", "pattern": SLUG_PATTERN}, "description": "the project's slug"},
        "annotator": _query("annotator", {"type": "string", "minLength": 1},
                            "another annotator's layer (curators, or anyone in a project that is not blind)"),
        "layer": _query("layer", LAYER, "gold: the gold layer (curators)"),
    }


# --------------------------------------------------------------------------------------------
# Operations
# --------------------------------------------------------------------------------------------


def _path_id(name: str, what: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": ID, "description": f"the {what}'s id"}


def _param_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def _json(schema: Schema, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def operation(summary: str, operation_id: str, tag: str, *, ok: dict[str, Any], errors: str,
              body: Schema | None = None, parameters: list[dict[str, Any]] | None = None,
              description: str | None = None) -> dict[str, Any]:
    """One operation. ``ok``: success responses by status; ``errors``: the error statuses it answers."""
    result: dict[str, Any] = {"summary": summary, "operationId": operation_id, "tags": [tag]}
    if description:
        result["description"] = description
    if parameters:
        result["parameters"] = parameters
    if body is not None:
        result["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    statuses = sorted(set(errors.split()) | set(ALWAYS.split()))
    result["responses"] = {
        **ok,
        **{status: {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"} for status in statuses},
    }
    return result


# Error statuses every operation may answer: 401 (no valid token), 422 (a value no database can
# store, in any parameter: app.security.check_request_values) and 503 (database unavailable).
# Operations with a body add 400 (no token and no CSRF token) and 413 (too large).
ALWAYS = "401 422 503"
READ = ALWAYS


def _export_content() -> dict[str, Any]:
    content: dict[str, Any] = {}
    for fmt in WRITERS.values():
        entry = content.setdefault(fmt.media_type, {"formats": []})
        entry["formats"].append(fmt.name)
    result = {}
    for media_type, entry in content.items():
        base = media_type.split(";")[0].strip()
        if base.endswith(JSON_MEDIA_SUFFIXES):
            # labelstudio and claimreview are JSON arrays, webanno a JSON-LD AnnotationCollection object.
            schema: Schema = {"type": ["array", "object"]}
        else:
            schema = {"type": "string", "contentMediaType": base}
        schema["description"] = "format " + ", ".join(entry["formats"])
        result[media_type] = {"schema": schema}
    return result


def paths() -> dict[str, dict[str, Any]]:
    slug = _param_ref("slug")
    document_id = _path_id("document_id", "document")
    claim_id = _path_id("claim_id", "claim")
    marker_id = _path_id("marker_id", "bias marker")
    layer_params = [_param_ref("annotator"), _param_ref("layer")]
    balance_params = [
        _param_ref("annotator"), _param_ref("layer"),
        _query("outlet", text(500), "only documents whose source is this outlet"),
        _query("date_from", {"type": "string", "pattern": DATE_PATTERN},
               "published on or after (YYYY, YYYY-MM or YYYY-MM-DD)"),
        _query("date_to", {"type": "string", "pattern": DATE_PATTERN}, "published on or before"),
    ]
    formats = ", ".join(f"`{f.name}` ({f.media_type}): {f.description}" for f in WRITERS.values())
    return {
        f"{API}/projects": {
            "get": operation(
                "The caller's projects (admin: all)", "list_projects", "projects", errors=READ,
                ok={"200": _json(array(ref("ProjectSummary")), "the projects")}),
            "post": operation(
                "Create a project with the default codebook (admin)", "create_project", "projects",
                body=ref("ProjectCreate"), errors="400 401 403 409 413 422 503",
                ok={"201": _json(ref("ProjectSummary"), "created")}),
        },
        f"{API}/projects/{{slug}}": {
            "parameters": [slug],
            "patch": operation(
                "Change the project's settings (curator)", "update_project", "projects",
                body=ref("ProjectSettings"), errors="400 401 403 404 413 422 503",
                ok={"200": _json(ref("Project"), "the project's settings")}),
        },
        f"{API}/projects/{{slug}}/members": {
            "parameters": [slug],
            "post": operation(
                "Add a member or change their role (curator)", "add_member", "projects",
                body=ref("MemberInput"), errors="400 401 403 404 413 422 503",
                ok={"201": _json(ref("Member"), "the membership")}),
        },
        f"{API}/projects/{{slug}}/codebook": {
            "parameters": [slug],
            "get": operation(
                "The current codebook", "get_codebook", "codebook", errors="401 404 503",
                ok={"200": _json(ref("Codebook"), "the codebook's current version")}),
            "put": operation(
                "Store a new codebook version (curator)", "put_codebook", "codebook",
                body=ref("CodebookInput"), errors="400 401 403 404 409 413 422 503",
                ok={"200": _json(ref("Codebook"), "the new version")}),
        },
        f"{API}/projects/{{slug}}/speakers": {
            "parameters": [slug],
            "get": operation(
                "The speaker registry (merged entries left out)", "list_speakers", "speakers",
                errors="401 404 503", ok={"200": _json(array(ref("Speaker")), "the speakers")}),
            "post": operation(
                "Add a speaker (any member)", "create_speaker", "speakers", body=ref("SpeakerInput"),
                errors="400 401 404 409 413 422 503", ok={"201": _json(ref("Speaker"), "created")},
                description="A side not in the codebook is a 422; a name already in the registry a 409 "
                            "(error.existing: its id)."),
        },
        f"{API}/projects/{{slug}}/speakers/{{speaker_id}}": {
            "parameters": [slug, _path_id("speaker_id", "speaker")],
            "patch": operation(
                "Change a speaker (any member)", "update_speaker", "speakers", body=ref("SpeakerPatch"),
                errors="400 401 404 409 413 422 503", ok={"200": _json(ref("Speaker"), "the speaker")}),
        },
        f"{API}/projects/{{slug}}/speakers/merge": {
            "parameters": [slug],
            "post": operation(
                "Merge one speaker into another (curator)", "merge_speakers", "speakers",
                body=ref("SpeakerMerge"), errors="400 401 403 404 409 413 422 503",
                ok={"200": _json(ref("Speaker"), "the speaker kept")}),
        },
        f"{API}/projects/{{slug}}/documents": {
            "parameters": [slug],
            "get": operation(
                "The project's documents, paginated", "list_documents", "documents", errors="401 404 422 503",
                parameters=[
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
                           "page size"),
                    _query("after", {"type": "integer", "minimum": 0, "maximum": 2**62, "default": 0},
                           "the last id of the previous page"),
                    _query("q", {"type": "string"}, "only documents whose title or text contains this"),
                ],
                ok={"200": _json(ref("DocumentPage"), "a page; next is the path of the next one, or null")}),
            "post": operation(
                "Import a document, or a batch of up to 10,000 (any member)", "import_documents", "documents",
                body={"oneOf": [ref("DocumentInput"), ref("DocumentBatch")]},
                errors="400 401 404 413 422 503",
                ok={"200": _json(ref("Document"), "the same text is stored already: the existing document"),
                    "201": _json({"oneOf": [ref("Document"), ref("DocumentBatchResult")]},
                                 "created (a new revision: revision, previous and anchors), or the batch's "
                                 "result")}),
        },
        f"{API}/documents/{{document_id}}": {
            "parameters": [document_id],
            "get": operation(
                "A document with its paragraphs", "get_document", "documents", errors="401 404 503",
                ok={"200": _json(ref("Document"), "the document")}),
        },
        f"{API}/documents/{{document_id}}/claims": {
            "parameters": [document_id],
            "get": operation(
                "Claims of one layer: the caller's, another annotator's or gold", "list_claims", "claims",
                parameters=layer_params, errors="401 403 404 422 503",
                ok={"200": _json(ref("ClaimList"), "the claims, in text order")}),
            "post": operation(
                "Add a claim", "create_claim", "claims", body=ref("ClaimInput"),
                errors="400 401 403 404 409 413 422 503",
                ok={"200": _json(ref("Claim"), "a retry with a known client_id: the first claim"),
                    "201": _json(ref("Claim"), "created")},
                description="Text not equal to the text at the offsets, offsets outside the text, an unknown "
                            "speaker, target or code: 422 and nothing stored."),
        },
        f"{API}/documents/{{document_id}}/gold": {
            "parameters": [document_id],
            "post": operation(
                "Accept an annotator's claim into the gold layer (curator)", "write_gold", "claims",
                body=ref("GoldInput"), errors="400 401 403 404 409 413 422 503",
                ok={"201": _json(ref("Claim"), "the gold claim")}),
        },
        f"{API}/documents/{{document_id}}/suggestions": {
            "parameters": [document_id],
            "get": operation(
                "Attribution and bias-marker suggestions for the caller", "suggestions", "claims",
                errors="401 404 503",
                ok={"200": _json(ref("Suggestions"), "what the detector proposes, minus what the caller has marked "
                                                     "or dismissed")}),
        },
        f"{API}/documents/{{document_id}}/suggestions/dismiss": {
            "parameters": [document_id],
            "post": operation(
                "Dismiss a suggestion (for the caller, on this document)", "dismiss_suggestion", "claims",
                body=ref("SuggestionDismiss"), errors="400 401 404 413 422 503",
                ok={"204": {"description": "dismissed"}}),
        },
        f"{API}/claims/{{claim_id}}": {
            "parameters": [claim_id],
            "get": operation(
                "One claim", "get_claim", "claims", errors="401 404 503", ok={"200": _json(ref("Claim"), "the claim")}),
            "patch": operation(
                "Change a claim", "update_claim", "claims", body=ref("ClaimPatch"),
                errors="400 401 403 404 409 413 422 503",
                ok={"200": _json(ref("Claim"), "the claim, version + 1")}),
            "delete": operation(
                "Delete a claim (soft; the audit log keeps it)", "delete_claim", "claims",
                parameters=[_query("version", {"type": "integer", "minimum": 1},
                                   "if given and stale: 409")],
                errors="400 401 403 404 409 503", ok={"204": {"description": "deleted"}}),
        },
        f"{API}/documents/{{document_id}}/markers": {
            "parameters": [document_id],
            "get": operation(
                "Bias markers of one layer", "list_markers", "markers", parameters=layer_params,
                errors="401 403 404 422 503", ok={"200": _json(ref("MarkerList"), "the markers, in text order")}),
            "post": operation(
                "Add a bias marker", "create_marker", "markers", body=ref("MarkerInput"),
                errors="400 401 403 404 413 422 503", ok={"201": _json(ref("Marker"), "created")}),
        },
        f"{API}/markers/{{marker_id}}": {
            "parameters": [marker_id],
            "patch": operation(
                "Change a bias marker", "update_marker", "markers", body=ref("MarkerPatch"),
                errors="400 401 403 404 409 413 422 503",
                ok={"200": _json(ref("Marker"), "the marker, version + 1")}),
            "delete": operation(
                "Delete a bias marker (soft)", "delete_marker", "markers", errors="400 401 403 404 503",
                ok={"204": {"description": "deleted"}}),
        },
        f"{API}/documents/{{document_id}}/labels": {
            "parameters": [document_id],
            "get": operation(
                "Article labels of one layer", "get_labels", "labels", parameters=layer_params,
                errors="401 403 404 422 503", ok={"200": _json(ref("Labels"), "the labels (version 0: none yet)")}),
            "put": operation(
                "Store the caller's article labels", "put_labels", "labels", body=ref("LabelsInput"),
                errors="400 401 403 404 409 413 422 503", ok={"200": _json(ref("Labels"), "the labels")}),
        },
        f"{API}/projects/{{slug}}/assignments": {
            "parameters": [slug],
            "get": operation(
                "Assignments (curators: all; annotators: their own)", "list_assignments", "assignments",
                errors="401 404 503", ok={"200": _json(ref("AssignmentList"), "the assignments")}),
            "post": operation(
                "Assign documents by hand or by rule (curator)", "create_assignments", "assignments",
                body=ref("AssignmentRequest"), errors="400 401 403 404 413 422 503",
                ok={"201": _json(ref("AssignmentPlan"), "what was assigned")}),
        },
        f"{API}/assignments/{{assignment_id}}": {
            "parameters": [_path_id("assignment_id", "assignment")],
            "patch": operation(
                "Set an assignment's status (its annotator or a curator)", "update_assignment", "assignments",
                body=ref("AssignmentStatus"), errors="400 401 404 413 422 503",
                ok={"200": _json(ref("Assignment"), "the assignment")}),
        },
        f"{API}/projects/{{slug}}/progress": {
            "parameters": [slug],
            "get": operation(
                "Progress per annotator and per document (curator)", "progress", "assignments",
                errors="401 403 404 503", ok={"200": _json(ref("Progress"), "the progress")}),
        },
        f"{API}/documents/{{document_id}}/balance": {
            "parameters": [document_id],
            "get": operation(
                "Sourcing balance of a document", "document_balance", "analysis", parameters=balance_params,
                errors="401 403 404 422 503", ok={"200": _json(ref("Balance"), "the balance")},
                description="annotator=all pools every annotator (curators)."),
        },
        f"{API}/projects/{{slug}}/balance": {
            "parameters": [slug],
            "get": operation(
                "Sourcing balance of a filtered corpus", "project_balance", "analysis",
                parameters=balance_params, errors="401 403 404 422 503",
                ok={"200": _json(ref("Balance"), "the balance")}),
        },
        f"{API}/projects/{{slug}}/agreement": {
            "parameters": [slug],
            "get": operation(
                "Inter-annotator agreement (curator)", "agreement", "analysis", errors="401 403 404 422 503",
                parameters=[_query("match", {"type": "string", "enum": ["exact", "overlap"], "default": "exact"},
                                   "how content spans are matched into units")],
                ok={"200": _json(ref("Agreement"), "alpha and pairwise kappa per field, span F1")}),
        },
        f"{API}/projects/{{slug}}/search": {
            "parameters": [slug],
            "get": operation(
                "Full-text search of the project's documents and claims", "search", "analysis",
                errors="401 403 404 422 503",
                description='q: words, "phrases", OR and -word. Claims are searched in the caller\'s layer, '
                            "another annotator's (annotator=NAME), everyone's (annotator=*) or gold (layer=gold), "
                            "with the same rules as GET /documents/{id}/claims.",
                parameters=[
                    _query("q", {"type": "string", "minLength": 1, "maxLength": 200}, "what to search for",
                           required=True),
                    _query("page", {"type": "integer", "minimum": 1, "maximum": 500, "default": 1},
                           "the page (20 hits of each kind per page)"),
                    _query("annotator", {"type": "string", "minLength": 1, "maxLength": 64},
                           "another annotator's claims, or * for everyone's"),
                    _param_ref("layer"),
                    _query("speaker", text(500, minLength=1), "a speaker id, name or alias"),
                    _query("side", text(500, minLength=1), "a side code"),
                    _query("attribution", text(500, minLength=1), "an attribution code"),
                    _query("claim_type", text(500, minLength=1), "a claim_type code"),
                    _query("stance", text(500, pattern="^[^=]+=[^=]+$"), "TARGET=VALUE"),
                    _query("outlet", text(500), "only documents whose source is this outlet"),
                    _query("date_from", {"type": "string", "pattern": DATE_PATTERN}, "published on or after"),
                    _query("date_to", {"type": "string", "pattern": DATE_PATTERN}, "published on or before"),
                ],
                ok={"200": _json(ref("SearchResult"), "the matching documents and claims")}),
        },
        f"{API}/projects/{{slug}}/export": {
            "parameters": [slug],
            "get": operation(
                "Export the project as a streamed file", "export", "export", errors="401 403 404 422 503",
                description=f"Formats: {formats}. Annotators export their own layer only.",
                parameters=[
                    _query("format", {"type": "string", "enum": list(WRITERS)}, "the file format", required=True),
                    _param_ref("annotator"),
                    _param_ref("layer"),
                    _query("gold", {"type": "string", "enum": ["1", "true"]}, "the same as layer=gold"),
                    _query("documents", {"type": "string", "pattern": r"^\s*[0-9]+\s*(,\s*[0-9]+\s*)*$"},
                           "comma-separated document ids (default: all)"),
                ],
                ok={"200": {
                    "description": "the file (Content-Disposition: attachment)",
                    "headers": {"Content-Disposition": {
                        "description": "attachment; filename=…", "required": True, "schema": {"type": "string"}}},
                    "content": _export_content(),
                }}),
        },
        "/api/openapi.json": {
            "get": {
                "summary": "This document", "operationId": "openapi", "tags": ["meta"], "security": [],
                "responses": {"200": _json({"type": "object", "required": ["openapi", "paths"]},
                                           "the OpenAPI 3.1 document"),
                              "422": {"$ref": "#/components/responses/Invalid"}},
            },
        },
    }


def openapi_document(server_url: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the JSON API, with ``server_url`` (e.g. ``https://host``) as its server."""
    return copy.deepcopy({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "Sourcemark API",
            "version": "1",
            "summary": "Source-attribution and bias annotation of news text.",
            "description": (
                "Every /api/v1 request needs `Authorization: Bearer TOKEN` (`flask users token NAME` prints "
                "one); a logged-in browser session with an `X-CSRFToken` header works too. Errors are "
                "`{\"error\": {\"code\", \"message\", \"field\"}}`. Offsets are [start, end) in Unicode code "
                "points over the document's canonical text. A caller who is not a member of a project gets "
                "404 for everything in it, the same as for an id that does not exist."
            ),
        },
        "servers": [{"url": server_url.rstrip("/")}],
        "security": [{"bearerAuth": []}],
        "tags": [{"name": name} for name in ("projects", "codebook", "speakers", "documents", "claims", "markers",
                                             "labels", "assignments", "analysis", "export", "meta")],
        "paths": paths(),
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "an API token from `flask users token NAME`"}},
            "schemas": schemas(),
            "responses": responses(),
            "parameters": parameters(),
        },
    })
