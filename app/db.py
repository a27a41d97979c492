"""Plain SQLAlchemy 2.0: one engine per app, one session per request, committed once by the view."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
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


# Threads of one process queue on a lock of their own before the file lock: they wait without
# waking up, and the file lock's naps are left to one thread per process.
_PROCESS_QUEUES: dict[str, threading.Lock] = {}
_PROCESS_QUEUES_LOCK = threading.Lock()


def _process_queue(path: str) -> threading.Lock:
    with _PROCESS_QUEUES_LOCK:
        return _PROCESS_QUEUES.setdefault(path, threading.Lock())


# Rows a process writes to a database between the WAL checkpoints it runs (a claim save writes
# about ten with its search index rows; SQLite's own default is every 1,000 pages, some 60 saves).
CHECKPOINT_EVERY_ROWS = 500
_ROWS_SINCE_CHECKPOINT: dict[str, int] = {}


def _checkpoint_due(path: str, rows: int) -> bool:
    """Count rows written; True (and the count starts again) once a checkpoint is due."""
    with _PROCESS_QUEUES_LOCK:
        total = _ROWS_SINCE_CHECKPOINT.get(path, 0) + rows
        _ROWS_SINCE_CHECKPOINT[path] = 0 if total >= CHECKPOINT_EVERY_ROWS else total
    return total >= CHECKPOINT_EVERY_ROWS


class QueuedWriterConnection(sqlite3.Connection):
    """A pysqlite connection whose write transactions first queue on an exclusive file lock.

    Waiting for SQLite's write lock means sleeping in its busy handler, whose naps grow to 100 ms:
    with eight annotators saving at once most of the time went on naps, not work. Writers
    (threads and gunicorn workers alike, each connection with its own open file) now wait on
    ``flock`` in naps of at most a millisecond, and take SQLite's lock as soon as it is free. The
    file lock goes with the transaction (commit, rollback, close); SQLite's own lock and
    busy_timeout still guard against any other writer (a backup, the sqlite3 shell).

    A transaction queues at its first write, not at its start (``queue_at_first_write``): the
    reads before it (the token, the document with its codebook, the speaker) run while another
    writer holds the lock, so writers hold it for their writes alone.

    The WAL is checkpointed after the lock is let go (``_checkpoint_when_due``), not by SQLite
    inside the COMMIT that fills it: that checkpoint syncs the files, and took 6-10 ms of one
    save in sixty while every other writer waited for the lock.
    """

    write_lock_path: str | None = None
    _write_lock_fd: int | None = None
    # total_changes at the last commit: the rows a commit wrote are the difference.
    _changes_committed = 0
    _process_queue: threading.Lock
    _holds_write_lock = False
    # Set by the engine's "begin" listener for sessions that write; cleared once the lock is taken.
    queue_at_first_write = False

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
                # SQLite checkpoints again by itself, as _checkpoint_when_due needs the path.
                self.write_lock_path = None
                with contextlib.suppress(sqlite3.Error):
                    self.execute("PRAGMA wal_autocheckpoint=1000").fetchall()
                return True
        deadline = time.monotonic() + timeout_s
        self._process_queue = _process_queue(self.write_lock_path)
        if not self._process_queue.acquire(timeout=timeout_s):
            return False
        nap = 0.0001
        while True:
            try:
                fcntl.flock(self._write_lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    self._process_queue.release()
                    return False
                time.sleep(nap)
                nap = min(nap * 2, 0.001)
            else:
                self._holds_write_lock = True
                return True

    def start_writing(self, timeout_s: float) -> None:
        """Queue for the lock, then restart the transaction as a write transaction.

        A deferred transaction that has read sees the database as it was at its first read, and
        SQLite refuses it the write lock at once (SQLITE_BUSY_SNAPSHOT, no waiting) if another
        writer committed since. So the reads end here and the writes begin IMMEDIATE on the newest
        state: the checks made before the first write (the token, the access, a client_id or a
        version) may be a few milliseconds old, exactly as under PostgreSQL's READ COMMITTED, and
        the writes rely on constraints for what must hold (unique keys, version columns).
        """
        self.queue_at_first_write = False
        if not self.take_write_lock(timeout_s):
            # What SQLite says when its own busy timeout runs out (answered 503 + Retry-After).
            raise sa.exc.OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))
        try:
            if self.in_transaction:
                super().commit()
            self.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:  # raised inside SQLAlchemy's event hook, which does not wrap it
            raise sa.exc.OperationalError("BEGIN IMMEDIATE", None, exc) from exc

    def release_write_lock(self) -> None:
        self.queue_at_first_write = False
        if self._holds_write_lock and self._write_lock_fd is not None and fcntl is not None:
            self._holds_write_lock = False
            fcntl.flock(self._write_lock_fd, fcntl.LOCK_UN)
            self._process_queue.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.release_write_lock()
        self._checkpoint_when_due()

    def _checkpoint_when_due(self) -> None:
        """Checkpoint the WAL once the process has written ``CHECKPOINT_EVERY_ROWS`` rows since
        its last one. PASSIVE: it copies what no reader still needs and waits for nobody, and a
        writer may commit meanwhile. Connections with a write queue have SQLite's automatic
        checkpoint turned off (``make_engine``)."""
        changes = self.total_changes
        written, self._changes_committed = changes - self._changes_committed, changes
        if written <= 0 or self.write_lock_path is None or not _checkpoint_due(self.write_lock_path, written):
            return
        with contextlib.suppress(sqlite3.Error):  # another connection is checkpointing: it does the work
            self.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

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
            # pysqlite opens transactions lazily and never for SELECT; BEGIN is ours (listeners
            # below), so reads see one snapshot and writes queue before they take SQLite's lock.
            dbapi_connection.isolation_level = None
            dbapi_connection.write_lock_path = lock_path
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            if lock_path is not None and fcntl is not None:
                # Checkpoints are the connection's own, after its write lock (see the class).
                cursor.execute("PRAGMA wal_autocheckpoint=0")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Deferred: a session that writes queues at its first write (before_cursor_execute).
            # Straight to the driver: every request begins one, and SQLAlchemy's statement path
            # (events, cursor, result) costs several times what SQLite takes for it.
            driver = conn.connection.driver_connection
            try:
                driver.execute("BEGIN")
            except sqlite3.Error as exc:  # as SQLAlchemy would have wrapped it (answered 503)
                raise sa.exc.OperationalError("BEGIN", None, exc) from exc
            if conn.get_execution_options().get("sqlite_queue_writes", False):
                driver.queue_at_first_write = True

        @sa.event.listens_for(engine, "before_cursor_execute")
        def _sqlite_queue_at_first_write(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            driver = conn.connection.driver_connection
            # Anything but a SELECT counts as a write (a SAVEPOINT too: it must not be committed
            # away by the restart in start_writing).
            if driver.queue_at_first_write and statement[:6].upper() != "SELECT":
                driver.start_writing(busy_timeout_ms / 1000)

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
        bind=engine.execution_options(sqlite_queue_writes=True), expire_on_commit=False
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
    SQLite transactions queue for the write lock at their first write; reads never queue.
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
