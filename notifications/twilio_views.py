"""Twilio's requests to us: message status callbacks and incoming WhatsApp messages.

Both are signed: Twilio computes X-Twilio-Signature (HMAC-SHA1 with our auth token) over the URL it
called and the posted form, and `twilio.request_validator.RequestValidator` checks it. The URL is
the public one, settings.SITE_URL + the path the site saw (`get_full_path_info`, without the
SCRIPT_NAME a proxy may pass: SITE_URL already carries that prefix). It is the address we gave
Twilio (StatusCallback on every message, the inbound URL on the WhatsApp sender). Behind the
TLS-terminating proxy Django sees http://, an internal host or port, so
`request.build_absolute_uri()` could name a different URL than the one Twilio signed, and every
genuine request would be refused. Only auth-token signatures are accepted: a webhook signed with a
Twilio shared key (X-Twilio-Webhooks-Signature-Settings) is refused.

The views check the signature and the form; recording and applying the report is
notifications/provider_reports.py. A replay, or a report for a message we do not know (yet), is
answered 200: an error answer would only make Twilio try again and log failures in the office's
console.
"""

import logging
import re

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from notifications import provider_reports, whatsapp

logger = logging.getLogger("notifications.twilio")

_SID = re.compile(r"^[A-Z]{2}[0-9A-Za-z]{1,98}$")
_STATUS = re.compile(r"^[a-z_]{1,20}$")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def _signed_by_twilio(request: HttpRequest) -> bool:
    token = settings.TWILIO_AUTH_TOKEN
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    url = settings.SITE_URL + request.get_full_path_info()
    return RequestValidator(token).validate(url, request.POST, signature)


def _ours(request: HttpRequest) -> bool:
    """Signed with our token and about our account (a request signed for a subaccount is not ours)."""
    return _signed_by_twilio(request) and request.POST.get("AccountSid") == settings.TWILIO_ACCOUNT_SID


@csrf_exempt
@transaction.non_atomic_requests  # provider_reports.record_status commits the report before it looks for the row
@require_POST
def status_callback(request: HttpRequest) -> HttpResponse:
    if not _ours(request):
        logger.warning("Refused a Twilio status callback with a wrong signature or account.")
        return HttpResponseForbidden()
    message_id, status = request.POST.get("MessageSid", ""), request.POST.get("MessageStatus", "")
    if not _SID.match(message_id) or not _STATUS.match(status):
        return HttpResponseBadRequest()
    provider_reports.record_status(
        message_id=message_id,
        status=status,
        error_code=request.POST.get("ErrorCode", ""),
        error_message=request.POST.get("ErrorMessage", ""),
    )
    return HttpResponse(status=200)


@csrf_exempt
@require_POST
def inbound_message(request: HttpRequest) -> HttpResponse:
    """Someone wrote to our WhatsApp number: their 24-hour window opens. We answer nothing
    (empty TwiML); the office reads the conversation in Twilio's console."""
    if not _ours(request):
        logger.warning("Refused a Twilio inbound message with a wrong signature or account.")
        return HttpResponseForbidden()
    sender, message_id = request.POST.get("From", ""), request.POST.get("MessageSid", "")
    phone = whatsapp.e164(sender)
    if sender.startswith("whatsapp:") and phone and _SID.match(message_id):
        provider_reports.record_inbound_message(message_id=message_id, phone=phone)
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")
