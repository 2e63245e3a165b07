"""sitemap.xml: every public page, in Chinese and in English (each listed with the other
as its alternate), a record's page with the date of its last public change (<lastmod>, as
its page's 最后更新 gives it). Drafts never appear: every record comes through
`published()`."""

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.db.models import Max
from django.http import Http404
from django.urls import reverse

from core.caching import at_one_url
from core.models import Change
from industry.models import Article, Company, Figure, Product
from policies.models import Measure, Notice


class BothLanguages(Sitemap):
    i18n = True
    alternates = True


class Pages(BothLanguages):
    """The site-wide and list pages."""

    def items(self) -> list[str]:
        return [
            "home",
            "changes",
            "policies:notice-list",
            "policies:measure-list",
            "industry:home",
            "industry:figure-list",
            "industry:key-figures",
            "industry:company-list",
            "industry:data-notes",
        ]

    def location(self, name: str) -> str:
        return reverse(name)


class Records(BothLanguages):
    """Records with a page of their own; `queryset` lists the public ones, in a stable order
    (the sitemap is cut into pages), each with its last change read in the same query."""

    queryset = None

    def items(self):
        queryset = self.queryset()
        return queryset.annotate(last_change=Change.objects.public().newest_date(queryset.model))

    def lastmod(self, record):
        return record.last_change

    def get_latest_lastmod(self):
        # The index's date of this section, worked out by the database, not by making
        # every record of it in Python.
        return self.items().aggregate(latest=Max("last_change"))["latest"]


class Notices(Records):
    def queryset(self):
        return Notice.objects.published().order_by("pk")


class Measures(Records):
    def queryset(self):
        return (
            Measure.objects.published()
            .select_related("notice")
            .only("number", "notice__slug")
            .order_by("pk")
        )


class Articles(Records):
    def queryset(self):
        return Article.objects.published().order_by("pk")


class Figures(Records):
    def queryset(self):
        return Figure.objects.published().only("number").order_by("pk")


class Products(Records):
    def queryset(self):
        return Product.objects.order_by("pk")


class Companies(Records):
    def queryset(self):
        return Company.objects.published().only("slug").order_by("pk")


SITEMAPS = {
    "pages": Pages,
    "notices": Notices,
    "measures": Measures,
    "articles": Articles,
    "figures": Figures,
    "products": Products,
    "companies": Companies,
}


# ---- One URL per sitemap page ----
# A sitemap page lists up to 50,000 records and takes seconds to make at 100,000 measures:
# each answers at one URL only (core.caching.at_one_url).


def page_query(request) -> str:
    """The query string of the sitemap page asked for: none for the first, p=N for the others."""
    page = request.GET.get("p", "1")
    if not (page.isascii() and page.isdecimal() and int(page) >= 1):
        raise Http404("No such sitemap page")
    return "" if int(page) == 1 else f"p={int(page)}"


index = at_one_url()(sitemap_views.index)
sitemap = at_one_url(page_query)(sitemap_views.sitemap)
