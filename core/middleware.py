from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

# The site uses none of these browser features; say so, so no embedded content can.
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
)


def permissions_policy(get_response: Callable[[HttpRequest], HttpResponse]):
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response

    return middleware


def private_when_login_required(get_response: Callable[[HttpRequest], HttpResponse]):
    """Under KB_LOGIN_REQUIRED every page is for its account only: no shared cache (a
    proxy's, a CDN's) may keep one and hand it to someone else."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if settings.KB_LOGIN_REQUIRED:
            patch_cache_control(response, private=True)
        return response

    return middleware
