"""Export → import into a new project → export gives the same result, field for field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import seed_document_id
from tests.demo_fixture import annotate_demo


def _normalise_jsonl(path: Path) -> list[dict[str, Any]]:
    """The export without what must differ between projects: database ids, times, versions."""
    documents = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        for key in ("doc_id", "id", "project"):
            record.pop(key, None)
        for group in ("claims", "bias_spans", "article_labels"):
            for item in record.get(group, []):
                for key in ("id", "doc_id", "document_id", "created_at", "updated_at", "version", "codebook_version"):
                    item.pop(key, None)
                if isinstance(item.get("speaker"), dict):
                    item["speaker"] = {k: v for k, v in item["speaker"].items() if k not in ("id",)}
            record[group] = sorted(record.get(group, []), key=lambda i: json.dumps(i, sort_keys=True))
        documents.append(record)
    return documents


@pytest.mark.parametrize("fmt", ["jsonl", "labelstudio", "doccano", "brat"])
def test_export_import_export(app: Any, as_user: Any, runner: Any, tmp_path: Path, fmt: str) -> None:
    doc = seed_document_id(app)
    annotator = as_user("annotator1")
    annotate_demo(annotator, doc)
    start = annotator.get(f"/api/v1/documents/{doc}").json["text"].index("Armenian-occupied")
    annotator.post(f"/api/v1/documents/{doc}/markers", {"span": {"start": start, "end": start + 17},
                                                       "bias_type": "contested_term", "target": "azerbaijan"})
    first = tmp_path / f"first.{fmt}"
    assert runner.invoke(args=["export", "demo", "--format", fmt, "-o", str(first)]).exit_code == 0
    assert runner.invoke(args=["projects", "create", "copy", "--name", "Copy"]).exit_code == 0
    for user in ("annotator1", "curator"):
        role = "curator" if user == "curator" else "annotator"
        assert runner.invoke(args=["projects", "add-member", "copy", user, "--role", role]).exit_code == 0
    imported = runner.invoke(args=["import", "copy", str(first), "--format", fmt])
    assert imported.exit_code == 0, imported.output
    assert "imported 1 document(s)" in imported.output
    for project, name in (("demo", "a.jsonl"), ("copy", "b.jsonl")):
        assert runner.invoke(args=["export", project, "--format", "jsonl", "-o", str(tmp_path / name)]).exit_code == 0
    before, after = _normalise_jsonl(tmp_path / "a.jsonl"), _normalise_jsonl(tmp_path / "b.jsonl")
    assert len(before[0]["claims"]) == 21
    if fmt == "jsonl":
        assert after == before  # lossless, field for field
    else:
        # Interchange formats carry spans, speakers and codes but not every field (documented).
        def spans(records: list[dict[str, Any]]) -> list[Any]:
            return sorted((tuple((s["start"], s["end"]) for s in c["content"]), c["attribution"])
                          for c in records[0]["claims"])

        assert spans(after) == spans(before)


def test_import_refuses_unknown_annotators_and_maps_them(app: Any, as_user: Any, runner: Any, tmp_path: Path) -> None:
    annotate_demo(as_user("annotator2"), seed_document_id(app))
    exported = tmp_path / "demo.jsonl"
    runner.invoke(args=["export", "demo", "--format", "jsonl", "-o", str(exported)])
    runner.invoke(args=["projects", "create", "copy", "--name", "Copy"])
    runner.invoke(args=["projects", "add-member", "copy", "annotator1", "--role", "annotator"])
    refused = runner.invoke(args=["import", "copy", str(exported)])
    assert refused.exit_code == 1 and "not members of this project: annotator2" in refused.output
    mapped = runner.invoke(args=["import", "copy", str(exported), "--annotator-map", "annotator2=annotator1"])
    assert mapped.exit_code == 0, mapped.output
    assert "21 claim(s)" in mapped.output
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "Hello", "claims": [{"content": [{"start": 0, "end": 99}]}]}\n')
    bad = runner.invoke(args=["import", "copy", str(broken)])
    assert bad.exit_code == 1 and "line 1" in bad.output
