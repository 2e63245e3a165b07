"""Measure one database at one size; run by bench/run.py with DATABASE_URL set.

Prints a JSON object: for each page, median and p95 latency (ms) over repeated requests
through Django's test client (in process, as the targets are stated), the SQL queries it
ran, and for the export the rows and the peak memory (tracemalloc) while streaming it.
"""

import json
import os
import statistics
import sys
import threading
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kbsite.settings")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from core.caching import forget_in_process  # noqa: E402
from core.models import bump_data_version  # noqa: E402
from policies.models import Measure, Topic  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", 40))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def time_page(client: Client, url: str, cold: bool = False, edited: bool = False) -> dict:
    """Latency of a page; `cold` empties the cache before every request, so cached facet
    counts and totals are computed afresh each time (what a visitor waits for when nothing
    is cached); `edited` moves the data versions on before every request, as an edit does
    (what the first visitor after an edit waits for: with KB_RECOMPUTE_IN_BACKGROUND, the
    values from before the edit while a thread recomputes them, finished before the next)."""
    for _ in range(3):  # warm connections (and caches, unless cold)
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    queries = []
    with connection.execute_wrapper(
        lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)
    ):
        client.get(url)
    timings = []
    for _ in range(REPEAT if not (cold or edited) else max(REPEAT // 4, 5)):
        if cold:
            cache.clear()
            forget_in_process()  # as a process just started has nothing either
        if edited:
            bump_data_version()
        start = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        for thread in threading.enumerate():
            if thread.name == "kb-recompute":
                thread.join()
    return {
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 95), 1),
        "queries": len(queries),
    }


def time_export(client: Client, url: str) -> dict:
    client.get(url)  # warm
    tracemalloc.start()
    start = time.perf_counter()
    response = client.get(url)
    rows = sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1
    elapsed = (time.perf_counter() - start) * 1000
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"ms": round(elapsed), "rows": rows, "peak_mib": round(peak / 2**20, 1)}


def main() -> None:
    client = Client(HTTP_HOST="localhost")
    measure = Measure.objects.order_by("-pk").first()
    notice = measure.notice
    total = Measure.objects.count()
    # A topic holding about a tenth of the measures: at 100,000 that is ~10,000 rows.
    topic = Topic.objects.order_by("slug").first()
    pages = {
        "home": "/",
        "notice": notice.get_absolute_url(),
        "measure list": "/policies/measures/",
        "measure list, filtered": f"/policies/measures/?topic={topic.slug}&target_group=sme",
        "measure list, filtered + text": f"/policies/measures/?topic={topic.slug}&q=贷款",
        "measure detail": measure.get_absolute_url(),
        "search, common word": "/search/?q=中小企业",
        "search, rare word": "/search/?q=获得感",
        "search, 1 character": "/search/?q=贷",
        # Several words (issue 12): rare and common words, other names, English.
        "search, rare + rare": "/search/?q=获得感 云化",
        "search, rare + common": "/search/?q=获得感 中小企业",
        "search, common + common": "/search/?q=中小企业 服务",
        "search, three words": "/search/?q=中小企业 贷款 担保",
        "search, other name + common": "/search/?q=房租 中小企业",
        "search, English + common": "/search/?q=rent 企业",
        "measure list, two words": "/policies/measures/?q=中小企业 贷款",
        "figures table": "/industry/figures/",
        # 政策匹配 (issue 16): every measure is weighed against the profile.
        "match": "/policies/match/?size=small&province=hubei&situation=hard-hit&need=credit",
    }
    # BENCH_SKIP: pages to leave out, comma-separated (a page too slow to repeat 40 times).
    skipped = {name.strip() for name in os.environ.get("BENCH_SKIP", "").split(",")}
    results = {"measures": total, "vendor": connection.vendor, "pages": {}, "skipped": []}
    for name, url in pages.items():
        if name in skipped:
            results["skipped"].append(name)
            continue
        results["pages"][name] = time_page(client, url)
    for name in [
        "measure list",
        "measure list, filtered + text",
        "figures table",
        "match",
        "search, common + common",
        "search, other name + common",
        "search, rare + rare",
    ]:
        if name not in skipped:
            results["pages"][f"{name} (cold cache)"] = time_page(client, pages[name], cold=True)
    # The first request after an edit (issue 15: p95 at most 150 ms on every list page).
    for name in [
        "measure list",
        "measure list, filtered",
        "measure list, filtered + text",
        "measure list, two words",
        "figures table",
        "match",
    ]:
        if name not in skipped:
            results["pages"][f"{name} (after an edit)"] = time_page(
                client, pages[name], edited=True
            )
    export_url = (
        "/policies/measures.csv"
        if total <= 10_000
        else f"/policies/measures.csv?topic={topic.slug}"
    )
    results["export"] = time_export(client, export_url)
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
