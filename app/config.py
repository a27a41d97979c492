"""Configuration: defaults here, overrides from the environment, secrets never in code."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

# Keys shorter than this are refused in production (security.md §4 #45).
MIN_SECRET_KEY_LENGTH = 32
# A random key of 32 characters from 64 symbols has ~25 distinct ones; fewer than 10 is a pattern.
MIN_SECRET_KEY_DISTINCT = 10
WEAK_SECRET_KEYS = {"dev", "secret", "changeme", "change-me", "development", "test"}


class ConfigError(RuntimeError):
    """The configuration cannot run safely; the message says what to set."""


def default_config(instance_path: Path) -> dict[str, Any]:
    return {
        "DATABASE_URL": f"sqlite:///{instance_path / 'sourcemark.sqlite3'}",
        "SQLITE_BUSY_TIMEOUT_MS": 5000,
        "SOURCEMARK_ENV": "development",
        "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
        "MAX_FORM_PARTS": 1000,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "WTF_CSRF_CHECK_DEFAULT": False,  # checked in one before_request hook (app/security.py)
        "RATELIMIT_STORAGE_URI": "memory://",
        "LOGIN_RATE_LIMIT": "10 per minute",
        "DEMO_CORPUS": None,
        "API_PAGE_SIZE": 100,
        # Fetching articles by URL is off by default (it makes the server send requests).
        "URL_IMPORT_ENABLED": False,
        "URL_IMPORT_MAX_BYTES": 2 * 1024 * 1024,
        "URL_IMPORT_TIMEOUT": 10.0,
        # Networks exempt from the private-address refusal (an intranet news archive, or tests).
        "URL_IMPORT_ALLOWED_NETWORKS": [],
    }


def load_environment(config: dict[str, Any]) -> None:
    """Override defaults from the environment (DATABASE_URL, SECRET_KEY, SOURCEMARK_*)."""
    for key in ("DATABASE_URL", "SECRET_KEY", "SOURCEMARK_ENV", "DEMO_CORPUS"):
        if os.environ.get(key):
            config[key] = os.environ[key]
    if os.environ.get("SOURCEMARK_URL_IMPORT") == "1":
        config["URL_IMPORT_ENABLED"] = True


def is_strong_secret_key(key: Any) -> bool:
    """Long enough, not a known placeholder, and not a repeated pattern ("aaaa…", "abab…")."""
    return (isinstance(key, str) and len(key) >= MIN_SECRET_KEY_LENGTH and key.lower() not in WEAK_SECRET_KEYS
            and len(set(key)) >= MIN_SECRET_KEY_DISTINCT)


def ensure_secret_key(config: dict[str, Any], instance_path: Path) -> None:
    """Production refuses a missing or weak key; development keeps a generated one in instance/."""
    key = config.get("SECRET_KEY")
    if config.get("SOURCEMARK_ENV") == "production":
        if not is_strong_secret_key(key):
            raise ConfigError(
                "SOURCEMARK_ENV=production needs a strong SECRET_KEY (at least "
                f"{MIN_SECRET_KEY_LENGTH} random characters), e.g. "
                "SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return
    if key:
        return
    key_file = instance_path / "secret_key"
    if key_file.exists():
        config["SECRET_KEY"] = key_file.read_text().strip()
        return
    instance_path.mkdir(parents=True, exist_ok=True)
    generated = secrets.token_urlsafe(48)
    # Owner-only from the first byte (the peers' world-readable key file is the bug to avoid),
    # written aside and then linked into place, so several workers starting at once all end up
    # with the one key that won, never a half-written one.
    temporary = instance_path / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(generated)
    try:
        os.link(temporary, key_file)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    config["SECRET_KEY"] = key_file.read_text().strip()
