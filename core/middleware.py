import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.translation import gettext as _

from core.caching import Page, awaited, page_key, shareable

logger = logging.getLogger(__name__)

# How long at most a page made with a value from before the latest edit is kept (see
# page_cache): as long as a computation may hold its lock (core.caching.LOCK_SECONDS).
PROVISIONAL_PAGE_SECONDS = 60

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


def page_cache(get_response: Callable[[HttpRequest], HttpResponse]):
    """Anonymous visitors' pages kept whole until the data changes (core.caching.page_key),
    with an ETag and Last-Modified: a kept page is answered without running its view, and
    a request that already holds it (If-None-Match, If-Modified-Since) gets a 304. Pages
    for a session (a login, a pending message) are never kept nor served from here, and a
    logged-in account's say `private`.
    Below the middleware that add headers to every answer (security, CSP), above those
    that may set cookies or Vary (sessions, CSRF, messages), so it sees what they did."""

    def middleware(request: HttpRequest) -> HttpResponse:
        key = page_key(request)
        cache = caches["pages"]
        page = cache.get(key) if key else None
        if page is not None and page.outdated():
            page = None  # made with a value from before the latest edit, now in: made again
        if page is not None:
            response = page.response()
        else:
            response = get_response(request)
            if key is None or not shareable(request, response):
                user = getattr(request, "user", None)
                if user is not None and user.is_authenticated:
                    patch_cache_control(response, private=True)
                return response
            # A page made with a value from before the latest edit (counts being computed
            # again in the background) is kept until the new value is in, or nobody computes
            # it while a background slot is free (Page.outdated), and a minute at most: the
            # visitors meanwhile get it rather than each having it made (every 5 s before:
            # 40 s of `make load` with this made 51 pages again after its edit, where each
            # of the ~60 list pages had been made every 5 s), and the first request after
            # that a page made with the new values.
            page = Page.of(response, awaited())
            seconds = settings.KB_PAGE_CACHE_SECONDS
            if page.awaiting:
                seconds = min(seconds, PROVISIONAL_PAGE_SECONDS)
            try:
                cache.set(key, page, seconds)
            except Exception:
                # Keeping it is only a speed-up: a full cache (a Redis at its maxmemory
                # under noeviction, filled by made-up query strings) must not make every
                # page not yet kept a 500.
                logger.exception("Keeping the page %s failed", request.path)
            page.validate(response)
        return get_conditional_response(
            request,
            etag=page.etag,
            last_modified=page.modified,
            response=response,
        )

    return middleware


LAST_SEEN = "kb_last_seen"
# How stale the stored time may get before it is written again: not a session write per page.
LAST_SEEN_GRANULARITY = 60


def staff_idle_timeout(get_response: Callable[[HttpRequest], HttpResponse]):
    """Log staff out after KB_STAFF_IDLE_TIMEOUT seconds without a request: their sessions
    can change the knowledge base, and an unattended browser should not keep that for the
    two weeks a session lasts."""

    def middleware(request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.is_staff:
            now = int(time.time())
            last = request.session.get(LAST_SEEN)
            if last is not None and now - last > settings.KB_STAFF_IDLE_TIMEOUT:
                logout(request)
                messages.info(request, _("您已闲置过久，为安全起见已退出登录。请重新登录。"))
            elif last is None or now - last >= LAST_SEEN_GRANULARITY:
                request.session[LAST_SEEN] = now
        return get_response(request)

    return middleware
