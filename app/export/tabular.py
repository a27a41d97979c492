"""CSV exports: a zip of long-format tables for R, pandas, SPSS and spreadsheets.

``csv`` is the spreadsheet-safe download (UTF-8 with BOM so Excel reads "Çavuşoğlu";
text cells that a spreadsheet would run as a formula are prefixed with ``'``); ``csv-raw``
holds the exact text without BOM for R and pandas. Both hold the same six tables
(``research/domain.md`` §3.3): claims, stances (claim × target), bias_spans, articles,
speakers (the entity registry) and codebook (variable × value).

``claims.csv`` streams straight into the archive, so the first bytes leave within
milliseconds; the side tables are spooled and appended after it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from app.export.common import SEGMENT_JOINER, STREAM_CHUNK_BYTES, ParagraphLocator, zip_date_time
from app.export.flat import (
    BIAS_COLUMNS,
    CODEBOOK_COLUMNS,
    SPEAKER_COLUMNS,
    STANCE_COLUMNS,
    Column,
    Flattener,
    text_column_indexes,
)
from app.export.model import ClaimOut, DocumentBundle, ExportContext, SpeakerOut
from app.export.streams import BinaryWriter, CellEncoder, CsvTable, ZipStream, spooled_file


def write_csv(ctx: ExportContext, bundles: Iterable[DocumentBundle]) -> Iterator[bytes]:
    """Spreadsheet-safe zip of CSV tables (BOM, formula prefix on text cells)."""
    return _write_tables(ctx, bundles, neutralise=True)


def write_csv_raw(ctx: ExportContext, bundles: Iterable[DocumentBundle]) -> Iterator[bytes]:
    """Exact-text zip of CSV tables (no BOM, no prefix) for R and pandas."""
    return _write_tables(ctx, bundles, neutralise=False)


class ClaimLines:
    """``claims.csv`` and ``stances.csv`` lines, built as strings for speed.

    Produces exactly what ``CellEncoder.row(Flattener.claim_row(...))`` produces (a test
    holds the two together) at about a third of the cost: recurring cells (codes, user
    names, speakers) are encoded once per export and the row is one f-string.
    """

    def __init__(self, flat: Flattener, cells: CellEncoder) -> None:
        self._cells = cells
        self._targets = flat.codebook.target_codes
        self._no_stances = "," * (len(self._targets) - 1)
        self._speakers: dict[int, str] = {}
        self._no_speaker = "," * 7

    def _speaker(self, speaker: SpeakerOut | None) -> str:
        if speaker is None:
            return self._no_speaker
        encoded = self._speakers.get(speaker.id)
        if encoded is None:
            encoded = self._speakers[speaker.id] = self._joined([
                speaker.id, speaker.name, speaker.type, speaker.role, speaker.affiliation, speaker.side,
                speaker.country, speaker.wikidata,
            ])
        return encoded

    def _verification(self, verification: dict[str, Any] | None) -> str:
        if not verification:
            return ",,,,"
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

    def claim(self, claim: ClaimOut, locate: ParagraphLocator) -> str:
        text = self._cells.text
        code = self._cells.repeated
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
        if source is None:
            source_cells = ",,"
        else:
            source_cells = f"{source.start},{source.end},{text(source.text)}"
        cue = claim.cue
        if cue is None:
            cue_cells = ",,"
        else:
            cue_cells = f"{cue.start},{cue.end},{text(cue.text)}"
        stances = claim.stances
        if stances:
            stance_cells = ",".join([code[stances.get(target)] for target in self._targets])
        else:
            stance_cells = self._no_stances
        verifiable = claim.verifiable
        note = claim.note
        return (
            f"{claim.id},{claim.document_id},{'' if paragraph is None else paragraph},{code[claim.annotator]},"
            f"{code[claim.layer]},{claim.codebook_version},{claim.version},{first.start},{end},{segments},"
            f"{len(content)},{content_text},{code[claim.attribution]},{source_cells},"
            f"{code[claim.source_specificity]},{cue_cells},{code[claim.cue_valence]},{self._speaker(claim.speaker)},"
            f"{code[claim.speaker_resolution]},{code[claim.claim_type]},{code[claim.claim_type_ff]},"
            f"{'' if verifiable is None else 1 if verifiable else 0},{code[claim.check_worthiness]},"
            f"{code[claim.authorial_stance]},{stance_cells},{self._verification(claim.verification)},"
            f"{claim.n_bias_spans_overlapping},{'' if note is None else text(note)},{text(claim.created_at)},"
            f"{text(claim.updated_at)}\r\n"
        )

    def stances(self, claim: ClaimOut) -> list[str]:
        code = self._cells.repeated
        head = f"{claim.id},{claim.document_id},{code[claim.annotator]},{code[claim.layer]},"
        return [f"{head}{code[target]},{code[value]}\r\n" for target, value in claim.stances.items()]


def _write_tables(ctx: ExportContext, bundles: Iterable[DocumentBundle], *, neutralise: bool) -> Iterator[bytes]:
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
                lines = ClaimLines(flat, claims.cells)
                claim_line = lines.claim
                stance_lines = lines.stances
                for bundle in bundles:
                    locate = ParagraphLocator(bundle.document.paragraphs)
                    claims.write_lines([claim_line(claim, locate) for claim in bundle.claims])
                    stances.write_lines(
                        [line for claim in bundle.claims if claim.stances for line in stance_lines(claim)]
                    )
                    if bundle.markers:
                        bias.writerows(flat.bias_rows(bundle, locate))
                    articles.writerows(flat.article_rows(bundle))
                    if archive.pending >= STREAM_CHUNK_BYTES:
                        yield archive.take()
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
