"""Post the hand annotation of the demo article (tests/data/demo_claims.json) through the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parent / "data" / "demo_claims.json"


def demo_claim_bodies(document: dict[str, Any]) -> list[dict[str, Any]]:
    """API bodies for every hand-annotated claim, offsets located in the document's paragraphs."""
    paragraphs = document["paragraphs"]

    def locate(index: int, needle: str, occurrence: int = 0) -> dict[str, Any]:
        para = paragraphs[index]
        position = -1
        for _ in range(occurrence + 1):
            position = para["text"].index(needle, position + 1)
        start = para["start"] + position
        return {"start": start, "end": start + len(needle), "text": needle}

    bodies = []
    for claim in json.loads(FIXTURE.read_text(encoding="utf-8"))["claims"]:
        where = claim.get("content_paragraphs", [claim["paragraph"]] * len(claim["content"]))
        body: dict[str, Any] = {
            "content": [locate(p, text) for p, text in zip(where, claim["content"], strict=True)],
            "attribution": claim["attribution"],
            "stances": [{"target": t, "value": v} for t, v in claim.get("stances", {}).items()],
        }
        if claim.get("source"):
            body["source_span"] = locate(claim["paragraph"], claim["source"], claim.get("source_occurrence", 0))
        if claim.get("cue"):
            body["cue_span"] = locate(claim["paragraph"], claim["cue"])
        for key in ("speaker", "speaker_resolution", "source_specificity", "cue_valence", "claim_type",
                    "check_worthiness"):
            if claim.get(key):
                body[key] = claim[key]
        bodies.append(body)
    return bodies


def annotate_demo(api: Any, document_id: int, layer: str | None = None) -> list[dict[str, Any]]:
    document = api.get(f"/api/v1/documents/{document_id}").json
    saved = []
    for body in demo_claim_bodies(document):
        if layer:
            body["layer"] = layer
        response = api.post(f"/api/v1/documents/{document_id}/claims", body)
        assert response.status_code == 201, (body, response.json)
        saved.append(response.json)
    return saved
