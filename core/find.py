"""Finding records for what someone typed: their words read with the knowledge base's
other names for things, pages of matches, and how many each word finds."""

from dataclasses import dataclass

from core import search
from core.analysis import Search, term_key
from core.caching import cached
from core.models import EquivalentTerms
from core.search import PageRequest, backend


def equivalents() -> dict[str, list[str]]:
    """{a term's key: its other names}, from the editable list, until it next changes."""

    def load() -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for group in EquivalentTerms.objects.all():
            names = group.names
            for name in names:
                others = found.setdefault(term_key(name), [])
                others += [other for other in names if other != name and other not in others]
        return found

    return cached(["equivalent terms"], load)


def parse(text: str) -> Search:
    """What the user typed, as a search: every word, each with its other names."""
    return Search.parse(text, equivalents())


@dataclass
class SearchPage:
    """One page of a model's matches as records, and whether more follow."""

    hits: list
    has_more: bool


def search_pages(requests: list[PageRequest]) -> list[SearchPage]:
    """A page of records for each request (see SearchBackend.ranked_ids): one statement
    for the ids of all of them, then one per model for the records."""
    pages = []
    for request, ranked in zip(requests, backend().ranked_ids(requests), strict=True):
        found = request.model.objects.for_search().in_bulk(ranked.ids)
        pages.append(SearchPage([found[pk] for pk in ranked.ids if pk in found], ranked.has_more))
    return pages


@dataclass
class Count:
    """How many records match, up to a cap (`capped` means "more than `number`")."""

    number: int
    capped: bool

    @classmethod
    def of(cls, found: int) -> "Count":
        return cls(min(found, search.COUNT_CAP), found > search.COUNT_CAP)

    def __add__(self, other: "Count") -> "Count":
        return Count(self.number + other.number, self.capped or other.capped)

    def __bool__(self) -> bool:
        return self.number > 0


def counts(models: list[type], searches: list[Search]) -> list[list[Count]]:
    """For each search, how many records of each model hold it (capped), in one statement."""
    pairs = [(model, words) for words in searches for model in models]
    found = iter(backend().counts(pairs))
    return [[Count.of(next(found)) for _model in models] for _words in searches]
