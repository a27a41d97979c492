"""Bad input (security.md §4 A, B, C rows not covered in tests/views): wrong JSON types in every
field of every API body, NUL and lone surrogates in every text field, overlong strings, huge and
odd numbers, ids in URLs and query strings, sort/filter injection, ``next=`` variants, mass
assignment, and the HTML-to-text sanitizer. Every bad input is a 4xx (never a 500), the same on
SQLite and PostgreSQL, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from app.db import get_session
from app.models import Claim
from tests.conftest import PASSWORD, csrf_token, find_span, seed_document_id
from tests.security.support import (
    QUOTE,
    assert_no_traceback,
    codebook_body,
    db_digest,
    digest_diff,
    make_assignment,
    make_claim,
    make_marker,
    make_speaker,
    make_user,
    role_client,
    unique,
)

# -- the API bodies ---------------------------------------------------------------------------


@dataclass
class Body:
    name: str
    role: str
    method: str
    path: Callable[[Flask], str]
    body: Callable[[Flask], Any]
    #: dotted paths of long-text fields (where 100,000 characters may be fine)
    long_text: tuple[str, ...] = ()
    #: paths with a known defect, tested on their own (xfail) below
    known_defects: tuple[str, ...] = ()


def _doc(app: Flask) -> int:
    return seed_document_id(app)


def _span(app: Flask, needle: str = QUOTE) -> dict[str, int]:
    start, end = find_span(app, _doc(app), needle)
    return {"start": start, "end": end}


BODIES = [
    Body("create project", "admin", "POST", lambda app: "/api/v1/projects",
         lambda app: {"slug": unique("bad-"), "name": "A project"}),
    Body("add member", "curator", "POST", lambda app: "/api/v1/projects/demo/members",
         lambda app: {"user": make_user(app), "role": "annotator"}),
    Body("project settings", "curator", "PATCH", lambda app: "/api/v1/projects/demo",
         lambda app: {"name": "Renamed", "blind": True, "assigned_only": False}),
    Body("codebook", "curator", "PUT", lambda app: "/api/v1/projects/demo/codebook",
         lambda app: _small_codebook(app), long_text=("targets[0].description", "fields.attribution[0].definition")),
    Body("new speaker", "annotator1", "POST", lambda app: "/api/v1/projects/demo/speakers",
         lambda app: {"name": unique("Bad Input Speaker "), "aliases": ["Alias One"], "type": "person",
                      "role": "Minister", "affiliation": "Government", "side": "armenia", "country": "AM",
                      "wikidata": "Q42", "notes": "Some notes"}, long_text=("notes",)),
    Body("edit speaker", "annotator1", "PATCH",
         lambda app: f"/api/v1/projects/demo/speakers/{make_speaker(app)}",
         lambda app: {"name": unique("Renamed Speaker "), "aliases": ["Other"], "role": "Envoy", "side": "turkey"}),
    Body("merge speakers", "curator", "POST", lambda app: "/api/v1/projects/demo/speakers/merge",
         lambda app: {"source": make_speaker(app), "target": make_speaker(app)}),
    Body("import document", "curator", "POST", lambda app: "/api/v1/projects/demo/documents",
         lambda app: {"title": unique("Doc "), "text": unique("Body text ") + ".\n\nMore.", "source": "Wire",
                      "url": "https://example.org/a", "author": "A. Writer", "published": "2020-07-14",
                      "external_id": unique("ext-"), "meta": {"lang": "en"}}, long_text=("text", "meta.lang")),
    Body("import batch", "curator", "POST", lambda app: "/api/v1/projects/demo/documents",
         lambda app: {"documents": [{"title": unique("Batch "), "paragraphs": [unique("One "), "Two"]},
                                    {"title": unique("Batch "), "html": "<p>" + unique("Three ") + "</p>"}]},
         long_text=("documents[0].paragraphs[0]", "documents[0].paragraphs[1]", "documents[1].html")),
    Body("new claim", "annotator1", "POST", lambda app: f"/api/v1/documents/{_doc(app)}/claims",
         lambda app: {"content": [_span(app)], "source_span": _span(app, "Aliyev"),
                      "cue_span": _span(app, "said"), "speaker": "Aliyev", "attribution": "direct",
                      "source_specificity": "named_person", "cue_valence": "neutral", "claim_type": "opinion",
                      "check_worthiness": "NFS", "authorial_stance": "reports", "speaker_resolution": "explicit",
                      "stances": [{"target": "T2", "value": "against"}], "note": "A note",
                      "verification": {"status": "unverified", "rating_text": "Unproven",
                                       "evidence": [{"url": "https://example.org/e", "title": "Source",
                                                     "note": "seen"}]},
                      "client_id": unique("client-"), "layer": "annotator"},
         long_text=("note", "verification.evidence[0].title", "verification.evidence[0].note")),
    Body("edit claim", "annotator1", "PATCH", lambda app: f"/api/v1/claims/{make_claim(app)}",
         lambda app: {"version": 1, "note": "changed", "attribution": "indirect", "content": [_span(app)],
                      "stances": [{"target": "T1", "value": "favor"}], "speaker": "Pashinyan"},
         long_text=("note",)),
    Body("new marker", "annotator1", "POST", lambda app: f"/api/v1/documents/{_doc(app)}/markers",
         lambda app: {"span": _span(app, "unacceptable"), "bias_type": "loaded_language", "target": "T2",
                      "polarity": "negative", "note": "loaded", "layer": "annotator"}, long_text=("note",)),
    Body("edit marker", "annotator1", "PATCH", lambda app: f"/api/v1/markers/{make_marker(app)}",
         lambda app: {"version": 1, "bias_type": "labeling", "note": "changed", "span": _span(app, "senses")},
         long_text=("note",)),
    Body("labels", "annotator1", "PUT", lambda app: f"/api/v1/documents/{_doc(app)}/labels",
         lambda app: {"outlet": "TRT World", "ownership": "state_public_broadcaster", "genre": "hard_news",
                      "frame": "political", "slant": {"T2": "against"}, "omissions": "none", "notes": "n",
                      "layer": "annotator"}, long_text=("omissions", "notes")),
    Body("assign", "curator", "POST", lambda app: "/api/v1/projects/demo/assignments",
         lambda app: {"annotators": ["annotator1", "annotator2"], "per_document": 1, "reliability_percent": 50,
                      "seed": 7, "documents": [_doc(app)]}),
    Body("assignment status", "annotator1", "PATCH", lambda app: f"/api/v1/assignments/{make_assignment(app)}",
         lambda app: {"status": "in_progress"}),
    Body("gold", "curator", "POST", lambda app: f"/api/v1/documents/{_doc(app)}/gold",
         lambda app: {"base": make_claim(app), "choose": {"speaker": make_claim(app, "annotator2")}}),
]


def _small_codebook(app: Flask) -> dict[str, Any]:
    body = codebook_body(app)
    return body


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) of every leaf and container of a JSON value, paths like ``a.b[0].c``."""
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else key
            yield child, item
            yield from leaves(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            child = f"{path}[{index}]"
            yield child, item
            yield from leaves(item, child)


REMOVE = object()


def replaced(value: Any, path: str, new: Any) -> Any:
    """A copy of ``value`` with the item at ``path`` replaced (or removed, with ``REMOVE``)."""
    import copy
    import re

    result = copy.deepcopy(value)
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", path)
    target = result
    for part in parts[:-1]:
        target = target[int(part[1:-1])] if part.startswith("[") else target[part]
    last = parts[-1]
    key: Any = int(last[1:-1]) if last.startswith("[") else last
    if new is REMOVE:
        del target[key]
    else:
        target[key] = new
    return result


def _codebook_paths(paths: list[str]) -> list[str]:
    """The codebook is large: test one entry of each kind, not all of them."""
    keep = []
    for path in paths:
        if path.startswith(("targets[", "sides[", "fields.")) and not path.startswith(
                ("targets[0]", "sides[0]", "fields.attribution[0]", "fields.attribution")):
            continue
        keep.append(path)
    return keep


def _paths(spec: Body, body: Any) -> list[str]:
    paths = [path for path, _ in leaves(body)]
    return _codebook_paths(paths) if spec.name == "codebook" else paths


def _call(app: Flask, spec: Body, body: Any, raw: bytes | None = None, path: str | None = None) -> Any:
    client = role_client(app, spec.role)
    path = path or spec.path(app)
    if raw is not None:
        return client.client.open(path, method=spec.method, data=raw, content_type="application/json",
                                  headers={"X-CSRFToken": client.token})
    return client.call(spec.method, path, json=body)


WRONG_TYPES: list[Any] = [None, True, 0, -1, 1.5, 2**31, 2**63, "", "x", "-1", [], {}, [None], {"a": 1}]
TOP_LEVEL: list[Any] = [None, True, 0, 1.5, "body", [], [{}], {"unexpected": 1}]


def _check(app: Flask, spec: Body, response: Any, state: dict[str, str], what: str, problems: list[str]) -> None:
    """Collect (rather than stop at) the first problem, so one run lists every field that fails."""
    text = response.get_data(as_text=True)
    if response.status_code >= 500 or TRACEBACK_TEXT in text:
        problems.append(f"{what} -> {response.status_code}")
        return
    if response.status_code >= 400:
        if not (response.is_json and response.json["error"]["message"]):
            problems.append(f"{what} -> {response.status_code} without a JSON error")
        if digest_diff(state, db_digest(app)):
            problems.append(f"{what} -> {response.status_code} but data changed")


TRACEBACK_TEXT = "Traceback (most recent call last)"


@pytest.mark.parametrize("spec", BODIES, ids=[b.name for b in BODIES])
def test_the_valid_body_is_accepted(app: Flask, spec: Body) -> None:
    """The control: every base body below is valid, so a refusal of a variant is about the variant."""
    response = _call(app, spec, spec.body(app))
    assert response.status_code in (200, 201), response.get_data(as_text=True)[:300]


@pytest.mark.parametrize("spec", BODIES, ids=[b.name for b in BODIES])
def test_wrong_json_types_in_every_field(app: Flask, spec: Body) -> None:
    role_client(app, spec.role)
    problems: list[str] = []
    for value in TOP_LEVEL:
        url = spec.path(app)
        state = db_digest(app)
        _check(app, spec, _call(app, spec, value, path=url), state, f"body={value!r}", problems)
    for path in _paths(spec, spec.body(app)):
        if path in spec.known_defects:
            continue
        for value in [*WRONG_TYPES, REMOVE]:
            try:
                body = replaced(spec.body(app), path, value)  # a fresh base (fresh ids) for every call
            except (IndexError, KeyError):
                continue  # an earlier accepted change (e.g. a codebook without that code) removed the path
            url = spec.path(app)
            state = db_digest(app)
            _check(app, spec, _call(app, spec, body, path=url), state,
                   f"{path}={'(removed)' if value is REMOVE else repr(value)}", problems)
    assert not problems, f"{spec.name}: {problems}"


@pytest.mark.parametrize("spec", BODIES, ids=[b.name for b in BODIES])
@pytest.mark.parametrize("bad", ["nul \u0000 inside", "lone \ud800 surrogate", "low \udfff first", "\u0000"],
                         ids=["nul", "high-surrogate", "low-surrogate", "only-nul"])
def test_nul_and_lone_surrogates_in_every_text_field(app: Flask, spec: Body, bad: str) -> None:
    role_client(app, spec.role)
    text_paths = [path for path, value in leaves(spec.body(app)) if isinstance(value, str)]
    if spec.name == "codebook":
        text_paths = _codebook_paths(text_paths)
    problems: list[str] = []
    for path in text_paths:
        body = replaced(spec.body(app), path, bad)
        url = spec.path(app)
        state = db_digest(app)
        response = _call(app, spec, body, path=url)
        field = response.json["error"]["field"] if response.is_json and "error" in (response.json or {}) else None
        if response.status_code != 422 or field != path:
            problems.append(f"{path} -> {response.status_code} field={field}")
        if digest_diff(state, db_digest(app)):
            problems.append(f"{path} -> data changed")
    # In a key, too (free-form objects such as meta keep their keys).
    body = spec.body(app)
    if isinstance(body, dict):
        body[f"key{bad}"] = "x"
        url = spec.path(app)
        state = db_digest(app)
        response = _call(app, spec, body, path=url)
        if response.status_code != 422 or digest_diff(state, db_digest(app)):
            problems.append(f"a key with {bad!r} -> {response.status_code}")
    assert not problems, f"{spec.name}: {problems}"


@pytest.mark.parametrize("spec", BODIES, ids=[b.name for b in BODIES])
def test_overlong_strings_in_every_text_field(app: Flask, spec: Body) -> None:
    role_client(app, spec.role)
    text_paths = [path for path, value in leaves(spec.body(app))
                  if isinstance(value, str) and path not in spec.long_text]
    if spec.name == "codebook":
        text_paths = _codebook_paths(text_paths)
    problems: list[str] = []
    for path in text_paths:
        body = replaced(spec.body(app), path, "é" * 100_000)
        url = spec.path(app)
        state = db_digest(app)
        response = _call(app, spec, body, path=url)
        if response.status_code not in (404, 409, 422):
            problems.append(f"{path} of 100,000 characters -> {response.status_code}")
        if digest_diff(state, db_digest(app)):
            problems.append(f"{path} of 100,000 characters -> data changed")
    assert not problems, f"{spec.name}: {problems}"


@pytest.mark.parametrize("spec", BODIES, ids=[b.name for b in BODIES])
def test_numbers_json_does_not_have(app: Flask, spec: Body) -> None:
    """NaN, Infinity and 400-digit numbers are not JSON (RFC 8259) or no id: 422, never a 500."""
    import json

    role_client(app, spec.role)
    paths = [path for path, value in leaves(spec.body(app))
             if isinstance(value, int | str) and not isinstance(value, bool)]
    if spec.name == "codebook":
        paths = _codebook_paths(paths)
    problems: list[str] = []
    for path in paths[:12]:
        for constant in ("NaN", "Infinity", "-Infinity", "1e400", "9" * 400):
            marker = "__NUMBER__"
            raw = json.dumps(replaced(spec.body(app), path, marker)).replace(f'"{marker}"', constant).encode()
            url = spec.path(app)
            state = db_digest(app)
            response = _call(app, spec, None, raw=raw, path=url)
            if response.status_code != 422 or digest_diff(state, db_digest(app)):
                problems.append(f"{path}={constant[:10]} -> {response.status_code}")
    assert not problems, f"{spec.name}: {problems}"


@pytest.mark.parametrize("slug", [True, 1, [1], {"a": 1}])
def test_project_slug_of_the_wrong_type(app: Flask, slug: Any) -> None:
    response = role_client(app, "admin").call("POST", "/api/v1/projects", json={"slug": slug, "name": "P"})
    assert response.status_code == 422 and response.json["error"]["field"] == "slug"


def test_the_nul_check_does_not_refuse_normal_text(app: Flask) -> None:
    """Escapes that only look like NUL or surrogates, emoji as surrogate pairs, and long numbers in
    text are fine."""
    curator = role_client(app, "curator")
    raw = ('{"title": "Escapes \\\\u0000 \\\\ud800 \\ud83d\\ude00", "text": "A literal backslash-u: \\\\u0000 and '
           '12345678901234567890123 and NaN and Infinity in words, \\ud83d\\ude00."}')
    response = curator.client.post("/api/v1/projects/demo/documents", data=raw, content_type="application/json",
                                   headers={"X-CSRFToken": curator.token})
    assert response.status_code == 201, response.get_data(as_text=True)[:300]
    assert response.json["title"] == "Escapes \\u0000 \\ud800 \U0001F600"
    assert "\\u0000" in response.json["text"] and "\U0001F600" in response.json["text"]


# -- HTML forms and query strings with NUL -------------------------------------------------------

FORMS = [
    ("curator", "/projects/demo/speakers", {"name": "Nul\x00Speaker", "side": "", "type": ""}),
    ("curator", "/projects/demo/import", {"title": "Nul\x00title", "text": "Body", "format": "auto"}),
    ("curator", "/projects/demo/import", {"title": "t", "text": "Body with \x00 NUL", "format": "auto"}),
    ("curator", "/projects/demo/members", {"username": "annotator\x002", "role": "annotator"}),
    ("admin", "/admin/users", {"username": "nul\x00user", "password": PASSWORD}),
    ("admin", "/projects", {"slug": "nul\x00", "name": "Nul"}),
    ("annotator1", "/account", {"current": PASSWORD + "\x00", "new": "new password\x00"}),
]


@pytest.mark.parametrize("role,path,data", FORMS, ids=[f"{p} {list(d)[0]}" for _, p, d in FORMS])
def test_nul_in_html_forms(app: Flask, role: str, path: str, data: dict[str, str]) -> None:
    client = role_client(app, role)
    state = db_digest(app)
    response = client.call("POST", path, data=data)
    assert response.status_code in (200, 400, 401, 404, 409, 422), (response.status_code,
                                                                     response.get_data(as_text=True)[:300])
    assert_no_traceback(response.get_data(as_text=True))
    assert digest_diff(state, db_digest(app)) == {}


def test_nul_in_the_login_form(app: Flask) -> None:
    client = app.test_client()
    for username, password in (("annotator1\x00", PASSWORD), ("\x00", "x"), ("annotator1", PASSWORD + "\x00")):
        response = client.post("/login", data={"username": username, "password": password,
                                               "csrf_token": csrf_token(client)})
        assert response.status_code in (401, 422), response.status_code


def test_claim_form_with_nul_note(app: Flask) -> None:
    annotator = role_client(app, "annotator1")
    document = seed_document_id(app)
    start, end = find_span(app, document, QUOTE)
    state = db_digest(app)
    response = annotator.call("POST", f"/documents/{document}/claims", data={
        "content": f"{start}-{end}", "attribution": "direct", "note": "nul\x00note"})
    assert response.status_code == 422
    assert digest_diff(state, db_digest(app)) == {}


QUERY_PATHS = ["/projects/demo?q={v}&outlet={v}&from={v}&to={v}&status={v}",
               "/api/v1/projects/demo/documents?q={v}",
               "/projects/demo/balance?outlet={v}&annotator={v}&date_from={v}",
               "/api/v1/projects/demo/balance?outlet={v}&annotator={v}&layer={v}",
               "/api/v1/documents/{doc}/claims?annotator={v}",
               "/api/v1/projects/demo/export?format=jsonl&annotator={v}",
               "/projects/demo/export?format={v}",
               "/projects/demo/agreement?match={v}",
               "/login?next={v}"]


@pytest.mark.parametrize("value", ["%00", "a%00b", "%ED%A0%80", "%FF%FE", "%C0%AF", "%u0000"])
def test_nul_and_bad_bytes_in_query_strings(app: Flask, value: str) -> None:
    curator = role_client(app, "curator")
    state = db_digest(app)
    for template in QUERY_PATHS:
        path = template.format(v=value, doc=seed_document_id(app))
        response = curator.client.get(path)
        response.get_data()
        assert response.status_code in (200, 302, 400, 403, 404, 422), (path, response.status_code)
        assert_no_traceback(response.get_data(as_text=True))
        response.close()
    assert digest_diff(state, db_digest(app)) == {}


# -- ids in URLs and query strings ---------------------------------------------------------------

ID_ROUTES = ["/documents/{}", "/api/v1/documents/{}", "/api/v1/claims/{}", "/api/v1/documents/{}/claims",
             "/api/v1/documents/{}/markers", "/api/v1/documents/{}/labels", "/api/v1/documents/{}/balance",
             "/projects/demo/adjudicate/{}"]
# (A full-width "１" is read as 1 by Werkzeug's int converter: the same document, same checks.)
BAD_IDS = ["abc", "-1", "0", "1.5", "1e3", "99999999999999999999", "9223372036854775808", "9223372036854775807",
           "2147483648", "%00", "1%00", "²", "0x10", " 1", "1;DROP TABLE claims"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_odd_ids_in_urls(app: Flask, bad: str) -> None:
    curator = role_client(app, "curator")
    state = db_digest(app)
    for template in ID_ROUTES:
        path = template.format(quote(bad, safe="%"))
        for method in ("GET", "PATCH", "DELETE", "POST", "PUT"):
            response = curator.call(method, path, json={})
            assert response.status_code in (400, 404, 405, 422), (method, path, response.status_code)
            assert_no_traceback(response.get_data(as_text=True))
    assert digest_diff(state, db_digest(app)) == {}


QUERY_IDS = ["/projects/demo/balance?document={}", "/api/v1/projects/demo/balance?document={}",
             "/api/v1/projects/demo/documents?after={}", "/api/v1/projects/demo/documents?limit={}",
             "/projects/demo/speakers?edit={}", "/api/v1/projects/demo/export?format=jsonl&documents={}",
             "/projects/demo/export?format=jsonl&documents={}", "DELETE /api/v1/claims/{claim}?version={}"]
QUERY_BAD = ["-1", "abc", "99999999999999999999", "9223372036854775808", "²", "１", "1,2,x", "1e3", "%00", ""]
QUERY_CASES = []
for _template in QUERY_IDS:
    for _bad in QUERY_BAD:
        _marks: list[Any] = []
        QUERY_CASES.append(pytest.param(_template, _bad, marks=_marks, id=f"{_template.split('?')[0]}?{_bad!r}"))


@pytest.mark.parametrize("template,bad", QUERY_CASES)
def test_odd_ids_in_query_strings(app: Flask, template: str, bad: str) -> None:
    value = quote(bad, safe="%,")
    if template.startswith("DELETE "):
        client = role_client(app, "annotator1")
        path = template[len("DELETE "):].format(value, claim=make_claim(app, "annotator1"))
        response = client.call("DELETE", path)
        assert response.status_code in (204, 404, 409, 422), response.status_code
        return
    curator = role_client(app, "curator")
    state = db_digest(app)
    response = curator.client.get(template.format(value))
    response.get_data()
    response.close()
    assert response.status_code in (200, 400, 404, 422), response.status_code
    assert digest_diff(state, db_digest(app)) == {}


# -- sort and filter injection, search semantics ------------------------------------------------

INJECTIONS = ["password_hash", "users.password_hash", "id;DROP TABLE claims", "' OR '1'='1", "1) OR (1=1",
              "user__password__startswith=a", "title desc, (select password_hash from users limit 1)",
              "%", "_", "\\", "%%", "[a-z]*", "*", "$where", '{"$gt": ""}']


@pytest.mark.parametrize("value", INJECTIONS)
def test_sort_and_filter_parameters_are_not_sql(app: Flask, value: str) -> None:
    curator = role_client(app, "curator")
    encoded = quote(value, safe="")
    paths = [f"/api/v1/projects/demo/documents?sort={encoded}&order_by={encoded}&filter={encoded}&q={encoded}",
             f"/projects/demo?sort={encoded}&q={encoded}&outlet={encoded}&status={encoded}",
             f"/api/v1/documents/{seed_document_id(app)}/claims?sort={encoded}&annotator={encoded}",
             f"/api/v1/projects/demo/speakers?sort={encoded}&filter={encoded}",
             f"/projects/demo/balance?outlet={encoded}&annotator={encoded}",
             f"/api/v1/projects/demo/export?format=jsonl&sort={encoded}&annotator={encoded}"]
    for path in paths:
        response = curator.client.get(path)
        text = response.get_data(as_text=True)
        assert response.status_code in (200, 403, 422), (path, response.status_code)
        assert "scrypt:" not in text and "pbkdf2:" not in text and "password_hash" not in text.replace(value, "")
        response.close()
    with app.app_context():
        assert get_session().scalar(sa.select(sa.func.count()).select_from(Claim)) is not None  # still there


def test_search_is_literal(app: Flask) -> None:
    curator = role_client(app, "curator")
    for title, text in (("Percent", "Inflation rose 5% in May."), ("Underscore", "The file snake_case.py."),
                        ("Backslash", "A path C:\\temp here."), ("Quote", "He said 'OR 1=1' loudly.")):
        assert curator.call("POST", "/api/v1/projects/demo/documents", json={"title": title, "text": text}
                            ).status_code == 201

    def titles(q: str) -> set[str]:
        items = curator.call("GET", f"/api/v1/projects/demo/documents?q={quote(q, safe='')}").json["items"]
        return {item["title"] for item in items}

    assert titles("%") == {"Percent"}
    assert titles("5%") == {"Percent"}
    assert titles("_") == {"Underscore"}
    assert titles("\\") == {"Backslash"}
    assert titles("'OR 1=1'") == {"Quote"}
    assert titles("' OR '1'='1") == set()
    assert titles("%%%") == set()


# -- next= -------------------------------------------------------------------------------------

NEXT_VARIANTS = ["https://evil.example", "//evil.example", "/\\evil.example", "\\\\evil.example",
                 "https:evil.example", "%2F%2Fevil.example", "/%2F/evil.example", "///evil.example",
                 "/\t/evil.example", "/ /evil.example", " //evil.example", "javascript:alert(1)",
                 "data:text/html,<script>alert(1)</script>", "http://localhost@evil.example",
                 "/\r\nSet-Cookie: injected=1", "/%0d%0aSet-Cookie:%20injected=1", "\x00//evil.example",
                 "/projects\r\nLocation: https://evil.example", "https://localhost.evil.example/projects",
                 "//localhost/projects", "/.//evil.example"]


@pytest.mark.parametrize("target", NEXT_VARIANTS)
def test_next_never_leaves_the_site(app: Flask, target: str) -> None:
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(f"/login?next={quote(target, safe='%')}",
                           data={"username": "annotator1", "password": PASSWORD, "csrf_token": token})
    if "\x00" in target:  # refused before the log-in: no query value may hold a NUL
        assert response.status_code == 422
        return
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    assert "\r" not in location and "\n" not in location
    assert not [v for k, v in response.headers.items() if "injected" in k.lower() or "injected" in v.lower()]
    parts = urlsplit(location)
    assert parts.scheme in ("", "http") and parts.netloc in ("", "localhost"), location
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    assert "\t" not in location and "\\" not in location


@pytest.mark.parametrize("target", ["/projects/demo", "/documents/1#c5", "/projects/demo?q=a%20b"])
def test_next_keeps_same_site_paths(app: Flask, target: str) -> None:
    client = app.test_client()
    response = client.post(f"/login?next={quote(target, safe='')}",
                           data={"username": "annotator1", "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == target


# -- mass assignment ---------------------------------------------------------------------------

def test_mass_assignment_keys_are_ignored_or_refused(app: Flask) -> None:
    annotator = role_client(app, "annotator1")
    document = seed_document_id(app)
    admin_id = 1
    claim = annotator.call("POST", f"/api/v1/documents/{document}/claims", json={
        "content": [_span(app)], "attribution": "direct", "id": 424242, "annotator_id": admin_id,
        "annotator": "curator", "project_id": 2, "version": 99, "codebook_version": 99, "deleted_at": "2020-01-01",
        "gold_sources": [1], "anchor": "orphaned", "origin": "adjudication", "created_at": "2000-01-01"})
    assert claim.status_code in (201, 422)
    if claim.status_code == 201:
        body = claim.json
        assert body["id"] != 424242 and body["annotator"] == "annotator1" and body["version"] == 1
        assert body.get("anchor", "exact") == "exact"
        with app.app_context():
            row = get_session().get(Claim, body["id"])
            assert row.project_id != 2 and row.deleted_at is None and row.origin == "manual"
            assert row.gold_sources is None and row.codebook_version != 99
    speaker = annotator.call("POST", "/api/v1/projects/demo/speakers", json={
        "name": unique("Mass "), "id": 1, "project_id": 2, "merged_into_id": 1, "merged_into": 1})
    assert speaker.status_code in (201, 422)
    if speaker.status_code == 201:
        assert speaker.json["id"] != 1
        other = role_client(app, "outsider").call("GET", "/api/v1/projects/other/speakers").json
        assert all(s["name"] != speaker.json["name"] for s in other)
    marker = annotator.call("POST", f"/api/v1/documents/{document}/markers", json={
        "span": _span(app, "unacceptable"), "bias_type": "labeling", "annotator_id": admin_id, "version": 7,
        "in_quote": True, "project_id": 2})
    assert marker.status_code in (201, 422)
    if marker.status_code == 201:
        assert marker.json["version"] == 1


def test_profile_update_cannot_make_an_admin(app: Flask) -> None:
    client = role_client(app, "annotator1")
    for data in ({"current": PASSWORD, "new": "another password 1", "role": "admin", "is_admin": "y"},
                 {"is_admin": "1", "role": "admin"}):
        client.call("POST", "/account", data=data)
    assert client.call("GET", "/admin/users").status_code == 404
    created = client.call("POST", "/api/v1/projects", json={"slug": "mine", "name": "Mine", "is_admin": True})
    assert created.status_code == 403
    member = client.call("POST", "/api/v1/projects/demo/members", json={"user": "annotator1", "role": "curator"})
    assert member.status_code == 403


def test_verification_records_the_real_checker(app: Flask) -> None:
    annotator = role_client(app, "annotator1")
    claim = annotator.call("POST", f"/api/v1/documents/{seed_document_id(app)}/claims", json={
        "content": [_span(app)], "attribution": "direct",
        "verification": {"status": "false", "checked_by": "admin", "checked_at": "x" * 5000}})
    assert claim.status_code in (201, 422)
    if claim.status_code == 201:
        assert claim.json["verification"]["checked_by"] == "annotator1"
        assert len(claim.json["verification"]["checked_at"]) <= 40


# -- the HTML-to-text sanitizer ---------------------------------------------------------------------

def test_void_elements_do_not_swallow_the_rest_of_an_article(app: Flask) -> None:
    curator = role_client(app, "curator")
    response = curator.call("POST", "/api/v1/projects/demo/documents", json={
        "title": "Embed", "html": "<p>Intro.</p><embed src=video.swf><p>The body of the article.</p>"})
    assert response.status_code == 201 and response.json["text"] == "Intro.\n\nThe body of the article."


@pytest.mark.parametrize("html,expected", [
    ("<p>A &amp;lt;b&amp;gt; B</p>", "A &lt;b&gt; B"),
    ("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", "<script>alert(1)</script>"),
    ("<p>Keep</p><!-- <p>comment</p> --><p>this</p>", "Keep\n\nthis"),
    ("<p>x<![CDATA[<p>cdata</p>]]>y</p>", None),
    ("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><p>&e;</p><p>after</p>", None),
    ("<p>one<iframe srcdoc='<p>inner</p>'></iframe> two</p>", "one two"),
    ("<p>a<img src=x onerror=alert(1)>b</p>", "ab"),
    ("<template><p>hidden</p></template><p>shown</p>", "shown"),
    ("<p>bidi \u202e and zwj \u200d kept</p>", "bidi \u202e and zwj \u200d kept"),
])
def test_html_import_becomes_plain_text(app: Flask, html: str, expected: str | None) -> None:
    curator = role_client(app, "curator")
    response = curator.call("POST", "/api/v1/projects/demo/documents", json={"title": "H", "html": html})
    assert response.status_code in (201, 422), response.get_data(as_text=True)[:300]
    if response.status_code == 201:
        text = response.json["text"]
        if expected is not None:
            assert text == expected
        assert "root:" not in text and "<p>" not in text and "onerror" not in text.lower()


# -- the request body itself ------------------------------------------------------------------------

@pytest.mark.parametrize("content_type,data", [
    ("application/json", b"\xff\xfe{\x00}\x00"),
    ("application/json", b"\xef\xbb\xbf{\"title\": \"bom\", \"text\": \"with a BOM\"}"),
    ("application/json; charset=latin-1", "{\"title\": \"caf\xe9\", \"text\": \"x\"}".encode("latin-1")),
    ("application/json", b"{\"title\": \"a\", \"title\": \"b\", \"text\": \"dup keys\"}"),
    ("application/json", b"[" * 50_000 + b"]" * 50_000),
    ("application/json", b"{\"documents\": [" + b",".join([b"1"] * 10_001) + b"]}"),
    ("application/json", b""),
    ("text/plain", b"{\"title\": \"t\", \"text\": \"x\"}"),
    ("application/x-www-form-urlencoded", b"title=t&text=x"),
    ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x--\r\n"),
])
def test_odd_bodies(app: Flask, content_type: str, data: bytes) -> None:
    curator = role_client(app, "curator")
    state = db_digest(app)
    response = curator.client.post("/api/v1/projects/demo/documents", data=data, content_type=content_type,
                                   headers={"X-CSRFToken": curator.token})
    assert response.status_code in (200, 201, 400, 413, 415, 422), response.status_code
    assert_no_traceback(response.get_data(as_text=True))
    if response.status_code >= 400:
        assert digest_diff(state, db_digest(app)) == {}


def test_a_refused_project_form_is_a_422(app: Flask) -> None:
    admin = role_client(app, "admin")
    state = db_digest(app)
    response = admin.call("POST", "/projects", data={"slug": "Not A Slug!", "name": "Bad"})
    assert digest_diff(state, db_digest(app)) == {}
    assert "lower-case letters" in response.get_data(as_text=True)
    assert response.status_code == 422
