"""CSV exports: a zip of long-format tables for R, pandas, SPSS and spreadsheets.

``csv`` is the spreadsheet-safe download (UTF-8 with BOM so Excel reads "Çavuşoğlu";
text cells that a spreadsheet would run as a formula are prefixed with ``'``); ``csv-raw``
holds the exact text without BOM for R and pandas. Both hold the same six tables
(``research/domain.md`` §3.3): claims, stances (claim × target), bias_spans, articles,
speakers (the entity registry) and codebook (variable × value).

``claims.csv`` streams straight into the archive, so the first bytes leave within
milliseconds; the side tables are spooled and appended after it. Cells that are strings get
RFC 4180 quoting; numeric columns hold ints and are never prefixed (``-2`` stays a number).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from app.export.common import SEGMENT_JOINER, ParagraphLocator, paragraph_locator, zip_date_time
from app.export.flat import (
    BIAS_COLUMNS,
    CODEBOOK_COLUMNS,
    SPEAKER_COLUMNS,
    STANCE_COLUMNS,
    Column,
    Flattener,
    text_column_indexes,
)
from app.export.model import ClaimOut, DocumentBundle, ExportContext, MarkerOut, SpeakerOut
from app.export.streams import (
    STREAM_CHUNK_BYTES,
    BinaryWriter,
    CellEncoder,
    CsvTable,
    ZipStream,
    spooled_file,
)


def write_csv(ctx: ExportContext, bundles: Iterable[DocumentBundle]) -> Iterator[bytes]:
    """Spreadsheet-safe zip of CSV tables (BOM, formula prefix on text cells)."""
    return _write_tables(ctx, bundles, neutralise=True)


def write_csv_raw(ctx: ExportContext, bundles: Iterable[DocumentBundle]) -> Iterator[bytes]:
    """Exact-text zip of CSV tables (no BOM, no prefix) for R and pandas."""
    return _write_tables(ctx, bundles, neutralise=False)


# Distinct ``codes_key``s whose cells a writer keeps (a few hundred in practice).
KEYED_CODES_LIMIT = 20_000


class CsvLines:
    """``claims.csv``, ``stances.csv`` and ``bias_spans.csv`` lines, built as strings for speed.

    Gives exactly what ``csv.writer`` makes of ``Flattener``'s rows (a test holds the two
    together) at under half the cost: recurring cells (codes, user names, speakers) are
    encoded once per export and a row is one f-string. A million claims must take seconds.
    """

    def __init__(self, flat: Flattener, cells: CellEncoder) -> None:
        self._cells = cells
        self._targets = flat.codebook.target_codes
        self._no_stances = "," * (len(self._targets) - 1)
        self._speakers: dict[int | None, str] = {None: "," * 7}
        self._by_key: dict[object, tuple[str, str, str, str, list[str]]] = {}

    def _speaker(self, speaker: SpeakerOut) -> str:
        encoded = self._speakers[speaker.id] = self._joined([
            speaker.id, speaker.name, speaker.type, speaker.role, speaker.affiliation, speaker.side,
            speaker.country, speaker.wikidata,
        ])
        return encoded

    def _verification(self, verification: dict[str, Any]) -> str:
        evidence = verification.get("evidence") or ()
        return self._joined([
            verification.get("status"),
            verification.get("rating_text"),
            "|".join(str(e["url"]) for e in evidence if e.get("url")) or None,
            verification.get("checked_by"),
            verification.get("checked_at"),
        ])

    def _joined(self, cells: list[Any]) -> str:
        """Typed cells (ints, strings, None) as part of a CSV line."""
        text = self._cells.text
        return ",".join(["" if c is None else text(c) if isinstance(c, str) else str(c) for c in cells])

    def _codes(self, claim: ClaimOut) -> tuple[str, str, str, str, list[str]]:
        """The cells of the recurring fields, in four runs of claims.csv, and the stances.csv line tails.

        Runs: annotator … version; attribution; source_specificity; cue_valence … the stances.
        The tails start with an empty string, so ``"<id>,<doc>".join(tails)`` gives the lines.
        """
        code = self._cells.repeated
        speaker = claim.speaker
        speaker_cells = self._speakers.get(None if speaker is None else speaker.id)
        if speaker_cells is None:
            speaker_cells = self._speaker(speaker)  # type: ignore[arg-type]  # None is always cached
        stances = claim.stances
        if stances:
            stance_cells = ",".join([code[stances.get(target)] for target in self._targets])
        else:
            stance_cells = self._no_stances
        verifiable = claim.verifiable
        annotator_layer = f"{code[claim.annotator]},{code[claim.layer]}"
        return (
            f"{annotator_layer},{claim.codebook_version},{claim.version}",
            code[claim.attribution],
            code[claim.source_specificity],
            f"{code[claim.cue_valence]},{speaker_cells},{code[claim.speaker_resolution]},{code[claim.claim_type]},"
            f"{code[claim.claim_type_ff]},{'' if verifiable is None else 1 if verifiable else 0},"
            f"{code[claim.check_worthiness]},{code[claim.authorial_stance]},{stance_cells}",
            ["", *[f",{annotator_layer},{code[target]},{code[value]}\r\n" for target, value in stances.items()]],
        )

    def _keyed_codes(self, claim: ClaimOut) -> tuple[str, str, str, str, list[str]]:
        """``_codes``, encoded once per ``codes_key`` when the claim carries one."""
        key = claim.codes_key
        if key is None:
            return self._codes(claim)
        cells = self._by_key.get(key)
        if cells is None:
            if len(self._by_key) >= KEYED_CODES_LIMIT:
                self._by_key.clear()
            cells = self._by_key[key] = self._codes(claim)
        return cells

    def claim(self, claim: ClaimOut, locate: ParagraphLocator) -> str:
        text = self._cells.text
        content = claim.content
        first = content[0]
        if len(content) == 1:
            segments = f"{first.start}-{first.end}"
            content_text = text(first.text)
            end = first.end
        else:
            segments = ";".join(f"{s.start}-{s.end}" for s in content)
            content_text = text(SEGMENT_JOINER.join(s.text for s in content))
            end = content[-1].end
        paragraph = first.paragraph if first.paragraph is not None else locate(first.start)
        source = claim.source
        source_cells = ",," if source is None else f"{source.start},{source.end},{text(source.text)}"
        cue = claim.cue
        cue_cells = ",," if cue is None else f"{cue.start},{cue.end},{text(cue.text)}"
        head, attribution, specificity, middle, _tails = self._keyed_codes(claim)
        verification = claim.verification
        verification_cells = ",,,," if not verification else self._verification(verification)
        note = claim.note
        return (
            f"{claim.id},{claim.document_id},{'' if paragraph is None else paragraph},{head},"
            f"{first.start},{end},{segments},{len(content)},{content_text},{attribution},{source_cells},"
            f"{specificity},{cue_cells},{middle},{verification_cells},"
            f"{claim.n_bias_spans_overlapping},{'' if note is None else text(note)},{text(claim.created_at)},"
            f"{text(claim.updated_at)}\r\n"
        )

    def stances(self, claim: ClaimOut) -> list[str]:
        ident = f"{claim.id},{claim.document_id}"
        return [ident + tail for tail in self._keyed_codes(claim)[4][1:]]

    def stance_block(self, claim: ClaimOut) -> str:
        """The claim's stances.csv lines, one string."""
        return f"{claim.id},{claim.document_id}".join(self._keyed_codes(claim)[4])

    def marker(self, marker: MarkerOut, locate: ParagraphLocator) -> str:
        text = self._cells.text
        code = self._cells.repeated
        span = marker.span
        paragraph = span.paragraph if span.paragraph is not None else locate(span.start)
        return (
            f"{marker.id},{marker.document_id},{'' if paragraph is None else paragraph},"
            f"{code[marker.annotator]},{code[marker.layer]},{marker.codebook_version},{marker.version},"
            f"{span.start},{span.end},{text(span.text)},{code[marker.bias_type]},{code[marker.target]},"
            f"{code[marker.polarity]},{1 if marker.in_quote else 0},{text(marker.note)},"
            f"{text(marker.created_at)},{text(marker.updated_at)}\r\n"
        )


def _write_tables(
    ctx: ExportContext, bundles: Iterable[DocumentBundle], *, neutralise: bool
) -> Iterator[bytes]:
    flat = Flattener(ctx)

    def table(destination: BinaryWriter, columns: Sequence[Column]) -> CsvTable:
        return CsvTable(
            destination,
            [c.name for c in columns],
            bom=neutralise,
            neutralise=neutralise,
            text_columns=text_column_indexes(columns),
        )

    spools = {name: spooled_file() for name in ("stances.csv", "bias_spans.csv", "articles.csv")}
    try:
        with ZipStream(zip_date_time(ctx)) as archive:
            with archive.open_member("claims.csv") as claims_member:
                claims = table(claims_member, flat.claim_columns)
                stances = table(spools["stances.csv"], STANCE_COLUMNS)
                bias = table(spools["bias_spans.csv"], BIAS_COLUMNS)
                articles = table(spools["articles.csv"], flat.article_columns)
                lines = CsvLines(flat, claims.cells)
                claim_line = lines.claim
                stance_block = lines.stance_block
                marker_line = lines.marker
                # The first bytes (the zip's local header) leave as soon as they exist: a quick
                # first byte. Then chunks of STREAM_CHUNK_BYTES.
                chunk_bytes = 1
                for bundle in bundles:
                    locate = paragraph_locator(bundle.document.paragraphs)
                    claims.write_lines([claim_line(claim, locate) for claim in bundle.claims])
                    stances.write_lines([stance_block(claim) for claim in bundle.claims if claim.stances])
                    if bundle.markers:
                        bias.write_lines([marker_line(marker, locate) for marker in bundle.markers])
                    articles.writerows(flat.article_rows(bundle))
                    if archive.pending >= chunk_bytes:
                        yield archive.take()
                        chunk_bytes = STREAM_CHUNK_BYTES
                for finished in (claims, stances, bias, articles):
                    finished.flush()
            yield archive.take()
            for name, spool in spools.items():
                yield from archive.add_file(name, spool)
            small_tables: list[tuple[str, Sequence[Column], Iterable[list[Any]]]] = [
                ("speakers.csv", SPEAKER_COLUMNS, flat.speaker_rows()),
                ("codebook.csv", CODEBOOK_COLUMNS, flat.codebook_rows(neutralised=neutralise)),
            ]
            for name, columns, rows in small_tables:
                buffer = io.BytesIO()
                small = table(buffer, columns)
                small.writerows(rows)
                small.flush()
                archive.add_bytes(name, buffer.getvalue())
            yield archive.close()
    finally:
        for spool in spools.values():
            spool.close()
