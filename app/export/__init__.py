"""Export format registry (the writers register here)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from app.export.model import DocumentBundle, ExportContext


@dataclass(frozen=True)
class ExportFormat:
    name: str
    writer: Callable[[ExportContext, Iterable[DocumentBundle]], Iterator[bytes]]
    media_type: str
    extension: str
    description: str


WRITERS: dict[str, ExportFormat] = {}
from app.export.tabular import write_csv, write_csv_raw  # noqa: E402
from app.export.jsonl import write_jsonl  # noqa: E402
WRITERS["csv"] = ExportFormat("csv", write_csv, "application/zip", "csv.zip", "CSV")
WRITERS["jsonl"] = ExportFormat("jsonl", write_jsonl, "application/x-ndjson", "jsonl", "JSONL")
