"""The OpenAPI document (app/openapi.py, GET /api/openapi.json): valid OpenAPI 3.1, complete
against the URL map, and true of the running app.

Validation: ``openapi-spec-validator`` (the OAS 3.1 schema; Schema Objects against JSON Schema
2020-12), plus a check that every ``$ref`` resolves and every component schema passes the
2020-12 meta-schema (``jsonschema``), since the validator does not follow every reference.

Conformance (schemathesis, in-process over WSGI, bearer tokens from ``flask users token``):
every request below is checked for no server error, a documented status code and content
type, and a body matching the documented schema.

1. A scenario drives every operation to a success answer with realistic data (two annotators
   coding the seed article, gold, labels, markers, revisions, exports in every format), so the
   rich response shapes are checked, not only error bodies.
2. schemathesis then fuzzes every operation as the ``curator``: positive and negative examples,
   with generated path parameters (mostly ids that do not exist: the 404 paths) and with the
   path pinned to real objects (the services' validation paths). Few examples per operation,
   derandomized: reproducible, and the module runs in well under a minute on 2 cores.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.openapi import openapi_document
from tests.conftest import TEST_DB, find_span, seed_document_id

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Examples per operation, for each path flavour (generated / pinned to real objects).
POSITIVE_EXAMPLES = 25
NEGATIVE_EXAMPLES = 10

# KNOWN DEFECT (PostgreSQL only; reported, not fixed here): ids beyond PostgreSQL's INTEGER
# (2**31 - 1) reach the database and the driver fails ("integer out of range": the id columns are
# INTEGER and SQLAlchemy casts the bound value), so the API answers 500 instead of 404/422. The
# edge check in app/security.py (check_request_values) stops only what SQLite cannot hold
# (beyond 2**63 - 1). It affects every <int:…> route, ``after`` of the document list (the app
# allows up to 2**62), ``documents`` of the export, and the ids in bodies (claim speaker, merge
# source/target, gold base/choose, assignment documents). On PostgreSQL the fuzzing leaves such
# cases out, so that it can find anything else; test_known_defects keeps each one visible
# (strict xfail) until app code bounds ids. Remove the filter when it is fixed.
# Fixed: ids beyond the columns' range are answered 404/422 (app/__init__.py, app/models/base.py
# is_id), so the fuzzing now covers them on PostgreSQL too.
DB_INTEGER_LIMIT = None
# Where ids reach the database: path parameters, these query parameters and these body keys.
ID_QUERY_KEYS = ("documents", "after")
ID_BODY_KEYS = ("speaker", "source", "target", "base", "choose", "documents")


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _routes(app: Flask) -> set[tuple[str, str]]:
    """(METHOD, OpenAPI path) of every API rule of the URL map."""
    return {(method, _openapi_path(rule.rule)) for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")
            for method in rule.methods or () if method not in ("HEAD", "OPTIONS")}


def _documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item
            if method in HTTP_METHODS}


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def _dangling_refs(document: dict[str, Any]) -> list[str]:
    dangling = []
    for reference in sorted(set(_refs(document))):
        try:
            _resolve(document, {"$ref": reference})
        except (KeyError, TypeError):
            dangling.append(reference)
    return dangling


def _token(runner: Any, name: str) -> str:
    result = runner.invoke(args=["users", "token", name])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


# --------------------------------------------------------------------------------------------
# (a) a valid OpenAPI 3.1 document, served publicly
# --------------------------------------------------------------------------------------------


def test_document_is_served_without_login_and_is_valid_openapi_3_1(client: Any) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"].startswith("3.1.")
    assert document["servers"] == [{"url": "http://localhost"}]  # the host the request reached
    OpenAPIV31SpecValidator(document).validate()  # raises OpenAPIValidationError naming the place
    assert _dangling_refs(document) == []
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_the_validation_is_not_vacuous() -> None:
    broken = openapi_document("http://localhost")
    broken["components"]["schemas"]["Claim"]["properties"]["id"]["type"] = "int"
    assert list(OpenAPIV31SpecValidator(broken).iter_errors())
    broken = openapi_document("http://localhost")
    broken["paths"]["/api/v1/projects"]["post"]["requestBody"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/NoSuchSchema"}
    assert _dangling_refs(broken) == ["#/components/schemas/NoSuchSchema"]


def test_server_url_comes_from_the_request(client: Any) -> None:
    document = client.get("/api/openapi.json", base_url="https://annotate.example.org").get_json()
    assert document["servers"] == [{"url": "https://annotate.example.org"}]


def test_document_is_a_fresh_copy_each_time() -> None:
    first = openapi_document("http://a")
    first["components"]["schemas"]["Error"]["required"].append("mutated")
    assert "mutated" not in openapi_document("http://a")["components"]["schemas"]["Error"]["required"]


# --------------------------------------------------------------------------------------------
# (b) every API route is described, and nothing else
# --------------------------------------------------------------------------------------------


def test_document_describes_exactly_the_routes_of_the_url_map(app: Flask) -> None:
    routes = _routes(app)
    documented = _documented(openapi_document("http://localhost"))
    assert any(path.startswith("/api/v1/") for _, path in routes), "no /api/v1 routes found"
    assert sorted(documented - routes) == [], "described in app/openapi.py but not routed"
    assert sorted(routes - documented) == [], "routed but not described in app/openapi.py"


def test_path_parameters_are_typed_like_the_url_converters(app: Flask) -> None:
    document = openapi_document("http://localhost")
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        item = document["paths"][_openapi_path(rule.rule)]
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            declared = [_resolve(document, p) for p in
                        item.get("parameters", []) + item[method.lower()].get("parameters", [])]
            in_path = {p["name"]: p["schema"] for p in declared if p["in"] == "path"}
            assert set(in_path) == set(rule.arguments), (method, rule.rule)
            for name, converter in rule._converters.items():
                expected = "integer" if type(converter).__name__ == "IntegerConverter" else "string"
                assert in_path[name]["type"] == expected, (method, rule.rule, name)


def test_every_operation_documents_its_errors_with_the_error_object() -> None:
    document = openapi_document("http://localhost")
    error = {"$ref": "#/components/schemas/Error"}
    for path, item in document["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            statuses = set(op["responses"])
            assert {"401", "422", "503"} <= statuses, (method, path)
            if "requestBody" in op:
                assert {"400", "413", "422"} <= statuses, (method, path)
            if "{" in path:
                assert "404" in statuses, (method, path)
            for status, response in op["responses"].items():
                if status.startswith(("4", "5")):
                    assert _resolve(document, response)["content"] == {"application/json": {"schema": error}}


def test_export_describes_every_writer_and_its_media_type() -> None:
    from app.export import WRITERS

    document = openapi_document("http://localhost")
    op = document["paths"]["/api/v1/projects/{slug}/export"]["get"]
    assert set(op["responses"]["200"]["content"]) == {f.media_type for f in WRITERS.values()}
    formats = next(p for p in op["parameters"] if p.get("name") == "format")
    assert formats["schema"]["enum"] == list(WRITERS)


# --------------------------------------------------------------------------------------------
# (c) the running app conforms: a scenario of successes, then schemathesis
# --------------------------------------------------------------------------------------------


class Api:
    """Requests through schemathesis (case.call over WSGI), each checked against the document."""

    def __init__(self, schema: Any, tokens: dict[str, str]) -> None:
        self.schema = schema
        self.headers = {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}
        self.succeeded: set[tuple[str, str]] = set()

    def __call__(self, user: str | None, method: str, path: str, expect: int, body: Any = None,
                 headers: dict[str, str] | None = None, **params: Any) -> Any:
        operation = self.schema[path][method]
        names = {p.name for p in operation.path_parameters}
        kwargs: dict[str, Any] = {"path_parameters": {k: v for k, v in params.items() if k in names},
                                  "query": {k: v for k, v in params.items() if k not in names}}
        if body is not None:
            kwargs.update(body=body, media_type="application/json")
        case = operation.Case(**kwargs)
        sent = {**(self.headers[user] if user else {}), **(headers or {})}
        response = case.call(headers=sent)
        case.validate_response(response, checks=CHECKS, headers=sent)
        assert response.status_code == expect, f"{method} {path} {params}: {response.text[:500]}"
        if response.status_code < 300:
            self.succeeded.add((method, path))
        return response


def _scenario(app: Flask, api: Api) -> dict[str, Any]:
    """Every operation answered with success on realistic data; returns objects to pin paths to."""
    document_id = seed_document_id(app)
    doc = {"document_id": document_id}
    api("curator", "GET", "/api/v1/projects", 200)
    api("admin", "POST", "/api/v1/projects", 201, {"slug": "scenario", "name": "Scenario project"})
    api("admin", "POST", "/api/v1/projects", 409, {"slug": "scenario", "name": "Again"})
    api("curator", "POST", "/api/v1/projects", 403, {"slug": "other-one", "name": "Not for curators"})
    api(None, "GET", "/api/v1/projects", 401)
    api(None, "GET", "/api/v1/projects", 401, headers={"Authorization": "Bearer not-a-token"})
    api(None, "POST", "/api/v1/projects/{slug}/speakers", 400, {"name": "No token, no CSRF token"}, slug="demo")
    api("curator", "PATCH", "/api/v1/projects/{slug}", 200, {"blind": True, "assigned_only": False}, slug="demo")
    api("curator", "POST", "/api/v1/projects/{slug}/members", 201, {"user": "annotator2", "role": "annotator"},
        slug="demo")
    api("annotator1", "POST", "/api/v1/projects/{slug}/members", 403, {"user": "annotator2", "role": "curator"},
        slug="demo")
    api("outsider", "GET", "/api/v1/projects/{slug}/codebook", 404, slug="demo")

    codebook = api("curator", "GET", "/api/v1/projects/{slug}/codebook", 200, slug="demo").json()
    codebook.pop("version")
    codebook["fields"]["genre"].append({"code": "explainer", "label": "Explainer", "definition": "Background."})
    api("curator", "PUT", "/api/v1/projects/{slug}/codebook", 200, codebook, slug="demo")

    speaker = api("curator", "POST", "/api/v1/projects/{slug}/speakers", 201,
                  {"name": "Scenario Speaker", "aliases": ["S. Speaker"], "type": "person", "side": "turkey",
                   "country": "tr", "wikidata": "Q42"}, slug="demo").json()
    api("curator", "POST", "/api/v1/projects/{slug}/speakers", 409, {"name": "scenario speaker"}, slug="demo")
    api("curator", "POST", "/api/v1/projects/{slug}/speakers", 422, {"name": "Sideless", "side": "mars"},
        slug="demo")
    twin = api("annotator1", "POST", "/api/v1/projects/{slug}/speakers", 201, {"name": "Speaker Twin"},
               slug="demo").json()
    api("annotator1", "PATCH", "/api/v1/projects/{slug}/speakers/{speaker_id}", 200, {"role": "Minister"},
        slug="demo", speaker_id=twin["id"])
    api("curator", "POST", "/api/v1/projects/{slug}/speakers/merge", 200,
        {"source": twin["id"], "target": speaker["id"]}, slug="demo")
    api("curator", "GET", "/api/v1/projects/{slug}/speakers", 200, slug="demo")

    article = {"title": "Scenario article", "text": "First paragraph of the scenario.\n\nA second one, said he.",
               "external_id": "scenario-1", "published": "2020-07-15", "source": "Scenario Wire",
               "url": "https://example.org/scenario", "author": "A. Writer", "meta": {"section": "world"}}
    api("curator", "POST", "/api/v1/projects/{slug}/documents", 201, article, slug="demo")
    api("curator", "POST", "/api/v1/projects/{slug}/documents", 200, article, slug="demo")
    revised = api("curator", "POST", "/api/v1/projects/{slug}/documents", 201,
                  {**article, "text": "First paragraph of the scenario, revised.\n\nA second one, said he."},
                  slug="demo").json()
    assert revised["status"] == "revision" and revised["previous"]
    api("annotator1", "POST", "/api/v1/projects/{slug}/documents", 201,
        {"documents": [{"title": "Batch one", "paragraphs": ["One.", "Two."]},
                       {"title": "Batch two", "html": "<p>Three.</p><p>Four.</p>"}, article]}, slug="demo")
    api("curator", "POST", "/api/v1/projects/{slug}/documents", 422, {"title": "No text"}, slug="demo")
    page = api("curator", "GET", "/api/v1/projects/{slug}/documents", 200, slug="demo", limit=2).json()
    assert page["next"]
    api("curator", "GET", "/api/v1/projects/{slug}/documents", 200, slug="demo", q="scenario")
    api("curator", "GET", "/api/v1/documents/{document_id}", 200, **doc)
    api("curator", "GET", "/api/v1/documents/{document_id}", 404, document_id=10**6)

    api("curator", "POST", "/api/v1/projects/{slug}/assignments", 201,
        {"documents": [document_id], "annotators": ["annotator1", "annotator2"], "seed": 7}, slug="demo")
    api("curator", "POST", "/api/v1/projects/{slug}/assignments", 201,
        {"per_document": 1, "reliability_percent": 50, "seed": 3}, slug="demo")
    assignments = api("curator", "GET", "/api/v1/projects/{slug}/assignments", 200, slug="demo").json()["items"]
    mine = next(a for a in assignments if a["user"] == "annotator1" and a["document"] == document_id)
    api("annotator1", "PATCH", "/api/v1/assignments/{assignment_id}", 200, {"status": "in_progress"},
        assignment_id=mine["id"])

    quote = find_span(app, document_id, "What Armenia did is unacceptable. It must get back to its senses,")
    cue = find_span(app, document_id, "he said")
    source = (cue[0], cue[0] + 2)
    claim_body = {
        "content": [{"start": quote[0], "end": quote[1],
                     "text": "What Armenia did is unacceptable. It must get back to its senses,"}],
        "source_span": {"start": source[0], "end": source[1]}, "cue_span": {"start": cue[0] + 3, "end": cue[1]},
        "speaker": speaker["id"], "attribution": "direct", "source_specificity": "named_person",
        "speaker_resolution": "coreference", "cue_valence": "neutral",
        "stances": [{"target": "T2", "value": "against"}, {"target": "T1", "value": "favor"}],
        "claim_type": "opinion", "check_worthiness": "NFS", "note": "scenario",
        "verification": {"status": "unverified", "rating_text": "n/a", "evidence": ["https://example.org/e"]},
    }
    path = "/api/v1/documents/{document_id}/claims"
    first = api("annotator1", "POST", path, 201, {**claim_body, "client_id": "scenario-1"}, **doc).json()
    api("annotator1", "POST", path, 200, {**claim_body, "client_id": "scenario-1"}, **doc)
    second = api("annotator2", "POST", path, 201, {**claim_body, "attribution": "mixed", "speaker": "S. Speaker",
                                                  "stances": [{"target": "T2", "value": "neutral"}]}, **doc).json()
    api("annotator1", "POST", path, 201, {"content": [{"start": quote[0], "end": quote[0] + 12}],
                                          "attribution": "authorial"}, **doc)
    api("annotator1", "POST", path, 422, {**claim_body, "content": [{"start": 0, "end": 5, "text": "wrong"}]},
        **doc)
    api("annotator1", "POST", path, 403, {**claim_body, "layer": "gold"}, **doc)
    api("annotator1", "GET", path, 200, **doc)
    api("annotator1", "GET", path, 403, annotator="annotator2", **doc)
    api("curator", "GET", path, 200, annotator="annotator2", **doc)
    api("curator", "GET", path, 422, annotator="nobody", **doc)
    claim_path = "/api/v1/claims/{claim_id}"
    api("annotator1", "GET", claim_path, 200, claim_id=first["id"])
    changed = api("annotator1", "PATCH", claim_path, 200, {"version": first["version"], "note": "changed",
                                                           "stances": [{"target": "T2", "value": "against"}]},
                  claim_id=first["id"]).json()
    api("annotator1", "PATCH", claim_path, 409, {"version": first["version"], "note": "stale"},
        claim_id=first["id"])
    api("annotator2", "PATCH", claim_path, 404, {"version": changed["version"]}, claim_id=first["id"])

    marker_body = {"span": {"start": quote[0], "end": quote[0] + 12}, "bias_type": "loaded_language",
                   "target": "T2", "polarity": "negative", "note": "scenario"}
    marker = api("annotator1", "POST", "/api/v1/documents/{document_id}/markers", 201, marker_body, **doc).json()
    assert marker["in_quote"] is True
    api("annotator1", "PATCH", "/api/v1/markers/{marker_id}", 200, {"version": marker["version"], "note": "x"},
        marker_id=marker["id"])
    api("annotator1", "GET", "/api/v1/documents/{document_id}/markers", 200, **doc)
    curator_marker = api("curator", "POST", "/api/v1/documents/{document_id}/markers", 201,
                         {**marker_body, "layer": "gold"}, **doc).json()

    labels_path = "/api/v1/documents/{document_id}/labels"
    labels = {"outlet": "TRT World", "ownership": "state_public_broadcaster", "genre": "hard_news",
              "frame": "security_defense", "slant": {"T1": "favor"}, "omissions": "none", "notes": "n"}
    stored = api("annotator1", "PUT", labels_path, 200, labels, **doc).json()
    api("annotator1", "PUT", labels_path, 200, {**labels, "version": stored["version"], "genre": "explainer"},
        **doc)
    api("annotator1", "PUT", labels_path, 409, {**labels, "version": stored["version"]}, **doc)
    api("annotator1", "GET", labels_path, 200, **doc)
    api("curator", "GET", labels_path, 200, layer="gold", **doc)

    suggestions = api("annotator1", "GET", "/api/v1/documents/{document_id}/suggestions", 200, **doc).json()
    key = suggestions["items"][0]["key"] if suggestions["items"] else "0123456789abcdef"
    api("annotator1", "POST", "/api/v1/documents/{document_id}/suggestions/dismiss", 204, {"key": key}, **doc)

    gold = api("curator", "POST", "/api/v1/documents/{document_id}/gold", 201,
               {"base": first["id"], "choose": {"attribution": second["id"]}}, **doc).json()
    api("curator", "POST", "/api/v1/documents/{document_id}/gold", 409, {"base": first["id"]}, **doc)
    api("annotator1", "POST", "/api/v1/documents/{document_id}/gold", 403, {"base": first["id"]}, **doc)

    api("curator", "GET", "/api/v1/projects/{slug}/agreement", 200, slug="demo")
    api("curator", "GET", "/api/v1/projects/{slug}/agreement", 200, slug="demo", match="overlap")
    api("annotator1", "GET", "/api/v1/projects/{slug}/agreement", 403, slug="demo")
    api("curator", "GET", "/api/v1/documents/{document_id}/balance", 200, annotator="all", **doc)
    api("annotator1", "GET", "/api/v1/documents/{document_id}/balance", 200, **doc)
    api("curator", "GET", "/api/v1/projects/{slug}/balance", 200, slug="demo", date_from="2020", date_to="2021-01")
    api("curator", "GET", "/api/v1/projects/{slug}/balance", 200, slug="demo", layer="gold")
    api("curator", "GET", "/api/v1/projects/{slug}/balance", 422, slug="demo", date_from="July")
    api("curator", "GET", "/api/v1/projects/{slug}/progress", 200, slug="demo")
    api("annotator1", "GET", "/api/v1/projects/{slug}/progress", 403, slug="demo")
    api("curator", "GET", "/api/v1/projects/{slug}/search", 200, slug="demo", q="Armenia")
    api("curator", "GET", "/api/v1/projects/{slug}/search", 200, slug="demo", q="unacceptable", annotator="*")
    api("curator", "GET", "/api/v1/projects/{slug}/search", 422, slug="demo", q="Armenia", stance="T9=up")

    from app.export import WRITERS

    for fmt in WRITERS:
        api("curator", "GET", "/api/v1/projects/{slug}/export", 200, slug="demo", format=fmt)
    api("curator", "GET", "/api/v1/projects/{slug}/export", 200, slug="demo", format="jsonl", layer="gold")
    api("annotator1", "GET", "/api/v1/projects/{slug}/export", 200, slug="demo", format="csv")
    api("annotator1", "GET", "/api/v1/projects/{slug}/export", 403, slug="demo", format="csv", layer="gold")
    api("curator", "GET", "/api/v1/projects/{slug}/export", 422, slug="demo", format="xlsx")

    api("annotator1", "DELETE", "/api/v1/markers/{marker_id}", 204, marker_id=marker["id"])
    api("annotator2", "DELETE", claim_path, 409, claim_id=second["id"], version=second["version"] + 5)
    api("annotator2", "DELETE", claim_path, 204, claim_id=second["id"], version=second["version"])
    api("annotator2", "DELETE", claim_path, 404, claim_id=second["id"])

    return {"slug": "demo", "document_id": document_id, "claim_id": gold["id"], "marker_id": curator_marker["id"],
            "assignment_id": mine["id"], "speaker_id": speaker["id"]}


def _oversized(value: Any, limit: int, depth: int = 0) -> bool:
    """An integer (or a string of digits, as ids may be sent) beyond ``limit``."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) > limit
    if isinstance(value, str):
        return any(len(run) > 19 or int(run) > limit for run in re.findall(r"[0-9]{10,}", value))
    if depth == 0 and isinstance(value, dict):
        return any(_oversized(v, limit, 1) for v in value.values())
    if depth == 0 and isinstance(value, list):
        return any(_oversized(v, limit, 1) for v in value)
    return False


def _outside_known_defects(case: Any) -> bool:
    """False for the cases that would only meet the KNOWN DEFECT (see the top of the module)."""
    if DB_INTEGER_LIMIT is None:
        return True
    query = case.query or {}
    body = case.body if isinstance(case.body, dict) else {}
    ids = [*(case.path_parameters or {}).values(), *(query.get(k) for k in ID_QUERY_KEYS),
           *(body.get(k) for k in ID_BODY_KEYS)]
    return not any(_oversized(value, DB_INTEGER_LIMIT) for value in ids if value is not None)


def _fuzz(strategy: Any, examples: int, headers: dict[str, str]) -> None:
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], report_multiple_bugs=False,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy.filter(_outside_known_defects))
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()


METHOD_ORDER = {"GET": 0, "POST": 1, "PUT": 2, "PATCH": 3, "DELETE": 4}  # deletes last: pinned objects live on


def test_every_operation_conforms_to_the_document(app: Flask, runner: Any) -> None:
    tokens = {name: _token(runner, name) for name in ("admin", "curator", "annotator1", "annotator2", "outsider")}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    api = Api(schema, tokens)
    pinned = _scenario(app, api)
    documented = _documented(openapi_document("http://localhost"))
    assert sorted(documented - api.succeeded - {("GET", "/api/openapi.json")}) == [], \
        "operations the scenario never answered with success"

    headers = api.headers["curator"]
    operations = sorted((result.ok() for result in schema.get_all_operations()),
                        key=lambda op: (METHOD_ORDER.get(op.method.upper(), 9), op.path))
    assert {(op.method.upper(), op.path) for op in operations} == documented - {("GET", "/api/openapi.json")}
    failures: list[str] = []
    for operation in operations:
        names = {p.name for p in operation.path_parameters}
        runs: list[tuple[str, Callable[..., Any], int]] = []
        for mode, examples in ((GenerationMode.POSITIVE, POSITIVE_EXAMPLES),
                               (GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES)):
            runs.append((f"{mode.value}, generated path", operation.as_strategy(generation_mode=mode), examples))
            if names:
                runs.append((f"{mode.value}, pinned path", operation.as_strategy(
                    generation_mode=mode, path_parameters={name: pinned[name] for name in names}), examples))
        for label, strategy, examples in runs:
            try:
                _fuzz(strategy, examples, headers)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001  (schemathesis' FailureGroup too)
                failures.append(f"{operation.label} [{label}]:\n{exc}")
    assert not failures, "\n\n".join(failures)


# --------------------------------------------------------------------------------------------
# the known defects the fuzzing leaves out, kept visible until app code fixes them
# --------------------------------------------------------------------------------------------

BIG = 2**31  # past PostgreSQL's INTEGER, within SQLite's
ON_POSTGRESQL = TEST_DB == "postgresql"
CLAIM = {"content": [{"start": 0, "end": 8}], "attribution": "direct"}
DEFECTS = [
    # (id, fails on this database, method, path, body); see the report for causes and fixes.
    ("path id 2**31", False, "GET", f"/api/v1/documents/{BIG}", None),
    ("path id 2**31, body", False, "PATCH", f"/api/v1/claims/{BIG}", {"version": 1}),
    ("after 2**31", False, "GET", f"/api/v1/projects/demo/documents?after={BIG}", None),
    ("export documents 2**31", False, "GET", f"/api/v1/projects/demo/export?format=jsonl&documents={BIG}",
     None),
    ("claim speaker 2**31", False, "POST", "/api/v1/documents/{doc}/claims", {**CLAIM, "speaker": BIG}),
    ("claim speaker '2**31'", False, "POST", "/api/v1/documents/{doc}/claims",
     {**CLAIM, "speaker": str(BIG)}),
    ("merge source 2**31", False, "POST", "/api/v1/projects/demo/speakers/merge",
     {"source": BIG, "target": 1}),
    ("gold base 2**31", False, "POST", "/api/v1/documents/{doc}/gold", {"base": BIG}),
    ("assignment documents 2**31", False, "POST", "/api/v1/projects/demo/assignments",
     {"documents": [BIG]}),
    # str.isdigit() accepts digits int() refuses (superscripts): both databases.
    ("limit=superscript-2", False, "GET", "/api/v1/projects/demo/documents?limit=%C2%B2", None),
    ("version=superscript-2", False, "DELETE", "/api/v1/claims/1?version=%C2%B2", None),
    ("search page=superscript-2", False, "GET", "/api/v1/projects/demo/search?q=Armenia&page=%C2%B2", None),
    ("search speaker=superscript-2", False, "GET", "/api/v1/projects/demo/search?q=Armenia&speaker=%C2%B2", None),
]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [pytest.param(method, path, body, id=name,
                  marks=[pytest.mark.xfail(strict=True, reason="KNOWN DEFECT: answered 500")] if fails else [])
     for name, fails, method, path, body in DEFECTS])
def test_known_defects(app: Flask, runner: Any, method: str, path: str, body: Any) -> None:
    """Out-of-range ids and odd digits must be answered 2xx-4xx (not found, invalid), never 500."""
    headers = {"Authorization": f"Bearer {_token(runner, 'curator')}"}
    url = path.replace("{doc}", str(seed_document_id(app)))
    response = app.test_client().open(url, method=method, json=body, headers=headers)
    assert response.status_code < 500, response.get_data(as_text=True)


def test_project_slug_not_a_string(runner: Any, app: Flask) -> None:
    headers = {"Authorization": f"Bearer {_token(runner, 'admin')}"}
    response = app.test_client().post("/api/v1/projects", json={"slug": 5, "name": "Five"}, headers=headers)
    assert response.status_code == 422, response.get_data(as_text=True)


def test_next_page_keeps_the_query(runner: Any, app: Flask) -> None:
    headers = {"Authorization": f"Bearer {_token(runner, 'curator')}"}
    client = app.test_client()
    client.post("/api/v1/projects/demo/documents", json={"text": "Tavush again, second article."}, headers=headers)
    page = client.get("/api/v1/projects/demo/documents?limit=1&q=Tavush", headers=headers).get_json()
    assert page["next"] and "q=Tavush" in page["next"]
