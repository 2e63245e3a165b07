from django.contrib import admin
from django.urls import include, path

from kbsite import views

urlpatterns = [
    path("", views.home, name="home"),
    path("policies/", include("policies.urls")),
    path("industry/", include("industry.urls")),
    path("admin/", admin.site.urls),
]
