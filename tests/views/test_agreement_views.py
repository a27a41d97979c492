"""The agreement report over real claims: API, page, reliability matrix CSV, CLI."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from tests.conftest import seed_document_id
from tests.demo_fixture import annotate_demo, demo_claim_bodies


def double_code(app: Any, as_user: Any) -> None:
    """annotator1 codes the demo as in the fixture; annotator2 the same spans with a few changes."""
    doc = seed_document_id(app)
    annotate_demo(as_user("annotator1"), doc)
    second = as_user("annotator2")
    document = second.get(f"/api/v1/documents/{doc}").json
    for index, body in enumerate(demo_claim_bodies(document)):
        if index in (3, 4):  # disagree on attribution for two claims
            body["attribution"] = "indirect"
        if index == 6:
            body["claim_type"] = "event"
        if index == 20:
            continue  # one claim annotator2 did not mark
        assert second.post(f"/api/v1/documents/{doc}/claims", body).status_code == 201


def test_agreement_api_shape_and_values(app: Any, as_user: Any) -> None:
    double_code(app, as_user)
    report = as_user("curator").get("/api/v1/projects/demo/agreement").json
    attribution = report["fields"]["attribution"]
    assert attribution["units"] == 20 and attribution["coders"] == 2
    # 20 units, 18 agree. By hand: n_c = indirect 16, authorial 6, mixed 6, direct 12 (n = 40),
    # Σo_cc = 36, so α = (39·36 − 432) / (40·39 − 432) = 972/1128; κ = (0.9 − 0.29) / (1 − 0.29).
    assert attribution["alpha"] == pytest.approx(972 / 1128, abs=1e-12)
    assert attribution["threshold"] == "reliable"
    pair = attribution["kappa_pairwise"][0]
    assert (pair["a"], pair["b"]) == ("annotator1", "annotator2")
    assert pair["kappa"] == pytest.approx(0.61 / 0.71, abs=1e-12)
    assert report["fields"]["speaker"]["alpha"] == 1.0
    assert report["spans"]["f1_exact"] == 2 * 20 / (21 + 20)
    assert "missing" in report and "none" in report["missing"]
    assert set(report["fields"]) >= {"attribution", "speaker", "claim_type", "check_worthiness", "cue_valence",
                                     "stance:T1", "stance:T5", "bias_type"}
    assert as_user("curator").get("/api/v1/projects/demo/agreement?match=fuzzy").status_code == 422
    assert as_user("annotator1").get("/api/v1/projects/demo/agreement").status_code == 403


def test_agreement_page_matrix_csv_and_cli(app: Any, as_user: Any, runner: Any) -> None:
    double_code(app, as_user)
    curator = as_user("curator")
    page = curator.client.get("/projects/demo/agreement")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Krippendorff" in html and "attribution" in html
    matrix = curator.client.get("/projects/demo/agreement/matrix.csv?field=attribution").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(matrix.lstrip("\ufeff"))))
    assert rows[0] == ["unit", "annotator1", "annotator2"] and len(rows) == 21
    assert sum(1 for r in rows[1:] if r[1] != r[2]) == 2
    assert curator.client.get("/projects/demo/agreement/matrix.csv?field=nope").status_code == 422
    result = runner.invoke(args=["agreement", "demo", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["fields"]["attribution"]["units"] == 20
    text = runner.invoke(args=["agreement", "demo"])
    assert text.exit_code == 0 and "attribution" in text.output and "alpha" in text.output
