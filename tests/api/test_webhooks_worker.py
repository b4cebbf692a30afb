"""With a real Redis broker and a real Celery worker: a committed move's delivery reaches the receiver
exactly once (duplicate tasks and sweeps send nothing more), and one written while the broker was
down goes out once the sweeper runs with the broker back."""

import pytest
from django.conf import settings as django_settings
from django.db import transaction

from api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.webhooks.fanout import fan_out_case_event
from api.webhooks.signing import new_secret
from api.webhooks.tasks import deliver_webhook, sweep_webhooks
from complaints.models import CaseEvent
from complaints.services import lock_case
from tests.api.test_webhooks_receiver import http_receiver
from tests.complaints.factories import served_case
from tests.notifications.conftest import UNREACHABLE_BROKER, broker, real_worker, wait_until

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _a_broker_and_a_local_receiver(settings):
    if not django_settings.CELERY_BROKER_URL:
        pytest.skip("needs a Celery broker (set CELERY_BROKER_URL)")
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True


def delivered(delivery_uuid) -> bool:
    return WebhookDelivery.objects.filter(uuid=delivery_uuid, status=DeliveryStatus.DELIVERED).exists()


def test_a_committed_move_is_delivered_exactly_once_through_a_real_worker(consumer, company, officer, representative):
    secret = new_secret()
    with http_receiver(secret) as receiver:
        WebhookEndpoint.objects.create(
            company=company,
            url=receiver.url,
            events=[WebhookEvent.CASE_SERVED],
            secret=secret,
            created_by=representative,
        )
        with real_worker():
            served_case(consumer, company, officer)
            delivery = WebhookDelivery.objects.get()
            assert wait_until(lambda: delivered(delivery.uuid))
            # Queued once more by hand, and swept: the claim keeps it from going twice.
            deliver_webhook.delay(str(delivery.uuid))
            sweep_webhooks.delay()
            wait_until(lambda: False, timeout=1.5)

    assert receiver.accepted_ids == {str(delivery.uuid): 1}
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_a_delivery_written_while_the_broker_was_down_goes_out_with_the_sweeper(
    consumer, company, officer, representative
):
    case = served_case(consumer, company, officer)  # before the endpoint: nothing to deliver yet
    secret = new_secret()
    with http_receiver(secret) as receiver:
        WebhookEndpoint.objects.create(
            company=company,
            url=receiver.url,
            events=[WebhookEvent.CASE_SERVED],
            secret=secret,
            created_by=representative,
        )
        with broker(UNREACHABLE_BROKER, eager=False), transaction.atomic():
            locked = lock_case(case.pk)
            event = CaseEvent.objects.get(complaint=case, action="serve_company")
            [written] = fan_out_case_event(case=locked, event=event)  # queueing fails after commit: logged
        delivery = WebhookDelivery.objects.get(uuid=written.uuid)
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)
        assert receiver.requests == []

        with real_worker():
            sweep_webhooks.delay()  # what beat does every minute
            assert wait_until(lambda: delivered(delivery.uuid))
            sweep_webhooks.delay()
            wait_until(lambda: False, timeout=1.5)

    assert receiver.accepted_ids == {str(delivery.uuid): 1}
