"""Streaming building blocks: a zip archive written to a pipe, spooled side tables, CSV buffers.

An export of a million claims must start flowing within a second and never sit in memory
whole. ``zipfile`` can write to a non-seekable stream (it then uses data descriptors), so
``ZipStream`` hands it a sink whose bytes the writer drains and yields between rows. Only
one zip member can be open at a time, so tables that grow alongside the main one go to
``SpooledTemporaryFile``s (memory up to a few MB, then disk) and are copied in at the end.
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

# Cells a spreadsheet would evaluate as a formula (CWE-1236; OWASP ASVS 1.2.10).
FORMULA_TRIGGERS = frozenset("=+-@\t\r")
# Memory a spooled side table may use before it moves to disk.
SPOOL_MEMORY_BYTES = 8 * 1024 * 1024
# Text buffered by a CSV table before it is encoded and passed on.
CSV_BUFFER_CHARS = 128 * 1024
COPY_BLOCK_BYTES = 1024 * 1024


def spooled_file() -> tempfile.SpooledTemporaryFile[bytes]:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES, mode="w+b")


class _DrainableSink:
    """Write-only, non-seekable file object that keeps what was written until drained.

    Having no ``seek``/``tell`` makes ``zipfile`` switch to its streaming mode (data
    descriptors after each member) instead of seeking back to patch local headers.
    """

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self.pending = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self.pending += len(data)
        return len(data)

    def flush(self) -> None:
        """Nothing to do: the bytes wait in memory until ``take`` hands them on."""

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self.pending = 0
        return data


class ZipStream:
    """A zip archive produced piece by piece; call ``take`` to get the bytes so far."""

    def __init__(self, date_time: tuple[int, int, int, int, int, int], compresslevel: int = 1) -> None:
        # Level 1 deflate: CSV text still shrinks 4-6x, at several times the speed of level 6,
        # which would otherwise be the slowest step of a million-claim export.
        self._sink = _DrainableSink()
        self._zip = zipfile.ZipFile(self._sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self._date_time = date_time
        self._compresslevel = compresslevel

    @property
    def pending(self) -> int:
        return self._sink.pending

    def take(self) -> bytes:
        return self._sink.take()

    def _info(self, name: str, size: int | None = None) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self._date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        # Public as ``compress_level`` from Python 3.13; earlier versions only read the private name.
        if hasattr(info, "compress_level"):
            info.compress_level = self._compresslevel
        else:
            info._compresslevel = self._compresslevel  # type: ignore[attr-defined]
        info.external_attr = 0o644 << 16
        if size is not None:
            info.file_size = size
        return info

    def open_member(self, name: str) -> IO[bytes]:
        """A member of unknown final size, written to as rows come (ZIP64 in case it is huge)."""
        return self._zip.open(self._info(name), "w", force_zip64=True)

    def add_bytes(self, name: str, data: bytes) -> None:
        with self._zip.open(self._info(name, len(data)), "w") as member:
            member.write(data)

    def add_file(self, name: str, source: IO[bytes]) -> Iterator[bytes]:
        """Copy a spooled file in as one member, yielding archive bytes as they accumulate."""
        source.seek(0, io.SEEK_END)
        size = source.tell()
        source.seek(0)
        with self._zip.open(self._info(name, size), "w") as member:
            while block := source.read(COPY_BLOCK_BYTES):
                member.write(block)
                if self._sink.pending >= COPY_BLOCK_BYTES:
                    yield self._sink.take()

    def close(self) -> bytes:
        """Write the central directory; returns the last bytes of the archive."""
        self._zip.close()
        return self._sink.take()


def neutralise_formula(value: str) -> str:
    """Prefix ``'`` so that a spreadsheet shows the cell as text instead of evaluating it."""
    return "'" + value if value and value[0] in FORMULA_TRIGGERS else value


class CsvTable:
    """A CSV table written through a reused text buffer into a binary destination.

    ``csv.writer`` on a ``StringIO`` that is encoded and emptied every ~128k characters is
    several times faster than writing row by row to an encoding wrapper. ``text_columns``
    lists the columns whose string cells get the formula prefix in the spreadsheet-safe
    variant; numeric columns hold ints and are never touched, so ``-2`` stays a number.
    """

    def __init__(
        self,
        destination: IO[bytes],
        header: Sequence[str],
        *,
        bom: bool,
        neutralise: bool,
        text_columns: Sequence[int] = (),
    ) -> None:
        self._destination = destination
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")
        self._text_columns = tuple(text_columns) if neutralise else ()
        self.rows = 0
        if bom:
            self._buffer.write("\ufeff")
        self._writer.writerow([neutralise_formula(h) for h in header] if neutralise else header)

    def writerows(self, rows: Iterable[list[Any]]) -> None:
        if self._text_columns:
            rows = self._neutralised(rows)
        before = self._buffer.tell()
        self._writer.writerows(rows)
        if self._buffer.tell() >= CSV_BUFFER_CHARS and self._buffer.tell() != before:
            self.flush()

    def _neutralised(self, rows: Iterable[list[Any]]) -> Iterator[list[Any]]:
        columns = self._text_columns
        triggers = FORMULA_TRIGGERS
        for row in rows:
            for index in columns:
                cell = row[index]
                if cell and cell[0] in triggers:
                    row[index] = "'" + cell
            yield row

    def flush(self) -> None:
        text = self._buffer.getvalue()
        if text:
            self._destination.write(text.encode("utf-8"))
            self._buffer.seek(0)
            self._buffer.truncate()
