"""Readers refuse bad input with a ValueError that names the line (or task, file) and field."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from bundles import bundles, context

from app.export.brat import write_brat
from app.export.jsonl import write_jsonl
from app.export.readers import read_brat, read_doccano, read_jsonl, read_labelstudio

TEXT = "Aliyev said the attack was a provocation."


def jsonl_line(**changes: Any) -> str:
    record: dict[str, Any] = {
        "doc_id": 1,
        "title": "t",
        "text": TEXT,
        "claims": [{"annotator": "ann", "layer": "annotator", "attribution": "indirect",
                    "content": [{"start": 12, "end": 40, "text": "the attack was a provocation"}]}],
    }
    record.update(changes)
    return json.dumps(record)


def test_jsonl_reader_accepts_minimal_lines_and_skips_blank_ones() -> None:
    documents = list(read_jsonl(["", jsonl_line(), "  "]))
    assert len(documents) == 1
    assert documents[0].claims["ann"][0]["content"][0]["text"] == "the attack was a provocation"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", r"line 1: not valid JSON"),
        ("[1, 2]", r"line 1: expected a JSON object"),
        (json.dumps({"title": "no text"}), r"line 1\.text: missing"),
        (jsonl_line(claims=[{"attribution": "direct", "content": [{"start": 0, "end": 6, "text": "Alijev"}]}]),
         r"line 1: claims\[0\]\.content\[0\]\.text: 'Alijev' does not match .* \('Aliyev'\)"),
        (jsonl_line(claims=[{"attribution": "direct", "content": [{"start": 30, "end": 999}]}]),
         r"claims\[0\]\.content\[0\]: offsets 30-999 are not a span inside the text"),
        (jsonl_line(claims=[{"attribution": "direct", "content": [{"start": "0", "end": 6}]}]),
         r"claims\[0\]\.content\[0\]\.start: expected an integer offset"),
        (jsonl_line(claims=[{"attribution": "direct", "content": []}]),
         r"claims\[0\]\.content: a claim needs at least one content segment"),
        (jsonl_line(claims=[{"content": [{"start": 0, "end": 6}]}]), r"claims\[0\]\.attribution: missing"),
        (jsonl_line(bias_spans=[{"span": {"start": 0, "end": 6}}]), r"bias_spans\[0\]\.bias_type: missing"),
        (jsonl_line(claims=[{"attribution": "direct", "content": [{"start": 0, "end": 6}], "stances": [1]}]),
         r"claims\[0\]\.stances\[0\]: expected"),
    ],
)
def test_jsonl_reader_errors_name_line_and_field(line: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        list(read_jsonl([line]))


def test_jsonl_reader_counts_lines_from_one() -> None:
    good = b"".join(write_jsonl(context(), bundles())).splitlines()
    with pytest.raises(ValueError, match=r"^line 4: not valid JSON"):
        list(read_jsonl([*good, b"{"]))
    with pytest.raises(ValueError, match=r"line 1: not UTF-8"):
        list(read_jsonl([b"\xff\xfe{}"]))


def ls_task(result: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": 1, "data": {"text": TEXT}, "annotations": [{"completed_by": 3, "result": result}]}]


def test_label_studio_reader_errors() -> None:
    with pytest.raises(ValueError, match=r"task 0\.data\.text: missing"):
        list(read_labelstudio([{"data": {"image": "x.png"}}]))
    region = {"id": "r1", "from_name": "label", "to_name": "text", "type": "labels",
              "value": {"start": 0, "end": 6, "text": "Aliyev!", "labels": ["SOURCE"]}}
    with pytest.raises(ValueError, match=r"task 0\.annotations\[0\]\.result\[0\]\.value\.text: 'Aliyev!' does not"):
        list(read_labelstudio(ls_task([region])))
    choice = {"id": "zz", "from_name": "attribution", "type": "choices", "value": {"choices": ["direct"]}}
    with pytest.raises(ValueError, match=r"result\[0\]: per-region choices for unknown region 'zz'"):
        list(read_labelstudio(ls_task([choice])))
    relation = {"type": "relation", "from_id": "a", "to_id": "b"}
    with pytest.raises(ValueError, match=r"relations\[0\] links a missing region"):
        list(read_labelstudio(ls_task([relation])))


def test_label_studio_reader_takes_native_exports() -> None:
    """Random region ids, content → source relations, integer users: Label Studio's own shape."""
    result = [
        {"id": "Xy1", "from_name": "label", "to_name": "text", "type": "labels",
         "value": {"start": 0, "end": 6, "labels": ["SOURCE"]}},
        {"id": "Qq9", "from_name": "label", "to_name": "text", "type": "labels",
         "value": {"start": 12, "end": 40, "labels": ["CONTENT"]}},
        {"type": "relation", "from_id": "Qq9", "to_id": "Xy1", "direction": "right"},
    ]
    (document,) = read_labelstudio(ls_task(result))
    assert document.claims == {"3": [{"content": [{"start": 12, "end": 40, "text": "the attack was a provocation"}],
                                      "source_span": {"start": 0, "end": 6, "text": "Aliyev"}, "stances": []}]}


def test_doccano_reader_errors_and_legacy_labels() -> None:
    with pytest.raises(ValueError, match=r"line 2: not valid JSON"):
        list(read_doccano(['{"text": "x"}', "{oops"]))
    with pytest.raises(ValueError, match=r"line 1\.entities\[0\]: offsets 0-99 are not a span"):
        list(read_doccano([json.dumps({"text": TEXT, "entities": [
            {"id": 1, "label": "CONTENT", "start_offset": 0, "end_offset": 99}]})]))
    with pytest.raises(ValueError, match=r"line 1\.label\[0\]: expected \[start, end, label\]"):
        list(read_doccano([json.dumps({"text": TEXT, "label": ["CFS"]})]))
    (document,) = read_doccano([json.dumps({"text": TEXT, "labels": [[12, 40, "CONTENT"], [0, 6, "SOURCE"]]})])
    assert document.claims["doccano"][0]["content"][0]["text"] == "the attack was a provocation"


def brat_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def test_brat_reader_errors_name_file_and_line() -> None:
    with pytest.raises(ValueError, match="not a zip archive"):
        list(read_brat(b"plain text"))
    with pytest.raises(ValueError, match=r"doc\.ann line 2: text 'Alijev' does not match"):
        list(read_brat(brat_zip({"doc.txt": TEXT, "doc.ann": "T1\tSource 0 6\tAliyev\nT2\tSource 0 6\tAlijev\n"})))
    with pytest.raises(ValueError, match=r"doc\.ann line 1: offsets 0-500 are outside the text"):
        list(read_brat(brat_zip({"doc.txt": TEXT, "doc.ann": "T1\tContent 0 500\tx\n"})))
    with pytest.raises(ValueError, match=r"doc\.ann line 1: attribute on an unknown annotation"):
        list(read_brat(brat_zip({"doc.txt": TEXT, "doc.ann": "A1\tClaimType T9 event\n"})))
    with pytest.raises(ValueError, match=r"doc\.txt: listed but not in the archive"):
        list(read_brat(brat_zip({"doc.ann": ""})))


def test_brat_reader_takes_plain_brat_collections() -> None:
    ann = "T1\tContent 12 40\tthe attack was a provocation\nT2\tSource 0 6\tAliyev\nR1\tAttributedTo Arg1:T1 Arg2:T2\n"
    (document,) = read_brat(brat_zip({"corpus/doc.txt": TEXT, "corpus/doc.ann": ann}))
    assert document.doc_id == "doc"
    assert document.claims["brat"][0]["source_span"] == {"start": 0, "end": 6, "text": "Aliyev"}


def test_brat_reader_refuses_copies_that_disagree() -> None:
    data = b"".join(write_brat(context(), bundles()))
    source = zipfile.ZipFile(io.BytesIO(data))
    files = {name: source.read(name).decode() for name in source.namelist()}
    files["11-bob.txt"] = files["11-bob.txt"].replace("Tovuz", "Tavuz")
    with pytest.raises(ValueError, match=r"11-bob\.txt: differs from the other text files of document 11"):
        list(read_brat(brat_zip(files)))
