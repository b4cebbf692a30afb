"""SMS and WhatsApp through a provider chosen in settings: `console` (logs, for development) or
`twilio` (Twilio's Messages REST API, spoken with the standard library).

Every message asks Twilio to report its status to us (StatusCallback, when TWILIO_STATUS_CALLBACKS):
the reports move the row's provider_status (notifications/twilio_views.py). Phone numbers are sent as
`whatsapp.e164` spells them, the spelling the WhatsApp window is kept under."""

import base64
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.urls import get_script_prefix, reverse

from notifications import whatsapp
from notifications.channels import DeliveryError, PermanentDeliveryError
from notifications.models import Notification

logger = logging.getLogger("notifications.sms")

# Client errors that mean "slow down" or "try again", not "this message is wrong".
_RETRYABLE_HTTP = {408, 409, 425, 429}


@dataclass(frozen=True)
class OutgoingMessage:
    """What Twilio's Messages API is asked to send: free text (`body`) or an approved template
    (`content_sid` with its `content_variables`), never both."""

    to: str
    sender: str
    body: str = ""
    content_sid: str = ""
    content_variables: dict[str, str] = field(default_factory=dict)
    status_callback: str = ""

    def form(self) -> dict[str, str]:
        form = {"To": self.to, "From": self.sender}
        if self.content_sid:
            form["ContentSid"] = self.content_sid
            if self.content_variables:
                form["ContentVariables"] = json.dumps(self.content_variables, ensure_ascii=False)
        else:
            form["Body"] = self.body
        if self.status_callback:
            form["StatusCallback"] = self.status_callback
        return form


class Provider(Protocol):
    def send_message(self, message: OutgoingMessage) -> str: ...


class ConsoleProvider:
    def send_message(self, message: OutgoingMessage) -> str:
        if message.content_sid:
            logger.info(
                "Template %s to %s from %s: %s",
                message.content_sid,
                message.to,
                message.sender or "(default)",
                message.content_variables,
            )
        else:
            logger.info("Message to %s from %s: %s", message.to, message.sender or "(default)", message.body)
        return ""


class TwilioProvider:
    """POST /2010-04-01/Accounts/{sid}/Messages.json with To, From and Body or ContentSid and
    ContentVariables (and StatusCallback); basic auth sid:token. Spoken with the standard library:
    Twilio's own client would bring `requests` and its own errors, and ours decide the retries."""

    def __init__(self, *, account_sid: str, auth_token: str, api_base: str, timeout: float) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout

    def send_message(self, message: OutgoingMessage) -> str:
        url = f"{self.api_base}/2010-04-01/Accounts/{urllib.parse.quote(self.account_sid)}/Messages.json"
        data = urllib.parse.urlencode(message.form()).encode()
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


def status_callback_url() -> str:
    """Where Twilio reports each message's status (signed; notifications/twilio_views.py): the public
    address, which is also the one the signature is checked on. SITE_URL carries any path prefix the
    proxy serves the site under, so the path is taken without the script prefix a request in
    progress may have set (the worker has none)."""
    if not settings.TWILIO_STATUS_CALLBACKS:
        return ""
    path = reverse("twilio_status_callback").removeprefix(get_script_prefix().rstrip("/"))
    return settings.SITE_URL + path


def _e164(notification: Notification) -> str:
    phone = whatsapp.e164(notification.address)
    if not phone:
        raise PermanentDeliveryError(f"Not a phone number: {notification.address!r}.")
    return phone


class SmsChannel:
    def send(self, notification: Notification) -> str:
        message = OutgoingMessage(
            to=_e164(notification),
            sender=settings.TWILIO_FROM_NUMBER,
            body=notification.body_text,
            status_callback=status_callback_url(),
        )
        return provider_for(settings.SMS_PROVIDER).send_message(message)


class WhatsAppChannel:
    """Free text inside the person's open conversation window; outside it, the event's approved
    template (notifications/whatsapp.py), or nothing at all: free text there would be accepted by
    Twilio and then fail (63016), so a row without a template dies here with the reason."""

    def send(self, notification: Notification) -> str:
        phone = _e164(notification)
        sender = settings.TWILIO_WHATSAPP_FROM
        if sender and not sender.startswith("whatsapp:"):
            sender = f"whatsapp:{sender}"
        if whatsapp.window_open(phone):
            message = OutgoingMessage(
                to=f"whatsapp:{phone}",
                sender=sender,
                body=notification.body_text,
                status_callback=status_callback_url(),
            )
        else:
            try:
                template = whatsapp.template_message(notification)
            except whatsapp.NoTemplate as exc:
                raise PermanentDeliveryError(str(exc)) from exc
            message = OutgoingMessage(
                to=f"whatsapp:{phone}",
                sender=sender,
                content_sid=template.content_sid,
                content_variables=template.variables,
                status_callback=status_callback_url(),
            )
        return provider_for(settings.WHATSAPP_PROVIDER).send_message(message)
