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

The provider's acceptance is written first, before anything else, in its own short transaction
(`record_acceptance`). A database error on that write does not lead to a resend: the write is tried
again in the worker (RECORD_RETRY_DELAYS, about 7 s), then by the task alone, without sending
(`AcceptanceNotRecorded` carries what the provider said), until the lease runs out.

The window left: between the provider's acceptance and that write, a worker that is killed, or a
database that stays unreachable longer than those retries and the lease. The row is then still
`sending`; when its lease ends the sweeper takes it and it is sent again (at-least-once). E-mails
carry a stable Message-ID so receiving servers can drop the copy; SMS and WhatsApp have none.
"""

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from notifications.channels import PermanentDeliveryError, get_channel
from notifications.models import OPEN_STATUSES, Notification, Status

logger = logging.getLogger("notifications.delivery")

ERROR_MAX = 2000
# Pauses between tries of the acceptance write inside the worker: a failover or a restarted
# connection pool is over in seconds, and the worker holds nothing else meanwhile.
RECORD_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)


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


def _ours(notification: Notification):
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
    # Nothing may come between the provider's acceptance and this write.
    record_acceptance(notification_id, attempts=notification.attempts, provider_message_id=provider_message_id or "")
    return Result("sent")


class AcceptanceNotRecorded(Exception):
    """The provider accepted the message and the database refused every try of saying so. The
    caller must retry the write alone, with these values, and never send again."""

    def __init__(self, notification_id: int, *, attempts: int, provider_message_id: str, sent_at: datetime):
        super().__init__(f"Notification {notification_id} was accepted but could not be recorded as sent.")
        self.notification_id = notification_id
        self.attempts = attempts
        self.provider_message_id = provider_message_id
        self.sent_at = sent_at


def record_acceptance(
    notification_id: int, *, attempts: int, provider_message_id: str, sent_at: datetime | None = None
) -> None:
    """Mark the row sent (provider id, sent_at) in its own short transaction, only while the claim
    made at `attempts` stands. A lost connection is retried after RECORD_RETRY_DELAYS; if the
    database is still away, raises AcceptanceNotRecorded."""
    sent_at = sent_at or timezone.now()
    for pause in (*RECORD_RETRY_DELAYS, None):
        try:
            with transaction.atomic():
                updated = _mark_sent(
                    notification_id, attempts=attempts, provider_message_id=provider_message_id, sent_at=sent_at
                )
            break
        except (OperationalError, InterfaceError) as exc:
            if pause is None:
                logger.error("Notification %s was accepted; recording it failed: %s", notification_id, exc)
                raise AcceptanceNotRecorded(
                    notification_id, attempts=attempts, provider_message_id=provider_message_id, sent_at=sent_at
                ) from exc
            logger.warning(
                "Notification %s was accepted; recording it failed (%s); trying again in %.1f s.",
                notification_id,
                exc,
                pause,
            )
            _drop_broken_connection()
            time.sleep(pause)
    if not updated:
        # Our lease ran out mid-send and someone else took the row: the message went out twice.
        logger.warning("Notification %s was sent after its lease expired.", notification_id)


def _mark_sent(notification_id: int, *, attempts: int, provider_message_id: str, sent_at: datetime) -> int:
    return Notification.objects.filter(pk=notification_id, status=Status.SENDING, attempts=attempts).update(
        status=Status.SENT, sent_at=sent_at, last_error="", provider_message_id=provider_message_id
    )


def _drop_broken_connection() -> None:
    """Let the next try open a fresh connection. Inside a caller's atomic block (the in-process
    tasks of the tests) the savepoint was rolled back and the connection must stay."""
    if not connection.in_atomic_block:
        connection.close()


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
