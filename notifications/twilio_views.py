"""Twilio's requests to us: message status callbacks and incoming WhatsApp messages (stub, to be built)."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


@csrf_exempt
@require_POST
def status_callback(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=404)


@csrf_exempt
@require_POST
def inbound_message(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=404)
