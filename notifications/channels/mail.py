"""E-mail through Django's configured mail backend: a text body, an HTML alternative, attachments."""

from email import encoders
from email.mime.base import MIMEBase
from email.mime.text import MIMEText
from email.utils import parseaddr
from smtplib import SMTPRecipientsRefused

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives, get_connection

from notifications.channels import DeliveryError, PermanentDeliveryError
from notifications.models import Notification


def _domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "concilia.invalid"


def message_id(notification: Notification) -> str:
    """Stable per row: if a worker dies after the hand-over and the row is sent again, receiving
    servers that de-duplicate by Message-ID see the same message."""
    return f"<notification.{notification.pk}@{_domain()}>"


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


class EmailChannel:
    def send(self, notification: Notification) -> str:
        if not notification.address or "@" not in notification.address:
            raise PermanentDeliveryError(f"Not an e-mail address: {notification.address!r}.")
        try:
            message = build_message(notification)
        except FileNotFoundError as exc:
            raise PermanentDeliveryError(f"Attachment missing from storage: {exc}") from exc
        try:
            with get_connection(fail_silently=False) as connection:
                connection.send_messages([message])
        except SMTPRecipientsRefused as exc:
            raise PermanentDeliveryError(f"Recipient refused: {exc.recipients}") from exc
        except Exception as exc:  # SMTP, DNS and socket errors alike: try again later
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
        return message_id(notification)
