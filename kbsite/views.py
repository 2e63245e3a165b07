import sys

from django import forms
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import InvalidPage, Paginator
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
from django.utils.log import log_response
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from core import changes, exports, find, outage
from core.analysis import MAX_QUERY_LENGTH
from core.caching import cached
from core.models import Change, data_kind
from core.search import COUNT_CAP
from kbsite import site_search
from policies.models import Heading, Measure, Notice, Topic


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "home.html",
        {
            "notices": Notice.objects.published()[:5],
            # Counting a large table reads all of it: once per change of the data.
            "counts": cached(["home counts"], home_counts, kinds=[data_kind(Measure)]),
            "topics": Topic.objects.all(),
        },
    )


def home_counts() -> dict[str, int]:
    return {
        "notices": Notice.objects.published().count(),
        "headings": Heading.objects.published().count(),
        "measures": Measure.objects.published().count(),
        "topics": Topic.objects.count(),
    }


@login_not_required
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        response = JsonResponse({"status": "error", "database": "unavailable"}, status=503)
        # One line, naming the error (and no second line from django.request).
        log_response(
            "Health check: the database is unavailable: %s (%s)",
            request.path,
            outage.summary(exc),
            response=response,
            request=request,
        )
        return response
    return JsonResponse({"status": "ok", "database": "ok"})


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 handler. When the database is out of reach (see core.outage), answer 503
    with Retry-After so clients and proxies try again; any other error is a bug: 500."""
    exc = sys.exc_info()[1]
    # Rendered without a request context: nothing on these pages may need the database.
    if outage.database_unavailable(exc):
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = "10"
        return response
    return HttpResponse(loader.render_to_string("500.html"), status=500)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("搜索"), max_length=MAX_QUERY_LENGTH, required=False, strip=True)
    kind = forms.ChoiceField(
        label=_("类别"),
        required=False,
        choices=[("", _("全部类别")), *((kind.key, kind.label) for kind in site_search.KINDS)],
    )


@require_safe
def site_search_view(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    if not form.is_valid():
        return render(request, "search.html", {"form": form}, status=400)
    text, kind_key = form.cleaned_data["q"], form.cleaned_data["kind"]
    search = find.parse(text)
    context = {"form": form, "q": text, "search": search}
    if search and kind_key:
        kind = site_search.KINDS_BY_KEY[kind_key]
        page_number = parse_page(request.GET.get("page"), last=site_search.MAX_PAGES)
        offset = (page_number - 1) * site_search.RESULTS_PER_PAGE
        [results] = site_search.ranked([kind], search, offset, site_search.RESULTS_PER_PAGE)
        context.update(
            kind=kind,
            results=results,
            first=offset + 1,
            last=offset + len(results.hits),
            cap=COUNT_CAP,
            page=site_search.PageNav(
                page_number, results.has_more and page_number < site_search.MAX_PAGES
            ),
        )
    elif search:
        groups = site_search.ranked(site_search.KINDS, search, 0, RESULTS_PER_GROUP)
        context["groups"] = [group for group in groups if group.hits]  # never an empty group
        found = sum(group.count.number for group in groups)
        if len(search.words) > 1 and found < FEW_RESULTS:
            context["word_counts"] = site_search.word_counts(search)
    return render(request, "search.html", context)


RESULTS_PER_GROUP = 5
# Below this many results in all, a search of several words says what each word finds.
FEW_RESULTS = 5


def parse_page(raw: str | None, *, last: int) -> int:
    """A page number from the URL, forgiving anything odd (as Paginator.get_page does)."""
    try:
        number = int(raw or 1)
    except ValueError:
        return 1
    return min(max(number, 1), last)


@require_safe
def site_search_export(request: HttpRequest, fmt: str) -> HttpResponse:
    form = SearchForm(request.GET)
    if not form.is_valid():
        return render(request, "search.html", {"form": form}, status=400)
    search = find.parse(form.cleaned_data["q"])
    kind_key = form.cleaned_data["kind"]
    kinds = [site_search.KINDS_BY_KEY[kind_key]] if kind_key else site_search.KINDS
    return exports.export(
        request,
        fmt,
        what="search",
        rows=site_search.export_rows(search, kinds) if search else [],
        columns=site_search.EXPORT_COLUMNS,
        labels=site_search.EXPORT_LABELS,
        filtered=True,
        filters={k: v for k, v in form.cleaned_data.items() if v},
    )


CHANGES_PER_PAGE = 50


@require_safe
def changes_view(request: HttpRequest) -> HttpResponse:
    """最近更新: the public changes, newest first. Staff also see who made each and why."""
    staff = request.user.is_staff
    listed = Change.objects.public().newest_first()
    if staff:
        listed = listed.select_related("revision__user")
    paginator = Paginator(listed, CHANGES_PER_PAGE)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except InvalidPage as exc:  # not a number, or past the last page
        raise Http404(_("没有这一页。")) from exc
    return render(
        request,
        "changes.html",
        {"page": page, "entries": changes.entries(page.object_list), "show_editors": staff},
    )


@login_not_required
@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    sitemap = request.build_absolute_uri(reverse("sitemap"))
    lines = ["User-agent: *", "Disallow: /admin/", "Disallow: /accounts/", f"Sitemap: {sitemap}"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@login_not_required
@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links to: the SVG icon. Not a
    permanent redirect: its target is a hashed name that the next icon replaces."""
    return redirect(static("favicon.svg"))
