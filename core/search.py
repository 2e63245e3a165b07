"""Full-text search on SQLite and PostgreSQL alike, over the token streams that
core.analysis makes and every searchable record stores (`search_title`, `search_body`).

Each database indexes the streams natively, and one backend class per database says how:

- PostgreSQL: a generated tsvector column `search_vector` of the tokens with a GIN index,
  which finds the rows holding every token of a search; a substring test on the stored
  token streams then checks that each word's tokens stand in order;
- SQLite: an FTS5 table (unicode61 tokenizer) over the two columns, kept in sync by
  triggers.

A search (core.analysis.Search) matches a record holding every word anywhere in its title
or body ("anywhere"). Among its newest matches (up to the count cap, which is also as far
as anyone can page), those with every word in the title ("title") rank first, then those
with the words next to each other as typed ("together"), then the rest.

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
# A search ranks and counts its newest matches up to here ("200+" beyond): exact totals of
# common words would read the whole index, and each match counted is a row read. At
# 100,000 measures a word in 6% of them reads about 3,000 rows to find 200.
COUNT_CAP = 200
# Which databases this thread is running search statements on (see `statements`).
_within = threading.local()


@dataclass(frozen=True)
class In:
    """The right-hand side of the `matches` lookup: a search, in one scope."""

    search: Search
    scope: str = ANYWHERE
    # Only records whose id is within (low, high), both included, given as SQL expressions
    # and their parameters (low_sql, high_sql, params): a hint for an index that cannot
    # stop early in a list's own order (see core.facets.FacetedFilterSet.rows). Records
    # outside may still be returned; the caller decides which rows count.
    ids: tuple[str, str, list] | None = None


class SearchBackend:
    """How one database finds records whose token streams hold a search."""

    # Whether a list's page is worth looking for among its first rows before all of them
    # (core.facets.PAGE_WINDOW): true where the index must read every match of a query
    # before the rows can be taken in another order.
    pages_in_windows = False

    def condition(
        self, alias: str, model, search: Search, scope: str, within: tuple | None = None
    ) -> tuple[str, list]:
        """SQL (and its parameters) true for a row of `alias` (a table or its alias in a
        statement) that holds the search in the scope. `within` (low, high) lets the index
        read only the matches with ids in that range, where that is quicker."""
        raise NotImplementedError

    def source(self, model, search: Search) -> tuple[str, list]:
        """FROM and WHERE of a statement reading the ids (as `id`) of matching records."""
        raise NotImplementedError

    def ranked_part(self, index: int, model, search: Search, limit: int) -> tuple[str, list]:
        """A SELECT of (index, id, tier) for the newest `limit` matches of one model:
        tier 0 with every word in the title, 1 with the words together, 2 the rest."""
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

    def ranked(
        self, requests: list[tuple[type, Search]], cap: int | None = None, using: str = "default"
    ) -> list[list[int]]:
        """For each (model, search): the ids of its newest matches, up to `cap` + 1 (one more
        says "more than cap"), best first: title, together, the rest; newest first within.

        No statement counts every match: each part reads matches in id order and stops at
        its LIMIT, which SQLite's FTS5 and PostgreSQL (walking the primary key for common
        words, the GIN index for rare ones) answer without touching the rest; the tiers are
        then decided on those rows only. So a search costs about the same however large the
        knowledge base grows. One statement for all requests."""
        cap = COUNT_CAP if cap is None else cap
        parts, params = [], []
        for index, (model, search) in enumerate(requests):
            sql, part_params = self.ranked_part(index, model, search, cap + 1)
            parts.append(sql)
            params += part_params
        found: list[list[int]] = [[] for _ in requests]
        if parts:
            rows = self.run(" UNION ALL ".join(parts), params, using)
            for index, pk, _tier in sorted(rows, key=lambda row: (row[0], row[2], -row[1])):
                found[index].append(pk)
        return found

    def counts(
        self, requests: list[tuple[type, Search]], cap: int | None = None, using: str = "default"
    ) -> list[int]:
        """How many records of each (model, search) match, counted up to `cap` + 1 (more
        than `cap` means "cap+"): one statement, each part stopping at its cap."""
        cap = COUNT_CAP if cap is None else cap
        parts, params = [], []
        for index, (model, search) in enumerate(requests):
            source, source_params = self.source(model, search)
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

    def condition(self, alias, model, search, scope, within=None):
        # `within` is not needed: the planner stops walking the list's index at a page.
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

    def _in_title(self, alias: str, search: Search) -> tuple[str, list]:
        """Every word (by one of its names) in the title stream."""
        parts, params = [], []
        for word in search.words:
            alternatives = []
            for query in word.queries:
                sql, query_params = self._holds(alias, query, ("search_title",))
                alternatives.append(sql)
                params += query_params
            parts.append("(" + " OR ".join(alternatives) + ")")
        return " AND ".join(parts), params

    def source(self, model, search):
        table = f'"{model._meta.db_table}"'
        sql, params = self.condition(table, model, search, ANYWHERE)
        return f"FROM {table} WHERE {sql}", params

    def ranked_part(self, index, model, search, limit):
        table = f'"{model._meta.db_table}"'
        matches, params = self.condition(table, model, search, ANYWHERE)
        alias = f"c{index}"
        title, tier_params = self._in_title(alias, search)
        tiers = f"WHEN {title} THEN 0"
        if search.together:
            together, together_params = self._holds(
                alias, search.together, ("search_title", "search_body")
            )
            tiers += f" WHEN {together} THEN 1"
            tier_params += together_params
        sql = (
            f"SELECT {index}, {alias}.id, CASE {tiers} ELSE 2 END FROM "
            f"(SELECT id, search_title, search_body FROM {table} WHERE {matches} "
            f"ORDER BY id DESC LIMIT %s) {alias}"
        )
        return sql, [*tier_params, *params, limit]

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
    # FTS5 returns matches in rowid order only, so a list in another order first reads
    # every match: 15,654 of them for two common words at 100,000 measures (about 40 ms),
    # where the matches within the id range of the list's first rows take under 1 ms.
    pages_in_windows = True

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

    def condition(self, alias, model, search, scope, within=None):
        fts = self.fts_table(model)
        pk = model._meta.pk.column
        params = [self.expression(search, scope)]
        where = f"{fts} MATCH %s"
        if within:
            low, high, within_params = within
            where += f" AND rowid BETWEEN {low} AND {high}"
            params += within_params
        # The unary + keeps SQLite from looking each match up by its key and sorting them
        # all: a list walks its ordering's index instead and stops at a page's worth (the
        # measure list with two common words at 100,000 measures: 139 ms -> 43 ms; with no
        # match at all the walk costs about 14 ms).
        return f'+{alias}."{pk}" IN (SELECT rowid FROM {fts} WHERE {where})', params

    def source(self, model, search):
        fts = self.fts_table(model)
        return f"FROM {fts} WHERE {fts} MATCH %s", [self.expression(search, ANYWHERE)]

    def ranked_part(self, index, model, search, limit):
        fts = self.fts_table(model)
        alias = f"c{index}"
        scopes = [TITLE, TOGETHER] if search.together else [TITLE]
        tiers = " ".join(
            f"WHEN {alias}.id IN (SELECT rowid FROM {fts} WHERE {fts} MATCH %s) THEN {tier}"
            for tier, _scope in enumerate(scopes)
        )
        sql = (
            f"SELECT {index}, {alias}.id, CASE {tiers} ELSE 2 END FROM "
            f"(SELECT rowid AS id FROM {fts} WHERE {fts} MATCH %s "
            f"ORDER BY rowid DESC LIMIT %s) {alias}"
        )
        expressions = [self.expression(search, scope) for scope in scopes]
        return sql, [*expressions, self.expression(search, ANYWHERE), limit]

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
            alias, self.lhs.target.model, self.rhs.search, self.rhs.scope, self.rhs.ids
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
