"""Throughput check of the pure export writers (not a test): claims/s, first byte, peak RSS.

Feeds each writer synthetic bundles (seeded; 10 claims, 3 bias markers and one set of article
labels per 5-paragraph document) straight from a generator, the way ``app.services.exports``
does, and discards the bytes. Each format runs in its own process so the peak RSS is its own.
SPEC §7 targets for CSV and JSONL: ≥ 100,000 claims/s, peak RSS ≤ 200 MB, first byte ≤ 1 s.

    python bench/export_throughput.py [--claims 1000000] [--formats csv,jsonl]

The claims/s figure includes building the synthetic bundles (as the real export includes
reading them); the time spent generating alone is printed too.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.export.model import (  # noqa: E402
    ClaimOut,
    DocumentBundle,
    DocumentOut,
    ExportContext,
    LabelsOut,
    MarkerOut,
    SpanOut,
    SpeakerOut,
)

CLAIMS_PER_DOCUMENT = 10
TARGETS = {"csv": 100_000, "jsonl": 100_000}
RSS_LIMIT_MB = 200
# News English: mostly ASCII, typographic quotes and accented names in every paragraph; one
# document in twenty also has an emoji (which makes Python store its strings 4 bytes a character).
WORDS = (
    "Azerbaijan Armenia ministry said the village was shelled near the border, ceasefire “provocation” "
    "forces killed civilians in Tovuz and Tavush; drone artillery statement officials Çavuşoğlu "
    "Pashinyan =HYPERLINK(1) +1 -2 talks OSCE Minsk mediators region, according to"
).split()


def synthetic_context() -> ExportContext:
    codebook = json.loads((Path(__file__).resolve().parents[1] / "app/data/default_codebook.json").read_text())
    codebook["version"] = 1
    speakers = [
        SpeakerOut(i, f"Speaker {i} Çavuşoğlu", (f"S{i}",), "person", "Minister", "Ministry", "azerbaijan", "AZ", None)
        for i in range(1, 51)
    ]
    return ExportContext("bench", "Bench", codebook, speakers, "http://127.0.0.1:5000", "2025-01-01T00:00:00Z")


def synthetic_bundles(n_claims: int, speakers: list[SpeakerOut], seed: int = 7) -> Iterator[DocumentBundle]:
    rng = random.Random(seed)
    paragraphs_text = [" ".join(rng.choice(WORDS) for _ in range(90)) for _ in range(40)]
    paragraphs_text[0] += " 😀"
    claim_types = ["quantity", "event", "opinion", "prediction", "other_claim"]
    claim_id = marker_id = 0
    doc_id = 0
    while claim_id < n_claims:
        doc_id += 1
        paragraphs = [paragraphs_text[(doc_id * 5 + k) % 40 or (1 if doc_id % 20 else 0)] for k in range(5)]
        text = "\n\n".join(paragraphs)
        bounds = []
        position = 0
        for paragraph in paragraphs:
            bounds.append((position, position + len(paragraph)))
            position += len(paragraph) + 2
        document = DocumentOut(doc_id, f"Article {doc_id}", text, "0" * 64, bounds, "Outlet", f"https://x.test/{doc_id}")
        claims = []
        for k in range(min(CLAIMS_PER_DOCUMENT, n_claims - claim_id)):
            claim_id += 1
            p_start, _p_end = bounds[k % 5]
            start = p_start + 20 + 40 * (k // 5)
            end = start + 120
            segments = [SpanOut(start, end, text[start:end], k % 5)]
            if k % 4 == 0:
                segments.append(SpanOut(end + 5, end + 40, text[end + 5 : end + 40], k % 5))
            claims.append(ClaimOut(
                id=claim_id, document_id=doc_id, annotator="alice" if k % 2 else "bob", layer="annotator",
                codebook_version=1, version=1, content=segments,
                source=SpanOut(p_start, p_start + 15, text[p_start : p_start + 15]),
                cue=SpanOut(p_start + 16, p_start + 19, text[p_start + 16 : p_start + 19]),
                attribution="indirect", source_specificity="named_person", speaker=speakers[claim_id % 50],
                speaker_resolution="explicit", cue_valence="neutral", stances={"T1": "against", "T2": "favor"},
                authorial_stance="reports", claim_type=claim_types[k % 5], claim_type_ff="other_claim",
                verifiable=True, check_worthiness="CFS",
                verification={"status": "false", "rating_text": "False", "evidence": [{"url": "https://e.test"}],
                              "checked_by": "carol", "checked_at": "2025-01-01T00:00:00Z"} if k == 0 else None,
                note="checked, see “report”" if k == 3 else None,
                created_at="2025-01-01T00:00:00Z", updated_at="2025-01-02T00:00:00Z",
            ))
        markers = []
        for k in range(3):
            marker_id += 1
            start = bounds[k][0] + 5
            markers.append(MarkerOut(
                marker_id, doc_id, "alice", "annotator", 1, 1, SpanOut(start, start + 12, text[start : start + 12]),
                "loaded_language", "T1", "negative", False, None, "2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z",
            ))
        labels = [LabelsOut(doc_id, "alice", "annotator", "Outlet", "private_commercial", "hard_news", "political",
                            {"T1": "neutral"}, None, None, 1)]
        yield DocumentBundle(document, claims, markers, labels)


def measure(fmt: str, n_claims: int) -> dict[str, float]:
    from app.export import WRITERS

    ctx = synthetic_context()
    started = time.perf_counter()
    for _ in synthetic_bundles(n_claims, ctx.speakers):
        pass
    generation = time.perf_counter() - started
    started = time.perf_counter()
    first_byte = None
    total = 0
    for chunk in WRITERS[fmt].writer(ctx, synthetic_bundles(n_claims, ctx.speakers)):
        if first_byte is None and chunk:
            first_byte = time.perf_counter() - started
        total += len(chunk)
    elapsed = time.perf_counter() - started
    return {
        "claims": n_claims,
        "seconds": elapsed,
        "claims_per_s": n_claims / elapsed,
        "writer_only_claims_per_s": n_claims / max(elapsed - generation, 1e-9),
        "generation_s": generation,
        "first_byte_s": first_byte or elapsed,
        "output_mb": total / 1e6,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--formats", default="csv,jsonl")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.claims)))
        return
    print(f"{'format':<12}{'claims/s':>12}{'writer-only/s':>15}{'first byte':>12}{'peak RSS':>11}{'output':>10}  target")
    failed = False
    for fmt in args.formats.split(","):
        out = subprocess.run(
            [sys.executable, __file__, "--claims", str(args.claims), "--child", fmt],
            check=True, capture_output=True, text=True,
        ).stdout
        result = json.loads(out)
        target = TARGETS.get(fmt)
        ok = (target is None or result["claims_per_s"] >= target) and result["peak_rss_mb"] <= RSS_LIMIT_MB
        failed |= not ok
        print(
            f"{fmt:<12}{result['claims_per_s']:>12,.0f}{result['writer_only_claims_per_s']:>15,.0f}"
            f"{result['first_byte_s']:>11.3f}s{result['peak_rss_mb']:>8.0f} MB{result['output_mb']:>7.0f} MB"
            f"  {'≥ %s/s, ≤ %d MB' % (format(target, ','), RSS_LIMIT_MB) if target else '-'} {'ok' if ok else 'MISSED'}"
        )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
