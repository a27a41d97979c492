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
from json import loads
from typing import Any

from app.export.common import SEGMENT_JOINER, EncodedTimestamps, ParagraphLocator, paragraph_locator, zip_date_time
from app.export.flat import (
    BIAS_COLUMNS,
    CODEBOOK_COLUMNS,
    SPEAKER_COLUMNS,
    STANCE_COLUMNS,
    Column,
    Flattener,
    text_column_indexes,
)
from app.export.model import (
    ClaimCodes,
    DocumentBundle,
    ExportContext,
    MarkerOut,
    RowBundle,
    SpeakerOut,
    row_bundle,
)
from app.export.streams import (
    STREAM_CHUNK_BYTES,
    BinaryWriter,
    CellEncoder,
    CsvTable,
    ZipStream,
    spooled_file,
)


def write_csv(ctx: ExportContext, bundles: Iterable[DocumentBundle | RowBundle]) -> Iterator[bytes]:
    """Spreadsheet-safe zip of CSV tables (BOM, formula prefix on text cells)."""
    return _write_tables(ctx, bundles, neutralise=True)


def write_csv_raw(ctx: ExportContext, bundles: Iterable[DocumentBundle | RowBundle]) -> Iterator[bytes]:
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
        self._by_key: dict[object, tuple[str, str, str, str, list[str] | None]] = {}
        self._stamps = EncodedTimestamps(cells.text)

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

    def _codes(self, codes: ClaimCodes) -> tuple[str, str, str, str, list[str] | None]:
        """The cells of the recurring fields, in four runs of claims.csv, and the stances.csv line tails.

        Runs: annotator … version; attribution; source_specificity; cue_valence … the stances.
        The tails start with an empty string, so ``"<id>,<doc>".join(tails)`` gives the lines;
        None when the claims have no stances.
        """
        code = self._cells.repeated
        speaker = codes.speaker
        speaker_cells = self._speakers.get(None if speaker is None else speaker.id)
        if speaker_cells is None:
            speaker_cells = self._speaker(speaker)  # type: ignore[arg-type]  # None is always cached
        stances = codes.stances
        if stances:
            stance_cells = ",".join([code[stances.get(target)] for target in self._targets])
        else:
            stance_cells = self._no_stances
        verifiable = codes.verifiable
        annotator_layer = f"{code[codes.annotator]},{code[codes.layer]}"
        return (
            f"{annotator_layer},{codes.codebook_version},{codes.version}",
            code[codes.attribution],
            code[codes.source_specificity],
            f"{code[codes.cue_valence]},{speaker_cells},{code[codes.speaker_resolution]},{code[codes.claim_type]},"
            f"{code[codes.claim_type_ff]},{'' if verifiable is None else 1 if verifiable else 0},"
            f"{code[codes.check_worthiness]},{code[codes.authorial_stance]},{stance_cells}",
            ["", *[f",{annotator_layer},{code[target]},{code[value]}\r\n" for target, value in stances.items()]]
            if stances else None,
        )

    def _keyed(self, key: object, codes: ClaimCodes) -> tuple[str, str, str, str, list[str] | None]:
        """``_codes``, kept for the claims with the same key."""
        if len(self._by_key) >= KEYED_CODES_LIMIT:
            self._by_key.clear()
        cells = self._by_key[key] = self._codes(codes)
        return cells

    def claims_and_stances(self, bundle: RowBundle, locate: ParagraphLocator) -> tuple[list[str], list[str]]:
        """The ``claims.csv`` lines of a document's claims and their ``stances.csv`` lines (one block
        per claim with stances, a line per target), in one pass (hot path: a million must take seconds)."""
        text = self._cells.text
        by_key = self._by_key
        codes = bundle.codes
        stamps = self._stamps
        if stamps.source is not bundle.timestamps:
            stamps.use(bundle.timestamps)
        more = bundle.more_segments
        overlaps = bundle.overlaps
        lines = []
        stance_blocks = []
        for (claim_id, document_id, key, source_start, source_end, cue_start, cue_end, created, updated, start, end,
             paragraph, source_text, cue_text, verification, note, segment_text) in bundle.claims:
            cells = by_key.get(key)
            if cells is None:
                cells = self._keyed(key, codes[key])
            head, attribution, specificity, middle, tails = cells
            ids = f"{claim_id},{document_id}"
            if tails is not None:
                stance_blocks.append(ids.join(tails))
            if more and claim_id in more:
                rest = more[claim_id]
                segments = f"{start}-{end};" + ";".join([f"{s[0]}-{s[1]}" for s in rest])
                content_text = text(SEGMENT_JOINER.join([segment_text, *[s[2] for s in rest]]))
                count = 1 + len(rest)
                last_end = rest[-1][1]
            elif start is not None:
                segments = f"{start}-{end}"
                content_text = text(segment_text)
                count = 1
                last_end = end
            else:  # no content: nothing to place
                segments = content_text = ""
                count = 0
                start = last_end = ""
            if paragraph is None and start != "":
                paragraph = locate(start)
            source_cells = (",," if source_start is None
                            else f"{source_start},{source_end or 0},{text(source_text or '')}")
            cue_cells = ",," if cue_start is None else f"{cue_start},{cue_end or 0},{text(cue_text or '')}"
            if verification is not None and isinstance(verification, str):
                verification = loads(verification)
            verification_cells = self._verification(verification) if verification else ",,,,"
            lines.append(
                f"{ids},{'' if paragraph is None else paragraph},{head},"
                f"{start},{last_end},{segments},{count},{content_text},{attribution},{source_cells},"
                f"{specificity},{cue_cells},{middle},{verification_cells},"
                f"{overlaps.get(claim_id, 0) if overlaps else 0},{'' if note is None else text(note)},"
                f"{stamps[created]},{stamps[updated]}\r\n"
            )
        return lines, stance_blocks

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
    ctx: ExportContext, bundles: Iterable[DocumentBundle | RowBundle], *, neutralise: bool
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
                claim_and_stance_lines = lines.claims_and_stances
                marker_line = lines.marker
                # The first bytes (the zip's local header) leave as soon as they exist: a quick
                # first byte. Then chunks of STREAM_CHUNK_BYTES.
                chunk_bytes = 1
                for bundle in map(row_bundle, bundles):
                    locate = paragraph_locator(bundle.document.paragraphs)
                    claim_lines, stance_lines = claim_and_stance_lines(bundle, locate)
                    claims.write_lines(claim_lines)
                    stances.write_lines(stance_lines)
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
