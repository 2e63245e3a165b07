from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from industry.charts import charts_for
from industry.derived import Analysis
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

FIGURES_PER_PAGE = 50
COMPANIES_PER_PAGE = 20
HOME_COMPANIES = 10


def analyse_all() -> Analysis:
    """Checks compare figures across products and sections, so they look at all of them."""
    return Analysis(Figure.objects.with_context())


@require_GET
def industry_home(request: HttpRequest) -> HttpResponse:
    analysis = analyse_all()
    return render(
        request,
        "industry/home.html",
        {
            "articles": Article.objects.all(),
            "products": Product.objects.annotate(figure_count=Count("figures")),
            "companies": Company.objects.annotate(action_count=Count("actions"))[:HOME_COMPANIES],
            "counts": {
                "figures": len(analysis.figures),
                "companies": Company.objects.count(),
                "actions": Action.objects.count(),
                "disagreements": len(analysis.disagreements),
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
    f = FigureFilter(request.GET, queryset=Figure.objects.with_context().in_reading_order())
    if not f.is_valid():
        return render(
            request,
            "industry/figure_list.html",
            {"filter": f, "page": None},
            status=400,
        )
    page = Paginator(f.qs, FIGURES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "industry/figure_list.html",
        {"filter": f, "page": page, "flagged": analyse_all().flagged_numbers},
    )


@require_GET
def figure_detail(request: HttpRequest, number: int) -> HttpResponse:
    figure = get_object_or_404(Figure.objects.with_context(), number=number)
    analysis = analyse_all()
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
    analysis = analyse_all()
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
    analysis = analyse_all()
    return render(
        request,
        "industry/data_notes.html",
        {
            "disagreements": analysis.disagreements,
            "agreements": analysis.agreements,
            "section_notes": Section.objects.exclude(editorial_note="").select_related(
                "article", "parent"
            ),
            "figure_notes": Figure.objects.exclude(note="").with_context(),
        },
    )
