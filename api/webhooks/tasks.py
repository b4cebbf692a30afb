"""Celery tasks: thin wrappers that take a delivery's uuid and call the delivery engine
(api/webhooks/delivery.py). No retry is scheduled in the broker: a failed attempt's next try is a time
on its row, and beat's sweeper (every minute) sends what is due."""

from celery import shared_task

from api.webhooks import delivery


@shared_task(acks_late=True, ignore_result=True)
def deliver_webhook(delivery_uuid: str) -> str:
    """After the move's commit (or a resend): claim, send, record."""
    return delivery.deliver(delivery_uuid)


@shared_task(acks_late=True, ignore_result=True)
def deliver_claimed_webhook(delivery_uuid: str, attempts: int) -> str:
    """A delivery the sweeper claimed for its attempt `attempts`."""
    return delivery.deliver_claimed(delivery_uuid, attempts)


def _queue_claimed(delivery_uuid: str, attempts: int) -> None:
    deliver_claimed_webhook.delay(delivery_uuid, attempts)


@shared_task(acks_late=True, ignore_result=True)
def sweep_webhooks() -> int:
    """Beat, every minute: due deliveries (retries; rows whose task was lost) go out."""
    return delivery.sweep(queue=_queue_claimed)
