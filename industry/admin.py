from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from core.admin import KnowledgeAdmin, TermAdmin, VersionLockMixin
from core.forms import SourceForm
from core.importing import Unreadable
from industry.forms import (
    ActionFormSet,
    FigureFormSet,
    ImportedArticleForm,
    ParagraphFormSet,
    SectionFormSet,
    proposal_initial,
)
from industry.importer import Vocabulary, propose_article
from industry.models import (
    Action,
    ActionKind,
    ActionQuantity,
    Article,
    Company,
    Figure,
    Indicator,
    Paragraph,
    Place,
    Product,
    Section,
)
from industry.services import article_import, article_set_status

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


IMPORT_FORMSETS = {
    "sections": SectionFormSet,
    "paragraphs": ParagraphFormSet,
    "figures": FigureFormSet,
    "actions": ActionFormSet,
}


@admin.register(Article)
class ArticleAdmin(KnowledgeAdmin):
    list_display = ["title", "status", "column", "author", "position"]
    list_filter = ["status", "column"]
    search_fields = ["title", "author"]
    inlines = [SectionInline]
    actions = ["publish", "withdraw"]
    change_list_template = "admin/industry/article/change_list.html"

    @admin.action(description="发布所选文章（公众可见）", permissions=["change"])
    def publish(self, request, queryset):
        changed = article_set_status(
            articles=queryset, status=Article.Status.PUBLISHED, user=request.user
        )
        self.message_user(request, f"已发布 {changed} 篇文章。", messages.SUCCESS)

    @admin.action(description="把所选文章撤回为草稿（公众不可见）", permissions=["change"])
    def withdraw(self, request, queryset):
        changed = article_set_status(
            articles=queryset, status=Article.Status.DRAFT, user=request.user
        )
        self.message_user(request, f"已把 {changed} 篇文章撤回为草稿。", messages.SUCCESS)

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="industry_article_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """从文本导入: paste or upload an article; accept or reject each proposed figure."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST" and request.POST.get("step") == "confirm":
            return self.confirm_import(request)
        source = SourceForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and source.is_valid():
            text, name = source.cleaned_data["source_text"], source.cleaned_data["source_name"]
            try:
                proposal = propose_article(text, Vocabulary.from_database())
            except Unreadable as exc:
                source.add_error(None, str(exc))
            else:
                initial = proposal_initial(proposal, text, name)
                form = ImportedArticleForm(initial=initial["article"], prefix="article")
                formsets = {
                    prefix: formset(initial=initial[prefix], prefix=prefix)
                    for prefix, formset in IMPORT_FORMSETS.items()
                }
                return self.render_preview(request, proposal, form, formsets)
        return self.render_import(request, {"source": source})

    def confirm_import(self, request: HttpRequest) -> HttpResponse:
        form = ImportedArticleForm(request.POST, prefix="article")
        try:
            text = request.POST.get("article-source_text", "")
            proposal = propose_article(text, Vocabulary.from_database())
        except Unreadable as exc:
            messages.error(request, f"没有导入：{exc}")
            return redirect("admin:industry_article_import")
        formsets = {
            prefix: formset(request.POST, prefix=prefix)
            for prefix, formset in IMPORT_FORMSETS.items()
        }
        if form.is_valid() and all(f.is_valid() for f in formsets.values()):
            accepted = {
                prefix: [f.cleaned_data for f in formsets[prefix] if f.cleaned_data["accept"]]
                for prefix in ("figures", "actions")
            }
            try:
                article = article_import(
                    article=form.cleaned_data,
                    sections=[f.cleaned_data for f in formsets["sections"]],
                    paragraphs=[f.cleaned_data for f in formsets["paragraphs"]],
                    user=request.user,
                    source_name=form.cleaned_data["source_name"],
                    **accepted,
                )
            except ValidationError as exc:
                messages.error(request, f"没有导入：{'；'.join(exc.messages)}")
            else:
                messages.success(
                    request,
                    f"已导入草稿“{article}”：{len(formsets['sections'].forms)} 个部分、"
                    f"{len(formsets['paragraphs'].forms)} 段、{len(accepted['figures'])} 项数据、"
                    f"{len(accepted['actions'])} 项企业行动。公众看不到草稿；核对后请发布。",
                )
                return redirect("admin:industry_article_change", article.pk)
        return self.render_preview(request, proposal, form, formsets)

    def render_preview(self, request, proposal, form, formsets):
        return self.render_import(
            request,
            {
                "proposal": proposal,
                "form": form,
                **formsets,
                "source_lines": [
                    (line, proposal.roles.get(line.number)) for line in proposal.lines
                ],
                "duplicate": Article.objects.filter(title=proposal.title).first(),
            },
        )

    def render_import(self, request, context: dict) -> TemplateResponse:
        return TemplateResponse(
            request,
            "admin/industry/article/import.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "从文本导入文章",
                **context,
            },
        )


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


class ActionQuantityInline(admin.TabularInline):
    """Other quantities the sentence gives (29个, 两个生产片区, 24小时), as printed."""

    model = ActionQuantity
    extra = 0
    fields = ["position", "phrase", "counted", "quantity_text", "quantity", "unit", "names"]


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
    inlines = [ActionQuantityInline]

    @admin.display(description=_("数量（照原文）"))
    def printed_quantity(self, obj):
        return obj.printed_quantity


@admin.register(Place)
class PlaceAdmin(KnowledgeAdmin):
    list_display = ["name", "province", "position"]
    list_filter = ["province"]
    search_fields = ["name"]
