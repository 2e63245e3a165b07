from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from core.admin import KnowledgeAdmin, TermAdmin, VersionLockMixin
from industry.models import (
    Action,
    ActionKind,
    Article,
    Company,
    Figure,
    Indicator,
    Paragraph,
    Place,
    Product,
    Section,
)

FIGURE_FIELDS = [
    "number",
    "paragraph",
    "sentence",
    "product",
    "indicator",
    "breakdown",
    "year",
    "period_text",
    "value_text",
    "unit",
    "is_approximate",
    "change_direction",
    "change_abs_text",
    "change_pct_text",
    "change_is_approximate",
    "change_as_printed",
    "basis",
    "note",
]


def parent_object_id(request) -> str | None:
    return request.resolver_match.kwargs.get("object_id") if request.resolver_match else None


class SectionInline(VersionLockMixin, admin.TabularInline):
    model = Section
    fk_name = "article"
    extra = 0
    fields = ["position", "anchor", "kind", "parent", "number", "heading"]
    show_change_link = True

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = Section.objects.filter(
                article_id=parent_object_id(request), parent__isnull=True
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Article)
class ArticleAdmin(KnowledgeAdmin):
    list_display = ["title", "column", "author", "position"]
    list_filter = ["column"]
    search_fields = ["title", "author"]
    inlines = [SectionInline]


class ParagraphInline(VersionLockMixin, admin.StackedInline):
    model = Paragraph
    extra = 0
    fields = ["position", "text"]
    show_change_link = True


class ParagraphFigureInline(VersionLockMixin, admin.StackedInline):
    model = Figure
    extra = 0
    fields = [name for name in FIGURE_FIELDS if name != "paragraph"]
    autocomplete_fields = ["product", "indicator"]
    show_change_link = True


class SectionFigureInline(ParagraphFigureInline):
    """A section's figures; each one's paragraph is chosen among the section's."""

    fk_name = "section"
    fields = FIGURE_FIELDS

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "paragraph":
            kwargs["queryset"] = Paragraph.objects.filter(section_id=parent_object_id(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Section)
class SectionAdmin(KnowledgeAdmin):
    list_display = ["__str__", "article", "parent", "position", "anchor", "kind"]
    list_filter = ["article", "kind"]
    list_select_related = ["article", "parent"]
    search_fields = ["heading", "anchor", "editorial_note"]
    ordering = ["article__position", "position"]
    autocomplete_fields = ["parent"]
    inlines = [ParagraphInline, SectionFigureInline]
    fields = [
        "article",
        "parent",
        "position",
        "anchor",
        "kind",
        "number",
        "heading",
        "editorial_note",
    ]


@admin.register(Paragraph)
class ParagraphAdmin(KnowledgeAdmin):
    list_display = ["__str__", "excerpt", "figure_count"]
    list_filter = ["section__article", "section"]
    list_select_related = ["section__parent", "section__article"]
    search_fields = ["text"]
    autocomplete_fields = ["section"]
    inlines = [ParagraphFigureInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(figure_count=Count("figures"))

    @admin.display(description=_("摘录"))
    def excerpt(self, obj):
        return obj.text[:40]

    @admin.display(description=_("数据数"), ordering="figure_count")
    def figure_count(self, obj):
        return obj.figure_count


@admin.register(Product)
class ProductAdmin(TermAdmin):
    list_display = ["name", "name_en", "parent", "aliases", "slug", "position"]
    list_filter = ["parent"]
    list_select_related = ["parent"]
    search_fields = ["name", "name_en", "aliases", "slug"]
    autocomplete_fields = ["parent"]


admin.site.register(Indicator, TermAdmin)
admin.site.register(ActionKind, TermAdmin)


@admin.register(Figure)
class FigureAdmin(KnowledgeAdmin):
    list_display = [
        "number",
        "product",
        "indicator",
        "breakdown",
        "year",
        "printed_value",
        "change_as_printed",
        "section",
    ]
    list_display_links = ["number", "printed_value"]
    list_filter = ["product", "indicator", "year", "is_approximate", "basis", "section"]
    list_select_related = ["product", "indicator", "section__parent"]
    search_fields = ["sentence", "value_text", "note"]
    ordering = ["number"]
    autocomplete_fields = ["paragraph", "product", "indicator"]
    fieldsets = [
        (None, {"fields": ["number", "paragraph", "sentence"]}),
        (
            _("数据"),
            {
                "fields": [
                    "product",
                    "indicator",
                    "breakdown",
                    "year",
                    "period_text",
                    "value_text",
                    "unit",
                    "is_approximate",
                    "basis",
                ]
            },
        ),
        (
            _("变化"),
            {
                "fields": [
                    "change_direction",
                    "change_abs_text",
                    "change_pct_text",
                    "change_is_approximate",
                    "change_as_printed",
                ]
            },
        ),
        (_("编者"), {"fields": ["note"]}),
    ]

    @admin.display(description=_("数值（照原文）"))
    def printed_value(self, obj):
        return obj.printed_value


class ActionInline(VersionLockMixin, admin.StackedInline):
    model = Action
    extra = 0
    fields = [
        "position",
        "kind",
        "paragraph",
        "sentence",
        "item",
        ("quantity_qualifier", "quantity_text", "quantity", "unit"),
        "recipients",
        "places",
        ("as_of_text", "as_of"),
        "is_planned",
        "measures",
        "note",
    ]
    autocomplete_fields = ["places", "measures"]
    show_change_link = True

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "paragraph":
            kwargs["queryset"] = Paragraph.objects.filter(
                section__company__pk=parent_object_id(request)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Company)
class CompanyAdmin(KnowledgeAdmin):
    list_display = ["name", "name_en", "province", "city", "action_count"]
    list_filter = ["province"]
    search_fields = ["name", "name_en", "aliases"]
    prepopulated_fields = {"slug": ["name_en"]}
    autocomplete_fields = ["story"]
    inlines = [ActionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(action_count=Count("actions"))

    @admin.display(description=_("行动数"), ordering="action_count")
    def action_count(self, obj):
        return obj.action_count


@admin.register(Action)
class ActionAdmin(KnowledgeAdmin):
    list_display = [
        "company",
        "position",
        "kind",
        "item",
        "printed_quantity",
        "is_planned",
    ]
    list_filter = ["kind", "company", "is_planned", "places", "measures"]
    list_select_related = ["company", "kind"]
    search_fields = ["sentence", "item", "recipients", "note"]
    autocomplete_fields = ["company", "paragraph", "places", "measures"]
    fieldsets = [
        (None, {"fields": ["company", "position", "kind", "paragraph", "sentence"]}),
        (
            _("内容"),
            {
                "fields": [
                    "item",
                    ("quantity_qualifier", "quantity_text", "quantity", "unit"),
                    "recipients",
                    "places",
                    ("as_of_text", "as_of"),
                    "is_planned",
                ]
            },
        ),
        (_("编者"), {"fields": ["measures", "note"]}),
    ]

    @admin.display(description=_("数量（照原文）"))
    def printed_quantity(self, obj):
        return obj.printed_quantity


@admin.register(Place)
class PlaceAdmin(KnowledgeAdmin):
    list_display = ["name", "province", "position"]
    list_filter = ["province"]
    search_fields = ["name"]
