from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from core import exports
from core.caching import at_one_url, cached
from core.facets import faceted_list, invalid_filter
from core.models import data_kind
from core.text import localized
from industry.charts import charts_for
from industry.derived import Analysis
from industry.filters import FigureFilter
from industry.models import (
    PUBLISHED,
    Action,
    Article,
    Company,
    Figure,
    Paragraph,
    Product,
    Section,
)
from policies.models import Measure

FIGURES_PER_PAGE = 50
COMPANIES_PER_PAGE = 20
HOME_COMPANIES = 10


@dataclass
class Checks:
    """What the pages about all figures need from the analysis; small enough to cache."""

    disagreements: list
    agreements: list
    flagged_numbers: set[int]


# The checks read only figures and their articles: an edit of a measure leaves them.
FIGURES = [data_kind(Figure)]


def all_checks() -> Checks:
    """The analysis of every figure, remembered until the data changes: it reads every
    figure, which a page should not do on every request as the knowledge base grows."""

    def compute() -> Checks:
        analysis = Analysis(Figure.objects.published().with_context())
        return Checks(analysis.disagreements, analysis.agreements, analysis.flagged_numbers)

    return cached(["industry-checks"], compute, kinds=FIGURES)


def flagged_numbers() -> set[int]:
    """The figures a disagreement involves, cached on their own: a small set, where the
    whole analysis would cost its unpickling on every request of the figures table."""
    return cached(["industry-flagged"], lambda: all_checks().flagged_numbers, kinds=FIGURES)


def disagreement_count() -> int:
    return cached(
        ["industry-disagreements"], lambda: len(all_checks().disagreements), kinds=FIGURES
    )


def analyse_articles(figures) -> Analysis:
    """The analysis of the articles these figures come from."""
    articles = {f.paragraph.section.article_id for f in figures}
    return Analysis(Figure.objects.with_context().filter(paragraph__section__article__in=articles))


def shown_to(request: HttpRequest, article: Article | None, response_for) -> HttpResponse:
    """A page of an article's records for whoever may see it: a draft's is a 404 to the
    public and a preview for staff, never stored by a cache or indexed."""
    if article is not None and not article.visible_to(request.user):
        raise Http404("No such article.")
    response = response_for()
    if article is not None and not article.is_published:
        add_never_cache_headers(response)
        response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def industry_home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "industry/home.html",
        {
            "articles": Article.objects.published(),
            "products": Product.objects.annotate(
                figure_count=Count("figures", filter=Q(figures__section__article__status=PUBLISHED))
            ),
            "companies": Company.objects.published().annotate(
                action_count=Count(
                    "actions", filter=Q(actions__paragraph__section__article__status=PUBLISHED)
                )
            )[:HOME_COMPANIES],
            "counts": {
                "figures": Figure.objects.published().count(),
                "companies": Company.objects.published().count(),
                "actions": Action.objects.published().count(),
                "disagreements": disagreement_count(),
            },
        },
    )


@require_safe
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
                    # with their article, which each paragraph's citation names
                    Prefetch(
                        "children",
                        queryset=sections.select_related("article").order_by("position"),
                    )
                ),
                to_attr="top_sections",
            )
        ),
        slug=slug,
    )
    return shown_to(
        request,
        article,
        lambda: render(request, "industry/article_detail.html", {"article": article}),
    )


@require_safe
def figure_list(request: HttpRequest) -> HttpResponse:
    f = FigureFilter(
        request.GET, queryset=Figure.objects.published().for_table().in_reading_order()
    )
    return faceted_list(
        request,
        f,
        "industry/figure_list.html",
        per_page=FIGURES_PER_PAGE,
        context=lambda: {"flagged": flagged_numbers()},
    )


@dataclass
class Cell:
    """One product's indicator in one year: the figures stating it, the first shown."""

    figures: list
    flagged: bool = False

    @property
    def figure(self):
        return self.figures[0]

    @property
    def restated(self) -> list:
        """The other places that state it."""
        return self.figures[1:]

    @property
    def differs(self) -> bool:
        """Whether the places stating it print different values."""
        return len({f.printed_value for f in self.figures}) > 1


@dataclass
class ProductTable:
    product: Product
    years: list[int]
    rows: list[tuple[Any, str, list[Cell | None]]]  # (indicator, breakdown, a cell a year)


def key_figure_tables(figures, flagged: set[int]) -> list[ProductTable]:
    """Every figure placed by product, indicator (with its breakdown) and year: one table
    a product, products and indicators in the vocabulary's order."""
    cells: dict = {}
    for f in figures:
        key = (f.product, (f.indicator.position, f.indicator.pk, f.breakdown), f.year)
        cell = cells.setdefault(key, Cell([]))
        cell.figures.append(f)
        cell.flagged = cell.flagged or f.number in flagged
    products = sorted({p for p, _r, _y in cells}, key=lambda p: (p.position, p.pk))
    tables = []
    for product in products:
        mine = {(row, year): cell for (p, row, year), cell in cells.items() if p == product}
        indicators = {row: cell.figure.indicator for (row, _year), cell in mine.items()}
        years = sorted({year for _row, year in mine})
        rows = [
            (indicators[row], row[2], [mine.get((row, year)) for year in years])
            for row in sorted(indicators)
        ]
        tables.append(ProductTable(product, years, rows))
    return tables


@require_safe
@at_one_url()  # every figure: seconds to make at scale
def key_figures(request: HttpRequest) -> HttpResponse:
    """Every figure by product, indicator and year, one value a cell, each linked to its
    sentence and flagged where the article disagrees with itself: the index of figures."""
    figures = Figure.objects.published().for_table().in_reading_order()
    return render(
        request,
        "industry/key_figures.html",
        {"tables": key_figure_tables(figures, flagged_numbers())},
    )


@require_safe
def figure_detail(request: HttpRequest, number: int) -> HttpResponse:
    # Two queries: the figure with its context and last update; its article's figures, for
    # the checks it takes part in.
    figure = get_object_or_404(Figure.objects.for_page(), number=number)
    article = figure.paragraph.section.article
    analysis = Analysis(Figure.objects.for_checks().filter(section__article=article))
    same_sentence = [
        f
        for f in analysis.figures
        if f.paragraph_id == figure.paragraph_id and f.sentence == figure.sentence
    ]
    return shown_to(
        request,
        article,
        lambda: render(
            request,
            "industry/figure_detail.html",
            {
                "figure": figure,
                "derivations": analysis.for_figure(figure),
                "fed_by": analysis.fed_by(figure),
                "figures": analysis.by_number,
                "same_sentence": same_sentence,
                "paragraph_basis": paragraph_basis(figure, analysis.figures),
            },
        ),
    )


def paragraph_basis(figure: Figure, figures) -> Figure | None:
    """For a figure whose sentence names no source: the figure of its paragraph whose
    sentence opens the paragraph and names one (据国统局数据显示，…), if any. The page says
    why that source is not recorded on this figure."""
    if figure.basis:
        return None
    text = figure.paragraph.text
    return next(
        (
            f
            for f in figures
            if f.paragraph_id == figure.paragraph_id and f.basis and text.startswith(f.sentence)
        ),
        None,
    )


@require_safe
def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    product = get_object_or_404(
        Product.objects.select_related("parent").prefetch_related("variants"), slug=slug
    )
    family = (
        Figure.objects.published()
        .with_context()
        .filter(Q(product=product) | Q(product__parent=product))
    )
    analysis = analyse_articles(family)
    figures = [
        f
        for f in analysis.figures
        if f.product.pk == product.pk or f.product.parent_id == product.pk
    ]
    rows = [(f, analysis.for_figure(f)) for f in figures]
    return render(
        request,
        "industry/product_detail.html",
        {
            "product": product,
            "rows": rows,
            "by_sentence": by_sentence_rows(rows),
            "figures": analysis.by_number,
            "flagged": analysis.flagged_numbers,
            "charts": charts_for(product, figures, analysis),
        },
    )


@require_safe
def company_list(request: HttpRequest) -> HttpResponse:
    companies = (
        Company.objects.published()
        .with_story()
        .prefetch_related(Prefetch("actions", queryset=public_actions().order_by("position")))
    )
    page = Paginator(companies, COMPANIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "industry/company_list.html",
        {"page": page, "totals": Action.objects.published().totals_by_kind()},
    )


def public_actions():
    return Action.objects.published().with_context()


@require_safe
def company_detail(request: HttpRequest, slug: str) -> HttpResponse:
    company = get_object_or_404(
        Company.objects.with_story().prefetch_related(
            "story__paragraphs",
            Prefetch("actions", queryset=public_actions().order_by("position")),
        ),
        slug=slug,
    )
    return shown_to(
        request,
        company.story.article if company.story else None,
        lambda: render(request, "industry/company_detail.html", {"company": company}),
    )


@require_safe
def data_notes(request: HttpRequest) -> HttpResponse:
    checks = all_checks()
    involved = {n for d in [*checks.disagreements, *checks.agreements] for n in d.numbers}
    # One query for the figures the checks involve and those with an editor's note.
    figures = {
        f.number: f
        for f in Figure.objects.published()
        .with_context()
        .filter(Q(number__in=involved) | ~Q(note=""))
    }
    return render(
        request,
        "industry/data_notes.html",
        {
            "disagreements": [
                (d, by_sentence(figures[n] for n in d.numbers)) for d in checks.disagreements
            ],
            "agreements": checks.agreements,
            "figures": figures,
            "section_notes": Section.objects.published()
            .exclude(editorial_note="")
            .select_related("article", "parent"),
            "figure_notes": [f for f in figures.values() if f.note],
        },
    )


def by_sentence_rows(rows: list[tuple]) -> list[tuple[Any, list[tuple]]]:
    """(figure, derivations) rows grouped under the sentence that states them, each
    sentence once, in reading order: (the first figure of the sentence, its rows)."""
    grouped: dict = {}
    for figure, derivations in rows:
        key = (figure.paragraph_id, figure.sentence)
        grouped.setdefault(key, []).append((figure, derivations))
    return [(items[0][0], items) for items in grouped.values()]


def by_sentence(figures) -> list[tuple[str, list]]:
    """The source sentences these figures are stated in, each once, with its figures."""
    grouped = {}
    for figure in figures:
        grouped.setdefault(figure.sentence, []).append(figure)
    return list(grouped.items())


FIGURE_COLUMNS: exports.Columns = {
    "number": lambda f: f.number,
    "product": lambda f: localized(f.product),
    "indicator": lambda f: localized(f.indicator),
    "breakdown": lambda f: f.breakdown,
    "year": lambda f: f.year,
    # The sentence prints no year (目前, 当前, or nothing): the editors read it from context.
    "year_is_editorial": lambda f: not f.period_names_year,
    "period_as_printed": lambda f: f.period_text,
    "value": lambda f: exports.printed_number(f.value_text),
    "value_as_printed": lambda f: f.value_text,
    "unit": lambda f: f.unit,
    "approximate": lambda f: f.is_approximate,
    # Signed, so that a spreadsheet adds a fall as a fall: 同比下降23% is -23.
    "change_abs": lambda f: exports.printed_number(f.change_abs_text, f.sign),
    "change_pct": lambda f: exports.printed_number(f.change_pct_text, f.sign),
    "change_approximate": lambda f: f.change_is_approximate,
    "change_as_printed": lambda f: f.change_as_printed,
    "basis": lambda f: f.basis,
    "sentence": lambda f: f.sentence,
    "article": lambda f: f.paragraph.section.article.title,
    "section": lambda f: f.section.short_label,
    "source_url": exports.Link(lambda f: f.paragraph.get_absolute_url()),
    "url": exports.Link(lambda f: f.get_absolute_url()),
}
FIGURE_LABELS = {
    "number": _("编号"),
    "product": _("产品"),
    "indicator": _("指标"),
    "breakdown": _("分项"),
    "year": _("年份"),
    "year_is_editorial": _("年份为编者所定"),
    "period_as_printed": _("时期（原文）"),
    "value": _("数值"),
    "value_as_printed": _("数值（原文）"),
    "unit": _("单位"),
    "approximate": _("约数"),
    "change_abs": _("变化量（减少为负）"),
    "change_pct": _("变化率%（减少为负）"),
    "change_approximate": _("变化为约数"),
    "change_as_printed": _("变化（原文）"),
    "basis": _("统计口径"),
    "sentence": _("原句"),
    "article": _("所属文章"),
    "section": _("部分"),
    "source_url": _("原文段落网址"),
    "url": _("网址"),
}


@require_safe
def figure_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The figures table as CSV, XLSX or JSON: every row of the current filter and sort."""
    f = FigureFilter(
        request.GET, queryset=Figure.objects.published().with_context().in_reading_order()
    )
    if not f.is_valid():
        return invalid_filter(request, "industry/figure_list.html", f)
    return exports.export(
        request,
        fmt,
        what="figures",
        rows=f.qs.iterator(chunk_size=exports.CHUNK),
        columns=FIGURE_COLUMNS,
        labels=FIGURE_LABELS,
        filtered=f.is_filtered,
        filters=f.state(),
    )


ACTION_COLUMNS: exports.Columns = {
    "company": lambda a: a.company.name,
    "company_en": lambda a: a.company.name_en,
    "province": lambda a: a.company.province,
    "city": lambda a: a.company.city,
    "kind": lambda a: localized(a.kind),
    "item": lambda a: a.item,
    "quantity": lambda a: exports.plain(a.quantity),
    "quantity_as_printed": lambda a: a.printed_quantity,
    "unit": lambda a: a.unit,
    "approximate": lambda a: a.is_approximate,
    "recipients": lambda a: a.recipients,
    # Other quantities the sentence gives, as printed and as numbers.
    "other_quantities": lambda a: [
        {
            "phrase": q.phrase,
            "counted": q.counted,
            "quantity": q.quantity,
            "as_printed": q.printed,
            "names": q.named,
        }
        for q in a.quantities.all()
    ],
    "places": lambda a: [localized(place) for place in a.places.all()],
    "as_of": lambda a: exports.iso(a.as_of),
    # 截至2月2日: the source gives month and day; the year is the editors'.
    "as_of_year_is_editorial": lambda a: a.as_of is not None,
    "as_of_as_printed": lambda a: a.as_of_text,
    "planned": lambda a: a.is_planned,
    "sentence": lambda a: a.sentence,
    "related_measures": lambda a: [m.citation for m in a.measures.all()],
    "url": exports.Link(lambda a: a.get_absolute_url()),
}
ACTION_LABELS = {
    "company": _("企业名称"),
    "company_en": _("企业英文名（编者译）"),
    "province": _("省（区）"),
    "city": _("城市"),
    "kind": _("行动类别"),
    "item": _("物资或事项"),
    "quantity": _("数量"),
    "quantity_as_printed": _("数量（原文）"),
    "unit": _("单位"),
    "approximate": _("约数"),
    "recipients": _("接收方"),
    "other_quantities": _("句中其他数量"),
    "places": _("地点"),
    "as_of": _("截至日期"),
    "as_of_as_printed": _("截至（原文）"),
    "as_of_year_is_editorial": _("截至年份为编者所定"),
    "planned": _("计划中"),
    "sentence": _("原句"),
    "related_measures": _("相关措施"),
    "url": _("网址"),
}


@require_safe
def action_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """Every company's actions as CSV, XLSX or JSON, in the list's order."""
    actions = (
        Action.objects.published()
        .with_company()
        .prefetch_related(
            "places",
            Prefetch("measures", queryset=Measure.objects.published().select_related("notice")),
        )
        .order_by("company__story__article__position", "company__story__position", "position")
    )
    return exports.export(
        request,
        fmt,
        what="actions",
        rows=actions.iterator(chunk_size=exports.CHUNK),
        columns=ACTION_COLUMNS,
        labels=ACTION_LABELS,
        filtered=False,
        filters={},
    )
