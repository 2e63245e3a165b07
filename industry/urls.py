from django.urls import path

from industry import views

app_name = "industry"

urlpatterns = [
    path("", views.industry_home, name="home"),
]
