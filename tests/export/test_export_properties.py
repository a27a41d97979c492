"""Property tests: any canonical text and any spans survive export → read (security.md §4 D #51)."""

from __future__ import annotations

import io
import json
import zipfile

import pandas as pd
from bundles import claim, context, document, expected_layers, imported_layers, marker
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.export import WRITERS
from app.export.model import DocumentBundle, SpanOut
from app.export.readers import read_brat, read_doccano, read_jsonl, read_labelstudio

PIECES = st.sampled_from(
    [*"abcXYZ019 ,;.\"'“”‘’«»=+-@\t\n", "😀", "👨\u200d👩\u200d👧", "🇦🇲", "Ա", "ր", "أ", "ذ", "q\u0307", "e\u0301", "\u00a0", "\u2028"]
)


def texts(min_size: int = 0, max_size: int = 20) -> st.SearchStrategy[str]:
    return st.lists(PIECES, min_size=min_size, max_size=max_size).map("".join)


@st.composite
def annotated_bundle(draw: st.DrawFn) -> DocumentBundle:
    paragraphs = draw(st.lists(texts(1, 40).filter(str.strip), min_size=1, max_size=3))
    doc = document(7, paragraphs, title=draw(texts()))
    text = doc.text

    def span() -> tuple[int, int] | None:
        # Spans start and end on something visible: brat cannot carry a leading or trailing line break.
        candidates = [i for i, ch in enumerate(text) if not ch.isspace()]
        if not candidates:
            return None
        start = draw(st.sampled_from(candidates))
        ends = [i + 1 for i in candidates if i >= start]
        return start, draw(st.sampled_from(ends))

    def make(bounds: tuple[int, int]) -> SpanOut:
        return SpanOut(bounds[0], bounds[1], text[bounds[0] : bounds[1]])

    claims = []
    for n in range(draw(st.integers(0, 3))):
        content = span()
        if content is None:
            continue
        source = span() if draw(st.booleans()) else None
        claims.append(claim(
            100 + n, doc, [make(content)],
            annotator=draw(st.sampled_from(["ann", "bob"])),
            layer=draw(st.sampled_from(["annotator", "gold"])),
            attribution=draw(st.sampled_from(["direct", "indirect", "mixed"])),
            source=make(source) if source else None,
            claim_type=draw(st.sampled_from([None, "event", "quantity"])),
            note=draw(st.none() | texts(0, 15)) or None,
            stances={"T1": "favor"} if draw(st.booleans()) else {},
        ))
    markers = []
    for n in range(draw(st.integers(0, 2))):
        bounds = span()
        if bounds:
            markers.append(marker(200 + n, doc, make(bounds), "loaded_language", annotator="ann",
                                  polarity=draw(st.sampled_from([None, "negative"]))))
    return DocumentBundle(doc, claims, markers, [])


def export(fmt: str, bundle: DocumentBundle) -> bytes:
    return b"".join(WRITERS[fmt].writer(context(), [bundle]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(annotated_bundle())
def test_span_formats_round_trip(bundle: DocumentBundle) -> None:
    expected = expected_layers([bundle])
    for fmt, read in (
        ("jsonl", lambda data: read_jsonl(data.splitlines())),
        ("labelstudio", lambda data: read_labelstudio(json.loads(data))),
        ("doccano", lambda data: read_doccano(data.splitlines())),
        ("brat", read_brat),
    ):
        documents = list(read(export(fmt, bundle)))
        assert [d.text for d in documents] == [bundle.document.text], fmt
        assert imported_layers(documents) == expected, fmt


@settings(max_examples=60, deadline=None)
@given(annotated_bundle())
def test_raw_csv_keeps_every_text_exactly(bundle: DocumentBundle) -> None:
    archive = zipfile.ZipFile(io.BytesIO(export("csv-raw", bundle)))
    frame = pd.read_csv(io.BytesIO(archive.read("claims.csv")), dtype=str, keep_default_na=False)
    assert frame["content_text"].tolist() == [c.content[0].text for c in bundle.claims]
    assert frame["note"].tolist() == [c.note or "" for c in bundle.claims]
    articles = pd.read_csv(io.BytesIO(archive.read("articles.csv")), dtype=str, keep_default_na=False)
    assert articles["title"].tolist() == [bundle.document.title]
