"""Staff send a failed or dead message again; each retry is audited (NotificationRetry)."""

import logging
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import delivery
from notifications.models import Notification, NotificationRetry, Status
from notifications.policy import may_watch_deliveries
from notifications.services.errors import NotificationError
from notifications.services.outbox import queue_grace
from parties.models import User

logger = logging.getLogger("notifications")


def notification_retry(*, notification: Notification, by: User) -> Notification:
    """Send a failed or dead row again now, with a fresh set of attempts. Who asked, when, and the
    attempts and error it had until then are kept in a NotificationRetry row."""
    if not may_watch_deliveries(by):
        raise NotificationError(_("Only office staff can send a message again."))
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=notification.pk)
        if notification.status not in (Status.FAILED, Status.DEAD):
            raise NotificationError(_("Only messages that failed can be sent again."))
        if notification.redacted_at is not None:
            raise NotificationError(_("This message is past its retention period and its text was removed."))
        now = timezone.now()
        NotificationRetry.objects.create(
            notification=notification,
            retried_by=by,
            retried_at=now,
            previous_status=notification.status,
            previous_attempts=notification.attempts,
            previous_error=notification.last_error,
        )
        notification.status = Status.PENDING
        notification.attempts = 0
        notification.next_attempt_at = now + queue_grace()
        notification.save(update_fields=["status", "attempts", "next_attempt_at"])
        logger.info("Notification %s re-queued by user %s.", notification.pk, by.pk)
        transaction.on_commit(partial(delivery.enqueue, [notification.pk]))
    return notification
