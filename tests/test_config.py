"""Configuration: secrets from the environment, a generated development key shared by workers."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from app.config import ConfigError, ensure_secret_key


def test_workers_starting_together_share_one_generated_key(tmp_path: Path) -> None:
    configs: list[dict[str, str]] = [{} for _ in range(8)]
    threads = [threading.Thread(target=ensure_secret_key, args=(config, tmp_path)) for config in configs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    keys = {config["SECRET_KEY"] for config in configs}
    assert len(keys) == 1 and len(keys.pop()) >= 48
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temporary files left


@pytest.mark.parametrize("key", [None, "", "dev", "short-key", "changeme"])
def test_production_refuses_a_missing_or_weak_key(tmp_path: Path, key: str | None) -> None:
    config = {"SOURCEMARK_ENV": "production", "SECRET_KEY": key}
    with pytest.raises(ConfigError, match="strong SECRET_KEY"):
        ensure_secret_key(config, tmp_path)
    assert not (tmp_path / "secret_key").exists()


def test_environment_key_wins(tmp_path: Path) -> None:
    config = {"SECRET_KEY": "from-the-environment-" + "x" * 40}
    ensure_secret_key(config, tmp_path)
    assert config["SECRET_KEY"].startswith("from-the-environment-") and not (tmp_path / "secret_key").exists()
