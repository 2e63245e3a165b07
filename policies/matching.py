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

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import prefetch_related_objects

from policies.models import (
    Measure,
    MeasureRegion,
    MeasureTargetGroup,
    MeasureTopic,
    Notice,
    Region,
    TargetGroup,
    Topic,
    assignments_with_terms,
)

# How many measures each part of the page shows (the downloads hold all of them).
SHOWN = 100


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


@dataclass
class Fit:
    """One measure against the profile: the assignments that match it (why it fits), and
    those that do not (what it does not cover, or why it does not fit)."""

    measure: Measure
    groups: list[MeasureTargetGroup] = field(default_factory=list)
    regions: list[MeasureRegion] = field(default_factory=list)
    needs: list[MeasureTopic] = field(default_factory=list)
    other_groups: list[MeasureTargetGroup] = field(default_factory=list)
    other_regions: list[MeasureRegion] = field(default_factory=list)
    missing_needs: list[Topic] = field(default_factory=list)

    @property
    def for_anyone(self) -> bool:
        """The measure names no target group."""
        return not self.groups and not self.other_groups

    @property
    def anywhere(self) -> bool:
        """The measure names no region."""
        return not self.regions and not self.other_regions


def fit(measure: Measure, profile: Profile) -> Fit:
    """Why a measure (its assignments prefetched) fits the profile, and what it leaves out."""
    found = Fit(measure)
    for a in measure.target_group_assignments.all():
        (found.groups if a.target_group_id in profile.groups else found.other_groups).append(a)
    for a in measure.region_assignments.all():
        (found.regions if a.region_id in profile.region_ids else found.other_regions).append(a)
    met = set()
    for a in measure.topic_assignments.all():
        if a.topic_id in profile.need_ids:
            found.needs.append(a)
            met.add(a.topic_id)
    found.missing_needs = [t for t in profile.needs if t.pk not in met]
    return found


@dataclass
class Part:
    """One part of the list: at most SHOWN fits, and how many measures it holds in all."""

    fits: list[Fit]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.fits)


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


def annotated(measures, profile: Profile):
    return measures.matched(
        groups=profile.groups,
        targeted=profile.targeted,
        regions=profile.region_ids,
        needs=profile.need_ids,
    )


def parts(measures, profile: Profile) -> dict[str, object]:
    """The querysets of each part of the list, best first (un-sliced)."""
    rows = annotated(measures.in_force(), profile)
    reading = ("notice_id", "number")
    fitting = rows.filter(fits=True)
    general = fitting.filter(targeted_count=0)
    found = {
        "targeted": fitting.filter(targeted_count__gt=0).order_by(
            "-needs_count", "-targeted_count", *reading
        ),
        "general": (general.filter(needs_count__gt=0) if profile.needs else general).order_by(
            "-needs_count", *reading
        ),
        "other": general.filter(needs_count=0).order_by(*reading) if profile.needs else None,
        "unfit": rows.filter(fits=False).order_by(*reading),
    }
    return found


def part(queryset) -> Part:
    rows = list(queryset[: SHOWN + 1])
    total = len(rows) if len(rows) <= SHOWN else queryset.count()
    return Part(rows[:SHOWN], total)


def match(measures, profile: Profile) -> Match:
    """The list for one profile, from `measures` (the public ones): a query for each part
    and three for all their classifications, however many measures there are."""
    querysets = parts(measures, profile)
    found = {name: part(qs) if qs is not None else None for name, qs in querysets.items()}
    shown = [m for p in found.values() if p for m in p.fits]
    prefetch_related_objects(shown, *assignments_with_terms())
    for p in found.values():
        if p:
            p.fits = [fit(m, profile) for m in p.fits]
    out_of_force = measures.filter(notice__validity__in=Notice.ENDED).count()
    return Match(profile=profile, out_of_force=out_of_force, **found)


def fitting(measures, profile: Profile, chunk: int) -> Iterator[tuple[str, Fit]]:
    """Every measure that fits, part by part and best first, for the downloads: (part, fit),
    a query for each chunk's classifications."""
    querysets = parts(measures, profile)
    for name in ("targeted", "general", "other"):
        queryset = querysets[name]
        if queryset is None:
            continue
        batch: list[Measure] = []
        for measure in queryset.iterator(chunk_size=chunk):
            batch.append(measure)
            if len(batch) == chunk:
                yield from explained(name, batch, profile)
                batch = []
        yield from explained(name, batch, profile)


def explained(name: str, batch: list[Measure], profile: Profile) -> Iterator[tuple[str, Fit]]:
    prefetch_related_objects(batch, *assignments_with_terms())
    for measure in batch:
        yield name, fit(measure, profile)


def regions_of(province: Region | None, city: Region | None) -> list[Region]:
    return [r for r in (province, city) if r is not None]


def profile_of(cleaned: dict) -> Profile:
    """The profile from a valid MatchForm's data."""
    size = cleaned["size"]
    return Profile(
        size=size,
        size_groups=list(TargetGroup.objects.for_size(size)),
        situations=list(cleaned.get("situation") or []),
        regions=regions_of(cleaned.get("province"), cleaned.get("city")),
        needs=list(cleaned.get("need") or []),
    )
