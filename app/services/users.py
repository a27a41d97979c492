"""Accounts and API tokens."""

from __future__ import annotations

import functools
import hashlib
import re
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.errors import Conflict, DomainError, NotFound
from app.models import ApiToken, User
from app.services import audit

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MIN_PASSWORD_LENGTH = 8


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the user does not exist, so both answers take the same time.

    Made on first use, not at import: hashing takes ~0.1 s that every ``flask`` command paid at start-up.
    """
    return generate_password_hash("not-a-real-password")


def validate_username(username: str) -> str:
    username = (username or "").strip()
    if not USERNAME.match(username):
        raise DomainError("user names are 1-64 letters, digits, '.', '_' or '-'", "username")
    return username


def validate_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(f"passwords have at least {MIN_PASSWORD_LENGTH} characters", "password")


def create_user(session: Session, username: str, password: str, *, is_admin: bool = False,
                actor: User | None = None) -> User:
    username = validate_username(username)
    validate_password(password)
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"the user name {username!r} is taken", "username")
    user = User(username=username, password_hash=generate_password_hash(password), is_admin=is_admin)
    session.add(user)
    session.flush()
    audit.record(session, actor, "create", "user", user.id, None,
                 after={"username": username, "is_admin": is_admin})
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user for these credentials, or None; unknown names cost the same as wrong passwords."""
    user = session.scalar(sa.select(User).where(User.username == (username or "").strip()))
    if user is None or not user.is_active:
        check_password_hash(_dummy_hash(), password or "")
        return None
    return user if check_password_hash(user.password_hash, password or "") else None


def change_password(session: Session, user: User, new_password: str, actor: User) -> None:
    validate_password(new_password)
    user.password_hash = generate_password_hash(new_password)
    user.session_generation += 1  # every other session of this user ends now
    audit.record(session, actor, "password", "user", user.id, None)


def end_all_sessions(session: Session, user: User) -> None:
    user.session_generation += 1


def get_user_by_name(session: Session, username: str) -> User:
    user = session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user named {username!r}", "user")
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, user: User, name: str = "cli") -> str:
    """A new API token for ``user``; returned once, only its hash is stored."""
    token = "smk_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), name=name[:100]))
    audit.record(session, user, "create", "api_token", None, None, after={"name": name})
    return token


# Built once: every API request runs it, and building a statement (and its cache key) costs more
# than running this one.
# The user alone, not the token row with it.
_LIVE_TOKEN_USER = sa.select(User).join(ApiToken, ApiToken.user_id == User.id).where(
    ApiToken.token_hash == sa.bindparam("token_hash"), ApiToken.revoked_at.is_(None))


def user_for_token(session: Session, token: str) -> User | None:
    user = session.scalar(_LIVE_TOKEN_USER, {"token_hash": _token_hash(token)})
    if user is None or not user.is_active:
        return None
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(sa.select(User).order_by(User.username)))
