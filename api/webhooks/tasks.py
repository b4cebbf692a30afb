"""Celery tasks: thin wrappers that take a delivery's uuid and call the delivery engine
(api/webhooks/delivery.py). No retry is scheduled in the broker: a failed attempt's next try is a time
on its row, and beat's sweeper (every minute) sends what is due.

An attempt's POST takes WEBHOOK_TIMEOUT_SECONDS at most (delivery.py's deadline); its task may take
twice that (then SoftTimeLimitExceeded is recorded as a failed attempt) and is killed at three times.
config/settings.py makes the lease longer still, so the sweeper never sends again a delivery whose
worker is still at it. (The limits are enforced by the prefork pool, which production runs.)"""

from celery import shared_task
from django.conf import settings

from api.webhooks import delivery

SOFT_TIME_LIMIT = 2 * settings.WEBHOOK_TIMEOUT_SECONDS
TIME_LIMIT = 3 * settings.WEBHOOK_TIMEOUT_SECONDS


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=SOFT_TIME_LIMIT, time_limit=TIME_LIMIT)
def deliver_webhook(delivery_uuid: str) -> str:
    """After the move's commit (or a resend): claim, send, record."""
    return delivery.deliver(delivery_uuid)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=SOFT_TIME_LIMIT, time_limit=TIME_LIMIT)
def deliver_claimed_webhook(delivery_uuid: str, attempts: int) -> str:
    """A delivery the sweeper claimed when it had made `attempts` attempts."""
    return delivery.deliver_claimed(delivery_uuid, attempts)


def _queue_claimed(delivery_uuid: str, attempts: int) -> None:
    deliver_claimed_webhook.delay(delivery_uuid, attempts)


@shared_task(acks_late=True, ignore_result=True)
def sweep_webhooks() -> int:
    """Beat, every minute: due deliveries (retries; rows whose task was lost) go out."""
    return delivery.sweep(queue=_queue_claimed)
