"""The 24-hour WhatsApp window: a message from the person (Twilio's signed inbound webhook) opens
it, once per message; while it has a margin left the short text goes as free text, otherwise only
an approved template."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.conf import settings as django_settings
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from notifications import delivery, provider_reports, whatsapp
from notifications.models import Channel, ProviderCallback, ProviderStatus, Status, WhatsAppWindow
from tests.notifications import twilio_standin
from tests.notifications.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, phone_row

pytestmark = pytest.mark.django_db

PHONE = "+5491155550000"
INBOUND_URL = "https://concilia.test/notificaciones/twilio/entrante/"
HEARING_START = datetime(2026, 12, 15, 13, 0, tzinfo=UTC)
REMINDER = "HX" + "1" * 32


@pytest.fixture(autouse=True)
def twilio(settings) -> Iterator[FakeTwilio]:
    with twilio_standin.running(settings) as server:
        server.register_template(REMINDER, language="es_AR", variables=3)
        settings.WHATSAPP_CONTENT_SIDS = {"hearing_reminder": {"es-ar": REMINDER}}
        settings.WHATSAPP_SESSION_HOURS = 24
        yield server


def reminder_row(user):
    return phone_row(
        user, event="hearing_reminder", context={"hearing_start": HEARING_START, "case_url": "/expedientes/1/"}
    )


def inbound(
    client,
    *,
    sender: str = f"whatsapp:{PHONE}",
    token: str = AUTH_TOKEN,
    sid: str = "SM" + "5" * 32,
    headers: dict | None = None,
    **extra,
):
    params = {
        "AccountSid": ACCOUNT_SID,
        "MessageSid": sid,
        "From": sender,
        "To": "whatsapp:+14155238886",
        "Body": "Hola, ¿cuándo es mi audiencia?",
        **extra,
    }
    signature = RequestValidator(token).compute_signature(INBOUND_URL, QueryDict(urlencode(params)))
    return client.post(
        reverse("twilio_inbound_message"), params, headers={"X-Twilio-Signature": signature, **(headers or {})}
    )


def test_inside_the_window_the_short_text_goes_as_free_text(consenting_consumer, twilio):
    WhatsAppWindow.objects.create(phone=PHONE, last_inbound_at=timezone.now() - timedelta(hours=23))
    twilio.open_window(PHONE)
    row = reminder_row(consenting_consumer)
    assert delivery.deliver(row.pk).outcome == "sent"
    [request] = twilio.requests
    assert request["form"]["Body"] == row.body_text
    assert "ContentSid" not in request["form"]
    assert twilio.refusals == []


def test_once_the_window_has_closed_the_template_goes(consenting_consumer, twilio):
    WhatsAppWindow.objects.create(phone=PHONE, last_inbound_at=timezone.now() - timedelta(hours=25))
    row = reminder_row(consenting_consumer)
    assert delivery.deliver(row.pk).outcome == "sent"
    [request] = twilio.requests
    assert request["form"]["ContentSid"] == REMINDER
    assert "Body" not in request["form"]


def test_a_message_from_the_person_opens_the_window(client, consenting_consumer, twilio):
    response = inbound(client)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.decode().endswith("<Response/>")
    window = WhatsAppWindow.objects.get(phone=PHONE)
    assert timezone.now() - window.last_inbound_at < timedelta(minutes=1)

    twilio.open_window(PHONE)
    row = reminder_row(consenting_consumer)
    assert delivery.deliver(row.pk).outcome == "sent"
    assert twilio.requests[0]["form"]["Body"] == row.body_text


def test_a_later_message_keeps_the_window_open_longer(client):
    with time_machine.travel(timezone.now() - timedelta(hours=20), tick=False):
        inbound(client, sid="SM" + "1" * 32)
    inbound(client, sid="SM" + "2" * 32)
    assert timezone.now() - WhatsAppWindow.objects.get(phone=PHONE).last_inbound_at < timedelta(minutes=1)


def test_a_replayed_message_does_not_reopen_the_window(client):
    with time_machine.travel(timezone.now() - timedelta(hours=30), tick=False):
        inbound(client)
        opened = WhatsAppWindow.objects.get(phone=PHONE).last_inbound_at
    assert inbound(client).status_code == 200
    assert WhatsAppWindow.objects.get(phone=PHONE).last_inbound_at == opened


def test_a_replay_with_another_idempotency_header_does_not_reopen_a_closed_window(client):
    """The idempotency header is not signed; the message's SID is, and one message is recorded once."""
    with time_machine.travel(timezone.now() - timedelta(hours=30), tick=False):
        inbound(client, headers={"I-Twilio-Idempotency-Token": "a"})
    assert not whatsapp.window_open(PHONE)
    assert inbound(client, headers={"I-Twilio-Idempotency-Token": "b"}).status_code == 200
    assert not whatsapp.window_open(PHONE)
    assert ProviderCallback.objects.filter(provider=provider_reports.INBOUND).count() == 1


def test_an_older_message_arriving_late_never_moves_the_window_back(client):
    inbound(client, sid="SM" + "2" * 32)
    opened = WhatsAppWindow.objects.get(phone=PHONE).last_inbound_at
    with time_machine.travel(timezone.now() - timedelta(hours=2), tick=False):
        inbound(client, sid="SM" + "1" * 32)
    assert WhatsAppWindow.objects.get(phone=PHONE).last_inbound_at == opened


def test_near_its_end_the_window_counts_as_closed(consenting_consumer, twilio):
    """Free text must reach WhatsApp inside the window; with less than WINDOW_MARGIN left, the
    template goes instead."""
    left = whatsapp.WINDOW_MARGIN - timedelta(minutes=5)
    WhatsAppWindow.objects.create(phone=PHONE, last_inbound_at=timezone.now() - timedelta(hours=24) + left)
    twilio.open_window(PHONE)
    row = reminder_row(consenting_consumer)
    assert delivery.deliver(row.pk).outcome == "sent"
    [request] = twilio.requests
    assert request["form"]["ContentSid"] == REMINDER


def test_a_number_stored_with_spaces_finds_the_window_its_owner_opened(client, consenting_consumer, twilio):
    inbound(client, sender="whatsapp:+5491155550000")
    twilio.open_window(PHONE)
    row = phone_row(
        consenting_consumer,
        event="hearing_reminder",
        context={"hearing_start": HEARING_START, "case_url": "/expedientes/1/"},
        address="+54 9 11 5555-0000",
    )
    assert delivery.deliver(row.pk).outcome == "sent"
    [request] = twilio.requests
    assert request["form"]["To"] == f"whatsapp:{PHONE}"
    assert request["form"]["Body"] == row.body_text


def test_inbound_and_outbound_numbers_are_spelled_alike():
    assert whatsapp.e164("whatsapp:+5491155550000") == whatsapp.e164("+54 9 11 5555-0000") == PHONE
    assert whatsapp.e164("whatsapp:not a number") == ""


def test_a_row_whose_address_is_not_a_phone_number_dies_with_the_reason(consenting_consumer, twilio):
    row = phone_row(
        consenting_consumer,
        event="hearing_reminder",
        context={"hearing_start": HEARING_START, "case_url": "/expedientes/1/"},
        address="llamar a la oficina",
    )
    assert delivery.deliver(row.pk).outcome == "dead"
    row.refresh_from_db()
    assert "Not a phone number" in row.last_error
    assert twilio.requests == []


def test_a_session_longer_than_whatsapps_24_hours_stops_start_up():
    leaks = {"DJANGO_ENV", "DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {key: value for key, value in os.environ.items() if key not in leaks}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=django_settings.BASE_DIR,
        env={**env, "WHATSAPP_SESSION_HOURS": "25"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "WHATSAPP_SESSION_HOURS is at most 24" in result.stderr


def test_an_sms_from_the_person_opens_no_whatsapp_window(client):
    response = inbound(client, sender=PHONE)
    assert response.status_code == 200
    assert not WhatsAppWindow.objects.exists()


def test_a_forged_inbound_message_is_refused_and_opens_nothing(client):
    assert inbound(client, token="not-our-token").status_code == 403
    assert not WhatsAppWindow.objects.exists()


def test_another_accounts_inbound_message_opens_nothing(client):
    assert inbound(client, AccountSid="AC" + "9" * 32).status_code == 403
    assert not WhatsAppWindow.objects.exists()


def test_free_text_outside_twilios_window_is_accepted_then_fails_with_63016(client, consenting_consumer, twilio):
    """Our record of the window is wrong (here: WhatsApp has no conversation with the person that we
    know of): Twilio accepts the free text and its status callback then reports the failure, as in
    production."""
    WhatsAppWindow.objects.create(phone=PHONE, last_inbound_at=timezone.now() - timedelta(hours=1))
    row = reminder_row(consenting_consumer)
    assert delivery.deliver(row.pk).outcome == "sent"
    assert "Body" in twilio.requests[0]["form"]
    twilio.report_outcomes(client)
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert row.provider_status == ProviderStatus.FAILED
    assert row.provider_error.startswith("63016")


def test_templates_sent_outside_the_window_are_delivered(client, consenting_consumer, twilio):
    row = reminder_row(consenting_consumer)
    assert delivery.deliver(row.pk).outcome == "sent"
    assert json.loads(twilio.requests[0]["form"]["ContentVariables"])["1"] == "DC-2026-000123"
    twilio.report_outcomes(client)
    row.refresh_from_db()
    assert row.provider_status == ProviderStatus.DELIVERED
    assert row.channel == Channel.WHATSAPP
