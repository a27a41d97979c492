"""Corpus search and corpus views: full-text search over documents and claims, the claim filters
the corpus pages share, and a speaker's claims across the corpus.

Full text, on two databases, from the search tables of migration 0003_search, which triggers keep
in step with every write whichever code path makes it:

* SQLite: FTS5. ``search_documents`` indexes ``documents`` (external content) and
  ``search_claims`` holds one row per claim (content segments, note, speaker name and aliases);
  ranked by bm25.
* PostgreSQL: the same two tables with stored, GIN-indexed tsvectors (configuration
  ``sourcemark_search``: ``simple`` plus ``unaccent``), queried with ``websearch_to_tsquery`` and
  ranked by ``ts_rank``.

The query language is the same on both: words (all must occur), ``"a phrase"``, ``OR`` between
two terms, ``-word`` to exclude. It is parsed here, once, and handed to each database as quoted
terms, so no user text ever reaches an FTS parser as syntax.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from app.domain.codebook import CodebookView
from app.errors import DomainError, Forbidden, NotFound
from app.models import Assignment, Claim, ClaimStance, Document, Membership, Speaker, User
from app.services.claims import load_claims, visible_layer
from app.services.projects import ProjectAccess, current_codebook, get_project_access, list_members
from app.services.speakers import get_speaker, list_speakers

MAX_QUERY_CHARS = 200
MAX_TERMS = 12
MAX_PHRASE_WORDS = 10
MAX_FILTER_CHARS = 500
PAGE_SIZE = 20
MAX_PAGE = 500
# Ids beyond the database's integer column are answered as "not found" before any query.
MAX_ID = 2**31 - 1
# ``annotator=*``: every annotator pooled (curators, or anyone in a project that is not blind).
EVERYONE = "*"
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
# A word, as FTS5's unicode61 tokenizer and PostgreSQL's parser (after the punctuation below is
# turned into spaces) see it: a run of letters and digits.
WORD = re.compile(r"[^\W_]+")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})
_RAW_TERM = re.compile(r'(-?)(?:"([^"]*)"|([^\s"]+))')
CLAIM_FILTERS = ("speaker", "side", "attribution", "claim_type", "stance")

# PostgreSQL: the text search configuration of migrations/versions/0003_search.py.
PG_CONFIG = "sourcemark_search"
# The search tables of that migration (on both databases), as lightweight table clauses.
SEARCH_DOCUMENTS = sa.table("search_documents", sa.column("document_id"), sa.column("vector"))
SEARCH_CLAIMS = sa.table("search_claims", sa.column("claim_id"), sa.column("vector"))


# --- the query language (pure) -------------------------------------------------------------

def fold(word: str) -> str:
    """Lower case without diacritics, as both databases compare words ("Çavuşoğlu" = "cavusoglu")."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True)
class Term:
    """One word, or a phrase of words that must follow each other."""

    words: tuple[str, ...]

    @property
    def folded(self) -> tuple[str, ...]:
        return tuple(fold(w) for w in self.words)

    def fts5(self) -> str:
        # Words are letters and digits only, so a quoted FTS5 string can hold them as they are.
        return '"' + " ".join(self.words) + '"'

    def websearch(self) -> str:
        return self.words[0] if len(self.words) == 1 else '"' + " ".join(self.words) + '"'


@dataclass(frozen=True)
class SearchQuery:
    """A parsed query: every group must match (a group is terms joined by OR), no excluded term may."""

    text: str
    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()

    @property
    def positive(self) -> list[Term]:
        return [term for group in self.groups for term in group]

    def fts5(self) -> str:
        parts = [group[0].fts5() if len(group) == 1 else "(" + " OR ".join(t.fts5() for t in group) + ")"
                 for group in self.groups]
        query = "(" + " AND ".join(parts) + ")"
        return query + "".join(f" NOT {term.fts5()}" for term in self.excluded)


def parse_query(text: Any) -> SearchQuery:
    """Parse what a user typed; DomainError (field ``q``) with a clear message when it cannot be searched."""
    if not isinstance(text, str):
        raise DomainError("q is the text to search for", "q")
    if "\x00" in text:
        raise DomainError("the search contains a NUL character", "q")
    if len(text) > MAX_QUERY_CHARS:
        raise DomainError(f"the search is longer than {MAX_QUERY_CHARS} characters", "q")
    cleaned = "".join(" " if unicodedata.category(ch) == "Cc" else ch
                      for ch in unicodedata.normalize("NFC", text)).translate(_QUOTES)
    if cleaned.count('"') % 2:
        raise DomainError('a quotation mark is not closed: put a phrase between two "', "q")
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    pending_or = False
    last_was_positive = False
    for match in _RAW_TERM.finditer(cleaned):
        negated, quoted, bare = match.group(1) == "-", match.group(2), match.group(3)
        if quoted is None and not negated and bare.lower() == "or":
            if not last_was_positive or pending_or:
                raise DomainError("OR goes between two words or phrases (to search for the word, "
                                  'put it in quotes: "or")', "q")
            pending_or = True
            continue
        words = tuple(WORD.findall((quoted if quoted is not None else bare).lower()))
        if not words:
            continue
        if len(words) > MAX_PHRASE_WORDS:
            raise DomainError(f"a phrase has at most {MAX_PHRASE_WORDS} words", "q")
        term = Term(words)
        if negated:
            if pending_or:
                raise DomainError("OR cannot join an excluded word (-word)", "q")
            excluded.append(term)
            last_was_positive = False
        elif pending_or:
            groups[-1].append(term)
            pending_or = False
        else:
            groups.append([term])
            last_was_positive = True
        if sum(len(g) for g in groups) + len(excluded) > MAX_TERMS:
            raise DomainError(f"search for at most {MAX_TERMS} words or phrases", "q")
    if pending_or:
        raise DomainError("OR goes between two words or phrases", "q")
    if not groups:
        if excluded:
            raise DomainError("a search needs at least one word that is not excluded (-word)", "q")
        raise DomainError("type at least one word to search for", "q")
    return SearchQuery(text.strip(), tuple(tuple(g) for g in groups), tuple(excluded))


# --- snippets (pure): the canonical text, with the matched words marked -------------------------

Piece = tuple[str, bool]


def match_spans(text: str, terms: Sequence[Term], limit: int | None = None) -> list[tuple[int, int]]:
    """[start, end) of every occurrence of a term in ``text`` (word by word, folded), in order."""
    wanted = [term.folded for term in terms]
    if not wanted:
        return []
    longest = max(len(w) for w in wanted)
    recent: list[tuple[int, int, str]] = []
    found: list[tuple[int, int]] = []
    for word in WORD.finditer(text):
        recent.append((word.start(), word.end(), fold(word.group())))
        if len(recent) > longest:
            recent.pop(0)
        for words in wanted:
            n = len(words)
            if len(recent) >= n and tuple(w for _s, _e, w in recent[-n:]) == words:
                start = recent[-n][0]
                if found and start < found[-1][1]:
                    found[-1] = (found[-1][0], max(found[-1][1], word.end()))
                else:
                    found.append((start, word.end()))
                break
        if limit is not None and len(found) >= limit:
            break
    return found


def mark(text: str, spans: Iterable[tuple[int, int]]) -> list[Piece]:
    """``text`` cut into (piece, is_match) parts; templates escape each part."""
    pieces: list[Piece] = []
    position = 0
    for start, end in spans:
        if start > position:
            pieces.append((text[position:start], False))
        pieces.append((text[start:end], True))
        position = end
    if position < len(text) or not pieces:
        pieces.append((text[position:], False))
    return pieces


@dataclass(frozen=True)
class Snippet:
    pieces: list[Piece]
    #: Index of the paragraph of the first match (paragraphs are joined by a blank line), or None.
    paragraph: int | None = None

    @property
    def text(self) -> str:
        return "".join(piece for piece, _hit in self.pieces)

    def html(self) -> Markup:
        """The snippet as HTML: every piece escaped, matches in <mark>."""
        return Markup("").join(Markup("<mark>{}</mark>").format(p) if hit else escape(p) for p, hit in self.pieces)


def snippet(text: str, terms: Sequence[Term], before: int = 90, after: int = 220) -> Snippet:
    """A window of ``text`` around its first match, cut at word boundaries, matches marked."""
    first = match_spans(text, terms, limit=1)
    if not first:
        end = _cut_after(text, min(len(text), before + after))
        return Snippet([(_flat(text[:end]) + ("…" if end < len(text) else ""), False)])
    start, _end = first[0]
    window_start = _cut_before(text, max(0, start - before))
    window_end = _cut_after(text, min(len(text), start + after))
    window = text[window_start:window_end]
    pieces = [(_flat(piece), hit) for piece, hit in mark(window, match_spans(window, terms))]
    if window_start > 0:
        pieces.insert(0, ("…", False))
    if window_end < len(text):
        pieces.append(("…", False))
    return Snippet(pieces, text.count("\n\n", 0, start))


def _flat(text: str) -> str:
    return re.sub(r"\s*\n+\s*", " ¶ ", text)


def _cut_before(text: str, position: int) -> int:
    """Move ``position`` forward to the start of a word (never splitting one)."""
    if position == 0:
        return 0
    space = text.find(" ", position)
    return position if space == -1 or space - position > 20 else space + 1


def _cut_after(text: str, position: int) -> int:
    if position >= len(text):
        return len(text)
    space = text.rfind(" ", 0, position)
    return position if space == -1 or position - space > 20 else space


# --- who may see which claims ------------------------------------------------------------------

@dataclass(frozen=True)
class LayerScope:
    """Which claims: one layer, of one annotator (``annotator_id``) or of everyone (None)."""

    layer: str = "annotator"
    annotator_id: int | None = None
    #: As asked: a user name, ``*`` for everyone, or None for the caller's own claims.
    annotator: str | None = None


def parse_layer(session: Session, access: ProjectAccess, annotator: Any, layer: Any) -> LayerScope:
    """The rules of the claims API (``visible_layer``), plus ``annotator=*`` for everyone pooled,
    which is allowed to whoever may read other annotators' claims (curators; anyone when not blind)."""
    annotator = annotator.strip() if isinstance(annotator, str) else None
    layer = layer.strip() if isinstance(layer, str) else None
    if annotator and len(annotator) > 64:
        raise DomainError("annotator is a user name", "annotator")
    if annotator == EVERYONE and layer in (None, "", "annotator"):
        if not access.is_curator and access.project.blind:
            raise Forbidden("annotators see only their own claims in a blind project", "annotator")
        return LayerScope("annotator", None, EVERYONE)
    chosen, annotator_id = visible_layer(session, access, annotator or None, layer or None)
    if chosen == "gold":
        return LayerScope("gold", None, None)
    return LayerScope("annotator", annotator_id, annotator if annotator_id != access.user.id else None)


# --- filters shared by the corpus pages --------------------------------------------------------

@dataclass(frozen=True)
class ClaimFilters:
    scope: LayerScope = field(default_factory=LayerScope)
    speaker: Speaker | None = None
    side: str | None = None
    attribution: str | None = None
    claim_type: str | None = None
    stance: tuple[str, str] | None = None
    outlet: str | None = None
    date_from: str | None = None
    date_to: str | None = None

    @property
    def about_claims(self) -> bool:
        """Whether a filter applies to claims only (then documents are not listed as hits)."""
        return any(getattr(self, name) is not None for name in CLAIM_FILTERS)


def text_arg(args: Mapping[str, Any], name: str) -> str | None:
    value = args.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise DomainError(f"{name} is text", name)
    if "\x00" in value:
        raise DomainError(f"{name} contains a NUL character", name)
    value = value.strip()
    if len(value) > MAX_FILTER_CHARS:
        raise DomainError(f"{name} is at most {MAX_FILTER_CHARS} characters", name)
    return value or None


def _coded(args: Mapping[str, Any], name: str, codebook: CodebookView, codebook_field: str) -> str | None:
    value = text_arg(args, name)
    if value is not None and value not in codebook.all_codes(codebook_field):
        raise DomainError(f"{name} must be one of: {', '.join(codebook.all_codes(codebook_field))}", name)
    return value


def parse_int(args: Mapping[str, Any], name: str, default: int, high: int) -> int:
    value = text_arg(args, name)
    if value is None:
        return default
    if not re.fullmatch(r"[0-9]{1,12}", value) or not 1 <= int(value) <= high:
        raise DomainError(f"{name} is a whole number from 1 to {high}", name)
    return int(value)


def parse_filters(session: Session, access: ProjectAccess, codebook: CodebookView, args: Mapping[str, Any],
                  names: Iterable[str] = (*CLAIM_FILTERS, "outlet", "dates")) -> ClaimFilters:
    """Filters from query arguments; unknown codes, speakers or dates -> DomainError naming the field."""
    names = set(names)
    scope = parse_layer(session, access, text_arg(args, "annotator"), text_arg(args, "layer"))
    values: dict[str, Any] = {"scope": scope}
    if "speaker" in names and (reference := text_arg(args, "speaker")) is not None:
        values["speaker"] = _speaker(session, access, reference)
    if "side" in names:
        values["side"] = _coded(args, "side", codebook, "sides")
    if "attribution" in names:
        values["attribution"] = _coded(args, "attribution", codebook, "attribution")
    if "claim_type" in names:
        values["claim_type"] = _coded(args, "claim_type", codebook, "claim_type")
    if "stance" in names and (stance := text_arg(args, "stance")) is not None:
        target, _sep, value = stance.partition("=")
        if target not in codebook.all_codes("targets") or value not in codebook.all_codes("stance"):
            raise DomainError(f"stance is TARGET=VALUE, with a target of {', '.join(codebook.all_codes('targets'))} "
                              f"and a value of {', '.join(codebook.all_codes('stance'))}", "stance")
        values["stance"] = (target, value)
    if "outlet" in names:
        values["outlet"] = text_arg(args, "outlet")
    if "dates" in names:
        for key in ("date_from", "date_to"):
            value = text_arg(args, key)
            if value is not None and not DATE.match(value):
                raise DomainError(f"{key} is a date like 2020-07-14 (or 2020-07, 2020)", key)
            values[key] = value
        if values["date_from"] and values["date_to"] and values["date_from"] > values["date_to"]:
            raise DomainError("date_from is after date_to", "date_from")
    return ClaimFilters(**values)


def _speaker(session: Session, access: ProjectAccess, reference: str) -> Speaker:
    if re.fullmatch(r"[0-9]+", reference):  # ASCII digits only: int() refuses superscripts
        if len(reference) > 10 or int(reference) > MAX_ID:
            raise DomainError(f"no speaker with id {reference} in this project", "speaker")
        speaker = session.get(Speaker, int(reference))
        if speaker is None or speaker.project_id != access.project.id:
            raise DomainError(f"no speaker with id {reference} in this project", "speaker")
        return speaker
    folded = fold(reference)
    matches = [s for s in list_speakers(session, access.project.id)
               if folded in {fold(n) for n in [s.name, *(s.aliases or [])]}]
    if len(matches) != 1:
        raise DomainError(f"no single speaker named {reference!r} in the registry; use the id", "speaker")
    return matches[0]


def visible_documents(access: ProjectAccess, filters: ClaimFilters) -> sa.Select[Any]:
    """Ids of the project's documents the caller may open, by outlet and publication date."""
    stmt = sa.select(Document.id).where(Document.project_id == access.project.id)
    if access.project.assigned_only and access.role == "annotator":
        # Annotators of such a project see nothing but their assigned documents (require_document).
        stmt = stmt.where(Document.id.in_(sa.select(Assignment.document_id).where(
            Assignment.user_id == access.user.id)))
    if filters.outlet:
        stmt = stmt.where(Document.source == filters.outlet)
    if filters.date_from:
        stmt = stmt.where(Document.published >= filters.date_from)
    if filters.date_to:
        # ISO dates as text: everything that starts with the end date is still inside.
        stmt = stmt.where(Document.published <= filters.date_to + "\uffff")
    return stmt


def filter_claims(stmt: sa.Select[Any], access: ProjectAccess, filters: ClaimFilters) -> sa.Select[Any]:
    """Restrict a select over Claim to the live claims of the caller's scope that pass the filters."""
    scope = filters.scope
    stmt = stmt.where(Claim.project_id == access.project.id, Claim.layer == scope.layer, Claim.deleted_at.is_(None),
                      Claim.document_id.in_(visible_documents(access, filters)))
    if scope.annotator_id is not None:
        stmt = stmt.where(Claim.annotator_id == scope.annotator_id)
    if filters.speaker is not None:
        stmt = stmt.where(Claim.speaker_id == filters.speaker.id)
    if filters.side is not None:
        stmt = stmt.where(Claim.speaker_id.in_(sa.select(Speaker.id).where(
            Speaker.project_id == access.project.id, Speaker.side == filters.side)))
    if filters.attribution is not None:
        stmt = stmt.where(Claim.attribution == filters.attribution)
    if filters.claim_type is not None:
        stmt = stmt.where(Claim.claim_type == filters.claim_type)
    if filters.stance is not None:
        target, value = filters.stance
        stmt = stmt.where(sa.exists().where(ClaimStance.claim_id == Claim.id, ClaimStance.target == target,
                                            ClaimStance.value == value))
    return stmt


@dataclass(frozen=True)
class DocumentInfo:
    id: int
    title: str
    source: str | None
    published: str | None


def document_infos(session: Session, ids: Iterable[int]) -> dict[int, DocumentInfo]:
    """Title, outlet and date of documents, in one query (never their text)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.execute(sa.select(Document.id, Document.title, Document.source, Document.published)
                           .where(Document.id.in_(wanted)))
    return {row.id: DocumentInfo(row.id, row.title, row.source, row.published) for row in rows}


def claim_link(claim: Claim, user: User) -> dict[str, Any]:
    """``url_for('annotate.document', **link)`` arguments that open the claim's layer at ``#c{id}``."""
    link: dict[str, Any] = {"document_id": claim.document_id, "_anchor": f"c{claim.id}"}
    if claim.layer == "gold":
        link["layer"] = "gold"
    elif claim.annotator_id != user.id:
        link["annotator"] = claim.annotator.username
    return link


@dataclass(frozen=True)
class FilterOptions:
    """What the filter forms offer: the registry, the members (for those who may pick one), codes."""

    speakers: list[Speaker]
    members: list[Membership]
    may_choose_annotator: bool

    @classmethod
    def load(cls, session: Session, access: ProjectAccess) -> FilterOptions:
        may_choose = access.is_curator or not access.project.blind
        return cls(list_speakers(session, access.project.id),
                   list_members(session, access.project.id) if may_choose else [], may_choose)


# --- search ----------------------------------------------------------------------------------

@dataclass
class DocumentHit:
    document: DocumentInfo
    title: list[Piece]
    snippet: Snippet


@dataclass
class ClaimHit:
    claim: Claim
    document: DocumentInfo
    content: list[list[Piece]]
    note: list[Piece] | None
    speaker_matched: bool
    link: dict[str, Any]


@dataclass
class SearchPage:
    access: ProjectAccess
    codebook: CodebookView
    options: FilterOptions
    args: Mapping[str, Any]
    query: SearchQuery | None = None
    filters: ClaimFilters | None = None
    error: DomainError | None = None
    page: int = 1
    documents: list[DocumentHit] = field(default_factory=list)
    claims: list[ClaimHit] = field(default_factory=list)
    document_total: int = 0
    claim_total: int = 0

    @property
    def has_next(self) -> bool:
        shown = self.page * PAGE_SIZE
        return self.document_total > shown or self.claim_total > shown


def search_page(session: Session, user: User, slug: str, args: Mapping[str, Any],
                require_query: bool = False) -> SearchPage:
    """Search a project's documents and claims. Bad input (422) is returned in ``error`` for the
    form to show; 403 and 404 are raised. Without ``q`` (and not ``require_query``) nothing is searched."""
    access = get_project_access(session, user, slug)
    result = SearchPage(access, current_codebook(session, access.project.id), FilterOptions.load(session, access),
                        args)
    if "q" not in args and not require_query:
        return result
    try:
        result.query = parse_query(args.get("q") or "")
        result.filters = parse_filters(session, access, result.codebook, args)
        result.page = parse_int(args, "page", 1, MAX_PAGE)
    except DomainError as exc:
        if exc.status != 422:
            raise
        result.error = exc
        return result
    offset = (result.page - 1) * PAGE_SIZE
    postgres = session.get_bind().dialect.name == "postgresql"
    try:
        if not result.filters.about_claims:
            result.document_total, result.documents = _search_documents(
                session, access, result.query, result.filters, offset, postgres)
        result.claim_total, result.claims = _search_claims(session, access, result.query, result.filters, offset,
                                                           postgres)
    except sa.exc.OperationalError as exc:
        # Terms reach FTS5 quoted, so this is a safety net, not a path users should meet.
        if "fts5" not in str(exc.orig).lower():
            raise
        result.error = DomainError("the search could not be understood; use words, \"phrases\", OR and -word", "q")
    return result


def _ts_query(query: SearchQuery) -> Any:
    """The query as a PostgreSQL tsquery: each term through websearch_to_tsquery, joined with the
    tsquery operators (websearch's own "a b or c" would mean (a & b) | c)."""
    def term(t: Term) -> Any:
        return sa.func.websearch_to_tsquery(sa.literal_column(f"'{PG_CONFIG}'::regconfig"), t.websearch())

    def any_of(terms: Sequence[Term]) -> Any:
        result = term(terms[0])
        for t in terms[1:]:
            result = sa.func.tsquery_or(result, term(t))
        return result

    exact = any_of(query.groups[0])
    for group in query.groups[1:]:
        exact = sa.func.tsquery_and(exact, any_of(group))
    for t in query.excluded:
        exact = sa.func.tsquery_and(exact, sa.func.tsquery_not(term(t)))
    return exact


def _ts_rank(vector: Any, query: SearchQuery) -> Any:
    """ts_rank against any of the query's words: like bm25, a bag-of-words score. (ts_rank of an
    AND or a phrase is quadratic in the words' positions: seconds over long, repetitive articles.)"""
    words = sorted({word for term in query.positive for word in term.words})
    return sa.func.ts_rank(vector, sa.func.to_tsquery(sa.literal_column(f"'{PG_CONFIG}'::regconfig"),
                                                      " | ".join(f"'{word}'" for word in words)))


def _fts5(table: str, query: SearchQuery) -> tuple[Any, Any]:
    """(rowid and bm25 rank of the matches, to join and order by; the matching rowids, for counting).

    The count uses ``id IN (matches)``: joined without an ORDER BY on the rank, SQLite's planner
    may walk the project's claims and probe the FTS index once per row (seconds on 200,000 claims)."""
    match = sa.literal_column(table).op("MATCH")(query.fts5())
    ranked = (sa.select(sa.literal_column("rowid").label("id"), sa.literal_column("rank").label("rank"))
              .select_from(sa.table(table)).where(match).subquery())
    return ranked, sa.select(sa.literal_column("rowid")).select_from(sa.table(table)).where(match)


def _search_documents(session: Session, access: ProjectAccess, query: SearchQuery, filters: ClaimFilters,
                      offset: int, postgres: bool) -> tuple[int, list[DocumentHit]]:
    columns = (Document.id, Document.title, Document.source, Document.published, Document.text)
    if postgres:
        exact = _ts_query(query)
        vector = SEARCH_DOCUMENTS.c.vector
        joined = sa.select(*columns).join(SEARCH_DOCUMENTS, SEARCH_DOCUMENTS.c.document_id == Document.id)
        stmt = joined.where(vector.op("@@")(exact)).order_by(_ts_rank(vector, query).desc(), Document.id)
        count = (sa.select(sa.func.count()).select_from(Document)
                 .join(SEARCH_DOCUMENTS, SEARCH_DOCUMENTS.c.document_id == Document.id).where(vector.op("@@")(exact)))
    else:
        fts, matching = _fts5("search_documents", query)
        stmt = sa.select(*columns).join(fts, fts.c.id == Document.id).order_by(fts.c.rank, Document.id)
        count = sa.select(sa.func.count()).select_from(Document).where(Document.id.in_(matching))
    visible = Document.id.in_(visible_documents(access, filters))
    total = session.scalar(count.where(visible)) or 0
    hits = []
    terms = query.positive
    for row in session.execute(stmt.where(visible).limit(PAGE_SIZE).offset(offset)):
        info = DocumentInfo(row.id, row.title, row.source, row.published)
        hits.append(DocumentHit(info, mark(row.title, match_spans(row.title, terms)), snippet(row.text, terms)))
    return total, hits


def _search_claims(session: Session, access: ProjectAccess, query: SearchQuery, filters: ClaimFilters,
                   offset: int, postgres: bool) -> tuple[int, list[ClaimHit]]:
    if postgres:
        exact = _ts_query(query)
        vector = SEARCH_CLAIMS.c.vector
        stmt = (sa.select(Claim.id).join(SEARCH_CLAIMS, SEARCH_CLAIMS.c.claim_id == Claim.id)
                .where(vector.op("@@")(exact))
                .order_by(_ts_rank(vector, query).desc(), Claim.id))
        count = (sa.select(sa.func.count()).select_from(Claim)
                 .join(SEARCH_CLAIMS, SEARCH_CLAIMS.c.claim_id == Claim.id).where(vector.op("@@")(exact)))
    else:
        fts, matching = _fts5("search_claims", query)
        stmt = sa.select(Claim.id).join(fts, fts.c.id == Claim.id).order_by(fts.c.rank, Claim.id)
        count = sa.select(sa.func.count()).select_from(Claim).where(Claim.id.in_(matching))
    total = session.scalar(filter_claims(count, access, filters)) or 0
    ids = list(session.scalars(filter_claims(stmt, access, filters).limit(PAGE_SIZE).offset(offset)))
    claims = load_claims(session, ids)
    documents = document_infos(session, (c.document_id for c in claims))
    terms = query.positive
    hits = []
    for claim in claims:
        note_spans = match_spans(claim.note, terms) if claim.note else []
        speaker_names = [claim.speaker.name, *(claim.speaker.aliases or [])] if claim.speaker else []
        hits.append(ClaimHit(
            claim, documents[claim.document_id],
            [mark(s.text, match_spans(s.text, terms)) for s in claim.segments],
            snippet(claim.note, terms).pieces if note_spans and claim.note else None,
            any(match_spans(name, terms, limit=1) for name in speaker_names),
            claim_link(claim, access.user)))
    return total, hits


# --- a speaker across the corpus ---------------------------------------------------------------

STANCE_VALUES = ("favor", "against", "neutral", "none")


@dataclass(frozen=True)
class TimelineRow:
    """Claims of one speaker toward one target on one publication date (None: undated)."""

    date: str | None
    target: str
    counts: dict[str, int]

    @property
    def claims(self) -> int:
        return sum(self.counts.values())

    @property
    def net(self) -> float | None:
        """(favour - against) / claims taking a position (favour, against, neutral); None if there are none."""
        taking = self.counts.get("favor", 0) + self.counts.get("against", 0) + self.counts.get("neutral", 0)
        return None if not taking else (self.counts.get("favor", 0) - self.counts.get("against", 0)) / taking


def stance_timeline(points: Iterable[tuple[str | None, str, str]], targets: Sequence[str]) -> list[TimelineRow]:
    """Count (publication date, target, stance value) points per day and target (pure).

    Dates are cut to the day; rows come by date (undated last), then in codebook target order."""
    counts: dict[tuple[str | None, str], dict[str, int]] = defaultdict(dict)
    for published, target, value in points:
        day = published[:10] if published and DATE.match(published[:10]) else None
        bucket = counts[(day, target)]
        bucket[value] = bucket.get(value, 0) + 1
    order = {t: i for i, t in enumerate(targets)}
    keys = sorted(counts, key=lambda k: (k[0] is None, k[0] or "", order.get(k[1], len(order)), k[1]))
    return [TimelineRow(day, target, counts[(day, target)]) for day, target in keys]


@dataclass
class SpeakerClaim:
    claim: Claim
    document: DocumentInfo
    link: dict[str, Any]


@dataclass
class SpeakerPage:
    access: ProjectAccess
    codebook: CodebookView
    options: FilterOptions
    speaker: Speaker
    merged_into: Speaker | None
    args: Mapping[str, Any]
    filters: ClaimFilters | None = None
    error: DomainError | None = None
    claims: list[SpeakerClaim] = field(default_factory=list)
    timeline: list[TimelineRow] = field(default_factory=list)


def speaker_page(session: Session, user: User, slug: str, speaker_id: int, args: Mapping[str, Any]) -> SpeakerPage:
    """Every claim a speaker made across the corpus (in the caller's visible layer) and their
    stance per target by publication date. A constant number of queries."""
    access = get_project_access(session, user, slug)
    if speaker_id > MAX_ID:
        raise NotFound("no such speaker", "speaker")
    speaker = get_speaker(session, access.project.id, speaker_id)
    merged_into = get_speaker(session, access.project.id, speaker.merged_into_id) if speaker.merged_into_id else None
    codebook = current_codebook(session, access.project.id)
    result = SpeakerPage(access, codebook, FilterOptions.load(session, access), speaker, merged_into, args)
    try:
        result.filters = parse_filters(session, access, codebook, args, names=("outlet", "dates"))
    except DomainError as exc:
        if exc.status != 422:
            raise
        result.error = exc
        return result
    stmt = sa.select(Claim.id).where(Claim.speaker_id == speaker.id)
    claims = load_claims(session, list(session.scalars(filter_claims(stmt, access, result.filters))))
    documents = document_infos(session, (c.document_id for c in claims))
    claims.sort(key=lambda c: (documents[c.document_id].published is None, documents[c.document_id].published or "",
                               c.document_id, c.segments[0].start if c.segments else 0, c.id))
    result.claims = [SpeakerClaim(c, documents[c.document_id], claim_link(c, user)) for c in claims]
    result.timeline = stance_timeline(
        ((documents[c.document_id].published, s.target, s.value) for c in claims for s in c.stances),
        codebook.all_codes("targets"))
    return result
