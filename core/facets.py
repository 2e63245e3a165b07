"""Filters that show, for each choice, how many rows it would give (Datasette's facets)."""

from collections.abc import Callable

import django_filters
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from core.caching import cached
from core.text import localized

# How many choices a facet offers; a selected value is always offered.
FACET_LIMIT = 50


class FacetedFilterSet(django_filters.FilterSet):
    """A FilterSet whose `facets` (names of its choice filters) list only the values that
    give rows, each with its count under the other active filters. Counts are cached
    until the data changes (core.caching), as is the total."""

    facets: tuple[str, ...] = ()

    @property
    def is_filtered(self) -> bool:
        return self.is_bound and any(
            self.form.cleaned_data.get(name) for name in self.filters if name != "sort"
        )

    def state(self) -> dict[str, str]:
        return {name: self.data.get(name) for name in self.filters if self.data.get(name)}

    def queryset_without(self, skip: str) -> QuerySet:
        """The current filter with one of its parts left out, as a facet needs."""
        queryset = self.queryset
        for name, value in self.form.cleaned_data.items():
            if name not in (skip, "sort"):
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def facet_counts(self, name: str) -> list[tuple[str, str, int]]:
        """(value, label, count) for each value of one filter, counted under the others."""
        rows = self.queryset_without(name).order_by()
        filter_ = self.filters[name]
        field = self.queryset.model._meta.get_field(filter_.field_name)
        if not field.is_relation:  # a plain column, such as a year
            labels = {str(value): label for value, label in self.form.fields[name].choices}
            counts = rows.values_list(field.name).annotate(count=Count("pk")).order_by(field.name)
            return [(str(v), str(labels.get(str(v), v)), n) for v, n in counts[:FACET_LIMIT]]
        key = filter_.extra.get("to_field_name") or "pk"
        if field.many_to_many:
            # Filtering on the related rows before annotating counts only the matching ones.
            related = field.related_query_name()
            found = (
                filter_.queryset.filter(**{f"{related}__in": rows.values("pk")})
                .annotate(count=Count(related))
                .order_by("-count", "pk")[:FACET_LIMIT]
            )
            counted = [(obj, obj.count) for obj in found]
        else:
            counts = dict(
                rows.values_list(field.attname)
                .annotate(count=Count("pk"))
                .order_by("-count")[:FACET_LIMIT]
            )
            counted = [
                (obj, counts[pk]) for pk, obj in filter_.queryset.in_bulk(list(counts)).items()
            ]
        counted.sort(key=lambda pair: self.facet_sort_key(name, *pair))
        return [(str(getattr(obj, key)), self.facet_label(name, obj), n) for obj, n in counted]

    def facet_sort_key(self, name: str, obj, count: int):
        """Most rows first; subclasses may keep a facet in the source's own order."""
        return (-count, self.facet_label(name, obj))

    def facet_label(self, name: str, obj) -> str:
        """How a choice reads: the editorial English name on English pages, if any."""
        return localized(obj) if hasattr(obj, "name") else str(obj)

    def label_choices_with_counts(self) -> None:
        """Offer in each facet only the values that give rows, each with its count."""
        english = get_language() == "en"
        facets = cached(
            [type(self).__name__, "facets", get_language(), self.state()],
            lambda: {name: self.facet_counts(name) for name in self.facets},
        )
        for name, counts in facets.items():
            field = self.form.fields[name]
            choices = [
                (v, f"{label} ({n})" if english else f"{label}（{n}）") for v, label, n in counts
            ]
            selected = self.form.cleaned_data.get(name)
            raw = self.data.get(name)
            if selected not in (None, "") and raw not in {value for value, _label in choices}:
                choices.append((raw, f"{selected} (0)" if english else f"{selected}（0）"))
            empty = getattr(field, "empty_label", None) or dict(field.choices).get("", "")
            field.widget.choices = [("", empty), *choices]

    def cached_count(self) -> int:
        return cached([type(self).__name__, "count", self.state()], self.qs.count)


def invalid_filter(request: HttpRequest, template: str, filterset) -> HttpResponse:
    """A filter the form refuses (an unknown value, a bad sort key): the list page with the
    form's messages, answered 400."""
    return render(request, template, {"filter": filterset, "page": None}, status=400)


def faceted_list(
    request: HttpRequest,
    filterset: FacetedFilterSet,
    template: str,
    *,
    per_page: int,
    context: Callable[[], dict] | None = None,
) -> HttpResponse:
    """What every filtered list page does: refuse a bad filter (400), count each facet's
    choices, and show one page of rows, their total counted once per data version.
    `context` gives the template anything else it needs (only for a valid filter)."""
    if not filterset.is_valid():
        return invalid_filter(request, template, filterset)
    filterset.label_choices_with_counts()
    paginator = Paginator(filterset.qs, per_page)
    paginator.count = filterset.cached_count()
    page = paginator.get_page(request.GET.get("page"))
    extra = context() if context else {}
    return render(request, template, {"filter": filterset, "page": page, **extra})
