"""Bounces: the mail server's door for delivery status notifications, and the office's page of
the addresses they marked.

`bounce_report`: POST the raw DSN as the body (Content-Type message/rfc822 or anything else: the body is read as
it is) with `Authorization: Bearer <BOUNCE_WEBHOOK_SECRET>`. Answers 202 when the report was read,
400 when the body is not a DSN, 403 without the right secret, 413 when it is too large, and 404
while BOUNCE_WEBHOOK_SECRET is empty (the door is shut).

`bounced_addresses` / `bounced_address_clear`: the office's staff see every marked address (search,
newest first) and clear a mark once the address works again; to anyone else the pages do not exist
(notifications.policy.may_watch_deliveries, as on the failures page)."""

import hmac

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from notifications import addresses, bounces, selectors
from notifications.views import PAGE_SIZE, delivery_watcher_or_404
from parties.http import AuthenticatedRequest
from parties.paginator import CappedPaginator
from parties.redirects import safe_next

SEARCH_MAX = 254  # an address is never longer


def _authorised(request: HttpRequest, secret: str) -> bool:
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), secret.encode())


def _text(status: int, message: str) -> HttpResponse:
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_POST
def bounce_report(request: HttpRequest) -> HttpResponse:
    secret = settings.BOUNCE_WEBHOOK_SECRET
    if not secret:
        raise Http404
    if not _authorised(request, secret):
        return _text(403, "Missing or wrong bearer token.")
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if length > bounces.MAX_BYTES:
        return _text(413, f"A delivery report may not exceed {bounces.MAX_BYTES} bytes.")
    try:
        outcome = bounces.process_report(request.body)
    except bounces.NotADeliveryReport as exc:
        return _text(400, str(exc))
    return _text(
        202,
        f"Read: {len(outcome.bounced)} hard bounce(s), {len(outcome.transient)} transient, "
        f"{len(outcome.ignored)} ignored.",
    )


@login_required
def bounced_addresses(request: AuthenticatedRequest) -> HttpResponse:
    user = delivery_watcher_or_404(request)
    query = request.GET.get("q", "").strip()[:SEARCH_MAX]
    marks = selectors.bounced_address_search(selectors.bounced_addresses_visible_to(user), query)
    page_obj = CappedPaginator(marks, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/bounced_addresses.html", {"page_obj": page_obj, "query": query})


@require_POST
@login_required
def bounced_address_clear(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = delivery_watcher_or_404(request)
    bounced = selectors.bounced_address_for(user, pk)
    if addresses.bounced_address_clear(bounced=bounced, by=user):
        messages.success(
            request, _("The mark on %(address)s was cleared: e-mail to it resumes.") % {"address": bounced.address}
        )
    else:
        messages.info(request, _("The mark on %(address)s had already been cleared.") % {"address": bounced.address})
    return redirect(safe_next(request, "bounced_addresses"))
