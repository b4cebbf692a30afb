"""With a real Redis broker and a real Celery worker: a committed notification is delivered exactly
once, and one written while the broker was down is delivered once the broker is back."""

import pytest
from django.core import mail
from django.db import transaction

from notifications.models import Channel, Notification, Status
from notifications.services import notify
from notifications.tasks import sweep_outbox
from tests.notifications.conftest import UNREACHABLE_BROKER, broker, real_worker, wait_until

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def sent(pk: int) -> bool:
    return Notification.objects.filter(pk=pk, status=Status.SENT).exists()


def test_it_delivers_a_committed_notification_exactly_once_through_a_real_worker(consumer):
    with real_worker():
        with transaction.atomic():
            rows = notify(
                recipient=consumer,
                event="complaint_admitted",
                context={"company_name": "Electrodomésticos del Sur S.A."},
                idempotency_key="complaint:1:admitted",
                case_number="DC-2026-000123",
            )
        email = next(row for row in rows if row.channel == Channel.EMAIL)
        assert wait_until(lambda: sent(email.pk))
        # Queue it once more by hand (a duplicate message): the claim keeps it from going twice.
        sweep_outbox.delay()
        from notifications.tasks import deliver_notification

        deliver_notification.delay(email.pk)
        wait_until(lambda: False, timeout=1.5)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["maria@example.com"]
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.SENT, 1)


def test_a_row_written_while_the_broker_was_down_is_delivered_once_it_is_back(consumer, settings):
    settings.NOTIFICATION_QUEUE_GRACE_SECONDS = 0  # due for the sweeper at once
    with broker(UNREACHABLE_BROKER, eager=False), transaction.atomic():
        email = notify(
            recipient=consumer,
            event="complaint_admitted",
            context={},
            idempotency_key="complaint:1:admitted",
            channels=[Channel.EMAIL],
        )[0]
    email.refresh_from_db()
    assert email.status == Status.PENDING
    with real_worker():
        sweep_outbox.delay()  # what beat does every NOTIFICATION_SWEEP_SECONDS
        assert wait_until(lambda: sent(email.pk))
        sweep_outbox.delay()
        wait_until(lambda: False, timeout=1.5)
    assert len(mail.outbox) == 1
