from django.urls import path

from policies import views
from policies.feeds import NoticeChangesFeed

app_name = "policies"

urlpatterns = [
    path("", views.notice_list, name="notice-list"),
    path("notices/<slug:slug>/", views.notice_detail, name="notice-detail"),
    path("notices/<slug:slug>/feed/", NoticeChangesFeed(), name="notice-feed"),
    path("measures/", views.measure_list, name="measure-list"),
    path("measures.csv", views.measure_export, {"fmt": "csv"}, name="measure-export-csv"),
    path("measures.json", views.measure_export, {"fmt": "json"}, name="measure-export-json"),
    path("measures.xlsx", views.measure_export, {"fmt": "xlsx"}, name="measure-export-xlsx"),
    path("match/", views.measure_match, name="match"),
    path("match.csv", views.measure_match_export, {"fmt": "csv"}, name="match-export-csv"),
    path("match.json", views.measure_match_export, {"fmt": "json"}, name="match-export-json"),
    path("match.xlsx", views.measure_match_export, {"fmt": "xlsx"}, name="match-export-xlsx"),
    path(
        "notices/<slug:slug>/measures/<int:number>/",
        views.measure_detail,
        name="measure-detail",
    ),
]
