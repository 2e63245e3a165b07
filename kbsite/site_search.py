"""The site search: which records it finds, a page of each kind with its count, and how a
row of its export describes them."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from core import exports, find
from core.analysis import Search
from core.search import PageRequest, backend
from industry.models import Action, Company, Figure, Paragraph
from policies.models import Measure

# Search pages are numbered up to here: deeper pages would read ever more of each index.
MAX_PAGES = 50


@dataclass(frozen=True)
class Kind:
    key: str
    label: Any
    model: type
    # What a row of the search export says about one record: (title, text, citation).
    describe: Callable[[Any], tuple[str, str, str]]


KINDS = [
    Kind("measure", _("支持措施"), Measure, lambda m: (m.title, m.text, m.citation)),
    Kind(
        "paragraph",
        _("文章段落"),
        Paragraph,
        lambda p: (
            p.section.article.title,
            p.text,
            f"{p.section.article.title} {p.section.short_label}",
        ),
    ),
    Kind(
        "figure",
        _("行业数据"),
        Figure,
        lambda f: (
            f"{f.product.name}{f.indicator.name} {f.printed_value}",
            f.sentence,
            f"#{f.number}",
        ),
    ),
    Kind("company", _("企业"), Company, lambda c: (c.name, f"{c.province} {c.city}", c.name)),
    Kind(
        "action",
        _("企业行动"),
        Action,
        lambda a: (f"{a.company.name}：{a.kind.name}", a.sentence, a.company.name),
    ),
]
KINDS_BY_KEY = {kind.key: kind for kind in KINDS}


@dataclass
class Results:
    kind: Kind
    hits: list
    has_more: bool  # whether more matches follow this page
    count: find.Count  # how many match in all (capped)


def ranked(kinds: list[Kind], search: Search, offset: int, limit: int) -> list[Results]:
    """A page of each kind's matches, best first (see core.search), and their counts:
    two statements for all kinds, then one per kind for its records."""
    requests = [PageRequest(kind.model, search, offset, limit) for kind in kinds]
    with backend().statements():
        pages = find.search_pages(requests)
        [counts] = find.counts([kind.model for kind in kinds], [search])
    return [
        Results(kind, page.hits, page.has_more, count)
        for kind, page, count in zip(kinds, pages, counts, strict=True)
    ]


@dataclass
class WordCount:
    """How many records one word of a search finds on its own, and the search without it."""

    text: str
    count: find.Count
    without: str


def word_counts(search: Search) -> list[WordCount]:
    """Each word's own count over every kind (for a search that finds little)."""
    models = [kind.model for kind in KINDS]
    counts = find.counts(models, [search.only(i) for i in range(len(search.words))])
    return [
        WordCount(word.text, sum(per_kind[1:], per_kind[0]), search.without(index))
        for index, (word, per_kind) in enumerate(zip(search.words, counts, strict=True))
    ]


@dataclass
class PageNav:
    """Where a page of search results is, for the pagination include: search pages are
    numbered without counting every match, so there is no last page number."""

    number: int
    has_next: bool
    paginator = None

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


@dataclass
class ExportRow:
    kind: Kind
    record: Any
    title: str
    text: str
    citation: str


EXPORT_COLUMNS: exports.Columns = {
    "kind": lambda row: row.kind.key,
    "title": lambda row: row.title,
    "text": lambda row: row.text,
    "citation": lambda row: row.citation,
    "url": exports.Link(lambda row: row.record.get_absolute_url()),
}


def export_rows(search: Search, kinds: list[Kind]) -> Iterator[ExportRow]:
    """Every match (not just the first pages) of every kind asked for, kind by kind."""
    for kind in kinds:
        matches = kind.model.objects.for_search().matching(search).order_by("-pk")
        for record in matches.iterator(chunk_size=exports.CHUNK):
            yield ExportRow(kind, record, *kind.describe(record))
