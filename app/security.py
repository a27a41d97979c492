"""Authentication (sessions and bearer tokens), CSRF, rate limits and security headers."""

from __future__ import annotations

import json
import math
import re
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request
from flask import session as cookie_session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import AnonymousUserMixin, LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFProtect
from limits import parse as parse_limit
from werkzeug.exceptions import TooManyRequests

from app.db import get_session
from app.models import User

login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class SessionUser(UserMixin):
    """Flask-Login's view of a user. The id carries the session generation, so bumping the
    generation (logout everywhere, password change) invalidates every older cookie."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.session_generation}"


def acting_user() -> User | None:
    """The User of this request: bearer token (API) or session, else None."""
    if "api_user" in g:
        return g.api_user  # type: ignore[no-any-return]
    if current_user.is_authenticated:
        return current_user.user  # type: ignore[no-any-return]
    return None


def skip_user_lookup() -> None:
    """For an error page about an unavailable database: a user not loaded yet stays unloaded
    (the page shows as anonymous) instead of asking the database, and waiting, once more."""
    if "_login_user" not in g and "api_user" not in g:
        g._login_user = login_manager.anonymous_user()


def is_safe_next(target: str | None) -> bool:
    """Only same-origin relative paths are followed after login (security.md §4 #44)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(ord(char) < 32 or ord(char) == 127 for char in target):
        return False  # CR/LF would split the Location header; browsers drop tabs (/\t/evil → //evil)
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.anonymous_user = AnonymousUserMixin
    # Flask-Login's "strong" protection deletes the session when the client's IP or agent changes.
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)

    @login_manager.user_loader
    def _load(user_key: str) -> SessionUser | None:
        try:
            user_id, generation = (int(part) for part in user_key.split(":"))
        except ValueError:
            return None
        user = get_session().get(User, user_id)
        if user is None or not user.is_active or user.session_generation != generation:
            return None
        return SessionUser(user)

    @app.before_request
    def _authenticate_and_check_csrf() -> None:
        header = request.headers.get("Authorization", "")
        if request.path.startswith("/api/") and header.lower().startswith("bearer "):
            # A bearer token is no ambient credential (a browser never attaches it on its own),
            # so token requests need no CSRF token; session requests always do.
            from app.services.users import user_for_token

            user = user_for_token(get_session(), header[7:].strip())
            if user is not None:
                g.api_user = user
            else:
                g.api_token_invalid = True
            return
        if request.method in UNSAFE_METHODS:
            csrf.protect()
            if request.endpoint == "auth.login":
                _limit_login_per_account()

    @app.before_request
    def _refuse_text_no_database_can_store() -> None:
        check_request_values()

    @app.after_request
    def _headers(response: Response) -> Response:
        nonce = g.get("csp_nonce", "")
        script_src = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
        response.headers.setdefault(
            "Content-Security-Policy",
            f"default-src 'self'; script-src {script_src}; style-src 'self'; img-src 'self' data: blob:; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        # Decided without the database (it may be the reason this response is an error page).
        if "api_user" in g or cookie_session.get("_user_id") or request.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
            response.vary.add("Cookie")
        return response

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        return {"acting_user": acting_user(), "csp_nonce": csp_nonce}


def _limit_login_per_account() -> None:
    """Log-in attempts per account name, whatever the address (security.md §4 #39): the per-address
    limit on the view alone lets a botnet try one account from many addresses. Unknown names count
    like real ones, so the 429 tells nothing about which accounts exist."""
    config = current_app.config
    if not config.get("RATELIMIT_ENABLED", True):
        return
    limit = parse_limit(config.get("LOGIN_ACCOUNT_RATE_LIMIT") or config["LOGIN_RATE_LIMIT"])
    account = (request.form.get("username") or "").strip().casefold()[:64]
    if not limiter.limiter.hit(limit, "login-account", account):
        reset_at = limiter.limiter.get_window_stats(limit, "login-account", account).reset_time
        raise TooManyRequests(retry_after=max(1, int(reset_at - time.time()) + 1))


# -- values no database column can hold (security.md §4 #8, #20) ---------------------------------
# NUL is refused by PostgreSQL and silently kept by SQLite; a lone surrogate cannot be encoded at
# all; integers beyond 64 bits overflow SQLite's INTEGER. One rule at the edge, the same on both
# databases, for every field of every request: a 422 that names the field (404 in a URL path).
MAX_SQL_INT = 2**63 - 1
_SURROGATE = re.compile("[\ud800-\udfff]")


def _text_problem(value: str) -> str | None:
    if "\x00" in value:
        return "contains a NUL character"
    if _SURROGATE.search(value):
        return "contains a lone surrogate (not valid Unicode)"
    return None


def first_bad_json_value(document: Any) -> tuple[str, str] | None:
    """(path, problem) of the first value of a parsed JSON body that no database can store."""
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            problem = _text_problem(value)
            if problem:
                return path or "body", problem
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if not -MAX_SQL_INT <= value <= MAX_SQL_INT:
                return path or "body", "is a number out of range"
        elif isinstance(value, float):
            if not math.isfinite(value):
                return path or "body", "is not a finite number"
        elif isinstance(value, dict):
            for key, item in reversed(list(value.items())):
                if _text_problem(key):
                    return path or "body", "has a key that " + (_text_problem(key) or "")
                stack.append((item, f"{path}.{key}" if path else key))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{index}]") for index, item in reversed(list(enumerate(value))))
    return None


def check_request_values() -> None:
    from app.errors import DomainError, NotFound

    for value in (request.view_args or {}).values():
        if isinstance(value, str) and _text_problem(value):
            raise NotFound()
        if isinstance(value, int) and not 0 <= value <= MAX_SQL_INT:
            raise NotFound()
    for name, value in request.args.items(multi=True):
        problem = _text_problem(name) or _text_problem(value)
        if problem:
            raise DomainError(f"{name or 'a query parameter'} {problem}", name)
    if request.method not in UNSAFE_METHODS:
        return
    if request.is_json:
        # Parsing and walking costs ~6 ms per MB (C json), less than any regex pre-filter over the
        # raw bytes would; a claim's body takes microseconds.
        raw = request.get_data(cache=True)
        try:
            document = json.loads(raw)
        except (ValueError, RecursionError):
            return  # not JSON: the view answers that, naming the body
        found = first_bad_json_value(document)
        if found:
            raise DomainError(f"{found[0]} {found[1]}", found[0])
    elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in request.form.items(multi=True):
            problem = _text_problem(name) or _text_problem(value)
            if problem:
                raise DomainError(f"{name} {problem}", name)


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce  # type: ignore[no-any-return]
