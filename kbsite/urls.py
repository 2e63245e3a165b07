from django.contrib import admin
from django.urls import include, path

from kbsite import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("policies/", include("policies.urls")),
    path("industry/", include("industry.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]

handler500 = "kbsite.views.server_error"
