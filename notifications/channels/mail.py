"""E-mail through Django's configured mail backend: a text body, an HTML alternative, attachments.

Each message carries a Message-ID that names its row and proves we wrote it:
`<notification.<pk>.<mac>@<our domain>>`, the mac an HMAC of the pk keyed from SECRET_KEY. A bounce
quotes it back (notifications/bounces.py); anyone can mail the bounce address and row numbers are
sequential, so only a Message-ID whose mac verifies names a row.

An address that bounced for good (notifications.models.BouncedAddress, not cleared) is refused
before anything is sent: the row dies at once, recorded as bounced (notifications.feedback: a formal
notice goes by another channel). A recipient the mail server refuses with a 5xx is `AddressRefused`
(the caller hands it to feedback.handover_failed, which marks the address); a 4xx refusal is tried
again later.
"""

import re
from email import encoders
from email.mime.base import MIMEBase
from email.mime.text import MIMEText
from email.utils import parseaddr
from smtplib import SMTPRecipientsRefused

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils.crypto import constant_time_compare, salted_hmac

from notifications import addresses
from notifications.channels import DeliveryError, PermanentDeliveryError
from notifications.models import Notification

_OUR_MESSAGE_ID = re.compile(r"<notification\.(\d{1,18})\.([0-9a-f]{16})@([^>\s]+)>")
_MAC_SALT = "notifications.channels.mail.message_id"
_MAC_LENGTH = 16  # hex digits: 64 bits, far beyond guessing by mail


class AddressBounced(PermanentDeliveryError):
    """The address is marked as bounced; the row was recorded as bounced before this was raised."""


class AddressRefused(PermanentDeliveryError):
    """The mail server refused the recipient for good (a 5xx answer to RCPT TO)."""

    def __init__(self, address: str, *, code: int, reason: str) -> None:
        super().__init__(f"Recipient refused: {address} ({code} {reason})")
        self.address = address
        self.code = code
        self.reason = f"{code} {reason}"


def _domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "concilia.invalid"


def _mac(pk: int, secret: str | None = None) -> str:
    return salted_hmac(_MAC_SALT, str(pk), secret=secret, algorithm="sha256").hexdigest()[:_MAC_LENGTH]


def message_id(notification: Notification) -> str:
    """Stable per row: if a worker dies after the hand-over and the row is sent again, receiving
    servers that de-duplicate by Message-ID see the same message."""
    return f"<notification.{notification.pk}.{_mac(notification.pk)}@{_domain()}>"


def notification_pk_in(message_id_header: str) -> int | None:
    """The row an e-mail of ours was, from its Message-ID as quoted back by a bounce; None unless
    the mac verifies (an id without one, from before the mac, is not trusted either)."""
    match = _OUR_MESSAGE_ID.search(message_id_header or "")
    if match is None or match.group(3).lower() != _domain().lower():
        return None
    pk = int(match.group(1))
    # A bounce can come days later: mail sent before SECRET_KEY was rotated still names its row.
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return pk if any(constant_time_compare(match.group(2), _mac(pk, secret)) for secret in secrets) else None


def mime_attachment(attachment: dict) -> MIMEBase:
    """Builds the MIME part ourselves so parameters such as `text/calendar; method=REQUEST` survive."""
    content_type, *params = [part.strip() for part in attachment["content_type"].split(";")]
    maintype, _slash, subtype = content_type.partition("/")
    if attachment.get("path"):
        with default_storage.open(attachment["path"], "rb") as handle:
            payload: bytes = handle.read()
    else:
        payload = str(attachment.get("content", "")).encode()
    part: MIMEBase
    if maintype == "text":
        part = MIMEText(payload.decode("utf-8", errors="replace"), subtype, "utf-8")
    else:
        part = MIMEBase(maintype, subtype or "octet-stream")
        part.set_payload(payload)
        encoders.encode_base64(part)
    for param in params:
        key, _eq, value = param.partition("=")
        if key:
            part.set_param(key.strip(), value.strip().strip('"'), requote=False)
    part.add_header("Content-Disposition", "attachment", filename=attachment["filename"])
    return part


def build_message(notification: Notification) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.address],
        headers={"Message-ID": message_id(notification)},
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    for attachment in notification.attachments or []:
        message.attach(mime_attachment(attachment))
    return message


def refuse_if_bounced(notification: Notification) -> None:
    """Raise AddressBounced for an address marked as bounced, after recording it on the row as a
    bounce (so a formal notice is sent again by another channel, and the office told which)."""
    bounced = addresses.active_mark(notification.address)
    if bounced is None:
        return
    error = f"The address bounced on {bounced.bounced_at:%Y-%m-%d %H:%M} UTC: {bounced.reason or 'no reason given'}"
    # Imported here: feedback writes through the outbox, which loads the channels.
    from notifications.feedback import apply_status

    apply_status(notification, status="bounced", error=error)
    raise AddressBounced(error)


def _refusal(exc: SMTPRecipientsRefused, address: str) -> DeliveryError:
    """A 5xx refusal is for good (AddressRefused); anything else (a 4xx: greylisting, a full
    mailbox, a server busy) may pass."""
    refusals = {key.lower(): value for key, value in exc.recipients.items()}
    code, text = refusals.get(address.lower()) or next(iter(refusals.values()), (0, b""))
    reason = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    if 500 <= code < 600:
        return AddressRefused(address, code=code, reason=reason)
    return DeliveryError(f"Recipient refused for now: {address} ({code} {reason})")


class EmailChannel:
    def send(self, notification: Notification) -> str:
        if not notification.address or "@" not in notification.address:
            raise PermanentDeliveryError(f"Not an e-mail address: {notification.address!r}.")
        refuse_if_bounced(notification)
        try:
            message = build_message(notification)
        except FileNotFoundError as exc:
            raise PermanentDeliveryError(f"Attachment missing from storage: {exc}") from exc
        try:
            with get_connection(fail_silently=False) as connection:
                connection.send_messages([message])
        except SMTPRecipientsRefused as exc:
            raise _refusal(exc, notification.address) from exc
        except Exception as exc:  # SMTP, DNS and socket errors alike: try again later
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
        return message_id(notification)
