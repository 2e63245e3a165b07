from django.urls import path

from policies import views

app_name = "policies"

urlpatterns = [
    path("", views.notice_list, name="notice-list"),
    path("notices/<slug:slug>/", views.notice_detail, name="notice-detail"),
    path("measures/", views.measure_list, name="measure-list"),
    path(
        "notices/<slug:slug>/measures/<int:number>/",
        views.measure_detail,
        name="measure-detail",
    ),
]
