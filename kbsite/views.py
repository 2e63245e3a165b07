from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from policies.models import Heading, Measure, Notice, Topic


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
