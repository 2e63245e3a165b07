"""Filters that show, for each choice, how many rows it would give (Datasette's facets)."""

from collections.abc import Callable
from dataclasses import dataclass

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connections, models
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.db.models.expressions import RawSQL
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from core.caching import cached, served_stale
from core.models import EquivalentTerms, data_kind
from core.search import backend
from core.text import localized

# How many choices a facet offers; a selected value is always offered.
FACET_LIMIT = 50
# A page of a list filtered by words is first looked for among the list's first
# PAGE_WINDOW rows (on a database whose index must otherwise read every match first: see
# core.search.SearchBackend.pages_in_windows). When fewer of them match than the page needs,
# the words are rare enough that reading all their matches is cheap.
PAGE_WINDOW = 5_000
# Below this many matches reading them all is cheap (a few milliseconds), and a window of
# first rows would hold too few of them to fill a page.
WINDOW_MATCHES = 1_000


class FacetField(forms.ModelMultipleChoiceField):
    """Refuses a key no database column could hold (?section=99999999999999999999) as an
    unknown choice, where the database driver would fail on it."""

    def _check_values(self, value):
        key = self.to_field_name or "pk"
        field = self.queryset.model._meta.get_field(key) if key != "pk" else None
        if field is None or isinstance(field, models.IntegerField):
            for item in value:
                digits = item.lstrip("-") if isinstance(item, str) else ""
                # Length first: int() refuses strings of more than 4,300 digits.
                if digits.isdigit() and (len(digits) > 19 or int(digits) >= 2**63):
                    raise ValidationError(
                        self.error_messages["invalid_choice"],
                        code="invalid_choice",
                        params={"value": item},
                    )
        return super()._check_values(value)


class FacetFilter(django_filters.ModelMultipleChoiceFilter):
    """One facet of records (topics, a notice): the rows with any of the chosen values.
    A many-to-many facet is matched in a subquery, so a row filed under two chosen values
    is still one row, without a DISTINCT over the whole list."""

    field_class = FacetField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        lookup = {f"{self.field_name}__in": list(value)}
        field = qs.model._meta.get_field(self.field_name)
        if not field.many_to_many:
            return qs.filter(**lookup)
        if share_of_rows(field, value) < DENSE_SHARE:
            # Few rows: read them all (by the value's index), then put them in order.
            return qs.filter(pk__in=qs.model._base_manager.filter(**lookup).values("pk"))
        # Many: the list's order is walked, each row looked up among the value's, and a
        # page stops at its 20 (SQLite would otherwise read and sort all of them first).
        through = field.remote_field.through._base_manager
        return qs.filter(
            Exists(
                through.filter(
                    **{field.m2m_field_name(): OuterRef("pk")},
                    **{f"{field.m2m_reverse_field_name()}__in": list(value)},
                )
            )
        )


# A many-to-many facet's values that hold at least this share of the rows are matched row by
# row in the list's order (a page of 20 then reads about 20 / share rows); rarer ones are read
# whole and sorted.
DENSE_SHARE = 0.01


def share_of_rows(field, values) -> float:
    """The share of the model's rows filed under any of these values of a many-to-many field
    (an upper bound: a row under two of them counts twice), from counts kept per edit."""
    through = field.remote_field.through
    target = field.m2m_reverse_field_name()

    def count() -> dict:
        rows = through._base_manager.values_list(target).annotate(n=Count("*")).order_by()
        return {"rows": field.model._base_manager.count(), "values": dict(rows)}

    kinds = sorted({data_kind(field.model), data_kind(through)})
    key = ["facet-sizes", field.model._meta.label, field.name]
    found = cached(key, count, kinds=kinds, in_process=True)  # read by every filtered page
    filed = sum(found["values"].get(value.pk, 0) for value in values)
    return filed / max(found["rows"], 1)


class ChoiceFacet(django_filters.MultipleChoiceFilter):
    """One facet of plain values (a level, a year): the rows with any of the chosen ones."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


@dataclass(frozen=True)
class Chip:
    """An active filter value, and the query string of the list without it."""

    field: str
    label: str
    query: str


def values_of(data, name: str) -> list[str]:
    """The non-empty values a query gives one parameter."""
    values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
    return [v for v in values if v not in (None, "")]


class FacetedFilterSet(django_filters.FilterSet):
    """A FilterSet whose `facets` (names of its choice filters) list only the values that
    give rows, each with its count under the other active filters. Several values of one
    facet give the rows with any of them; facets combine (rows matching each). Counts are
    cached until the data changes (core.caching), as is the total."""

    facets: tuple[str, ...] = ()
    # The list's order when it is unique (fields of the model, ascending, the last ones a
    # unique key): a page may then be looked for among the first rows (see `rows`).
    window_ordering: tuple[str, ...] = ()
    # The filter of words, if any (its method passes `id_window` on to `matching`).
    text_filter: str | None = None
    # While a page is looked for among the first rows: SQL of the lowest and highest of
    # their ids, and its parameters, for the text filter to pass to `matching(ids=...)`.
    id_window: tuple[str, str, list] | None = None

    @property
    def is_filtered(self) -> bool:
        return self.is_bound and any(
            self.form.cleaned_data.get(name) for name in self.filters if name != "sort"
        )

    def is_multiple(self, name: str) -> bool:
        return isinstance(self.filters[name], django_filters.MultipleChoiceFilter)

    def state(self) -> dict[str, str | list[str]]:
        """The active filters: a facet's values as a sorted list, anything else as text."""
        found = {}
        for name in self.filters:
            if values := values_of(self.data, name):
                found[name] = sorted(set(values)) if self.is_multiple(name) else values[-1]
        return found

    def chips(self) -> list[Chip]:
        """Each active filter value (not the sort), each removable on its own."""
        labels = getattr(self, "choice_labels", {})
        found = []
        for name, field in self.form.fields.items():
            if name == "sort":
                continue
            for value in values_of(self.data, name):
                rest = QueryDict(mutable=True)
                for key in self.data:
                    if key == "page":
                        continue
                    kept = [v for v in values_of(self.data, key) if (key, v) != (name, value)]
                    if kept:
                        rest.setlist(key, kept)
                query = f"?{rest.urlencode()}" if rest else ""
                label = labels.get(name, {}).get(value, value)
                found.append(Chip(str(field.label), str(label), query))
        return found

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
                .order_by("-count", field.attname)[:FACET_LIMIT]  # ties: always the same
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
            kinds=self.data_kinds(),
        )

        def counted(label, n) -> str:
            return f"{label} ({n})" if english else f"{label}（{n}）"

        self.choice_labels = {}
        for name, counts in facets.items():
            field = self.form.fields[name]
            labels = {v: label for v, label, _n in counts}
            choices = [(v, counted(label, n)) for v, label, n in counts]
            # A chosen value that gives no rows under the other filters stays offered.
            chosen = self.form.cleaned_data.get(name)
            if chosen in (None, ""):
                chosen = []
            elif not self.is_multiple(name) or isinstance(chosen, str):
                chosen = [chosen]
            for value in chosen:
                key = self.choice_key(name, value)
                if key not in labels:
                    labels[key] = self.chosen_label(name, value)
                    choices.append((key, counted(labels[key], 0)))
            self.choice_labels[name] = labels
            if self.is_multiple(name):
                field.widget.choices = choices
            else:
                empty = getattr(field, "empty_label", None) or dict(field.choices).get("", "")
                field.widget.choices = [("", empty), *choices]

    def fields_html(self) -> str:
        """The form's fields (includes/filter_fields.html), after label_choices_with_counts:
        the same for every visitor of these filters, so kept with the counts they show
        until the data changes; made afresh while those counts are from before the latest
        edit (being computed again), and not kept then."""

        def render_fields() -> str:
            return render_to_string("includes/filter_fields.html", {"form": self.form})

        if served_stale() or not self.is_valid():  # a refused filter: not worth keeping
            return render_fields()
        html = cached(
            [type(self).__name__, "fields", get_language(), self.state()],
            render_fields,
            kinds=self.data_kinds(),
        )
        return mark_safe(html)  # the template's own output, kept as text

    def choice_key(self, name: str, value) -> str:
        """A chosen value as the query string gives it: a record by its slug or key."""
        if hasattr(value, "pk"):
            return str(getattr(value, self.filters[name].extra.get("to_field_name") or "pk"))
        return str(value)

    def chosen_label(self, name: str, value) -> str:
        if hasattr(value, "pk"):
            return self.facet_label(name, value)
        return str(dict(self.form.fields[name].choices).get(value, value))

    def cached_count(self) -> int:
        return cached(
            [type(self).__name__, "count", self.state()], self.qs.count, kinds=self.data_kinds()
        )

    def data_kinds(self) -> list[str]:
        """The kinds of record the counts read (core.models.data_kind): the rows', their
        facets' choices', and the other names a text filter searches with."""
        models_ = {self.queryset.model, EquivalentTerms}
        for filter_ in self.filters.values():
            if hasattr(getattr(filter_, "queryset", None), "model"):
                models_.add(filter_.queryset.model)
        return sorted({data_kind(model) for model in models_})

    def rows(self, bottom: int, top: int) -> list:
        """Rows bottom..top of the filtered list (as `self.qs[bottom:top]`).

        With many matches of words (at least WINDOW_MATCHES), in a `window_ordering` list,
        on a database where it pays, the page is first looked for among the first
        PAGE_WINDOW rows of the table in that order: they are the rows up to an edge key,
        and their ids lie in one range, within which the index finds the matches at once.
        The filtered rows up to the edge are the first rows of the filtered list; if they
        are enough for the page, they are the page (one statement, as without a window).
        Otherwise the whole list is read."""
        worth_it = (
            self.text_filter
            and self.form.cleaned_data.get(self.text_filter)
            and tuple(self.qs.query.order_by) == self.window_ordering
            and backend(connections[self.qs.db].vendor).pages_in_windows
            and self.cached_count() >= WINDOW_MATCHES
        )
        if not worth_it:
            return list(self.qs[bottom:top])
        model = self.queryset.model
        table = model._base_manager.order_by(*self.window_ordering)
        first, first_params = table.values("pk")[:PAGE_WINDOW].query.sql_with_params()
        self.id_window = (
            f"(SELECT MIN(pk) FROM ({first}) AS low)",
            f"(SELECT MAX(pk) FROM ({first}) AS high)",
            [*first_params, *first_params],
        )
        try:
            windowed = self.filter_queryset(self.queryset.all())
        finally:
            self.id_window = None
        # The edge: the last of the first rows (the table's last row when it has fewer).
        keys, key_params = table.values_list(*self.window_ordering)[
            :PAGE_WINDOW
        ].query.sql_with_params()
        descending = ", ".join(f"{i} DESC" for i in range(1, len(self.window_ordering) + 1))
        quote = connections[self.qs.db].ops.quote_name
        columns = ", ".join(
            f"{quote(model._meta.db_table)}.{quote(model._meta.get_field(name).column)}"
            for name in self.window_ordering
        )
        up_to_edge = RawSQL(
            f"({columns}) <= (SELECT * FROM ({keys}) AS first_rows ORDER BY {descending} LIMIT 1)",
            key_params,
            output_field=models.BooleanField(),
        )
        found = list(windowed.filter(up_to_edge)[bottom:top])
        if len(found) == top - bottom:
            return found
        return list(self.qs[bottom:top])


class ListPaginator(Paginator):
    """Pages of a faceted list, each read with FacetedFilterSet.rows."""

    def __init__(self, filterset: "FacetedFilterSet", per_page: int):
        super().__init__(filterset.qs, per_page)
        self.filterset = filterset

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self.filterset.rows(bottom, top), number, self)


def invalid_filter(request: HttpRequest, template: str, filterset) -> HttpResponse:
    """A filter the form refuses (an unknown value, a bad sort key): the list page with the
    form's messages, answered 400."""
    return render(request, template, {"filter": filterset, "page": None}, status=400)


def without_empty_parameters(request: HttpRequest) -> HttpResponseRedirect | None:
    """A GET form sends its empty fields (q=&sort=): the same list at the URL without them."""
    query = request.GET
    if all(v.strip() for key in query for v in query.getlist(key)):
        return None
    clean = QueryDict(mutable=True)
    for key in query:
        if kept := [v for v in query.getlist(key) if v.strip()]:
            clean.setlist(key, kept)
    return HttpResponseRedirect(request.path + (f"?{clean.urlencode()}" if clean else ""))


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
    if redirect := without_empty_parameters(request):
        return redirect
    if not filterset.is_valid():
        return invalid_filter(request, template, filterset)
    filterset.label_choices_with_counts()
    paginator = ListPaginator(filterset, per_page)
    paginator.count = filterset.cached_count()
    page = paginator.get_page(request.GET.get("page"))
    extra = context() if context else {}
    return render(request, template, {"filter": filterset, "page": page, **extra})
