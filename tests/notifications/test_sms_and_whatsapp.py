"""SMS and WhatsApp through Twilio's Messages API, against the local stand-in (twilio_standin.py)."""

import base64
from collections.abc import Iterator

import pytest
from django.utils import timezone

from notifications import delivery
from notifications.models import Channel, Notification, Status, WhatsAppWindow
from notifications.services import notify
from tests.notifications import twilio_standin
from tests.notifications.twilio_standin import ACCOUNT_SID, FakeTwilio

pytestmark = pytest.mark.django_db


@pytest.fixture
def twilio(settings) -> Iterator[FakeTwilio]:
    with twilio_standin.running(settings) as server:
        yield server


def phone_rows(user) -> dict[str, Notification]:
    rows = notify(
        recipient=user,
        event="hearing_reminder",
        context={"hearing_start": timezone.now(), "case_url": "/expedientes/1/"},
        idempotency_key="hearing:1:reminder",
        case_number="DC-2026-000123",
        channels=[Channel.SMS, Channel.WHATSAPP],
    )
    return {row.channel: row for row in rows}


def test_it_sends_an_sms_through_twilio(consenting_consumer, twilio):
    row = phone_rows(consenting_consumer)[Channel.SMS]
    assert delivery.deliver(row.pk).outcome == "sent"
    [request] = twilio.requests
    assert request["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request["authorization"] == "Basic " + base64.b64encode(f"{ACCOUNT_SID}:secret-token".encode()).decode()
    assert request["form"]["To"] == "+5491155550000"
    assert request["form"]["From"] == "+15005550006"
    assert "DC-2026-000123" in request["form"]["Body"]
    assert request["form"]["StatusCallback"] == "https://concilia.test/notificaciones/twilio/estado/"
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert row.provider_message_id == "SM" + "1".zfill(32)


def test_it_asks_for_no_status_callback_when_they_are_switched_off(consenting_consumer, twilio, settings):
    settings.TWILIO_STATUS_CALLBACKS = False
    row = phone_rows(consenting_consumer)[Channel.SMS]
    assert delivery.deliver(row.pk).outcome == "sent"
    [request] = twilio.requests
    assert "StatusCallback" not in request["form"]


def test_it_sends_whatsapp_with_the_whatsapp_prefix(consenting_consumer, twilio):
    WhatsAppWindow.objects.create(phone="+5491155550000", last_inbound_at=timezone.now())
    row = phone_rows(consenting_consumer)[Channel.WHATSAPP]
    assert delivery.deliver(row.pk).outcome == "sent"
    [request] = twilio.requests
    assert request["form"]["To"] == "whatsapp:+5491155550000"
    assert request["form"]["From"] == "whatsapp:+14155238886"
    assert twilio.refusals == []


def test_it_retries_when_twilio_fails_on_its_side(consenting_consumer, twilio):
    twilio.reply_status = 503
    row = phone_rows(consenting_consumer)[Channel.SMS]
    result = delivery.deliver(row.pk)
    assert result.outcome == "retry"
    assert result.retry_in is not None
    row.refresh_from_db()
    assert row.status == Status.FAILED
    assert "503" in row.last_error


def test_it_gives_up_at_once_when_twilio_refuses_the_message(consenting_consumer, twilio, settings):
    settings.TWILIO_FROM_NUMBER = ""
    row = phone_rows(consenting_consumer)[Channel.SMS]
    assert delivery.deliver(row.pk).outcome == "dead"
    row.refresh_from_db()
    assert row.status == Status.DEAD
    assert "21603" in row.last_error


def test_it_retries_when_twilio_cannot_be_reached(consenting_consumer, twilio, settings):
    settings.TWILIO_API_BASE = "http://127.0.0.1:1"
    row = phone_rows(consenting_consumer)[Channel.SMS]
    assert delivery.deliver(row.pk).outcome == "retry"


def test_the_console_provider_only_logs(consenting_consumer, caplog):
    row = phone_rows(consenting_consumer)[Channel.SMS]
    with caplog.at_level("INFO", logger="notifications.sms"):
        assert delivery.deliver(row.pk).outcome == "sent"
    assert "+5491155550000" in caplog.text
