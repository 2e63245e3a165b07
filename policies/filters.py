import django_filters
from django.db.models import Count, F
from django.db.models.functions import ExtractYear
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core import find
from core.analysis import MAX_QUERY_LENGTH
from core.facets import FACET_LIMIT, ChoiceFacet, FacetedFilterSet, FacetFilter
from core.widgets import FacetCheckboxes
from policies.models import (
    DocType,
    Heading,
    Issuer,
    Level,
    Measure,
    Notice,
    Region,
    TargetGroup,
    Topic,
    Validity,
)


def choice_filter(label, queryset, **kwargs):
    """A facet of records, ticked as checkboxes: several values give rows with any of them."""
    return FacetFilter(label=label, queryset=queryset, widget=FacetCheckboxes, **kwargs)


class MeasureFilter(FacetedFilterSet):
    q = django_filters.CharFilter(
        label=_("关键词"),
        method="filter_text",
        max_length=MAX_QUERY_LENGTH,
        help_text=_("在标题、正文和所属分类中查找；多个词用空格分开，例如 租金 担保。"),
    )
    notice = choice_filter(_("通知"), Notice.objects.published(), to_field_name="slug")
    heading = choice_filter(_("标题"), Heading.objects.published())
    topic = choice_filter(
        _("政策工具/主题"),
        Topic.objects.all(),
        field_name="topics",
        to_field_name="slug",
    )
    target_group = choice_filter(
        _("支持对象"),
        TargetGroup.objects.all(),
        field_name="target_groups",
        to_field_name="slug",
    )
    region = choice_filter(
        _("地区"), Region.objects.all(), field_name="regions", to_field_name="slug"
    )

    facets = ("notice", "heading", "topic", "target_group", "region")
    text_filter = "q"
    window_ordering = ("notice_id", "number")  # Measure.objects.in_reading_order(), unique

    class Meta:
        model = Measure
        fields = []

    def filter_text(self, queryset, name, value):
        return queryset.matching(find.parse(value), ids=self.id_window)

    @property
    def search(self):
        """The words searched for, to mark them in the rows (None without a text)."""
        text = self.form.cleaned_data.get("q") if hasattr(self.form, "cleaned_data") else ""
        return find.parse(text) if text else None

    def facet_label(self, name, obj):
        if name == "heading" and get_language() == "en" and obj.title_en:
            return f"{obj.label}{obj.title_en}"
        return super().facet_label(name, obj)

    def facet_sort_key(self, name, obj, count):
        if name == "heading":  # in the notice's own order
            return (obj.notice_id, obj.ordinal)
        return super().facet_sort_key(name, obj, count)


def year_label(year) -> str:
    return _("{year}年").format(year=year)


def notice_years():
    years = Notice.objects.published().dates("issued_on", "year", order="DESC")
    return [(str(day.year), year_label(day.year)) for day in years]


SORTS = {
    "issued": ("issued_on", "doc_number"),
    "-published": (F("published_on").desc(nulls_last=True), "-issued_on", "doc_number"),
    "published": (F("published_on").asc(nulls_last=True), "issued_on", "doc_number"),
}


class NoticeFilter(FacetedFilterSet):
    """The notice list, filed as a policy library files documents."""

    level = ChoiceFacet(label=_("层级"), choices=Level.choices, widget=FacetCheckboxes)
    issuer = choice_filter(
        _("发文机关"),
        Issuer.objects.all(),
        field_name="issuers",
        to_field_name="slug",
    )
    doc_type = ChoiceFacet(label=_("文种"), choices=DocType.choices, widget=FacetCheckboxes)
    year = ChoiceFacet(
        label=_("成文年份"),
        field_name="issued_on",
        lookup_expr="year",
        choices=notice_years,
        widget=FacetCheckboxes,
    )
    validity = ChoiceFacet(label=_("效力"), choices=Validity.choices, widget=FacetCheckboxes)
    sort = django_filters.ChoiceFilter(
        label=_("排序"),
        choices=[
            ("issued", _("成文日期（旧→新）")),
            ("-published", _("发布日期（新→旧）")),
            ("published", _("发布日期（旧→新）")),
        ],
        empty_label=_("成文日期（新→旧，默认）"),
        method="sort_by",
    )

    facets = ("level", "issuer", "doc_type", "year", "validity")

    class Meta:
        model = Notice
        fields = []

    def sort_by(self, queryset, name, value):
        return queryset.order_by(*SORTS[value])

    def filter_queryset(self, queryset):
        # What a row shows, added after filtering: the facets count notices on the plain
        # queryset, where a join to the measures would count each notice once per measure.
        rows = super().filter_queryset(queryset)
        return rows.annotate(measure_count=Count("measures", distinct=True)).prefetch_related(
            "issuers"
        )

    def facet_counts(self, name):
        if name == "year":  # a year of the date issued: counted on the expression
            rows = self.queryset_without(name).order_by()
            counts = (
                rows.annotate(issued_year=ExtractYear("issued_on"))
                .values_list("issued_year")
                .annotate(count=Count("pk"))
                .order_by("-issued_year")
            )
            return [(str(y), str(year_label(y)), n) for y, n in counts[:FACET_LIMIT]]
        counts = super().facet_counts(name)
        if name in ("level", "doc_type", "validity"):  # in the vocabulary's own order
            order = [str(value) for value, _label in self.filters[name].extra["choices"]]
            counts.sort(key=lambda row: order.index(row[0]))
        return counts
