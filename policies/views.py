from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from kbsite import exports
from policies.filters import MeasureFilter
from policies.models import Heading, Measure, Notice

MEASURES_PER_PAGE = 20


@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    notices = Notice.objects.annotate(measure_count=Count("measures")).order_by(
        *Notice._meta.ordering
    )
    page = Paginator(notices, 50).get_page(request.GET.get("page"))
    return render(request, "policies/notice_list.html", {"page": page})


@require_GET
def notice_detail(request: HttpRequest, slug: str) -> HttpResponse:
    notice = get_object_or_404(
        Notice.objects.prefetch_related(
            Prefetch(
                "headings",
                queryset=Heading.objects.prefetch_related(
                    Prefetch("measures", queryset=Measure.objects.select_related("notice"))
                ),
            )
        ),
        slug=slug,
    )
    return render(request, "policies/notice_detail.html", {"notice": notice})


@require_GET
def measure_list(request: HttpRequest) -> HttpResponse:
    f = MeasureFilter(request.GET, queryset=Measure.objects.with_context().in_reading_order())
    if not f.is_valid():
        return render(
            request,
            "policies/measure_list.html",
            {"filter": f, "page": None},
            status=400,
        )
    f.label_choices_with_counts()
    paginator = Paginator(f.qs, MEASURES_PER_PAGE)
    paginator.count = f.cached_count()
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "policies/measure_list.html", {"filter": f, "page": page})


@require_GET
def measure_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    measure = get_object_or_404(
        Measure.objects.with_context().prefetch_related(
            "topics",
            "target_groups",
            "regions",
            "industry_actions__company",
            "industry_actions__kind",
        ),
        notice__slug=slug,
        number=number,
    )
    return render(
        request,
        "policies/measure_detail.html",
        {
            "measure": measure,
            "previous": measure.neighbour(before=True),
            "next": measure.neighbour(before=False),
        },
    )


MEASURE_COLUMNS = [
    "notice",
    "notice_title",
    "heading",
    "heading_title",
    "number",
    "title",
    "title_en",
    "title_is_editorial",
    "text",
    "topics",
    "target_groups",
    "regions",
    "citation",
    "url",
]


@require_GET
def measure_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The measure list as CSV or JSON: every row of the current filter, streamed."""
    f = MeasureFilter(request.GET, queryset=Measure.objects.with_context().in_reading_order())
    if not f.is_valid():
        return render(
            request, "policies/measure_list.html", {"filter": f, "page": None}, status=400
        )

    def rows(absolute):
        # Plain values and one query per chunk for the tags: model instances and
        # prefetch_related would cost ten times as much per row.
        measures = f.qs.values(
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
        )
        measure_url = exports.url_maker("policies:measure-detail", "slug-placeholder", 987654321)
        for chunk in exports.chunks(measures.iterator(chunk_size=exports.CHUNK), exports.CHUNK):
            ids = [m["pk"] for m in chunk]
            tags = {
                field: exports.related_slugs(Measure, field, ids)
                for field in ("topics", "target_groups", "regions")
            }
            for m in chunk:
                yield {
                    "notice": m["notice__doc_number"],
                    "notice_title": m["notice__title"],
                    "heading": m["heading__ordinal"],
                    "heading_title": m["heading__title"],
                    "number": m["number"],
                    "title": m["title"],
                    "title_en": m["title_en"],
                    "title_is_editorial": m["title_is_editorial"],
                    "text": m["text"],
                    **{field: tags[field].get(m["pk"], []) for field in tags},
                    "citation": f"{m['notice__doc_number']} 第{m['number']}条",
                    "url": absolute(measure_url(m["notice__slug"], m["number"])),
                }

    return exports.export(
        request,
        fmt,
        what="measures",
        rows=rows,
        columns=MEASURE_COLUMNS,
        filtered=f.is_filtered,
        filters={name: request.GET[name] for name in f.filters if request.GET.get(name)},
    )
