from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from industry.charts import charts_for
from industry.derived import ArticleAnalyses
from industry.filters import FigureFilter
from industry.models import (
    Action,
    Article,
    Company,
    Figure,
    Paragraph,
    Product,
    Section,
)
from kbsite import exports
from kbsite.caching import cached

FIGURES_PER_PAGE = 50
COMPANIES_PER_PAGE = 20
HOME_COMPANIES = 10


@dataclass
class Checks:
    """What the pages about all figures need from the analysis; small enough to cache."""

    disagreements: list
    agreements: list
    flagged_numbers: set[int]


def all_checks() -> Checks:
    """The analysis of every figure, remembered until the data changes: it reads every
    figure, which a page should not do on every request as the knowledge base grows."""

    def compute() -> Checks:
        analyses = ArticleAnalyses(Figure.objects.with_context())
        return Checks(analyses.disagreements, analyses.agreements, analyses.flagged_numbers)

    return cached(["industry-checks"], compute)


def flagged_numbers() -> set[int]:
    """The figures a disagreement involves, cached on their own: a small set, where the
    whole analysis would cost its unpickling on every request of the figures table."""
    return cached(["industry-flagged"], lambda: all_checks().flagged_numbers)


def disagreement_count() -> int:
    return cached(["industry-disagreements"], lambda: len(all_checks().disagreements))


def analyse_articles(figures) -> ArticleAnalyses:
    """The analyses of the articles these figures come from."""
    articles = {f.paragraph.section.article_id for f in figures}
    return ArticleAnalyses(
        Figure.objects.with_context().filter(paragraph__section__article__in=articles)
    )


@require_GET
def industry_home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "industry/home.html",
        {
            "articles": Article.objects.all(),
            "products": Product.objects.annotate(figure_count=Count("figures")),
            "companies": Company.objects.annotate(action_count=Count("actions"))[:HOME_COMPANIES],
            "counts": {
                "figures": Figure.objects.count(),
                "companies": Company.objects.count(),
                "actions": Action.objects.count(),
                "disagreements": disagreement_count(),
            },
        },
    )


@require_GET
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    paragraphs = Paragraph.objects.order_by("position").prefetch_related(
        Prefetch("figures", queryset=Figure.objects.only("number", "paragraph"))
    )
    sections = Section.objects.select_related("company").prefetch_related(
        Prefetch("paragraphs", queryset=paragraphs)
    )
    article = get_object_or_404(
        Article.objects.prefetch_related(
            Prefetch(
                "sections",
                queryset=sections.filter(parent__isnull=True).prefetch_related(
                    Prefetch("children", queryset=sections.order_by("position"))
                ),
                to_attr="top_sections",
            )
        ),
        slug=slug,
    )
    return render(request, "industry/article_detail.html", {"article": article})


@require_GET
def figure_list(request: HttpRequest) -> HttpResponse:
    f = FigureFilter(request.GET, queryset=Figure.objects.for_table().in_reading_order())
    if not f.is_valid():
        return render(
            request,
            "industry/figure_list.html",
            {"filter": f, "page": None},
            status=400,
        )
    f.label_choices_with_counts()
    paginator = Paginator(f.qs, FIGURES_PER_PAGE)
    paginator.count = f.cached_count()
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "industry/figure_list.html",
        {"filter": f, "page": page, "flagged": flagged_numbers()},
    )


@require_GET
def figure_detail(request: HttpRequest, number: int) -> HttpResponse:
    figure = get_object_or_404(Figure.objects.with_context(), number=number)
    analysis = analyse_articles([figure])
    same_sentence = [
        f
        for f in analysis.figures
        if f.paragraph_id == figure.paragraph_id and f.sentence == figure.sentence
    ]
    return render(
        request,
        "industry/figure_detail.html",
        {
            "figure": figure,
            "derivations": analysis.for_figure(figure),
            "same_sentence": same_sentence,
        },
    )


@require_GET
def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    product = get_object_or_404(
        Product.objects.select_related("parent").prefetch_related("variants"), slug=slug
    )
    family = Figure.objects.with_context().filter(Q(product=product) | Q(product__parent=product))
    analysis = analyse_articles(family)
    figures = [
        f
        for f in analysis.figures
        if f.product.pk == product.pk or f.product.parent_id == product.pk
    ]
    return render(
        request,
        "industry/product_detail.html",
        {
            "product": product,
            "rows": [(f, analysis.for_figure(f)) for f in figures],
            "charts": charts_for(product, figures, analysis),
        },
    )


@require_GET
def company_list(request: HttpRequest) -> HttpResponse:
    companies = Company.objects.with_story().prefetch_related(
        Prefetch("actions", queryset=Action.objects.with_context().order_by("position"))
    )
    page = Paginator(companies, COMPANIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "industry/company_list.html",
        {"page": page, "totals": Action.objects.totals_by_kind()},
    )


@require_GET
def company_detail(request: HttpRequest, slug: str) -> HttpResponse:
    company = get_object_or_404(
        Company.objects.with_story().prefetch_related(
            "story__paragraphs",
            Prefetch("actions", queryset=Action.objects.with_context().order_by("position")),
        ),
        slug=slug,
    )
    return render(request, "industry/company_detail.html", {"company": company})


@require_GET
def data_notes(request: HttpRequest) -> HttpResponse:
    checks = all_checks()
    return render(
        request,
        "industry/data_notes.html",
        {
            "disagreements": checks.disagreements,
            "agreements": checks.agreements,
            "section_notes": Section.objects.exclude(editorial_note="").select_related(
                "article", "parent"
            ),
            "figure_notes": Figure.objects.exclude(note="").with_context(),
        },
    )


FIGURE_COLUMNS = [
    "number",
    "product",
    "product_en",
    "indicator",
    "indicator_en",
    "breakdown",
    "year",
    "period_as_printed",
    "value",
    "value_as_printed",
    "unit",
    "approximate",
    "change_direction",
    "change_abs",
    "change_pct",
    "change_approximate",
    "change_as_printed",
    "basis",
    "sentence",
    "article",
    "section",
    "source_url",
    "url",
]


@require_GET
def figure_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The figures table as CSV or JSON: every row of the current filter and sort."""
    f = FigureFilter(request.GET, queryset=Figure.objects.with_context().in_reading_order())
    if not f.is_valid():
        return render(request, "industry/figure_list.html", {"filter": f, "page": None}, status=400)

    def rows(absolute):
        for figure in f.qs.iterator(chunk_size=exports.CHUNK):
            yield {
                "number": figure.number,
                "product": figure.product.name,
                "product_en": figure.product.name_en,
                "indicator": figure.indicator.name,
                "indicator_en": figure.indicator.name_en,
                "breakdown": figure.breakdown,
                "year": figure.year,
                "period_as_printed": figure.period_text,
                "value": figure.value,
                "value_as_printed": figure.value_text,
                "unit": figure.unit,
                "approximate": figure.is_approximate,
                "change_direction": figure.change_direction,
                "change_abs": figure.change_abs_text,
                "change_pct": figure.change_pct_text,
                "change_approximate": figure.change_is_approximate,
                "change_as_printed": figure.change_as_printed,
                "basis": figure.basis,
                "sentence": figure.sentence,
                "article": figure.paragraph.section.article.title,
                "section": figure.section.short_label,
                "source_url": absolute(figure.paragraph.get_absolute_url()),
                "url": absolute(figure.get_absolute_url()),
            }

    return exports.export(
        request,
        fmt,
        what="figures",
        rows=rows,
        columns=FIGURE_COLUMNS,
        filtered=f.is_filtered,
        filters=f.state(),
    )


ACTION_COLUMNS = [
    "company",
    "company_en",
    "province",
    "city",
    "kind",
    "kind_en",
    "item",
    "quantity",
    "quantity_as_printed",
    "unit",
    "approximate",
    "recipients",
    "places",
    "as_of",
    "as_of_as_printed",
    "planned",
    "sentence",
    "related_measures",
    "url",
]


@require_GET
def action_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """Every company's actions as CSV or JSON, in the list's order."""

    def rows(absolute):
        actions = (
            Action.objects.with_company()
            .prefetch_related("places", "measures__notice")
            .order_by("company__story__article__position", "company__story__position", "position")
        )
        for action in actions.iterator(chunk_size=exports.CHUNK):
            yield {
                "company": action.company.name,
                "company_en": action.company.name_en,
                "province": action.company.province,
                "city": action.company.city,
                "kind": action.kind.name,
                "kind_en": action.kind.name_en,
                "item": action.item,
                "quantity": action.quantity,
                "quantity_as_printed": action.printed_quantity,
                "unit": action.unit,
                "approximate": action.is_approximate,
                "recipients": action.recipients,
                "places": [place.name for place in action.places.all()],
                "as_of": exports.iso(action.as_of),
                "as_of_as_printed": action.as_of_text,
                "planned": action.is_planned,
                "sentence": action.sentence,
                "related_measures": [m.citation for m in action.measures.all()],
                "url": absolute(action.get_absolute_url()),
            }

    return exports.export(
        request, fmt, what="actions", rows=rows, columns=ACTION_COLUMNS, filtered=False, filters={}
    )
