from django.contrib import admin
from django.db import models
from django.db.models import Count

from core.admin import KnowledgeAdmin, TermAdmin, VersionLockMixin
from policies.models import Heading, Measure, Notice, Region, TargetGroup, Topic


class HeadingInline(VersionLockMixin, admin.TabularInline):
    model = Heading
    extra = 0
    fields = ["ordinal", "title", "title_en"]
    show_change_link = True


@admin.register(Notice)
class NoticeAdmin(KnowledgeAdmin):
    list_display = ["doc_number", "title", "issuing_body", "issued_on", "is_abridged"]
    list_filter = ["issuing_body", "is_abridged"]
    search_fields = ["doc_number", "title", "preamble"]
    date_hierarchy = "issued_on"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [HeadingInline]
    fieldsets = [
        (
            None,
            {"fields": ["doc_number", "title", "title_en", "slug", "issuing_body", "issued_on"]},
        ),
        (
            "正文",
            {
                "fields": [
                    "addressees",
                    "preamble",
                    "closing",
                    "signature",
                    "signature_date",
                ]
            },
        ),
        (
            "来源",
            {
                "fields": [
                    "is_abridged",
                    "abridged_note",
                    "published_in",
                    "official_url",
                ]
            },
        ),
    ]


class MeasureInline(VersionLockMixin, admin.StackedInline):
    model = Measure
    extra = 0
    fields = ["number", "title", "title_en", "title_is_editorial", "text"]
    show_change_link = True


@admin.register(Heading)
class HeadingAdmin(KnowledgeAdmin):
    list_display = ["__str__", "notice", "ordinal"]
    list_filter = ["notice"]
    list_select_related = ["notice"]
    search_fields = ["title"]
    ordering = ["notice", "ordinal"]
    inlines = [MeasureInline]


@admin.register(Measure)
class MeasureAdmin(KnowledgeAdmin):
    list_display = ["number", "title", "title_is_editorial", "heading", "notice"]
    list_display_links = ["number", "title"]
    list_filter = [
        "notice",
        "heading",
        "title_is_editorial",
        "topics",
        "target_groups",
        "regions",
    ]
    list_select_related = ["heading", "notice"]
    search_fields = ["title", "text"]
    ordering = ["notice", "number"]
    autocomplete_fields = ["heading", "topics", "target_groups", "regions"]
    fieldsets = [
        (None, {"fields": ["heading", "number", "title", "title_is_editorial", "text"]}),
        ("英文（编者译）", {"fields": ["title_en"]}),
        ("编者分类", {"fields": ["topics", "target_groups", "regions"]}),
    ]


class ClassificationAdmin(TermAdmin):
    list_display = ["name", "name_en", "slug", "measure_count", "version"]
    list_editable = ["name_en", "version"]

    def get_deleted_objects(self, objs, request):
        # A classification in use is refused like a PROTECT foreign key: name the measures.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        protected = [*protected, *(m for obj in objs for m in obj.measures.all())]
        return deleted, counts, perms_needed, protected

    def get_queryset(self, request):
        # Aggregating drops Meta.ordering; keep it for autocomplete's pagination.
        queryset = super().get_queryset(request).annotate(measure_count=Count("measures"))
        return queryset.order_by(*self.model._meta.ordering)

    @admin.display(description="措施数", ordering="measure_count")
    def measure_count(self, obj):
        return obj.measure_count


admin.site.register(Topic, ClassificationAdmin)
admin.site.register(TargetGroup, ClassificationAdmin)
admin.site.register(Region, ClassificationAdmin)

admin.site.site_header = "政策与行业知识库 管理后台"
admin.site.site_title = "知识库管理"
admin.site.index_title = "内容管理"
