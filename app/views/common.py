"""Small helpers the views share: the session, the acting user, JSON bodies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from flask import Response, g, request, stream_with_context
from sqlalchemy.orm import Session
from werkzeug.utils import secure_filename

from app.db import get_session
from app.errors import DomainError
from app.models import User
from app.security import acting_user


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


def session() -> Session:
    return get_session()


def api_user() -> User:
    """The caller of an API request (token or session), or 401."""
    if g.get("api_token_invalid"):
        raise Unauthorized("the API token is not valid (revoked or mistyped)")
    user = acting_user()
    if user is None:
        raise Unauthorized("log in or send Authorization: Bearer TOKEN (flask users token NAME)")
    return user


def json_body() -> Any:
    """The request's JSON, or a 422 that says what is wrong with it (never a 500)."""
    if not request.is_json:
        raise DomainError("send a JSON body with Content-Type: application/json", "body")
    raw = request.get_data(cache=True)
    try:
        return json.loads(raw)
    except RecursionError as exc:
        raise DomainError("the JSON is nested too deeply", "body") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise DomainError(f"the body is not valid JSON: {exc}", "body") from exc


def streamed_download(export_request: Any) -> Response:
    """Stream an export; the first chunk is produced before the response starts, so a failure
    there is a normal error response rather than a truncated file."""
    from app.services.exports import export_chunks

    chunks = export_chunks(session(), export_request)
    first = next(chunks, b"")

    def generate() -> Iterator[bytes]:
        yield first
        yield from chunks

    response = Response(stream_with_context(generate()), mimetype=export_request.format.media_type)
    filename = export_request.filename
    ascii_name = secure_filename(filename) or "export"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
