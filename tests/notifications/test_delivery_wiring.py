"""The delivery engine hands what it learns to the feedback rules: a formal notice refused for good
at hand-off goes out again by another channel, a provider's report that arrived before the
acceptance was recorded is applied once it is, and the failures page lists what the provider lost."""

from datetime import timedelta
from smtplib import SMTPRecipientsRefused
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications import delivery
from notifications.models import (
    BouncedAddress,
    Channel,
    Notification,
    ProviderCallback,
    ProviderStatus,
    Status,
)
from notifications.services import notify, notify_address
from tests.conftest import log_in
from tests.notifications.twilio_standin import phone_row

pytestmark = pytest.mark.django_db

CASE = "DC-2026-000321"
NOTICE_CONTEXT = {
    "company_name": "Electrodomésticos del Sur S.A.",
    "notice_subject": "Traslado del reclamo",
    "notice_body": "Se le corre traslado del reclamo.",
    "notice_url": "https://concilia.test/cedulas/7/",
    "deemed_served_at": timezone.now() + timedelta(days=3),
    "case_url": "/cedulas/7/",
}


def refusing_mail_server(address: str):
    """A mail server that refuses the recipient for good (550) while we hand the message over."""
    connection = mock.MagicMock()
    connection.__enter__.return_value = connection
    connection.send_messages.side_effect = SMTPRecipientsRefused({address: (550, b"5.1.1 User unknown")})
    return mock.patch("notifications.channels.mail.get_connection", return_value=connection)


def test_a_cedula_refused_at_hand_off_marks_the_domicile_and_reaches_each_representative(
    company, representative, supervisor
):
    [notice] = notify_address(
        email=company.electronic_domicile,
        event="formal_notice",
        context=NOTICE_CONTEXT,
        idempotency_key="formal-notice:7",
        case_number=CASE,
        formal=True,
    )

    with refusing_mail_server(company.electronic_domicile):
        result = delivery.deliver(notice.pk)

    notice.refresh_from_db()
    assert result.outcome == "dead"
    assert notice.status == Status.DEAD
    assert notice.provider_status == ProviderStatus.BOUNCED
    assert BouncedAddress.objects.get(address=company.electronic_domicile).is_active
    assert {(copy.recipient, copy.channel) for copy in notice.fallbacks.all()} == {
        (representative, Channel.EMAIL),
        (representative, Channel.INBOX),
    }
    assert Notification.objects.filter(event="delivery_failed", recipient=supervisor).exists()


def test_an_ordinary_message_refused_at_hand_off_marks_the_address_and_is_not_sent_again(consumer, supervisor):
    [row] = notify(
        recipient=consumer,
        event="complaint_admitted",
        context={},
        idempotency_key="complaint:9:admitted",
        case_number=CASE,
        channels=[Channel.EMAIL],
    )

    with refusing_mail_server(consumer.email):
        delivery.deliver(row.pk)

    row.refresh_from_db()
    assert row.status == Status.DEAD
    assert not row.fallbacks.exists()
    assert BouncedAddress.objects.get(address=consumer.email).is_active
    # The office hears of the newly bounced address, once, and only the supervisors.
    assert list(
        Notification.objects.filter(event="delivery_failed").values_list("recipient", flat=True).distinct()
    ) == [supervisor.pk]


def test_a_failure_reported_before_the_acceptance_is_applied_when_the_worker_records_it(
    consenting_consumer, supervisor
):
    row = phone_row(
        consenting_consumer,
        event="complaint_admitted",
        context={"case_url": "/reclamos/1/"},
        channel=Channel.SMS,
        formal=True,
        status=Status.SENDING,
        attempts=1,
    )
    sid = "SM" + "4" * 32
    # What the status callback view keeps when it cannot find the message yet.
    ProviderCallback.objects.create(provider="twilio", digest="d" * 64, message_id=sid, status="failed", error="30003")

    delivery.record_acceptance(row.pk, attempts=1, provider_message_id=sid)

    row.refresh_from_db()
    assert (row.status, row.provider_message_id) == (Status.SENT, sid)
    assert (row.provider_status, row.provider_error) == (ProviderStatus.FAILED, "30003")
    assert ProviderCallback.objects.get().notification == row
    assert row.fallbacks.exists()


def test_an_e_mail_acceptance_looks_for_no_waiting_report(consumer):
    [row] = notify(
        recipient=consumer,
        event="complaint_admitted",
        context={},
        idempotency_key="complaint:10:admitted",
        case_number=CASE,
        channels=[Channel.EMAIL],
    )
    Notification.objects.filter(pk=row.pk).update(status=Status.SENDING, attempts=1)

    with CaptureQueriesContext(connection) as queries:
        delivery.record_acceptance(row.pk, attempts=1, provider_message_id="<notification.1.x@concilia.example>")

    assert not [q for q in queries.captured_queries if "providercallback" in q["sql"]]
    row.refresh_from_db()
    assert row.status == Status.SENT


def test_the_failures_page_lists_what_the_provider_reported_lost(client, consenting_consumer, supervisor):
    lost = phone_row(
        consenting_consumer,
        event="complaint_admitted",
        context={"case_url": "/reclamos/1/"},
        channel=Channel.SMS,
        status=Status.SENT,
        provider_status=ProviderStatus.UNDELIVERED,
        provider_error="30005 Unknown destination handset",
    )
    delivered = phone_row(
        consenting_consumer,
        event="complaint_admitted",
        context={"case_url": "/reclamos/1/"},
        channel=Channel.WHATSAPP,
        status=Status.SENT,
        provider_status=ProviderStatus.DELIVERED,
    )
    log_in(client, supervisor)

    everything = client.get("/notificaciones/fallidas/", headers={"accept-language": "en"})
    only_lost = client.get("/notificaciones/fallidas/", {"status": "provider"}, headers={"accept-language": "en"})

    assert [row.pk for row in everything.context["page_obj"]] == [lost.pk]
    assert [row.pk for row in only_lost.context["page_obj"]] == [lost.pk]
    assert delivered.pk not in [row.pk for row in everything.context["page_obj"]]
    assert "30005 Unknown destination handset" in everything.content.decode()


def test_a_stripped_formal_notice_that_fails_late_is_not_sent_again(company, representative, supervisor):
    from notifications.feedback import apply_status

    [notice] = notify_address(
        email=company.electronic_domicile,
        event="formal_notice",
        context=NOTICE_CONTEXT,
        idempotency_key="formal-notice:8",
        case_number=CASE,
        formal=True,
    )
    # Sent long ago, then its text and context removed (the case was anonymised).
    Notification.objects.filter(pk=notice.pk).update(
        status=Status.SENT, provider_message_id="SM" + "5" * 32, redacted_at=timezone.now(), context={}
    )
    notice.refresh_from_db()

    assert apply_status(notice, status="failed", error="30003")

    notice.refresh_from_db()
    assert notice.provider_status == ProviderStatus.FAILED
    assert not notice.fallbacks.exists()
