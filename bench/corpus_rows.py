"""Row 9 (issue #7): the sourcing-balance page of a 10,000-article project.

The corpus views answer "within the SPEC §7 spirit": the balance page of a project of 10,000
articles in under a second. The page (tables and server-side SVG charts) and the JSON API are timed
in process like rows 1, 3 and 4, for the whole corpus and with a filter (one annotator's layer,
one outlet), logged in as the curator.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from bench.api_rows import _bearer, _login
from bench.common import (
    ANNOTATORS,
    PROJECT,
    Fixture,
    Measurement,
    StatementCounter,
    dispose,
    make_app,
    median,
    timed_app,
)
from bench.data import BulkWriter, ClaimPlan, Corpus, insert_articles, insert_claims

BALANCE_ARTICLES = 10_000
CLAIMS_PER_ANNOTATOR = 5  # 2 annotators: 10 claims an article, 100,000 in all


def balance_page(fixture: Fixture, requests: int, articles: int = BALANCE_ARTICLES) -> Measurement:
    url = fixture.fresh("balance")
    corpus = Corpus(seed=23)
    engine = sa.create_engine(url)
    writer = BulkWriter(engine, search_index=False)
    batch = 2_000
    claims = 0
    for first in range(1, articles + 1, batch):
        chunk = [corpus.article(n, 5) for n in range(first, min(first + batch, articles + 1))]
        ids = insert_articles(writer, fixture.project_id, fixture.user_ids["admin"], chunk)
        claims += insert_claims(writer, fixture.project_id, list(zip(ids, chunk, strict=True)),
                                ClaimPlan(annotators=[fixture.user_ids[a] for a in ANNOTATORS[:2]],
                                          per_annotator=CLAIMS_PER_ANNOTATOR, speakers=fixture.speaker_ids))
    writer.finish()
    engine.dispose()
    app = make_app(url)
    counter = StatementCounter(app.extensions["sourcemark.engine"])
    timer = timed_app(app)
    page_client = app.test_client()
    _login(page_client, "curator")
    api_client = app.test_client()
    headers = _bearer(fixture, "curator")
    cases = {
        "page": (page_client, f"/projects/{PROJECT}/balance", {}),
        "page, ann1 only": (page_client, f"/projects/{PROJECT}/balance?annotator=ann1", {}),
        "API": (api_client, f"/api/v1/projects/{PROJECT}/balance", headers),
        "API, one outlet": (api_client, f"/api/v1/projects/{PROJECT}/balance?outlet=Bench+Wire", headers),
    }
    figures: dict[str, dict[str, Any]] = {}
    for name, (client, path, extra) in cases.items():
        response = client.get(path, headers=extra)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.get_data(as_text=True)[:300]}"
        times, cpu = [], []
        for _ in range(requests):
            with counter.counting() as counted:
                response = client.get(path, headers=extra)
            assert response.status_code == 200
            times.append(timer.samples[-1])
            cpu.append(timer.cpu[-1])
        figures[name] = {"p50_s": median(times), "cpu_p50_s": median(cpu), "statements": counted[0],
                         "bytes": len(response.get_data())}
    # What the page counted, checked against the database: the figures are of all the claims.
    api = api_client.get(f"/api/v1/projects/{PROJECT}/balance", headers=headers).get_json()
    counted_claims = api["claims"]
    dispose(app)
    fixture.backend.drop(url)
    worst = max(f["p50_s"] for f in figures.values())
    complete = counted_claims == claims
    ok = worst <= 1.0 and complete
    text = "; ".join(f"{name} {f['p50_s'] * 1000:.0f} ms (CPU {f['cpu_p50_s'] * 1000:.0f} ms, "
                     f"{f['statements']} statements)" for name, f in figures.items())
    text += (f" (p50 of {requests}, server time; {articles:,} articles, {claims:,} claims of 2 annotators; "
             f"the API counted {counted_claims:,} claims{'' if complete else ': INCOMPLETE'})")
    return Measurement(text, ok, {"figures": figures, "claims": claims, "counted": counted_claims})
