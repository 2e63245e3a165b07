from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from core import exports
from core.facets import faceted_list, invalid_filter
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
    return faceted_list(
        request,
        f,
        "policies/measure_list.html",
        per_page=MEASURES_PER_PAGE,
        context=lambda: {"search": f.search},
    )


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
    "topics": lambda m: m["topics"],
    "target_groups": lambda m: m["target_groups"],
    "regions": lambda m: m["regions"],
    "citation": lambda m: f"{m['notice__doc_number']} 第{m['number']}条",
    "url": exports.Link(lambda m: m["url"]),
}


@require_GET
def measure_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The measure list as CSV or JSON: every row of the current filter, streamed."""
    f = MeasureFilter(request.GET, queryset=Measure.objects.with_context().in_reading_order())
    if not f.is_valid():
        return invalid_filter(request, "policies/measure_list.html", f)

    def rows():
        measure_url = exports.url_maker("policies:measure-detail", "slug-placeholder", 987654321)
        measures = f.qs.values(*MEASURE_VALUES).iterator(chunk_size=exports.CHUNK)
        for chunk in exports.chunks(measures, exports.CHUNK):
            ids = [m["pk"] for m in chunk]
            tags = {field: exports.related_slugs(Measure, field, ids) for field in TAG_FIELDS}
            for m in chunk:
                m.update({field: tags[field].get(m["pk"], []) for field in TAG_FIELDS})
                m["url"] = measure_url(m["notice__slug"], m["number"])
                yield m

    return exports.export(
        request,
        fmt,
        what="measures",
        rows=rows(),
        columns=MEASURE_COLUMNS,
        filtered=f.is_filtered,
        filters=f.state(),
    )
