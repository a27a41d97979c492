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
