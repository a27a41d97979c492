"""brat standoff export: a zip that opens directly in brat or INCEpTION (``research/domain.md`` §3.6).

Layout (the choice brat leaves open, made here): one ``.txt``/``.ann`` pair per document
and layer, named ``<doc_id>-<layer>.txt`` / ``<doc_id>-<layer>.ann``, where the layer is the
annotator's user name or ``gold`` (made file-safe, see ``common.file_safe``). brat pairs an
``.ann`` with the ``.txt`` of the same name, so every layer gets its own copy of the exact
canonical text, and annotators' work never merges. A document nobody annotated still gets
``<doc_id>.txt`` and an empty ``<doc_id>.ann``. ``annotation.conf`` and ``visual.conf`` sit
at the root; ``manifest.jsonl`` maps every file back to document id, title, annotator and
layer (brat itself ignores it; ``readers.read_brat`` uses it).

Inside an ``.ann``:

- ``T`` lines of types ``Content``, ``Source``, ``Cue`` and ``BiasMarker``. brat forbids
  line breaks in a span's text, so a span crossing a line or paragraph break is cut into
  fragments at the breaks (``start end;start end``); a discontinuous quote is fragments too.
  (So line breaks at a span's very start or end cannot be kept; the reader joins fragments
  that only a line break separates back into one segment.) The text after the tab is the
  fragments' text joined by single spaces, as brat expects.
  Identical ``Source``/``Cue`` spans of several claims are one ``T``.
- Relations ``AttributedTo Arg1:<Content> Arg2:<Source>`` and ``CuedBy Arg1:<Content>
  Arg2:<Cue>`` (brat relations are binary, so the three-way attribution is two relations).
- ``A`` lines on the Content: ``AttributionType``, ``ClaimType``, ``CheckWorthiness``,
  ``CueValence``, ``SourceSpecificity``, ``SpeakerResolution``, ``AuthorialStance``,
  ``VerificationStatus``, binary ``Verifiable``; on a BiasMarker: ``BiasType``,
  ``Polarity``, ``BiasTarget``, binary ``InQuote``.
- ``N`` lines normalise the claim to the speaker registry (``sourcemark:<id>``) and to
  Wikidata; ``#`` AnnotatorNotes carry stances (``stances: T2=against; T1=favor``) and the
  free note (``note: …``, with ``\\n``, ``\\t`` and ``\\\\`` escaped, as a note is one line).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from app.export.common import CodebookLookup, file_safe, item_layer, zip_date_time
from app.export.model import ClaimOut, DocumentBundle, ExportContext, MarkerOut, SpanOut
from app.export.streams import STREAM_CHUNK_BYTES, ZipStream, spooled_file

CONTENT, SOURCE, CUE, BIAS = "Content", "Source", "Cue", "BiasMarker"
CLAIM_ATTRIBUTES = {
    "AttributionType": ("attribution", "attribution"),
    "SourceSpecificity": ("source_specificity", "source_specificity"),
    "SpeakerResolution": ("speaker_resolution", "speaker_resolution"),
    "CueValence": ("cue_valence", "cue_valence"),
    "AuthorialStance": ("authorial_stance", "authorial_stance"),
    "ClaimType": ("claim_type", "claim_type"),
    "CheckWorthiness": ("check_worthiness", "check_worthiness"),
}
MARKER_ATTRIBUTES = {"BiasType": ("bias_type", "bias_type"), "Polarity": ("polarity", "polarity")}
SPEAKER_DB = "sourcemark"
_LINE_BREAK = re.compile(r"[\n\r\u2028\u2029]+")


def escape_note(text: str) -> str:
    """A note on one line: backslash, tab and line breaks written as ``\\\\ \\t \\n \\r``."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def unescape_note(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n", "r": "\r"}.get(m.group(1), m.group(1)), text)


def fragments(spans: Iterable[SpanOut]) -> list[tuple[int, int]]:
    """The spans cut at line breaks, dropping empty pieces: brat's fragment list."""
    pieces: list[tuple[int, int]] = []
    for span in spans:
        position = span.start
        for piece in _LINE_BREAK.split(span.text):
            if piece:
                offset = span.text.index(piece, position - span.start)
                pieces.append((span.start + offset, span.start + offset + len(piece)))
                position = span.start + offset + len(piece)
    return pieces


def textbound_text(text: str, pieces: list[tuple[int, int]]) -> str:
    return " ".join(text[start:end] for start, end in pieces)


def attribute_value(value: str) -> str:
    """brat attribute values cannot hold white space."""
    return re.sub(r"\s+", "_", value)


@dataclass
class AnnFile:
    """Lines of one ``.ann`` file, with brat's per-kind id counters."""

    text: str
    lines: list[str] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    textbounds: dict[tuple[str, tuple[tuple[int, int], ...]], str] = field(default_factory=dict)

    def next_id(self, kind: str) -> str:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return f"{kind}{self.counters[kind]}"

    def textbound(self, kind: str, spans: Iterable[SpanOut], *, shared: bool = False) -> str | None:
        pieces = fragments(spans)
        if not pieces:
            return None
        key = (kind, tuple(pieces))
        if shared and key in self.textbounds:
            return self.textbounds[key]
        tid = self.next_id("T")
        offsets = ";".join(f"{start} {end}" for start, end in pieces)
        self.lines.append(f"{tid}\t{kind} {offsets}\t{textbound_text(self.text, pieces)}")
        if shared:
            self.textbounds[key] = tid
        return tid

    def attribute(self, name: str, target: str, value: str | None = None) -> None:
        suffix = "" if value is None else f" {attribute_value(value)}"
        self.lines.append(f"{self.next_id('A')}\t{name} {target}{suffix}")

    def relation(self, name: str, arg1: str, arg2: str) -> None:
        self.lines.append(f"{self.next_id('R')}\t{name} Arg1:{arg1} Arg2:{arg2}")

    def note(self, target: str, text: str) -> None:
        self.lines.append(f"{self.next_id('#')}\tAnnotatorNotes {target}\t{escape_note(text)}")

    def normalisation(self, target: str, reference: str, name: str) -> None:
        self.lines.append(f"{self.next_id('N')}\tReference {target} {reference}\t{escape_note(name)}")

    def add_claim(self, claim: ClaimOut) -> None:
        content = self.textbound(CONTENT, claim.content)
        if content is None:
            return
        if claim.source is not None:
            source = self.textbound(SOURCE, [claim.source], shared=True)
            if source:
                self.relation("AttributedTo", content, source)
        if claim.cue is not None:
            cue = self.textbound(CUE, [claim.cue], shared=True)
            if cue:
                self.relation("CuedBy", content, cue)
        for name, (attr, _field) in CLAIM_ATTRIBUTES.items():
            value = getattr(claim, attr)
            if value is not None:
                self.attribute(name, content, value)
        status = (claim.verification or {}).get("status")
        if status:
            self.attribute("VerificationStatus", content, str(status))
        if claim.verifiable:
            self.attribute("Verifiable", content)
        if claim.speaker is not None:
            self.normalisation(content, f"{SPEAKER_DB}:{claim.speaker.id}", claim.speaker.name)
            if claim.speaker.wikidata:
                self.normalisation(content, f"Wikidata:{claim.speaker.wikidata}", claim.speaker.name)
        if claim.stances:
            self.note(content, "stances: " + "; ".join(f"{t}={v}" for t, v in claim.stances.items()))
        if claim.note:
            self.note(content, f"note: {claim.note}")

    def add_marker(self, marker: MarkerOut) -> None:
        tid = self.textbound(BIAS, [marker.span])
        if tid is None:
            return
        self.attribute("BiasType", tid, marker.bias_type)
        if marker.polarity:
            self.attribute("Polarity", tid, marker.polarity)
        if marker.target:
            self.attribute("BiasTarget", tid, marker.target)
        if marker.in_quote:
            self.attribute("InQuote", tid)
        if marker.note:
            self.note(tid, f"note: {marker.note}")

    def render(self) -> bytes:
        return ("\n".join(self.lines) + ("\n" if self.lines else "")).encode("utf-8")


def _values(codebook: CodebookLookup, field_name: str) -> str:
    return "|".join(attribute_value(code) for code in codebook.codes(field_name)) or "unknown"


def annotation_conf(ctx: ExportContext) -> str:
    """Entity, relation and attribute types, with the project's codebook values."""
    codebook = CodebookLookup(ctx.codebook)
    attributes = [
        f"{name}\tArg:{CONTENT}, Value:{_values(codebook, field_name)}"
        for name, (_attr, field_name) in CLAIM_ATTRIBUTES.items()
    ]
    attributes += [
        f"VerificationStatus\tArg:{CONTENT}, Value:{_values(codebook, 'verification_status')}",
        f"Verifiable\tArg:{CONTENT}",
        f"BiasType\tArg:{BIAS}, Value:{_values(codebook, 'bias_type')}",
        f"Polarity\tArg:{BIAS}, Value:{_values(codebook, 'polarity')}",
        f"BiasTarget\tArg:{BIAS}, Value:{'|'.join(codebook.target_codes) or 'none'}",
        f"InQuote\tArg:{BIAS}",
    ]
    return "\n".join([
        "# Sourcemark export: attribution relations (Source, Cue, Content) and bias markers.",
        "[entities]",
        CONTENT,
        SOURCE,
        CUE,
        BIAS,
        "",
        "[relations]",
        f"AttributedTo\tArg1:{CONTENT}, Arg2:{SOURCE}",
        f"CuedBy\tArg1:{CONTENT}, Arg2:{CUE}",
        "<OVERLAP>\tArg1:<ENTITY>, Arg2:<ENTITY>, <OVL-TYPE>:<ANY>",
        "",
        "[events]",
        "",
        "[attributes]",
        *attributes,
        "",
    ])


VISUAL_CONF = "\n".join([
    "[labels]",
    f"{CONTENT} | Content | Cont",
    f"{SOURCE} | Source | Src",
    f"{CUE} | Cue",
    f"{BIAS} | Bias marker | Bias",
    "AttributedTo | attributed to",
    "CuedBy | cued by",
    "",
    "[drawing]",
    f"{CONTENT}\tbgColor:#ffe08a",
    f"{SOURCE}\tbgColor:#8fd4ff",
    f"{CUE}\tbgColor:#b6f0a0",
    f"{BIAS}\tbgColor:#ff9f9f",
    "AttributedTo\tcolor:#1f5f99, dashArray:3-3",
    "CuedBy\tcolor:#3c8c2c",
    "SPAN_DEFAULT\tfgColor:black, bgColor:lightgray, borderColor:darken",
    "ARC_DEFAULT\tcolor:black, arrowHead:triangle-5",
    "ATTRIBUTE_DEFAULT\tglyph:*",
    "",
])


def layer_files(bundle: DocumentBundle) -> dict[str, AnnFile]:
    """One ``AnnFile`` per layer of the document, in order of first appearance."""
    files: dict[str, AnnFile] = {}
    text = bundle.document.text
    for claim in bundle.claims:
        files.setdefault(item_layer(claim), AnnFile(text)).add_claim(claim)
    for marker in bundle.markers:
        files.setdefault(item_layer(marker), AnnFile(text)).add_marker(marker)
    return files


def write_brat(ctx: ExportContext, bundles: Iterable[DocumentBundle]) -> Iterator[bytes]:
    """The zip, one document's files at a time; configuration and manifest at the end."""
    manifest = spooled_file()
    try:
        with ZipStream(zip_date_time(ctx)) as archive:
            for bundle in bundles:
                document = bundle.document
                text = document.text.encode("utf-8")
                layers = layer_files(bundle)
                owners = {item_layer(c): c for c in [*bundle.claims, *bundle.markers]}
                entries = []
                for layer, ann in layers.items() or {None: AnnFile(document.text)}.items():
                    stem = f"{document.id}" if layer is None else f"{document.id}-{file_safe(layer)}"
                    archive.add_bytes(f"{stem}.txt", text)
                    archive.add_bytes(f"{stem}.ann", ann.render())
                    owner = owners.get(layer) if layer is not None else None
                    entries.append({
                        "doc_id": document.id,
                        "title": document.title,
                        "txt": f"{stem}.txt",
                        "ann": f"{stem}.ann",
                        "layer": layer,
                        "annotator": owner.annotator if owner else None,
                        "gold": bool(owner and owner.layer == "gold"),
                    })
                lines = "".join(json.dumps(entry, ensure_ascii=False) + "\n" for entry in entries)
                manifest.write(lines.encode("utf-8"))
                if archive.pending >= STREAM_CHUNK_BYTES:
                    yield archive.take()
            archive.add_bytes("annotation.conf", annotation_conf(ctx).encode("utf-8"))
            archive.add_bytes("visual.conf", VISUAL_CONF.encode("utf-8"))
            yield from archive.add_file("manifest.jsonl", manifest)
            yield archive.close()
    finally:
        manifest.close()

