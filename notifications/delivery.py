"""Getting outbox rows out of the door, exactly once, whatever dies on the way.

The rules, in one place:
- A row is sent only by whoever *claims* it: one conditional UPDATE that moves it to `sending`,
  counts the attempt and gives the claimant a lease (`next_attempt_at` = now + lease). Two workers
  can run the UPDATE at once; the database lets only one of them change the row.
- Claimable: a pending row, or a failed row whose backoff is over, or a row in `sending` whose
  lease ran out (its worker died: acks_late re-delivers the task, or the sweeper finds the row).
- Once sent, the row becomes `sent` (only if the claim is still ours). A failure records the error
  and a backoff in `next_attempt_at`; after NOTIFICATION_MAX_ATTEMPTS attempts the row is `dead`.
- The sweeper re-queues rows whose time has come (pending rows the queue lost, failed rows whose
  backoff is over, rows whose lease ran out) with SELECT … FOR UPDATE SKIP LOCKED, so two sweepers
  pick disjoint rows, and the claim keeps a row queued twice from being sent twice.

The one window left is a worker that dies after the provider accepted the message and before the
row says `sent`: the row is sent again after the lease (at-least-once). E-mails carry a stable
Message-ID so receiving servers can drop the copy.
"""

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from notifications.channels import PermanentDeliveryError, get_channel
from notifications.models import OPEN_STATUSES, Notification, Status

logger = logging.getLogger("notifications.delivery")

ERROR_MAX = 2000


@dataclass(frozen=True)
class Result:
    outcome: str  # "sent", "skipped", "retry", "dead"
    retry_in: float | None = None


def max_attempts() -> int:
    return settings.NOTIFICATION_MAX_ATTEMPTS


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with "equal jitter": half of each step is fixed, half random, so retries
    of many rows that failed together (a provider outage) spread out instead of arriving at once."""
    base = settings.NOTIFICATION_RETRY_BACKOFF_SECONDS
    cap = settings.NOTIFICATION_RETRY_BACKOFF_MAX_SECONDS
    step = min(cap, base * 2 ** max(0, attempts - 1))
    return step / 2 + random.uniform(0, step / 2)


def claim(notification_id: int, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    lease = timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)
    claimable = Q(status=Status.PENDING) | Q(status__in=[Status.FAILED, Status.SENDING], next_attempt_at__lte=now)
    updated = Notification.objects.filter(claimable, pk=notification_id, attempts__lt=max_attempts()).update(
        status=Status.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + lease
    )
    return updated == 1


def _ours(notification: Notification):  # type: ignore[no-untyped-def]
    """The row, only while our claim on it stands (a later claimant has a higher attempt count)."""
    return Notification.objects.filter(pk=notification.pk, status=Status.SENDING, attempts=notification.attempts)


def deliver(notification_id: int) -> Result:
    """Claim the row, send it, record the outcome. Never raises for a failed send."""
    if not claim(notification_id):
        return Result("skipped")
    notification = Notification.objects.get(pk=notification_id)
    try:
        provider_message_id = get_channel(notification.channel).send(notification)
    except PermanentDeliveryError as exc:
        _bury(notification, exc)
        return Result("dead")
    except Exception as exc:  # any other failure may pass: retry, up to the limit
        return _record_failure(notification, exc)
    now = timezone.now()
    if not _ours(notification).update(
        status=Status.SENT, sent_at=now, last_error="", provider_message_id=provider_message_id or ""
    ):
        # Our lease ran out mid-send and someone else took the row: the message went out twice.
        logger.warning("Notification %s was sent after its lease expired.", notification.pk)
    return Result("sent")


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:ERROR_MAX]


def _bury(notification: Notification, exc: BaseException) -> None:
    logger.error("Notification %s failed for good: %s", notification.pk, exc)
    _ours(notification).update(status=Status.DEAD, last_error=_error_text(exc))


def _record_failure(notification: Notification, exc: BaseException) -> Result:
    if notification.attempts >= max_attempts():
        _bury(notification, exc)
        return Result("dead")
    delay = backoff_seconds(notification.attempts)
    logger.warning(
        "Notification %s attempt %s failed (%s); next in %.0f s.", notification.pk, notification.attempts, exc, delay
    )
    _ours(notification).update(
        status=Status.FAILED,
        last_error=_error_text(exc),
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
    )
    return Result("retry", retry_in=delay)


def enqueue(notification_ids: list[int]) -> None:
    """Hand rows to the queue. Never raises: if the broker is down the rows stay pending and the
    sweeper takes them once their grace is over."""
    from notifications.tasks import deliver_notification

    for position, pk in enumerate(notification_ids):
        try:
            deliver_notification.apply_async(args=(pk,), retry=False)
        except Exception:
            logger.warning(
                "Could not queue notifications %s; the sweeper will deliver them.",
                notification_ids[position:],
                exc_info=True,
            )
            return


def sweep(*, batch_size: int | None = None, max_batches: int = 20) -> int:
    """Re-queue every due row. Returns how many rows were handed to the queue."""
    batch_size = batch_size or settings.NOTIFICATION_SWEEP_BATCH
    now = timezone.now()
    # A row whose last allowed attempt died with its worker will not be tried again.
    buried = Notification.objects.filter(
        status=Status.SENDING, next_attempt_at__lte=now, attempts__gte=max_attempts()
    ).update(status=Status.DEAD, last_error="The worker stopped during the last allowed attempt.")
    if buried:
        logger.error("%s notifications died with their workers on their last attempt.", buried)
    queued = 0
    grace = timedelta(seconds=settings.NOTIFICATION_QUEUE_GRACE_SECONDS)
    for _batch in range(max_batches):
        with transaction.atomic():
            ids = list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(status__in=OPEN_STATUSES, next_attempt_at__lte=now, attempts__lt=max_attempts())
                .order_by("next_attempt_at")
                .values_list("pk", flat=True)[:batch_size]
            )
            if ids:
                # Pending again, with a fresh grace: the next sweep leaves them to the queued task.
                Notification.objects.filter(pk__in=ids).update(status=Status.PENDING, next_attempt_at=now + grace)
        if not ids:
            break
        enqueue(ids)
        queued += len(ids)
        if len(ids) < batch_size:
            break
    return queued
