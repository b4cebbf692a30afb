"""Delivery status notifications (bounces) posted by the mail server (stub, to be built)."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


@csrf_exempt
@require_POST
def bounce_report(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=404)
