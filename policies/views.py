from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from core import exports
from core.facets import faceted_list, invalid_filter, without_empty_parameters
from core.models import newest_public_change
from core.text import localized
from policies import matching
from policies.filters import MeasureFilter, NoticeFilter
from policies.forms import MatchForm
from policies.models import (
    ASSIGNMENTS,
    Heading,
    Measure,
    Notice,
    SizeClass,
    issuers_for_citation,
    page_statement,
)

MEASURES_PER_PAGE = 20
NOTICES_PER_PAGE = 20


def shown_to(request: HttpRequest, notice: Notice, response_for) -> HttpResponse:
    """A page of a notice for whoever may see it: a draft is a 404 to the public and a
    preview for staff, never stored by a cache or indexed."""
    if not notice.visible_to(request.user):
        raise Http404("No such notice.")
    response = response_for()
    if not notice.is_published:
        add_never_cache_headers(response)
        response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def notice_list(request: HttpRequest) -> HttpResponse:
    # Ordered explicitly: the measure count it is annotated with drops Meta.ordering.
    notices = Notice.objects.published().order_by(*Notice._meta.ordering)
    f = NoticeFilter(request.GET, queryset=notices)
    return faceted_list(request, f, "policies/notice_list.html", per_page=NOTICES_PER_PAGE)


# What the notice's page shows of each measure (not the search index's columns, say).
MEASURE_TEXT_COLUMNS = (
    "heading",
    "notice",
    "number",
    "title",
    "title_en",
    "title_is_editorial",
    "text",
)


@require_safe
def notice_detail(request: HttpRequest, slug: str) -> HttpResponse:
    notice = get_object_or_404(
        Notice.objects.select_related("validity_changed_by")
        .annotate(last_public_change=newest_public_change(Notice))
        .prefetch_related(
            "issuers",
            Prefetch(
                "headings",
                queryset=Heading.objects.prefetch_related(
                    Prefetch("measures", queryset=Measure.objects.only(*MEASURE_TEXT_COLUMNS))
                ),
            ),
        ),
        slug=slug,
    )
    for heading in notice.headings.all():
        for measure in heading.measures.all():
            measure.notice = notice  # for its link and citation, with the issuers read above
    return shown_to(
        request,
        notice,
        lambda: render(request, "policies/notice_detail.html", {"notice": notice}),
    )


@require_safe
def measure_list(request: HttpRequest) -> HttpResponse:
    f = MeasureFilter(request.GET, queryset=public_measures().in_reading_order())
    return faceted_list(
        request,
        f,
        "policies/measure_list.html",
        per_page=MEASURES_PER_PAGE,
        context=lambda: {"search": f.search},
    )


def public_measures():
    return Measure.objects.published().with_context()


def related_actions() -> Prefetch:
    """A measure's company actions that the public may see, with what the measure page shows
    of them. The industry app links its actions to measures; reached through the relation,
    so this app need not import it."""
    actions = Measure._meta.get_field("industry_actions").related_model.objects
    shown = ("position", "item", "company__slug", "company__name")
    return Prefetch(
        "industry_actions",
        queryset=actions.published()
        .with_company()
        .only(*shown, "kind__slug", "kind__name", "kind__name_en"),
    )


@require_safe
def measure_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    # At most four queries: the measure with its notice, neighbours and last update; the
    # notice's issuers (the citation); the classifications; the related actions, if any.
    measure = page_statement().get(notice__slug=slug, number=number)
    if measure is None:
        raise Http404("No such measure")
    measure.heading.notice = measure.notice  # the heading's link; spares a query
    # From the notice itself: a prefetch through the measure (notice__issuers) costs more.
    prefetch_related_objects([measure.notice], issuers_for_citation())
    if measure.has_industry_actions:  # most measures have none: no query for them
        prefetch_related_objects([measure], related_actions())
    return shown_to(
        request,
        measure.notice,
        lambda: render(
            request,
            "policies/measure_detail.html",
            {
                "measure": measure,
                "classifications": measure.classifications(),
                "previous": measure.neighbour(before=True),
                "next": measure.neighbour(before=False),
            },
        ),
    )


# Rows are plain values (model instances and prefetch_related would cost ten times as
# much per row), with each chunk's classification slugs fetched in one query per field.
MEASURE_VALUES = [
    "pk",
    "number",
    "title",
    "title_en",
    "title_is_editorial",
    "text",
    "notice__slug",
    "notice__doc_number",
    "notice__title",
    "heading__ordinal",
    "heading__title",
]
TAG_FIELDS = ("topics", "target_groups", "regions")
MEASURE_COLUMNS: exports.Columns = {
    "notice": lambda m: m["notice__doc_number"],
    "notice_title": lambda m: m["notice__title"],
    "heading": lambda m: m["heading__ordinal"],
    "heading_title": lambda m: m["heading__title"],
    "number": lambda m: m["number"],
    "title": lambda m: m["title"],
    "title_en": lambda m: m["title_en"],
    "title_is_editorial": lambda m: m["title_is_editorial"],
    "text": lambda m: m["text"],
    "topics": lambda m: m["topics"],  # names in the page's language
    "target_groups": lambda m: m["target_groups"],
    "regions": lambda m: m["regions"],
    # Each classification with the words of the measure that justify it (editorial).
    "classifications": lambda m: m["classifications"],
    "citation": lambda m: f"{m['notice__doc_number']} 第{m['number']}条",
    "url": exports.Link(lambda m: m["url"]),
}
# The exports' column headers, in the page's language.
MEASURE_LABELS = {
    "notice": _("发文字号"),
    "notice_title": _("文件标题"),
    "heading": _("部分序号"),
    "heading_title": _("部分"),
    "number": _("条号"),
    "title": _("措施标题"),
    "title_en": _("英文标题（编者译）"),
    "title_is_editorial": _("标题为编者所加"),
    "text": _("正文"),
    "topics": _("政策工具/主题"),
    "target_groups": _("支持对象"),
    "regions": _("地区"),
    "classifications": _("分类及依据（编者）"),
    "citation": _("引用"),
    "url": _("网址"),
}


def classifications(ids: list[int]) -> dict[int, list[dict]]:
    """{measure id: [{kind, slug, name, evidence}, ...]} for a chunk of rows, one query per
    kind of classification."""
    found: dict[int, list[dict]] = {}
    for through in ASSIGNMENTS:
        term = through.term_field
        rows = (
            through.objects.filter(measure_id__in=ids)
            .order_by(f"{term}__position", f"{term}__slug")
            .values_list("measure_id", f"{term}__slug", f"{term}__name", "evidence")
        )
        for measure_id, slug, name, evidence in rows:
            found.setdefault(measure_id, []).append(
                {"kind": through.kind, "slug": slug, "name": name, "evidence": evidence}
            )
    return found


@require_safe
def measure_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The measure list as CSV, XLSX or JSON: every row of the current filter, streamed."""
    f = MeasureFilter(request.GET, queryset=public_measures().in_reading_order())
    if not f.is_valid():
        return invalid_filter(request, "policies/measure_list.html", f)

    def rows():
        measure_url = exports.url_maker("policies:measure-detail", "slug-placeholder", 987654321)
        measures = f.qs.values(*MEASURE_VALUES).iterator(chunk_size=exports.CHUNK)
        for chunk in exports.chunks(measures, exports.CHUNK):
            ids = [m["pk"] for m in chunk]
            tags = {field: exports.related_names(Measure, field, ids) for field in TAG_FIELDS}
            evidence = classifications(ids)
            for m in chunk:
                m.update({field: tags[field].get(m["pk"], []) for field in TAG_FIELDS})
                m["classifications"] = evidence.get(m["pk"], [])
                m["url"] = measure_url(m["notice__slug"], m["number"])
                yield m

    return exports.export(
        request,
        fmt,
        what="measures",
        rows=rows(),
        columns=MEASURE_COLUMNS,
        labels=MEASURE_LABELS,
        filtered=f.is_filtered,
        filters=f.state(),
    )


# ---- 政策匹配: the measures that fit an enterprise (see policies.matching) ----
# The profile is the query string and nothing else: no model, no session. Parameters the
# form does not read are ignored, as on the lists (a chat app that appends its own to a
# shared link must not break it); a value the form refuses is a 400 with its message.

MATCH_TEMPLATE = "policies/match.html"


@require_safe
def measure_match(request: HttpRequest) -> HttpResponse:
    if redirect := without_empty_parameters(request):
        return redirect
    form = MatchForm(request.GET or None)
    if not form.is_bound:
        return render(request, MATCH_TEMPLATE, {"form": form, "result": None})
    if not form.is_valid():
        return render(request, MATCH_TEMPLATE, {"form": form, "result": None}, status=400)
    result = matching.match(matching.profile_of(form.cleaned_data), page_numbers(request.GET))
    context = {
        "form": form,
        "result": result,
        "size_label": SizeClass(result.profile.size).label,
        "share_url": request.build_absolute_uri(),
        "today": timezone.localdate(),
    }
    return render(request, MATCH_TEMPLATE, context)


def page_numbers(query: QueryDict) -> dict[str, int]:
    """The page of each part of the 政策清单 asked for (?general_page=2); one that is not a
    number gives the first page, one past the last the last (matching.match)."""
    found = {}
    for part in matching.PARTS:
        value = query.get(f"{part}_page", "")
        if value.isascii() and value.isdigit():
            # More digits than any page number has (int() refuses thousands): past the end.
            digits = value.lstrip("0")
            found[part] = int(digits or "0") if len(digits) <= 9 else 10**9
    return found


MATCH_PARTS = {
    "targeted": _("针对本企业"),
    "general": _("面向全体中小企业"),
    "other": _("面向全体中小企业（不涉及所需支持）"),
}
MATCH_COLUMNS: exports.Columns = {
    "part": lambda r: str(MATCH_PARTS[r["part"]]),
    "rank": lambda r: r["rank"],
    "citation": lambda r: r["fit"].measure.citation,
    "full_citation": lambda r: r["reference"],
    "title": lambda r: r["fit"].measure.title,
    "title_is_editorial": lambda r: r["fit"].measure.title_is_editorial,
    "why": lambda r: reasons(r["fit"]),
    "not_covered": lambda r: gaps(r["fit"]),
    "validity": lambda r: r["fit"].measure.notice.get_validity_display(),
    "text": lambda r: r["fit"].measure.source_text,
    "url": exports.Link(lambda r: r["fit"].measure.get_absolute_url()),
}
MATCH_LABELS = {
    "part": _("类别"),
    "rank": _("序号"),
    "citation": _("引用"),
    "full_citation": _("完整引用"),
    "title": _("措施标题"),
    "title_is_editorial": _("标题为编者所加"),
    "why": _("为何适用（编者分类及依据）"),
    "not_covered": _("未涵盖（编者分类及依据）"),
    "validity": _("文件效力"),
    "text": _("原文"),
    "url": _("网址"),
}


def quoted(assignments) -> list[str]:
    return [f"{localized(a.term)}“{a.evidence}”" for a in assignments]


def reasons(fit: matching.Fit) -> list[str]:
    """Why a measure fits, as the download writes it: each matching classification with
    its evidence."""
    found = [*quoted(fit.groups), *quoted(fit.regions), *quoted(fit.needs)]
    if fit.for_anyone:
        found.append(str(_("未限定支持对象")))
    if fit.anywhere:
        found.append(str(_("未点名地区")))
    return found


def gaps(fit: matching.Fit) -> list[str]:
    """What a fitting measure does not cover: the needs it does not meet, and the target
    groups it also names that the enterprise is not among."""
    found = [str(_("不涉及：%(topic)s") % {"topic": localized(t)}) for t in fit.missing_needs]
    found += [str(_("另面向：%(group)s") % {"group": g}) for g in quoted(fit.other_groups)]
    return found


@require_safe
def measure_match_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The 政策清单 as CSV, XLSX or JSON: every measure that fits, best first."""
    form = MatchForm(request.GET)
    if not form.is_valid():
        return render(request, MATCH_TEMPLATE, {"form": form, "result": None}, status=400)
    profile = matching.profile_of(form.cleaned_data)

    today, english = timezone.localdate(), translation.get_language() == "en"

    def rows():
        found = matching.fitting(profile, exports.CHUNK)
        for rank, (part, fit) in enumerate(found, start=1):
            # Each measure cited as its page cites it (GB/T 7714, the day of the download).
            url = request.build_absolute_uri(fit.measure.get_absolute_url())
            reference = fit.measure.online_citation(url=url, accessed=today, english=english)
            yield {"part": part, "rank": rank, "fit": fit, "reference": reference}

    return exports.export(
        request,
        fmt,
        what="match",
        rows=rows(),
        columns=MATCH_COLUMNS,
        labels=MATCH_LABELS,
        filtered=True,
        filters={k: sorted(request.GET.getlist(k)) for k in form.fields if k in request.GET},
    )
