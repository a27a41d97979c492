"""Migrations: one head, upgrade on an empty database, and no drift from the models (both databases)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from app.migrate import alembic_config, upgrade
from tests.conftest import TEST_DB


@pytest.fixture
def empty_database(tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    if TEST_DB != "postgresql":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    server = request.getfixturevalue("postgres")
    admin = sa.create_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("CREATE DATABASE sourcemark_migrations")
    yield server.url("sourcemark_migrations")
    with admin.connect() as conn:
        conn.exec_driver_sql("DROP DATABASE sourcemark_migrations WITH (FORCE)")
    admin.dispose()


def test_single_head_and_no_model_drift(empty_database: str) -> None:
    config = alembic_config(empty_database)
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
    upgrade(empty_database)
    command.check(config)  # raises if the models differ from the migrated schema


def _down_and_up_again(database_url: str, engine: sa.Engine, revision: str, table: str, column: str,
                       query: str, written: list[Any]) -> None:
    """Downgrade to ``revision`` (the column goes), upgrade again: the backfill gives back exactly
    what the application wrote."""
    config = alembic_config(database_url)
    command.downgrade(config, revision)
    with engine.connect() as conn:
        assert column not in {c["name"] for c in sa.inspect(conn).get_columns(table)}
    command.upgrade(config, "head")
    with engine.connect() as conn:
        assert conn.execute(sa.text(query)).all() == written
    engine.dispose()


def test_segment_word_counts_are_kept_on_write_and_backfilled_by_0005(app: Any, as_user: Any,
                                                                      database_url: str) -> None:
    from tests.conftest import seed_document_id
    from tests.demo_fixture import annotate_demo

    annotate_demo(as_user("annotator1"), seed_document_id(app))
    app.extensions["sourcemark.engine"].dispose()
    engine = sa.create_engine(database_url)
    counted = "SELECT id, text, words FROM claim_segments ORDER BY id"
    with engine.connect() as conn:
        written = conn.execute(sa.text(counted)).all()
    assert len(written) >= 21
    assert all(words == len(text.split()) and words > 0 for _id, text, words in written)

    _down_and_up_again(database_url, engine, "0004", "claim_segments", "words", counted, written)


def test_speaker_folded_names_are_kept_on_write_and_backfilled_by_0006(app: Any, as_user: Any,
                                                                      database_url: str) -> None:
    api = as_user("curator")
    created = api.post("/api/v1/projects/demo/speakers", {"name": "Zoë Ağaoğlu", "aliases": ["Z. A.", "ZOE"]})
    assert created.status_code == 201, created.json
    renamed = api.patch(f"/api/v1/projects/demo/speakers/{created.json['id']}", {"aliases": ["Z_A%", "Agaoglu"]})
    assert renamed.status_code == 200, renamed.json
    app.extensions["sourcemark.engine"].dispose()
    engine = sa.create_engine(database_url)
    folded = "SELECT id, folded_names FROM speakers ORDER BY id"
    with engine.connect() as conn:
        written = conn.execute(sa.text(folded)).all()
    assert dict(written)[created.json["id"]] == "\nagaoglu\nz_a%\nzoe agaoglu\n"
    assert all(names.startswith("\n") and names.endswith("\n") for _id, names in written)

    _down_and_up_again(database_url, engine, "0005", "speakers", "folded_names", folded, written)
