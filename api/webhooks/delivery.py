"""Getting a webhook delivery to its endpoint: at least once, signed, never by two workers at once.

The rules, in one place:
- A delivery (api.models.WebhookDelivery) is written pending, in the transaction of the move that
  caused it (api/webhooks/fanout.py); after commit a task tries it (`deliver`).
- It is sent only by whoever *claims* it: one conditional UPDATE, pending → sending, that gives the
  claimant a lease (`next_attempt_at` = now + WEBHOOK_LEASE_SECONDS). Two workers may run the UPDATE
  at once; PostgreSQL lets one of them change the row. An attempt is counted when its request is
  about to be made: by the task's claim (`deliver`), or, for a delivery the sweeper claimed, when
  its task starts (`deliver_claimed`, which restarts the lease) — a task that waited in the broker,
  or never reached it, uses up nothing.
- 2xx is delivered. Anything else (an error status, a redirect, a timeout, a refused address, an
  error of ours while sending) is a failed attempt: the delivery waits WEBHOOK_RETRY_SCHEDULE[attempt
  - 1] (±10 %) and is pending again; after the last wait's attempt it has failed. A result is
  recorded only while the claim is still ours (same status and attempt count), so a worker that
  outlived its lease records nothing. One attempt takes WEBHOOK_TIMEOUT_SECONDS at most in all
  (`_Deadline`), and its task is stopped well before the lease runs out (api/webhooks/tasks.py).
- Every failed attempt counts against the endpoint (`consecutive_failures`, reset by a success); at
  WEBHOOK_DISABLE_AFTER_FAILURES it is switched off and the company's administrators are told once.
  The deliveries of a switched-off endpoint stay pending, *parked* (no `next_attempt_at`, so the
  sweeper's index never reads them); enabling it makes them due. Events that happen while it is off
  write nothing for it (fanout.py writes for active endpoints only).
- Beat runs `sweep` every minute: deliveries whose worker died go back to pending (or have failed,
  if that was their last attempt), and the due ones (retries, and rows whose task was lost with a
  broker that was down at commit) are claimed in batches with SELECT … FOR UPDATE SKIP LOCKED and
  handed to tasks (`deliver_claimed`); those the broker would not take are given back at once.

Where a request may go, and the one POST itself: api/webhooks/transport.py.
"""

import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from api import policy
from api.errors import ManagementError
from api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from api.webhooks.fanout import complete_payload
from api.webhooks.signing import sign
from api.webhooks.transport import Answer, post
from api.webhooks.transport import check_url as check_url  # the endpoint form's and services' import
from notifications.services.outbox import notify
from parties.models import Representation, User

logger = logging.getLogger("api.webhooks")

ERROR_MAX = WebhookDelivery._meta.get_field("last_error").max_length or 300
USER_AGENT = "Concilia-Webhooks/1"
# `attempts` is a smallint: a delivery that reached this many (only resends could take it past the
# schedule) is failed, never claimed, so the sweeper's `attempts + 1` cannot overflow.
ATTEMPTS_CEILING = 32767


class WebhookError(ManagementError):
    """A refused resend or enable (the administrator reads it); refusals of who the person is are the
    policy's own ManagementError (api/policy.py)."""


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


def _in_office_language(message: Promise) -> str:
    """A message kept on the row (last_error): in the office's language, whoever's request or task
    wrote it."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(message)


def claim(delivery_uuid: str, *, now: datetime | None = None) -> WebhookDelivery | None:
    """Take a due, pending delivery of an active endpoint for sending now: the row (now `sending`, its
    attempt counted) when the UPDATE was ours, else None."""
    now = now or timezone.now()
    row = WebhookDelivery.objects.select_related("endpoint").filter(uuid=delivery_uuid).first()
    if row is None or row.status != DeliveryStatus.PENDING or not row.endpoint.active:
        return None
    if row.next_attempt_at is None or row.next_attempt_at > now:
        return None  # a retry's time has not come (the sweeper takes it then), or parked: its endpoint was off
    if row.attempts >= ATTEMPTS_CEILING:
        return None  # the sweeper fails it
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
    """Send a delivery we hold a claim on, and record what happened. Returns the outcome. Whatever
    goes wrong on our side while sending (a payload we cannot complete, an address http.client cannot
    write, the task's time running out) is recorded as a failed attempt like any other, so a delivery
    never loops through the lease without counting."""
    try:
        if complete_payload(delivery):
            _ours(delivery).update(payload=delivery.payload)
        answer = send(delivery)
    except SoftTimeLimitExceeded:
        logger.warning("Webhook delivery %s, attempt %s: the task ran out of time.", delivery.uuid, delivery.attempts)
        answer = Answer(None, _in_office_language(gettext_lazy("The attempt took too long and was stopped.")))
    except Exception:
        logger.exception("Webhook delivery %s, attempt %s: could not be sent.", delivery.uuid, delivery.attempts)
        answer = Answer(None, _in_office_language(gettext_lazy("Could not be sent because of an error on our side.")))
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


def park_pending(endpoint_id: int) -> int:
    """The pending deliveries of a switched-off endpoint wait with no time set (the sweeper's index
    skips them); `endpoint_enable` makes them due. The caller holds the endpoint's row lock, as
    enabling does, so the two never cross."""
    return WebhookDelivery.objects.filter(endpoint_id=endpoint_id, status=DeliveryStatus.PENDING).update(
        next_attempt_at=None
    )


def _count_failure(endpoint_id: int, *, now: datetime) -> None:
    """One more failed attempt in a row; at the limit the endpoint is switched off, once, and its
    company's administrators are told. A switched-off endpoint's deliveries are parked (the one just
    recorded too)."""
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
    if not endpoint.active:  # switched off now, or while this attempt was under way
        park_pending(endpoint.pk)


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
    """What the sweeper's tasks run: send a delivery the sweeper claimed when it had made `attempts`
    attempts. The attempt is counted now, and the lease starts over (the task may have waited in the
    broker); a task that comes too late — the lease ran out and the row was taken again — finds the
    count moved on and does nothing."""
    now = timezone.now()
    delivery = (
        WebhookDelivery.objects.select_related("endpoint")
        .filter(uuid=delivery_uuid, status=DeliveryStatus.SENDING, attempts=attempts)
        .first()
    )
    if delivery is None:
        return "skipped"  # the lease ran out and someone else holds it now, or it was sent already
    if not delivery.endpoint.active:
        _give_back_switched_off(delivery)
        return "skipped"
    started = WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING, attempts=attempts).update(
        attempts=F("attempts") + 1, next_attempt_at=now + _lease()
    )
    if started != 1:
        return "skipped"  # another task of the same claim started first
    delivery.attempts, delivery.next_attempt_at = attempts + 1, now + _lease()
    return attempt(delivery)


def _give_back_switched_off(delivery: WebhookDelivery) -> None:
    """Switched off since the sweep: the claim goes back, no attempt made, parked — under the
    endpoint's lock, so an `endpoint_enable` in between is not undone (it would find the row pending,
    due)."""
    with transaction.atomic():
        active = (
            WebhookEndpoint.objects.select_for_update()
            .filter(pk=delivery.endpoint_id)
            .values_list("active", flat=True)
            .first()
        )
        _ours(delivery).update(status=DeliveryStatus.PENDING, next_attempt_at=timezone.now() if active else None)


def _reclaim_unfinished(now: datetime) -> None:
    """Deliveries whose lease ran out (the worker died, or the task never started): failed, if that
    was their last attempt, else pending and due. (Not parked when their endpoint is off: that would
    need the endpoint's lock, and an endpoint switched off mid-attempt leaves a handful at most.)"""
    over = WebhookDelivery.objects.filter(status=DeliveryStatus.SENDING, next_attempt_at__lte=now)
    last = gettext_lazy("The attempt did not finish (the worker stopped), and it was the last one.")
    over.filter(attempts__gte=max_attempts()).update(
        status=DeliveryStatus.FAILED, next_attempt_at=None, last_error=_in_office_language(last)
    )
    again = gettext_lazy("The attempt did not finish (the worker stopped); it is tried again.")
    over.update(status=DeliveryStatus.PENDING, next_attempt_at=now, last_error=_in_office_language(again))


def sweep(*, now: datetime | None = None, batch: int | None = None, queue: Callable[[str, int], object]) -> int:
    """Beat's minute: deliveries whose worker died go back to pending; then up to `batch` due ones of
    active endpoints are claimed (two sweepers take disjoint rows) and handed to `queue(uuid,
    attempts)`, `attempts` being the count their task starts from. Rows the queue refuses (the
    broker is away) are given back at once, their attempt not counted. Returns how many were handed
    over."""
    now = now or timezone.now()
    batch = batch or settings.WEBHOOK_SWEEP_BATCH
    _reclaim_unfinished(now)
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__active=True)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", "uuid", "attempts")[:batch]
        )
        spent = [pk for pk, _uuid, attempts in due if attempts >= ATTEMPTS_CEILING]
        if spent:
            WebhookDelivery.objects.filter(pk__in=spent).update(
                status=DeliveryStatus.FAILED,
                next_attempt_at=None,
                last_error=_in_office_language(gettext_lazy("Tried too many times; it is not tried again.")),
            )
        due = [row for row in due if row[2] < ATTEMPTS_CEILING]
        if not due:
            return 0
        WebhookDelivery.objects.filter(pk__in=[pk for pk, _uuid, _attempts in due]).update(
            status=DeliveryStatus.SENDING, next_attempt_at=now + _lease()
        )
    for handed, (_pk, delivery_uuid, attempts) in enumerate(due):
        try:
            queue(str(delivery_uuid), attempts)
        except Exception:
            logger.warning(
                "Could not queue webhook delivery %s; it and the %s after it wait for the next sweep.",
                delivery_uuid,
                len(due) - handed - 1,
                exc_info=True,
            )
            _give_back(due[handed:], now=now)
            return handed
    return len(due)


def _give_back(rows: "Sequence[tuple[int, object, int]]", *, now: datetime) -> None:
    """Claims the broker would not take: pending again, due at once, nothing counted. A task that was
    published after all (the error came late) finds the row pending and does nothing."""
    still_ours = Q()
    for pk, _uuid, attempts in rows:
        still_ours |= Q(pk=pk, attempts=attempts)
    WebhookDelivery.objects.filter(still_ours, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now
    )


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
