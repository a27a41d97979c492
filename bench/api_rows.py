"""Rows 1, 3 and 4: saving a claim, fetching a document with its claims, the annotation page.

Server time is measured in process: the Flask test client calls the app through ``ServerTimer``,
a WSGI middleware that times each request from entering the app to the last byte of its body
(routing, authentication, SQL, commit, JSON or HTML rendering, teardown), leaving out the test
client's own work. Requests authenticate as a real client would: a bearer token for the API, a
logged-in session cookie for the page.
"""

from __future__ import annotations

import random
import re
import uuid
from typing import Any

import sqlalchemy as sa

from bench.common import (
    ANNOTATORS,
    PASSWORD,
    SPEAKER_NAMES,
    Fixture,
    Measurement,
    StatementCounter,
    dispose,
    log,
    make_app,
    median,
    percentile,
    timed_app,
)
from bench.data import BulkWriter, ClaimPlan, Corpus, claim_payload, insert_articles, insert_claims

SAVE_DOCUMENTS = 100


def _bearer(fixture: Fixture, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {fixture.tokens[user]}"}


def _documents(fixture: Fixture, url: str, count: int, paragraphs: int = 5, tag: str = "") -> list[tuple[int, Any]]:
    corpus = Corpus(seed=3)
    articles = [corpus.article(n, paragraphs, tag) for n in range(1, count + 1)]
    writer = BulkWriter(sa.create_engine(url))
    ids = insert_articles(writer, fixture.project_id, fixture.user_ids["admin"], articles)
    writer.finish()
    writer.engine.dispose()
    return list(zip(ids, articles, strict=True))


def save_claim(fixture: Fixture, saves: int) -> Measurement:
    """Row 1: POST /api/v1/documents/{id}/claims as the annotation page sends it, one client."""
    url = fixture.fresh("save")
    documents = _documents(fixture, url, SAVE_DOCUMENTS)
    app = make_app(url)
    client = app.test_client()
    timer = timed_app(app)
    rng = random.Random(17)
    headers = _bearer(fixture, "ann1")
    failures = 0
    warmup = 100
    for n in range(warmup + saves):
        doc_id, article = documents[rng.randrange(len(documents))]
        client_id = str(uuid.UUID(int=rng.getrandbits(128)))
        path, body = claim_payload(rng, article, doc_id, SPEAKER_NAMES, client_id=client_id)
        response = client.post(path, json=body, headers=headers)
        if response.status_code != 201:
            failures += 1
            if failures < 3:
                log(f"save failed: {response.status_code} {response.get_data(as_text=True)[:300]}")
        if n == warmup - 1:
            timer.clear()
    samples = [s * 1000 for s in timer.samples]
    cpu = [s * 1000 for s in timer.cpu]
    statements = _statements_per_save(fixture, app, documents, rng, headers)
    dispose(app)
    fixture.backend.drop(url)
    p50, p99 = median(samples), percentile(samples, 99)
    ok = p50 <= 3 and p99 <= 15 and failures == 0
    text = (f"p50 {p50:.2f} ms, p99 {p99:.2f} ms ({saves:,} saves{f', {failures} FAILED' if failures else ''}; "
            f"CPU p50 {median(cpu):.2f} ms; {statements} SQL statements per save)")
    return Measurement(text, ok, {"p50_ms": p50, "p99_ms": p99, "mean_ms": sum(samples) / len(samples),
                                  "cpu_p50_ms": median(cpu), "saves": saves, "failures": failures,
                                  "statements": statements})


def _statements_per_save(fixture: Fixture, app: Any, documents: list[tuple[int, Any]], rng: random.Random,
                         headers: dict[str, str]) -> int:
    counter = StatementCounter(app.extensions["sourcemark.engine"])
    client = app.test_client()
    doc_id, article = documents[0]
    path, body = claim_payload(rng, article, doc_id, SPEAKER_NAMES, client_id=str(uuid.uuid4()))
    with counter.counting() as counted:
        client.post(path, json=body, headers=headers)
    return counted[0]


def fetch_document(fixture: Fixture, fetches: int) -> Measurement:
    """Row 3: GET /api/v1/documents/{id} then GET …/claims (5 paragraphs, 5 claims of the caller)."""
    url = fixture.fresh("fetch")
    documents = _documents(fixture, url, 20)
    writer = BulkWriter(sa.create_engine(url))
    insert_claims(writer, fixture.project_id, documents,
                  ClaimPlan(annotators=[fixture.user_ids[a] for a in ANNOTATORS[:2]], per_annotator=5,
                            speakers=fixture.speaker_ids))
    writer.finish()
    writer.engine.dispose()
    app = make_app(url)
    client = app.test_client()
    timer = timed_app(app)
    headers = _bearer(fixture, "ann1")
    doc_times: list[float] = []
    claim_times: list[float] = []
    cpu: list[float] = []
    failures = 0
    rng = random.Random(5)
    for n in range(50 + fetches):
        doc_id = documents[rng.randrange(len(documents))][0]
        first = client.get(f"/api/v1/documents/{doc_id}", headers=headers)
        second = client.get(f"/api/v1/documents/{doc_id}/claims", headers=headers)
        if first.status_code != 200 or second.status_code != 200 or len(second.get_json()["items"]) != 5:
            failures += 1
        if n >= 50:
            doc_times.append(timer.samples[-2] * 1000)
            claim_times.append(timer.samples[-1] * 1000)
            cpu.append((timer.cpu[-2] + timer.cpu[-1]) * 1000)
    dispose(app)
    fixture.backend.drop(url)
    pair = [a + b for a, b in zip(doc_times, claim_times, strict=True)]
    p50 = median(pair)
    ok = p50 <= 2 and failures == 0
    text = (f"p50 {p50:.2f} ms (document {median(doc_times):.2f} + claims {median(claim_times):.2f}); "
            f"p99 {percentile(pair, 99):.2f} ms; CPU p50 {median(cpu):.2f} ms"
            f"{f', {failures} FAILED' if failures else ''}")
    return Measurement(text, ok, {"p50_ms": p50, "cpu_p50_ms": median(cpu), "document_p50_ms": median(doc_times),
                                  "claims_p50_ms": median(claim_times), "p99_ms": percentile(pair, 99)})


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def _login(client: Any, username: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = CSRF_META.search(page)
    assert token, "no CSRF token on /login"
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def annotation_page(fixture: Fixture, requests: int) -> Measurement:
    """Row 4: /documents/{id}, 5 annotators × 400 claims on 200 paragraphs (and ×40 on 20)."""
    url = fixture.fresh("page")
    corpus = Corpus(seed=9)
    engine = sa.create_engine(url)
    writer = BulkWriter(engine)
    annotators = [fixture.user_ids[a] for a in ANNOTATORS[:5]]
    sizes = {}
    for paragraphs in (20, 200):
        article = corpus.article(paragraphs, paragraphs, tag=f"{paragraphs}p ")
        [doc_id] = insert_articles(writer, fixture.project_id, fixture.user_ids["admin"], [article])
        insert_claims(writer, fixture.project_id, [(doc_id, article)],
                      ClaimPlan(annotators=annotators, per_annotator=paragraphs * 2, speakers=fixture.speaker_ids))
        sizes[paragraphs] = doc_id
    writer.finish()
    engine.dispose()
    app = make_app(url)
    counter = StatementCounter(app.extensions["sourcemark.engine"])
    timer = timed_app(app)
    figures: dict[str, Any] = {}
    for viewer, query in (("curator", "?annotator=ann1"), ("ann1", "")):
        client = app.test_client()
        _login(client, viewer)
        for paragraphs, doc_id in sizes.items():
            path = f"/documents/{doc_id}{query}"
            for _ in range(5):
                response = client.get(path)
                assert response.status_code == 200, response.get_data(as_text=True)[:500]
            times, cpu, statements = [], [], set()
            for _ in range(requests if paragraphs == 200 else max(5, requests // 3)):
                with counter.counting() as counted:
                    client.get(path)
                times.append(timer.samples[-1] * 1000)
                cpu.append(timer.cpu[-1] * 1000)
                statements.add(counted[0])
            html = client.get(path).get_data(as_text=True)
            figures[(viewer, paragraphs)] = {"p50_ms": median(times), "cpu_p50_ms": median(cpu),
                                             "statements": sorted(statements),
                                             "claims_shown": html.count(' data-claim="') or None,  # list items
                                             "html_kb": len(html) / 1024}
    dispose(app)
    fixture.backend.drop(url)
    big = figures[("curator", 200)]
    small = figures[("curator", 20)]
    own_big, own_small = figures[("ann1", 200)], figures[("ann1", 20)]
    constant = big["statements"] == small["statements"] and own_big["statements"] == own_small["statements"]
    ok = big["p50_ms"] <= 60 and own_big["p50_ms"] <= 60 and constant
    text = (f"curator viewing ann1: {big['p50_ms']:.1f} ms; ann1 own: {own_big['p50_ms']:.1f} ms (p50, 200 ¶; "
            f"CPU {big['cpu_p50_ms']:.1f} / {own_big['cpu_p50_ms']:.1f} ms); "
            f"SQL statements 20 ¶ / 200 ¶: {_fmt(small['statements'])} / {_fmt(big['statements'])} (curator), "
            f"{_fmt(own_small['statements'])} / {_fmt(own_big['statements'])} (annotator); "
            f"20 ¶ page {small['p50_ms']:.1f} ms; 200 ¶ HTML {big['html_kb']:.0f} kB")
    return Measurement(text, ok, {f"{v}_{p}": f for (v, p), f in figures.items()})


def _fmt(values: list[int]) -> str:
    return "/".join(str(v) for v in values)
