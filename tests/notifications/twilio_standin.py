"""A local stand-in for Twilio's Messages and Content APIs that checks what Twilio checks, and sends
signed status callbacks the way Twilio does.

It refuses what Twilio refuses (HTTP 400/401 with Twilio's error codes): a wrong account or token, a
missing To or From, a WhatsApp message whose addresses lack the "whatsapp:" prefix, neither or both
of Body and ContentSid, a ContentSid it does not know, ContentVariables that are not a JSON object
of non-empty strings of at most 1,024 characters. Like Twilio, it does not refuse ContentVariables
that miss some of the template's variables: it fills them with the samples the template was
registered with (a real person would read those) and records which it filled. Free text to WhatsApp
outside the person's 24-hour window is accepted (queued) and then fails with error 63016, reported
by the status callback, as Twilio does. GET /v1/Content/{sid} answers the registered template, as
the Content API does.

    with running(settings) as twilio:
        twilio.register_template("HX…", language="es", variables=3)
        twilio.open_window("+5491155550000")
        … deliver …
        twilio.report_outcomes(client)  # signed callbacks: delivered, or failed 63016
"""

import base64
import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "secret-token"
SMS_FROM = "+15005550006"
WHATSAPP_FROM = "+14155238886"
VARIABLE_VALUE_MAX = 1024


@dataclass(frozen=True)
class RegisteredTemplate:
    """A template as the Content API holds it: its language, body and the sample value of each
    variable ({"1": …, "2": …}), which Twilio also uses for a variable a message leaves out."""

    sid: str
    language: str
    samples: dict[str, str]
    body: str = ""

    def resource(self) -> dict[str, Any]:
        return {
            "sid": self.sid,
            "account_sid": ACCOUNT_SID,
            "friendly_name": f"template_{self.sid.lower()}",
            "language": self.language,
            "variables": self.samples,
            "types": {"twilio/text": {"body": self.body}},
        }


@dataclass
class Message:
    """A message Twilio accepted, with the outcome it will report."""

    sid: str
    form: dict[str, str]
    outcome: str = "delivered"
    error_code: str = ""
    # For a template: the values the person gets, and the variables Twilio took from the samples.
    variables: dict[str, str] = field(default_factory=dict)
    filled_from_samples: list[str] = field(default_factory=list)

    @property
    def status_callback(self) -> str:
        return self.form.get("StatusCallback", "")


@dataclass
class Refusal:
    status: int
    code: int
    message: str


class FakeTwilio(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), FakeTwilioHandler)
        self.requests: list[dict[str, Any]] = []  # Messages API
        self.content_requests: list[str] = []  # Content API paths
        self.messages: list[Message] = []
        self.refusals: list[Refusal] = []
        self.templates: dict[str, RegisteredTemplate] = {}
        self.windows: set[str] = set()
        self.reply_status = 201  # set to 5xx to play an outage

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def register_template(self, sid: str, *, language: str, variables: int | dict[str, str], body: str = "") -> None:
        """A template approved by WhatsApp, as the Content API would hold it: `variables` is its
        samples, or how many there are (each sampled "sample n")."""
        if isinstance(variables, int):
            variables = {str(n): f"sample {n}" for n in range(1, variables + 1)}
        self.templates[sid] = RegisteredTemplate(sid=sid, language=language, samples=dict(variables), body=body)

    def open_window(self, phone: str) -> None:
        """The person wrote to the WhatsApp sender within the last 24 hours."""
        self.windows.add(phone)

    def message(self, sid: str) -> Message:
        return next(message for message in self.messages if message.sid == sid)

    # What Twilio checks when a message is created.

    def check(self, authorization: str | None, path: str, form: dict[str, str]) -> Refusal | None:
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if authorization != expected or path != f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json":
            return Refusal(401, 20003, "Authenticate")
        to, sender = form.get("To", ""), form.get("From", "")
        if not to:
            return Refusal(400, 21604, "A 'To' phone number is required.")
        if not sender:
            return Refusal(400, 21603, "A 'From' phone number is required.")
        if to.startswith("whatsapp:") != sender.startswith("whatsapp:"):
            return Refusal(400, 21910, "Invalid From and To pair. From and To should be of the same channel.")
        if ("Body" in form) == ("ContentSid" in form):
            return Refusal(400, 21619, "A text message body or a ContentSid is required, not both.")
        if "ContentSid" in form:
            return self.check_template(form["ContentSid"], form.get("ContentVariables"))
        if not form["Body"]:
            return Refusal(400, 21602, "Message body is required.")
        return None

    def check_template(self, content_sid: str, raw_variables: str | None) -> Refusal | None:
        template = self.templates.get(content_sid)
        if template is None:
            return Refusal(400, 21655, f"The ContentSid {content_sid} is invalid.")
        try:
            variables = json.loads(raw_variables) if raw_variables is not None else {}
        except json.JSONDecodeError:
            return Refusal(400, 21656, "The ContentVariables parameter is invalid JSON.")
        if not isinstance(variables, dict):
            return Refusal(400, 21656, "The ContentVariables parameter must be a JSON object.")
        for value in variables.values():
            if not isinstance(value, str) or not value.strip() or len(value) > VARIABLE_VALUE_MAX:
                return Refusal(400, 21656, "Each ContentVariables value must be a non-empty string ≤ 1024.")
        return None

    def accept(self, form: dict[str, str]) -> Message:
        message = Message(sid=f"SM{len(self.messages) + 1:032d}", form=form)
        to = form["To"]
        if to.startswith("whatsapp:") and "Body" in form and to.removeprefix("whatsapp:") not in self.windows:
            message.outcome, message.error_code = "failed", "63016"
        if "ContentSid" in form:
            given = json.loads(form.get("ContentVariables") or "{}")
            samples = self.templates[form["ContentSid"]].samples
            message.variables = {key: given.get(key, sample) for key, sample in samples.items()}
            message.filled_from_samples = [key for key in samples if key not in given]
        self.messages.append(message)
        return message

    # Twilio's status callbacks.

    def callback(self, message: Message, status: str, *, error_code: str = "") -> tuple[str, dict[str, str], str]:
        """The URL, form and X-Twilio-Signature of a status callback for `message`."""
        params = {
            "AccountSid": ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
            "From": message.form["From"],
            "To": message.form["To"],
            "MessageSid": message.sid,
            "SmsSid": message.sid,
            "MessageStatus": status,
            "SmsStatus": status,
        }
        if error_code:
            params["ErrorCode"] = error_code
        url = message.status_callback
        return url, params, RequestValidator(AUTH_TOKEN).compute_signature(url, params)

    def report(self, client: Any, sid: str, status: str, *, error_code: str = "") -> Any:
        """POST one signed status callback through Django's test client (to the path of the URL the
        message named) and return the response."""
        url, params, signature = self.callback(self.message(sid), status, error_code=error_code)
        path = urllib.parse.urlsplit(url).path
        return client.post(path, params, headers={"X-Twilio-Signature": signature})

    def report_outcomes(self, client: Any) -> None:
        """What Twilio reports for each message it accepted: sent then delivered, or failed."""
        for message in self.messages:
            if message.outcome == "failed":
                self.report(client, message.sid, "failed", error_code=message.error_code)
            else:
                self.report(client, message.sid, "sent")
                self.report(client, message.sid, "delivered")


class FakeTwilioHandler(BaseHTTPRequestHandler):
    server: FakeTwilio

    def do_GET(self) -> None:
        """The Content API: GET /v1/Content/{sid}."""
        authorization = self.headers.get("Authorization")
        self.server.content_requests.append(self.path)
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if authorization != expected:
            self.reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
            return
        template = self.server.templates.get(self.path.removeprefix("/v1/Content/"))
        if not self.path.startswith("/v1/Content/") or template is None:
            self.reply(404, {"code": 20404, "message": "The requested resource was not found", "status": 404})
            return
        self.reply(200, template.resource())

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        parsed = urllib.parse.parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
        form = {key: values[-1] for key, values in parsed.items()}
        authorization = self.headers.get("Authorization")
        self.server.requests.append({"path": self.path, "authorization": authorization, "form": form})
        if self.server.reply_status >= 300:
            self.reply(self.server.reply_status, {"code": 20500, "message": "Internal Server Error"})
            return
        refusal = self.server.check(authorization, self.path, form)
        if refusal is not None:
            self.server.refusals.append(refusal)
            self.reply(refusal.status, {"code": refusal.code, "message": refusal.message, "status": refusal.status})
            return
        message = self.server.accept(form)
        self.reply(201, {"sid": message.sid, "status": "queued", "account_sid": ACCOUNT_SID})

    def reply(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def running(settings: Any) -> Iterator[FakeTwilio]:
    """The stand-in on a free port, with the project's settings pointed at it."""
    server = FakeTwilio()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_PROVIDER = "twilio"
    settings.WHATSAPP_PROVIDER = "twilio"
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_FROM_NUMBER = SMS_FROM
    settings.TWILIO_WHATSAPP_FROM = WHATSAPP_FROM
    settings.TWILIO_API_BASE = server.base_url
    settings.TWILIO_CONTENT_API_BASE = server.base_url
    settings.TWILIO_STATUS_CALLBACKS = True
    settings.WHATSAPP_CONTENT_SIDS = {}
    settings.NOTIFICATION_HTTP_TIMEOUT = 5
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def phone_row(recipient: Any, *, event: str, context: dict[str, Any], channel: str = "whatsapp", **fields: Any) -> Any:
    """An outbox row as the worker hands it to the channel: the event's context stored by the
    codec, subject and short text already rendered."""
    import uuid

    from notifications import codec
    from notifications.models import Notification

    language = fields.pop("language", "es-ar")
    values = {
        "address": "+5491155550000",
        "case_number": "DC-2026-000123",
        "subject": "Recordatorio: audiencia DC-2026-000123",
        "body_text": "Concilia: Recordatorio: audiencia DC-2026-000123 https://concilia.test/expedientes/1/",
        **fields,
    }
    return Notification.objects.create(
        recipient=recipient,
        channel=channel,
        event=event,
        language=language,
        context=codec.encode(context, language=language),
        idempotency_key=f"test:{uuid.uuid4().hex}",
        **values,
    )
