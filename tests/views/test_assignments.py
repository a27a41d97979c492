"""Assignments by hand and by rule, assigned-only projects, queue status, progress."""

from __future__ import annotations

from typing import Any

from app.models import Assignment
from tests.conftest import find_span, row_count, seed_document_id


def make_documents(api: Any, count: int) -> list[int]:
    docs = [{"title": f"Doc {i}", "text": f"Article number {i} says something."} for i in range(count)]
    return [item["id"] for item in api.post("/api/v1/projects/demo/documents", {"documents": docs}).json["items"]]


def test_rule_based_assignment_is_seeded_and_reproducible(app: Any, as_user: Any) -> None:
    curator = as_user("curator")
    make_documents(curator, 19)  # 20 documents with the seed article
    plan = curator.post("/api/v1/projects/demo/assignments",
                        {"per_document": 1, "reliability_percent": 25, "seed": 7})
    assert plan.status_code == 201, plan.json
    assert plan.json == {"created": 25, "existing": 0, "reliability_documents": 5}
    rows = curator.get("/api/v1/projects/demo/assignments").json["items"]
    per_user = {u: sum(r["user"] == u for r in rows) for u in ("annotator1", "annotator2")}
    assert per_user == {"annotator1": 13, "annotator2": 12} or per_user == {"annotator1": 12, "annotator2": 13}
    double = {r["document"] for r in rows if r["reliability"]}
    assert len(double) == 5 and all(sum(r["document"] == d for r in rows) == 2 for d in double)
    # Running the same rule again changes nothing; the same seed elsewhere gives the same sample.
    assert curator.post("/api/v1/projects/demo/assignments",
                        {"per_document": 1, "reliability_percent": 25, "seed": 7}).json["created"] == 0
    first_sample = sorted(double)
    with app.app_context():
        from app.db import get_session

        get_session().query(Assignment).delete()
        get_session().commit()
    curator.post("/api/v1/projects/demo/assignments", {"per_document": 1, "reliability_percent": 25, "seed": 7})
    again = curator.get("/api/v1/projects/demo/assignments").json["items"]
    assert sorted({r["document"] for r in again if r["reliability"]}) == first_sample


def test_bad_assignment_requests(app: Any, as_user: Any) -> None:
    curator = as_user("curator")
    for body, field in [({"per_document": 3}, "per_document"), ({"per_document": 0}, "per_document"),
                        ({"reliability_percent": 101}, "reliability_percent"), ({"annotators": ["curator"]}, "annotators"),
                        ({"documents": "some"}, "documents"), ({"seed": "x"}, "seed")]:
        response = curator.post("/api/v1/projects/demo/assignments", body)
        assert response.status_code == 422 and response.json["error"]["field"] == field, body
    assert as_user("annotator1").post("/api/v1/projects/demo/assignments", {}).status_code == 403
    assert row_count(app, Assignment) == 0


def test_assigned_only_projects_hide_other_documents(app: Any, as_user: Any) -> None:
    curator = as_user("curator")
    seed_doc = seed_document_id(app)
    extra = make_documents(curator, 2)
    curator.post("/api/v1/projects/demo/assignments", {"documents": [seed_doc], "annotators": ["annotator1"]})
    annotator = as_user("annotator1")
    assert annotator.get(f"/api/v1/documents/{extra[0]}").status_code == 200  # off by default
    settings = curator.patch("/api/v1/projects/demo", {"assigned_only": True})
    assert settings.status_code == 200 and settings.json["assigned_only"] is True
    assert annotator.get(f"/api/v1/documents/{extra[0]}").status_code == 404
    assert annotator.client.get(f"/documents/{extra[0]}").status_code == 404
    assert [d["id"] for d in annotator.get("/api/v1/projects/demo/documents").json["items"]] == [seed_doc]
    assert annotator.get(f"/api/v1/documents/{seed_doc}").status_code == 200
    assert curator.get(f"/api/v1/documents/{extra[0]}").status_code == 200
    assert annotator.patch("/api/v1/projects/demo", {"assigned_only": False}).status_code == 403
    assert curator.patch("/api/v1/projects/demo", {"assigned_only": "yes"}).status_code == 422


def test_queue_status_and_progress(app: Any, as_user: Any) -> None:
    curator = as_user("curator")
    doc = seed_document_id(app)
    curator.post("/api/v1/projects/demo/assignments", {"documents": [doc], "annotators": ["annotator1", "annotator2"]})
    annotator = as_user("annotator1")
    mine = annotator.get("/api/v1/projects/demo/assignments").json["items"]
    assert [(a["user"], a["status"]) for a in mine] == [("annotator1", "todo")]
    start, end = find_span(app, doc, "What Armenia did is unacceptable.")
    annotator.post(f"/api/v1/documents/{doc}/claims", {"content": [{"start": start, "end": end}],
                                                       "attribution": "direct"})
    assert annotator.get("/api/v1/projects/demo/assignments").json["items"][0]["status"] == "in_progress"
    done = annotator.patch(f"/api/v1/assignments/{mine[0]['id']}", {"status": "done"})
    assert done.status_code == 200 and done.json["status"] == "done"
    assert annotator.patch(f"/api/v1/assignments/{mine[0]['id']}", {"status": "finished"}).status_code == 422
    others = [a for a in curator.get("/api/v1/projects/demo/assignments").json["items"] if a["user"] == "annotator2"]
    assert annotator.patch(f"/api/v1/assignments/{others[0]['id']}", {"status": "done"}).status_code == 404
    report = curator.get("/api/v1/projects/demo/progress").json
    by_user = {row["user"]: row for row in report["annotators"]}
    assert by_user["annotator1"]["done"] == 1 and by_user["annotator1"]["claims"] == 1
    assert by_user["annotator1"]["claims_per_hour"] == 1.0
    assert by_user["annotator2"]["todo"] == 1 and by_user["annotator2"]["claims"] == 0
    assert report["documents"][0]["annotators"] == [{"user": "annotator1", "status": "done"},
                                                    {"user": "annotator2", "status": "todo"}]
    assert annotator.get("/api/v1/projects/demo/progress").status_code == 403
    # A later claim leaves a finished assignment finished.
    assert annotator.post(f"/api/v1/documents/{doc}/claims", {"content": [{"start": start, "end": end}],
                                                              "attribution": "indirect"}).status_code == 201
    assert annotator.get("/api/v1/projects/demo/assignments").json["items"][0]["status"] == "done"


def test_assignment_pages(app: Any, as_user: Any) -> None:
    curator = as_user("curator")
    make_documents(curator, 3)
    page = curator.client.get("/projects/demo/assignments")
    assert page.status_code == 200
    from tests.conftest import csrf_token

    token = csrf_token(curator.client, "/projects/demo/assignments")
    response = curator.client.post("/projects/demo/assignments", data={
        "csrf_token": token, "rule-per_document": "1", "rule-reliability_percent": "50", "rule-seed": "3",
        "rule-submit": "Assign all documents"})
    assert response.status_code == 302
    assert row_count(app, Assignment) == 6  # 4 documents, 2 of them double-coded
    bad = curator.client.post("/projects/demo/assignments", data={
        "csrf_token": token, "rule-per_document": "9", "rule-submit": "Assign all documents"})
    assert bad.status_code == 422 and "whole number from 1 to 2" in bad.get_data(as_text=True)
    assert row_count(app, Assignment) == 6
    annotator = as_user("annotator1")
    assert annotator.client.get("/projects/demo/assignments").status_code == 403
    home = annotator.client.get("/projects/demo").get_data(as_text=True)
    assert "My queue" in home and 'id="next-document"' in home
    first = annotator.get("/api/v1/projects/demo/assignments").json["items"][0]
    doc_page = annotator.client.get(f"/documents/{first['document']}").get_data(as_text=True)
    assert 'id="mark-done"' in doc_page
