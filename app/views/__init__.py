"""Blueprint registration: HTML pages and the JSON API never share a blueprint."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from app.views import admin, analysis, annotate, api, auth, corpus, openapi, projects

    for module in (auth, projects, annotate, analysis, corpus, admin, api, openapi):
        app.register_blueprint(module.bp)
