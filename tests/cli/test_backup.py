"""Backup during writes, then restore: the copy passes its integrity check and holds every row."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from app.models import Claim, Document
from tests.conftest import row_count, seed_document_id


def test_backup_while_writing_then_restore(app: Any, runner: Any, tmp_path: Path, as_user: Any) -> None:
    api = as_user("curator")
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        client = app.test_client()
        from tests.conftest import login

        token = login(client, "annotator1")
        doc = seed_document_id(app)
        while not stop.is_set() and len(written) < 200:
            response = client.post(f"/api/v1/documents/{doc}/claims", json={
                "content": [{"start": 0, "end": 7}], "attribution": "authorial"}, headers={"X-CSRFToken": token})
            assert response.status_code == 201, response.json
            written.append(response.json["id"])

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        target = tmp_path / "backup.db"
        result = runner.invoke(args=["backup", str(target)])
        assert result.exit_code == 0, result.output
    finally:
        stop.set()
        thread.join()
    assert target.exists() and not target.with_name("backup.db.partial").exists()
    before = (row_count(app, Document), row_count(app, Claim))
    api.post("/api/v1/projects/demo/documents", {"title": "after the backup", "text": "Written later."})
    assert row_count(app, Document) == before[0] + 1
    restored = runner.invoke(args=["restore", str(target), "--yes"])
    assert restored.exit_code == 0, restored.output
    documents, claims = row_count(app, Document), row_count(app, Claim)
    assert documents == before[0]  # the document written after the backup is gone
    assert claims <= len(written)
    with app.app_context():  # a consistent snapshot: every claim in it came with its segment
        import sqlalchemy as sa

        from app.db import get_session
        from app.models import ClaimSegment

        orphans = get_session().scalar(sa.select(sa.func.count(Claim.id)).where(
            ~Claim.id.in_(sa.select(ClaimSegment.claim_id))))
        assert orphans == 0
    bad = tmp_path / "not-a-backup.db"
    bad.write_text("hello")
    refused = runner.invoke(args=["restore", str(bad), "--yes"])
    assert refused.exit_code != 0 and "not a" in refused.output
    assert row_count(app, Document) == documents
