from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def industry_home(request: HttpRequest) -> HttpResponse:
    return render(request, "industry/home.html")
