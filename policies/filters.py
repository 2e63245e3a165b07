import django_filters
from django.db.models import Count, QuerySet

from policies.models import (
    Heading,
    Measure,
    Notice,
    Region,
    TargetGroup,
    Topic,
    chinese_numeral,
)

# How many choices a facet offers; a selected value is always offered.
FACET_LIMIT = 50


class MeasureFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="关键词",
        method="filter_text",
        max_length=200,
        help_text="在标题和正文中查找，例如 贷款、培训。",
    )
    notice = django_filters.ModelChoiceFilter(
        label="通知",
        queryset=Notice.objects.all(),
        to_field_name="slug",
        empty_label="全部通知",
    )
    heading = django_filters.ModelChoiceFilter(
        label="标题", queryset=Heading.objects.all(), empty_label="全部标题"
    )
    topic = django_filters.ModelChoiceFilter(
        label="政策工具/主题",
        field_name="topics",
        queryset=Topic.objects.all(),
        to_field_name="slug",
        empty_label="全部主题",
    )
    target_group = django_filters.ModelChoiceFilter(
        label="支持对象",
        field_name="target_groups",
        queryset=TargetGroup.objects.all(),
        to_field_name="slug",
        empty_label="全部对象",
    )
    region = django_filters.ModelChoiceFilter(
        label="地区",
        field_name="regions",
        queryset=Region.objects.all(),
        to_field_name="slug",
        empty_label="全部地区",
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
        if name == "notice":
            rows = (
                measures.values("notice__slug", "notice__doc_number")
                .annotate(count=Count("pk"))
                .order_by("-count", "notice__doc_number")[:FACET_LIMIT]
            )
            return [(r["notice__slug"], r["notice__doc_number"], r["count"]) for r in rows]
        if name == "heading":
            rows = (
                measures.values("heading_id", "heading__ordinal", "heading__title")
                .annotate(count=Count("pk"))
                .order_by("heading__notice__issued_on", "heading__ordinal")[:FACET_LIMIT]
            )
            return [
                (
                    str(r["heading_id"]),
                    f"{chinese_numeral(r['heading__ordinal'])}、{r['heading__title']}",
                    r["count"],
                )
                for r in rows
            ]
        # A classification: filtering on its measures before annotating counts only those.
        classification = self.filters[name].queryset.model
        rows = (
            classification.objects.filter(measures__in=measures)
            .annotate(count=Count("measures"))
            .order_by("-count", "name")[:FACET_LIMIT]
        )
        return [(row.slug, row.name, row.count) for row in rows]

    def label_choices_with_counts(self) -> None:
        """Offer in each filter only the values that give measures, each with its count."""
        for name in self.facets:
            field = self.form.fields[name]
            choices = [
                (value, f"{label}（{count}）") for value, label, count in self.facet_counts(name)
            ]
            selected = self.form.cleaned_data.get(name)
            raw = self.data.get(name)
            if selected is not None and raw not in {value for value, _ in choices}:
                choices.append((raw, f"{selected}（0）"))
            field.widget.choices = [("", field.empty_label), *choices]
