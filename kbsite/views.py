import logging
import sys

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from policies.models import Heading, Measure, Notice, Topic

logger = logging.getLogger(__name__)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "home.html",
        {
            "notices": Notice.objects.all()[:5],
            "counts": {
                "notices": Notice.objects.count(),
                "headings": Heading.objects.count(),
                "measures": Measure.objects.count(),
                "topics": Topic.objects.count(),
            },
            "topics": Topic.objects.all(),
        },
    )


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: the database is unavailable")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 handler. A database outage is the usual cause of errors here, and it
    passes: answer 503 with Retry-After so clients and proxies try again."""
    exc = sys.exc_info()[1]
    # Rendered without a request context: nothing on these pages may need the database.
    if isinstance(exc, DatabaseError):
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = "10"
        return response
    return HttpResponse(loader.render_to_string("500.html"), status=500)
