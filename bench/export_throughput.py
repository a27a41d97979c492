"""Throughput check of the pure export writers (not a test): claims/s, first byte, peak RSS.

    python -m bench.export_throughput [--claims 1000000] [--formats csv,jsonl]   (from the repository root)

Each format runs in its own process (so the peak RSS is its own) and is measured twice on
seeded synthetic documents of 5 paragraphs with 10 claims, 3 bias markers and one set of
article labels each:

- ``writer``: the writer alone, fed by cycling through 2,000 prebuilt documents (what the
  writer costs, whatever feeds it);
- ``end-to-end``: every document and claim object built fresh as the writer pulls it, the
  way ``app.services.exports`` builds them from database rows (minus the database).

SPEC §7 targets for CSV and JSONL: ≥ 100,000 claims/s, peak RSS ≤ 200 MB, first byte ≤ 1 s.
The text is news English: ASCII with typographic quotes and accented names in every
paragraph, an emoji in one document of twenty (which makes Python store that document's
strings at 4 bytes a character).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a file, this folder would come first on sys.path and its modules (http.py) would
# shadow the standard library: put the repository root there instead.
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)

from app.export import WRITERS  # noqa: E402
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
POOL_DOCUMENTS = 2_000
TARGET_CLAIMS_PER_S = {"csv": 100_000, "csv-raw": 100_000, "jsonl": 100_000}
RSS_LIMIT_MB = 200
FIRST_BYTE_LIMIT_S = 1.0
WORDS = [
    "Azerbaijan", "Armenia", "ministry", "said", "the", "village", "was", "shelled", "near", "the", "border,",
    "ceasefire", "“provocation”", "forces", "killed", "civilians", "in", "Tovuz", "and", "Tavush;", "drone",
    "artillery", "statement", "officials", "Çavuşoğlu", "Pashinyan", "=HYPERLINK(1)", "+1", "-2", "talks",
    "OSCE", "Minsk", "mediators", "region,", "according", "to",
]
STAMP = "2025-01-01T00:00:00Z"


def synthetic_context() -> ExportContext:
    codebook = json.loads((ROOT / "app" / "data" / "default_codebook.json").read_text(encoding="utf-8"))
    codebook["version"] = 1
    speakers = [
        SpeakerOut(i, f"Speaker {i} Çavuşoğlu", (f"S{i}",), "person", "Minister", "Ministry", "azerbaijan",
                   "AZ", None)
        for i in range(1, 51)
    ]
    return ExportContext("bench", "Bench", codebook, speakers, "http://127.0.0.1:5000", STAMP)


def synthetic_bundles(n_claims: int, speakers: list[SpeakerOut], seed: int = 7) -> Iterator[DocumentBundle]:
    """Fresh objects for every document and claim, pulled lazily."""
    rng = random.Random(seed)
    paragraph_pool = [" ".join(rng.choice(WORDS) for _ in range(90)) for _ in range(40)]
    paragraph_pool[0] += " 😀"
    claim_types = ["quantity", "event", "opinion", "prediction", "other_claim"]
    claim_id = marker_id = doc_id = 0
    while claim_id < n_claims:
        doc_id += 1
        paragraphs = [paragraph_pool[(doc_id * 5 + k) % 40 or (1 if doc_id % 20 else 0)] for k in range(5)]
        text = "\n\n".join(paragraphs)
        bounds, position = [], 0
        for paragraph in paragraphs:
            bounds.append((position, position + len(paragraph)))
            position += len(paragraph) + 2
        url = f"https://x.test/{doc_id}"
        document = DocumentOut(doc_id, f"Article {doc_id}", text, "0" * 64, bounds, "Outlet", url)
        claims = []
        for k in range(min(CLAIMS_PER_DOCUMENT, n_claims - claim_id)):
            claim_id += 1
            p_start, _p_end = bounds[k % 5]
            start = p_start + 20 + 40 * (k // 5)
            end = start + 120
            segments = [SpanOut(start, end, text[start:end], k % 5)]
            if k % 4 == 0:
                segments.append(SpanOut(end + 5, end + 40, text[end + 5 : end + 40], k % 5))
            verification = None
            if k == 0:
                verification = {"status": "false", "rating_text": "False", "checked_by": "carol",
                                "checked_at": STAMP, "evidence": [{"url": "https://e.test"}]}
            annotator = "alice" if k % 2 else "bob"
            claims.append(ClaimOut(
                id=claim_id, document_id=doc_id, annotator=annotator, layer="annotator",
                codebook_version=1, version=1, content=segments,
                source=SpanOut(p_start, p_start + 15, text[p_start : p_start + 15]),
                cue=SpanOut(p_start + 16, p_start + 19, text[p_start + 16 : p_start + 19]),
                attribution="indirect", source_specificity="named_person", speaker=speakers[claim_id % 50],
                speaker_resolution="explicit", cue_valence="neutral",
                stances={"T1": "against", "T2": "favor"},
                authorial_stance="reports", claim_type=claim_types[k % 5], claim_type_ff="other_claim",
                verifiable=True, check_worthiness="CFS", verification=verification,
                note="checked, see “report”" if k == 3 else None, created_at=STAMP, updated_at=STAMP,
                # As app.services.exports sets it: one key per combination of the recurring fields.
                codes_key=f"{annotator}|{claim_id % 50}|{claim_types[k % 5]}",
            ))
        markers = []
        for k in range(3):
            marker_id += 1
            start = bounds[k][0] + 5
            span = SpanOut(start, start + 12, text[start : start + 12])
            markers.append(MarkerOut(marker_id, doc_id, "alice", "annotator", 1, 1, span, "loaded_language",
                                     "T1", "negative", False, None, STAMP, STAMP))
        labels = [LabelsOut(doc_id, "alice", "annotator", "Outlet", "private_commercial", "hard_news",
                            "political", {"T1": "neutral"}, None, None, 1)]
        yield DocumentBundle(document, claims, markers, labels)


def cycled(pool: list[DocumentBundle], n_claims: int) -> Iterator[DocumentBundle]:
    return itertools.islice(itertools.cycle(pool), n_claims // CLAIMS_PER_DOCUMENT)


def timed(fmt: str, ctx: ExportContext, bundles: Iterable[DocumentBundle]) -> tuple[float, float, float, int]:
    """Wall time, CPU time of the thread driving the writer, time to first byte, bytes."""
    started = time.perf_counter()
    cpu_started = time.thread_time()
    first_byte = None
    size = 0
    for chunk in WRITERS[fmt].writer(ctx, bundles):
        if first_byte is None and chunk:
            first_byte = time.perf_counter() - started
        size += len(chunk)
    elapsed = time.perf_counter() - started
    return elapsed, time.thread_time() - cpu_started, first_byte if first_byte is not None else elapsed, size


def measure(fmt: str, n_claims: int, mode: str) -> dict[str, float]:
    ctx = synthetic_context()
    if mode == "writer":
        pool = list(synthetic_bundles(POOL_DOCUMENTS * CLAIMS_PER_DOCUMENT, ctx.speakers))
        elapsed, cpu, first_byte, size = timed(fmt, ctx, cycled(pool, n_claims))
    else:
        elapsed, cpu, first_byte, size = timed(fmt, ctx, synthetic_bundles(n_claims, ctx.speakers))
    return {
        "claims_per_s": n_claims / elapsed,
        "claims_per_cpu_s": n_claims / cpu,
        "seconds": elapsed,
        "first_byte_s": first_byte,
        "output_mb": size / 1e6,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--formats", default="csv,jsonl")
    parser.add_argument("--modes", default="writer,end-to-end")
    parser.add_argument("--child", nargs=2, metavar=("FORMAT", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child[0], args.claims, args.child[1])))
        return
    print(f"{args.claims:,} claims")
    print("claims/s: wall clock; per CPU s: CPU time of the thread driving the writer (immune to other load)")
    print(f"{'format':<10}{'mode':<12}{'claims/s':>11}{'per CPU s':>11}{'seconds':>9}{'first byte':>12}"
          f"{'peak RSS':>10}{'output':>9}  target")
    missed = False
    for fmt in args.formats.split(","):
        for mode in args.modes.split(","):
            child = [sys.executable, "-m", "bench.export_throughput", "--claims", str(args.claims)]
            out = subprocess.run(
                [*child, "--child", fmt, mode], check=True, capture_output=True, text=True, cwd=ROOT
            ).stdout
            result = json.loads(out)
            target = TARGET_CLAIMS_PER_S.get(fmt)
            ok = (
                (target is None or result["claims_per_s"] >= target)
                and result["peak_rss_mb"] <= RSS_LIMIT_MB
                and result["first_byte_s"] <= FIRST_BYTE_LIMIT_S
            )
            missed |= not ok
            goal = f"≥ {target:,}/s, ≤ {RSS_LIMIT_MB} MB, ≤ {FIRST_BYTE_LIMIT_S:.0f} s" if target else "-"
            print(
                f"{fmt:<10}{mode:<12}{result['claims_per_s']:>11,.0f}{result['claims_per_cpu_s']:>11,.0f}"
                f"{result['seconds']:>8.1f}s"
                f"{result['first_byte_s']:>11.3f}s{result['peak_rss_mb']:>7.0f} MB"
                f"{result['output_mb']:>6.0f} MB"
                f"  {goal} {'ok' if ok else 'MISSED'}"
            )
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
