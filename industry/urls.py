from django.urls import path

from industry import views

app_name = "industry"

urlpatterns = [
    path("", views.industry_home, name="home"),
    path("articles/<slug:slug>/", views.article_detail, name="article-detail"),
    path("figures/", views.figure_list, name="figure-list"),
    path("figures.csv", views.figure_export, {"fmt": "csv"}, name="figure-export-csv"),
    path("figures.json", views.figure_export, {"fmt": "json"}, name="figure-export-json"),
    path("figures.xlsx", views.figure_export, {"fmt": "xlsx"}, name="figure-export-xlsx"),
    path("key-figures/", views.key_figures, name="key-figures"),
    path("figures/<int:number>/", views.figure_detail, name="figure-detail"),
    path("products/<slug:slug>/", views.product_detail, name="product-detail"),
    path("companies/", views.company_list, name="company-list"),
    path("actions.csv", views.action_export, {"fmt": "csv"}, name="action-export-csv"),
    path("actions.json", views.action_export, {"fmt": "json"}, name="action-export-json"),
    path("actions.xlsx", views.action_export, {"fmt": "xlsx"}, name="action-export-xlsx"),
    path("companies/<slug:slug>/", views.company_detail, name="company-detail"),
    path("data-notes/", views.data_notes, name="data-notes"),
]
