"""The site search: which records it finds, a page of each kind with its count, and how a
row of its export describes them."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from core import exports, find
from core.analysis import Search
from core.caching import cached
from core.search import COUNT_CAP
from industry.models import Action, Company, Figure, Paragraph
from policies.models import Measure

# Search pages of a kind hold this many hits, numbered as far as the ranked matches reach
# (core.search.COUNT_CAP).
RESULTS_PER_PAGE = 20
MAX_PAGES = COUNT_CAP // RESULTS_PER_PAGE
# What each word of a search that finds little finds on its own, counted up to here.
WORD_COUNT_CAP = 100


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
    """A page of each kind's matches, best first (see core.search), and their counts: one
    statement (or none, when remembered) for all kinds, then one per kind for its records."""
    results = []
    for kind, ids in zip(kinds, find.ranked_ids([k.model for k in kinds], search), strict=True):
        page = ids[offset : offset + limit]
        records = kind.model.objects.for_search().in_bulk(page) if page else {}
        hits = [records[pk] for pk in page if pk in records]
        results.append(Results(kind, hits, len(ids) > offset + limit, find.Count.of(len(ids))))
    return results


@dataclass
class WordCount:
    """How many records one word of a search finds on its own, and the search without it."""

    text: str
    count: find.Count
    without: str


def word_counts(search: Search) -> list[WordCount]:
    """Each word's own count over every kind (for a search that finds little)."""
    models = [kind.model for kind in KINDS]
    searches = [search.only(i) for i in range(len(search.words))]
    counts = cached(
        ["search word counts", search],
        lambda: find.counts(models, searches, cap=WORD_COUNT_CAP),
    )
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
    "kind": lambda row: str(row.kind.label),
    "title": lambda row: row.title,
    # A measure's title that the source lacks (19 and 20) is the editors'.
    "title_is_editorial": lambda row: getattr(row.record, "title_is_editorial", False),
    "text": lambda row: row.text,
    "citation": lambda row: row.citation,
    "url": exports.Link(lambda row: row.record.get_absolute_url()),
}
EXPORT_LABELS = {
    "kind": _("类别"),
    "title": _("记录标题"),
    "title_is_editorial": _("标题为编者所加"),
    "text": _("正文"),
    "citation": _("引用"),
    "url": _("网址"),
}


def export_rows(search: Search, kinds: list[Kind]) -> Iterator[ExportRow]:
    """Every match (not just the first pages) of every kind asked for, kind by kind."""
    for kind in kinds:
        matches = kind.model.objects.for_search().matching(search).order_by("-pk")
        for record in matches.iterator(chunk_size=exports.CHUNK):
            yield ExportRow(kind, record, *kind.describe(record))
