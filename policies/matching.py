"""政策匹配: the measures that fit an enterprise described by its size class, place,
situation and needs, each with why it fits and what it does not cover.

The reasons are the knowledge base's own classifications: a measure fits through the
target groups, regions and topics the editors filed it under, each with the words of the
measure that justify it (the assignment's evidence). Nothing else is inferred:

- target groups: an enterprise belongs to the groups its size class is ticked on
  (TargetGroup.covers_*: 中小企业 takes in medium, small and micro enterprises) and to the
  situations staff tick (the groups no size is ticked on). A measure that names target
  groups fits if it names one of those; one that names none is for any enterprise.
- regions: a measure that names regions fits an enterprise in one of them (a city's
  province counts); one that names none is not limited to a place.
- topics: the support the enterprise needs. They rank and sort the measures that fit; they
  do not make a measure fit or not.

Measures of notices repealed or expired are left out (and counted); drafts never appear.
Nothing about the enterprise is stored: the profile lives in the URL.
"""

import re
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, reduce
from itertools import islice
from operator import or_

from django.db.models import prefetch_related_objects
from django.utils.translation import gettext_lazy as _

from core.caching import cached
from policies.models import (
    Classified,
    Measure,
    MeasureRegion,
    MeasureTargetGroup,
    MeasureTopic,
    Notice,
    Region,
    TargetGroup,
    Topic,
    classifications_of,
    issuers_for_citation,
    vocabulary,
)

# How many measures a page of each part of the list shows (each part has pages of its own;
# the downloads hold all of them). Ten cards with their reasons and texts are about what a
# reader takes in at once, and what a page renders in the time of a list page.
SHOWN = 10


@dataclass(frozen=True)
class Profile:
    """An enterprise as staff describe it, and the classifications that describe it."""

    size: str
    size_groups: list[TargetGroup]
    situations: list[TargetGroup]
    regions: list[Region]  # the province, and the city when given
    needs: list[Topic]

    @cached_property
    def groups(self) -> set[int]:
        return {g.pk for g in [*self.size_groups, *self.situations]}

    @cached_property
    def targeted(self) -> set[int]:
        """The groups that single the enterprise out: all but those of every SME."""
        return {g.pk for g in [*self.size_groups, *self.situations] if not g.is_all_smes}

    @cached_property
    def region_ids(self) -> set[int]:
        return {r.pk for r in self.regions}

    @cached_property
    def need_ids(self) -> set[int]:
        return {t.pk for t in self.needs}


# The kinds of reason a measure fits, as the 政策清单 names them.
WHY = {"groups": _("支持对象"), "regions": _("点名地区"), "needs": _("所需支持")}


@dataclass
class Fit:
    """One measure against the profile: the assignments that match it (why it fits), and
    those that do not (what it does not cover, or why it does not fit)."""

    measure: Measure
    groups: list[Classified] = field(default_factory=list)
    regions: list[Classified] = field(default_factory=list)
    needs: list[Classified] = field(default_factory=list)
    other_groups: list[Classified] = field(default_factory=list)
    other_regions: list[Classified] = field(default_factory=list)
    missing_needs: list[Topic] = field(default_factory=list)

    def why(self) -> list[tuple[str, Classified]]:
        """The classifications by which the measure fits, each with what kind it is."""
        return [(label, a) for name, label in WHY.items() for a in getattr(self, name)]

    @property
    def for_anyone(self) -> bool:
        """The measure names no target group."""
        return not self.groups and not self.other_groups

    @property
    def anywhere(self) -> bool:
        """The measure names no region."""
        return not self.regions and not self.other_regions


def fit(measure: Measure, profile: Profile, classified: dict[str, list]) -> Fit:
    """Why a measure fits the profile, and what it leaves out, from its classifications
    (policies.models.classifications_of)."""
    found = Fit(measure)
    for a in classified["target_group"]:
        (found.groups if a.term.pk in profile.groups else found.other_groups).append(a)
    for a in classified["region"]:
        (found.regions if a.term.pk in profile.region_ids else found.other_regions).append(a)
    met = set()
    for a in classified["topic"]:
        if a.term.pk in profile.need_ids:
            found.needs.append(a)
            met.add(a.term.pk)
    found.missing_needs = [t for t in profile.needs if t.pk not in met]
    return found


@dataclass
class Part:
    """One page of a part of the list: at most SHOWN fits, from the `first`-th of the part
    on, and how many measures the part holds in all."""

    fits: list[Fit]
    total: int
    number: int = 1  # the page's number, 1 for the first SHOWN

    @property
    def first(self) -> int:
        return (self.number - 1) * SHOWN + 1

    @property
    def last(self) -> int:
        return self.first + len(self.fits) - 1

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number * SHOWN < self.total

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def page_count(total: int) -> int:
    return max(1, -(-total // SHOWN))


@dataclass
class Match:
    profile: Profile
    targeted: Part  # measures aimed at this enterprise's groups or region
    general: Part  # measures for all SMEs (or any enterprise) that meet a need
    other: Part | None  # those for all SMEs that meet none of the needs (when needs are given)
    unfit: Part  # measures this enterprise is not among the addressees of
    out_of_force: int  # measures left out: their notice was repealed or has expired

    @property
    def count(self) -> int:
        """How many measures fit."""
        return self.targeted.total + self.general.total + (self.other.total if self.other else 0)


# ---- The index: every public measure's classifications as bitmaps ----
# A measure is a bit, at its place in reading order (notice, number); each target group,
# region and topic is the set of bits of the measures filed under it (a Python int used as
# a bitmap). A profile's parts are then a few unions and intersections of such sets however
# many measures there are, and the index is computed once per edit of the policies (the
# data version is in its cache key) and shared by every worker through the cache.


@dataclass(frozen=True)
class Index:
    ids: array  # measure ids, in reading order: bit i is measure ids[i]
    in_force: int  # the measures whose notice is in force (or amended)
    out_of_force: int  # how many public measures belong to notices repealed or expired
    with_groups: int  # the measures that name a target group
    with_regions: int  # the measures that name a region
    groups: dict[int, int]  # target group id -> its measures
    regions: dict[int, int]  # region id -> its measures
    topics: dict[int, int]  # topic id -> its measures

    @classmethod
    def build(cls) -> "Index":
        published = Measure.objects.published()
        rows = published.order_by("notice_id", "number").values_list("pk", "notice__validity")
        ids, in_force = array("q"), []
        for rank, (pk, validity) in enumerate(rows.iterator(chunk_size=10_000)):
            ids.append(pk)
            if validity not in Notice.ENDED:
                in_force.append(rank)
        rank_of = {pk: rank for rank, pk in enumerate(ids)}

        def terms(through) -> dict[int, int]:
            ranks: dict[int, list[int]] = {}
            pairs = through.objects.values_list(f"{through.term_field}_id", "measure_id")
            for term, measure in pairs.iterator(chunk_size=10_000):
                if measure in rank_of:  # not a draft's (nor published since ids were read)
                    ranks.setdefault(term, []).append(rank_of[measure])
            return {term: bitmap(found, len(ids)) for term, found in ranks.items()}

        groups, regions = terms(MeasureTargetGroup), terms(MeasureRegion)
        return cls(
            ids=ids,
            in_force=bitmap(in_force, len(ids)),
            out_of_force=len(ids) - len(in_force),
            with_groups=union(groups.values()),
            with_regions=union(regions.values()),
            groups=groups,
            regions=regions,
            topics=terms(MeasureTopic),
        )


def index() -> Index:
    return cached(["match-index"], Index.build, kinds=["policies"], in_process=True)


def bitmap(ranks: list[int], size: int) -> int:
    """The set of these ranks, as an int whose bit r is set for each rank r."""
    found = bytearray((size + 7) // 8)
    for rank in ranks:
        found[rank >> 3] |= 1 << (rank & 7)
    return int.from_bytes(found, "little")


def union(bitmaps) -> int:
    return reduce(or_, bitmaps, 0)


def ranks(bitmap: int) -> Iterator[int]:
    """The set bits of a bitmap, lowest (first in reading order) first."""
    data = bitmap.to_bytes((bitmap.bit_length() + 7) // 8, "little")
    for found in NONZERO.finditer(data):
        start = found.start() * 8
        yield from (start + bit for bit in BITS[found.group()[0]])


NONZERO = re.compile(rb"[^\x00]")
BITS = [tuple(bit for bit in range(8) if byte >> bit & 1) for byte in range(256)]


def by_count(bitmaps: list[int], within: int) -> list[int]:
    """The measures of `within` split by in how many of `bitmaps` each is: [in none, in
    exactly one, in exactly two, ...]."""
    at_least = [within]
    for each in bitmaps:
        at_least.append(0)
        for count in range(len(at_least) - 1, 0, -1):
            at_least[count] |= at_least[count - 1] & each
    at_least.append(0)
    return [at_least[n] & ~at_least[n + 1] for n in range(len(at_least) - 1)]


def parts(index: Index, profile: Profile) -> dict[str, list[int] | None]:
    """Each part of the list as its classes, best first: bitmaps whose measures come in
    reading order. The parts:

    - targeted: the measures that fit and name one of the enterprise's own groups (those
      more than all SMEs) or its region, by how many needs they meet, then how many such
      groups and regions they name;
    - general: those that fit without singling the enterprise out, meeting a need (all of
      them when no need is given), by how many needs they meet;
    - other: those of them that meet none of the needs (None when no need is given);
    - unfit: the measures in force that do not fit."""
    groups = union(index.groups.get(pk, 0) for pk in profile.groups)
    regions = union(index.regions.get(pk, 0) for pk in profile.region_ids)
    fits = index.in_force & (~index.with_groups | groups) & (~index.with_regions | regions)
    singled_out = [index.groups.get(pk, 0) for pk in profile.targeted] + [
        index.regions.get(pk, 0) for pk in profile.region_ids
    ]
    by_targets = by_count(singled_out, fits)
    by_needs = by_count([index.topics.get(pk, 0) for pk in profile.need_ids], fits)
    untargeted = by_targets[0]
    best_first = by_needs[::-1]
    return {
        "targeted": [needs & targets for needs in best_first for targets in by_targets[:0:-1]],
        "general": [
            needs & untargeted for needs in (best_first[:-1] if profile.needs else best_first)
        ],
        "other": [by_needs[0] & untargeted] if profile.needs else None,
        "unfit": [index.in_force & ~fits],
    }


def in_order(index: Index, classes: list[int]) -> Iterator[int]:
    """The ids of the measures of a part, best first."""
    for each in classes:
        yield from (index.ids[rank] for rank in ranks(each))


# What the list and the downloads show of a measure and its notice (not the search tokens).
COLUMNS = [
    *("number", "title", "title_en", "title_is_editorial", "text"),
    *("notice__slug", "notice__doc_number", "notice__title", "notice__title_en"),
    *("notice__issuing_body", "notice__issued_on", "notice__published_on", "notice__validity"),
]


def fits_of(ids: list[int], profile: Profile, cited: Iterable[int] | None = None) -> list[Fit]:
    """These public measures, in this order, each weighed against the profile: one query
    for the measures, one for the issuers of the notices of those `cited` in full (all when
    None; GB/T references name them), one for their classifications."""
    found = Measure.objects.published().select_related("notice").only(*COLUMNS).in_bulk(ids)
    shown = [found[pk] for pk in ids if pk in found]  # one unpublished meanwhile: left out
    cited = set(ids if cited is None else cited)
    prefetch_related_objects([m.notice for m in shown if m.pk in cited], issuers_for_citation())
    classified = classifications_of(shown)
    return [fit(measure, profile, classified[measure.pk]) for measure in shown]


# The parts of the list (Match), and those shown as cards, each measure with its reasons,
# text and full reference; the others are listed in brief.
PARTS = ("targeted", "general", "other", "unfit")
CARDS = ("targeted", "general")


def match(profile: Profile, pages: dict[str, int] | None = None) -> Match:
    """The list for one profile, each part at its page of `pages` (part name -> number, the
    first page when not given, the last when past it): the index (computed once per edit)
    and three queries for the measures shown with their issuers and classifications,
    however many there are."""
    found = index()
    classes = {name: each for name, each in parts(found, profile).items() if each is not None}
    totals = {name: sum(each.bit_count() for each in classes[name]) for name in classes}
    numbers = {
        name: min(max((pages or {}).get(name, 1), 1), page_count(total))
        for name, total in totals.items()
    }
    shown = {
        name: list(
            islice(in_order(found, each), (numbers[name] - 1) * SHOWN, numbers[name] * SHOWN)
        )
        for name, each in classes.items()
    }
    every = [pk for ids in shown.values() for pk in ids]
    cited = [pk for name in CARDS for pk in shown[name]]
    fits = {f.measure.pk: f for f in fits_of(every, profile, cited)}
    result = {"other": None}
    for name, ids in shown.items():
        result[name] = Part([fits[pk] for pk in ids if pk in fits], totals[name], numbers[name])
    return Match(profile=profile, out_of_force=found.out_of_force, **result)


def fitting(profile: Profile, chunk: int) -> Iterator[tuple[str, Fit]]:
    """Every measure that fits, part by part and best first, for the downloads: (part, fit),
    three queries for each chunk (fits_of)."""
    found = index()
    classes = parts(found, profile)
    for name in ("targeted", "general", "other"):
        if classes[name] is None:
            continue
        ids = in_order(found, classes[name])
        while batch := list(islice(ids, chunk)):
            for each in fits_of(batch, profile):
                yield name, each


def regions_of(province: Region | None, city: Region | None) -> list[Region]:
    return [r for r in (province, city) if r is not None]


def profile_of(cleaned: dict) -> Profile:
    """The profile from a valid MatchForm's data."""
    size = cleaned["size"]
    return Profile(
        size=size,
        size_groups=vocabulary().for_size(size),
        situations=list(cleaned.get("situation") or []),
        regions=regions_of(cleaned.get("province"), cleaned.get("city")),
        needs=list(cleaned.get("need") or []),
    )
