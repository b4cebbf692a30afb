"""Getting a webhook delivery to its endpoint: at least once, signed, never by two workers at once.

The rules, in one place:
- A delivery (api.models.WebhookDelivery) is written pending, in the transaction of the move that
  caused it (api/webhooks/fanout.py); after commit a task tries it (`deliver`).
- It is sent only by whoever *claims* it: one conditional UPDATE, pending → sending, that counts the
  attempt and gives the claimant a lease (`next_attempt_at` = now + WEBHOOK_LEASE_SECONDS). Two
  workers may run the UPDATE at once; PostgreSQL lets one of them change the row.
- 2xx is delivered. Anything else (an error status, a redirect, a timeout, a refused address) is a
  failed attempt: the delivery waits WEBHOOK_RETRY_SCHEDULE[attempt - 1] (±10 %) and is pending
  again; after the last wait's attempt it has failed. A result is recorded only while the claim
  is still ours (same status and attempt count), so a worker that outlived its lease records nothing.
- Every failed attempt counts against the endpoint (`consecutive_failures`, reset by a success); at
  WEBHOOK_DISABLE_AFTER_FAILURES it is switched off and the company's administrators are told once.
  The deliveries of a switched-off endpoint stay pending; they go once it is enabled again.
- Beat runs `sweep` every minute: deliveries whose worker died go back to pending, and the due ones
  (retries, and rows whose task was lost with a broker that was down at commit) are claimed in
  batches with SELECT … FOR UPDATE SKIP LOCKED and handed to tasks (`deliver_claimed`).

Where a request may go: `check_url` (the endpoint form asks it too) wants https and a public
address; the connection itself checks every address the name resolves to before connecting, so a
name that changes its answer after the form was saved cannot reach the office's own network
(WEBHOOK_ALLOW_PRIVATE_ADDRESSES turns both off, for tests and development).
"""

import http.client
import ipaddress
import json
import logging
import random
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from api import policy
from api.errors import ManagementError
from api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from api.webhooks.fanout import complete_payload
from api.webhooks.signing import sign
from notifications.services.outbox import notify
from parties.models import Representation, User

logger = logging.getLogger("api.webhooks")

ERROR_MAX = WebhookDelivery._meta.get_field("last_error").max_length or 300
USER_AGENT = "Concilia-Webhooks/1"


class WebhookError(ManagementError):
    """A refused resend or enable (the administrator reads it); refusals of who the person is are the
    policy's own ManagementError (api/policy.py)."""


# --- Which addresses a delivery may go to -------------------------------------------------------


class RefusedAddress(OSError):
    """The endpoint's name resolves only to addresses a delivery must not reach."""


def _allow_private() -> bool:
    return bool(settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES)


def forbidden_address(address: str) -> bool:
    """Loopback, private, link-local, shared (CGNAT), multicast, reserved or unspecified: not on the
    public internet, so not a company's server as far as we are concerned."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def _scheme_refusal(parts: urllib.parse.SplitResult) -> str | None:
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return _("Enter a full address that starts with https://.")
    if parts.scheme == "http" and not _allow_private():
        return _("Use an https:// address: deliveries are only sent over an encrypted connection.")
    if parts.username or parts.password:
        return _("Leave the user name and password out of the address.")
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number or out of range)
    except ValueError:
        return _("The address has an invalid port.")
    return None


def check_url(url: str) -> str | None:
    """Why a delivery may not go to `url` (in the reader's language), or None when it may: https, no
    credentials in it, and (unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES) a name that resolves, and only to
    public addresses. Asks the DNS."""
    parts = urllib.parse.urlsplit(url.strip())
    refusal = _scheme_refusal(parts)
    if refusal is not None or _allow_private():
        return refusal
    assert parts.hostname is not None  # _scheme_refusal asked
    try:
        addresses = {
            info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443, 0, socket.SOCK_STREAM)
        }
    except (OSError, UnicodeError):
        return _("We could not find the server of this address: check its name.")
    if not addresses or any(forbidden_address(str(address)) for address in addresses):
        return _("This address points to a private or local network. Use a public address.")
    return None


def _connect_public(
    address: tuple[str, int], timeout: Any = None, source_address: Any = None, **_: Any
) -> socket.socket:
    """socket.create_connection, connecting only to addresses `forbidden_address` lets through: the
    check and the connection use the same resolution, so a name cannot change its answer between."""
    host, port = address
    last_error: OSError | None = None
    for family, kind, proto, _name, sockaddr in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        if not _allow_private() and forbidden_address(str(sockaddr[0])):
            last_error = RefusedAddress(f"{host} resolves to a private or local address")
            continue
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is None or isinstance(timeout, int | float):  # else: the module's default object
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            last_error = exc
            sock.close()
    raise last_error or OSError(f"{host} did not resolve")


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _connect_public


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _connect_public


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_GuardedHTTPConnection, req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_GuardedHTTPSConnection, req, context=self._context)  # type: ignore[attr-defined]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx is the endpoint's answer, not a place to follow (a redirect could point anywhere)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _opener() -> urllib.request.OpenerDirector:
    # No proxies from the environment: the address check must see where the request really goes.
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), _NoRedirects(), _GuardedHTTPHandler(), _GuardedHTTPSHandler()
    )


# --- One POST -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What one attempt got: the HTTP status (None without one) and, unless delivered, why not."""

    status_code: int | None
    error: str = ""

    @property
    def delivered(self) -> bool:
        return not self.error and self.status_code is not None and 200 <= self.status_code < 300


def post(*, url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to `url`, once, without following redirects; never raises for the network's sake."""
    refusal = _scheme_refusal(urllib.parse.urlsplit(url))
    if refusal is not None:
        return Answer(None, refusal)
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={**headers, "Content-Type": "application/json", "User-Agent": USER_AGENT},
    )
    try:
        with _opener().open(request, timeout=timeout) as response:
            response.read(64 * 1024)  # the answer's body is not ours to keep; read a little so the socket closes
            return Answer(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        if 300 <= exc.code < 400:
            return Answer(
                exc.code,
                _("The endpoint answered with a redirect (%(code)s); redirects are not followed.") % {"code": exc.code},
            )
        return Answer(exc.code, _("The endpoint answered %(code)s.") % {"code": exc.code})
    except urllib.error.URLError as exc:
        return Answer(None, _network_error(exc.reason, timeout))
    except (OSError, http.client.HTTPException) as exc:
        return Answer(None, _network_error(exc, timeout))


def _network_error(reason: object, timeout: int) -> str:
    if isinstance(reason, RefusedAddress):
        return _("The address resolves to a private or local network; deliveries only go to public addresses.")
    if isinstance(reason, TimeoutError | socket.timeout):
        return _("The endpoint did not answer in time (%(seconds)s s).") % {"seconds": timeout}
    return _("Could not connect: %(reason)s.") % {"reason": reason}


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def send(delivery: WebhookDelivery) -> Answer:
    """Sign the delivery for this moment and POST it to its endpoint."""
    body = body_of(delivery)
    headers = sign(
        secret=delivery.endpoint.secret, message_id=str(delivery.uuid), timestamp=int(time.time()), body=body
    )
    return post(url=delivery.endpoint.url, body=body, headers=headers)


# --- Claiming, recording, retrying ------------------------------------------------------------------


def retry_schedule() -> tuple[int, ...]:
    return tuple(settings.WEBHOOK_RETRY_SCHEDULE)


def max_attempts() -> int:
    """One attempt at once, then one after each wait of the schedule."""
    return len(retry_schedule()) + 1


def retry_after(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt, ±10 % so that the deliveries that failed
    together (an endpoint's outage) do not all come back at the same second."""
    schedule = retry_schedule()
    wait = schedule[min(attempts, len(schedule)) - 1]
    return timedelta(seconds=wait * random.uniform(0.9, 1.1))


def _lease() -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)


def claim(delivery_uuid: str, *, now: datetime | None = None) -> WebhookDelivery | None:
    """Take a due, pending delivery of an active endpoint for sending: the row (now `sending`, its
    attempt counted) when the UPDATE was ours, else None."""
    now = now or timezone.now()
    row = WebhookDelivery.objects.select_related("endpoint").filter(uuid=delivery_uuid).first()
    if row is None or row.status != DeliveryStatus.PENDING or not row.endpoint.active:
        return None
    if row.next_attempt_at is not None and row.next_attempt_at > now:
        return None  # a retry's time has not come: the sweeper takes it then
    claimed = WebhookDelivery.objects.filter(pk=row.pk, status=DeliveryStatus.PENDING, attempts=row.attempts).update(
        status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + _lease()
    )
    if claimed != 1:
        return None
    row.status, row.attempts, row.next_attempt_at = DeliveryStatus.SENDING, row.attempts + 1, now + _lease()
    return row


def _ours(delivery: WebhookDelivery):
    """The row, only while our claim on it stands (a later claimant has a higher attempt count)."""
    return WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING, attempts=delivery.attempts)


def attempt(delivery: WebhookDelivery) -> str:
    """Send a delivery we hold a claim on, and record what happened. Returns the outcome."""
    if complete_payload(delivery):
        _ours(delivery).update(payload=delivery.payload)
    answer = send(delivery)
    return record(delivery, answer)


def record(delivery: WebhookDelivery, answer: Answer, *, now: datetime | None = None) -> str:
    """Write an attempt's result (only while the claim is ours): "delivered", "retry", "failed" or
    "lost" (our claim was taken over meanwhile)."""
    now = now or timezone.now()
    with transaction.atomic():
        if answer.delivered:
            if not _ours(delivery).update(
                status=DeliveryStatus.DELIVERED,
                delivered_at=now,
                next_attempt_at=None,
                last_status_code=answer.status_code,
                last_error="",
            ):
                return "lost"
            WebhookEndpoint.objects.filter(pk=delivery.endpoint_id, consecutive_failures__gt=0).update(
                consecutive_failures=0
            )
            return "delivered"
        final = delivery.attempts >= max_attempts()
        if not _ours(delivery).update(
            status=DeliveryStatus.FAILED if final else DeliveryStatus.PENDING,
            next_attempt_at=None if final else now + retry_after(delivery.attempts),
            last_status_code=answer.status_code,
            last_error=answer.error[:ERROR_MAX],
        ):
            return "lost"
        _count_failure(delivery.endpoint_id, now=now)
    logger.info("Webhook delivery %s, attempt %s: %s", delivery.uuid, delivery.attempts, answer.error)
    return "failed" if final else "retry"


def _count_failure(endpoint_id: int, *, now: datetime) -> None:
    """One more failed attempt in a row; at the limit the endpoint is switched off, once, and its
    company's administrators are told."""
    endpoint = WebhookEndpoint.objects.select_for_update().select_related("company").get(pk=endpoint_id)
    endpoint.consecutive_failures += 1
    fields = ["consecutive_failures"]
    if endpoint.active and endpoint.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES:
        with translation.override(settings.LANGUAGE_CODE):  # a record kept on the row: the office's language
            endpoint.disabled_reason = ngettext(
                "Switched off after %(count)s failed attempt in a row.",
                "Switched off after %(count)s failed attempts in a row.",
                endpoint.consecutive_failures,
            ) % {"count": endpoint.consecutive_failures}
        endpoint.active, endpoint.disabled_at = False, now
        fields += ["active", "disabled_at", "disabled_reason"]
        _tell_administrators(endpoint)
    endpoint.save(update_fields=fields)


def company_administrators(company_id: int) -> list[User]:
    """Who is told about the company's webhooks: its active administrators."""
    admin_ids = Representation.objects.active().filter(company_id=company_id, is_admin=True).values("user_id")
    return list(User.objects.filter(pk__in=admin_ids, is_active=True).order_by("pk"))


def _tell_administrators(endpoint: WebhookEndpoint) -> None:
    assert endpoint.disabled_at is not None
    context: dict[str, object] = {
        "endpoint_url": endpoint.url,
        "failures": endpoint.consecutive_failures,
        "disabled_at": endpoint.disabled_at,
        "company_name": endpoint.company.legal_name,
        "manage_url": endpoint_page_url(endpoint),
    }
    for admin in company_administrators(endpoint.company_id):
        notify(
            recipient=admin,
            event="webhook_disabled",
            context=context,
            idempotency_key=f"webhook-disabled:{endpoint.pk}:{int(endpoint.disabled_at.timestamp())}",
        )


def endpoint_page_url(endpoint: WebhookEndpoint) -> str:
    """The endpoint's delivery log (the company administrator's page, api/views/webhooks.py), absolute."""
    path = reverse("company_webhook", kwargs={"company_pk": endpoint.company_id, "pk": endpoint.pk})
    return settings.SITE_URL.rstrip("/") + path


def deliver(delivery_uuid: str) -> str:
    """What the task runs after commit: claim, send, record. "skipped" when there was nothing to do
    (delivered already, claimed by another worker, not due, endpoint switched off)."""
    delivery = claim(delivery_uuid)
    if delivery is None:
        return "skipped"
    return attempt(delivery)


def deliver_claimed(delivery_uuid: str, attempts: int) -> str:
    """What the sweeper's tasks run: send a delivery the sweeper claimed (its attempt `attempts`)."""
    delivery = (
        WebhookDelivery.objects.select_related("endpoint")
        .filter(uuid=delivery_uuid, status=DeliveryStatus.SENDING, attempts=attempts)
        .first()
    )
    if delivery is None:
        return "skipped"  # the lease ran out and someone else holds it now
    if not delivery.endpoint.active:
        # Switched off since the sweep: give the claim back, the attempt not made.
        _ours(delivery).update(
            status=DeliveryStatus.PENDING, attempts=F("attempts") - 1, next_attempt_at=timezone.now()
        )
        return "skipped"
    return attempt(delivery)


def sweep(*, now: datetime | None = None, batch: int | None = None, queue: Callable[[str, int], object]) -> int:
    """Beat's minute: deliveries whose worker died go back to pending; then up to `batch` due ones of
    active endpoints are claimed (two sweepers take disjoint rows) and handed to `queue(uuid,
    attempts)`. Returns how many were handed over."""
    now = now or timezone.now()
    batch = batch or settings.WEBHOOK_SWEEP_BATCH
    with translation.override(settings.LANGUAGE_CODE):
        unfinished = _("The attempt did not finish (the worker stopped); it is tried again.")
    WebhookDelivery.objects.filter(status=DeliveryStatus.SENDING, next_attempt_at__lte=now).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now, last_error=unfinished
    )
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__active=True)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", "uuid", "attempts")[:batch]
        )
        if not due:
            return 0
        WebhookDelivery.objects.filter(pk__in=[pk for pk, _uuid, _attempts in due]).update(
            status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + _lease()
        )
    handed = 0
    for _pk, delivery_uuid, attempts in due:
        try:
            queue(str(delivery_uuid), attempts + 1)
        except Exception:
            # The broker is away: these rows stay `sending` until their lease ends, then come back.
            logger.warning("Could not queue webhook delivery %s; the sweeper takes it again later.", delivery_uuid)
            break
        handed += 1
    return handed


# --- What a company administrator does (H4's pages) --------------------------------------------------


def _queue_on_commit(delivery_uuid: str) -> None:
    from api.webhooks.tasks import deliver_webhook  # the tasks module imports this one

    transaction.on_commit(lambda: deliver_webhook.delay(delivery_uuid), robust=True)


def resend(*, delivery: WebhookDelivery, by: User) -> WebhookDelivery:
    """Try a delivery again now, whatever became of it: the same delivery (same uuid, so the receiver
    can tell it is the same event), pending, due now, queued after commit. Its attempts keep counting:
    a delivery that had used them all gets this one attempt (failed again if it fails); one that had
    not goes on with the schedule."""
    with transaction.atomic():
        locked = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint__company")
            .get(pk=delivery.pk)
        )
        policy.ensure(policy.MANAGE_COMPANY_API, by, locked.endpoint.company)
        if locked.status == DeliveryStatus.SENDING:
            raise WebhookError(
                _("This delivery is being sent right now. Reload the page in a moment to see how it went.")
            )
        if not locked.endpoint.active:
            raise WebhookError(_("This endpoint is switched off. Enable it first; its pending deliveries then go out."))
        locked.status, locked.next_attempt_at = DeliveryStatus.PENDING, timezone.now()
        locked.save(update_fields=["status", "next_attempt_at"])
        _queue_on_commit(str(locked.uuid))
    return locked


def endpoint_enable(*, endpoint: WebhookEndpoint, by: User) -> WebhookEndpoint:
    """Switch an endpoint on again: its failure count starts from zero, and the deliveries that
    waited while it was off are due now (the sweeper sends them within a minute). Enabling an
    endpoint that is on changes nothing."""
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update(of=("self",)).select_related("company").get(pk=endpoint.pk)
        policy.ensure(policy.MANAGE_COMPANY_API, by, locked.company)
        if locked.active:
            return locked
        locked.active, locked.disabled_at, locked.disabled_reason, locked.consecutive_failures = True, None, "", 0
        locked.save(update_fields=["active", "disabled_at", "disabled_reason", "consecutive_failures"])
        WebhookDelivery.objects.filter(endpoint=locked, status=DeliveryStatus.PENDING).update(
            next_attempt_at=timezone.now()
        )
    return locked
