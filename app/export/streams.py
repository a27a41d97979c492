"""Streaming building blocks: text chunks, a zip archive written to a pipe, spooled tables, CSV cells.

An export of a million claims must start flowing within a second and never sit in memory
whole. ``zipfile`` can write to a non-seekable stream (it then uses data descriptors), so
``ZipStream`` hands it a sink whose bytes the writer drains and yields between rows. Only
one zip member can be open at a time, so tables that grow alongside the main one go to
``SpooledTemporaryFile``s (memory up to a few MB, then disk) and are copied in at the end.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import queue
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any, Protocol

# Cells a spreadsheet would evaluate as a formula (CWE-1236; OWASP ASVS 1.2.10).
FORMULA_TRIGGERS = frozenset("=+-@\t\r")
# Memory a spooled side table may use before it moves to disk.
SPOOL_MEMORY_BYTES = 8 * 1024 * 1024
# Text buffered by a CSV table before it is encoded and passed on.
CSV_BUFFER_CHARS = 1024 * 1024
COPY_BLOCK_BYTES = 1024 * 1024
# The fewest bytes a streaming writer hands on at once: small enough for a quick first byte,
# large enough that the web server is not called for every row.
STREAM_CHUNK_BYTES = 256 * 1024
# Writes waiting for the deflate thread (each about a CSV buffer, ~1 MB): bounds what it holds up.
QUEUED_WRITES = 8


def text_chunks(
    pieces: Iterable[str], *, opening: str = "", closing: str | Callable[[], str] = ""
) -> Iterator[bytes]:
    """UTF-8 chunks of about ``STREAM_CHUNK_BYTES`` from text pieces, pulled lazily.

    ``closing`` may be a function, called once the pieces are exhausted, for envelopes whose
    end depends on what went by (a total count).
    """
    pending = [opening]
    size = len(opening)
    for piece in pieces:
        pending.append(piece)
        size += len(piece)
        if size >= STREAM_CHUNK_BYTES:
            yield "".join(pending).encode("utf-8")
            pending.clear()
            size = 0
    pending.append(closing() if callable(closing) else closing)
    tail = "".join(pending)
    if tail:
        yield tail.encode("utf-8")


def json_array(items: Iterable[str]) -> Iterator[bytes]:
    """A JSON array streamed from already-encoded items, one item per line."""
    pieces = (("," if n else "") + item + "\n" for n, item in enumerate(items))
    return text_chunks(pieces, opening="[\n", closing="]\n")


class BinaryWriter(Protocol):
    """Anything bytes can be written to: a file, a spooled file, an open zip member."""

    def write(self, data: bytes, /) -> int: ...


def spooled_file(max_memory: int = SPOOL_MEMORY_BYTES) -> tempfile.SpooledTemporaryFile[bytes]:
    """A binary temporary file that stays in memory up to ``max_memory`` bytes, then moves to disk."""
    return tempfile.SpooledTemporaryFile(max_size=max_memory, mode="w+b")


class _DrainableSink:
    """Write-only, non-seekable file object that keeps what was written until drained.

    Having no ``seek``/``tell`` makes ``zipfile`` switch to its streaming mode (data
    descriptors after each member) instead of seeking back to patch local headers. The
    deflate thread writes, the generator thread drains, hence the lock.
    """

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._lock = threading.Lock()
        self.pending = 0

    def write(self, data: bytes) -> int:
        with self._lock:
            self._parts.append(bytes(data))
            self.pending += len(data)
        return len(data)

    def flush(self) -> None:
        """Nothing to do: the bytes wait in memory until ``take`` hands them on."""

    def take(self) -> bytes:
        with self._lock:
            data = b"".join(self._parts)
            self._parts.clear()
            self.pending = 0
        return data


class _MemberWriter:
    """What the writer holds while a member is open: ``write`` queues bytes for deflating."""

    def __init__(
        self, submit: Callable[[Callable[[], object]], None], write: Callable[[bytes], object]
    ) -> None:
        self._submit = submit
        self._write = write

    def write(self, data: bytes) -> int:
        self._submit(functools.partial(self._write, data))
        return len(data)


class ZipStream:
    """A zip archive produced piece by piece; call ``take`` to get the bytes so far.

    Deflating and CRC-32 run on a worker thread: ``zlib`` releases the GIL while it works,
    so on two cores the rows of the next documents are built while the previous ones are
    compressed (about a fifth of a CSV export's time otherwise). Every ``zipfile`` call
    happens on that one thread, in the order submitted; a bounded queue keeps memory flat.
    Use as a context manager so the thread always ends, even when the download is abandoned.
    """

    def __init__(self, date_time: tuple[int, int, int, int, int, int], compresslevel: int = 1) -> None:
        # Level 1 deflate: CSV text still shrinks 4-6x, at several times the speed of level 6.
        self._sink = _DrainableSink()
        self._zip = zipfile.ZipFile(
            self._sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
        )
        self._date_time = date_time
        self._compresslevel = compresslevel
        self._member: IO[bytes] | None = None
        self._jobs: queue.Queue[Callable[[], object] | None] = queue.Queue(maxsize=QUEUED_WRITES)
        self._error: BaseException | None = None
        self._worker = threading.Thread(target=self._work, name="export-deflate", daemon=True)
        self._worker.start()

    def __enter__(self) -> ZipStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            if self._error is None:  # after a failure keep draining, so the producer never blocks
                try:
                    job()
                except BaseException as exc:  # noqa: BLE001 - re-raised in the producer thread by _check
                    self._error = exc

    def _check(self) -> None:
        if self._error is not None:
            raise RuntimeError(f"writing the zip archive failed: {self._error}") from self._error

    def _submit(self, job: Callable[[], object]) -> None:
        self._check()
        self._jobs.put(job)

    def _stop(self) -> None:
        if self._worker.is_alive():
            self._jobs.put(None)
            self._worker.join()

    @property
    def pending(self) -> int:
        return self._sink.pending

    def take(self) -> bytes:
        self._check()
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

    def _open(self, info: zipfile.ZipInfo, force_zip64: bool) -> None:
        self._member = self._zip.open(info, "w", force_zip64=force_zip64)

    def _write(self, data: bytes) -> None:
        assert self._member is not None
        self._member.write(data)

    def _close_member(self) -> None:
        assert self._member is not None
        self._member.close()
        self._member = None

    @contextlib.contextmanager
    def open_member(self, name: str, size: int | None = None) -> Iterator[_MemberWriter]:
        """An open member; without ``size`` it is written as ZIP64 in case it grows huge."""
        info = self._info(name, size)
        self._submit(functools.partial(self._open, info, size is None))
        yield _MemberWriter(self._submit, self._write)
        self._submit(self._close_member)

    def add_bytes(self, name: str, data: bytes) -> None:
        with self.open_member(name, len(data)) as member:
            member.write(data)

    def add_file(self, name: str, source: IO[bytes]) -> Iterator[bytes]:
        """Copy a spooled file in as one member, yielding archive bytes as they accumulate."""
        source.seek(0, io.SEEK_END)
        size = source.tell()
        source.seek(0)
        with self.open_member(name, size) as member:
            while block := source.read(COPY_BLOCK_BYTES):
                member.write(block)
                if self._sink.pending >= COPY_BLOCK_BYTES:
                    yield self.take()

    def close(self) -> bytes:
        """Write the central directory; returns the last bytes of the archive."""
        self._submit(self._zip.close)
        self._stop()
        return self.take()


class _MemoisedCells(dict[str | None, str]):
    """Encoded form of recurring cell values; a plain subscript is the cheapest look-up there is."""

    def __init__(self, encode: Callable[[str | None], str]) -> None:
        super().__init__()
        self._encode = encode

    def __missing__(self, value: str | None) -> str:
        encoded = self[value] = self._encode(value)
        return encoded


class CellEncoder:
    """Encodes single CSV cells by hand: the hot rows are built as strings, not via ``csv.writer``.

    ``csv.writer`` costs about 0.1 µs per cell; a 49-column claim row built with an f-string
    from pre-encoded cells is several times faster. Quoting follows RFC 4180 exactly as
    ``csv.writer`` does with ``QUOTE_MINIMAL`` (quote when the cell holds ``,`` ``"`` CR or LF;
    double inner quotes), so both paths give byte-identical rows.
    """

    def __init__(self, *, neutralise: bool) -> None:
        self.neutralise = neutralise
        # ``text`` is called several times per row: a closure per variant keeps its body minimal.
        self.text: Callable[[str | None], str] = _safe_cell if neutralise else _raw_cell
        # Subscript with a recurring value (codes, user names): ``cells.repeated[value]``.
        self.repeated = _MemoisedCells(self.text)

    def neutralised(self, value: str) -> str:
        """The cell content a spreadsheet shows as text (unchanged in the raw variant)."""
        if self.neutralise and value and value[0] in FORMULA_TRIGGERS:
            return "'" + value
        return value


def _raw_cell(value: str | None) -> str:
    """One CSV cell, quoted when it holds a comma, a quote or a line break."""
    if value is None:
        return ""
    if '"' in value:
        return '"' + value.replace('"', '""') + '"'
    if "," in value or "\n" in value or "\r" in value:
        return '"' + value + '"'
    return value


def _safe_cell(value: str | None, triggers: frozenset[str] = FORMULA_TRIGGERS) -> str:
    """Like ``_raw_cell``, with a ``'`` before text a spreadsheet would run as a formula."""
    if value is None:
        return ""
    if value[:1] in triggers:
        value = "'" + value
    if '"' in value:
        return '"' + value.replace('"', '""') + '"'
    if "," in value or "\n" in value or "\r" in value:
        return '"' + value + '"'
    return value

class _Pieces(list[str]):
    """Where ``csv.writer`` writes: a list of strings (``write`` appends), joined once per flush."""

    def write(self, text: str) -> None:
        self.append(text)



class CsvTable:
    """A CSV table collected as text pieces and passed on, UTF-8 encoded, into a binary destination.

    Rows arrive either as typed cell lists, written by ``csv.writer`` (C speed, RFC 4180
    quoting), or as lines already encoded by the table's ``CellEncoder``. The pieces are
    joined, encoded and handed on every ~1M characters (a list of strings, not a ``StringIO``:
    that would copy non-ASCII text into a 4-byte-a-character buffer and back).
    ``text_columns`` are the columns whose strings get the formula prefix in the
    spreadsheet-safe variant; numeric columns hold ints and are never touched, so ``-2``
    stays a number.
    """

    def __init__(
        self,
        destination: BinaryWriter,
        header: Sequence[str],
        *,
        bom: bool,
        neutralise: bool,
        text_columns: Sequence[int] = (),
    ) -> None:
        self._destination = destination
        self._pieces = _Pieces()
        self._size = 0
        self._writer = csv.writer(self._pieces, lineterminator="\r\n")
        self._text_columns = tuple(text_columns) if neutralise else ()
        self.cells = CellEncoder(neutralise=neutralise)
        if bom:
            self._pieces.append("\ufeff")
        self._writer.writerow([self.cells.neutralised(name) for name in header])

    def writerows(self, rows: Iterable[list[Any]]) -> None:
        if self._text_columns:
            rows = self._neutralised(rows)
        pieces = self._pieces
        before = len(pieces)
        self._writer.writerows(rows)
        self._size += sum(map(len, pieces[before:]))
        if self._size >= CSV_BUFFER_CHARS:
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

    def write_lines(self, lines: list[str]) -> None:
        text = "".join(lines)
        self._pieces.append(text)
        self._size += len(text)
        if self._size >= CSV_BUFFER_CHARS:
            self.flush()

    def flush(self) -> None:
        pieces = self._pieces
        if pieces:
            text = "".join(pieces)
            pieces.clear()
            self._size = 0
            if text:
                self._destination.write(text.encode("utf-8"))
