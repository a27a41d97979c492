"""Migrations: one head, upgrade on an empty database, and no drift from the models."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from app.migrate import alembic_config, upgrade


def test_single_head_and_no_model_drift(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    config = alembic_config(url)
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
    upgrade(url)
    command.check(config)  # raises if the models differ from the migrated schema
