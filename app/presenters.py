"""Model -> JSON shapes of the API (SPEC §5). Models know nothing of these."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from markupsafe import Markup, escape

from app.domain.codebook import CodebookView
from app.models import Claim, Document, Speaker


def iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def document_json(document: Document, paragraphs: Sequence[Any], **extra: Any) -> dict[str, Any]:
    text = document.text
    body = {
        "id": document.id, "title": document.title, "text": text, "text_hash": document.text_hash,
        "paragraphs": [{"index": p.index, "start": p.start, "end": p.end, "text": text[p.start:p.end]}
                       for p in paragraphs],
        "source": document.source, "url": document.url, "author": document.author,
        "published": document.published, "external_id": document.external_id, "meta": document.meta or {},
        "revision": document.revision, "previous": document.previous_id, "created_at": iso(document.created_at),
    }
    body.update(extra)
    return body


def document_summary(document: Document, **extra: Any) -> dict[str, Any]:
    body = {"id": document.id, "title": document.title, "text_hash": document.text_hash,
            "source": document.source, "url": document.url, "published": document.published,
            "external_id": document.external_id, "revision": document.revision}
    body.update(extra)
    return body


def speaker_json(speaker: Speaker) -> dict[str, Any]:
    return {"id": speaker.id, "name": speaker.name, "aliases": list(speaker.aliases or []), "type": speaker.type,
            "role": speaker.role, "affiliation": speaker.affiliation, "side": speaker.side,
            "country": speaker.country, "wikidata": speaker.wikidata, "notes": speaker.notes,
            "merged_into": speaker.merged_into_id, "version": speaker.version}


def _span(start: int | None, end: int | None, text: str | None) -> dict[str, Any] | None:
    return None if start is None else {"start": start, "end": end, "text": text}


def claim_json(claim: Claim, codebook: CodebookView) -> dict[str, Any]:
    return {
        "id": claim.id, "version": claim.version, "codebook_version": claim.codebook_version,
        "document": claim.document_id, "annotator": claim.annotator.username, "layer": claim.layer,
        "content": [{"start": s.start, "end": s.end, "text": s.text, "paragraph": s.paragraph}
                    for s in claim.segments],
        "source_span": _span(claim.source_start, claim.source_end, claim.source_text),
        "cue_span": _span(claim.cue_start, claim.cue_end, claim.cue_text),
        "speaker": None if claim.speaker is None else
        {"id": claim.speaker.id, "name": claim.speaker.name, "side": claim.speaker.side},
        "attribution": claim.attribution, "source_specificity": claim.source_specificity,
        "speaker_resolution": claim.speaker_resolution, "cue_valence": claim.cue_valence,
        "stances": [{"target": s.target, "value": s.value} for s in claim.stances],
        "authorial_stance": claim.authorial_stance, "claim_type": claim.claim_type,
        "claim_type_ff": codebook.claim_type_ff(claim.claim_type),
        "check_worthiness": claim.check_worthiness, "verification": claim.verification, "note": claim.note,
        "verifiable": codebook.verifiable(claim.claim_type), "origin": claim.origin, "anchor": claim.anchor,
        "gold_sources": claim.gold_sources,
        "created_at": iso(claim.created_at), "updated_at": iso(claim.updated_at),
    }


def marker_json(marker: Any, in_quote: bool) -> dict[str, Any]:
    return {"id": marker.id, "version": marker.version, "codebook_version": marker.codebook_version,
            "document": marker.document_id, "annotator": marker.annotator.username, "layer": marker.layer,
            "span": {"start": marker.start, "end": marker.end, "text": marker.text}, "bias_type": marker.bias_type,
            "target": marker.target, "polarity": marker.polarity, "note": marker.note, "in_quote": in_quote,
            "anchor": marker.anchor, "created_at": iso(marker.created_at), "updated_at": iso(marker.updated_at)}


def labels_json(row: Any) -> dict[str, Any]:
    if row is None:
        return {"outlet": None, "ownership": None, "genre": None, "frame": None, "slant": {}, "omissions": None,
                "notes": None, "version": 0}
    return {"outlet": row.outlet, "ownership": row.ownership, "genre": row.genre, "frame": row.frame,
            "slant": dict(row.slant or {}), "omissions": row.omissions, "notes": row.notes, "version": row.version,
            "codebook_version": row.codebook_version, "updated_at": iso(row.updated_at)}


def assignment_json(assignment: Any) -> dict[str, Any]:
    return {"id": assignment.id, "document": assignment.document_id, "user": assignment.user.username,
            "status": assignment.status, "reliability": assignment.reliability,
            "updated_at": iso(assignment.updated_at)}


# -- the annotation page (claims.list_claims's ClaimRecords, not ORM objects) --------------------


def truncate(text: str, length: int, end: str = "...", leeway: int = 5) -> str:
    """Jinja's ``truncate`` filter (whole words), for text cut before it reaches a template."""
    if len(text) <= length + leeway:
        return text
    return text[: length - len(end)].rsplit(" ", 1)[0] + end


#: The columns of ``page_claim_rows``, in order (the page's script names a row's values with them).
PAGE_CLAIM_FIELDS = ("id", "version", "content", "source_span", "cue_span", "speaker", "attribution",
                     "source_specificity", "speaker_resolution", "cue_valence", "claim_type", "check_worthiness",
                     "authorial_stance", "note", "stances")


def page_claim_rows(claims: list[Any]) -> dict[str, Any]:
    """What the page's script reads of the claims to edit or delete them, as one compact table:
    ``{"fields": [...], "rows": [[...], ...]}``. Spans are ``[start, end]`` (the script has the
    text), ``content`` a list of them, ``speaker`` the name, ``stances`` ``[target, value]`` pairs."""
    rows = [[c.id, c.version, [[s.start, s.end] for s in c.segments],
             None if c.source_start is None else [c.source_start, c.source_end],
             None if c.cue_start is None else [c.cue_start, c.cue_end],
             c.speaker.name if c.speaker is not None else None, c.attribution, c.source_specificity,
             c.speaker_resolution, c.cue_valence, c.claim_type, c.check_worthiness, c.authorial_stance, c.note,
             [[s.target, s.value] for s in c.stances]] for c in claims]
    return {"fields": PAGE_CLAIM_FIELDS, "rows": rows}


def claim_list_html(claims: list[Any], codebook: CodebookView, delete_base: str | None) -> Markup:
    """The ``<li>`` of each claim of the page's list (quote, speaker, labels), escaped.

    With ``delete_base`` (the caller may edit them), each has an Edit button and a Delete button
    that submits the page's one ``#delete-claim`` form to ``{delete_base}/{id}/delete``.
    """
    attribution = {e["code"]: e["label"] for e in codebook.entries("attribution")}
    claim_type = {e["code"]: e["label"] for e in codebook.entries("claim_type")}
    speakers: dict[str | None, str] = {}  # escaped names: the same few speakers again and again
    base = escape(delete_base) if delete_base is not None else None
    out = []
    for c in claims:
        meta = [attribution.get(c.attribution, c.attribution or "")]
        if c.claim_type:
            meta.append(claim_type.get(c.claim_type, c.claim_type))
        if c.check_worthiness:
            meta.append(c.check_worthiness)
        meta += [f"{s.target} {s.value}" for s in c.stances if s.value != "none"]
        quote = truncate(" … ".join(s.text for s in c.segments), 160)
        name = c.speaker.name if c.speaker is not None else None
        speaker = speakers.get(name)
        if speaker is None:
            speaker = speakers[name] = escape(name or "no speaker")
        item = (f'<li id="c{c.id}" data-claim="{c.id}" tabindex="-1"><div class="quote">“{escape(quote)}”</div>'
                f'<div class="meta"><strong>{speaker}</strong> · '
                f'{escape(" · ".join(meta))}')
        if c.anchor != "exact":
            item += f' <span class="badge warn">{escape(c.anchor)}</span>'
        item += "</div>"
        if base is not None:
            item += (f'<div class="buttons"><button type="button" data-edit="{c.id}">Edit</button> '
                     f'<button type="submit" class="danger" form="delete-claim" '
                     f'formaction="{base}/{c.id}/delete" data-delete="{c.id}">Delete</button></div>')
        out.append(item + "</li>\n")
    return Markup("".join(out))


def html_json(value: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` block, safe in HTML: what ``tojson`` writes."""
    text = json.dumps(value)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
                  .replace("'", "\\u0027"))
