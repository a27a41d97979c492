"""Turning uploaded or named files into documents to import (web upload and ``flask import``)."""

from __future__ import annotations

import io
import json
import re
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
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# The first byte that is not ASCII white space (what bytes.strip() removes).
_NOT_BLANK = re.compile(rb"[^ \t\n\r\x0b\x0c]")


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
    """Records of a JSON file: an array, ``{"documents": [...]}``, or one object."""
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


def _utf8_lines(body: bytes) -> Iterator[str]:
    """The lines of UTF-8 ``body``, decoded one at a time (a large file is never held twice as text).

    Lines end at LF, CRLF or CR (the line ends JSON allows between values); a character that
    ``str.splitlines`` would also cut at (U+2028 in a JSON string, say) stays inside its line.
    """
    offset = 0
    for raw in io.BytesIO(body):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TextError(f"the file is not valid UTF-8 (byte {offset + exc.start}); save it as UTF-8 "
                            "and try again") from exc
        offset += len(raw)
        line = line.rstrip("\r\n") if line.endswith("\n") else line.rstrip("\r")
        if "\r" in line:
            yield from line.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        else:
            yield line


def _json_lines(lines: Iterator[str], filename: str) -> Iterator[tuple[str, Any]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield f"{filename}:{number}: ", json.loads(line)
        except RecursionError as exc:
            raise DomainError(f"{filename} line {number}: the JSON is nested too deeply", "file") from exc
        except ValueError as exc:
            raise DomainError(f"{filename} line {number}: not valid JSON ({exc})", "file") from exc


def _records(data: bytes, filename: str) -> Iterator[tuple[str, Any]]:
    """The records of a JSON or JSONL file.

    A file that starts with ``[``, or with ``{`` and has no line starting with ``{``, is one JSON
    value; anything else is JSON Lines, decoded and parsed line by line.
    """
    if data.startswith(UTF16_BOMS):
        text = decode_upload(data)
        stripped = text.lstrip()
        if stripped.startswith("[") or (stripped.startswith("{") and "\n{" not in stripped.strip()):
            yield from _json_records(text, filename)
        else:
            yield from _json_lines(iter(text.splitlines()), filename)
        return
    body = data[len(UTF8_BOM):] if data.startswith(UTF8_BOM) else data
    first = _NOT_BLANK.search(body)
    if first is None:
        raise TextError("the file is empty")
    start = body[first.start():first.start() + 1]
    if start == b"[" or (start == b"{" and body.find(b"\n{", first.start()) < 0):
        yield from _json_records(decode_upload(data), filename)
        return
    yield from _json_lines(_utf8_lines(body), filename)


def parse_file(filename: str, data: bytes, fmt: str = "auto",
               defaults: dict[str, Any] | None = None) -> list[DocumentInput]:
    """The documents in one file; any bad document makes the whole file a clear error."""
    name = PurePath(filename).name or "upload"
    kind = detect_format(name, fmt)
    defaults = {k: v for k, v in (defaults or {}).items() if v}
    if kind in ("txt", "html"):
        try:
            text = decode_upload(data)
        except TextError as exc:
            raise DomainError(f"{name}: {exc}", "file") from exc
        payload = {"title": PurePath(name).stem, **defaults, ("text" if kind == "txt" else "html"): text}
        try:
            return [parse_document_payload(payload)]
        except DomainError as exc:
            raise DomainError(f"{name}: {exc.message}", "file") from exc
    documents = []
    try:
        for where, record in _records(data, name):
            if isinstance(record, dict) and defaults:
                record = {**defaults, **record}
            try:
                documents.append(parse_document_payload(record, where))
            except DomainError as exc:
                raise DomainError(f"{exc.field or where}: {exc.message}", "file") from exc
    except TextError as exc:
        raise DomainError(f"{name}: {exc}", "file") from exc
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
        if data.startswith(UTF16_BOMS):
            lines: Iterator[str] = iter(decode_upload(data).splitlines())
        else:
            lines = _utf8_lines(data[len(UTF8_BOM):] if data.startswith(UTF8_BOM) else data)
        record = json.loads(next((line for line in lines if line.strip()), ""))
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
