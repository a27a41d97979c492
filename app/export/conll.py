"""CoNLL/BIO export: token-level tags for sequence-labelling tools (``research/domain.md`` §3.5).

Columns, tab-separated: ``TOKEN START END CLAIM_TAG BIAS_TAG CLAIMTYPE_TAG``; offsets are
code points into the canonical text, so the file maps back to standoff.

- ``CLAIM_TAG``: ``B-SOURCE``/``I-SOURCE``, ``B-CUE``/``I-CUE``,
  ``B-CONTENT-<attribution>``/``I-CONTENT-<attribution>`` (each content segment starts with B);
- ``BIAS_TAG``: ``B-<bias_type>``/``I-<bias_type>``;
- ``CLAIMTYPE_TAG``: the claim type over the content tokens.

A token belongs to a span when they overlap. BIO holds one label per token and column, so
overlapping claims (and markers) cannot all be kept: the outermost (longest, then first)
is kept and the others are counted in a trailing ``# dropped_…`` comment of the layer.

Output: one section per layer (the annotator's user name, or ``gold``), each starting with
``# annotator = NAME`` and holding every document (``# doc_id = ID``); sentences are split
with a simple rule (after ``. ! ? …`` plus closing quotes, and at line breaks) and separated
by blank lines. Sections are spooled to temporary files while the documents stream past and
concatenated at the end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from tempfile import SpooledTemporaryFile

from app.export.common import item_layer
from app.export.model import ClaimOut, DocumentBundle, ExportContext, MarkerOut, SpanOut
from app.export.streams import COPY_BLOCK_BYTES, spooled_file

COLUMNS = ("TOKEN", "START", "END", "CLAIM_TAG", "BIAS_TAG", "CLAIMTYPE_TAG")
OUTSIDE = "O"
SECTION_MEMORY_BYTES = 1024 * 1024
# Combining marks and variation selectors belong to the preceding character; zero-width
# (non-)joiners sit inside words (Persian) and inside emoji sequences (👨‍👩‍👧).
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u05bf-\u05c7\u0610-\u061a\u064b-\u065f\u0670"
    "\u06d6-\u06ed\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe00-\ufe0f\ufe20-\ufe2f"
)
_TOKEN = re.compile(
    "[\U0001F1E6-\U0001F1FF]{2}"  # a flag: two regional indicators
    f"|(?:\\w|[{_MARKS}\u200c\u200d])+"  # a word with its marks (Armenian, Arabic, q̇ …)
    f"|[^\\w\\s](?:[{_MARKS}\U0001F3FB-\U0001F3FF]|\u200d[^\\w\\s])*"  # a symbol, or an emoji sequence
)
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)|\n+")


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    start: int
    end: int


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence ranges: cut after final punctuation followed by white space, and at line breaks."""
    ranges: list[tuple[int, int]] = []
    start = 0
    cuts = [
        (m.start() if m.group().startswith("\n") else m.end(), m.end()) for m in _SENTENCE_END.finditer(text)
    ]
    for end, next_start in [*cuts, (len(text), len(text))]:
        chunk = text[start:end]
        if chunk.strip():
            ranges.append((start + len(chunk) - len(chunk.lstrip()), start + len(chunk.rstrip())))
        start = next_start
    return ranges


def tokenize(text: str, start: int, end: int) -> list[Token]:
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text, start, end)]


def _covered(tokens: Sequence[Token], span: SpanOut) -> list[int]:
    return [i for i, token in enumerate(tokens) if token.start < span.end and span.start < token.end]


def _claim_extent(claim: ClaimOut) -> tuple[int, int]:
    spans = [*claim.content, *(s for s in (claim.source, claim.cue) if s is not None)]
    return min(s.start for s in spans), max(s.end for s in spans)


@dataclass
class LayerTags:
    """Tags of one layer over one document's tokens, and how many items did not fit."""

    claim: list[str]
    bias: list[str]
    claim_type: list[str]
    dropped_claims: int = 0
    dropped_markers: int = 0


def tag_layer(tokens: Sequence[Token], claims: list[ClaimOut], markers: list[MarkerOut]) -> LayerTags:
    """BIO tags for one layer; overlapping items: the outermost (then the first) wins."""
    tags = LayerTags([OUTSIDE] * len(tokens), [OUTSIDE] * len(tokens), [OUTSIDE] * len(tokens))

    def outermost_first(extent: tuple[int, int], item_id: int) -> tuple[int, int, int]:
        return (-(extent[1] - extent[0]), extent[0], item_id)

    # Who holds each token: several claims may share one source or cue span, which is no clash.
    holders: dict[int, tuple[str, int, int]] = {}
    for claim in sorted(claims, key=lambda c: outermost_first(_claim_extent(c), c.id)):
        parts = [(f"CONTENT-{claim.attribution}", segment) for segment in claim.content]
        parts += [(label, span) for label, span in (("SOURCE", claim.source), ("CUE", claim.cue)) if span]
        covered = [(label, (label, span.start, span.end), _covered(tokens, span)) for label, span in parts]
        claimed = [i for _label, _key, idx in covered for i in idx]
        clash = len(set(claimed)) != len(claimed) or any(
            i in holders and (holders[i] != key or label.startswith("CONTENT"))
            for label, key, idx in covered
            for i in idx
        )
        if not claimed or clash:
            tags.dropped_claims += 1
            continue
        for label, key, idx in covered:
            for n, i in enumerate(idx):
                tags.claim[i] = f"{'B' if n == 0 else 'I'}-{label}"
                holders[i] = key
            if claim.claim_type and label.startswith("CONTENT"):
                for n, i in enumerate(idx):
                    tags.claim_type[i] = f"{'B' if n == 0 else 'I'}-{claim.claim_type}"
    for marker in sorted(markers, key=lambda m: outermost_first((m.span.start, m.span.end), m.id)):
        idx = _covered(tokens, marker.span)
        if not idx or any(tags.bias[i] != OUTSIDE for i in idx):
            tags.dropped_markers += 1
            continue
        for n, i in enumerate(idx):
            tags.bias[i] = f"{'B' if n == 0 else 'I'}-{marker.bias_type}"
    return tags


def document_block(
    bundle: DocumentBundle, claims: list[ClaimOut], markers: list[MarkerOut]
) -> tuple[str, LayerTags]:
    """One document of one layer: the ``# doc_id`` comment and its sentences."""
    text = bundle.document.text
    sentence_tokens = [tokenize(text, start, end) for start, end in sentences(text)]
    flat = [token for tokens in sentence_tokens for token in tokens]
    tags = tag_layer(flat, claims, markers)
    lines = [f"# doc_id = {bundle.document.id}", f"# title = {' '.join(bundle.document.title.split())}"]
    position = 0
    for tokens in sentence_tokens:
        for token in tokens:
            lines.append(
                f"{token.text}\t{token.start}\t{token.end}\t{tags.claim[position]}\t{tags.bias[position]}\t"
                f"{tags.claim_type[position]}"
            )
            position += 1
        lines.append("")
    return "\n".join(lines) + "\n", tags


@dataclass
class _Section:
    """One layer's part of the output, spooled until the last document has gone by."""

    spool: SpooledTemporaryFile[bytes]
    dropped_claims: int = 0
    dropped_markers: int = 0


def write_conll(ctx: ExportContext, bundles: Iterable[DocumentBundle]) -> Iterator[bytes]:
    """Per-layer sections, each spooled while the documents stream by, then concatenated."""
    header = f"# columns = {' '.join(COLUMNS)}\n"
    sections: dict[str, _Section] = {}
    try:
        for bundle in bundles:
            layers: dict[str, tuple[list[ClaimOut], list[MarkerOut]]] = {}
            for claim in bundle.claims:
                layers.setdefault(item_layer(claim), ([], []))[0].append(claim)
            for marker in bundle.markers:
                layers.setdefault(item_layer(marker), ([], []))[1].append(marker)
            for layer, (claims, markers) in layers.items():
                section = sections.get(layer)
                if section is None:
                    # Many layers may be open at once: keep each one's memory share small.
                    section = sections[layer] = _Section(spooled_file(max_memory=SECTION_MEMORY_BYTES))
                    section.spool.write(f"# annotator = {layer}\n{header}\n".encode())
                block, tags = document_block(bundle, claims, markers)
                section.spool.write(block.encode("utf-8"))
                section.dropped_claims += tags.dropped_claims
                section.dropped_markers += tags.dropped_markers
        if not sections:
            yield f"{header}# no annotations matched the export\n".encode()
        for section in sections.values():
            section.spool.seek(0)
            while block := section.spool.read(COPY_BLOCK_BYTES):
                yield block
            yield (
                f"# dropped_overlapping_claims = {section.dropped_claims}\n"
                f"# dropped_overlapping_bias_markers = {section.dropped_markers}\n\n"
            ).encode()
    finally:
        for section in sections.values():
            section.spool.close()
