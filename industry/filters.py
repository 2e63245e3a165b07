import django_filters
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.facets import ChoiceFacet, FacetedFilterSet, FacetFilter
from core.text import localized
from core.widgets import FacetCheckboxes
from industry.models import Figure, Indicator, Product, Section


class StableOrderingFilter(django_filters.OrderingFilter):
    """Sorts by the chosen key, then in reading order."""

    def build_choices(self, fields, labels):
        # django-filter's own "(descending)" is not translated; say it in our words.
        choices = []
        for field, param in fields.items():
            label = labels.get(field, param)
            # Lazy: the choices are built when the module loads, the language is the request's.
            descending = format_lazy(_("{label}（倒序）"), label=label)
            choices += [(param, label), (f"-{param}", descending)]
        return choices

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        return qs.order_by(*qs.query.order_by, "number") if value else qs


def year_choices():
    return [(year, _("{year}年").format(year=year)) for year in Figure.objects.published().years()]


class FigureFilter(FacetedFilterSet):
    product = FacetFilter(
        label=_("产品"),
        queryset=Product.objects.all(),
        to_field_name="slug",
        widget=FacetCheckboxes,
    )
    indicator = FacetFilter(
        label=_("指标"),
        queryset=Indicator.objects.all(),
        to_field_name="slug",
        widget=FacetCheckboxes,
    )
    year = ChoiceFacet(label=_("年份"), choices=year_choices, widget=FacetCheckboxes)
    section = FacetFilter(
        label=_("文章部分"),
        queryset=Section.objects.published().select_related("parent"),
        widget=FacetCheckboxes,
    )
    # Whitelisted sort keys: anything else is a form error, never a database error.
    sort = StableOrderingFilter(
        label=_("排序"),
        fields=(
            ("number", "number"),
            ("product__position", "product"),
            ("indicator__position", "indicator"),
            ("year", "year"),
            ("value", "value"),
        ),
        field_labels={
            "number": _("阅读顺序"),
            "product__position": _("产品"),
            "indicator__position": _("指标"),
            "year": _("年份"),
            "value": _("数值"),
        },
        empty_label=_("阅读顺序（默认）"),
    )

    facets = ("product", "indicator", "year", "section")

    class Meta:
        model = Figure
        fields = []

    def facet_label(self, name, obj):
        return obj.label if name == "section" else localized(obj)

    def facet_sort_key(self, name, obj, count):
        # Products, indicators and sections in the article's own order.
        if name == "section":
            return (obj.article_id, obj.position)
        return (obj.position, obj.pk)
