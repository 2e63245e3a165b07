import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

from kbsite.models import data_version


def cached(parts: list, compute: Callable[[], Any], timeout: int = 6 * 3600) -> Any:
    """compute(), remembered for these key parts until the knowledge base next changes
    (the data version is part of the key) or the timeout passes."""
    raw = json.dumps([data_version(), *parts], ensure_ascii=False, sort_keys=True, default=str)
    key = "kb:" + hashlib.sha256(raw.encode()).hexdigest()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value
