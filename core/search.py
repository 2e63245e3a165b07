"""Full-text search on SQLite and PostgreSQL alike, over the token streams that
core.analysis makes and every searchable record stores (`search_title`, `search_body`).

Each database indexes the streams natively, and one backend class per database says how:

- PostgreSQL: a generated tsvector column `search_vector` of the tokens with a GIN index,
  which finds the rows holding every token of a query; a substring test on the stored
  token streams then checks that they stand in order;
- SQLite: an FTS5 table (unicode61 tokenizer) over the two columns, kept in sync by
  triggers.

The backend is chosen once per database vendor (`backend()`); models reach it through
`SearchableQuerySet.matching()` and `.search_pages()`, migrations through `index_sql()`.
"""

from dataclasses import dataclass

from django.db import connections, models, transaction
from django.db.models import Lookup

from core.analysis import Query


@dataclass(frozen=True)
class In:
    """The right-hand side of the `matches` lookup: a query, in all text or titles only."""

    query: Query
    title_only: bool = False


@dataclass(frozen=True)
class PageRequest:
    """Which page of one model's matches to find."""

    model: type
    query: Query
    offset: int
    limit: int


@dataclass
class Ranked:
    """One page of matches' ids, title matches first, and whether more follow."""

    ids: list[int]
    has_more: bool


class SearchBackend:
    """How one database finds records whose token streams hold a query."""

    pk_column = "id"  # the column that ranked_ids reads, in id order

    def match_sql(self, alias: str, model, query: Query, title_only: bool):
        """SQL (and its parameters) true for a row of `alias` (a table or its alias in a
        statement) whose text, or title only, holds the query."""
        raise NotImplementedError

    def source_sql(self, model, query: Query, title_only: bool, exclude_title: bool):
        """FROM and WHERE of a statement reading matching ids in id order."""
        raise NotImplementedError

    def index_sql(self, table: str) -> tuple[list[str], list[str]]:
        """(forward, reverse) SQL that creates the full-text index of `table`."""
        raise NotImplementedError

    def planner_settings(self, cursor) -> None:
        """Settings for the ranked statement, scoped to its transaction."""

    def ranked_ids(self, requests: list[PageRequest], using: str = "default") -> list[Ranked]:
        """A page of ids for each request: title matches first, then matches in the text
        only, newest first within each.

        No statement counts every match: each part reads in id order and stops at its
        LIMIT (one more than the page, to know whether another page follows), which
        SQLite's FTS5 and PostgreSQL (walking the primary key for common words, the GIN
        index for rare ones) answer without touching the rest. So a page costs about the
        same however large the knowledge base grows. One statement for all requests."""
        parts, params = [], []
        for index, request in enumerate(requests):
            wanted = request.offset + request.limit + 1
            for rank, (source, source_params) in enumerate(
                [
                    self.source_sql(request.model, request.query, True, False),
                    self.source_sql(request.model, request.query, False, True),
                ]
            ):
                column = self.pk_column
                parts.append(
                    f"SELECT * FROM (SELECT {index} AS request, {rank} AS rank, {column} AS id "
                    f"{source} ORDER BY {column} DESC LIMIT %s) part{index}_{rank}"
                )
                params += [*source_params, wanted]
        sql = " UNION ALL ".join(parts) + " ORDER BY 1, 2, 3 DESC"
        found: list[list[int]] = [[] for _ in requests]
        connection = connections[using]
        with transaction.atomic(using=using), connection.cursor() as cursor:
            self.planner_settings(cursor)
            cursor.execute(sql, params)
            for index, _rank, pk in cursor.fetchall():
                found[index].append(pk)
        results = []
        for request, ids in zip(requests, found, strict=True):
            page = ids[request.offset : request.offset + request.limit + 1]
            results.append(Ranked(page[: request.limit], len(page) > request.limit))
        return results


class PostgreSQLSearch(SearchBackend):
    def match_sql(self, alias, model, query, title_only):
        """The GIN index finds the rows with every token, a substring test on the token
        streams checks that they stand in order.

        Checking order that way rather than with a phrase tsquery matters for speed: a
        phrase or weight makes PostgreSQL re-read each candidate's stored tsvector (large,
        compressed, out of line), while the token stream of a title is short and read in
        place. strpos() rather than LIKE because the planner guesses that LIKE on an
        expression keeps 0.5% of the rows, far too few for a common word, and then joins in
        the wrong order; for strpos() it guesses a third."""
        tsquery = f"{alias}.\"search_vector\" @@ to_tsquery('simple', %s)"
        if not title_only and len(query.tokens()) == 1:
            # One token is exactly what the index answers; without a substring test the
            # planner also estimates the matches from its statistics, and so picks the plan
            # (the index, or the primary key in order) that suits a rare or a common word.
            return tsquery, [query.tsquery()]
        patterns = query.needles()

        def contains(column: str) -> str:
            stream = f"(' ' || {alias}.\"{column}\" || ' ')"
            return " AND ".join(f"strpos({stream}, %s) > 0" for _ in patterns)

        if title_only:
            sql, params = contains("search_title"), patterns
        else:
            sql = f"(({contains('search_title')}) OR ({contains('search_body')}))"
            params = [*patterns, *patterns]
        return f"({tsquery} AND {sql})", [query.tsquery(), *params]

    def source_sql(self, model, query, title_only, exclude_title):
        table = f'"{model._meta.db_table}"'
        sql, params = self.match_sql(table, model, query, title_only)
        if exclude_title:
            title, title_params = self.match_sql(table, model, query, True)
            sql, params = f"{sql} AND NOT {title}", [*params, *title_params]
        return f"FROM {table} WHERE {sql}", params

    def planner_settings(self, cursor):
        # Built for an index (the primary key or GIN); on a small table the planner would
        # rather read everything, which stops being cheap as the table grows. SET LOCAL
        # ends with the statement's transaction (ranked_ids runs it in its own).
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

    def match_sql(self, alias, model, query, title_only):
        fts = self.fts_table(model)
        pk = model._meta.pk.column
        sql = f'{alias}."{pk}" IN (SELECT rowid FROM {fts} WHERE {fts} MATCH %s)'
        return sql, [query.fts5("search_title" if title_only else None)]

    def source_sql(self, model, query, title_only, exclude_title):
        fts = self.fts_table(model)
        expression = query.fts5("search_title" if title_only else None)
        if exclude_title:
            expression = f"({expression}) NOT ({query.fts5('search_title')})"
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
    """`search_title__matches=In(query)`: the record's indexed text contains the query.

    A lookup (rather than raw SQL naming the table) so that Django supplies the table's
    alias, and it works inside subqueries such as facet counts."""

    lookup_name = "matches"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        alias = compiler.quote_name_unless_alias(self.lhs.alias)
        return backend(connection.vendor).match_sql(
            alias, self.lhs.target.model, self.rhs.query, self.rhs.title_only
        )


@dataclass
class SearchPage:
    """One page of a model's matches as records, and whether more follow."""

    hits: list
    has_more: bool


class SearchableQuerySet(models.QuerySet):
    """Reads that every searchable model shares."""

    def for_search(self):
        """What a search hit shows: the model's `search_related` rows, without the token
        streams (only the index reads them)."""
        return self.select_related(*self.model.search_related).defer("search_title", "search_body")

    def matching(self, query: Query | str, *, title_only: bool = False):
        """The records whose title or text (or title only) contain the query."""
        if isinstance(query, str):
            query = Query.parse(query)
        if not query:
            return self.none()
        return self.filter(search_title__matches=In(query, title_only))


def search_pages(requests: list[PageRequest]) -> list[SearchPage]:
    """A page of records for each request (see SearchBackend.ranked_ids): one statement
    for the ids of all of them, then one per model for the records."""
    pages = []
    for request, ranked in zip(requests, backend().ranked_ids(requests), strict=True):
        found = request.model.objects.for_search().in_bulk(ranked.ids)
        pages.append(SearchPage([found[pk] for pk in ranked.ids if pk in found], ranked.has_more))
    return pages


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
