import functools
import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import connections
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.http import http_date, quote_etag

from core.models import data_changed, data_versions

logger = logging.getLogger(__name__)

# The data versions, read once per request however many cached results a page uses.
_request = threading.local()


@receiver(request_started)
def _start(**kwargs):
    _request.versions = None
    _request.active = True
    _request.served_stale = False
    _request.awaited = []


@receiver(request_finished)
def _finish(**kwargs):
    _request.active = False


@receiver(data_changed)
def _changed(**kwargs):
    # An edit in this request: what it computes afterwards is keyed on the new numbers.
    _request.versions = None


def current_versions() -> dict[str, int]:
    """Each kind of record's data version (core.models.data_versions), read once per request."""
    if not getattr(_request, "active", False):
        return data_versions()
    if _request.versions is None:
        _request.versions = data_versions()
    return _request.versions


TIMEOUT = 6 * 3600


def cache_key(parts: list, kinds: Iterable[str] | None = None) -> str:
    """The key of a value computed from the records of these kinds (None: of every kind)."""
    versions = current_versions()
    if kinds is not None:
        versions = {kind: versions[kind] for kind in kinds}
    return "kb:" + hashlib.sha256(_dumps([versions, *parts]).encode()).hexdigest()


def cached(
    parts: list,
    compute: Callable[[], Any],
    timeout: int = TIMEOUT,
    *,
    kinds: Iterable[str] | None = None,
    in_process: bool = False,
) -> Any:
    """compute(), remembered for these key parts until the knowledge base next changes
    (the data version is part of the key) or the timeout passes. `kinds` names the kinds of
    record it reads (core.models.data_kind), when not all: an edit of another kind leaves it.

    After an edit, one process computes the new value while the others serve the value
    before the edit (their page is then not kept) or, when there is none, wait for it
    (no stampede: ten requests right after an edit compute once). With
    settings.KB_RECOMPUTE_IN_BACKGROUND, a computation that took longer than QUICK_SECONDS
    last time is done in a thread, and the request that started it is served the value
    from before the edit too: nobody waits for it.

    `in_process` keeps the value in this process as well, for values that many requests
    read whole (a vocabulary, an index): the next request skips the cache's round trip and
    the unpickling. The copy is shared, so nobody may change it; it is kept under the same
    versioned key, so an edit is seen at once, as through the cache."""
    key = cache_key(parts, kinds)
    latest = "kb:latest:" + hashlib.sha256(_dumps(parts).encode()).hexdigest()
    if not in_process:
        return _cached(key, latest, compute, timeout)[0]
    kept = _in_process.get(latest)
    if kept is not None and kept[0] == key:
        return kept[1]
    value, fresh = _cached(key, latest, compute, timeout)
    if fresh:
        _in_process[latest] = (key, value)
    return value


# Values kept in this process (cached(in_process=True)): for each, the latest key and value.
_in_process: dict[str, tuple[str, Any]] = {}


def forget_in_process() -> None:
    """Drops the values kept in this process (tests, whose rollbacks reuse data versions)."""
    _in_process.clear()


def _cached(key: str, latest: str, compute: Callable[[], Any], timeout: int) -> tuple[Any, bool]:
    """cached()'s value, and whether it is the value for this key (not the one from before
    the latest edit)."""
    value = cache.get(key)
    if value is not None:
        return value, True
    lock = _lock(key)
    deadline = time.monotonic() + WAIT_SECONDS
    while not _locked(lock):
        # Another process is computing it: the previous value, or wait for the new one.
        previous, _seconds = _previous(latest, key)
        if previous is not None:
            _serving_previous(key)
            return previous, False
        time.sleep(POLL_SECONDS)
        value = cache.get(key)
        if value is not None:
            return value, True
        if time.monotonic() > deadline:
            return compute(), True  # it takes too long: this request will not wait longer
    value = cache.get(key)  # computed between our first look and taking the lock
    if value is not None:
        cache.delete(lock)
        return value, True
    previous, seconds = _previous(latest, key)
    if (
        previous is None
        or seconds < QUICK_SECONDS
        or not settings.KB_RECOMPUTE_IN_BACKGROUND
        # A value that a background computation reads: computed there and then, not in a
        # thread of its own while the computation goes on with the previous value.
        or getattr(_request, "in_background", False)
    ):
        try:
            return _compute_and_keep(compute, key, latest, timeout)
        finally:
            cache.delete(lock)
    slot = _background_slot()
    if slot is None:
        # As many computations as the site runs at once are running: the previous value for
        # now, and the next request after one of them has finished starts this one.
        cache.delete(lock)
        _serving_previous(key)
        return previous, False
    thread = threading.Thread(
        target=_recompute,
        args=(compute, key, latest, timeout, lock, slot, translation.get_language()),
        name="kb-recompute",
        daemon=True,
    )
    thread.start()
    _serving_previous(key)
    return previous, False


def _locked(lock: str) -> bool:
    """Whether this process took the lock; True too when the cache refuses to keep it (a
    Redis at its maxmemory): the value is then computed here, as without a cache."""
    try:
        return cache.add(lock, 1, LOCK_SECONDS)
    except Exception:
        logger.exception("Taking the lock %s failed", lock)
        return True


def _previous(latest: str, key: str) -> tuple[Any, float]:
    """The value computed before this key's (from before the latest edit), if it is still
    kept, and how many seconds computing it took."""
    found = cache.get(latest)
    if not isinstance(found, tuple) or found[0] == key:
        return None, 0.0
    return cache.get(found[0]), found[1]


def _compute_and_keep(
    compute: Callable[[], Any], key: str, latest: str, timeout: int
) -> tuple[Any, bool]:
    """compute(), kept under this key unless it was made from a value from before the
    latest edit (another cached value it reads, being computed elsewhere): kept, it would
    stand for the new value until the next edit. Whether it was kept is returned with it."""
    stale_before = getattr(_request, "served_stale", False)
    _request.served_stale = False
    started = time.monotonic()
    try:
        value = compute()
        made_from_previous = _request.served_stale
    finally:
        _request.served_stale = stale_before or _request.served_stale
    if made_from_previous:
        return value, False  # the next caller computes it again, from the new values
    try:
        cache.set_many({key: value, latest: (key, time.monotonic() - started)}, timeout)
    except Exception:
        # Keeping it is only a speed-up (a full Redis refuses): computed again next time.
        logger.exception("Keeping %s failed", key)
    return value, True


def _background_slot() -> str | None:
    """One of the site's BACKGROUND_COMPUTATIONS slots, taken (in the shared cache, so for
    every process and machine), or None when all are taken."""
    for slot in _slots():
        if _locked(slot):
            return slot
    return None


def _slots() -> list[str]:
    return [f"kb:background:{number}" for number in range(BACKGROUND_COMPUTATIONS)]


def _lock(key: str) -> str:
    """The key of the lock held while this key's value is computed."""
    return key + ":computing"


def _recompute(
    compute, key: str, latest: str, timeout: int, lock: str, slot: str, language: str
) -> None:
    """_compute_and_keep in a thread of its own, in the language of the request."""
    _request.in_background = True  # this thread's own (see _cached)
    try:
        with translation.override(language):
            _compute_and_keep(compute, key, latest, timeout)
    except Exception:
        # The next request after the lock is let go tries again.
        logger.exception("Computing %s in the background failed", key)
    finally:
        cache.delete_many([lock, slot])
        connections.close_all()  # this thread's own connections


# A computation holds its lock this long at most (should its process die, another then
# takes over); the others wait this long at most for it, then compute themselves.
LOCK_SECONDS = 60
WAIT_SECONDS = 10
POLL_SECONDS = 0.05
# A computation quicker than this is redone in the request after an edit, which then shows
# its effect at once (settings.KB_RECOMPUTE_IN_BACKGROUND).
QUICK_SECONDS = 0.05
# How many values the site (all its processes, through the shared cache) computes in the
# background at once. After an edit every list variant's counts are out of date (each of
# them up to seconds of the database's time at 100,000 measures): computed all at once, in
# every worker of every server, they would slow each other and every page meanwhile. One
# at a time: each takes a core of the database's, and on a 2-core machine two left the pages
# one core between them (make load after an edit: 114 requests/s with two, 148 with one;
# the counts then catch up one list after another).
BACKGROUND_COMPUTATIONS = 1


def served_stale() -> bool:
    """Whether this request was given a value from before the latest edit (see cached)."""
    return getattr(_request, "served_stale", False)


def _serving_previous(key: str) -> None:
    """This request is given the value from before the latest edit for this key."""
    _request.served_stale = True
    if (awaited := getattr(_request, "awaited", None)) is not None:
        awaited.append(key)


def awaited() -> tuple[str, ...]:
    """The keys whose values from before the latest edit this request was given."""
    return tuple(getattr(_request, "awaited", ()))


def still_awaited(keys: Iterable[str]) -> bool:
    """Whether a page made with the values from before the latest edit for these keys is
    as good as any page made now: none of the new values is in yet, and each is being
    computed or waits for a background computation slot (all taken). When one is in, or
    one is not being computed while a slot is free, a page made now is better: it shows
    the new value, or starts its computation."""
    keys = list(keys)
    locks = [_lock(key) for key in keys]
    slots = _slots()
    try:
        found = cache.get_many([*keys, *locks, *slots])
    except Exception:
        logger.exception("Reading the values a page awaits failed")
        return False
    if any(key in found for key in keys):
        return False
    return all(lock in found for lock in locks) or all(slot in found for slot in slots)


def _dumps(parts: list) -> str:
    return json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)


def cached_many(
    parts: list[list], compute: Callable[[list[int]], list], timeout: int = TIMEOUT
) -> list:
    """Several values remembered as `cached` does, with one cache round trip; `compute`
    gets the indexes of those not remembered and returns their values, in that order."""
    keys = [cache_key(p) for p in parts]
    found = cache.get_many(keys)
    missing = [index for index, key in enumerate(keys) if key not in found]
    if missing:
        computed = dict(zip((keys[i] for i in missing), compute(missing), strict=True))
        cache.set_many(computed, timeout)
        found.update(computed)
    return [found[key] for key in keys]


# ---- Whole pages ----
# An anonymous visitor's page is the same for every anonymous visitor until the data
# changes, so it is kept whole (core.middleware.page_cache) under a key that names the data
# version: an edit changes the key, and the next request renders the page afresh.


def page_key(request: HttpRequest) -> str | None:
    """The cache key of this request's page, or None when the page must not come from or
    go into the shared cache: not a GET or HEAD, an account's or a session's request, a
    site that needs logging in, or a path the settings exempt."""
    if request.method not in ("GET", "HEAD") or not settings.KB_PAGE_CACHE_SECONDS:
        return None
    if settings.KB_LOGIN_REQUIRED or "Authorization" in request.headers:
        return None
    if any(name in request.COOKIES for name in personal_cookies()):
        return None
    path = request.path_info.lstrip("/")
    if any(re.search(pattern, path) for pattern in settings.KB_PAGE_CACHE_EXEMPT):
        return None
    language = translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
    parts = [
        "page",
        current_versions(),  # every kind: a page may show any
        request.scheme,
        request.get_host(),
        language,
        request.get_full_path(),
        # Pages say what day it is (a citation's day cited, a 政策清单's date): kept for a
        # day at most, or a page kept before midnight would cite yesterday.
        timezone.localdate().isoformat(),
    ]
    return "kb:page:" + hashlib.sha256(_dumps(parts).encode()).hexdigest()


def at_one_url(canonical_query: Callable[[HttpRequest], str] = lambda request: ""):
    """A view decorator for a page that takes seconds to make: it answers at one URL only,
    and any other query string is redirected there (canonical_query gives the one it
    reads, "" by default; it may raise Http404). Kept pages are keyed on the whole URL, so
    each made-up variant (?x=1, ?x=2, ...) would otherwise be made afresh."""

    def decorator(view):
        @functools.wraps(view)
        def answer(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            canonical = canonical_query(request)
            if request.META.get("QUERY_STRING", "") != canonical:
                query = f"?{canonical}" if canonical else ""
                return HttpResponsePermanentRedirect(request.path + query)
            return view(request, *args, **kwargs)

        return answer

    return decorator


def personal_cookies() -> tuple[str, ...]:
    """Cookies that make a page someone's own: the session (a login, a pending message
    there) and messages kept in a cookie."""
    return (settings.SESSION_COOKIE_NAME, CookieStorage.cookie_name)


# Vary headers a kept page may carry: the key already names the language, and the pages
# are kept only for requests without a session (Cookie).
SHAREABLE_VARY = {"cookie", "accept-language", "accept-encoding"}
UNSHAREABLE_CACHE_CONTROL = {"private", "no-store", "no-cache"}


def shareable(request: HttpRequest, response: HttpResponse) -> bool:
    """Whether this response may be kept and given to other anonymous visitors."""
    if request.method != "GET" or response.status_code != 200 or response.streaming:
        return False
    if response.cookies:
        return False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        # The page holds a CSRF token made from this visitor's cookie: given to others, it
        # would hand them a token that passes for this visitor.
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    control = {
        part.split("=")[0].strip().lower() for part in response.get("Cache-Control", "").split(",")
    }
    if control & UNSHAREABLE_CACHE_CONTROL or "max-age=0" in response.get("Cache-Control", ""):
        return False
    vary = {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}
    return vary <= SHAREABLE_VARY


@dataclass
class Page:
    """A kept page: what its response needs, without the response object itself."""

    status: int
    headers: list[tuple[str, str]]
    content: bytes
    etag: str
    last_modified: int
    # A page made with values from before the latest edit: their new keys (see outdated).
    awaiting: tuple[str, ...] = ()

    @classmethod
    def of(cls, response: HttpResponse, awaiting: tuple[str, ...] = ()) -> "Page":
        etag = quote_etag(hashlib.md5(response.content, usedforsecurity=False).hexdigest())
        return cls(
            response.status_code,
            list(response.items()),
            response.content,
            etag,
            int(time.time()),
            awaiting,
        )

    @property
    def modified(self) -> int | None:
        """Its Last-Modified, none for a page made with values from before an edit: it is
        replaced as soon as they are in, often within the same second, and a client holding
        it that asks If-Modified-Since (no ETag) would get a 304 for the new page."""
        return None if self.awaiting else self.last_modified

    def outdated(self) -> bool:
        """Whether a page made now would be better: this one was made with values from
        before the latest edit, and a new one is in or could be started (still_awaited)."""
        return bool(self.awaiting) and not still_awaited(self.awaiting)

    def response(self) -> HttpResponse:
        response = HttpResponse(self.content, status=self.status)
        for header, value in self.headers:
            response[header] = value
        self.validate(response)
        return response

    def validate(self, response: HttpResponse) -> None:
        """The validators a browser or a proxy revalidates with, and the rule that it must
        (max-age=0): an edit is then seen on the next request, and an unchanged page costs
        a 304."""
        response["ETag"] = self.etag
        if self.modified is not None:
            response["Last-Modified"] = http_date(self.modified)
        patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
