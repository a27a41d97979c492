"""Sourcemark: source-attribution and bias annotation of news text."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Application factory: defaults, then environment, then ``config`` (tests) on top."""
    from app import cli, db, errors, security
    from app.config import default_config, ensure_secret_key, load_environment
    from app.sanitize import render_definition
    from app.views import register_blueprints

    app = Flask(
        __name__,
        static_folder=str(ROOT / "static"),
        template_folder=str(ROOT / "templates"),
        instance_path=str(ROOT / "instance"),
    )
    instance = Path(app.instance_path)
    app.config.from_mapping(default_config(instance))
    load_environment(app.config)
    if config:
        app.config.from_mapping(config)
    if app.config["DATABASE_URL"].startswith("sqlite:///") and app.config["DATABASE_URL"].startswith(
        f"sqlite:///{instance}"
    ):
        instance.mkdir(parents=True, exist_ok=True)
    ensure_secret_key(app.config, instance)
    if app.config["SOURCEMARK_ENV"] == "production":
        app.config.update(DEBUG=False, SESSION_COOKIE_SECURE=True, PREFERRED_URL_SCHEME="https")
    if not app.debug:
        logging.basicConfig(level=logging.WARNING)
        logging.getLogger("sourcemark").setLevel(logging.INFO)

    db.init_app(app)
    security.init_app(app)
    errors.register_error_handlers(app)
    register_blueprints(app)

    @app.url_value_preprocessor
    def _ids_in_range(_endpoint: str | None, values: dict[str, object] | None) -> None:
        # An id beyond the id columns' range names no row: 404 here, before PostgreSQL refuses it.
        from app.errors import NotFound
        from app.models.base import MAX_ID

        for value in (values or {}).values():
            if isinstance(value, int) and value > MAX_ID:
                raise NotFound()
    app.jinja_env.globals["render_definition"] = render_definition
    cli.init_app(app)
    return app
