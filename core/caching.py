import hashlib
import json
import threading
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.dispatch import receiver

from core.models import data_version

# The data version, read once per request however many cached results a page uses.
_request = threading.local()


@receiver(request_started)
def _start(**kwargs):
    _request.version = None
    _request.active = True


@receiver(request_finished)
def _finish(**kwargs):
    _request.active = False


def current_version() -> int:
    if not getattr(_request, "active", False):
        return data_version()
    if _request.version is None:
        _request.version = data_version()
    return _request.version


TIMEOUT = 6 * 3600


def cache_key(parts: list) -> str:
    raw = json.dumps([current_version(), *parts], ensure_ascii=False, sort_keys=True, default=str)
    return "kb:" + hashlib.sha256(raw.encode()).hexdigest()


def cached(parts: list, compute: Callable[[], Any], timeout: int = TIMEOUT) -> Any:
    """compute(), remembered for these key parts until the knowledge base next changes
    (the data version is part of the key) or the timeout passes."""
    key = cache_key(parts)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value


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
