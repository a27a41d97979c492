"""Seeded synthetic data: news-like articles, claims on them, and bulk loading into the tables.

Everything here is deterministic for a given seed. Articles are built from a pool of generated
paragraphs (English news wording with typographic quotes and accented names), each article made
unique by its dateline, so generating 100,000 articles costs well under a second of Python.

Large data sets (the 1,000,000 claims of the export benchmark) are written straight into the
tables: ``executemany`` through the DB-API on SQLite, ``COPY`` on PostgreSQL, never through the
API or the ORM, with ids assigned here (and PostgreSQL's sequences moved past them afterwards).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

WORDS = (
    "the ministry said forces shelled village near border ceasefire talks officials civilians were killed "
    "in artillery drone strike statement according to mediators region government spokesman defence "
    "troops positions attack denied reports claimed military operation residents houses damaged early "
    "morning fighting continued president warned provocation sides agreed negotiations international "
    "observers called restraint casualties wounded soldiers hospital local authorities evacuated road "
    "closed sources confirmed independent verification impossible journalists allowed access the of and "
    "a to in on for by with from at as that was were has had will would could not no more than"
).split()
NAMES = ("Çavuşoğlu", "Pashinyan", "Aliyev", "Hikmət Hacıyev", "Şuşənik", "Zakharova", "Mirzoyan", "Lavrov")
CUES = ("said", "told reporters", "claimed", "insisted", "according to", "warned", "stated", "denied")
ATTRIBUTIONS = ("direct", "indirect", "mixed", "authorial")
SPECIFICITY = ("named_person", "named_org", "anonymous", "vague_collective", "document")
RESOLUTION = ("explicit", "coreference", "inferred")
VALENCE = ("neutral", "distancing", "endorsing", "emotive", "directive", "concessive")
AUTHORIAL = ("endorses", "rebuts", "reports", "n/a")
CLAIM_TYPES = ("quantity", "correlation_causation", "law_rule", "prediction", "personal_experience", "event",
               "other_claim", "opinion", "not_a_claim")
WORTHINESS = ("NFS", "UFS", "CFS")
STANCES = ("favor", "against", "neutral", "none")
TARGETS = ("T1", "T2", "T3", "T4", "T5")
SIDES = ("azerbaijan", "armenia", "turkey", "russia", "mediator_intl", "third_party", "unknown")
STAMP = datetime(2025, 1, 1, tzinfo=UTC)


def paragraph_text(rng: random.Random, words: int) -> str:
    """One paragraph of news wording: a reported sentence with a quote and a cue, then narration."""
    out: list[str] = []
    while len(out) < words:
        sentence = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
        kind = rng.random()
        if kind < 0.35:
            sentence = ["“" + sentence[0].capitalize(), *sentence[1:-1], sentence[-1] + ",”",
                        rng.choice(NAMES), rng.choice(CUES) + "."]
        elif kind < 0.6:
            sentence = [rng.choice(NAMES), rng.choice(CUES), *sentence[:-1], sentence[-1] + "."]
        else:
            sentence = [sentence[0].capitalize(), *sentence[1:-1], sentence[-1] + "."]
        out.extend(sentence)
    return " ".join(out)


@dataclass(frozen=True, slots=True)
class PooledParagraph:
    text: str
    #: [start, end) of every word (white-space separated) in the paragraph.
    words: tuple[tuple[int, int], ...]


def _word_offsets(text: str) -> tuple[tuple[int, int], ...]:
    offsets, position = [], 0
    for word in text.split(" "):
        offsets.append((position, position + len(word)))
        position += len(word) + 1
    return tuple(offsets)


class Corpus:
    """A seeded pool of paragraphs, and articles made of them (each article's text is unique)."""

    def __init__(self, seed: int = 1, pool: int = 400, words: tuple[int, int] = (45, 80)) -> None:
        rng = random.Random(seed)
        self.seed = seed
        self.pool = []
        for _ in range(pool):
            text = paragraph_text(rng, rng.randint(*words))
            self.pool.append(PooledParagraph(text, _word_offsets(text)))

    def article(self, number: int, paragraphs: int = 5, tag: str = "") -> Article:
        """Article ``number``: a unique dateline, then ``paragraphs`` paragraphs of the pool."""
        rng = random.Random(self.seed * 1_000_003 + number)
        chosen = [self.pool[rng.randrange(len(self.pool))] for _ in range(paragraphs)]
        dateline = f"BAKU, {1 + number % 28} July {tag}(Report {number:07d}) — "
        texts = [dateline + chosen[0].text] + [p.text for p in chosen[1:]]
        words = [tuple((s + len(dateline), e + len(dateline)) for s, e in chosen[0].words)]
        words += [p.words for p in chosen[1:]]
        return Article(number, f"Report {number:07d}: border clashes", texts, words)


@dataclass
class Article:
    number: int
    title: str
    paragraphs: list[str]
    #: Per paragraph, the [start, end) of each word, relative to the paragraph.
    words: list[tuple[tuple[int, int], ...]]

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    def bounds(self) -> list[tuple[int, int]]:
        out, position = [], 0
        for paragraph in self.paragraphs:
            out.append((position, position + len(paragraph)))
            position += len(paragraph) + 2
        return out

    def jsonl_record(self) -> dict[str, Any]:
        return {"title": self.title, "paragraphs": self.paragraphs, "source": "Bench Wire",
                "url": f"https://news.example/{self.number}", "external_id": f"bench-{self.number}",
                "published": "2020-07-14"}


def word_span(rng: random.Random, article: Article, bounds: list[tuple[int, int]], paragraph: int,
              length: tuple[int, int] = (6, 22)) -> tuple[int, int]:
    """A span of whole words inside one paragraph, in document offsets."""
    words = article.words[paragraph]
    count = min(len(words), rng.randint(*length))
    first = rng.randrange(0, len(words) - count + 1)
    base = bounds[paragraph][0]
    return base + words[first][0], base + words[first + count - 1][1]


def claim_payload(rng: random.Random, article: Article, document_id: int, speakers: Sequence[str],
                  client_id: str | None = None) -> tuple[str, dict[str, Any]]:
    """A POST …/claims body as the annotation page sends it: path and JSON."""
    text, bounds = article.text, article.bounds()
    paragraph = rng.randrange(len(article.paragraphs))
    start, end = word_span(rng, article, bounds, paragraph)
    body: dict[str, Any] = {
        "content": [{"start": start, "end": end, "text": text[start:end]}],
        "attribution": rng.choice(ATTRIBUTIONS[:3]), "speaker": rng.choice(speakers),
        "source_specificity": "named_person", "cue_valence": rng.choice(VALENCE),
        "claim_type": rng.choice(CLAIM_TYPES), "check_worthiness": rng.choice(WORTHINESS),
        "stances": [{"target": "T1", "value": rng.choice(STANCES)}, {"target": "T2", "value": rng.choice(STANCES)}],
    }
    if client_id is not None:
        body["client_id"] = client_id
    return f"/api/v1/documents/{document_id}/claims", body


# ------------------------------------------------------------------------------------------
# Bulk loading
# ------------------------------------------------------------------------------------------

DOCUMENT_COLUMNS = ("id", "project_id", "title", "text", "text_hash", "source", "url", "author", "published",
                    "external_id", "meta", "revision", "previous_id", "created_by_id", "created_at")
PARAGRAPH_COLUMNS = ("id", "document_id", "index", "start", "end")
CLAIM_COLUMNS = ("id", "project_id", "document_id", "annotator_id", "layer", "codebook_version", "version",
                 "client_id", "attribution", "source_specificity", "speaker_id", "speaker_resolution",
                 "source_start", "source_end", "source_text", "cue_start", "cue_end", "cue_text", "cue_valence",
                 "authorial_stance", "claim_type", "check_worthiness", "verification", "note", "origin",
                 "gold_sources", "anchor", "created_at", "updated_at", "deleted_at")
SEGMENT_COLUMNS = ("id", "claim_id", "ordinal", "start", "end", "text", "paragraph", "words")
STANCE_COLUMNS = ("id", "claim_id", "target", "value")


class BulkWriter:
    """Rows straight into tables: DB-API executemany on SQLite, COPY on PostgreSQL.

    With ``search_index=False`` the full-text search structures (SQLite: the FTS5 triggers
    ``search_*``; PostgreSQL: the GIN indexes ``ix_*_fts``) are taken away while loading, which
    makes loading a million claims several times faster. The SQLite triggers are put back by
    ``finish()`` (the FTS tables then lack the bulk-loaded rows); the PostgreSQL indexes are not
    rebuilt. Only data sets that are exported or read for agreement are loaded so: neither reads
    the search structures.
    """

    def __init__(self, engine: sa.Engine, search_index: bool = True) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self.suspended: list[str] = []
        if not search_index:
            self._suspend_search()
        # What each backend's column type stores for a timestamp (SQLite: SQLAlchemy's text format).
        self.now: Any = STAMP if self.postgres else STAMP.strftime("%Y-%m-%d %H:%M:%S.%f")
        self.next_ids: dict[str, int] = {}

    def next_id(self, table: str) -> int:
        if table not in self.next_ids:
            with self.engine.connect() as conn:
                self.next_ids[table] = (conn.scalar(sa.text(f"SELECT max(id) FROM {table}")) or 0) + 1
        return self.next_ids[table]

    def take_ids(self, table: str, count: int) -> int:
        first = self.next_id(table)
        self.next_ids[table] = first + count
        return first

    def write(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        quoted = ", ".join(f'"{c}"' for c in columns)
        count = 0
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            if self.postgres:
                with cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            else:
                marks = ", ".join("?" for _ in columns)
                cursor.execute("BEGIN")
                batch: list[Sequence[Any]] = []
                for row in rows:
                    batch.append(row)
                    if len(batch) >= 50_000:
                        cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})", batch)
                        count += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})", batch)
                    count += len(batch)
                cursor.execute("COMMIT")
            if self.postgres:
                raw.commit()
        finally:
            raw.close()
        return count

    def _suspend_search(self) -> None:
        with self.engine.begin() as conn:
            if self.postgres:
                names = conn.scalars(sa.text(
                    "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ix\\_%\\_fts'"))
                for name in list(names):
                    conn.execute(sa.text(f"DROP INDEX {name}"))
            else:
                rows = conn.execute(sa.text(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                    "AND name LIKE 'search\\_%' ESCAPE '\\'"))
                for name, sql in list(rows):
                    self.suspended.append(sql)
                    conn.execute(sa.text(f"DROP TRIGGER {name}"))

    def finish(self) -> None:
        """SQLite: put the search triggers back. PostgreSQL: move the sequences past the ids given
        here, and ANALYZE (what autovacuum does soon after a bulk load). SQLite gets no ANALYZE:
        the app never runs it, so neither do we."""
        if not self.postgres:
            if self.suspended:
                with self.engine.begin() as conn:
                    for sql in self.suspended:
                        conn.exec_driver_sql(sql)
                self.suspended = []
            return
        with self.engine.begin() as conn:
            for table in self.next_ids:
                conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT coalesce(max(id), 1) FROM {table}))"))
            conn.execute(sa.text("ANALYZE"))


def insert_articles(writer: BulkWriter, project_id: int, user_id: int, articles: Sequence[Article]) -> list[int]:
    """Documents and their paragraphs, as an import stores them; returns the document ids."""
    first = writer.take_ids("documents", len(articles))
    ids = list(range(first, first + len(articles)))
    meta_value = "{}"  # JSON text, for SQLite's and PostgreSQL's JSON columns alike

    def documents() -> Iterator[tuple[Any, ...]]:
        for doc_id, article in zip(ids, articles, strict=True):
            text = article.text
            yield (doc_id, project_id, article.title, text, hashlib.sha256(text.encode()).hexdigest(), "Bench Wire",
                   f"https://news.example/{article.number}", None, "2020-07-14", f"bench-{article.number}",
                   meta_value, 1, None, user_id, writer.now)

    writer.write("documents", DOCUMENT_COLUMNS, documents())
    paragraph_count = sum(len(a.paragraphs) for a in articles)
    first_paragraph = writer.take_ids("paragraphs", paragraph_count)

    def paragraphs() -> Iterator[tuple[Any, ...]]:
        next_id = first_paragraph
        for doc_id, article in zip(ids, articles, strict=True):
            for index, (start, end) in enumerate(article.bounds()):
                yield (next_id, doc_id, index, start, end)
                next_id += 1

    writer.write("paragraphs", PARAGRAPH_COLUMNS, paragraphs())
    return ids


@dataclass
class ClaimPlan:
    """Which claims to write: per document, ``per_annotator`` claims by each of ``annotators``."""

    annotators: Sequence[int]
    per_annotator: int
    speakers: Sequence[int]
    #: Claims of different annotators start at the same words this often (agreement wants units).
    shared: float = 0.7
    seed: int = 11


def insert_claims(writer: BulkWriter, project_id: int, documents: Sequence[tuple[int, Article]],
                  plan: ClaimPlan) -> int:
    """Claims with content segments (a quarter with two), source and cue spans, and two stances."""
    per_document = len(plan.annotators) * plan.per_annotator
    total = per_document * len(documents)
    first_claim = writer.take_ids("claims", total)
    claim_rows: list[tuple[Any, ...]] = []
    segment_rows: list[tuple[Any, ...]] = []
    stance_rows: list[tuple[Any, ...]] = []
    segment_id = writer.next_id("claim_segments")
    stance_id = writer.next_id("claim_stances")
    claim_id = first_claim
    now = writer.now
    rng = random.Random(plan.seed)
    n_speakers = len(plan.speakers)

    def flush() -> None:
        writer.write("claims", CLAIM_COLUMNS, claim_rows)
        writer.write("claim_segments", SEGMENT_COLUMNS, segment_rows)
        writer.write("claim_stances", STANCE_COLUMNS, stance_rows)
        claim_rows.clear()
        segment_rows.clear()
        stance_rows.clear()

    for doc_id, article in documents:
        text, bounds = article.text, article.bounds()
        n_paragraphs = len(bounds)
        sites = [(k % n_paragraphs, word_span(rng, article, bounds, k % n_paragraphs))
                 for k in range(plan.per_annotator)]
        for annotator in plan.annotators:
            for k in range(plan.per_annotator):
                paragraph, (start, end) = sites[k]
                if rng.random() > plan.shared:
                    paragraph = rng.randrange(n_paragraphs)
                    start, end = word_span(rng, article, bounds, paragraph)
                p_start = bounds[paragraph][0]
                source_end = min(p_start + 12, bounds[paragraph][1])
                cue_start = min(source_end + 1, bounds[paragraph][1] - 1)
                cue_end = min(cue_start + 4, bounds[paragraph][1])
                attribution = ATTRIBUTIONS[claim_id % 4]
                claim_rows.append((
                    claim_id, project_id, doc_id, annotator, "annotator", 1, 1, None, attribution,
                    SPECIFICITY[claim_id % 5], plan.speakers[claim_id % n_speakers], RESOLUTION[claim_id % 3],
                    p_start, source_end, text[p_start:source_end], cue_start, cue_end, text[cue_start:cue_end],
                    VALENCE[claim_id % 6], AUTHORIAL[claim_id % 4], CLAIM_TYPES[claim_id % 9],
                    WORTHINESS[claim_id % 3], None, "see the ministry’s “statement”" if claim_id % 7 == 0 else None,
                    "manual", None, "exact", now, now, None))
                segment_rows.append((segment_id, claim_id, 0, start, end, text[start:end], paragraph,
                                     len(text[start:end].split())))
                segment_id += 1
                if claim_id % 4 == 0 and paragraph + 1 < n_paragraphs:
                    # An interrupted quote going on in the next paragraph: a second content segment.
                    s2, e2 = word_span(rng, article, bounds, paragraph + 1, (3, 8))
                    segment_rows.append((segment_id, claim_id, 1, s2, e2, text[s2:e2], paragraph + 1,
                                         len(text[s2:e2].split())))
                    segment_id += 1
                stance_rows.append((stance_id, claim_id, "T1", STANCES[claim_id % 4]))
                stance_rows.append((stance_id + 1, claim_id, "T2", STANCES[(claim_id // 4) % 4]))
                stance_id += 2
                claim_id += 1
        if len(claim_rows) >= 100_000:
            flush()
    flush()
    writer.next_ids["claim_segments"] = segment_id
    writer.next_ids["claim_stances"] = stance_id
    return total


# ------------------------------------------------------------------------------------------
# Agreement input (pure, no database)
# ------------------------------------------------------------------------------------------

AGREEMENT_FIELDS = ("attribution", "speaker", "claim_type", "check_worthiness", "cue_valence", "source_specificity",
                    "authorial_stance", *(f"stance:{t}" for t in TARGETS))
FIELD_CODES = {
    "attribution": ATTRIBUTIONS, "speaker": tuple(str(i) for i in range(1, 41)), "claim_type": CLAIM_TYPES,
    "check_worthiness": WORTHINESS, "cue_valence": VALENCE, "source_specificity": SPECIFICITY,
    "authorial_stance": AUTHORIAL, **{f"stance:{t}": STANCES for t in TARGETS},
}


def coded_claims(total: int, coders: Sequence[str] = ("coder1", "coder2", "coder3"), sites_per_document: int = 10,
                 seed: int = 5) -> list[Any]:
    """``total`` CodedClaims from ``coders`` double/triple-coding the same claim sites.

    Each coder marks a site with probability 0.9, with the same boundaries 85% of the time (else
    shifted by a few characters: a unit under ``overlap`` but not ``exact``), and agrees with the
    site's reference value of each field 80% of the time (else a random code, or empty).
    """
    from app.domain.agreement import CodedClaim

    rng = random.Random(seed)
    out: list[Any] = []
    claim_id = 0
    document_id = 0
    while len(out) < total:
        document_id += 1
        for site in range(sites_per_document):
            start = site * 300 + rng.randrange(0, 100)
            end = start + rng.randrange(40, 180)
            reference = {f: rng.choice(codes) for f, codes in FIELD_CODES.items()}
            for coder in coders:
                if rng.random() > 0.9 or len(out) >= total:
                    continue
                s, e = (start, end) if rng.random() < 0.85 else (start + rng.randrange(1, 6), end - rng.randrange(0, 6))
                segments: tuple[tuple[int, int], ...] = ((s, e),)
                if site % 4 == 0:
                    segments = ((s, e), (e + 20, e + 60))
                fields = {}
                for name, codes in FIELD_CODES.items():
                    roll = rng.random()
                    fields[name] = reference[name] if roll < 0.8 else (None if roll > 0.97 else rng.choice(codes))
                claim_id += 1
                out.append(CodedClaim(claim_id, document_id, coder, segments, fields))
    return out
