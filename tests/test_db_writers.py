"""SQLite writers queue on a file lock (app.db.QueuedWriterConnection) instead of SQLite's busy naps."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.db import make_engine


def _engine(tmp_path: Path, timeout_ms: int = 5000) -> sa.Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.sqlite3'}", busy_timeout_ms=timeout_ms)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS log (writer TEXT, at REAL)")
    return engine


def test_a_second_writer_reads_at_once_and_queues_for_its_first_write(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    writers = engine.execution_options(sqlite_queue_writes=True)
    first_in = threading.Event()
    order: list[str] = []

    def first() -> None:
        with writers.begin() as conn:
            conn.exec_driver_sql("INSERT INTO log VALUES ('first', 0)")
            first_in.set()
            time.sleep(0.3)
            order.append("first commits")

    thread = threading.Thread(target=first)
    thread.start()
    assert first_in.wait(5)
    started = time.monotonic()
    with writers.begin() as conn:
        # Reads do not queue: the first writer still holds the lock and has not committed.
        assert conn.exec_driver_sql("SELECT count(*) FROM log").scalar() == 0
        read_after = time.monotonic() - started
        order.append("second reads")
        conn.exec_driver_sql("INSERT INTO log VALUES ('second', 0)")
        order.append("second writes")
    waited = time.monotonic() - started
    thread.join()
    assert read_after < 0.2
    assert order == ["second reads", "first commits", "second writes"]
    assert waited >= 0.2  # its write queued behind the first transaction
    with engine.connect() as conn:
        assert [row[0] for row in conn.exec_driver_sql("SELECT writer FROM log ORDER BY rowid")] == ["first", "second"]
    # The lock went with the transactions: a third writer gets in at once.
    started = time.monotonic()
    with writers.begin() as conn:
        conn.exec_driver_sql("INSERT INTO log VALUES ('third', 0)")
    assert time.monotonic() - started < 0.2
    engine.dispose()


def test_a_writer_whose_reads_are_older_than_another_commit_still_writes_on_the_newest_state(
        tmp_path: Path) -> None:
    # Without the restart in start_writing SQLite refuses this write at once (SQLITE_BUSY_SNAPSHOT).
    engine = _engine(tmp_path)
    writers = engine.execution_options(sqlite_queue_writes=True)
    with writers.connect() as late:
        late.begin()
        assert late.exec_driver_sql("SELECT count(*) FROM log").scalar() == 0  # its snapshot starts here
        with writers.begin() as early:
            early.exec_driver_sql("INSERT INTO log VALUES ('early', 0)")
        assert late.exec_driver_sql("SELECT count(*) FROM log").scalar() == 0  # still the old snapshot
        late.exec_driver_sql("INSERT INTO log VALUES ('late', 0)")
        assert [row[0] for row in late.exec_driver_sql("SELECT writer FROM log ORDER BY rowid")] == ["early", "late"]
        late.commit()
    with engine.connect() as conn:
        assert [row[0] for row in conn.exec_driver_sql("SELECT writer FROM log ORDER BY rowid")] == ["early", "late"]
    engine.dispose()


def test_a_savepoint_before_the_first_write_is_kept(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    writers = engine.execution_options(sqlite_queue_writes=True)
    with writers.connect() as conn:
        conn.begin()
        conn.exec_driver_sql("SELECT count(*) FROM log").scalar()
        nested = conn.begin_nested()
        conn.exec_driver_sql("INSERT INTO log VALUES ('rolled back', 0)")
        nested.rollback()
        conn.exec_driver_sql("INSERT INTO log VALUES ('kept', 0)")
        conn.commit()
    with engine.connect() as conn:
        assert [row[0] for row in conn.exec_driver_sql("SELECT writer FROM log")] == ["kept"]
    engine.dispose()


def test_a_writer_that_waits_past_the_busy_timeout_gets_database_is_locked(tmp_path: Path) -> None:
    engine = _engine(tmp_path, timeout_ms=200)
    writers = engine.execution_options(sqlite_queue_writes=True)
    with writers.connect() as holder:
        holder.begin()
        holder.exec_driver_sql("INSERT INTO log VALUES ('holder', 0)")
        with pytest.raises(sa.exc.OperationalError, match="database is locked"):
            with writers.begin() as conn:
                conn.exec_driver_sql("INSERT INTO log VALUES ('late', 0)")
        holder.rollback()
    with writers.begin() as conn:  # released by the rollback
        conn.exec_driver_sql("INSERT INTO log VALUES ('after', 0)")
    with engine.connect() as conn:
        assert [row[0] for row in conn.exec_driver_sql("SELECT writer FROM log")] == ["after"]
    engine.dispose()


def test_writers_go_on_without_the_queue_when_its_lock_file_cannot_be_made(tmp_path: Path) -> None:
    engine = _engine(tmp_path)

    @sa.event.listens_for(engine, "connect")
    def _unwritable_lock_folder(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.write_lock_path = str(tmp_path / "no-such-folder" / "queue.sqlite3-writelock")  # type: ignore[attr-defined]

    engine.dispose()  # new connections get the listener
    with engine.execution_options(sqlite_queue_writes=True).begin() as conn:
        conn.exec_driver_sql("INSERT INTO log VALUES ('unqueued', 0)")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT writer FROM log").scalar() == "unqueued"
    assert not (tmp_path / "no-such-folder").exists()
    engine.dispose()


def test_driver_rows_gives_plain_tuples_and_writes_out_in_lists(tmp_path: Path) -> None:
    from sqlalchemy.orm import Session

    from app.db import driver_rows

    engine = _engine(tmp_path)
    log = sa.table("log", sa.column("writer", sa.String), sa.column("at", sa.Float))
    with engine.begin() as conn:
        conn.execute(log.insert(), [{"writer": name, "at": at} for name, at in (("a", 1.0), ("b", 2.0), ("c", 3.0))])
    with Session(engine) as session:
        rows = driver_rows(session, sa.select(log.c.writer, log.c.at).where(log.c.writer.in_(["a", "c"]))
                           .order_by(log.c.writer))
    assert rows == [("a", 1.0), ("c", 3.0)]
    assert all(type(row) is tuple for row in rows)
    engine.dispose()


def _rows_in_database_file(path: Path) -> int:
    """Rows of ``log`` in the main database file alone: ``immutable`` reads ignore the WAL, so
    only what a checkpoint has copied there counts."""
    connection = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return int(connection.execute("SELECT count(*) FROM log").fetchone()[0])
    finally:
        connection.close()


def test_the_wal_is_checkpointed_after_the_lock_every_so_many_rows(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import app.db

    monkeypatch.setattr(app.db, "CHECKPOINT_EVERY_ROWS", 5)
    engine = _engine(tmp_path)
    writers = engine.execution_options(sqlite_queue_writes=True)
    with writers.connect() as conn:
        # SQLite's own checkpoint (inside a COMMIT, while the lock is held) is off.
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    database = tmp_path / "queue.sqlite3"
    setup = sqlite3.connect(database)
    setup.execute("PRAGMA wal_checkpoint(FULL)").fetchall()  # the table itself, into the file
    setup.close()
    checkpointed_after_setup = _rows_in_database_file(database)
    for row in range(4):
        with writers.begin() as conn:
            conn.exec_driver_sql(f"INSERT INTO log VALUES ('w{row}', 0)")
    # Four rows: not due yet, they are in the WAL only.
    assert _rows_in_database_file(database) == checkpointed_after_setup == 0
    with writers.begin() as conn:
        conn.exec_driver_sql("INSERT INTO log VALUES ('w4', 0)")
    # The fifth row made it due: the writer checkpointed after its commit.
    assert _rows_in_database_file(database) == 5
    # Reading commits nothing and counts nothing.
    for _ in range(10):
        with writers.begin() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM log").scalar()
    with writers.begin() as conn:
        conn.exec_driver_sql("INSERT INTO log VALUES ('w5', 0)")
    assert _rows_in_database_file(database) == 5
    engine.dispose()
