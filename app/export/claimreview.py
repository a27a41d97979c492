"""schema.org ClaimReview export: a JSON array of fact-check records (``research/domain.md`` §3.2).

Only claims whose verification has a status other than ``unverified`` are reviews. Google's
required properties are always present: ``claimReviewed`` (at most 75 characters, cut with
an ellipsis; the whole text stays in ``itemReviewed.text``), ``reviewRating.alternateName``
(the verdict text, or the status label when no verdict was written) and ``url`` (the first
evidence URL, else the claim's place in the document). ``ratingValue`` maps the truth scale
onto 1–5 (false … true); ``unverifiable`` and ``disputed_by_parties`` are no point on that
scale, so their rating carries only the verdict text and name.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from app.export.common import (
    CodebookLookup,
    content_text,
    document_iri,
    project_iri,
    wikidata_iri,
)
from app.export.model import ClaimOut, DocumentBundle, DocumentOut, ExportContext
from app.export.streams import json_array

CLAIM_REVIEWED_MAX = 75
RATING_VALUES = {"false": 1, "mostly_false": 2, "mixed": 3, "mostly_true": 4, "true": 5}
UNREVIEWED = "unverified"
_PERSON_TYPES = {"person", "anonymous"}
_dumps = json.JSONEncoder(ensure_ascii=False, indent=None, separators=(",", ":")).encode


def shorten(text: str, limit: int = CLAIM_REVIEWED_MAX) -> str:
    """``text`` on one line, cut at a word boundary with ``…`` to at most ``limit`` characters."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "…"


def is_reviewed(claim: ClaimOut) -> bool:
    status = (claim.verification or {}).get("status")
    return bool(status) and status != UNREVIEWED


def _date(value: str | None) -> str | None:
    return value[:10] if value else None


def _claim_author(claim: ClaimOut, document: DocumentOut) -> dict[str, Any] | None:
    speaker = claim.speaker
    if speaker is not None:
        author: dict[str, Any] = {
            "@type": "Person" if (speaker.type or "person") in _PERSON_TYPES else "Organization",
            "name": speaker.name,
        }
        if speaker.role:
            author["jobTitle"] = speaker.role
        same_as = wikidata_iri(speaker.wikidata)
        if same_as:
            author["sameAs"] = same_as
        return author
    if claim.attribution == "authorial" and document.source:
        return {"@type": "Organization", "name": document.source}
    return None


def claim_review(
    ctx: ExportContext, codebook: CodebookLookup, document: DocumentOut, claim: ClaimOut
) -> dict[str, Any]:
    verification = claim.verification or {}
    status = str(verification["status"])
    status_label = codebook.label("verification_status", status) or status
    rating: dict[str, Any] = {
        "@type": "Rating",
        "alternateName": verification.get("rating_text") or status_label,
        "name": status_label,
    }
    if status in RATING_VALUES:
        rating.update(ratingValue=RATING_VALUES[status], bestRating=5, worstRating=1)
    full_text = content_text(claim)
    claim_url = f"{document_iri(ctx, document.id)}#c{claim.id}"
    evidence_urls = [e["url"] for e in verification.get("evidence") or () if e.get("url")]
    item: dict[str, Any] = {"@type": "Claim", "text": full_text}
    author = _claim_author(claim, document)
    if author:
        item["author"] = author
    if document.published:
        item["datePublished"] = _date(document.published)
    article_url = document.url or document_iri(ctx, document.id)
    appearance: dict[str, Any] = {"@type": "CreativeWork", "url": article_url}
    if document.title:
        appearance["headline"] = document.title
    item["appearance"] = [appearance]
    item["firstAppearance"] = appearance
    review: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": evidence_urls[0] if evidence_urls else claim_url,
        "claimReviewed": shorten(full_text),
        "reviewRating": rating,
        "itemReviewed": item,
        "author": {"@type": "Organization", "name": ctx.project_name, "url": project_iri(ctx)},
        "identifier": claim_url,
    }
    published = _date(verification.get("checked_at")) or _date(claim.updated_at)
    if published:
        review["datePublished"] = published
    if len(evidence_urls) > 1:
        review["citation"] = evidence_urls[1:]
    return review


def write_claimreview(ctx: ExportContext, bundles: Iterable[DocumentBundle]) -> Iterator[bytes]:
    """A JSON array, streamed one review at a time."""
    codebook = CodebookLookup(ctx.codebook)
    return json_array(
        _dumps(claim_review(ctx, codebook, bundle.document, claim))
        for bundle in bundles
        for claim in bundle.claims
        if is_reviewed(claim)
    )
