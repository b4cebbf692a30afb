"""Deliveries reaching a real receiver (tests/api/test_webhooks_receiver.py: an HTTP server on
127.0.0.1 that verifies every POST with the `standardwebhooks` library): signed and verified, retried
on the schedule until delivered or failed, never followed through a redirect, sent again by the
sweeper once a receiver that was down is up (exactly once), an endpoint switched off after repeated
failure (its administrators told), a resend with the same id."""

import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from api.errors import ManagementError
from api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.webhooks import delivery as engine
from api.webhooks.delivery import WebhookError, endpoint_enable, resend
from api.webhooks.signing import new_secret
from api.webhooks.tasks import sweep_webhooks
from complaints.models import CaseCompany, Complaint
from notifications.models import Notification
from parties.models import Company, User
from tests.api.test_webhooks_receiver import closed_port, http_receiver
from tests.complaints.factories import served_case
from tests.notifications.helpers import rendered

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # the receiver is on 127.0.0.1
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    settings.WEBHOOK_RETRY_SCHEDULE = (60, 300)  # three attempts: now, after 1 min, after 5 min
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 20
    settings.SITE_URL = "https://concilia.test"
    # An attempt's error is kept in the office's language (LANGUAGE_CODE), whoever's request sent it:
    # English here, so that the assertions read the source strings.
    settings.LANGUAGE_CODE = "en"


def endpoint_at(
    url: str, company: Company, admin: User, secret: str, events: list[str] | None = None
) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        company=company, url=url, events=events or list(WebhookEvent.values), secret=secret, created_by=admin
    )


def serve(consumer: User, company: Company, officer: User, capture) -> Complaint:
    """Serve a case and run what its commit queues (the webhook task among the rest)."""
    with capture(execute=True):
        return served_case(consumer, company, officer)


def sweep_at(moment) -> int:
    """What beat does every minute, at `moment` (the receiver's clock travels too)."""
    with time_machine.travel(moment, tick=False):
        return sweep_webhooks()


def due_in(delivery: WebhookDelivery) -> timedelta:
    """How long until the delivery's next attempt."""
    assert delivery.next_attempt_at is not None
    return delivery.next_attempt_at - timezone.now()


def the_delivery() -> WebhookDelivery:
    return WebhookDelivery.objects.get()


# --- Delivered ------------------------------------------------------------------------------------------


def test_a_case_served_reaches_the_receiver_once_signed_and_verified(
    consumer, company, officer, representative, django_capture_on_commit_callbacks
):
    secret = new_secret()
    with http_receiver(secret) as receiver:
        endpoint_at(receiver.url, company, representative, secret, [WebhookEvent.CASE_SERVED])
        case = serve(consumer, company, officer, django_capture_on_commit_callbacks)

    delivery = the_delivery()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        DeliveryStatus.DELIVERED,
        1,
        204,
        "",
    )
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None
    [request] = receiver.requests
    assert request.verified, request.refusal
    assert request.headers["webhook-id"] == str(delivery.uuid)
    assert request.headers["content-type"] == "application/json"
    part = CaseCompany.objects.get(complaint=case)
    assert request.payload == {
        "id": str(delivery.uuid),
        "type": "case.served",
        "created_at": delivery.payload["created_at"],
        "data": {
            "case": {"id": case.pk, "number": case.number, "state": "company_notified"},
            "company_part": {
                "id": part.pk,
                "status": "served",
                "notified_at": delivery.payload["data"]["company_part"]["notified_at"],
            },
            "action": "serve_company",
        },
    }


@pytest.fixture
def down() -> Iterator[socket.socket]:
    """A receiver's port that is down (held, not listening) until http_receiver(sock=down) listens."""
    with closed_port() as sock:
        yield sock


def test_a_receiver_that_is_down_gets_the_delivery_from_the_sweeper_once_it_is_up_exactly_once(
    consumer, company, officer, representative, django_capture_on_commit_callbacks, down
):
    secret = new_secret()
    endpoint = endpoint_at(f"http://127.0.0.1:{down.getsockname()[1]}/hooks/concilia", company, representative, secret)
    serve(consumer, company, officer, django_capture_on_commit_callbacks)

    delivery = the_delivery()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.PENDING, 1, None)
    assert "Could not connect" in delivery.last_error
    wait = due_in(delivery)
    assert timedelta(seconds=50) < wait < timedelta(seconds=70)  # the first wait: a minute, ±10 %
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1

    with http_receiver(secret, sock=down) as receiver:
        assert sweep_at(timezone.now() + timedelta(seconds=20)) == 0  # not due yet
        assert sweep_at(timezone.now() + timedelta(minutes=2)) == 1
        assert sweep_at(timezone.now() + timedelta(minutes=3)) == 0
        assert sweep_at(timezone.now() + timedelta(hours=1)) == 0

    assert receiver.accepted_ids == {str(delivery.uuid): 1}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        DeliveryStatus.DELIVERED,
        2,
        204,
        "",
    )
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0


# --- Failed ---------------------------------------------------------------------------------------------


def test_an_error_answer_is_retried_on_the_schedule_and_fails_after_the_last_attempt(
    consumer, company, officer, representative, django_capture_on_commit_callbacks
):
    secret = new_secret()
    with http_receiver(secret, status=500) as receiver:
        endpoint = endpoint_at(receiver.url, company, representative, secret)
        serve(consumer, company, officer, django_capture_on_commit_callbacks)
        delivery = the_delivery()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.PENDING, 1, 500)
        assert delivery.last_error == "The endpoint answered 500."

        assert sweep_at(timezone.now() + timedelta(minutes=2)) == 1
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 2)
        second_wait = due_in(delivery) - timedelta(minutes=2)
        assert timedelta(seconds=260) < second_wait < timedelta(seconds=340)  # five minutes, ±10 %

        assert sweep_at(timezone.now() + timedelta(minutes=10)) == 1
        assert sweep_at(timezone.now() + timedelta(days=3)) == 0

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.FAILED, 3, None)
    # Every attempt carried the same id, each freshly signed (the receiver verified all three).
    assert [r.headers["webhook-id"] for r in receiver.requests] == [str(delivery.uuid)] * 3
    assert all(r.verified for r in receiver.requests)
    endpoint.refresh_from_db()
    assert (endpoint.consecutive_failures, endpoint.active) == (3, True)


def test_a_redirect_is_a_failure_and_is_not_followed(
    consumer, company, officer, representative, django_capture_on_commit_callbacks
):
    secret = new_secret()
    with http_receiver(secret, status=302, location="http://127.0.0.1:9/elsewhere") as receiver:
        endpoint_at(receiver.url, company, representative, secret)
        serve(consumer, company, officer, django_capture_on_commit_callbacks)

    delivery = the_delivery()
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.PENDING, 302)
    assert "redirects are not followed" in delivery.last_error
    assert len(receiver.requests) == 1


def test_a_receiver_that_does_not_answer_in_time_is_a_failure(
    consumer, company, officer, representative, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    secret = new_secret()
    with http_receiver(secret, delay=2.5) as receiver:
        endpoint_at(receiver.url, company, representative, secret)
        serve(consumer, company, officer, django_capture_on_commit_callbacks)

    delivery = the_delivery()
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.PENDING, None)
    assert delivery.last_error == "The endpoint did not answer in time (1 s)."


# --- Switched off after repeated failure ---------------------------------------------------------------


def test_an_endpoint_failing_n_times_in_a_row_is_switched_off_and_its_administrators_told_once(
    consumer, company, officer, representative, unvalidated_representative, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 2
    User.objects.filter(pk=representative.pk).update(preferred_language="en")  # the e-mail's source strings
    secret = new_secret()
    with http_receiver(secret, status=503) as receiver:
        endpoint = endpoint_at(receiver.url, company, representative, secret)
        serve(consumer, company, officer, django_capture_on_commit_callbacks)
        assert sweep_at(timezone.now() + timedelta(minutes=2)) == 1  # the second failure in a row

        endpoint.refresh_from_db()
        assert (endpoint.active, endpoint.consecutive_failures) == (False, 2)
        assert endpoint.disabled_at is not None and endpoint.disabled_reason
        # The delivery waits, pending, while the endpoint is off: the sweeper leaves it alone.
        assert sweep_at(timezone.now() + timedelta(hours=1)) == 0
        assert len(receiver.requests) == 2

    delivery = the_delivery()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.PENDING, 2, None)
    told = Notification.objects.filter(event="webhook_disabled")
    assert {row.recipient for row in told} == {representative}  # the administrator, not the other representative
    assert told.filter(channel="email").count() == 1
    email = rendered(told.get(channel="email"))
    assert receiver.url in email.body_text
    assert f"/empresa/{company.pk}/webhooks/{endpoint.pk}/" in email.body_text
    # What it says of the deliveries is what happens (the next test): the waiting ones go once it is
    # on again, the events of meanwhile never do.
    text = " ".join(email.body_text.split())
    assert "The deliveries that were waiting are sent once you fix the endpoint and switch it on again" in text
    assert "events that happen while it is off are not sent to it" in text


def test_an_event_while_an_endpoint_is_off_is_never_sent_to_it_the_waiting_deliveries_are(
    consumer, company, officer, representative, django_capture_on_commit_callbacks
):
    secret = new_secret()
    with http_receiver(secret) as receiver:
        endpoint = endpoint_at(receiver.url, company, representative, secret, [WebhookEvent.CASE_SERVED])
        waiting = WebhookDelivery.objects.create(
            endpoint=endpoint, event=WebhookEvent.CASE_SERVED, source="before", payload={"id": "before"}
        )
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False, disabled_at=timezone.now())
        serve(consumer, company, officer, django_capture_on_commit_callbacks)  # meanwhile
        assert list(WebhookDelivery.objects.all()) == [waiting]

        endpoint_enable(endpoint=endpoint, by=representative)
        assert sweep_webhooks() == 1

    assert receiver.accepted_ids == {str(waiting.uuid): 1}


def test_enabling_it_again_forgets_the_failures_and_sends_what_waited(
    consumer, company, officer, representative, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 1
    secret = new_secret()
    with http_receiver(secret, status=503) as receiver:
        endpoint = endpoint_at(receiver.url, company, representative, secret)
        serve(consumer, company, officer, django_capture_on_commit_callbacks)
        endpoint.refresh_from_db()
        assert not endpoint.active

        receiver.status = 204  # the company fixed its receiver
        endpoint = endpoint_enable(endpoint=endpoint, by=representative)
        assert (endpoint.active, endpoint.consecutive_failures, endpoint.disabled_at, endpoint.disabled_reason) == (
            True,
            0,
            None,
            "",
        )
        assert sweep_webhooks() == 1  # due at once, not after its backoff

    delivery = the_delivery()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert receiver.accepted_ids == {str(delivery.uuid): 1}


def test_only_an_administrator_of_the_company_enables_its_endpoint(
    consumer, company, representative, unvalidated_representative, rival
):
    endpoint = endpoint_at("https://erp.example.com/hooks", company, representative, new_secret())
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False, disabled_at=timezone.now())

    for someone in (unvalidated_representative, rival.admin, consumer):
        with pytest.raises(ManagementError):
            endpoint_enable(endpoint=endpoint, by=someone)

    endpoint.refresh_from_db()
    assert not endpoint.active


# --- Resend -------------------------------------------------------------------------------------------


def test_a_resend_sends_the_same_delivery_again_with_the_same_id(
    consumer, company, officer, representative, django_capture_on_commit_callbacks
):
    secret = new_secret()
    with http_receiver(secret) as receiver:
        endpoint_at(receiver.url, company, representative, secret)
        serve(consumer, company, officer, django_capture_on_commit_callbacks)
        delivery = the_delivery()
        with django_capture_on_commit_callbacks(execute=True):
            again = resend(delivery=delivery, by=representative)

    assert again.uuid == delivery.uuid
    assert receiver.accepted_ids == {str(delivery.uuid): 2}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert WebhookDelivery.objects.count() == 1


def test_a_resend_is_refused_to_whoever_does_not_administer_the_company_and_while_it_is_being_sent(
    consumer, company, officer, representative, unvalidated_representative, rival
):
    endpoint = endpoint_at("https://erp.example.com/hooks", company, representative, new_secret())
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event=WebhookEvent.CASE_SERVED, source="test", payload={}, status=DeliveryStatus.FAILED
    )
    for someone in (unvalidated_representative, rival.admin, officer):
        with pytest.raises(ManagementError):
            resend(delivery=delivery, by=someone)

    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENDING)
    with pytest.raises(WebhookError, match="being sent right now"):
        resend(delivery=delivery, by=representative)

    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)
    with pytest.raises(WebhookError, match="switched off"):
        resend(delivery=delivery, by=representative)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED


# --- The sweeper's other duties -------------------------------------------------------------------------


def test_a_delivery_whose_worker_died_while_sending_goes_back_and_is_sent(consumer, company, representative, settings):
    settings.WEBHOOK_LEASE_SECONDS = 60
    secret = new_secret()
    with http_receiver(secret) as receiver:
        endpoint = endpoint_at(receiver.url, company, representative, secret)
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event=WebhookEvent.CASE_SERVED, source="test", payload={"id": "x"}
        )
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        claimed = engine.claim(str(delivery.uuid))
        assert claimed is not None  # …and its worker never came back
        assert sweep_at(timezone.now() + timedelta(seconds=30)) == 0  # the lease still runs
        assert sweep_at(timezone.now() + timedelta(seconds=90)) == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert receiver.accepted_ids == {str(delivery.uuid): 1}
    # The dead worker's late result is not recorded over the one that counts.
    assert engine.record(claimed, engine.Answer(500, "late")) == "lost"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
