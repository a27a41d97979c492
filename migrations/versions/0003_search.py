"""full-text search: FTS5 (SQLite) and tsvector (PostgreSQL) tables kept in sync by triggers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

Both databases get two search tables, ``search_documents`` (title and text of each document) and
``search_claims`` (one row per claim: its content segments, note, and the speaker's name and
aliases), kept in step by triggers with every writer: the API, CLI imports, revisions, speaker
merges and renames, deletes, restores. Triggers rather than service code, because a claim's words
live in three tables written by many services (and by Core statements such as the speaker merge)
that a hook in one service would miss. Both tables are filled from the existing rows here.

SQLite: ``search_documents`` is an external-content FTS5 index over ``documents``;
``search_claims`` an FTS5 table. Tokenizer ``unicode61 remove_diacritics 2``.

PostgreSQL: a text search configuration ``sourcemark_search`` (``simple`` plus ``unaccent`` when
that extension can be installed, so "Cavusoglu" finds "Çavuşoğlu" as on SQLite) and GIN-indexed
tsvector columns, queried with ``websearch_to_tsquery``. The vectors are stored rather than an
expression index on the base tables: with an expression index PostgreSQL recomputes
``to_tsvector`` for every row it cannot settle from the index (a common word makes the planner
scan, a phrase needs a recheck, ranking needs the vector), which took 26-93 s over 20,000
articles; stored vectors answer the same queries in milliseconds. ASCII punctuation is turned into
spaces first, so both databases split words alike ("Nagorno-Karabakh" is two words, "1.2" is 1
and 2). Texts are indexed up to 200,000 characters: a tsvector holds at most 1 MB of words.

A later batch migration that rebuilds documents, claims, claim_segments or speakers on SQLite
drops their triggers with the table: it must create them again (SQLITE_UP here).

These objects are not ORM models: migrations/env.py must leave tables named ``search_*`` out of
autogenerate.
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

TOKENIZE = "tokenize = 'unicode61 remove_diacritics 2'"

# The speaker text of a claim's speaker (name and aliases), or NULL.
_SPEAKER_TEXT = (
    "(SELECT sp.name || ' ' || coalesce(CASE WHEN json_valid(sp.aliases) THEN "
    "(SELECT group_concat(j.value, ' ') FROM json_each(sp.aliases) AS j) END, '') "
    "FROM speakers AS sp WHERE sp.id = {speaker})"
)
_CLAIM_TEXT = "(SELECT group_concat(s.text, ' ') FROM claim_segments AS s WHERE s.claim_id = {claim})"

SQLITE_UP = [
    f"CREATE VIRTUAL TABLE search_documents USING fts5(title, text, content='documents', content_rowid='id', "
    f"{TOKENIZE})",
    "INSERT INTO search_documents(search_documents) VALUES ('rebuild')",
    "CREATE TRIGGER search_documents_ai AFTER INSERT ON documents BEGIN "
    "INSERT INTO search_documents(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "CREATE TRIGGER search_documents_ad AFTER DELETE ON documents BEGIN "
    "INSERT INTO search_documents(search_documents, rowid, title, text) "
    "VALUES ('delete', old.id, old.title, old.text); END",
    "CREATE TRIGGER search_documents_au AFTER UPDATE OF title, text ON documents BEGIN "
    "INSERT INTO search_documents(search_documents, rowid, title, text) "
    "VALUES ('delete', old.id, old.title, old.text); "
    "INSERT INTO search_documents(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    f"CREATE VIRTUAL TABLE search_claims USING fts5(claim_text, note, speaker, {TOKENIZE})",
    "INSERT INTO search_claims(rowid, claim_text, note, speaker) SELECT c.id, "
    f"{_CLAIM_TEXT.format(claim='c.id')}, c.note, {_SPEAKER_TEXT.format(speaker='c.speaker_id')} FROM claims AS c",
    "CREATE TRIGGER search_claims_ai AFTER INSERT ON claims BEGIN "
    "INSERT OR REPLACE INTO search_claims(rowid, claim_text, note, speaker) VALUES "
    f"(new.id, {_CLAIM_TEXT.format(claim='new.id')}, new.note, {_SPEAKER_TEXT.format(speaker='new.speaker_id')}); "
    "END",
    "CREATE TRIGGER search_claims_au AFTER UPDATE OF note, speaker_id ON claims BEGIN "
    f"UPDATE search_claims SET note = new.note, speaker = {_SPEAKER_TEXT.format(speaker='new.speaker_id')} "
    "WHERE rowid = new.id; END",
    "CREATE TRIGGER search_claims_ad AFTER DELETE ON claims BEGIN "
    "DELETE FROM search_claims WHERE rowid = old.id; END",
    "CREATE TRIGGER search_segments_ai AFTER INSERT ON claim_segments BEGIN "
    f"UPDATE search_claims SET claim_text = {_CLAIM_TEXT.format(claim='new.claim_id')} "
    "WHERE rowid = new.claim_id; END",
    "CREATE TRIGGER search_segments_au AFTER UPDATE OF text, claim_id ON claim_segments BEGIN "
    f"UPDATE search_claims SET claim_text = {_CLAIM_TEXT.format(claim='old.claim_id')} "
    "WHERE rowid = old.claim_id; "
    f"UPDATE search_claims SET claim_text = {_CLAIM_TEXT.format(claim='new.claim_id')} "
    "WHERE rowid = new.claim_id; END",
    "CREATE TRIGGER search_segments_ad AFTER DELETE ON claim_segments BEGIN "
    f"UPDATE search_claims SET claim_text = {_CLAIM_TEXT.format(claim='old.claim_id')} "
    "WHERE rowid = old.claim_id; END",
    "CREATE TRIGGER search_speakers_au AFTER UPDATE OF name, aliases ON speakers BEGIN "
    f"UPDATE search_claims SET speaker = {_SPEAKER_TEXT.format(speaker='new.id')} "
    "WHERE rowid IN (SELECT c.id FROM claims AS c WHERE c.speaker_id = new.id); END",
]
SQLITE_TRIGGERS = ("search_documents_ai", "search_documents_ad", "search_documents_au", "search_claims_ai",
                   "search_claims_au", "search_claims_ad", "search_segments_ai", "search_segments_au",
                   "search_segments_ad", "search_speakers_au")

# PostgreSQL. Keep the configuration name in step with app/services/search.py.
PG_CONFIG = "sourcemark_search"
# ASCII punctuation the PostgreSQL parser keeps inside tokens (hyphenated words, numbers, URLs,
# e-mail addresses, paths), without % and ? (which the driver would read as placeholders).
_PUNCTUATION = "!\"#$&'()*+,-./:;<=>@[\\]^_`{|}~"
PG_TEXT_LIMIT = 200000
PG_TABLES = ("search_claims", "search_documents")
PG_TRIGGERS = (("search_documents_sync", "documents"), ("search_claims_sync", "claims"),
               ("search_segments_sync", "claim_segments"), ("search_speakers_sync", "speakers"))
PG_FUNCTIONS = ("sourcemark_search_documents_trigger()", "sourcemark_search_claims_trigger()",
                "sourcemark_search_segments_trigger()", "sourcemark_search_speakers_trigger()",
                "sourcemark_search_claim(integer)", "sourcemark_search_vector(text)")


def _pg_statements(schema: str) -> list[str]:
    """Functions, tables, triggers and the backfill; ``schema`` qualifies what an index or a
    restore (which runs with an empty search_path) must find."""
    punctuation = _PUNCTUATION.replace("'", "''")
    spaces = " " * len(_PUNCTUATION)
    claim_vector = (
        "sourcemark_search_vector((SELECT string_agg(s.text, ' ' ORDER BY s.ordinal) FROM claim_segments AS s "
        "WHERE s.claim_id = c.id)) || sourcemark_search_vector(c.note) || sourcemark_search_vector("
        "(SELECT sp.name || ' ' || coalesce(sp.aliases::text, '') FROM speakers AS sp WHERE sp.id = c.speaker_id))")
    return [
        f"CREATE FUNCTION {schema}.sourcemark_search_vector(value text) RETURNS tsvector "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$ "
        f"SELECT to_tsvector('{schema}.{PG_CONFIG}'::regconfig, translate(left(coalesce(value, ''), {PG_TEXT_LIMIT}), "
        f"'{punctuation}', '{spaces}')) $fn$",
        "CREATE TABLE search_documents (document_id integer PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE, "
        "vector tsvector NOT NULL)",
        "CREATE INDEX ix_search_documents_vector ON search_documents USING gin (vector)",
        "CREATE TABLE search_claims (claim_id integer PRIMARY KEY REFERENCES claims (id) ON DELETE CASCADE, "
        "vector tsvector NOT NULL)",
        "CREATE INDEX ix_search_claims_vector ON search_claims USING gin (vector)",
        # One claim's words: its content segments, note, and speaker's name and aliases.
        f"CREATE FUNCTION {schema}.sourcemark_search_claim(claim integer) RETURNS void LANGUAGE plpgsql "
        "SET search_path FROM CURRENT AS $fn$ BEGIN "
        "INSERT INTO search_claims (claim_id, vector) "
        f"SELECT c.id, {claim_vector} FROM claims AS c WHERE c.id = claim "
        "ON CONFLICT (claim_id) DO UPDATE SET vector = EXCLUDED.vector; END $fn$",
        f"CREATE FUNCTION {schema}.sourcemark_search_documents_trigger() RETURNS trigger LANGUAGE plpgsql "
        "SET search_path FROM CURRENT AS $fn$ BEGIN "
        "INSERT INTO search_documents (document_id, vector) VALUES (NEW.id, "
        "setweight(sourcemark_search_vector(NEW.title), 'A') || setweight(sourcemark_search_vector(NEW.text), 'B')) "
        "ON CONFLICT (document_id) DO UPDATE SET vector = EXCLUDED.vector; RETURN NULL; END $fn$",
        f"CREATE FUNCTION {schema}.sourcemark_search_claims_trigger() RETURNS trigger LANGUAGE plpgsql "
        "SET search_path FROM CURRENT AS $fn$ BEGIN PERFORM sourcemark_search_claim(NEW.id); RETURN NULL; END $fn$",
        f"CREATE FUNCTION {schema}.sourcemark_search_segments_trigger() RETURNS trigger LANGUAGE plpgsql "
        "SET search_path FROM CURRENT AS $fn$ BEGIN "
        "IF TG_OP <> 'INSERT' THEN PERFORM sourcemark_search_claim(OLD.claim_id); END IF; "
        "IF TG_OP <> 'DELETE' THEN PERFORM sourcemark_search_claim(NEW.claim_id); END IF; "
        "RETURN NULL; END $fn$",
        f"CREATE FUNCTION {schema}.sourcemark_search_speakers_trigger() RETURNS trigger LANGUAGE plpgsql "
        "SET search_path FROM CURRENT AS $fn$ BEGIN "
        "PERFORM sourcemark_search_claim(c.id) FROM claims AS c WHERE c.speaker_id = NEW.id; RETURN NULL; END $fn$",
        "CREATE TRIGGER search_documents_sync AFTER INSERT OR UPDATE OF title, text ON documents "
        "FOR EACH ROW EXECUTE FUNCTION sourcemark_search_documents_trigger()",
        "CREATE TRIGGER search_claims_sync AFTER INSERT OR UPDATE OF note, speaker_id ON claims "
        "FOR EACH ROW EXECUTE FUNCTION sourcemark_search_claims_trigger()",
        "CREATE TRIGGER search_segments_sync AFTER INSERT OR UPDATE OR DELETE ON claim_segments "
        "FOR EACH ROW EXECUTE FUNCTION sourcemark_search_segments_trigger()",
        "CREATE TRIGGER search_speakers_sync AFTER UPDATE OF name, aliases ON speakers "
        "FOR EACH ROW EXECUTE FUNCTION sourcemark_search_speakers_trigger()",
        "INSERT INTO search_documents (document_id, vector) SELECT id, setweight(sourcemark_search_vector(title), 'A') "
        "|| setweight(sourcemark_search_vector(text), 'B') FROM documents",
        f"INSERT INTO search_claims (claim_id, vector) SELECT c.id, {claim_vector} FROM claims AS c",
    ]


def _pg_unaccent(bind: sa.engine.Connection) -> bool:
    """Install unaccent if the server has it and we may (a trusted extension since PostgreSQL 13)."""
    available = bind.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'").scalar() is not None
    if not available:
        return False
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
    except sa.exc.DBAPIError:
        return False
    return True


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_UP:
            bind.exec_driver_sql(statement)
    elif bind.dialect.name == "postgresql":
        unaccent = _pg_unaccent(bind)
        bind.exec_driver_sql(f"CREATE TEXT SEARCH CONFIGURATION {PG_CONFIG} (COPY = pg_catalog.simple)")
        if unaccent:
            bind.exec_driver_sql(f"ALTER TEXT SEARCH CONFIGURATION {PG_CONFIG} "
                                 "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple")
        schema = bind.exec_driver_sql("SELECT quote_ident(current_schema())").scalar()
        for statement in _pg_statements(schema):
            bind.exec_driver_sql(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for trigger in SQLITE_TRIGGERS:
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        bind.exec_driver_sql("DROP TABLE IF EXISTS search_claims")
        bind.exec_driver_sql("DROP TABLE IF EXISTS search_documents")
    elif bind.dialect.name == "postgresql":
        for trigger, table in PG_TRIGGERS:
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        for table in PG_TABLES:
            bind.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
        for function in PG_FUNCTIONS:
            bind.exec_driver_sql(f"DROP FUNCTION IF EXISTS {function}")
        # The unaccent extension stays: other objects of the database may use it.
        bind.exec_driver_sql(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {PG_CONFIG}")
