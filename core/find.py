"""Finding records for what someone typed: their words read with the knowledge base's
other names for things, pages of matches, and how many each word finds."""

from dataclasses import dataclass

from core import search
from core.analysis import Search, term_key
from core.caching import cached, cached_many
from core.models import EquivalentTerms, data_kind
from core.search import backend


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

    return cached(["equivalent terms"], load, kinds=[data_kind(EquivalentTerms)])


def parse(text: str) -> Search:
    """What the user typed, as a search: every word, each with its other names."""
    return Search.parse(text, equivalents())


def ranked_ids(models: list[type], search: Search) -> list[list[int]]:
    """For each model, the ids of its newest matches (up to the count cap, and one more if
    there are more), best first (see SearchBackend.ranked); remembered until the data next
    changes, so that paging through them and asking again cost one cache read."""
    return cached_many(
        [["search ranked", model._meta.label, search] for model in models],
        lambda missing: backend().ranked([(models[index], search) for index in missing]),
    )


@dataclass
class Count:
    """How many records match, up to a cap (`capped` means "more than `number`")."""

    number: int
    capped: bool

    @classmethod
    def of(cls, found: int, cap: int | None = None) -> "Count":
        cap = search.COUNT_CAP if cap is None else cap
        return cls(min(found, cap), found > cap)

    def __add__(self, other: "Count") -> "Count":
        return Count(self.number + other.number, self.capped or other.capped)

    def __bool__(self) -> bool:
        return self.number > 0


def counts(models: list[type], searches: list[Search], cap: int) -> list[list[Count]]:
    """For each search, how many records of each model hold it (up to `cap`), in one
    statement."""
    pairs = [(model, words) for words in searches for model in models]
    found = iter(backend().counts(pairs, cap))
    return [[Count.of(next(found), cap) for _model in models] for _words in searches]
