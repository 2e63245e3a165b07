from dataclasses import dataclass

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import escape
from django.utils.safestring import SafeString

from core.admin import KnowledgeAdmin, LockedModelForm, TermAdmin, VersionLockMixin, text_diff
from core.forms import SourceForm
from core.importing import Unreadable
from policies.forms import (
    HeadingFormSet,
    ImportedNoticeForm,
    MeasureFormSet,
    proposal_initial,
)
from policies.importer import KnownIssuer, NoticeProposal, propose_notice
from policies.models import (
    Heading,
    Issuer,
    Measure,
    MeasureRegion,
    MeasureTargetGroup,
    MeasureTopic,
    Notice,
    Region,
    TargetGroup,
    Topic,
)
from policies.services import notice_import, notice_set_status


class HeadingInline(VersionLockMixin, admin.TabularInline):
    model = Heading
    extra = 0
    fields = ["ordinal", "title", "title_en"]
    show_change_link = True


@admin.register(Notice)
class NoticeAdmin(KnowledgeAdmin):
    list_display = ["doc_number", "title", "status", "level", "doc_type", "issued_on", "validity"]
    list_filter = ["status", "level", "doc_type", "validity", "issuers", "is_abridged"]
    search_fields = ["doc_number", "title", "preamble"]
    date_hierarchy = "issued_on"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    autocomplete_fields = ["issuers", "validity_changed_by"]
    inlines = [HeadingInline]
    actions = ["publish", "withdraw"]
    change_list_template = "admin/policies/notice/change_list.html"
    fieldsets = [
        (None, {"fields": ["status"]}),
        (
            None,
            {"fields": ["doc_number", "title", "title_en", "slug", "issuing_body", "issued_on"]},
        ),
        (
            "政策库信息",
            {
                "fields": [
                    "issuers",
                    "level",
                    "level_is_editorial",
                    "doc_type",
                    "doc_type_is_editorial",
                    "published_on",
                ]
            },
        ),
        (
            "效力（编者核实）",
            {
                "fields": [
                    "validity",
                    "validity_changed_on",
                    "validity_changed_by",
                    "validity_note",
                ]
            },
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

    @admin.action(description="发布所选通知（公众可见）", permissions=["change"])
    def publish(self, request, queryset):
        changed = notice_set_status(
            notices=queryset, status=Notice.Status.PUBLISHED, user=request.user
        )
        self.message_user(request, f"已发布 {changed} 份通知。", messages.SUCCESS)

    @admin.action(description="把所选通知撤回为草稿（公众不可见）", permissions=["change"])
    def withdraw(self, request, queryset):
        changed = notice_set_status(notices=queryset, status=Notice.Status.DRAFT, user=request.user)
        self.message_user(request, f"已把 {changed} 份通知撤回为草稿。", messages.SUCCESS)

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="policies_notice_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """从文本导入: paste or upload a notice, correct the proposal, confirm a draft."""
        if not (self.has_add_permission(request) and request.user.has_perm("policies.add_measure")):
            raise PermissionDenied
        if request.method == "POST" and request.POST.get("step") == "confirm":
            return self.confirm_import(request)
        source = SourceForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and source.is_valid():
            text, name = source.cleaned_data["source_text"], source.cleaned_data["source_name"]
            try:
                proposal = propose_notice(text, KnownIssuer.from_database())
            except Unreadable as exc:
                source.add_error(None, str(exc))
            else:
                form = ImportedNoticeForm(
                    initial=proposal_initial(proposal, text, name), prefix="notice"
                )
                headings = HeadingFormSet(
                    initial=[vars(h) for h in proposal.headings], prefix="headings"
                )
                measures = MeasureFormSet(
                    initial=[
                        {**vars(m), "title_is_editorial": m.title_is_missing}
                        for m in proposal.measures
                    ],
                    prefix="measures",
                )
                return self.render_preview(request, proposal, form, headings, measures)
        return self.render_import(request, {"source": source})

    def confirm_import(self, request: HttpRequest) -> HttpResponse:
        form = ImportedNoticeForm(request.POST, prefix="notice")
        try:
            proposal = propose_notice(
                request.POST.get("notice-source_text", ""), KnownIssuer.from_database()
            )
        except Unreadable as exc:
            messages.error(request, f"没有导入：{exc}")
            return redirect("admin:policies_notice_import")
        headings = HeadingFormSet(request.POST, prefix="headings")
        ordinals = {f.cleaned_data.get("ordinal") for f in headings if headings.is_valid()}
        measures = MeasureFormSet(request.POST, prefix="measures", headings=ordinals)
        if form.is_valid() and headings.is_valid() and measures.is_valid():
            notice = notice_import(
                notice=form.cleaned_data,
                headings=[f.cleaned_data for f in headings],
                measures=[f.cleaned_data for f in measures],
                user=request.user,
                source_name=form.cleaned_data["source_name"],
            )
            messages.success(
                request,
                f"已导入草稿“{notice}”：{len(headings.forms)} 个标题、{len(measures.forms)} 条措施。"
                "公众看不到草稿；核对后请发布。",
            )
            return redirect("admin:policies_notice_change", notice.pk)
        return self.render_preview(request, proposal, form, headings, measures)

    def render_preview(self, request, proposal: NoticeProposal, form, headings, measures):
        stored = Notice.objects.filter(doc_number=proposal.doc_number).first()
        return self.render_import(
            request,
            {
                "proposal": proposal,
                "form": form,
                "headings": headings,
                "measures": measures,
                "source_lines": [
                    (line, proposal.roles.get(line.number)) for line in proposal.lines
                ],
                "duplicate": stored,
                "differences": differences(proposal, stored) if stored else [],
            },
        )

    def render_import(self, request, context: dict) -> TemplateResponse:
        return TemplateResponse(
            request,
            "admin/policies/notice/import.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "从文本导入通知",
                **context,
            },
        )


@dataclass
class Difference:
    label: str
    stored: SafeString
    proposed: SafeString


def differences(proposal: NoticeProposal, stored: Notice) -> list[Difference]:
    """What the text says differently from the notice already stored under its number."""
    pairs = [
        (label, str(getattr(stored, name) or ""), str(getattr(proposal, name) or ""))
        for label, name in [
            ("标题", "title"),
            ("发文机关", "issuing_body"),
            ("成文日期", "issued_on"),
            ("主送机关", "addressees"),
            ("导语", "preamble"),
            ("结束语", "closing"),
            ("落款", "signature"),
            ("落款日期", "signature_date"),
        ]
    ]
    old_headings = {h.ordinal: h.title for h in stored.headings.all()}
    new_headings = {h.ordinal: h.title for h in proposal.headings}
    for ordinal in sorted(old_headings.keys() | new_headings.keys()):
        pairs.append(
            (f"标题 {ordinal}", old_headings.get(ordinal, ""), new_headings.get(ordinal, ""))
        )
    old_measures = {m.number: m for m in stored.measures.all()}
    new_measures = {m.number: m for m in proposal.measures}
    for number in sorted(old_measures.keys() | new_measures.keys()):
        old, new = old_measures.get(number), new_measures.get(number)
        if not (old and new and old.title_is_editorial and not new.title):
            pairs.append(
                (f"第{number}条小标题", old.title if old else "", new.title if new else "")
            )
        pairs.append((f"第{number}条正文", old.text if old else "", new.text if new else ""))
    found = []
    for label, old, new in pairs:
        if old != new:
            old_html, new_html = text_diff(old, new) if old and new else (escape(old), escape(new))
            found.append(Difference(label, old_html, new_html))
    return found


class MeasureInlineForm(LockedModelForm):
    """A measure edited under its heading, without its classifications: its new title and
    text must still hold every classification's evidence (the measure's own page edits
    both together)."""

    def clean(self):
        cleaned = super().clean()
        stored = self.instance
        if stored.pk is None:
            return cleaned
        edited = Measure(
            title=cleaned.get("title", stored.title),
            text=cleaned.get("text", stored.text),
            title_is_editorial=cleaned.get("title_is_editorial", stored.title_is_editorial),
        )
        lost = [a for a in stored.assignments() if a.evidence and not edited.quotes(a.evidence)]
        if lost:
            names = "；".join(str(a) for a in lost)
            raise ValidationError(
                f"没有保存：改动后，这些分类的依据不再是条文原话：{names}。"
                "请在此条措施的页面上同时修改依据。"
            )
        return cleaned


class MeasureInline(VersionLockMixin, admin.StackedInline):
    model = Measure
    form = MeasureInlineForm
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


class AssignmentInline(admin.TabularInline):
    """编者分类: each classification of the measure with the words that justify it."""

    extra = 0
    classes = ["editorial-classification"]

    def get_fields(self, request, obj=None):
        return [self.model.term_field, "evidence"]

    def get_autocomplete_fields(self, request):
        return [self.model.term_field]


class MeasureTopicInline(AssignmentInline):
    model = MeasureTopic
    verbose_name = verbose_name_plural = "编者分类：政策工具/主题（附依据）"


class MeasureTargetGroupInline(AssignmentInline):
    model = MeasureTargetGroup
    verbose_name = verbose_name_plural = "编者分类：支持对象（附依据）"


class MeasureRegionInline(AssignmentInline):
    model = MeasureRegion
    verbose_name = verbose_name_plural = "编者分类：点名地区（附依据）"


@admin.register(Measure)
class MeasureAdmin(KnowledgeAdmin):
    # The notice and its part in one short column (工信明电〔2020〕14号 三、), so that at a
    # laptop's width the title has room; the parts' titles are in the filter beside it.
    list_display = ["number", "title", "title_is_editorial", "source"]
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
    autocomplete_fields = ["heading"]
    fieldsets = [
        (None, {"fields": ["heading", "number", "title", "title_is_editorial", "text"]}),
        ("英文（编者译）", {"fields": ["title_en"]}),
    ]
    inlines = [MeasureTopicInline, MeasureTargetGroupInline, MeasureRegionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("heading__notice")

    @admin.display(description="出处（通知、部分）", ordering="heading__ordinal")
    def source(self, obj):
        return f"{obj.notice.doc_number} {obj.heading.label}"


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


@admin.register(Issuer)
class IssuerAdmin(TermAdmin):
    list_display = ["name", "name_en", "level", "aliases", "slug", "notice_count"]
    list_filter = ["level"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).annotate(notice_count=Count("notices"))
        return queryset.order_by(*self.model._meta.ordering)

    @admin.display(description="通知数", ordering="notice_count")
    def notice_count(self, obj):
        return obj.notice_count


admin.site.register(Topic, ClassificationAdmin)
admin.site.register(TargetGroup, ClassificationAdmin)
admin.site.register(Region, ClassificationAdmin)

admin.site.site_header = "政策与行业知识库 管理后台"
admin.site.site_title = "知识库管理"
admin.site.index_title = "内容管理"
