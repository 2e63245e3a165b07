from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from kbsite import views
from kbsite.feeds import AllChangesFeed
from kbsite.sitemaps import SITEMAPS, index, sitemap

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("favicon.ico", views.favicon, name="favicon"),
    # One sitemap for both languages: each page is listed with its other language.
    path("sitemap.xml", index, {"sitemaps": SITEMAPS}, name="sitemap"),
    path(
        "sitemap-<section>.xml",
        sitemap,
        {"sitemaps": SITEMAPS},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path("admin/", admin.site.urls),
]

# Pages in Chinese at /..., and in English at /en/...
urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("search/", views.site_search_view, name="search"),
    path("search.csv", views.site_search_export, {"fmt": "csv"}, name="search-export-csv"),
    path("search.json", views.site_search_export, {"fmt": "json"}, name="search-export-json"),
    path("search.xlsx", views.site_search_export, {"fmt": "xlsx"}, name="search-export-xlsx"),
    path("changes/", views.changes_view, name="changes"),
    path("changes/feed/", AllChangesFeed(), name="changes-feed"),
    path("policies/", include("policies.urls")),
    path("industry/", include("industry.urls")),
    path("accounts/", include("core.accounts")),
    prefix_default_language=False,
)

handler500 = "kbsite.views.server_error"
