"""SMS and WhatsApp through Twilio's Messages API, against a tiny HTTP server on 127.0.0.1."""

import base64
import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from notifications import delivery
from notifications.models import Channel, Notification, Status
from notifications.services import notify

pytestmark = pytest.mark.django_db


class FakeTwilio(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), FakeTwilioHandler)
        self.requests: list[dict] = []
        self.reply_status = 201

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class FakeTwilioHandler(BaseHTTPRequestHandler):
    server: FakeTwilio

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        self.server.requests.append(
            {"path": self.path, "authorization": self.headers.get("Authorization"), "form": form}
        )
        status = self.server.reply_status
        body = {"sid": f"SM{len(self.server.requests):032d}", "status": "queued"} if status < 300 else {"code": 21211}
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def twilio(settings) -> Iterator[FakeTwilio]:
    server = FakeTwilio()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_PROVIDER = "twilio"
    settings.WHATSAPP_PROVIDER = "twilio"
    settings.TWILIO_ACCOUNT_SID = "AC0123456789abcdef"
    settings.TWILIO_AUTH_TOKEN = "secret-token"
    settings.TWILIO_FROM_NUMBER = "+15005550006"
    settings.TWILIO_WHATSAPP_FROM = "+14155238886"
    settings.TWILIO_API_BASE = server.base_url
    settings.NOTIFICATION_HTTP_TIMEOUT = 5
    yield server
    server.shutdown()
    server.server_close()


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
    assert request["path"] == "/2010-04-01/Accounts/AC0123456789abcdef/Messages.json"
    assert request["authorization"] == "Basic " + base64.b64encode(b"AC0123456789abcdef:secret-token").decode()
    assert request["form"]["To"] == ["+5491155550000"]
    assert request["form"]["From"] == ["+15005550006"]
    assert "DC-2026-000123" in request["form"]["Body"][0]
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert row.provider_message_id == "SM" + "1".zfill(32)


def test_it_sends_whatsapp_with_the_whatsapp_prefix(consenting_consumer, twilio):
    row = phone_rows(consenting_consumer)[Channel.WHATSAPP]
    assert delivery.deliver(row.pk).outcome == "sent"
    [request] = twilio.requests
    assert request["form"]["To"] == ["whatsapp:+5491155550000"]
    assert request["form"]["From"] == ["whatsapp:+14155238886"]


def test_it_retries_when_twilio_fails_on_its_side(consenting_consumer, twilio):
    twilio.reply_status = 503
    row = phone_rows(consenting_consumer)[Channel.SMS]
    result = delivery.deliver(row.pk)
    assert result.outcome == "retry"
    assert result.retry_in is not None
    row.refresh_from_db()
    assert row.status == Status.FAILED
    assert "503" in row.last_error


def test_it_gives_up_at_once_when_twilio_refuses_the_message(consenting_consumer, twilio):
    twilio.reply_status = 400
    row = phone_rows(consenting_consumer)[Channel.SMS]
    assert delivery.deliver(row.pk).outcome == "dead"
    row.refresh_from_db()
    assert row.status == Status.DEAD
    assert "21211" in row.last_error


def test_it_retries_when_twilio_cannot_be_reached(consenting_consumer, twilio, settings):
    settings.TWILIO_API_BASE = "http://127.0.0.1:1"
    row = phone_rows(consenting_consumer)[Channel.SMS]
    assert delivery.deliver(row.pk).outcome == "retry"


def test_the_console_provider_only_logs(consenting_consumer, caplog):
    row = phone_rows(consenting_consumer)[Channel.SMS]
    with caplog.at_level("INFO", logger="notifications.sms"):
        assert delivery.deliver(row.pk).outcome == "sent"
    assert "+5491155550000" in caplog.text
