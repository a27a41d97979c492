"""The route table of the security tests: every rule of ``app.url_map`` with the URL parameters,
a valid body and the status each role gets (used by the access matrix and the CSRF tests)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from tests.conftest import PASSWORD, find_span, seed_document_id
from tests.security.support import (
    QUOTE,
    codebook_body,
    make_assignment,
    make_claim,
    make_marker,
    make_speaker,
    make_user,
    role_client,
    unique,
)

Params = Callable[[Flask, str], dict[str, Any]]
Body = Callable[[Flask, str], Any]
LOGIN = "login"  # anonymous HTML: 302 to /login?next=…


def _document(app: Flask, role: str) -> dict[str, Any]:
    return {"document_id": seed_document_id(app)}


def _claim(app: Flask, role: str) -> dict[str, Any]:
    return {"claim_id": make_claim(app, "annotator1")}  # a fresh claim of annotator1 for every call


def _marker(app: Flask, role: str) -> dict[str, Any]:
    return {"marker_id": make_marker(app, "annotator1")}


def _assignment(app: Flask, role: str) -> dict[str, Any]:
    return {"assignment_id": make_assignment(app, "annotator1")}


def _speaker(app: Flask, role: str) -> dict[str, Any]:
    return {"slug": "demo", "speaker_id": make_speaker(app)}


def _demo(app: Flask, role: str) -> dict[str, Any]:
    return {"slug": "demo"}


def _demo_document(app: Flask, role: str) -> dict[str, Any]:
    return {"slug": "demo", "document_id": seed_document_id(app)}


def _claim_in_demo(app: Flask, role: str) -> dict[str, Any]:
    return {"slug": "demo", "claim_id": make_claim(app, "annotator1")}


def _speaker_in_demo(app: Flask, role: str) -> dict[str, Any]:
    return {"slug": "demo", "speaker_id": make_speaker(app)}


def _revision(app: Flask, role: str) -> dict[str, Any]:
    """A second revision of the seed article (the same text again returns the same document)."""
    from tests.conftest import SEED
    from tests.security.support import import_document

    text = SEED.read_text(encoding="utf-8") + "\n\nA closing paragraph added by the editors."
    return {"document_id": import_document(app, {"title": "Tavush clashes", "text": text,
                                                 "external_id": "trt-tavush"})}


def _none(app: Flask, role: str) -> dict[str, Any]:
    return {}


def _claim_span(app: Flask) -> tuple[int, int]:
    return find_span(app, seed_document_id(app), QUOTE)


def _new_text(app: Flask, role: str) -> dict[str, Any]:
    name = unique("Article ")
    return {"title": name, "text": f"{name} opens here.\n\nIts second paragraph."}


def _merge_ids(app: Flask, role: str) -> dict[str, Any]:
    return {"source": make_speaker(app), "target": make_speaker(app)}


@dataclass
class Route:
    params: Params
    expect: dict[str, int | str]
    body: Body | None = None
    form: bool = False  # the body is form data (HTML), else JSON
    query: str = ""
    #: roles that get a 2xx/3xx answer but must change nothing (e.g. a form ignored for non-admins)
    inert: frozenset[str] = field(default_factory=frozenset)
    project_scoped: bool = True


def expect(ok: int, *, anonymous: int | str | None = None, outsider: int = 404, annotators: int | None = None,
           annotator1: int | None = None, annotator2: int | None = None, curator: int | None = None,
           admin: int | None = None) -> dict[str, int | str]:
    table: dict[str, int | str] = {"outsider": outsider, "annotator1": ok, "annotator2": ok, "curator": ok,
                                   "admin": ok}
    if annotators is not None:
        table["annotator1"] = table["annotator2"] = annotators
    for role, value in (("annotator1", annotator1), ("annotator2", annotator2), ("curator", curator),
                        ("admin", admin)):
        if value is not None:
            table[role] = value
    table["anonymous"] = anonymous if anonymous is not None else LOGIN
    return table


API = 401  # anonymous API call
CURATORS_ONLY = {"annotators": 403}
def owner_only(ok: int, **extra: Any) -> dict[str, int | str]:
    """The owner (annotator1) may change their claim/marker; annotator2 does not even see it (blind
    project); curators and admins see it but never edit another annotator's row."""
    return expect(ok, anonymous=extra.pop("anonymous", LOGIN), annotator2=404, curator=403, admin=403, **extra)


MATRIX: dict[tuple[str, str], Route] = {
    # -- pages -------------------------------------------------------------------------------
    ("/", "GET"): Route(_none, {**expect(302, outsider=302), "anonymous": 302}, project_scoped=False),
    ("/login", "GET"): Route(_none, {**expect(200, outsider=200), "anonymous": 200}, project_scoped=False),
    ("/login", "POST"): Route(_none, {**expect(401, outsider=401), "anonymous": 401}, form=True,
                              body=lambda app, role: {"username": role, "password": "not the password"},
                              project_scoped=False),
    ("/logout", "POST"): Route(_none, {**expect(302, outsider=302), "anonymous": 302}, form=True,
                               body=lambda app, role: {}, project_scoped=False),
    ("/account", "GET"): Route(_none, expect(200, outsider=200), project_scoped=False),
    ("/account", "POST"): Route(_none, expect(302, outsider=302), form=True, project_scoped=False,
                                body=lambda app, role: {"current": PASSWORD, "new": "a new password 123"}),
    ("/admin/users", "GET"): Route(_none, expect(404, outsider=404, admin=200), project_scoped=False),
    ("/admin/users", "POST"): Route(_none, expect(404, outsider=404, admin=302), form=True, project_scoped=False,
                                    body=lambda app, role: {"username": unique("new"), "password": PASSWORD}),
    ("/projects", "GET"): Route(_none, expect(200, outsider=200), project_scoped=False),
    # Only site admins create projects; anyone else is told so (403) and nothing is created.
    ("/projects", "POST"): Route(_none, expect(403, outsider=403, admin=302), form=True, project_scoped=False,
                                 body=lambda app, role: {"slug": unique("p"), "name": "New project"}),
    ("/projects/<slug>", "GET"): Route(_demo, expect(200)),
    ("/projects/<slug>/import", "POST"): Route(_demo, expect(302), form=True, body=_new_text),
    ("/projects/<slug>/members", "POST"): Route(_demo, expect(302, **CURATORS_ONLY), form=True,
                                                body=lambda app, role: {"username": make_user(app),
                                                                        "role": "annotator"}),
    ("/projects/<slug>/assignments", "GET"): Route(_demo, expect(200, **CURATORS_ONLY)),
    ("/projects/<slug>/assignments", "POST"): Route(_demo, expect(302, **CURATORS_ONLY), form=True, body=lambda app, role: {
        "rule-per_document": "1", "rule-reliability_percent": "0", "rule-seed": "3", "rule-submit": "y"}),
    ("/projects/<slug>/balance", "GET"): Route(_demo, expect(200)),
    ("/projects/<slug>/balance.csv", "GET"): Route(_demo, expect(200), query="table=speakers"),
    ("/projects/<slug>/balance.svg", "GET"): Route(_demo, expect(200), query="chart=stances"),
    ("/projects/<slug>/codebook", "GET"): Route(_demo, expect(200)),
    ("/projects/<slug>/codebook.json", "GET"): Route(_demo, expect(200)),
    ("/projects/<slug>/export", "GET"): Route(_demo, expect(200), query="format=csv&empty_ok=1"),
    ("/projects/<slug>/speakers", "GET"): Route(_demo, expect(200)),
    ("/projects/<slug>/speakers", "POST"): Route(_demo, expect(302), form=True,
                                                 body=lambda app, role: {"name": unique("Form Speaker "),
                                                                         "side": "armenia", "type": ""}),
    ("/projects/<slug>/speakers/merge", "POST"): Route(_demo, expect(302, **CURATORS_ONLY), form=True,
                                                       body=_merge_ids),
    ("/projects/<slug>/codebook/edit", "GET"): Route(_demo, expect(200, **CURATORS_ONLY)),
    ("/projects/<slug>/codebook/edit", "POST"): Route(_demo, expect(302, **CURATORS_ONLY), form=True, body=lambda app, role: {
        "codebook_file": (io.BytesIO(json.dumps(codebook_body(app)).encode()), "codebook.json")}),
    ("/projects/<slug>/agreement", "GET"): Route(_demo, expect(200, **CURATORS_ONLY)),
    ("/projects/<slug>/agreement/matrix.csv", "GET"): Route(_demo, expect(200, **CURATORS_ONLY),
                                                            query="field=attribution"),
    ("/projects/<slug>/adjudicate", "GET"): Route(_demo, expect(200, **CURATORS_ONLY)),
    ("/projects/<slug>/adjudicate/<int:document_id>", "GET"): Route(_demo_document, expect(200, **CURATORS_ONLY)),
    ("/projects/<slug>/adjudicate/<int:document_id>", "POST"): Route(
        _demo_document, expect(302, **CURATORS_ONLY), form=True, body=lambda app, role: {"base": str(make_claim(app))}),
    ("/documents/<int:document_id>/changes", "GET"): Route(_revision, expect(200)),
    ("/projects/<slug>/export/labelstudio-config.xml", "GET"): Route(_demo, expect(200)),
    ("/projects/<slug>/search", "GET"): Route(_demo, expect(200), query="q=Armenia"),
    ("/projects/<slug>/speakers/<int:speaker_id>", "GET"): Route(_speaker_in_demo, expect(200)),
    ("/projects/<slug>/factcheck", "GET"): Route(_demo, expect(200)),
    ("/projects/<slug>/factcheck.csv", "GET"): Route(_demo, expect(200)),
    ("/projects/<slug>/factcheck/<int:claim_id>", "GET"): Route(_claim_in_demo, expect(200, annotator2=404)),
    ("/projects/<slug>/factcheck/<int:claim_id>", "POST"): Route(
        _claim_in_demo, owner_only(302), form=True,
        body=lambda app, role: {"version": "1", "status": "false", "rating_text": "False", "checked_by": "",
                                "checked_at": ""}),
    ("/documents/<int:document_id>", "GET"): Route(_document, expect(200)),
    ("/documents/<int:document_id>/claims", "POST"): Route(_document, expect(302), form=True, body=lambda app, role: {
        "content": "{}-{}".format(*_claim_span(app)), "attribution": "direct", "speaker": "Aliyev", "note": "form"}),
    ("/claims/<int:claim_id>/delete", "POST"): Route(_claim, owner_only(302), form=True, body=lambda app, role: {}),
    # -- JSON API ----------------------------------------------------------------------------
    ("/api/openapi.json", "GET"): Route(_none, {**expect(200, outsider=200), "anonymous": 200},
                                        project_scoped=False),
    ("/api/v1/projects/<slug>/search", "GET"): Route(_demo, expect(200, anonymous=API), query="q=Armenia"),
    ("/api/v1/documents/<int:document_id>/suggestions", "GET"): Route(_document, expect(200, anonymous=API)),
    ("/api/v1/documents/<int:document_id>/suggestions/dismiss", "POST"): Route(
        _document, expect(204, anonymous=API), body=lambda app, role: {"key": "0123456789abcdef"}),
    ("/api/v1/projects", "GET"): Route(_none, expect(200, outsider=200, anonymous=API), project_scoped=False),
    ("/api/v1/projects", "POST"): Route(_none, expect(403, outsider=403, admin=201, anonymous=API),
                                        body=lambda app, role: {"slug": unique("api-"), "name": "API project"},
                                        project_scoped=False),
    ("/api/v1/projects/<slug>", "PATCH"): Route(_demo, expect(200, anonymous=API, **CURATORS_ONLY),
                                                body=lambda app, role: {"name": "Demo project, renamed"}),
    ("/api/v1/projects/<slug>/agreement", "GET"): Route(_demo, expect(200, anonymous=API, **CURATORS_ONLY)),
    ("/api/v1/documents/<int:document_id>/gold", "POST"): Route(
        _document, expect(201, anonymous=API, **CURATORS_ONLY), body=lambda app, role: {"base": make_claim(app)}),
    ("/api/v1/projects/<slug>/assignments", "GET"): Route(_demo, expect(200, anonymous=API)),
    ("/api/v1/projects/<slug>/assignments", "POST"): Route(_demo, expect(201, anonymous=API, **CURATORS_ONLY),
                                                           body=lambda app, role: {"per_document": 1, "seed": 2}),
    ("/api/v1/projects/<slug>/balance", "GET"): Route(_demo, expect(200, anonymous=API)),
    ("/api/v1/projects/<slug>/codebook", "GET"): Route(_demo, expect(200, anonymous=API)),
    ("/api/v1/projects/<slug>/codebook", "PUT"): Route(_demo, expect(200, anonymous=API, **CURATORS_ONLY),
                                                       body=lambda app, role: codebook_body(app)),
    ("/api/v1/projects/<slug>/documents", "GET"): Route(_demo, expect(200, anonymous=API)),
    ("/api/v1/projects/<slug>/documents", "POST"): Route(_demo, expect(201, anonymous=API), body=_new_text),
    ("/api/v1/projects/<slug>/export", "GET"): Route(_demo, expect(200, anonymous=API), query="format=jsonl"),
    ("/api/v1/projects/<slug>/members", "POST"): Route(_demo, expect(201, anonymous=API, **CURATORS_ONLY),
                                                       body=lambda app, role: {"user": make_user(app),
                                                                               "role": "annotator"}),
    ("/api/v1/projects/<slug>/progress", "GET"): Route(_demo, expect(200, anonymous=API, **CURATORS_ONLY)),
    ("/api/v1/projects/<slug>/speakers", "GET"): Route(_demo, expect(200, anonymous=API)),
    ("/api/v1/projects/<slug>/speakers", "POST"): Route(_demo, expect(201, anonymous=API),
                                                        body=lambda app, role: {"name": unique("API Speaker "),
                                                                                "side": "armenia"}),
    ("/api/v1/projects/<slug>/speakers/<int:speaker_id>", "PATCH"): Route(
        _speaker, expect(200, anonymous=API), body=lambda app, role: {"role": f"Role set by {role}"}),
    ("/api/v1/projects/<slug>/speakers/merge", "POST"): Route(_demo, expect(200, anonymous=API, **CURATORS_ONLY),
                                                              body=_merge_ids),
    ("/api/v1/assignments/<int:assignment_id>", "PATCH"): Route(
        _assignment, expect(200, anonymous=API, annotator2=404), body=lambda app, role: {"status": "done"}),
    ("/api/v1/claims/<int:claim_id>", "GET"): Route(_claim, expect(200, anonymous=API, annotator2=404)),
    ("/api/v1/claims/<int:claim_id>", "PATCH"): Route(_claim, owner_only(200, anonymous=API),
                                                      body=lambda app, role: {"version": 1, "note": "changed"}),
    ("/api/v1/claims/<int:claim_id>", "DELETE"): Route(_claim, owner_only(204, anonymous=API)),
    ("/api/v1/documents/<int:document_id>", "GET"): Route(_document, expect(200, anonymous=API)),
    ("/api/v1/documents/<int:document_id>/balance", "GET"): Route(_document, expect(200, anonymous=API)),
    ("/api/v1/documents/<int:document_id>/claims", "GET"): Route(_document, expect(200, anonymous=API)),
    ("/api/v1/documents/<int:document_id>/claims", "POST"): Route(_document, expect(201, anonymous=API), body=lambda app, role: {
        "content": [dict(zip(("start", "end"), _claim_span(app), strict=True))], "attribution": "direct",
        "speaker": "Aliyev"}),
    ("/api/v1/documents/<int:document_id>/labels", "GET"): Route(_document, expect(200, anonymous=API)),
    ("/api/v1/documents/<int:document_id>/labels", "PUT"): Route(_document, expect(200, anonymous=API),
                                                                 body=lambda app, role: {"outlet": "TRT World"}),
    ("/api/v1/documents/<int:document_id>/markers", "GET"): Route(_document, expect(200, anonymous=API)),
    ("/api/v1/documents/<int:document_id>/markers", "POST"): Route(_document, expect(201, anonymous=API), body=lambda app, role: {
        "span": dict(zip(("start", "end"), find_span(app, seed_document_id(app), "unacceptable"), strict=True)),
        "bias_type": "loaded_language"}),
    ("/api/v1/markers/<int:marker_id>", "PATCH"): Route(_marker, owner_only(200, anonymous=API),
                                                        body=lambda app, role: {"version": 1, "note": "changed"}),
    ("/api/v1/markers/<int:marker_id>", "DELETE"): Route(_marker, owner_only(204, anonymous=API)),
}

KEYS = sorted(MATRIX)


def app_rules(app: Flask) -> set[tuple[str, str]]:
    return {(rule.rule, method) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def build_path(rule: str, params: dict[str, Any], query: str = "") -> str:
    path = re.sub(r"<(?:[a-z]+:)?(\w+)>", lambda m: str(params[m.group(1)]), rule)
    return f"{path}?{query}" if query else path


def prepare(app: Flask, role: str, key: tuple[str, str]) -> tuple[dict[str, Any], Any]:
    """URL parameters and body for one call (may create fresh objects, so call before a digest)."""
    route = MATRIX[key]
    return route.params(app, role), (route.body(app, role) if route.body else None)


def send(app: Flask, role: str, key: tuple[str, str], params: dict[str, Any], body: Any,
         headers: dict[str, str] | None = None) -> Any:
    rule, method = key
    route = MATRIX[key]
    client = role_client(app, role)
    path = build_path(rule, params, route.query)
    if route.form:
        return client.call(method, path, data=body if body is not None else {}, headers=headers)
    return client.call(method, path, json=body, headers=headers)


