"""SMS and WhatsApp through a provider chosen in settings: `console` (logs, for development) or
`twilio` (Twilio's Messages REST API, spoken with the standard library)."""

import base64
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from typing import Protocol

from django.conf import settings

from notifications.channels import DeliveryError, PermanentDeliveryError
from notifications.models import Notification

logger = logging.getLogger("notifications.sms")

# Client errors that mean "slow down" or "try again", not "this message is wrong".
_RETRYABLE_HTTP = {408, 409, 425, 429}


class Provider(Protocol):
    def send_message(self, *, to: str, sender: str, body: str) -> str: ...


class ConsoleProvider:
    def send_message(self, *, to: str, sender: str, body: str) -> str:
        logger.info("Message to %s from %s: %s", to, sender or "(default)", body)
        return ""


class TwilioProvider:
    """POST /2010-04-01/Accounts/{sid}/Messages.json with To, From, Body; basic auth sid:token."""

    def __init__(self, *, account_sid: str, auth_token: str, api_base: str, timeout: float) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout

    def send_message(self, *, to: str, sender: str, body: str) -> str:
        url = f"{self.api_base}/2010-04-01/Accounts/{urllib.parse.quote(self.account_sid)}/Messages.json"
        data = urllib.parse.urlencode({"To": to, "From": sender, "Body": body}).encode()
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        request = urllib.request.Request(
            url,
            data=data,
            method="POST",
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:500].decode(errors="replace")
            if 400 <= exc.code < 500 and exc.code not in _RETRYABLE_HTTP:
                raise PermanentDeliveryError(f"Twilio refused the message ({exc.code}): {detail}") from exc
            raise DeliveryError(f"Twilio answered {exc.code}: {detail}") from exc
        except (TimeoutError, urllib.error.URLError, ConnectionError, json.JSONDecodeError) as exc:
            raise DeliveryError(f"Twilio unreachable: {exc}") from exc
        return str(payload.get("sid", ""))


def provider_for(name: str) -> Provider:
    if name == "twilio":
        return TwilioProvider(
            account_sid=settings.TWILIO_ACCOUNT_SID,
            auth_token=settings.TWILIO_AUTH_TOKEN,
            api_base=settings.TWILIO_API_BASE,
            timeout=settings.NOTIFICATION_HTTP_TIMEOUT,
        )
    return ConsoleProvider()


class SmsChannel:
    def send(self, notification: Notification) -> str:
        if not notification.address.startswith("+"):
            raise PermanentDeliveryError(f"Not an E.164 phone number: {notification.address!r}.")
        return provider_for(settings.SMS_PROVIDER).send_message(
            to=notification.address, sender=settings.TWILIO_FROM_NUMBER, body=notification.body_text
        )


class WhatsAppChannel:
    def send(self, notification: Notification) -> str:
        if not notification.address.startswith("+"):
            raise PermanentDeliveryError(f"Not an E.164 phone number: {notification.address!r}.")
        sender = settings.TWILIO_WHATSAPP_FROM
        if sender and not sender.startswith("whatsapp:"):
            sender = f"whatsapp:{sender}"
        return provider_for(settings.WHATSAPP_PROVIDER).send_message(
            to=f"whatsapp:{notification.address}", sender=sender, body=notification.body_text
        )
