"""Backups: SQLite's online backup API (safe while the app writes) or pg_dump's custom format."""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from app.errors import DomainError


def sqlite_path(database_url: str) -> Path | None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def _pg_tool(name: str) -> str:
    on_path = shutil.which(name)
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or ([on_path] if on_path else [])
    if not found:
        raise DomainError(f"{name} is not installed (Debian package postgresql-client)", "database")
    return found[-1]


def _pg_args(database_url: str) -> tuple[list[str], dict[str, str]]:
    url = make_url(database_url)
    args = ["--host", url.host or "127.0.0.1", "--port", str(url.port or 5432),
            "--username", url.username or "postgres", "--dbname", url.database or "postgres"]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return args, env


def integrity_check(path: Path) -> str:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        connection.close()


def backup(database_url: str, target: Path) -> Path:
    """Write a consistent copy of the database to ``target`` (never a half-written file)."""
    partial = target.with_name(target.name + ".partial")
    source = sqlite_path(database_url)
    if source is not None:
        if not source.exists():
            raise DomainError(f"there is no database at {source}", "database")
        src = sqlite3.connect(source)
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)  # page by page, consistent even while others write (WAL)
        finally:
            dst.close()
            src.close()
        result = integrity_check(partial)
        if result != "ok":
            partial.unlink(missing_ok=True)
            raise DomainError(f"the copy failed its integrity check: {result}", "database")
    else:
        args, env = _pg_args(database_url)
        subprocess.run([_pg_tool("pg_dump"), *args, "--format=custom", "--file", str(partial)], check=True, env=env,
                       capture_output=True)
    partial.replace(target)
    return target


def restore(database_url: str, source: Path) -> None:
    """Replace the database's contents with a backup made by ``backup``."""
    if not source.is_file():
        raise DomainError(f"no backup file at {source}", "file")
    target = sqlite_path(database_url)
    if target is not None:
        try:
            result = integrity_check(source)
        except sqlite3.DatabaseError as exc:
            raise DomainError(f"{source} is not a SQLite backup ({exc})", "file") from exc
        if result != "ok":
            raise DomainError(f"{source} failed its integrity check: {result}", "file")
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return
    with source.open("rb") as handle:
        if handle.read(5) != b"PGDMP":
            raise DomainError(f"{source} is not a pg_dump custom-format backup", "file")
    args, env = _pg_args(database_url)
    subprocess.run([_pg_tool("pg_restore"), *args, "--clean", "--if-exists", "--no-owner", "--single-transaction",
                    str(source)], check=True, env=env, capture_output=True)
