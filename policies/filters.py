import django_filters
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core import find
from core.analysis import MAX_QUERY_LENGTH
from core.facets import FacetedFilterSet
from core.widgets import BilingualSelect
from policies.models import Heading, Measure, Notice, Region, TargetGroup, Topic


def choice_filter(label, empty_label, queryset, **kwargs):
    return django_filters.ModelChoiceFilter(
        label=label, empty_label=empty_label, queryset=queryset, widget=BilingualSelect, **kwargs
    )


class MeasureFilter(FacetedFilterSet):
    q = django_filters.CharFilter(
        label=_("关键词"),
        method="filter_text",
        max_length=MAX_QUERY_LENGTH,
        help_text=_("在标题、正文和所属分类中查找；多个词用空格分开，例如 租金 担保。"),
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

    facets = ("notice", "heading", "topic", "target_group", "region")

    class Meta:
        model = Measure
        fields = []

    def filter_text(self, queryset, name, value):
        return queryset.matching(find.parse(value))

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
