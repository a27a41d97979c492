"""The registry, and streaming: writers hand out bytes long before the last document is read."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from bundles import context, first_bundle, second_bundle

from app.export import WRITERS, ExportFormat
from app.export.model import DocumentBundle

STREAMING = ["csv", "csv-raw", "jsonl", "webanno", "claimreview", "brat", "labelstudio", "doccano"]
WHOLE_FILE = ["conll", "spss", "stata"]  # spooled per layer / need the whole table; still read lazily


class PulledSource:
    """Bundles made on demand (fresh ids each), counting how far the writer has pulled."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.pulled = 0

    def __iter__(self) -> Iterator[DocumentBundle]:
        template = first_bundle()
        for n in range(self.total):
            self.pulled += 1
            document = dataclasses.replace(template.document, id=1000 + n)
            claims = [dataclasses.replace(c, id=c.id + 1000 * n, document_id=document.id) for c in template.claims]
            markers = [dataclasses.replace(m, id=m.id + 1000 * n, document_id=document.id) for m in template.markers]
            yield DocumentBundle(document, claims, markers, template.labels)
            if n % 7 == 0:  # now and then a document nobody annotated
                empty = second_bundle()
                yield dataclasses.replace(empty, document=dataclasses.replace(empty.document, id=100_000 + n))


def test_registry_lists_every_format() -> None:
    assert list(WRITERS) == [
        "csv", "csv-raw", "jsonl", "webanno", "claimreview", "brat", "conll", "labelstudio", "doccano", "spss", "stata",
    ]
    for name, fmt in WRITERS.items():
        assert isinstance(fmt, ExportFormat) and fmt.name == name
        assert "/" in fmt.media_type and not fmt.extension.startswith(".") and fmt.description
    with pytest.raises(dataclasses.FrozenInstanceError):
        WRITERS["csv"].name = "x"  # type: ignore[misc]


@pytest.mark.parametrize("fmt", STREAMING)
def test_first_bytes_come_before_the_last_bundle_is_read(fmt: str) -> None:
    source = PulledSource(3000)
    chunks = WRITERS[fmt].writer(context(), source)
    assert source.pulled == 0  # nothing happens until the first chunk is asked for
    first = next(chunks)
    assert first
    assert source.pulled < source.total, f"{fmt} read everything before its first chunk"
    chunks.close()


@pytest.mark.parametrize("fmt", WHOLE_FILE)
def test_whole_file_formats_still_pull_lazily(fmt: str) -> None:
    source = PulledSource(20)
    chunks = WRITERS[fmt].writer(context(), source)
    assert source.pulled == 0
    assert b"".join(chunks)
    assert source.pulled == source.total


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_an_empty_export_is_still_a_valid_file(fmt: str) -> None:
    data = b"".join(WRITERS[fmt].writer(context(), []))
    if fmt in ("jsonl", "doccano"):
        assert data == b""
    else:
        assert data
