"""The ways a notification leaves the platform, behind one small interface.

A channel takes an outbox row and either returns (the message was handed over; the return value
is the provider's message id, or "") or raises `DeliveryError` (try again later) or
`PermanentDeliveryError` (trying again cannot help: a malformed number, a refused address)."""

from typing import Protocol

from notifications.models import Channel, Notification


class DeliveryError(Exception):
    """A failed attempt that may succeed later (timeouts, the provider's 5xx, a refused connection)."""


class PermanentDeliveryError(DeliveryError):
    """A failure that retrying cannot fix; the row goes straight to dead."""


class ChannelBackend(Protocol):
    def send(self, notification: Notification) -> str: ...


def get_channel(channel: str) -> ChannelBackend:
    # Imported here so settings are read when a message is sent, not when Django starts.
    from notifications.channels.inbox import InboxChannel
    from notifications.channels.mail import EmailChannel
    from notifications.channels.sms import SmsChannel, WhatsAppChannel

    if channel == Channel.EMAIL:
        return EmailChannel()
    if channel == Channel.SMS:
        return SmsChannel()
    if channel == Channel.WHATSAPP:
        return WhatsAppChannel()
    if channel == Channel.INBOX:
        return InboxChannel()
    raise PermanentDeliveryError(f"Unknown channel {channel!r}.")
