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
