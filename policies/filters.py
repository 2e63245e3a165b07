import django_filters
from django.db.models import Count, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kbsite import search
from kbsite.caching import cached
from kbsite.widgets import BilingualSelect
from policies.models import Heading, Measure, Notice, Region, TargetGroup, Topic, chinese_numeral

# How many choices a facet offers; a selected value is always offered.
FACET_LIMIT = 50


def choice_filter(label, empty_label, queryset, **kwargs):
    return django_filters.ModelChoiceFilter(
        label=label, empty_label=empty_label, queryset=queryset, widget=BilingualSelect, **kwargs
    )


class MeasureFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("关键词"),
        method="filter_text",
        max_length=search.MAX_QUERY_LENGTH,
        help_text=_("在标题和正文中查找，例如 贷款、培训。"),
    )
    notice = choice_filter(_("通知"), _("全部通知"), Notice.objects.all(), to_field_name="slug")
    heading = choice_filter(_("标题"), _("全部标题"), Heading.objects.all())
    topic = choice_filter(
        _("政策工具/主题"),
        _("全部主题"),
        Topic.objects.all(),
        field_name="topics",
        to_field_name="slug",
    )
    target_group = choice_filter(
        _("支持对象"),
        _("全部对象"),
        TargetGroup.objects.all(),
        field_name="target_groups",
        to_field_name="slug",
    )
    region = choice_filter(
        _("地区"), _("全部地区"), Region.objects.all(), field_name="regions", to_field_name="slug"
    )

    # The filters that show counts; the classifications among them are many-to-many.
    facets = ("notice", "heading", "topic", "target_group", "region")

    class Meta:
        model = Measure
        fields = []

    def filter_text(self, queryset, name, value):
        return queryset.containing(value)

    @property
    def is_filtered(self) -> bool:
        return self.is_bound and any(self.form.cleaned_data.get(name) for name in self.filters)

    def queryset_without(self, skip: str) -> QuerySet:
        """The current filter with one of its parts left out, as a facet needs."""
        queryset = self.queryset
        for name, value in self.form.cleaned_data.items():
            if name != skip:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def facet_counts(self, name: str) -> list[tuple[str, str, int]]:
        """(value, label, count) for each value of one filter, counted under the others."""
        measures = self.queryset_without(name).order_by()
        english = get_language() == "en"
        if name == "notice":
            rows = (
                measures.values("notice__slug", "notice__doc_number")
                .annotate(count=Count("pk"))
                .order_by("-count", "notice__doc_number")[:FACET_LIMIT]
            )
            return [(r["notice__slug"], r["notice__doc_number"], r["count"]) for r in rows]
        if name == "heading":
            rows = (
                measures.values(
                    "heading_id", "heading__ordinal", "heading__title", "heading__title_en"
                )
                .annotate(count=Count("pk"))
                .order_by("heading__notice__issued_on", "heading__ordinal")[:FACET_LIMIT]
            )
            return [
                (
                    str(r["heading_id"]),
                    f"{chinese_numeral(r['heading__ordinal'])}、"
                    + (english and r["heading__title_en"] or r["heading__title"]),
                    r["count"],
                )
                for r in rows
            ]
        # A classification: filtering on its measures before annotating counts only those.
        classification = self.filters[name].queryset.model
        rows = (
            classification.objects.filter(measures__in=measures)
            .annotate(count=Count("measures"))
            .order_by("-count", "name_en" if english else "name")[:FACET_LIMIT]
        )
        return [(row.slug, english and row.name_en or row.name, row.count) for row in rows]

    def label_choices_with_counts(self) -> None:
        """Offer in each filter only the values that give measures, each with its count."""
        english = get_language() == "en"
        for name, counts in self.cached_facets().items():
            field = self.form.fields[name]
            choices = [
                (v, f"{label} ({n})" if english else f"{label}（{n}）") for v, label, n in counts
            ]
            selected = self.form.cleaned_data.get(name)
            raw = self.data.get(name)
            if selected is not None and raw not in {value for value, _label in choices}:
                choices.append((raw, f"{selected} (0)" if english else f"{selected}（0）"))
            field.widget.choices = [("", field.empty_label), *choices]

    def cached_facets(self) -> dict[str, list[tuple[str, str, int]]]:
        # Counting over a large knowledge base is the slow part of the page; the counts
        # only change when the data does (see kbsite.caching).
        return cached(
            ["measure-facets", get_language(), self.state()],
            lambda: {name: self.facet_counts(name) for name in self.facets},
        )

    def cached_count(self) -> int:
        return cached(["measure-count", self.state()], self.qs.count)

    def state(self) -> dict[str, str]:
        return {name: self.data.get(name) for name in self.filters if self.data.get(name)}
