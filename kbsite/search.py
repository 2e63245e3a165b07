"""Full-text search that understands Chinese, on SQLite and PostgreSQL alike.

Neither database splits Chinese into words, and trigram indexes cannot match the
two-character words most Chinese words are. So, as Lucene's CJKAnalyzer does, text is
analysed in Python into tokens: every run of Chinese characters becomes its overlapping
bigrams (信贷支持 -> 信贷 贷支 支持), a lone character stays itself, Latin words are
lowercased and numbers kept. Each searchable record stores that token stream for its
title and its body (`search_title`, `search_body`), and the database indexes it natively:

- PostgreSQL: a generated tsvector column `search_vector` of the tokens with a GIN
  index, which finds the rows holding every token of a query; a substring test on the
  stored token streams then checks that they stand in order (see postgresql_match);
- SQLite: an FTS5 table (unicode61 tokenizer) over the two columns, kept in sync by
  triggers.

A query is analysed the same way and matched as a phrase, so a word of any length
behaves like a substring search. After the bigram stream each field also holds the
text's single characters (behind a separator token), so that one-character queries
find their character too.
"""

import re
from dataclasses import dataclass

from django.db import connection, models
from django.db.models import Lookup, QuerySet

HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"[{HAN}]+|[A-Za-z0-9]+")
_IS_HAN = re.compile(rf"[{HAN}]")
# Keeps single characters from forming a phrase with the bigrams before them.
SEPARATOR = "zzsepzz"
MAX_QUERY_LENGTH = 500


def _runs(text: str) -> list[str]:
    return _RUNS.findall(text or "")


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def analyze(text: str) -> str:
    """The token stream stored for a field: bigrams and words, then single characters."""
    tokens, chars = [], []
    for run in _runs(text):
        if _IS_HAN.match(run):
            tokens.extend(_bigrams(run))
            chars.extend(run)
        else:
            tokens.append(run.lower())
    if chars:
        tokens.append(SEPARATOR)
        tokens.extend(chars)
    return " ".join(tokens)


@dataclass(frozen=True)
class Query:
    """An analysed query: a phrase of tokens that must occur in order, and single
    Chinese characters that must occur somewhere (a lone character next to other words
    cannot be part of the phrase: stored text has it only inside a bigram)."""

    phrase: tuple[str, ...]
    chars: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> "Query":
        runs = _runs((text or "")[:MAX_QUERY_LENGTH])
        if len(runs) == 1 and len(runs[0]) == 1:  # one character: search for it alone
            return cls((runs[0].lower(),), ())
        phrase, chars = [], []
        for run in runs:
            if not _IS_HAN.match(run):
                phrase.append(run.lower())
            elif len(run) == 1:
                chars.append(run)
            else:
                phrase.extend(_bigrams(run))
        return cls(tuple(phrase), tuple(chars))

    def __bool__(self) -> bool:
        return bool(self.phrase or self.chars)

    # Tokens contain only letters, digits and Chinese characters (see _RUNS), so
    # quoting them cannot let user input become query syntax on either database.
    def fts5(self, column: str | None = None) -> str:
        prefix = f"{column} : " if column else ""
        parts = [f'{prefix}"{" ".join(self.phrase)}"'] if self.phrase else []
        parts += [f'{prefix}"{char}"' for char in self.chars]
        return " AND ".join(parts)

    def tsquery(self) -> str:
        """Every token, anywhere: what PostgreSQL's GIN index answers exactly (without
        positions or weights it need not re-read a row); `needles` then checks
        the order."""
        return " & ".join(f"'{token}'" for token in self.tokens())

    def tokens(self) -> list[str]:
        """The distinct tokens, phrase first."""
        return list(dict.fromkeys([*self.phrase, *self.chars]))

    def needles(self) -> list[str]:
        """What a stored token stream (with a space added at each end) must contain: the
        phrase's tokens next to each other, and each lone character as a token of its own."""
        groups = [self.phrase] if self.phrase else []
        groups += [(char,) for char in self.chars]
        return [f" {' '.join(group)} " for group in groups]


def fts_table(model) -> str:
    return f"{model._meta.db_table}_fts"


@dataclass(frozen=True)
class In:
    """The right-hand side of the `matches` lookup: a query, in all text or titles only."""

    query: Query
    title_only: bool = False


@models.BigAutoField.register_lookup
class Matches(Lookup):
    """`pk__matches=In(query)`: the record's indexed text contains the query.

    A lookup on the primary key (rather than raw SQL naming the table) so that Django
    supplies the table's alias, and it works inside subqueries such as facet counts."""

    lookup_name = "matches"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        query, title_only = self.rhs.query, self.rhs.title_only
        if connection.vendor == "postgresql":
            sql, params = postgresql_match(lhs.rsplit(".", 1)[0], query, title_only)
            return sql, [*lhs_params, *params]
        fts = fts_table(self.lhs.target.model)
        sql = f'{lhs} IN (SELECT rowid FROM "{fts}" WHERE "{fts}" MATCH %s)'
        return sql, [*lhs_params, query.fts5("search_title" if title_only else None)]


def postgresql_match(table: str, query: Query, title_only: bool) -> tuple[str, list[str]]:
    """SQL (and its parameters) true for a row of `table` whose tokens hold the query: the
    GIN index finds the rows with every token, a substring test on the token streams
    checks that they stand in order.

    Checking order that way rather than with a phrase tsquery matters for speed: a phrase
    or weight makes PostgreSQL re-read each candidate's stored tsvector (large, compressed,
    out of line), while the token stream of a title is short and read in place. strpos()
    rather than LIKE because the planner guesses that LIKE on an expression keeps 0.5% of
    the rows, far too few for a common word, and then joins in the wrong order; for
    strpos() it guesses a third."""
    tsquery = f"{table}.\"search_vector\" @@ to_tsquery('simple', %s)"
    if not title_only and len(query.tokens()) == 1:
        # One token is exactly what the index answers; without a substring test the
        # planner also estimates the matches from its statistics, and so picks the plan
        # (the index, or the primary key in order) that suits a rare or a common word.
        return tsquery, [query.tsquery()]
    patterns = query.needles()

    def contains(column: str) -> str:
        stream = f"(' ' || {table}.\"{column}\" || ' ')"
        return " AND ".join(f"strpos({stream}, %s) > 0" for _ in patterns)

    if title_only:
        sql, params = contains("search_title"), patterns
    else:
        sql = f"(({contains('search_title')}) OR ({contains('search_body')}))"
        params = [*patterns, *patterns]
    return f"({tsquery} AND {sql})", [query.tsquery(), *params]


def match(queryset: QuerySet, query: Query, *, title_only: bool = False) -> QuerySet:
    """The records whose title or body (or title only) contain the query."""
    if not query:
        return queryset.none()
    return queryset.filter(pk__matches=In(query, title_only))


@dataclass
class Ranked:
    """One page of matches, title matches first, and whether more follow."""

    ids: list[int]
    has_more: bool


def ranked_ids(model, query: Query, offset: int, limit: int) -> Ranked:
    """A page of ids of `model`'s records matching `query`: title matches first, then
    matches in the text only, newest first within each.

    No statement counts every match: each reads in id order and stops at its LIMIT (one
    more than the page, to know whether another page follows), which SQLite's FTS5 and
    PostgreSQL (walking the primary key for common words, the GIN index for rare ones)
    answer without touching the rest. So a page costs about the same however large the
    knowledge base grows. One statement (three on PostgreSQL, with the planner setting)."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(model._meta.db_table)
        title, title_params = postgresql_match(table, query, title_only=True)
        anywhere, anywhere_params = postgresql_match(table, query, title_only=False)
        sources = {
            "title": (f"FROM {table} WHERE {title}", title_params),
            "text": (
                f"FROM {table} WHERE {anywhere} AND NOT {title}",
                [*anywhere_params, *title_params],
            ),
        }
        column = "id"
    else:
        table = connection.ops.quote_name(fts_table(model))
        title, anywhere = query.fts5("search_title"), query.fts5()
        sources = {
            "title": (f"FROM {table} WHERE {table} MATCH %s", [title]),
            "text": (f"FROM {table} WHERE {table} MATCH %s", [f"({anywhere}) NOT ({title})"]),
        }
        column = "rowid"
    wanted = offset + limit + 1
    # One statement: each part reads in id order and stops at its own LIMIT.
    (title_sql, title_params), (text_sql, text_params) = sources["title"], sources["text"]
    sql = (
        f"SELECT * FROM (SELECT 0, {column} {title_sql} ORDER BY {column} DESC LIMIT %s) title "
        f"UNION ALL SELECT * FROM (SELECT 1, {column} {text_sql} ORDER BY {column} DESC LIMIT %s) "
        "text ORDER BY 1, 2 DESC"
    )
    params = [*title_params, wanted, *text_params, wanted]
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        # On PostgreSQL: built for an index (the primary key or GIN); on a small table the
        # planner would rather read everything, which stops being cheap as the table grows.
        # A SET undone by RESET, or by the rollback of a failed transaction.
        if postgresql:
            cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute(sql, params)
            ids = [row[1] for row in cursor.fetchall()]
        finally:
            if postgresql:
                cursor.execute("RESET enable_seqscan")
    page = ids[offset : offset + limit + 1]
    return Ranked(page[:limit], len(page) > limit)


# Migrations: the native index for a searchable model, on whichever database this is.


def index_sql(table: str, vendor: str) -> tuple[list[str], list[str]]:
    """(forward, reverse) SQL that creates the full-text index of `table`."""
    if vendor == "postgresql":
        return (
            [
                # Tokens only, without positions or weights: order and place are checked
                # by a substring test (see postgresql_match); a small vector is cheap to read.
                f'ALTER TABLE "{table}" ADD COLUMN "search_vector" tsvector GENERATED ALWAYS AS '
                f"(strip(to_tsvector('simple', \"search_title\" || ' ' || \"search_body\"))) STORED",
                f'CREATE INDEX "{table}_search_gin" ON "{table}" USING GIN ("search_vector")',
                # Chinese bigrams are many; a longer statistics list lets the planner
                # tell a common word (scan in id order) from a rare one (use the index).
                f'ALTER TABLE "{table}" ALTER COLUMN "search_vector" SET STATISTICS 1000',
            ],
            [f'ALTER TABLE "{table}" DROP COLUMN IF EXISTS "search_vector"'],
        )
    fts = f"{table}_fts"
    return (
        [
            f'CREATE VIRTUAL TABLE "{fts}" USING fts5(search_title, search_body, '
            f"content='{table}', content_rowid='id', tokenize='unicode61')",
            f'CREATE TRIGGER "{fts}_ai" AFTER INSERT ON "{table}" BEGIN '
            f'INSERT INTO "{fts}"(rowid, search_title, search_body) '
            "VALUES (new.id, new.search_title, new.search_body); END",
            f'CREATE TRIGGER "{fts}_ad" AFTER DELETE ON "{table}" BEGIN '
            f'INSERT INTO "{fts}"("{fts}", rowid, search_title, search_body) '
            "VALUES ('delete', old.id, old.search_title, old.search_body); END",
            f'CREATE TRIGGER "{fts}_au" AFTER UPDATE ON "{table}" BEGIN '
            f'INSERT INTO "{fts}"("{fts}", rowid, search_title, search_body) '
            "VALUES ('delete', old.id, old.search_title, old.search_body); "
            f'INSERT INTO "{fts}"(rowid, search_title, search_body) '
            "VALUES (new.id, new.search_title, new.search_body); END",
            f'INSERT INTO "{fts}"("{fts}") VALUES (\'rebuild\')',
        ],
        [f'DROP TABLE IF EXISTS "{fts}"']
        + [f'DROP TRIGGER IF EXISTS "{fts}_{t}"' for t in ("ai", "ad", "au")],
    )


def recreate_postgresql_index(app_label: str, model_name: str):
    """A RunPython for a migration that changes the PostgreSQL index: drop it, make it anew."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = apps.get_model(app_label, model_name)._meta.db_table
        forward, backward = index_sql(table, "postgresql")
        for statement in [*backward, *forward]:
            schema_editor.execute(statement)

    return run


def create_search_index(app_label: str, model_name: str):
    """A RunPython pair for a migration: the index of one model, for the database at hand."""

    def run(apps, schema_editor, *, reverse=False):
        table = apps.get_model(app_label, model_name)._meta.db_table
        forward, backward = index_sql(table, schema_editor.connection.vendor)
        for statement in backward if reverse else forward:
            schema_editor.execute(statement)

    def forwards(apps, schema_editor):
        run(apps, schema_editor)

    def backwards(apps, schema_editor):
        run(apps, schema_editor, reverse=True)

    return forwards, backwards


def repair_sqlite_indexes(using: str = "default", **kwargs) -> None:
    """Re-create any missing FTS5 table or trigger (after every migrate, on SQLite).

    SQLite cannot alter a column in place: Django rebuilds the table, and the triggers
    that keep the FTS5 table in step go with the old one. Recreating them here (and
    re-reading the table) means a later migration can never silently stop the search."""
    from django.apps import apps
    from django.db import connections

    from kbsite.models import Searchable

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        existing = {row[0] for row in cursor.fetchall()}
        for model in apps.get_models():
            if not issubclass(model, Searchable):
                continue
            table = model._meta.db_table
            fts = f"{table}_fts"
            if table not in existing or {fts, f"{fts}_ai", f"{fts}_ad", f"{fts}_au"} <= existing:
                continue
            forward, backward = index_sql(table, "sqlite")
            for statement in [*backward, *forward]:
                cursor.execute(statement)
