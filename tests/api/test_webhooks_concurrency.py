"""Racing for one delivery on PostgreSQL, in threads with their own connections: two sweepers at
once, or the commit's task and the sweeper at once — the receiver gets one POST, because claiming
is one conditional UPDATE and the sweepers take rows with SKIP LOCKED."""

from collections.abc import Callable

import pytest
from django.utils import timezone

from api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.webhooks.signing import new_secret
from api.webhooks.tasks import deliver_webhook, sweep_webhooks
from tests.api.test_webhooks_receiver import Receiver, http_receiver
from tests.notifications.conftest import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _a_local_receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True


def due_delivery(receiver: Receiver, company, admin) -> WebhookDelivery:
    endpoint = WebhookEndpoint.objects.create(
        company=company, url=receiver.url, events=[WebhookEvent.CASE_SERVED], secret=receiver.secret, created_by=admin
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=WebhookEvent.CASE_SERVED,
        source="case-event:1",
        payload={"type": "case.served"},
        next_attempt_at=timezone.now(),
    )
    WebhookDelivery.objects.filter(pk=delivery.pk).update(payload={"id": str(delivery.uuid), "type": "case.served"})
    return delivery


def test_two_sweeps_at_once_send_a_delivery_once(company, representative):
    secret = new_secret()
    with http_receiver(secret, delay=0.3) as receiver:
        delivery = due_delivery(receiver, company, representative)
        handed = run_in_threads(sweep_webhooks, 2)

    assert sorted(int(str(n)) for n in handed) == [0, 1]
    assert receiver.accepted_ids == {str(delivery.uuid): 1}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 1)


@pytest.mark.parametrize("round_", range(3))
def test_the_commit_task_and_the_sweeper_racing_send_a_delivery_once(company, representative, round_):
    secret = new_secret()
    with http_receiver(secret, delay=0.3) as receiver:
        delivery = due_delivery(receiver, company, representative)
        racers: list[Callable[[], object]] = [lambda: deliver_webhook(str(delivery.uuid)), sweep_webhooks]
        turn = iter(racers)
        outcomes = run_in_threads(lambda: next(turn)(), 2)

    assert receiver.accepted_ids == {str(delivery.uuid): 1}
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 1)
    # One of them sent it ("delivered" from the task, or 1 handed over by the sweeper); the other had nothing.
    assert sorted(map(str, outcomes)) in (["0", "delivered"], ["1", "skipped"])
