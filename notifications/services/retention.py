"""The retention job: old history leaves the outbox, deleted or stripped of its text."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from notifications.models import Notification, Status

logger = logging.getLogger("notifications")


def notifications_apply_retention(*, batch_size: int = 500, max_batches: int = 1000) -> dict[str, int]:
    """Take old history out of the outbox, in small transactions that skip rows someone holds.

    Past NOTIFICATION_RETENTION_DAYS (0 keeps everything) a row is due when it is sent (by
    `sent_at`) or dead (by `created_at`); pending, failed and sending rows are never touched. Then:
    - a formal row (a cédula, a citation e-mailed to an electronic domicile) stays whole, for ever;
    - a row of a case keeps what the case file shows (event, channel, recipient, address, status,
      sent_at) and loses its text: body, HTML, the context it was rendered from (it holds what the
      text said) and inline attachment content (`redacted_at` is set);
    - a row of no case (account e-mails, invitations) is deleted, with its retry audit.
    Returns how many rows were deleted and how many were stripped."""
    done = {"deleted": 0, "redacted": 0}
    days = settings.NOTIFICATION_RETENTION_DAYS
    if not days:
        return done
    now = timezone.now()
    cutoff = now - timedelta(days=days)
    due = Notification.objects.filter(
        (Q(status=Status.SENT) & (Q(sent_at__lt=cutoff) | Q(sent_at__isnull=True))) | Q(status=Status.DEAD),
        # The partial index notification_retention_idx: oldest first, formal and stripped rows left out.
        redacted_at__isnull=True,
        formal=False,
        created_at__lt=cutoff,
    )
    for _batch in range(max_batches):
        with transaction.atomic():
            rows = list(
                due.select_for_update(skip_locked=True)
                .order_by("created_at")
                .values_list("pk", "case_number", "attachments")[:batch_size]
            )
            if not rows:
                break
            caseless = [pk for pk, case_number, _attachments in rows if not case_number]
            of_a_case = [pk for pk, case_number, _attachments in rows if case_number]
            if caseless:
                Notification.objects.filter(pk__in=caseless).delete()
            if of_a_case:
                Notification.objects.filter(pk__in=of_a_case).update(
                    body_text="", body_html="", context={}, redacted_at=now
                )
                inline = [
                    Notification(pk=pk, attachments=[_without_content(item) for item in attachments])
                    for pk, case_number, attachments in rows
                    if case_number and any("content" in item for item in attachments or [])
                ]
                Notification.objects.bulk_update(inline, ["attachments"])
        done["deleted"] += len(caseless)
        done["redacted"] += len(of_a_case)
        if len(rows) < batch_size:
            break
    if done["deleted"] or done["redacted"]:
        logger.info("Retention: %(deleted)s notifications deleted, %(redacted)s stripped of their text.", done)
    return done


def _without_content(attachment: dict) -> dict:
    """What was attached (name, type, stored path), without the inline text itself."""
    return {key: value for key, value in attachment.items() if key != "content"}
