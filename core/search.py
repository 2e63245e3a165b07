"""Full-text search on SQLite and PostgreSQL alike, over the token streams that
core.analysis makes and every searchable record stores (`search_title`, `search_body`).

Each database indexes the streams natively, and one backend class per database says how:

- PostgreSQL: a generated tsvector column `search_vector` of the tokens with a GIN index,
  which finds the rows holding every token of a search; a substring test on the stored
  token streams then checks that each word's tokens stand in order;
- SQLite: an FTS5 table (unicode61 tokenizer) over the two columns, kept in sync by
  triggers.

A search (core.analysis.Search) is found in one of three scopes: every word in the title
("title"), the words next to each other as typed ("together"), or every word anywhere in
the title or the body ("anywhere"). Results are ranked in that order.

The backend is chosen once per database vendor (`backend()`); models reach it through
`SearchableQuerySet` (core.models), migrations through `index_sql()`.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connections, models, transaction
from django.db.models import Lookup

from core.analysis import Query, Search

TITLE, TOGETHER, ANYWHERE = "title", "together", "anywhere"
# Counts stop here: exact totals of common words would read the whole index.
COUNT_CAP = 1000
# Which databases this thread is running search statements on (see `statements`).
_within = threading.local()


@dataclass(frozen=True)
class In:
    """The right-hand side of the `matches` lookup: a search, in one scope."""

    search: Search
    scope: str = ANYWHERE


@dataclass(frozen=True)
class PageRequest:
    """Which page of one model's matches to find."""

    model: type
    search: Search
    offset: int
    limit: int


@dataclass
class Ranked:
    """One page of matches' ids, best first, and whether more follow."""

    ids: list[int]
    has_more: bool


def tiers(search: Search) -> list[str]:
    """The scopes a search is ranked by, best first."""
    return [TITLE, TOGETHER, ANYWHERE] if search.together else [TITLE, ANYWHERE]


class SearchBackend:
    """How one database finds records whose token streams hold a search."""

    pk_column = "id"  # the column that ranked_ids reads, in id order

    def condition(self, alias: str, model, search: Search, scope: str) -> tuple[str, list]:
        """SQL (and its parameters) true for a row of `alias` (a table or its alias in a
        statement) that holds the search in the scope."""
        raise NotImplementedError

    def source(self, model, search: Search, scope: str, exclude: list[str]) -> tuple[str, list]:
        """FROM and WHERE of a statement reading the ids of matching records in id order:
        those in `scope` but in none of the `exclude` scopes."""
        raise NotImplementedError

    def index_sql(self, table: str) -> tuple[list[str], list[str]]:
        """(forward, reverse) SQL that creates the full-text index of `table`."""
        raise NotImplementedError

    def planner_settings(self, cursor) -> None:
        """Settings for the search statements, scoped to their transaction."""

    @contextmanager
    def statements(self, using: str = "default") -> Iterator[None]:
        """Run the search statements inside in one transaction, its planner settings made
        once (a page's ranked ids and counts share them)."""
        if getattr(_within, using, False):
            yield
            return
        with transaction.atomic(using=using), connections[using].cursor() as cursor:
            self.planner_settings(cursor)
            setattr(_within, using, True)
            try:
                yield
            finally:
                setattr(_within, using, False)

    def run(self, sql: str, params: list, using: str = "default") -> list[tuple]:
        with self.statements(using), connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def ranked_ids(self, requests: list[PageRequest], using: str = "default") -> list[Ranked]:
        """A page of ids for each request, best first (see `tiers`), newest first within
        a tier.

        No statement counts every match: each part reads in id order and stops at its
        LIMIT (one more than the page, to know whether another page follows), which
        SQLite's FTS5 and PostgreSQL (walking the primary key for common words, the GIN
        index for rare ones) answer without touching the rest. So a page costs about the
        same however large the knowledge base grows. One statement for all requests."""
        parts, params = [], []
        column = self.pk_column
        for index, request in enumerate(requests):
            wanted = request.offset + request.limit + 1
            scopes = tiers(request.search)
            for rank, scope in enumerate(scopes):
                source, source_params = self.source(
                    request.model, request.search, scope, scopes[:rank]
                )
                parts.append(
                    f"SELECT * FROM (SELECT {index} AS request, {rank} AS rank, {column} AS id "
                    f"{source} ORDER BY {column} DESC LIMIT %s) part{index}_{rank}"
                )
                params += [*source_params, wanted]
        found: list[list[int]] = [[] for _ in requests]
        if parts:
            rows = self.run(" UNION ALL ".join(parts) + " ORDER BY 1, 2, 3 DESC", params, using)
            for index, _rank, pk in rows:
                found[index].append(pk)
        results = []
        for request, ids in zip(requests, found, strict=True):
            page = ids[request.offset : request.offset + request.limit + 1]
            results.append(Ranked(page[: request.limit], len(page) > request.limit))
        return results

    def counts(
        self, requests: list[tuple[type, Search]], cap: int | None = None, using: str = "default"
    ) -> list[int]:
        """How many records of each (model, search) match, counted up to `cap` + 1 (more
        than `cap` means "cap+"): one statement, each part stopping at its cap."""
        cap = COUNT_CAP if cap is None else cap
        parts, params = [], []
        for index, (model, search) in enumerate(requests):
            source, source_params = self.source(model, search, ANYWHERE, [])
            parts.append(
                f"SELECT {index} AS request, COUNT(*) AS n FROM "
                f"(SELECT 1 {source} LIMIT %s) count{index}"
            )
            params += [*source_params, cap + 1]
        if not parts:
            return []
        found = dict(self.run(" UNION ALL ".join(parts), params, using))
        return [found.get(index, 0) for index in range(len(requests))]


class PostgreSQLSearch(SearchBackend):
    """The GIN index finds the rows holding every token (of any of a word's names); a
    substring test on the token streams checks that a word's tokens stand in order.

    Checking order that way rather than with a phrase tsquery matters for speed: a phrase
    or weight makes PostgreSQL re-read each candidate's stored tsvector (large, compressed,
    out of line), while the token stream of a title is short and read in place. strpos()
    rather than LIKE because the planner guesses that LIKE on an expression keeps 0.5% of
    the rows, far too few for a common word, and then joins in the wrong order; for
    strpos() it guesses a third."""

    @staticmethod
    def _in_stream(alias: str, column: str, query: Query) -> tuple[str, list]:
        stream = f"(' ' || {alias}.\"{column}\" || ' ')"
        needles = query.needles()
        return " AND ".join(f"strpos({stream}, %s) > 0" for _ in needles), needles

    def _holds(self, alias: str, query: Query, columns: tuple[str, ...]) -> tuple[str, list]:
        """The query's tokens in order within one of the columns."""
        parts, params = [], []
        for column in columns:
            sql, column_params = self._in_stream(alias, column, query)
            parts.append(f"({sql})")
            params += column_params
        return "(" + " OR ".join(parts) + ")", params

    def condition(self, alias, model, search, scope):
        gate_query = search.together if scope == TOGETHER else None
        tsquery = gate_query.tsquery() if gate_query else search.tsquery()
        gate = f"{alias}.\"search_vector\" @@ to_tsquery('simple', %s)"
        if scope == TOGETHER:
            sql, params = self._holds(alias, search.together, ("search_title", "search_body"))
            return f"({gate} AND {sql})", [tsquery, *params]
        columns = ("search_title",) if scope == TITLE else ("search_title", "search_body")
        checks, params = [], []
        for word in search.words:
            queries = word.queries
            if scope == ANYWHERE and all(len(query.tokens()) == 1 for query in queries):
                # A word of one token (in each of its names) is exactly what the index
                # answers; without a substring test the planner also estimates the matches
                # from its statistics, and so picks the plan (the index, or the primary key
                # in order) that suits a rare or a common word.
                continue
            alternatives = []
            for query in queries:
                sql, query_params = self._holds(alias, query, columns)
                alternatives.append(sql)
                params += query_params
            checks.append("(" + " OR ".join(alternatives) + ")")
        if not checks:
            return gate, [tsquery]
        return f"({gate} AND {' AND '.join(checks)})", [tsquery, *params]

    def source(self, model, search, scope, exclude):
        table = f'"{model._meta.db_table}"'
        sql, params = self.condition(table, model, search, scope)
        for other in exclude:
            other_sql, other_params = self.condition(table, model, search, other)
            sql, params = f"{sql} AND NOT {other_sql}", [*params, *other_params]
        return f"FROM {table} WHERE {sql}", params

    def planner_settings(self, cursor):
        # Built for an index (the primary key or GIN); on a small table the planner would
        # rather read everything, which stops being cheap as the table grows. SET LOCAL
        # ends with the statement's transaction (`run` opens one for it).
        cursor.execute("SET LOCAL enable_seqscan = off")

    def index_sql(self, table):
        return (
            [
                # Tokens only, without positions or weights: order and place are checked
                # by a substring test (see match_sql); a small vector is cheap to read.
                f'ALTER TABLE "{table}" ADD COLUMN "search_vector" tsvector GENERATED ALWAYS AS '
                f"(strip(to_tsvector('simple', \"search_title\" || ' ' || \"search_body\"))) STORED",
                f'CREATE INDEX "{table}_search_gin" ON "{table}" USING GIN ("search_vector")',
                # Chinese bigrams are many; a longer statistics list lets the planner
                # tell a common word (scan in id order) from a rare one (use the index).
                f'ALTER TABLE "{table}" ALTER COLUMN "search_vector" SET STATISTICS 1000',
            ],
            [f'ALTER TABLE "{table}" DROP COLUMN IF EXISTS "search_vector"'],
        )


class SQLiteSearch(SearchBackend):
    pk_column = "rowid"

    @staticmethod
    def fts_table(model) -> str:
        return f'"{model._meta.db_table}_fts"'

    @staticmethod
    def expression(search: Search, scope: str) -> str:
        """The FTS5 query of a scope (tokens are letters, digits and Han characters only, so
        quoting them cannot let user input become FTS5 syntax)."""
        if scope == TOGETHER:
            return search.together.fts5()
        if scope == TITLE:
            return f"search_title : ({search.fts5()})"
        return search.fts5()

    def condition(self, alias, model, search, scope):
        fts = self.fts_table(model)
        pk = model._meta.pk.column
        sql = f'{alias}."{pk}" IN (SELECT rowid FROM {fts} WHERE {fts} MATCH %s)'
        return sql, [self.expression(search, scope)]

    def source(self, model, search, scope, exclude):
        fts = self.fts_table(model)
        expression = f"({self.expression(search, scope)})"
        for other in exclude:
            expression += f" NOT ({self.expression(search, other)})"
        return f"FROM {fts} WHERE {fts} MATCH %s", [expression]

    def index_sql(self, table):
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

    def missing_index_objects(self, table: str, existing: set[str]) -> bool:
        fts = f"{table}_fts"
        return not {fts, f"{fts}_ai", f"{fts}_ad", f"{fts}_au"} <= existing


BACKENDS = {"postgresql": PostgreSQLSearch(), "sqlite": SQLiteSearch()}


def backend(vendor: str | None = None) -> SearchBackend:
    """The search backend for a database vendor (the default database's when not given)."""
    return BACKENDS[vendor or connections["default"].vendor]


class SearchTokens(models.TextField):
    """A stored token stream (see core.analysis.analyze). Its `matches` lookup is how a
    queryset asks the database's index for a query."""


@SearchTokens.register_lookup
class Matches(Lookup):
    """`search_title__matches=In(search)`: the record's indexed text holds the search.

    A lookup (rather than raw SQL naming the table) so that Django supplies the table's
    alias, and it works inside subqueries such as facet counts."""

    lookup_name = "matches"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        alias = compiler.quote_name_unless_alias(self.lhs.alias)
        return backend(connection.vendor).condition(
            alias, self.lhs.target.model, self.rhs.search, self.rhs.scope
        )


# Migrations: the native index for a searchable model, on whichever database this is.


def create_search_index(app_label: str, model_name: str):
    """A RunPython pair for a migration: the index of one model, for the database at hand."""

    def run(apps, schema_editor, *, reverse=False):
        table = apps.get_model(app_label, model_name)._meta.db_table
        forward, backward = backend(schema_editor.connection.vendor).index_sql(table)
        for statement in backward if reverse else forward:
            schema_editor.execute(statement)

    def forwards(apps, schema_editor):
        run(apps, schema_editor)

    def backwards(apps, schema_editor):
        run(apps, schema_editor, reverse=True)

    return forwards, backwards


def recreate_postgresql_index(app_label: str, model_name: str):
    """A RunPython for a migration that changes the PostgreSQL index: drop it, make it anew."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = apps.get_model(app_label, model_name)._meta.db_table
        forward, backward = backend("postgresql").index_sql(table)
        for statement in [*backward, *forward]:
            schema_editor.execute(statement)

    return run


def repair_sqlite_indexes(tables: list[str], using: str = "default") -> None:
    """Re-create any missing FTS5 table or trigger of these tables (after every migrate).

    SQLite cannot alter a column in place: Django rebuilds the table, and the triggers
    that keep the FTS5 table in step go with the old one. Recreating them (and re-reading
    the table) means a later migration can never silently stop the search."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    sqlite = BACKENDS["sqlite"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        existing = {row[0] for row in cursor.fetchall()}
        for table in tables:
            if table not in existing or not sqlite.missing_index_objects(table, existing):
                continue
            forward, backward = sqlite.index_sql(table)
            for statement in [*backward, *forward]:
                cursor.execute(statement)
