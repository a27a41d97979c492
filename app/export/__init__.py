"""Export formats: pure writers from ``DocumentBundle``s to streamed bytes, and their registry.

Every writer is ``write_<fmt>(ctx, bundles) -> Iterator[bytes]``: it pulls one bundle (one
document with its claims, markers and labels) at a time and never holds more, so exports of
any size stream with flat memory (SPSS/Stata, which need the whole table for ``pyreadstat``,
keep only the claims' cells). No Flask, no SQLAlchemy: ``app.services.exports`` feeds them.
Field lists: ``research/domain.md`` §3; readers for the round trip: ``app.export.readers``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from app.export.brat import write_brat
from app.export.claimreview import write_claimreview
from app.export.conll import write_conll
from app.export.doccano import write_doccano
from app.export.jsonl import write_jsonl
from app.export.labelstudio import labelstudio_config, write_labelstudio
from app.export.model import DocumentBundle, ExportContext
from app.export.statistical import write_spss, write_stata
from app.export.tabular import write_csv, write_csv_raw
from app.export.webanno import MEDIA_TYPE as WEBANNO_MEDIA_TYPE
from app.export.webanno import write_webanno

Writer = Callable[[ExportContext, Iterable[DocumentBundle]], Iterator[bytes]]


@dataclass(frozen=True)
class ExportFormat:
    name: str
    writer: Writer
    media_type: str
    extension: str  # without the leading dot; may be compound ("csv.zip")
    description: str
    # The writer reads ``RowBundle``s (claims as database rows) as well as ``DocumentBundle``s.
    reads_rows: bool = False


WRITERS: dict[str, ExportFormat] = {
    fmt.name: fmt
    for fmt in (
        ExportFormat(
            "csv", write_csv, "application/zip", "csv.zip",
            "CSV tables, spreadsheet-safe (zip: claims, stances, bias spans, articles, speakers, codebook)",
            reads_rows=True,
        ),
        ExportFormat(
            "csv-raw", write_csv_raw, "application/zip", "raw-csv.zip",
            "CSV tables with the exact text, for R and pandas (zip)", reads_rows=True,
        ),
        ExportFormat(
            "jsonl", write_jsonl, "application/x-ndjson", "jsonl",
            "JSON Lines, one document per line, lossless", reads_rows=True,
        ),
        ExportFormat(
            "webanno", write_webanno, WEBANNO_MEDIA_TYPE, "jsonld",
            "W3C Web Annotation collection (JSON-LD)",
        ),
        ExportFormat(
            "claimreview", write_claimreview, "application/ld+json", "claimreview.jsonld",
            "schema.org ClaimReview of verified claims (JSON-LD)",
        ),
        ExportFormat(
            "brat", write_brat, "application/zip", "brat.zip",
            "brat standoff, one file pair per document and annotator (zip)",
        ),
        ExportFormat(
            "conll", write_conll, "text/plain; charset=utf-8", "conll",
            "CoNLL BIO tags per token, one section per annotator",
        ),
        ExportFormat(
            "labelstudio", write_labelstudio, "application/json", "labelstudio.json",
            "Label Studio tasks (JSON; labelling config offered separately)",
        ),
        ExportFormat(
            "doccano", write_doccano, "application/x-ndjson", "doccano.jsonl",
            "doccano JSONL with entities and relations, one line per document and annotator",
        ),
        ExportFormat(
            "spss", write_spss, "application/x-spss-sav", "sav",
            "SPSS .sav of the claims, with value labels",
        ),
        ExportFormat(
            "stata", write_stata, "application/x-stata-dta", "dta",
            "Stata .dta of the claims, with value labels",
        ),
    )
}

__all__ = ["WRITERS", "ExportFormat", "Writer", "labelstudio_config"]
