"""Writes on the outbox and on formal notices. Keyword-only; called inside the caller's transaction.

    outbox          notify(...)              outbox rows for a user, one per channel they allow
                    notify_address(...)      an e-mail row for an address without an account
                    outbox_write_email(...)  an already-rendered e-mail (allauth's messages)
    retry           notification_retry(...)  staff re-queue a failed or dead row (audited: NotificationRetry)
    inbox           inbox_mark_read(...), inbox_mark_all_read(...)
    retention       notifications_apply_retention()  the retention job: delete or strip old history
    formal_notices  formal_notice_serve(...), formal_notice_open(...), formal_notices_mark_deemed_served(),
                    formal_notice_documents_sweep()

Callers import from `notifications.services`; the modules are how the package is kept readable.
"""

from notifications.services.errors import FormalNoticeError, NotificationError
from notifications.services.formal_notices import (
    formal_notice_documents_sweep,
    formal_notice_open,
    formal_notice_serve,
    formal_notices_mark_deemed_served,
    is_active_representative,
)
from notifications.services.inbox import inbox_mark_all_read, inbox_mark_read
from notifications.services.outbox import INLINE_ATTACHMENT_MAX, notify, notify_address, outbox_write_email
from notifications.services.retention import notifications_apply_retention
from notifications.services.retry import notification_retry

__all__ = [
    "INLINE_ATTACHMENT_MAX",
    "FormalNoticeError",
    "NotificationError",
    "formal_notice_documents_sweep",
    "formal_notice_open",
    "formal_notice_serve",
    "formal_notices_mark_deemed_served",
    "inbox_mark_all_read",
    "inbox_mark_read",
    "is_active_representative",
    "notification_retry",
    "notifications_apply_retention",
    "notify",
    "notify_address",
    "outbox_write_email",
]
