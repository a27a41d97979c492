"""``GET /api/openapi.json``: the OpenAPI 3.1 description of the JSON API (public, no login)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from app.openapi import openapi_document

bp = Blueprint("openapi", __name__)


@bp.get("/api/openapi.json")
def openapi_json() -> Response:
    # The server is the host the client reached (behind a proxy: as the proxy forwarded it).
    return jsonify(openapi_document(request.host_url))
