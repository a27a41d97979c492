"""CSV exports: a zip of long-format tables for R, pandas, SPSS and spreadsheets.

``csv`` is the spreadsheet-safe download (UTF-8 with BOM so Excel reads "Çavuşoğlu";
formula-looking text cells prefixed with ``'``); ``csv-raw`` holds the exact text without
BOM for R and pandas. Both hold the same six tables (``research/domain.md`` §3.3):
claims, stances (claim × target), bias_spans, articles, speakers and codebook.

``claims.csv`` streams straight into the archive, so the first bytes leave within
milliseconds; the side tables are spooled and appended after it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from typing import IO

from app.export.common import STREAM_CHUNK_BYTES, ParagraphLocator, zip_date_time
from app.export.flat import (
    BIAS_COLUMNS,
    CODEBOOK_HEADER,
    Column,
    SPEAKER_COLUMNS,
    STANCE_COLUMNS,
    Flattener,
    text_column_indexes,
)
from app.export.model import DocumentBundle, ExportContext
from app.export.streams import CsvTable, ZipStream, spooled_file


def write_csv(ctx: ExportContext, bundles: Iterable[DocumentBundle]) -> Iterator[bytes]:
    """Spreadsheet-safe zip of CSV tables (BOM, formula prefix on text cells)."""
    return _write_tables(ctx, bundles, neutralise=True)


def write_csv_raw(ctx: ExportContext, bundles: Iterable[DocumentBundle]) -> Iterator[bytes]:
    """Exact-text zip of CSV tables (no BOM, no prefix) for R and pandas."""
    return _write_tables(ctx, bundles, neutralise=False)


def _write_tables(ctx: ExportContext, bundles: Iterable[DocumentBundle], *, neutralise: bool) -> Iterator[bytes]:
    flat = Flattener(ctx)
    archive = ZipStream(zip_date_time(ctx))
    bom = neutralise

    def table(destination: IO[bytes], columns: Sequence[Column]) -> CsvTable:
        return CsvTable(
            destination,
            [c.name for c in columns],
            bom=bom,
            neutralise=neutralise,
            text_columns=text_column_indexes(columns),
        )

    spools = {name: spooled_file() for name in ("stances.csv", "bias_spans.csv", "articles.csv")}
    try:
        with archive.open_member("claims.csv") as claims_member:
            claims = table(claims_member, flat.claim_columns)
            stances = table(spools["stances.csv"], STANCE_COLUMNS)
            bias = table(spools["bias_spans.csv"], BIAS_COLUMNS)
            articles = table(spools["articles.csv"], flat.article_columns)
            for bundle in bundles:
                locate = ParagraphLocator(bundle.document.paragraphs)
                claims.writerows(flat.claim_rows(bundle, locate))
                stances.writerows(flat.stance_rows(bundle))
                bias.writerows(flat.bias_rows(bundle, locate))
                articles.writerows(flat.article_rows(bundle))
                if archive.pending >= STREAM_CHUNK_BYTES:
                    yield archive.take()
            claims.flush()
            stances.flush()
            bias.flush()
            articles.flush()
        yield archive.take()
        for name, spool in spools.items():
            yield from archive.add_file(name, spool)
        for name, columns, rows in (
            ("speakers.csv", SPEAKER_COLUMNS, list(flat.speaker_rows())),
            ("codebook.csv", None, list(flat.codebook_rows(neutralised=neutralise))),
        ):
            buffer = io.BytesIO()
            if columns is None:
                small = CsvTable(buffer, CODEBOOK_HEADER, bom=bom, neutralise=neutralise, text_columns=(0, 1, 2, 3, 4))
            else:
                small = table(buffer, columns)
            small.writerows(rows)
            small.flush()
            archive.add_bytes(name, buffer.getvalue())
        yield archive.close()
    finally:
        for spool in spools.values():
            spool.close()
