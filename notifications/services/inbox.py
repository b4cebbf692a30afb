"""The in-app inbox reads the outbox's inbox rows; reading one only stamps `read_at`."""

from django.utils import timezone

from notifications.models import Channel, Notification
from parties.models import User


def inbox_mark_read(*, notification: Notification, user: User) -> None:
    Notification.objects.filter(pk=notification.pk, recipient=user, channel=Channel.INBOX, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def inbox_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, channel=Channel.INBOX, read_at__isnull=True).update(
        read_at=timezone.now()
    )
