"""Anonymous pages kept whole until the data changes (core.middleware.page_cache), one data
version per kind of record, and one computation, not ten, after an edit (core.caching)."""

import threading
import time
from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache, caches
from django.db import connection
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from redis.exceptions import OutOfMemoryError

import core.middleware
import industry.views
from core import caching
from core.middleware import page_cache
from core.models import data_kinds
from industry.models import Figure
from policies.models import Measure, Notice

pytestmark = pytest.mark.django_db

MEASURE = "/policies/notices/gxmd-2020-14/measures/8/"
PAGES = ["/", "/policies/measures/", MEASURE, "/industry/figures/", "/search/?q=贷款"]


def rendered(response) -> bool:
    """Whether the view ran: the test client lists the templates a response rendered."""
    return bool(response.templates)


@pytest.mark.parametrize("url", PAGES)
def test_a_kept_page_is_answered_without_its_view(client, seed, url, django_assert_num_queries):
    first = client.get(url)
    assert first.status_code == 200 and rendered(first)
    with django_assert_num_queries(1):  # the data version, nothing else
        again = client.get(url)
    assert again.status_code == 200 and not rendered(again)
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Last-Modified"] == first["Last-Modified"]
    assert again["Cache-Control"] == "public, max-age=0, must-revalidate"


def test_a_matching_if_none_match_answers_304_without_rendering(client, seed):
    etag = client.get(MEASURE)["ETag"]
    response = client.get(MEASURE, headers={"If-None-Match": etag})
    assert response.status_code == 304 and not rendered(response)
    assert response.content == b""
    assert response["ETag"] == etag
    other = client.get(MEASURE, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.content


def test_if_modified_since_answers_304(client, seed):
    last_modified = client.get(MEASURE)["Last-Modified"]
    response = client.get(MEASURE, headers={"If-Modified-Since": last_modified})
    assert response.status_code == 304 and not rendered(response)


def test_the_first_request_that_already_holds_the_page_gets_a_304(client, seed, clear_cache):
    etag = client.get(MEASURE)["ETag"]
    clear_cache()  # nothing changed, but the kept copy is gone (another worker, a restart)
    response = client.get(MEASURE, headers={"If-None-Match": etag})
    assert response.status_code == 304 and rendered(response)


def test_head_is_answered_from_the_kept_page(client, seed):
    first = client.get(MEASURE)
    response = client.head(MEASURE)
    assert response.status_code == 200 and not rendered(response)
    assert response["ETag"] == first["ETag"]


def test_an_edit_shows_on_the_next_request(client, seed):
    assert "改过的标题" not in client.get(MEASURE).content.decode()
    measure = Measure.objects.get(heading__notice__slug="gxmd-2020-14", number=8)
    measure.title = "改过的标题"
    measure.save()
    response = client.get(MEASURE)
    assert rendered(response)
    assert "改过的标题" in response.content.decode()


def test_an_edit_of_a_many_to_many_shows_on_the_next_request(client, seed):
    measure = Measure.objects.get(heading__notice__slug="gxmd-2020-14", number=8)
    topic = measure.topics.first()
    before = client.get(MEASURE)
    measure.topics.remove(topic)
    after = client.get(MEASURE)
    assert rendered(after) and after.content != before.content


def test_never_served_across_languages(client, seed):
    chinese = client.get(MEASURE)
    english = client.get("/en" + MEASURE)
    assert rendered(english)
    assert '<html lang="zh-Hans"' in chinese.content.decode()
    assert '<html lang="en"' in english.content.decode()
    assert english["ETag"] != chinese["ETag"]


def test_never_served_across_query_strings(client, seed):
    client.get("/policies/measures/")
    response = client.get("/policies/measures/?topic=credit")
    assert rendered(response)


def test_logged_in_staff_get_fresh_private_pages(client, admin_client, seed):
    anonymous = client.get(MEASURE)
    response = admin_client.get(MEASURE)
    assert rendered(response)
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    assert "ETag" not in response
    # ... and what staff saw is never given to anyone else.
    again = client.get(MEASURE)
    assert again.content == anonymous.content


def test_a_page_rendered_for_staff_first_is_not_kept_for_the_public(client, admin_client, seed):
    admin_client.get(MEASURE)
    assert rendered(client.get(MEASURE))


def test_a_draft_previewed_by_staff_is_never_given_to_the_public(client, admin_client, seed):
    Notice.objects.filter(slug="gxmd-2020-14").update(status="draft")
    for _ in range(2):
        preview = admin_client.get(MEASURE)
        assert preview.status_code == 200 and rendered(preview)
        assert "private" in preview["Cache-Control"]
    assert client.get(MEASURE).status_code == 404


def test_a_logged_in_reader_gets_fresh_private_pages(client, seed):
    client.get(MEASURE)
    user = get_user_model().objects.create_user("reader", password="a-long-passphrase-1")
    client.force_login(user)
    for _ in range(2):
        response = client.get(MEASURE)
        assert rendered(response) and "private" in response["Cache-Control"]


def test_login_required_pages_are_private_and_never_kept(client, seed, settings):
    settings.KB_LOGIN_REQUIRED = True
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE[:-1],
        "django.contrib.auth.middleware.LoginRequiredMiddleware",
        settings.MIDDLEWARE[-1],
    ]
    client.force_login(get_user_model().objects.create_user("reader", password="a-long-pass-1"))
    for _ in range(2):
        response = client.get(MEASURE)
        assert response.status_code == 200 and rendered(response)
        assert "private" in response["Cache-Control"] and "ETag" not in response
    client.logout()
    assert client.get(MEASURE).status_code == 302


def test_a_request_with_a_pending_message_is_rendered_afresh(client, seed):
    client.get(MEASURE)
    client.cookies["messages"] = "anything"
    assert rendered(client.get(MEASURE))


def test_answers_that_set_a_cookie_are_not_kept(client, seed):
    """The login form sets the CSRF cookie: neither it nor the token in the form may be
    handed to the next visitor."""
    url = reverse("login")
    client.get(url)
    response = client.get(url)
    assert rendered(response) and "ETag" not in response


@pytest.mark.parametrize("url", ["/policies/measures/?topic=no-such-topic", "/policies/x/"])
def test_bad_input_is_answered_as_before_and_not_kept(client, seed, url):
    statuses = {client.get(url).status_code for _ in range(2)}
    assert statuses <= {400, 404} and len(statuses) == 1
    assert rendered(client.get(url)) or client.get(url).status_code == 404


def test_the_admin_is_never_kept(admin_client, seed):
    for _ in range(2):
        response = admin_client.get("/admin/")
        assert rendered(response) and "ETag" not in response


def test_downloads_are_not_kept_and_every_one_is_throttled(client, seed, settings):
    settings.KB_EXPORTS_PER_MINUTE = 2
    statuses = [client.get("/industry/actions.csv").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def kept_by_middleware(make_response, clear_cache: Callable[[], None]) -> bool:
    """Whether core.middleware.page_cache keeps what this view answers: the view is asked
    twice for one anonymous request, and counts its calls."""
    clear_cache()
    calls = []

    def view(request):
        request.user = AnonymousUser()
        calls.append(request)
        return make_response()

    middleware = page_cache(view)
    for _ in range(2):
        middleware(RequestFactory().get("/policies/measures/?kept=1"))
    return len(calls) == 1


def test_only_plain_200_answers_are_kept(db, clear_cache):
    def with_cookie():
        response = HttpResponse("page")
        response.set_cookie("csrftoken", "secret")
        return response

    def varying(header):
        def make():
            response = HttpResponse("page")
            response["Vary"] = header
            return response

        return make

    def controlled(value):
        def make():
            response = HttpResponse("page")
            response["Cache-Control"] = value
            return response

        return make

    assert kept_by_middleware(lambda: HttpResponse("page"), clear_cache)
    assert kept_by_middleware(varying("Cookie, Accept-Language"), clear_cache)
    assert not kept_by_middleware(with_cookie, clear_cache)
    assert not kept_by_middleware(varying("User-Agent"), clear_cache)
    assert not kept_by_middleware(controlled("private"), clear_cache)
    assert not kept_by_middleware(
        controlled("max-age=0, no-cache, no-store, must-revalidate"), clear_cache
    )
    assert not kept_by_middleware(lambda: HttpResponse("missing", status=404), clear_cache)
    assert not kept_by_middleware(lambda: StreamingHttpResponse(iter(["a,b\n"])), clear_cache)


# ---- One data version per kind of record ----


@pytest.fixture
def computations(monkeypatch):
    """How often the figures' checks and the figure list's facet counts are computed."""
    from industry.filters import FigureFilter

    counts = {"checks": 0, "facets": 0}

    class CountedAnalysis(industry.views.Analysis):
        def __init__(self, *args, **kwargs):
            counts["checks"] += 1
            super().__init__(*args, **kwargs)

    facet_counts = FigureFilter.facet_counts

    def counted_facets(self, name):
        counts["facets"] += 1
        return facet_counts(self, name)

    monkeypatch.setattr(industry.views, "Analysis", CountedAnalysis)
    monkeypatch.setattr(FigureFilter, "facet_counts", counted_facets)
    return counts


def edit_measure():
    measure = Measure.objects.get(heading__notice__slug="gxmd-2020-14", number=8)
    measure.title = "改过的标题"
    measure.save()


def edit_figure():
    figure = Figure.objects.get(number=1)
    figure.note = "编者改过的说明"
    figure.save()


def test_an_edit_of_a_measure_leaves_the_figures_checks_and_counts(client, seed, computations):
    figures = "/industry/figures/"
    assert client.get(figures).status_code == 200
    before = dict(computations)
    assert before["checks"] == 1 and before["facets"] > 0
    edit_measure()
    response = client.get(figures)
    assert rendered(response)  # the page itself depends on every kind
    assert computations == before
    edit_figure()
    client.get(figures)
    assert computations["checks"] == 2 and computations["facets"] > before["facets"]


@pytest.mark.parametrize("url", ["/", "/search/?q=烧碱"])
@pytest.mark.parametrize("edit", [edit_measure, edit_figure])
def test_pages_that_show_both_kinds_follow_an_edit_of_either(client, seed, url, edit):
    client.get(url)
    edit()
    assert rendered(client.get(url))


def test_the_data_versions_are_read_once_per_request(client, seed):
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/industry/figures/").status_code == 200
    reads = [q["sql"] for q in queries if "core_dataversion" in q["sql"]]
    assert len(reads) == 1, reads


# ---- No stampede ----


def at_once(function, count=10) -> list:
    """function() called by `count` threads released together; their results."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        barrier.wait()
        results[index] = function()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.fixture
def versions(monkeypatch):
    """The data versions, held in memory: threads outside a request read them on every
    call, and the test's own connection holds the test's transaction."""
    numbers = dict.fromkeys(data_kinds(), 1)
    monkeypatch.setattr(caching, "data_versions", lambda: dict(numbers))
    return numbers


def slow_counted(counter: list, value="value"):
    def compute():
        counter.append(1)
        time.sleep(0.3)
        return value

    return compute


def test_ten_callers_right_after_an_edit_compute_once(db, versions):
    computed = []
    assert at_once(lambda: caching.cached(["stampede"], slow_counted(computed))) == ["value"] * 10
    assert len(computed) == 1


def test_after_an_edit_the_others_serve_the_previous_value(db, versions):
    """One caller computes the new value; the others get the old one at once."""
    computed = []
    caching.cached(["stampede"], slow_counted(computed, "before"), kinds=["industry"])
    versions["industry"] += 1  # an edit
    results = at_once(
        lambda: caching.cached(["stampede"], slow_counted(computed, "after"), kinds=["industry"])
    )
    assert len(computed) == 2
    assert results.count("after") == 1 and results.count("before") == 9
    assert caching.cached(["stampede"], slow_counted(computed), kinds=["industry"]) == "after"


def background_computations_done() -> None:
    for thread in threading.enumerate():
        if thread.name == "kb-recompute":
            thread.join(5)


def test_after_an_edit_a_thread_computes_and_nobody_waits(db, versions, settings):
    """With the previous value at hand, even the caller that takes on the computation gets
    the previous value at once; a thread computes the new one, once, for the next callers."""
    settings.KB_RECOMPUTE_IN_BACKGROUND = True
    computed = []
    caching.cached(["stampede"], slow_counted(computed, "before"), kinds=["industry"])
    versions["industry"] += 1  # an edit
    started = time.monotonic()
    results = at_once(
        lambda: caching.cached(["stampede"], slow_counted(computed, "after"), kinds=["industry"])
    )
    assert results == ["before"] * 10
    assert time.monotonic() - started < 0.25  # nobody waited for the 0.3 s computation
    background_computations_done()
    assert caching.cached(["stampede"], slow_counted(computed), kinds=["industry"]) == "after"
    assert len(computed) == 2


def test_a_quick_computation_is_redone_in_the_request_after_an_edit(db, versions, settings):
    settings.KB_RECOMPUTE_IN_BACKGROUND = True
    caching.cached(["quick"], lambda: "before")
    versions["policies"] += 1
    assert caching.cached(["quick"], lambda: "after") == "after"
    assert not caching.served_stale()


def test_a_value_kept_in_process_is_read_without_the_cache_until_an_edit(db, versions, monkeypatch):
    """The same object each time, the cache not even asked; after an edit (of its kind
    only), the new value at once."""
    computed = []
    value = caching.cached(["here"], lambda: computed.append(1) or ["first"], in_process=True)
    asked = []
    monkeypatch.setattr(cache, "get", lambda *args, **kwargs: asked.append(args) or None)
    again = caching.cached(["here"], lambda: computed.append(1) or ["never"], in_process=True)
    assert again is value and not asked and len(computed) == 1
    versions["industry"] += 1  # another kind's edit: a new key (no kinds given)...
    monkeypatch.undo()
    assert caching.cached(["here"], lambda: ["second"], in_process=True) == ["second"]
    assert caching.cached(["here", 2], lambda: ["x"], kinds=["policies"], in_process=True)
    versions["industry"] += 1  # ...but not for a value of the policies
    kept = caching.cached(["here", 2], lambda: ["y"], kinds=["policies"], in_process=True)
    assert kept == ["x"]


def test_a_previous_value_served_after_an_edit_is_not_kept_in_process(db, versions, settings):
    """While a thread computes the new value the callers get the previous one, but the
    process does not keep it as the new one: the next caller after the thread gets the new."""
    settings.KB_RECOMPUTE_IN_BACKGROUND = True
    computed = []
    caching.cached(["here"], slow_counted(computed, "before"), in_process=True)
    versions["policies"] += 1
    assert caching.cached(["here"], slow_counted(computed, "after"), in_process=True) == "before"
    background_computations_done()
    assert caching.cached(["here"], slow_counted(computed), in_process=True) == "after"
    assert len(computed) == 2


def test_no_more_background_computations_at_once_than_the_limit(db, versions, settings):
    """With every slot taken (after an edit, the counts of every list variant, in any process:
    the slots are in the shared cache), a caller gets the previous value and starts nothing;
    once a slot is free, the next caller does, and gives the slot back when done."""
    settings.KB_RECOMPUTE_IN_BACKGROUND = True
    computed = []
    caching.cached(["limited"], slow_counted(computed, "before"))
    versions["policies"] += 1
    slots = [f"kb:background:{n}" for n in range(caching.BACKGROUND_COMPUTATIONS)]
    for slot in slots:  # other values are being computed, here or in another process
        assert cache.add(slot, 1)
    assert caching.cached(["limited"], slow_counted(computed, "after")) == "before"
    assert not any(t.name == "kb-recompute" for t in threading.enumerate()) and len(computed) == 1
    cache.delete(slots[-1])
    assert caching.cached(["limited"], slow_counted(computed, "after")) == "before"  # started
    assert cache.get(slots[-1]) == 1
    background_computations_done()
    assert caching.cached(["limited"], lambda: "never") == "after"
    assert len(computed) == 2 and cache.get(slots[-1]) is None  # its slot given back


def test_a_failed_background_computation_is_logged_and_tried_again(db, versions, settings, caplog):
    settings.KB_RECOMPUTE_IN_BACKGROUND = True
    caching.cached(["failing"], slow_counted([], "before"))
    versions["policies"] += 1

    def fail():
        raise ValueError("broken")

    assert caching.cached(["failing"], fail) == "before"
    background_computations_done()
    assert "broken" in caplog.text
    assert caching.cached(["failing"], slow_counted([], "after")) == "before"  # in a thread
    background_computations_done()
    assert caching.cached(["failing"], lambda: "never") == "after"


def test_ten_figure_tables_right_after_an_edit_compute_the_checks_once(db, versions, monkeypatch):
    computed = []

    class SlowAnalysis:
        def __init__(self, figures):
            computed.append(1)
            time.sleep(0.3)
            self.disagreements, self.agreements, self.flagged_numbers = [], [], {1}

    monkeypatch.setattr(industry.views, "Analysis", SlowAnalysis)
    versions["industry"] += 1
    assert at_once(industry.views.flagged_numbers) == [{1}] * 10
    assert len(computed) == 1


def test_a_page_made_with_a_previous_value_is_kept_for_seconds_only(client, seed, monkeypatch):
    """While another process computes the figures' checks after an edit, this one shows
    the checks from before it: that page is kept for a few seconds (the visitors meanwhile
    are not each given a page made afresh), not for the hour of a page made with the new
    values, which the first request after those seconds gets once the checks are computed."""
    figures = "/industry/figures/"
    client.get(figures)
    edit_figure()
    lock = caching.cache_key(["industry-flagged"], industry.views.FIGURES) + ":computing"
    assert cache.add(lock, 1, 60)  # another process is computing
    kept_for = []
    pages = caches["pages"]
    keep = pages.set
    monkeypatch.setattr(pages, "set", lambda key, page, seconds: kept_for.append(seconds))
    response = client.get(figures)
    assert response.status_code == 200 and rendered(response)
    assert kept_for == [core.middleware.PROVISIONAL_PAGE_SECONDS]
    monkeypatch.setattr(pages, "set", keep)
    monkeypatch.setattr(core.middleware, "PROVISIONAL_PAGE_SECONDS", 1)
    assert rendered(client.get(figures))  # not kept above: made again, kept for a second
    assert not rendered(client.get(figures))
    time.sleep(1.1)
    cache.delete(lock)  # the checks are computed (here: by the next request)
    response = client.get(figures)
    assert rendered(response) and "ETag" in response
    assert not rendered(client.get(figures))


def test_a_page_made_with_a_previous_value_is_kept_until_the_new_value_is_in(client, seed):
    """Not a few seconds, but as long as the new value is being computed (or waits for a
    background slot, all taken): a page made meanwhile would show the same previous value.
    Once the value is in, or nobody computes it while a slot is free, the next request has
    the page made again."""
    figures = "/industry/figures/"
    client.get(figures)
    edit_figure()
    key = caching.cache_key(["industry-flagged"], industry.views.FIGURES)
    assert cache.add(key + ":computing", 1, 60)  # another process is computing
    assert rendered(client.get(figures))  # with the checks from before the edit
    assert not rendered(client.get(figures))  # kept while they are computed
    cache.set(key, {1})  # computed: the new checks are in
    assert rendered(client.get(figures))
    assert not rendered(client.get(figures))  # made with the new value: kept as any page

    # The computation stopped (its lock gone) with no value: while the background slots
    # are all taken nobody could start it, so the page stands; once one is free, the next
    # request has the page made, which starts the computation.
    edit_figure()
    key = caching.cache_key(["industry-flagged"], industry.views.FIGURES)
    assert cache.add(key + ":computing", 1, 60)
    assert rendered(client.get(figures))
    cache.delete(key + ":computing")
    slots = [f"kb:background:{n}" for n in range(caching.BACKGROUND_COMPUTATIONS)]
    for slot in slots:
        assert cache.add(slot, 1, 60)
    assert not rendered(client.get(figures))
    cache.delete_many(slots)
    assert rendered(client.get(figures))


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
    again = client.get(figures, headers={"If-Modified-Since": provisional.get("Last-Modified", "")})
    assert again.status_code == 200 and again.content == fresh.content


def test_a_host_not_allowed_is_a_400_before_and_after_a_page_is_kept(client, seed):
    client.get(MEASURE)
    assert client.get(MEASURE, headers={"Host": "evil.example"}).status_code == 400


def test_a_page_holding_a_visitors_csrf_token_is_never_kept():
    """A form's CSRF token is made from the visitor's cookie. Django sets the cookie again
    on such an answer today (which alone keeps it out of the cache), but a page whose token
    came without a new cookie must not be kept either: it would hand the next visitor a
    token that passes for this one."""
    from django.middleware.csrf import get_token

    request = RequestFactory().get("/policies/measures/")
    request.user = AnonymousUser()
    assert caching.shareable(request, HttpResponse("page"))
    get_token(request)
    assert not caching.shareable(request, HttpResponse("page with a token"))


def test_a_page_kept_yesterday_is_not_given_today(client, seed, monkeypatch):
    """A measure's citation says the day it was cited: a page kept before midnight must not
    cite yesterday after it."""
    import datetime

    from django.utils import timezone

    url = Measure.objects.get(number=8).get_absolute_url()
    assert rendered(client.get(url)) and not rendered(client.get(url))  # kept
    monkeypatch.setattr(timezone, "localdate", lambda *args: datetime.date(2031, 1, 2))
    response = client.get(url)
    assert rendered(response)
    assert "[2031-01-02]" in response.content.decode()


@pytest.mark.parametrize("url", ["/", "/robots.txt", "/policies/", "/changes/"])
def test_head_is_answered_as_get_whether_or_not_the_page_is_kept(client, seed, url):
    assert client.head(url).status_code == 200  # not kept yet: the view answers
    client.get(url)
    assert client.head(url).status_code == 200  # kept


def test_a_flood_of_kept_pages_leaves_the_cached_counts(client, seed, django_assert_num_queries):
    """Anyone may invent query strings, each a page kept in memory, which drops entries when
    full: the pages have a cache of their own, so the counts every list needs stay."""
    url = reverse("policies:measure-list")
    client.get(url + "?topic=credit")  # counts and facets computed and kept
    for n in range(400):  # more pages than the memory cache holds
        client.get(url, {"made-up": n})
    # The facets and the total still kept: the data version, the chosen topic and the page.
    with django_assert_num_queries(3):
        client.get(url + "?topic=credit&another=1")


def test_a_page_that_cannot_be_kept_is_still_answered(client, seed, monkeypatch, caplog):
    """A full Redis (its maxmemory reached under noeviction, say by a flood of made-up
    query strings) refuses to keep the page: the page is answered all the same."""

    def refuse(*args, **kwargs):
        raise OutOfMemoryError("command not allowed when used memory > 'maxmemory'")

    monkeypatch.setattr(caches["pages"], "set", refuse)
    response = client.get("/policies/match/?size=small&made-up=1")
    assert response.status_code == 200
    assert "政策清单".encode() in response.content
    assert "Keeping the page /policies/match/ failed" in caplog.text


def test_a_cache_that_refuses_writes_still_gives_computed_values(db, versions, monkeypatch):
    """A Redis at its maxmemory under noeviction refuses the lock and the value: the value
    is computed and given all the same, every time."""

    def refuse(*args, **kwargs):
        raise MemoryError("OOM command not allowed when used memory > 'maxmemory'")

    monkeypatch.setattr(caching.cache, "add", refuse)
    monkeypatch.setattr(caching.cache, "set_many", refuse)
    computed = []
    assert caching.cached(["refused"], slow_counted(computed, "value")) == "value"
    assert caching.cached(["refused"], slow_counted(computed, "value")) == "value"
    assert len(computed) == 2


def test_a_value_computed_from_a_previous_value_is_not_kept_as_the_new_one(db, versions, settings):
    """A value whose computation reads another cached value (the figures' flagged numbers
    read the checks) is computed in the background after an edit; the value it reads is
    slow too, and is served from before the edit meanwhile. What the outer computation made
    of that previous value must not be kept under the new key, for hours, as the new value."""
    settings.KB_RECOMPUTE_IN_BACKGROUND = True
    source = {"value": "before"}

    def inner():
        return caching.cached(["inner"], slow_counted([], source["value"]))

    def outer():
        return caching.cached(["outer"], lambda: "made from " + inner())

    assert outer() == "made from before"
    versions["policies"] += 1  # an edit
    source["value"] = "after"
    assert outer() == "made from before"  # while the new one is computed
    for _ in range(3):
        background_computations_done()
        outer()  # the next requests (each may start what is still to compute)
    background_computations_done()
    assert outer() == "made from after"
