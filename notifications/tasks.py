"""Celery tasks: thin wrappers that take ids, reload, and call the delivery engine or a service."""

import logging
from collections import Counter
from datetime import datetime

from celery import shared_task
from celery.exceptions import Retry
from django.conf import settings
from django.db import DatabaseError

from notifications import delivery, services

logger = logging.getLogger("notifications.tasks")


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    # A database hiccup while claiming or recording: Celery's own backoff with jitter.
    autoretry_for=(DatabaseError,),
    retry_backoff=settings.NOTIFICATION_RETRY_BACKOFF_SECONDS,
    retry_backoff_max=settings.NOTIFICATION_RETRY_BACKOFF_MAX_SECONDS,
    retry_jitter=True,
    max_retries=settings.NOTIFICATION_MAX_ATTEMPTS,
)
def deliver_notification(self, notification_id: int, accepted: dict | None = None) -> str:
    """One row, as rows queued by an earlier release ask (new rows travel in batches:
    `deliver_notifications`). Claim, render, send, record. With `accepted` (what the provider
    answered to an earlier run whose record failed, and the text it was sent with), only the record
    is written again: the message is never sent twice from here."""
    try:
        if accepted is not None:
            delivery.record_acceptance(
                notification_id,
                attempts=accepted["attempts"],
                provider_message_id=accepted["provider_message_id"],
                sent_at=datetime.fromisoformat(accepted["sent_at"]),
                text=accepted.get("text"),  # absent from payloads queued by an earlier release
            )
            return "sent"
        result = delivery.deliver(notification_id)
    except delivery.AcceptanceNotRecorded as exc:
        # The database is still away: try the write alone later, well within the lease (once the
        # lease is over the sweeper takes the row and sends it again).
        accepted = {
            "attempts": exc.attempts,
            "provider_message_id": exc.provider_message_id,
            "sent_at": exc.sent_at.isoformat(),
            "text": exc.text,
        }
        raise self.retry(
            kwargs={"notification_id": notification_id, "accepted": accepted},
            countdown=min(settings.NOTIFICATION_RETRY_BACKOFF_SECONDS, settings.NOTIFICATION_LEASE_SECONDS // 10),
            max_retries=settings.NOTIFICATION_MAX_ATTEMPTS,
            exc=exc,
        ) from exc
    if result.outcome == "retry" and result.retry_in is not None:
        # A failed send: retry when the row says (its next_attempt_at holds the same backoff, so the
        # sweeper and this retry agree). If the retry cannot be queued, the sweeper takes the row.
        try:
            raise self.retry(countdown=result.retry_in, max_retries=settings.NOTIFICATION_MAX_ATTEMPTS)
        except Retry:
            raise
        except Exception:
            logger.warning("Could not schedule the retry of notification %s.", notification_id, exc_info=True)
    return result.outcome


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=settings.NOTIFICATION_RETRY_BACKOFF_SECONDS,
    retry_backoff_max=settings.NOTIFICATION_RETRY_BACKOFF_MAX_SECONDS,
    retry_jitter=True,
    max_retries=settings.NOTIFICATION_MAX_ATTEMPTS,
)
def deliver_notifications(self, notification_ids: list[int], accepted: dict | None = None) -> dict[str, int]:
    """Claim, render, send and record a batch of rows (the rows of one notify() call, or a chunk of
    the sweeper's). With `accepted`, the record of an earlier run's acceptance (with the text that
    was sent) is written first, alone: that row is never sent twice from here. Returns how many rows ended each way."""
    try:
        if accepted is not None:
            delivery.record_acceptance(
                accepted["notification_id"],
                attempts=accepted["attempts"],
                provider_message_id=accepted["provider_message_id"],
                sent_at=datetime.fromisoformat(accepted["sent_at"]),
                text=accepted.get("text"),  # absent from payloads queued by an earlier release
            )
        results = delivery.deliver_many(notification_ids)
    except delivery.AcceptanceNotRecorded as exc:
        # The database is still away: retry the write alone, well within the lease. The rows of the
        # batch not sent yet stay claimed until their lease ends; then the sweeper takes them.
        accepted = {
            "notification_id": exc.notification_id,
            "attempts": exc.attempts,
            "provider_message_id": exc.provider_message_id,
            "sent_at": exc.sent_at.isoformat(),
            "text": exc.text,
        }
        raise self.retry(
            kwargs={"notification_ids": [], "accepted": accepted},
            countdown=min(settings.NOTIFICATION_RETRY_BACKOFF_SECONDS, settings.NOTIFICATION_LEASE_SECONDS // 10),
            max_retries=settings.NOTIFICATION_MAX_ATTEMPTS,
            exc=exc,
        ) from exc
    retry = {pk: result.retry_in for pk, result in results.items() if result.outcome == "retry" and result.retry_in}
    if retry:
        # The failed rows again, once all their backoffs are over (each row's next_attempt_at holds
        # its own; the sweeper takes any row whose time comes first, and the claim keeps it single).
        try:
            deliver_notifications.apply_async(args=(sorted(retry),), countdown=max(retry.values()), retry=False)
        except Exception:
            logger.warning("Could not schedule the retry of notifications %s.", sorted(retry), exc_info=True)
    return dict(Counter(result.outcome for result in results.values()))


@shared_task(acks_late=True)
def sweep_outbox() -> int:
    return delivery.sweep()


@shared_task(acks_late=True)
def mark_formal_notices_served() -> int:
    return services.formal_notices_mark_deemed_served()


@shared_task(acks_late=True)
def apply_notification_retention() -> dict[str, int]:
    return services.notifications_apply_retention()


@shared_task(acks_late=True)
def apply_stranded_provider_reports() -> int:
    from notifications.provider_reports import apply_stranded_reports

    return apply_stranded_reports()


@shared_task(acks_late=True)
def forget_unclaimed_provider_reports() -> int:
    from notifications.provider_reports import forget_unclaimed_reports

    return forget_unclaimed_reports()


@shared_task(acks_late=True)
def sweep_notice_documents() -> int:
    return services.formal_notice_documents_sweep()
