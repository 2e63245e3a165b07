"""The account pages under /accounts/: Django's, with password resets by mail offered only
when the site can send mail (KB_EMAIL_CONFIGURED); otherwise they are 404s, not forms that
promise a mail that never comes."""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth import views
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path


def when_mail_is_configured(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.KB_EMAIL_CONFIGURED:
            raise Http404("Password resets need a mail server.")
        return view(request, *args, **kwargs)

    return wrapped


urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password_change/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "password_reset/",
        when_mail_is_configured(views.PasswordResetView.as_view()),
        name="password_reset",
    ),
    path(
        "password_reset/done/",
        when_mail_is_configured(views.PasswordResetDoneView.as_view()),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        when_mail_is_configured(views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        when_mail_is_configured(views.PasswordResetCompleteView.as_view()),
        name="password_reset_complete",
    ),
]
