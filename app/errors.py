"""Domain errors raised by services, and the one place that turns any error into a response.

Services raise ``DomainError(message, field)`` subclasses; views copy them onto forms, the API
turns them into ``{"error": {"code", "message", "field"}}``. Nothing here leaks a traceback:
unexpected errors are logged with a request id, and the user sees only that id.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from flask import Flask, Response, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

log = logging.getLogger("sourcemark")


class DomainError(Exception):
    status = 422
    code = "invalid"

    def __init__(self, message: str, field: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra


class NotFound(DomainError):
    status = 404
    code = "not_found"

    def __init__(self, message: str = "not found", field: str | None = None, **extra: Any) -> None:
        # One answer for "does not exist" and "exists in a project you are not in": the message a
        # service gives says which check failed, so it goes to the log only, never to the client
        # (otherwise it is an oracle for other projects' ids).
        super().__init__("Not found.", field, **extra)
        self.reason = message


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Unavailable(DomainError):
    status = 503
    code = "unavailable"


def request_id() -> str:
    if "request_id" not in g:
        g.request_id = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex[:16]
    return g.request_id  # type: ignore[no-any-return]


def wants_json() -> bool:
    return request.blueprint == "api" or request.path.startswith("/api/")


def error_response(status: int, code: str, message: str, field: str | None = None,
                   headers: dict[str, str] | None = None, **extra: Any) -> Response:
    if wants_json():
        body: dict[str, Any] = {"code": code, "message": message, "field": field}
        body.update(extra)
        response = jsonify({"error": body})
    else:
        response = Response(
            render_template("errors/error.html", status=status, message=message, request_id=request_id()),
            mimetype="text/html",
        )
    response.status_code = status
    response.headers["X-Request-Id"] = request_id()
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


# Lock waits (SQLite busy timeout; PostgreSQL lock_timeout, deadlocks, serialization failures).
_BUSY = ("locked", "busy", "could not obtain lock", "lock timeout", "deadlock detected",
         "could not serialize access")
_UNREACHABLE = ("connection refused", "could not connect", "server closed the connection",
                "terminating connection", "connection is closed", "the database system is starting up",
                "the database system is shutting down")


def _database_unavailable(exc: DBAPIError) -> tuple[str, str, dict[str, str]] | None:
    """Classify the database errors a user can wait out or an admin must fix (503s)."""
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    if any(marker in text for marker in _BUSY):
        return "busy", "The database is busy; nothing was saved. Try again in a moment.", {"Retry-After": "2"}
    if "readonly" in text or "read-only" in text:
        return ("read_only", "The database is read-only, so nothing can be saved; reading still works. "
                "Contact the administrator.", {})
    if "disk is full" in text or "database or disk is full" in text or "no space" in text:
        return "disk_full", "The server's disk is full; nothing was saved. Contact the administrator.", {}
    if any(marker in text for marker in _UNREACHABLE):
        return "unreachable", "The database cannot be reached; try again in a moment.", {"Retry-After": "5"}
    return None


_last_logged: dict[str, float] = {}
LOG_EVERY_SECONDS = 60.0


def _log_unavailable(code: str) -> None:
    """A read-only or full database fails every write: log it once a minute, not once per request."""
    now = time.monotonic()
    if now - _last_logged.get(code, -LOG_EVERY_SECONDS) >= LOG_EVERY_SECONDS:
        _last_logged[code] = now
        log.warning("database unavailable (%s) [request %s]; repeats within %ds are logged at debug level",
                    code, request_id(), int(LOG_EVERY_SECONDS))
    else:
        log.debug("database unavailable (%s) [request %s]", code, request_id())


def register_error_handlers(app: Flask) -> None:
    from app.db import get_session

    def _rollback() -> None:
        try:
            get_session().rollback()
        except Exception:  # noqa: BLE001  (the session may be unusable; teardown closes it)
            log.debug("rollback after error failed", exc_info=True)

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError) -> Response:
        _rollback()
        if isinstance(exc, NotFound):
            log.info("404 %s %s: %s [request %s]", request.method, request.path, exc.reason, request_id())
        return error_response(exc.status, exc.code, exc.message, exc.field, **exc.extra)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> Response:
        return error_response(400, "csrf", "The form expired or lacks its security token; reload the page "
                              "and try again (your draft is kept).")

    @app.errorhandler(StaleDataError)
    def _stale(exc: StaleDataError) -> Response:
        _rollback()
        return error_response(409, "conflict", "Someone saved this record in the meantime; reload it.")

    @app.errorhandler(IntegrityError)
    def _integrity(exc: IntegrityError) -> Response:
        # The services check uniqueness before they write, but the check and the write are not
        # one step: two requests at the same moment both pass it and the second meets the key.
        _rollback()
        log.info("409 %s %s: %s [request %s]", request.method, request.path, exc.orig, request_id())
        return error_response(409, "conflict", "This conflicts with a record saved at the same moment; "
                              "nothing was saved. Reload and try again.")

    @app.errorhandler(DBAPIError)
    def _database(exc: DBAPIError) -> Response:
        # OperationalError (SQLite busy/read-only/full, PostgreSQL lock timeout) and the other
        # driver errors (PostgreSQL's read-only transaction is an InternalError).
        _rollback()
        known = _database_unavailable(exc)
        if known is None:
            log.exception("database error [request %s]", request_id())
            return error_response(500, "server_error", f"Something went wrong (request {request_id()}).")
        code, message, headers = known
        from app.security import skip_user_lookup

        skip_user_lookup()  # the error page must not query the database again
        _log_unavailable(code)
        return error_response(503, code, message, headers=headers)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        messages = {
            404: "Not found.",
            405: "This address does not accept that method.",
            413: "The request is too large.",
            429: "Too many attempts; wait a moment and try again.",
        }
        message = messages.get(status) or exc.description or exc.name
        headers = {}
        retry_after = getattr(exc, "retry_after", None)
        if status == 429 and exc.response is not None and exc.response.headers.get("Retry-After"):
            headers["Retry-After"] = exc.response.headers["Retry-After"]
        elif status == 429 and isinstance(retry_after, int):
            headers["Retry-After"] = str(retry_after)
        elif status == 429:
            headers["Retry-After"] = "60"
        return error_response(status, exc.name.lower().replace(" ", "_"), message, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        _rollback()
        log.exception("unhandled error [request %s]", request_id())
        return error_response(500, "server_error", f"Something went wrong (request {request_id()}).")
