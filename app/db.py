"""Plain SQLAlchemy 2.0: one engine per app, one session per request, committed once by the view."""

from __future__ import annotations

import os
import sqlite3
import time
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


try:
    import fcntl
except ImportError:  # Windows has no fcntl: writers there wait in SQLite's own busy handler
    fcntl = None  # type: ignore[assignment]


class QueuedWriterConnection(sqlite3.Connection):
    """A pysqlite connection whose write transactions first queue on an exclusive file lock.

    Waiting for SQLite's write lock means sleeping in its busy handler, whose naps grow to 100 ms:
    with eight annotators saving at once most of the time went on naps, not work. Writers
    (threads and gunicorn workers alike, each connection with its own open file) now wait on
    ``flock`` in naps of at most a millisecond, and take SQLite's lock as soon as it is free. The
    file lock goes with the transaction (commit, rollback, close); SQLite's own lock and
    busy_timeout still guard against any other writer (a backup, the sqlite3 shell).
    """

    write_lock_path: str | None = None
    _write_lock_fd: int | None = None
    _holds_write_lock = False

    def take_write_lock(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for the lock; False if another writer kept it all that time."""
        if fcntl is None or self.write_lock_path is None or self._holds_write_lock:
            return True
        if self._write_lock_fd is None:
            try:
                self._write_lock_fd = os.open(self.write_lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:
                # A folder the server may not write to: no queue, and SQLite itself says what is
                # wrong when the write comes (a read-only database answers 503, as it always did).
                self.write_lock_path = None
                return True
        deadline = time.monotonic() + timeout_s
        nap = 0.0001
        while True:
            try:
                fcntl.flock(self._write_lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(nap)
                nap = min(nap * 2, 0.001)
            else:
                self._holds_write_lock = True
                return True

    def release_write_lock(self) -> None:
        if self._holds_write_lock and self._write_lock_fd is not None and fcntl is not None:
            self._holds_write_lock = False
            fcntl.flock(self._write_lock_fd, fcntl.LOCK_UN)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.release_write_lock()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.release_write_lock()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.release_write_lock()
            if self._write_lock_fd is not None:
                os.close(self._write_lock_fd)
                self._write_lock_fd = None


def _write_lock_path(url: str) -> str | None:
    database = sa.engine.make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return f"{database}-writelock"


def make_engine(url: str, busy_timeout_ms: int = 5000, **kwargs: Any) -> Engine:
    """Engine with SQLite set up for concurrent use (WAL, foreign keys, busy timeout) and the same
    lock wait limit on PostgreSQL (``lock_timeout``)."""
    if url.startswith("sqlite"):
        lock_path = _write_lock_path(url)
        engine = sa.create_engine(
            url, connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False,
                               "factory": QueuedWriterConnection}, **kwargs
        )

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # pysqlite opens transactions lazily and never for SELECT; let SQLAlchemy emit BEGIN
            # so a write transaction takes its lock at once (IMMEDIATE) instead of failing later.
            dbapi_connection.isolation_level = None
            dbapi_connection.write_lock_path = lock_path
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # A request that writes takes the write lock up front (IMMEDIATE): a deferred
            # transaction that reads first and writes later fails at once with "database is
            # locked" when another writer got in between, without waiting for busy_timeout.
            immediate = conn.get_execution_options().get("sqlite_immediate", False)
            if immediate and not conn.connection.driver_connection.take_write_lock(busy_timeout_ms / 1000):
                # What SQLite says when its own busy timeout runs out (answered 503 + Retry-After).
                raise sa.exc.OperationalError("BEGIN IMMEDIATE", None,
                                              sqlite3.OperationalError("database is locked"))
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    if url.startswith("postgresql"):
        # The PostgreSQL counterpart of SQLite's busy timeout: a statement that waits longer than
        # this for a lock fails ("lock timeout", answered 503 + Retry-After) instead of hanging.
        connect_args = dict(kwargs.pop("connect_args", {}))
        options = connect_args.get("options", "")
        # jit=off: PostgreSQL compiles a plan with LLVM once its estimated cost passes
        # jit_above_cost, and for this application's corpus reads (a balance, an agreement
        # report, an export batch) the compiling took longer than the query: 0.74 s of the
        # 0.79 s a 10,000-article balance took.
        connect_args["options"] = f"{options} -c lock_timeout={int(busy_timeout_ms)} -c jit=off".strip()
        kwargs["connect_args"] = connect_args
    return sa.create_engine(url, pool_pre_ping=True, **kwargs)


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"], app.config["SQLITE_BUSY_TIMEOUT_MS"])
    app.extensions["sourcemark.engine"] = engine
    app.extensions["sourcemark.sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)
    app.extensions["sourcemark.write_sessionmaker"] = sessionmaker(
        bind=engine.execution_options(sqlite_immediate=True), expire_on_commit=False
    )
    for maker in (app.extensions["sourcemark.sessionmaker"], app.extensions["sourcemark.write_sessionmaker"]):
        sa.event.listen(maker, "after_rollback", forget_cached)
    app.teardown_appcontext(close_session)


def forget_cached(session: Session) -> None:
    """What a session cached from rows read (the codebook) may have been rolled back with them."""
    session.info.clear()


def get_engine() -> Engine:
    return current_app.extensions["sourcemark.engine"]  # type: ignore[no-any-return]


def get_session() -> Session:
    """The request's session, created on first use; teardown closes it (uncommitted work rolls back).

    Requests that may write (POST, PUT, PATCH, DELETE) and CLI commands get a session whose
    SQLite transactions begin IMMEDIATE; reads stay deferred so they never queue behind writers.
    """
    if "db_session" not in g:
        writes = not has_request_context() or request.method not in ("GET", "HEAD", "OPTIONS")
        key = "sourcemark.write_sessionmaker" if writes else "sourcemark.sessionmaker"
        g.db_session = current_app.extensions[key]()
    return g.db_session  # type: ignore[no-any-return]


class DriverQuery:
    """A Core statement compiled once and run on the DBAPI cursor: rows come back as the driver
    returns them (plain tuples, no result processing).

    For reads of hundreds of thousands of rows (exports, agreement), where SQLAlchemy's ``Row``
    objects and result processing cost about as much again as the database (1-2 µs a row).
    Nothing is converted: select timestamps and JSON as text and convert them yourself.
    """

    def __init__(self, session: Session, statement: sa.Select[Any]) -> None:
        # render_postcompile: an IN list given as a value is written out now (the cursor gets the SQL as is).
        self._compiled = statement.compile(dialect=session.connection().dialect,
                                           compile_kwargs={"render_postcompile": True})
        self._sql = str(self._compiled)

    def rows(self, connection: sa.Connection, **values: Any) -> list[Any]:
        compiled = self._compiled
        params: Any = compiled.construct_params(values)
        if compiled.positional:
            params = tuple(params[name] for name in compiled.positiontup or ())
        cursor = connection.connection.cursor()
        try:
            cursor.execute(self._sql, params)
            return cursor.fetchall()
        finally:
            cursor.close()


def driver_rows(session: Session, statement: sa.Select[Any]) -> list[Any]:
    """Every row of ``statement``, run once, as a ``DriverQuery``."""
    return DriverQuery(session, statement).rows(session.connection())


def close_session(_exc: BaseException | None = None) -> None:
    # Kept in ``g`` rather than popped: a streamed response's generator runs after this first
    # teardown, may reopen the same session, and stream_with_context tears the same app
    # context down once more when the stream ends; that second call must find it to close it.
    session = g.get("db_session")
    if session is not None:
        session.close()
