"""SPSS (.sav) and Stata (.dta) exports of the claims table, with variable and value labels.

The same flattening as ``claims.csv`` (``app.export.flat``), so column names and meanings
agree. Codebook columns become numbered categories (1, 2, … in codebook order) whose value
labels are the codebook labels, which spares scholars re-entering them by hand (the most
common complaint about CSV exports); ``verifiable`` and other flags are 0/1 with labels
No/Yes; a missing value is system-missing (numbers) or an empty string (text). Codes found
in the data but no longer in the codebook get the next numbers, labelled with the code.
SPSS pads strings with blanks, so trailing spaces of a text do not survive a .sav (Stata's do).

``pyreadstat`` writes only whole files from a ``pandas`` DataFrame, so these two formats
gather the claims table in memory (as compact ``array``s of doubles and lists of strings),
write a temporary file and stream it back in 1 MB blocks. ``pandas``/``pyreadstat`` are
imported only here, so the web workers load them only when someone asks for these formats.
"""

from __future__ import annotations

import math
import os
import tempfile
from array import array
from collections.abc import Iterable, Iterator
from typing import Any

from app.export.common import paragraph_locator
from app.export.flat import Column, Flattener
from app.export.model import DocumentBundle, ExportContext
from app.export.streams import COPY_BLOCK_BYTES

STATA_LABEL_MAX = 80  # characters, for variable and file labels
SPSS_FILE_LABEL_BYTES = 64
FLAG_LABELS = {0.0: "No", 1.0: "Yes"}
_MISSING = math.nan


class _ColumnStore:
    """One column's values: doubles (numbers, flags, category numbers) or strings."""

    def __init__(self, column: Column, codes: list[str]) -> None:
        self.column = column
        self.numbers: array[float] | None = None if column.kind == "text" else array("d")
        self.strings: list[str] | None = [] if column.kind == "text" else None
        self.category: dict[str, int] = {code: n for n, code in enumerate(codes, start=1)}

    def append(self, value: Any) -> None:
        if self.strings is not None:
            self.strings.append("" if value is None else str(value))
            return
        assert self.numbers is not None
        if value is None:
            self.numbers.append(_MISSING)
        elif self.column.kind == "code":
            number = self.category.get(value)
            if number is None:
                number = self.category[value] = len(self.category) + 1
            self.numbers.append(number)
        else:
            self.numbers.append(value)

    def values(self) -> Any:
        return self.strings if self.strings is not None else self.numbers


def _value_labels(flat: Flattener, store: _ColumnStore) -> dict[float, str] | None:
    column = store.column
    if column.kind == "flag":
        return dict(FLAG_LABELS)
    if column.kind != "code" or column.field is None:
        return None
    return {float(number): flat.value_label(column.field, code) for code, number in store.category.items()}


def _fit_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, never inside a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def _collect(ctx: ExportContext, bundles: Iterable[DocumentBundle]) -> tuple[Flattener, list[_ColumnStore]]:
    flat = Flattener(ctx)
    stores = [
        _ColumnStore(column, flat.value_codes(column.field) if column.kind == "code" and column.field else [])
        for column in flat.claim_columns
    ]
    appenders = [store.append for store in stores]
    for bundle in bundles:
        locate = paragraph_locator(bundle.document.paragraphs)
        for claim in bundle.claims:
            for append, value in zip(appenders, flat.claim_row(claim, locate), strict=True):
                append(value)
    return flat, stores


def _write_file(ctx: ExportContext, bundles: Iterable[DocumentBundle], kind: str) -> Iterator[bytes]:
    import numpy as np
    import pandas as pd
    import pyreadstat

    flat, stores = _collect(ctx, bundles)
    frame = pd.DataFrame({
        store.column.name: (
            np.frombuffer(store.numbers, dtype=np.float64) if store.numbers is not None
            else pd.Series(store.strings, dtype=object)
        )
        for store in stores
    })
    value_labels = {s.column.name: labels for s in stores if (labels := _value_labels(flat, s))}
    limit = STATA_LABEL_MAX if kind == "dta" else None
    column_labels = [store.column.label[:limit] for store in stores]
    file_label = f"Claims, codebook v{flat.codebook.version}: {ctx.project_name}"
    if kind == "sav":
        file_label = _fit_bytes(file_label, SPSS_FILE_LABEL_BYTES)
    else:
        file_label = file_label[:STATA_LABEL_MAX]
    handle, path = tempfile.mkstemp(suffix=f".{kind}")
    os.close(handle)
    try:
        if kind == "sav":
            pyreadstat.write_sav(frame, path, file_label=file_label, column_labels=column_labels,
                                 variable_value_labels=value_labels, compress=False)
        else:
            pyreadstat.write_dta(frame, path, file_label=file_label, column_labels=column_labels,
                                 variable_value_labels=value_labels)
        del frame, stores
        with open(path, "rb") as written:
            while block := written.read(COPY_BLOCK_BYTES):
                yield block
    finally:
        os.unlink(path)


def write_spss(ctx: ExportContext, bundles: Iterable[DocumentBundle]) -> Iterator[bytes]:
    """SPSS .sav of the claims, with variable and value labels."""
    return _write_file(ctx, bundles, "sav")


def write_stata(ctx: ExportContext, bundles: Iterable[DocumentBundle]) -> Iterator[bytes]:
    """Stata .dta (version 15) of the claims, with variable and value labels."""
    return _write_file(ctx, bundles, "dta")
