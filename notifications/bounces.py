"""E-mail bounces: delivery status notifications (RFC 3464) from the mail server, read once.

A DSN is a `multipart/report; report-type=delivery-status` message with a human-readable part, a
`message/delivery-status` part (a block of per-message fields, then one block per recipient:
Final-Recipient, Original-Recipient, Action, Status, Diagnostic-Code) and the original message or
only its headers (`message/rfc822` or `text/rfc822-headers`).

Anyone can mail the bounce address, so a report is believed only as far as it proves itself:
- it names our row by the original Message-ID, whose mac only we can write (channels/mail.py);
  without one, nothing is recorded (logged): an address no row of ours was sent to is never marked;
- a recipient block counts only when its Original-Recipient or Final-Recipient is that row's address
  (compared through notifications.addresses.normalise); a recipient that is not an address (too long,
  control characters, bytes that are not text) is dropped.

Per recipient of our row:
- `Action: failed` with a 5.x.x `Status` is a hard bounce (feedback.hard_bounce): the address is
  marked, so the e-mail channel refuses it from now on, and the row is recorded as bounced (a formal
  notice goes by another channel, the office is told).
- `delayed`, `relayed`, 4.x.x: transient, logged, nothing recorded.
- `delivered` is ignored: we never ask for success reports, and a forged one would stand in the way
  of a later real bounce (a failure never replaces "delivered").

Two doors lead here: the mail server's POST to `bounce_report` (bounce_views.py) and the
`process_bounce` management command (Postfix's pipe transport); both call `process_report`.
"""

import logging
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from email.parser import HeaderParser

from notifications.addresses import normalise
from notifications.channels.mail import notification_pk_in
from notifications.feedback import hard_bounce, trim_error
from notifications.models import Channel, Notification

logger = logging.getLogger("notifications.bounces")

MAX_BYTES = 1024 * 1024  # a DSN is a few KB; one with the whole original message attached stays far below


class NotADeliveryReport(ValueError):
    """The input is not a delivery status notification; the message says why, for the sender."""


@dataclass(frozen=True)
class RecipientReport:
    # What the block says the recipient was: Original-Recipient (the address we wrote to) and
    # Final-Recipient (where the mail ended), each normalised; at least one of them.
    addresses: tuple[str, ...]
    action: str  # failed, delayed, delivered, relayed, expanded
    status: str  # e.g. "5.1.1"
    diagnostic: str = ""

    @property
    def address(self) -> str:
        return self.addresses[0]

    @property
    def is_hard_bounce(self) -> bool:
        return self.action == "failed" and self.status.startswith("5")

    @property
    def reason(self) -> str:
        return trim_error(self.status, self.diagnostic)


@dataclass(frozen=True)
class DeliveryReport:
    recipients: list[RecipientReport]
    original_message_id: str = ""


@dataclass
class Outcome:
    """What processing a report did, for the caller's answer and the logs."""

    bounced: list[str] = field(default_factory=list)  # addresses of our rows that bounced for good
    transient: list[str] = field(default_factory=list)  # soft bounces and delays: nothing recorded
    ignored: list[str] = field(default_factory=list)  # not about a row of ours, or "delivered"
    rows: list[int] = field(default_factory=list)  # notifications whose status changed


# --- Reading ------------------------------------------------------------------------------------


def parse(raw: bytes) -> DeliveryReport:
    """The report in `raw`, or NotADeliveryReport."""
    if len(raw) > MAX_BYTES:
        raise NotADeliveryReport(f"The report is larger than {MAX_BYTES} bytes.")
    try:
        message = message_from_bytes(raw, policy=policy.compat32)
    except Exception as exc:  # the parser is lenient; this is for the truly broken
        raise NotADeliveryReport(f"Not a MIME message: {exc}") from exc
    if message.get_content_type() != "multipart/report" or not message.is_multipart():
        raise NotADeliveryReport("Not a delivery status notification: expected a multipart/report message.")
    report_type = message.get_param("report-type")
    if not isinstance(report_type, str) or report_type.lower() != "delivery-status":
        raise NotADeliveryReport("Not a delivery status notification: the report-type is not delivery-status.")
    status_part = original = None
    # The report's own parts only (RFC 3464 puts them at the top level): walking every nested part
    # would let a report of a few thousand nested multiparts exhaust the recursion limit.
    parts = message.get_payload()
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, Message):
            continue
        content_type = part.get_content_type()
        if content_type == "message/delivery-status" and status_part is None:
            status_part = part
        elif content_type in ("message/rfc822", "text/rfc822-headers") and original is None:
            original = part
    if status_part is None:
        raise NotADeliveryReport("The report has no message/delivery-status part.")
    recipients = [found for block in _blocks(status_part)[1:] if (found := _recipient(block)) is not None]
    if not recipients:
        raise NotADeliveryReport("The delivery-status part names no recipient.")
    return DeliveryReport(recipients=recipients, original_message_id=_original_message_id(original))


def _blocks(part: Message) -> list[Message]:
    """The per-message block, then one block per recipient. The standard parser already splits a
    message/delivery-status part into blocks; a lone text payload is split here."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    text = payload if isinstance(payload, str) else ""
    return [HeaderParser().parsestr(chunk) for chunk in re.split(r"\r?\n\s*\r?\n", text.strip()) if chunk.strip()]


def _address(value: object) -> str:
    """`rfc822; someone@example.com` → `someone@example.com` (normalised), or "" when it is not an
    address we could have written to."""
    if not value:
        return ""
    kind, _sep, address = str(value).partition(";")
    return normalise((address or kind).strip().strip("<>"))


def _recipient(block: Message) -> RecipientReport | None:
    addresses = tuple(
        dict.fromkeys(
            found for header in ("Original-Recipient", "Final-Recipient") if (found := _address(block.get(header)))
        )
    )
    action = str(block.get("Action") or "").strip().lower()
    if not addresses or not action:
        return None
    status = str(block.get("Status") or "").strip().split(" ")[0]
    diagnostic = str(block.get("Diagnostic-Code") or "")
    _kind, _sep, text = diagnostic.partition(";")
    return RecipientReport(addresses=addresses, action=action, status=status, diagnostic=trim_error(text or _kind))


def _original_message_id(part: Message | None) -> str:
    if part is None:
        return ""
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        headers = payload[0]
    elif isinstance(payload, str):
        headers = HeaderParser().parsestr(payload, headersonly=True)
    else:
        return ""
    return " ".join(str(headers.get("Message-ID") or "").split())


# --- Acting on it -------------------------------------------------------------------------------


def process_report(raw: bytes) -> Outcome:
    """Read one DSN and record what it says about our row. Raises NotADeliveryReport for anything
    that is not a DSN."""
    report = parse(raw)
    outcome = Outcome()
    row = _row_by_message_id(report.original_message_id)
    if row is None:
        outcome.ignored = [recipient.address for recipient in report.recipients]
        logger.warning(
            "Delivery report for %s without a Message-ID of ours (%r): nothing recorded.",
            outcome.ignored,
            report.original_message_id[:200],
        )
        return outcome
    ours = normalise(row.address)
    for recipient in report.recipients:
        if ours not in recipient.addresses:
            outcome.ignored.append(recipient.address)
            logger.warning(
                "Delivery report for notification %s names %s, not the address it was sent to: ignored.",
                row.pk,
                recipient.addresses,
            )
        elif recipient.is_hard_bounce:
            outcome.bounced.append(ours)
            if hard_bounce(row, reason=recipient.reason):
                outcome.rows.append(row.pk)
        elif recipient.action == "delivered":
            outcome.ignored.append(ours)
        else:
            outcome.transient.append(ours)
            logger.info(
                "Transient delivery report for %s (%s %s): nothing recorded.", ours, recipient.action, recipient.reason
            )
    logger.info(
        "Delivery report for notification %s: bounced %s, transient %s, ignored %s.",
        row.pk,
        outcome.bounced,
        outcome.transient,
        outcome.ignored,
    )
    return outcome


def _row_by_message_id(message_id: str) -> Notification | None:
    pk = notification_pk_in(message_id)
    if pk is None:
        return None
    return Notification.objects.filter(pk=pk, channel=Channel.EMAIL).first()
