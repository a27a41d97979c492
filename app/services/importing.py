"""Turning uploaded or named files into documents to import (web upload and ``flask import``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any

from app.domain.text import TextError, decode_upload
from app.errors import DomainError
from app.services.documents import DocumentInput, parse_document_payload

FORMATS = ("auto", "txt", "html", "jsonl", "labelstudio", "doccano", "brat")
# Formats that carry annotations (claims, markers, labels) as well as documents.
ANNOTATED_FORMATS = ("labelstudio", "doccano", "brat")
EXTENSIONS = {".txt": "txt", ".text": "txt", ".md": "txt", ".html": "html", ".htm": "html",
              ".json": "jsonl", ".jsonl": "jsonl", ".ndjson": "jsonl", ".zip": "brat"}


def detect_format(filename: str, fmt: str) -> str:
    if fmt not in FORMATS:
        raise DomainError(f"format must be one of: {', '.join(FORMATS)}", "format")
    if fmt != "auto":
        return fmt
    suffix = PurePath(filename).suffix.lower()
    if suffix not in EXTENSIONS:
        raise DomainError(f"{PurePath(filename).name}: cannot tell the format from the name; choose one", "format")
    return EXTENSIONS[suffix]


def _json_records(text: str, filename: str) -> Iterator[tuple[str, Any]]:
    stripped = text.lstrip()
    if stripped.startswith("[") or (stripped.startswith("{") and "\n{" not in stripped.strip()):
        try:
            data = json.loads(text)
        except RecursionError as exc:
            raise DomainError(f"{filename}: the JSON is nested too deeply", "file") from exc
        except ValueError as exc:
            raise DomainError(f"{filename}: not valid JSON ({exc})", "file") from exc
        if isinstance(data, dict) and isinstance(data.get("documents"), list):
            data = data["documents"]
        items = data if isinstance(data, list) else [data]
        for position, item in enumerate(items):
            yield f"{filename}[{position}].", item
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield f"{filename}:{number}: ", json.loads(line)
        except RecursionError as exc:
            raise DomainError(f"{filename} line {number}: the JSON is nested too deeply", "file") from exc
        except ValueError as exc:
            raise DomainError(f"{filename} line {number}: not valid JSON ({exc})", "file") from exc


def parse_file(filename: str, data: bytes, fmt: str = "auto",
               defaults: dict[str, Any] | None = None) -> list[DocumentInput]:
    """The documents in one file; any bad document makes the whole file a clear error."""
    name = PurePath(filename).name or "upload"
    kind = detect_format(name, fmt)
    try:
        text = decode_upload(data)
    except TextError as exc:
        raise DomainError(f"{name}: {exc}", "file") from exc
    defaults = {k: v for k, v in (defaults or {}).items() if v}
    if kind in ("txt", "html"):
        payload = {"title": PurePath(name).stem, **defaults, ("text" if kind == "txt" else "html"): text}
        try:
            return [parse_document_payload(payload)]
        except DomainError as exc:
            raise DomainError(f"{name}: {exc.message}", "file") from exc
    documents = []
    for where, record in _json_records(text, name):
        if isinstance(record, dict):
            record = {**defaults, **record}
        try:
            documents.append(parse_document_payload(record, where))
        except DomainError as exc:
            raise DomainError(f"{exc.field or where}: {exc.message}", "file") from exc
    if not documents:
        raise DomainError(f"{name}: no documents in the file", "file")
    return documents


def has_annotations(data: bytes, kind: str) -> bool:
    """Whether a JSONL file is an annotated export (its records carry claims or markers)."""
    if kind in ANNOTATED_FORMATS:
        return True
    if kind != "jsonl":
        return False
    try:
        first = next((line for line in decode_upload(data).splitlines() if line.strip()), "")
        record = json.loads(first)
    except (TextError, ValueError, RecursionError):
        return False
    return isinstance(record, dict) and any(key in record for key in ("claims", "bias_spans", "article_labels"))


def read_annotated(filename: str, data: bytes, fmt: str = "auto") -> list[Any]:
    """The documents (with annotations) of an annotated export file; ValueError → a 422 naming the place."""
    from app.export.readers import read_brat, read_doccano, read_jsonl, read_labelstudio

    name = PurePath(filename).name or "upload"
    kind = detect_format(name, fmt)
    try:
        if kind == "brat":
            return list(read_brat(data))
        if kind == "labelstudio":
            try:
                parsed = json.loads(decode_upload(data))
            except RecursionError as exc:
                raise ValueError("the JSON is nested too deeply") from exc
            return list(read_labelstudio(parsed))
        lines = data.splitlines()  # bytes: JSON keeps U+2028 inside strings, str.splitlines would cut there
        return list(read_doccano(lines) if kind == "doccano" else read_jsonl(lines))
    except (ValueError, TextError) as exc:
        raise DomainError(f"{name}: {exc}", "file") from exc
