"""brat and CoNLL: every T line quotes its offsets exactly; seqeval reads the BIO tags back."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from bundles import bundles, context
from seqeval.metrics.sequence_labeling import get_entities

from app.export.brat import escape_note, unescape_note, write_brat
from app.export.conll import COLUMNS, sentences, tokenize, write_conll


@pytest.fixture(scope="module")
def brat_zip() -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(write_brat(context(), bundles()))))


def test_brat_layout_one_pair_per_document_and_layer(brat_zip: zipfile.ZipFile) -> None:
    names = brat_zip.namelist()
    assert names[:10] == [
        "11-alice.txt", "11-alice.ann", "11-bob.txt", "11-bob.ann", "11-gold.txt", "11-gold.ann",
        "12.txt", "12.ann", "13-gold.txt", "13-gold.ann",
    ]
    assert {"annotation.conf", "visual.conf", "manifest.jsonl"} <= set(names)
    for name in names:
        if name.endswith(".txt"):
            document_id = int(name.split("-")[0].split(".")[0])
            assert brat_zip.read(name).decode() == next(b.document.text for b in bundles() if b.document.id == document_id)


def test_every_t_line_text_equals_the_text_at_its_offsets(brat_zip: zipfile.ZipFile) -> None:
    checked = 0
    for name in brat_zip.namelist():
        if not name.endswith(".ann"):
            continue
        text = brat_zip.read(name[:-4] + ".txt").decode()
        for line in brat_zip.read(name).decode().splitlines():
            if line.startswith("T"):
                _tid, head, quoted = line.split("\t")
                fragments = [tuple(map(int, f.split())) for f in head.split(" ", 1)[1].split(";")]
                assert quoted == " ".join(text[s:e] for s, e in fragments), line
                assert all("\n" not in text[s:e] for s, e in fragments)
                checked += 1
    assert checked > 20


def test_span_across_a_paragraph_break_becomes_fragments(brat_zip: zipfile.ZipFile) -> None:
    ann = brat_zip.read("11-bob.ann").decode()
    assert "Content 100 128;130 150\tshelled villages in Tovuz 😀. “We will not give up" in ann


def test_brat_relations_attributes_and_notes(brat_zip: zipfile.ZipFile) -> None:
    ann = brat_zip.read("11-alice.ann").decode()
    assert re.search(r"^R\d+\tAttributedTo Arg1:T1 Arg2:T2$", ann, re.M)
    assert re.search(r"^R\d+\tCuedBy Arg1:T1 Arg2:T3$", ann, re.M)
    assert "AttributionType T1 mixed" in ann and "CheckWorthiness T1 NFS" in ann and "CueValence T1 neutral" in ann
    assert "AnnotatorNotes T1\tstances: T2=against; T1=favor" in ann
    assert ann.count("\tSource 0 34\t") == 1  # a source shared by two claims is one T
    conf = brat_zip.read("annotation.conf").decode()
    assert "AttributionType\tArg:Content, Value:direct|indirect|mixed|authorial" in conf
    assert "[relations]" in conf and "[attributes]" in conf


def test_note_escaping_round_trips() -> None:
    for note in ['Checked, with "quotes",\nand a second line', "\t=1", "\r=1", "back\\slash\\n"]:
        assert "\n" not in escape_note(note) and "\t" not in escape_note(note)
        assert unescape_note(escape_note(note)) == note


@pytest.fixture(scope="module")
def conll() -> str:
    return b"".join(write_conll(context(), bundles())).decode("utf-8")


def sections(text: str) -> dict[str, str]:
    parts = re.split(r"^# annotator = (.+)$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def sentences_of(section: str) -> list[list[list[str]]]:
    result, current = [], []
    for line in section.splitlines():
        if line.startswith("#"):
            continue
        if not line:
            if current:
                result.append(current)
            current = []
            continue
        cells = line.split("\t")
        assert len(cells) == len(COLUMNS), line
        current.append(cells)
    if current:
        result.append(current)
    return result


def test_conll_has_one_section_per_layer_with_dropped_counts(conll: str) -> None:
    layers = sections(conll)
    assert list(layers) == ["alice", "bob", "gold"]
    assert "# dropped_overlapping_claims = 1\n# dropped_overlapping_bias_markers = 1" in layers["alice"]
    assert "# dropped_overlapping_claims = 0" in layers["bob"]
    assert layers["gold"].count("# doc_id = ") == 2


def test_token_offsets_point_at_the_token(conll: str) -> None:
    texts = {str(b.document.id): b.document.text for b in bundles()}
    for section in sections(conll).values():
        document = None
        for line in section.splitlines():
            if line.startswith("# doc_id = "):
                document = texts[line.split(" = ")[1]]
            elif line and not line.startswith("#"):
                token, start, end, *_tags = line.split("\t")
                assert document is not None and document[int(start) : int(end)] == token


def test_seqeval_reads_the_tags_and_they_rebuild_the_spans(conll: str) -> None:
    alice = sentences_of(sections(conll)["alice"])
    claim_tags = [[cells[3] for cells in sentence] for sentence in alice]
    entities = get_entities(claim_tags)
    flat = [cells for sentence in alice for cells in sentence]
    # seqeval joins sentences with an O in between, so indexes shift by one per sentence
    offsets = [cells for sentence in alice for cells in [*sentence, None]]
    spans = {(kind, int(offsets[s][1]), int(offsets[e][2])) for kind, s, e in entities}
    assert ("CONTENT-mixed", 40, 70) in spans
    assert ("SOURCE", 0, 34) in spans
    assert ("CUE", 35, 39) in spans
    assert ("CONTENT-direct", 131, 171) in spans and ("CONTENT-direct", 187, 222) in spans
    bias = {(k, int(offsets[s][1]), int(offsets[e][2])) for k, s, e in get_entities([[c[4] for c in s] for s in alice])}
    assert ("loaded_language", 56, 69) in bias
    types = {k for k, _s, _e in get_entities([[c[5] for c in s] for s in alice])}
    assert {"opinion", "event", "prediction"} <= types
    assert len(flat) > 100


def test_tokenizer_keeps_graphemes_and_scripts_whole() -> None:
    text = "the family 👨‍👩‍👧‍👦 fled 🇦🇲; Նիկոլ Փաշինյան أذربيجان q\u0307 “quoted”."
    tokens = [t.text for t in tokenize(text, 0, len(text))]
    assert "👨‍👩‍👧‍👦" in tokens and "🇦🇲" in tokens
    assert {"Նիկոլ", "Փաշինյան", "أذربيجان", "q\u0307", "“", "”"} <= set(tokens)
    assert sentences("One. Two? “Three.” Four\nFive") == [(0, 4), (5, 9), (10, 18), (19, 23), (24, 28)]


def test_layer_file_names_cannot_escape_the_archive_or_collide() -> None:
    from app.export.common import file_safe

    names = ["alice", "../../etc/passwd", "a b", "a_b", "Çavuşoğlu", ".hidden", "x/y", "x_y"]
    safe = [file_safe(name) for name in names]
    assert safe[0] == "alice" and safe[3] == "a_b"
    assert len(set(safe)) == len(names)
    for name in safe:
        assert "/" not in name and not name.startswith(".") and name.isascii()
