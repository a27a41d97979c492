"""One flattening of claims, markers, articles and speakers into rows, shared by CSV, SPSS and Stata.

Column names follow ``research/domain.md`` §3.3: snake_case ASCII of at most 32 characters
(Stata's limit). Every column declares its kind: ``int`` columns hold Python ints or None
and are never altered by the spreadsheet-safe variant; ``code`` columns hold codebook codes
and name the codebook field their values come from, which gives SPSS/Stata value labels and
the rows of ``codebook.csv``.

These rows are the definition: SPSS and Stata write them as they are, and the CSV writer's
faster string building (``tabular.CsvLines``) is tested to give byte for byte what
``csv.writer`` makes of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from app.export.common import (
    GOLD_LAYER,
    SEGMENT_JOINER,
    CodebookLookup,
    ParagraphLocator,
    span_paragraph,
)
from app.export.model import ClaimOut, DocumentBundle, ExportContext, SpeakerOut

ColumnKind = Literal["int", "flag", "code", "text"]
# Pseudo-fields for code columns whose values do not come from ``codebook.fields``.
LAYER_FIELD = "layer"
FULL_FACT_FIELD = "claim_type_ff"
MAX_NAME = 32


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    label: str  # variable label (SPSS/Stata) and description in codebook.csv
    kind: ColumnKind
    field: str | None = None  # for ``code`` columns: where the value list comes from


def _column_suffix(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", code).strip("_") or "x"


def per_target_columns(prefix: str, label: str, field: str, cb: CodebookLookup) -> list[Column]:
    """One code column per stance target (``stance_T1`` …), names unique and ≤ 32 characters."""
    columns: list[Column] = []
    used: set[str] = set()
    for target in cb.targets:
        base = (prefix + _column_suffix(str(target["code"])))[:MAX_NAME]
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{base[: MAX_NAME - len(str(n)) - 1]}_{n}"
        used.add(name)
        columns.append(Column(name, f"{label}: {target.get('label') or target['code']}", "code", field))
    return columns


def claim_columns(cb: CodebookLookup) -> list[Column]:
    return [
        Column("claim_id", "Claim id", "int"),
        Column("doc_id", "Document id", "int"),
        Column("paragraph_idx", "Paragraph of the first content segment (0-based)", "int"),
        Column("annotator", "Annotator (user name; for gold: the curator)", "text"),
        Column("layer", "Layer (annotator or gold)", "code", LAYER_FIELD),
        Column("codebook_version", "Codebook version the claim was made under", "int"),
        Column("version", "Edit version of the claim", "int"),
        Column("start", "Start of the first content segment (code points)", "int"),
        Column("end", "End of the last content segment (code points, exclusive)", "int"),
        Column("segments", "Content segments as start-end;start-end", "text"),
        Column("n_segments", "Number of content segments", "int"),
        Column("content_text", "Content text (segments joined by ' … ')", "text"),
        Column("attribution_type", "Attribution", "code", "attribution"),
        Column("source_start", "Start of the source mention", "int"),
        Column("source_end", "End of the source mention", "int"),
        Column("source_text", "Source mention text", "text"),
        Column("source_specificity", "Source specificity", "code", "source_specificity"),
        Column("cue_start", "Start of the cue", "int"),
        Column("cue_end", "End of the cue", "int"),
        Column("cue_text", "Cue text", "text"),
        Column("cue_valence", "Cue valence", "code", "cue_valence"),
        Column("speaker_id", "Speaker id (project registry)", "int"),
        Column("speaker_name", "Speaker name", "text"),
        Column("speaker_type", "Speaker type", "code", "entity_type"),
        Column("speaker_role", "Speaker role", "text"),
        Column("speaker_affiliation", "Speaker affiliation", "text"),
        Column("speaker_side", "Speaker side", "code", "side"),
        Column("speaker_country", "Speaker country (ISO 3166-1 alpha-2)", "text"),
        Column("speaker_wikidata", "Speaker Wikidata id", "text"),
        Column("speaker_resolution", "Speaker resolution", "code", "speaker_resolution"),
        Column("claim_type", "Claim type", "code", "claim_type"),
        Column("claim_type_ff", "Claim type (Full Fact class)", "code", FULL_FACT_FIELD),
        Column("verifiable", "Verifiable (derived from claim type)", "flag"),
        Column("check_worthiness", "Check-worthiness", "code", "check_worthiness"),
        Column("authorial_stance", "Authorial stance to the claim", "code", "authorial_stance"),
        *per_target_columns("stance_", "Stance", "stance", cb),
        Column("verification_status", "Verification status", "code", "verification_status"),
        Column("rating_text", "Verdict (rating text)", "text"),
        Column("evidence_urls", "Evidence URLs (separated by |)", "text"),
        Column("checked_by", "Checked by", "text"),
        Column("checked_at", "Checked at (ISO 8601 UTC)", "text"),
        Column("n_bias_spans_overlapping", "Bias markers overlapping the content", "int"),
        Column("note", "Annotator note", "text"),
        Column("created_at", "Created at (ISO 8601 UTC)", "text"),
        Column("modified_at", "Last modified at (ISO 8601 UTC)", "text"),
    ]


STANCE_COLUMNS = [
    Column("claim_id", "Claim id", "int"),
    Column("doc_id", "Document id", "int"),
    Column("annotator", "Annotator", "text"),
    Column("layer", "Layer", "code", LAYER_FIELD),
    Column("target", "Stance target", "code", "target"),
    Column("stance", "Stance", "code", "stance"),
]

BIAS_COLUMNS = [
    Column("marker_id", "Bias marker id", "int"),
    Column("doc_id", "Document id", "int"),
    Column("paragraph_idx", "Paragraph (0-based)", "int"),
    Column("annotator", "Annotator", "text"),
    Column("layer", "Layer", "code", LAYER_FIELD),
    Column("codebook_version", "Codebook version", "int"),
    Column("version", "Edit version", "int"),
    Column("start", "Start (code points)", "int"),
    Column("end", "End (code points, exclusive)", "int"),
    Column("text", "Marked text", "text"),
    Column("bias_type", "Bias type", "code", "bias_type"),
    Column("target", "Target", "text"),
    Column("polarity", "Polarity", "code", "polarity"),
    Column("in_quote", "Inside a quoted claim (derived)", "flag"),
    Column("note", "Annotator note", "text"),
    Column("created_at", "Created at (ISO 8601 UTC)", "text"),
    Column("modified_at", "Last modified at (ISO 8601 UTC)", "text"),
]


def article_columns(cb: CodebookLookup) -> list[Column]:
    return [
        Column("doc_id", "Document id", "int"),
        Column("title", "Headline", "text"),
        Column("source", "Outlet as imported", "text"),
        Column("url", "URL", "text"),
        Column("author", "Byline", "text"),
        Column("published", "Date published", "text"),
        Column("external_id", "External id", "text"),
        Column("text_hash", "SHA-256 of the canonical text", "text"),
        Column("n_paragraphs", "Paragraphs", "int"),
        Column("n_chars", "Characters (code points)", "int"),
        Column("annotator", "Annotator of the article labels", "text"),
        Column("layer", "Layer of the article labels", "code", LAYER_FIELD),
        Column("outlet", "Outlet", "text"),
        Column("ownership", "Outlet ownership", "code", "ownership"),
        Column("genre", "Genre", "code", "genre"),
        Column("frame", "Primary frame", "code", "frame"),
        *per_target_columns("slant_", "Slant", "slant", cb),
        Column("omissions", "Omissions", "text"),
        Column("notes", "Notes", "text"),
        Column("labels_version", "Edit version of the labels", "int"),
    ]


SPEAKER_COLUMNS = [
    Column("speaker_id", "Speaker id", "int"),
    Column("name", "Canonical name", "text"),
    Column("aliases", "Aliases (separated by |)", "text"),
    Column("type", "Type", "code", "entity_type"),
    Column("role", "Role", "text"),
    Column("affiliation", "Affiliation", "text"),
    Column("side", "Side", "code", "side"),
    Column("country", "Country", "text"),
    Column("wikidata", "Wikidata id", "text"),
]

CODEBOOK_COLUMNS = [
    Column("variable", "Column name in the CSV tables", "text"),
    Column("field", "Codebook field the values come from", "text"),
    Column("code", "Value as exported", "text"),
    Column("label", "Value label", "text"),
    Column("definition", "Definition", "text"),
    Column("retired", "Retired code (1) or in use (0)", "int"),
    Column("codebook_version", "Codebook version", "int"),
]


def text_column_indexes(columns: list[Column]) -> list[int]:
    """Columns whose cells are strings a user or curator typed (codes included)."""
    return [i for i, column in enumerate(columns) if column.kind in ("text", "code")]


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(bool(value))


class Flattener:
    """Turns bundles into rows aligned with the column lists above.

    Holds per-export caches (speaker columns, target order), so build one per export.
    """

    def __init__(self, ctx: ExportContext) -> None:
        self.codebook = CodebookLookup(ctx.codebook)
        self.ctx = ctx
        self.claim_columns = claim_columns(self.codebook)
        self.article_columns = article_columns(self.codebook)
        self._targets = self.codebook.target_codes
        self._speaker_cells: dict[int, tuple[Any, ...]] = {}

    def _speaker(self, speaker: SpeakerOut | None) -> tuple[Any, ...]:
        if speaker is None:
            return (None, None, None, None, None, None, None, None)
        cells = self._speaker_cells.get(speaker.id)
        if cells is None:
            cells = (
                speaker.id,
                speaker.name,
                speaker.type,
                speaker.role,
                speaker.affiliation,
                speaker.side,
                speaker.country,
                speaker.wikidata,
            )
            self._speaker_cells[speaker.id] = cells
        return cells

    def claim_row(self, claim: ClaimOut, locate: ParagraphLocator) -> list[Any]:
        """One ``claims.csv`` row (hot path: a million of these must take well under 10 s)."""
        content = claim.content
        first = content[0]
        last = content[-1]
        if len(content) == 1:
            segments = f"{first.start}-{first.end}"
            text = first.text
        else:
            segments = ";".join(f"{s.start}-{s.end}" for s in content)
            text = SEGMENT_JOINER.join(s.text for s in content)
        source = claim.source
        cue = claim.cue
        verification = claim.verification
        if verification:
            evidence = verification.get("evidence") or ()
            verification_cells: tuple[Any, ...] = (
                verification.get("status"),
                verification.get("rating_text"),
                "|".join(str(e["url"]) for e in evidence if e.get("url")) or None,
                verification.get("checked_by"),
                verification.get("checked_at"),
            )
        else:
            verification_cells = (None, None, None, None, None)
        stances = claim.stances
        verifiable = claim.verifiable
        return [
            claim.id,
            claim.document_id,
            first.paragraph if first.paragraph is not None else locate(first.start),
            claim.annotator,
            claim.layer,
            claim.codebook_version,
            claim.version,
            first.start,
            last.end,
            segments,
            len(content),
            text,
            claim.attribution,
            source.start if source else None,
            source.end if source else None,
            source.text if source else None,
            claim.source_specificity,
            cue.start if cue else None,
            cue.end if cue else None,
            cue.text if cue else None,
            claim.cue_valence,
            *self._speaker(claim.speaker),
            claim.speaker_resolution,
            claim.claim_type,
            claim.claim_type_ff,
            None if verifiable is None else (1 if verifiable else 0),
            claim.check_worthiness,
            claim.authorial_stance,
            *[stances.get(target) for target in self._targets],
            *verification_cells,
            claim.n_bias_spans_overlapping,
            claim.note,
            claim.created_at,
            claim.updated_at,
        ]

    def claim_rows(self, bundle: DocumentBundle, locate: ParagraphLocator) -> list[list[Any]]:
        row = self.claim_row
        return [row(claim, locate) for claim in bundle.claims]

    @staticmethod
    def stance_rows(bundle: DocumentBundle) -> list[list[Any]]:
        return [
            [claim.id, claim.document_id, claim.annotator, claim.layer, target, value]
            for claim in bundle.claims
            for target, value in claim.stances.items()
        ]

    @staticmethod
    def bias_rows(bundle: DocumentBundle, locate: ParagraphLocator) -> list[list[Any]]:
        return [
            [
                marker.id,
                marker.document_id,
                span_paragraph(marker.span, locate),
                marker.annotator,
                marker.layer,
                marker.codebook_version,
                marker.version,
                marker.span.start,
                marker.span.end,
                marker.span.text,
                marker.bias_type,
                marker.target,
                marker.polarity,
                _flag(marker.in_quote),
                marker.note,
                marker.created_at,
                marker.updated_at,
            ]
            for marker in bundle.markers
        ]

    def article_rows(self, bundle: DocumentBundle) -> list[list[Any]]:
        """One row per set of article labels; an unlabelled article still gets one row."""
        document = bundle.document
        head = [
            document.id,
            document.title,
            document.source,
            document.url,
            document.author,
            document.published,
            document.external_id,
            document.text_hash,
            len(document.paragraphs),
            len(document.text),
        ]
        if not bundle.labels:
            return [head + [None] * (len(self.article_columns) - len(head))]
        return [
            [
                *head,
                labels.annotator,
                labels.layer,
                labels.outlet,
                labels.ownership,
                labels.genre,
                labels.frame,
                *[labels.slant.get(target) for target in self._targets],
                labels.omissions,
                labels.notes,
                labels.version,
            ]
            for labels in bundle.labels
        ]

    def speaker_rows(self) -> Iterator[list[Any]]:
        for speaker in self.ctx.speakers:
            yield [
                speaker.id,
                speaker.name,
                "|".join(speaker.aliases) or None,
                speaker.type,
                speaker.role,
                speaker.affiliation,
                speaker.side,
                speaker.country,
                speaker.wikidata,
            ]

    def value_codes(self, field: str) -> list[str]:
        """The codes a code column may hold, in codebook order (for value labels)."""
        if field == LAYER_FIELD:
            return ["annotator", GOLD_LAYER]
        if field == FULL_FACT_FIELD:
            return self.codebook.full_fact_codes()
        return self.codebook.codes(field)

    def value_label(self, field: str, code: str) -> str:
        if field == LAYER_FIELD:
            return "Gold (adjudicated)" if code == GOLD_LAYER else "Annotator"
        if field == FULL_FACT_FIELD:
            return self.codebook.label("claim_type", code) or code
        return self.codebook.label(field, code) or code

    def codebook_rows(self, *, neutralised: bool) -> Iterator[list[Any]]:
        """``codebook.csv``: every code column × value, then notes on the export conventions."""
        version = self.codebook.version
        tables = (
            ("claims.csv", self.claim_columns),
            ("stances.csv", STANCE_COLUMNS),
            ("bias_spans.csv", BIAS_COLUMNS),
            ("articles.csv", self.article_columns),
            ("speakers.csv", SPEAKER_COLUMNS),
        )
        seen: set[tuple[str, str | None]] = set()
        for _table, columns in tables:
            for column in columns:
                if column.kind != "code" or column.field is None or (column.name, column.field) in seen:
                    continue
                seen.add((column.name, column.field))
                entries = {str(e["code"]): e for e in self.codebook.entries(column.field)}
                for code in self.value_codes(column.field):
                    entry = entries.get(code, {})
                    yield [
                        column.name,
                        column.field,
                        code,
                        self.value_label(column.field, code),
                        entry.get("definition") or entry.get("description"),
                        1 if entry.get("retired") else 0,
                        version,
                    ]
        yield ["verifiable", "verifiable", "1", "Yes", "Checkable with public information.", 0, version]
        yield ["verifiable", "verifiable", "0", "No", "Opinion, experience or no claim.", 0, version]
        yield ["_export", None, "missing", "Missing value", "An empty cell: not set.", 0, version]
        if neutralised:
            note = (
                "Spreadsheet-safe export: a text cell starting with = + - @ TAB or CR is prefixed with a "
                "single quote so spreadsheets do not run it as a formula. Numeric columns are unchanged. "
                "The csv-raw export holds the exact text."
            )
        else:
            note = (
                "Raw export: every cell holds the exact text. Opening it in a spreadsheet may run cells "
                "starting with = + - @ as formulas; use the spreadsheet-safe csv export for that."
            )
        yield ["_export", None, "text_cells", "Text cells", note, 0, version]
        yield ["_export", None, "segments", "Discontinuous content",
               "content_text joins the segments with ' … '; segments lists start-end of each.", 0, version]
