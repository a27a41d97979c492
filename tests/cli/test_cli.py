"""The command line: users, tokens, projects, import, export, demo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.db import get_session
from app.models import Document, Membership, Project, User
from tests.conftest import CORPUS, row_count


def test_users_create_and_token(app: Any, runner: Any) -> None:
    result = runner.invoke(args=["users", "create", "annotator9", "--password-stdin"], input="a good password\n")
    assert result.exit_code == 0, result.output
    weak = runner.invoke(args=["users", "create", "annotator10", "--password-stdin"], input="short\n")
    assert weak.exit_code != 0 and "at least 8" in weak.output
    taken = runner.invoke(args=["users", "create", "annotator9", "--password-stdin"], input="a good password\n")
    assert taken.exit_code != 0 and "taken" in taken.output
    token = runner.invoke(args=["users", "token", "annotator9"])
    assert token.exit_code == 0 and token.output.strip().startswith("smk_")
    assert runner.invoke(args=["users", "token", "ghost"]).exit_code != 0
    response = app.test_client().get("/api/v1/projects", headers={"Authorization": f"Bearer {token.output.strip()}"})
    assert response.status_code == 200 and response.json == []


def test_projects_create_and_add_member(app: Any, runner: Any, tmp_path: Path) -> None:
    assert runner.invoke(args=["projects", "create", "desk", "--name", "Fact desk"]).exit_code == 0
    bad = tmp_path / "codebook.json"
    bad.write_text("{not json")
    result = runner.invoke(args=["projects", "create", "desk2", "--name", "x", "--codebook", str(bad)])
    assert result.exit_code != 0 and "not valid JSON" in result.output
    added = runner.invoke(args=["projects", "add-member", "desk", "annotator1", "--role", "curator"])
    assert added.exit_code == 0, added.output
    assert runner.invoke(args=["projects", "add-member", "nope", "annotator1", "--role", "curator"]).exit_code != 0
    with app.app_context():
        session = get_session()
        project = session.scalar(sa.select(Project).where(Project.slug == "desk"))
        assert project is not None
        assert session.scalar(sa.select(Membership.role).where(Membership.project_id == project.id)) == "curator"
        assert session.scalar(sa.select(Project).where(Project.slug == "desk2")) is None


def test_import_files_skips_duplicates_and_reports_bad_files(app: Any, runner: Any, tmp_path: Path) -> None:
    articles = sorted((CORPUS / "wikinews-quotes" / "articles").glob("*.txt"))[:5]
    jsonl = tmp_path / "batch.jsonl"
    jsonl.write_text("\n".join(json.dumps({"title": f"J{i}", "text": f"Line {i}.\n\nMore."}) for i in range(30)))
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00")
    before = row_count(app, Document)
    result = runner.invoke(args=["import", "demo", *map(str, articles), str(jsonl), str(bad)])
    assert result.exit_code == 1
    assert "imported 35 document(s), skipped 0 duplicate(s), 1 file(s) failed" in result.output
    again = runner.invoke(args=["import", "demo", *map(str, articles)])
    assert again.exit_code == 0 and "skipped 5 duplicate(s)" in again.output
    assert row_count(app, Document) == before + 35


def test_export_to_a_file(app: Any, runner: Any, tmp_path: Path, as_user: Any) -> None:
    out = tmp_path / "demo.jsonl"
    result = runner.invoke(args=["export", "demo", "--format", "jsonl", "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["text"].startswith("Clashes in the Tavush region")
    refused = runner.invoke(args=["export", "demo", "--format", "pdf", "-o", str(tmp_path / "x.pdf")])
    assert refused.exit_code != 0 and "format must be one of" in refused.output
    assert not (tmp_path / "x.pdf").exists()


def test_demo_is_idempotent(app: Any, runner: Any) -> None:
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "annotator1" in first.output and "/documents/" in first.output
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    with app.app_context():
        session = get_session()
        assert session.scalar(sa.select(sa.func.count(User.id)).where(User.username == "annotator2")) == 1
    assert (Path(app.instance_path) / "demo-credentials.txt").stat().st_mode & 0o077 == 0


def test_import_in_batches_finds_revisions_and_duplicates_across_batches(app: Any, runner: Any, tmp_path: Path,
                                                                         monkeypatch: Any) -> None:
    monkeypatch.setattr("app.cli.IMPORT_BATCH", 4)  # 13 records: four batches (PostgreSQL writes them in parallel)
    lines = [{"title": f"R{i}", "text": f"Revision test {i}.\n\nSecond paragraph {i}.", "external_id": f"ext-{i % 5}"}
             for i in range(10)]
    lines.append({"title": "Again", "text": "Revision test 2.\n\nSecond paragraph 2."})  # the same text: skipped
    lines.append({"title": "U1", "text": "Under one address.", "url": "https://news.example/same"})
    # A raw U+2028 inside a JSON string is valid JSON Lines (str.splitlines would cut the line there).
    lines.append({"title": "U2", "text": "Under the same address,\u2028changed.", "url": "https://news.example/same"})
    source = tmp_path / "revisions.jsonl"
    source.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", encoding="utf-8")
    before = row_count(app, Document)
    result = runner.invoke(args=["import", "demo", str(source)])
    assert result.exit_code == 0, result.output
    assert "imported 12 document(s), skipped 1 duplicate(s), 0 file(s) failed" in result.output
    with app.app_context():
        session = get_session()
        rows = {title: (revision, previous) for title, revision, previous in session.execute(
            sa.select(Document.title, Document.revision, Document.previous_id))}
        ids = dict(session.execute(sa.select(Document.title, Document.id)).all())
    for i in range(5):
        assert rows[f"R{i}"] == (1, None)
        assert rows[f"R{i + 5}"] == (2, ids[f"R{i}"])
    assert rows["U1"] == (1, None) and rows["U2"] == (2, ids["U1"])
    assert row_count(app, Document) == before + 12


def test_import_of_a_file_with_a_bad_last_line_stores_nothing(app: Any, runner: Any, tmp_path: Path,
                                                              monkeypatch: Any) -> None:
    monkeypatch.setattr("app.cli.IMPORT_BATCH", 3)
    source = tmp_path / "late.jsonl"
    good = [json.dumps({"title": f"L{i}", "text": f"Late failure {i}."}) for i in range(9)]
    source.write_text("\n".join([*good, '{"title": "broken"']) + "\n", encoding="utf-8")
    before = row_count(app, Document)
    result = runner.invoke(args=["import", "demo", str(source)])
    assert result.exit_code == 1
    assert "late.jsonl line 10: not valid JSON" in result.output
    assert "imported 0 document(s)" in result.output
    assert row_count(app, Document) == before
