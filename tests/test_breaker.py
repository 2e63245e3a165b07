"""Breaker: pages made with a value from before an edit (core.middleware.page_cache)."""

import pytest
from django.core.cache import cache

import industry.views
from core import caching
from tests.test_page_cache import edit_figure, rendered

pytestmark = pytest.mark.django_db


def test_a_page_replacing_a_provisional_one_is_not_304_to_if_modified_since(client, seed):
    """A client that revalidates with If-Modified-Since only (a proxy, a crawler, curl -z)
    and holds the page made with the checks from before an edit must get the page made
    with the new checks once they are in, even within the same second."""
    figures = "/industry/figures/"
    client.get(figures)
    edit_figure()
    key = caching.cache_key(["industry-flagged"], industry.views.FIGURES)
    assert cache.add(key + ":computing", 1, 60)  # another process is computing
    provisional = client.get(figures)
    assert rendered(provisional)
    cache.set(key, {1})  # the new checks are in (the same second)
    fresh = client.get(figures)
    assert rendered(fresh) and fresh.content != provisional.content
    again = client.get(
        figures, headers={"If-Modified-Since": provisional.get("Last-Modified", "")}
    )
    assert again.status_code == 200 and again.content == fresh.content
