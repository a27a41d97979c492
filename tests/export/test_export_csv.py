"""CSV exports: pandas reads back the exact values (raw) or the formula-prefixed ones (safe)."""

from __future__ import annotations

import csv
import io
import threading
import zipfile
from typing import Any

import pandas as pd
import pytest
from bundles import FORMULAS, bundles, context

from app.export.common import paragraph_locator
from app.export.flat import BIAS_COLUMNS, SPEAKER_COLUMNS, STANCE_COLUMNS, Flattener
from app.export.model import row_bundle
from app.export.streams import CellEncoder, CsvTable
from app.export.tabular import CsvLines, write_csv, write_csv_raw

TABLES = ["claims.csv", "stances.csv", "bias_spans.csv", "articles.csv", "speakers.csv", "codebook.csv"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def archive(writer: Any) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(writer(context(), bundles()))))


def read(zf: zipfile.ZipFile, name: str, *, bom: bool) -> pd.DataFrame:
    raw = zf.read(name)
    assert raw.startswith(b"\xef\xbb\xbf") is bom
    return pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype=str, keep_default_na=False)


def as_cells(row: list[Any], *, safe: bool) -> list[str]:
    cells = []
    for value in row:
        if value is None:
            cells.append("")
        elif isinstance(value, str):
            cells.append("'" + value if safe and value[:1] in TRIGGERS else value)
        else:
            cells.append(str(value))
    return cells


def expected(table: str, *, safe: bool) -> list[list[str]]:
    flat = Flattener(context())
    rows: list[list[Any]] = []
    for bundle in bundles():
        locate = paragraph_locator(bundle.document.paragraphs)
        if table == "claims.csv":
            rows += flat.claim_rows(bundle, locate)
        elif table == "stances.csv":
            rows += flat.stance_rows(bundle)
        elif table == "bias_spans.csv":
            rows += flat.bias_rows(bundle, locate)
        else:
            rows += flat.article_rows(bundle)
    return [as_cells(row, safe=safe) for row in rows]


def test_archive_holds_the_six_tables() -> None:
    assert archive(write_csv).namelist() == TABLES
    assert archive(write_csv_raw).namelist() == TABLES
    assert archive(write_csv).testzip() is None


@pytest.mark.parametrize("table", ["claims.csv", "stances.csv", "bias_spans.csv", "articles.csv"])
def test_raw_tables_read_back_identical(table: str) -> None:
    frame = read(archive(write_csv_raw), table, bom=False)
    assert frame.values.tolist() == expected(table, safe=False)


@pytest.mark.parametrize("table", ["claims.csv", "stances.csv", "bias_spans.csv", "articles.csv"])
def test_safe_tables_read_back_prefixed(table: str) -> None:
    frame = read(archive(write_csv), table, bom=True)
    assert frame.values.tolist() == expected(table, safe=True)


def test_every_formula_string_is_neutralised_in_safe_and_exact_in_raw() -> None:
    safe = read(archive(write_csv), "claims.csv", bom=True)
    raw = read(archive(write_csv_raw), "claims.csv", bom=False)
    safe_cells = set(safe.values.ravel())
    raw_cells = set(raw.values.ravel())
    for formula in [*FORMULAS, "=1+2", "-Foreign Minister", "=cmd|' /C calc'!A0"]:
        assert formula in raw_cells, formula
        assert formula not in safe_cells and "'" + formula in safe_cells, formula
    assert not any(cell[:1] in TRIGGERS for cell in safe_cells)


def test_numeric_columns_stay_numbers_in_the_safe_variant() -> None:
    frame = pd.read_csv(io.BytesIO(archive(write_csv).read("claims.csv")), encoding="utf-8-sig")
    for column in ("claim_id", "doc_id", "start", "end", "codebook_version", "n_bias_spans_overlapping"):
        assert pd.api.types.is_integer_dtype(frame[column]), column
    buffer = io.BytesIO()
    table = CsvTable(buffer, ["n", "label"], bom=False, neutralise=True, text_columns=[1])
    table.writerows([[-2, "-2"], [-3, "+3"]])
    table.flush()
    assert buffer.getvalue().decode() == "n,label\r\n-2,'-2\r\n-3,'+3\r\n"


def test_multi_segment_claims_keep_first_start_last_end_and_segments() -> None:
    frame = read(archive(write_csv_raw), "claims.csv", bom=False).set_index("claim_id")
    row = frame.loc["103"]
    assert (row["start"], row["end"], row["segments"], row["n_segments"]) == ("131", "222", "131-171;187-222", "2")
    assert row["content_text"] == "We will not give up an inch of our land, … and the occupiers will pay a price."
    assert frame.loc["108", "content_text"] == "shelled villages in Tovuz 😀.\n\n“We will not give up"
    assert frame.loc["106", "content_text"] == "the family 👨‍👩‍👧‍👦 fled"


def test_stance_columns_are_wide_and_the_long_table_complete() -> None:
    zf = archive(write_csv_raw)
    claims = read(zf, "claims.csv", bom=False).set_index("claim_id")
    assert claims.loc["101", ["stance_T1", "stance_T2", "stance_T3"]].tolist() == ["favor", "against", ""]
    stances = read(zf, "stances.csv", bom=False)
    assert stances.columns.tolist() == [c.name for c in STANCE_COLUMNS]
    assert len(stances) == sum(len(c.stances) for b in bundles() for c in b.claims)


def test_side_tables_and_codebook() -> None:
    zf = archive(write_csv_raw)
    speakers = read(zf, "speakers.csv", bom=False)
    assert speakers.columns.tolist() == [c.name for c in SPEAKER_COLUMNS]
    assert speakers["aliases"].tolist()[1] == "Նիկոլ Փաշինյան|Pashinian"
    assert read(zf, "bias_spans.csv", bom=False).columns.tolist() == [c.name for c in BIAS_COLUMNS]
    articles = read(zf, "articles.csv", bom=False)
    assert articles["doc_id"].tolist() == ["11", "11", "12", "13"]  # one row per set of labels
    codebook = read(zf, "codebook.csv", bom=False)
    attribution = codebook[codebook["variable"] == "attribution_type"]
    assert attribution["code"].tolist() == ["direct", "indirect", "mixed", "authorial"]
    assert set(codebook["variable"]) >= {"stance_T1", "speaker_side", "claim_type_ff", "layer", "_export"}
    safe_note = read(archive(write_csv), "codebook.csv", bom=True)
    assert "prefixed with a single quote" in " ".join(safe_note["definition"])


def csv_module_line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()


def test_fast_lines_equal_the_csv_module_on_the_shared_flattening() -> None:
    flat = Flattener(context())
    for neutralise in (True, False):
        lines = CsvLines(flat, CellEncoder(neutralise=neutralise))
        for bundle in bundles():
            locate = paragraph_locator(bundle.document.paragraphs)
            expected = [csv_module_line(as_cells(flat.claim_row(claim, locate), safe=neutralise))
                        for claim in bundle.claims]
            expected_stances = [csv_module_line(as_cells(row, safe=neutralise)) for row in flat.stance_rows(bundle)]
            claim_lines, stance_blocks = lines.claims_and_stances(row_bundle(bundle), locate)
            assert claim_lines == expected
            assert "".join(stance_blocks) == "".join(expected_stances)
            expected_markers = [csv_module_line(as_cells(row, safe=neutralise)) for row in flat.bias_rows(bundle, locate)]
            assert [lines.marker(m, locate) for m in bundle.markers] == expected_markers


def test_abandoned_download_stops_the_deflate_thread() -> None:
    chunks = write_csv(context(), iter(bundles() * 50))
    next(chunks)
    chunks.close()
    assert not [t for t in threading.enumerate() if t.name == "export-deflate"]
