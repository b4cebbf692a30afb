"""Twilio's reports about our messages, each recorded once and applied to the row it is about.

A report is a `ProviderCallback` row, keyed by a digest of what Twilio signed, never of an unsigned
header: a captured request replayed with another `I-Twilio-Idempotency-Token` is still the same
report, finds its digest taken and changes nothing.

- A status report ("twilio") is the message's SID, its status and Twilio's error code: the same
  three again are the same report (Twilio retries when it missed our answer).
- An inbound WhatsApp message ("twilio:inbound") is its MessageSid, unique per message: a replay of
  an old message cannot move the person's conversation window.

A status report can arrive before the worker has stored the message's SID (Twilio answered 201 and
reported a failure before `delivery.record_acceptance` committed). Such a report is kept unclaimed,
with its status and error, and `apply_unclaimed_reports` applies it once the row carries the SID.
Every report is first written unclaimed and committed, then claimed by one conditional UPDATE, so
whichever of the two sides comes second finds the other's work: the callback sees the accepted row,
or the acceptance sees the committed report; neither can both miss it nor apply it twice.

If applying a report fails after it was recorded, Twilio's retry (a replay by its digest) applies
it, and so does `apply_stranded_reports`, nightly, should no retry come. A status report that finds
no message of ours within UNCLAIMED_DAYS never will (ours carry their SID minutes after Twilio
accepts them, at most a lease later): `forget_unclaimed_reports` deletes it, nightly. Claimed reports
and inbound messages stay: their digests are what refuses a replay.
"""

import hashlib
import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from notifications import whatsapp
from notifications.feedback import apply_status, trim_error
from notifications.models import Notification, ProviderCallback, ProviderStatus

logger = logging.getLogger("notifications.twilio")

PROVIDER = "twilio"
INBOUND = "twilio:inbound"
UNCLAIMED_DAYS = 7
# Twilio's MessageStatus → ours. Twilio's own early steps all mean "queued" to us.
STATUSES = {
    "accepted": ProviderStatus.QUEUED,
    "scheduled": ProviderStatus.QUEUED,
    "queued": ProviderStatus.QUEUED,
    "sending": ProviderStatus.QUEUED,
    "sent": ProviderStatus.SENT,
    "delivered": ProviderStatus.DELIVERED,
    "read": ProviderStatus.READ,
    "undelivered": ProviderStatus.UNDELIVERED,
    "failed": ProviderStatus.FAILED,
    "canceled": ProviderStatus.FAILED,
}


def _digest(provider: str, *signed: str) -> str:
    return hashlib.sha256("\n".join((provider, *signed)).encode("utf-8", "replace")).hexdigest()


def _accepted_as(message_id: str | OuterRef) -> QuerySet[Notification]:
    """Our message the provider accepted under `message_id` (a value, or a report's column)."""
    return Notification.objects.exclude(provider_message_id="").filter(provider_message_id=message_id)


def _record_once(
    *, provider: str, digest: str, message_id: str, status: str, error: str = "", durable: bool = False
) -> bool:
    """Write the report unclaimed; False when it was written before (a replay)."""
    try:
        with transaction.atomic(durable=durable):
            ProviderCallback.objects.create(
                provider=provider, digest=digest, message_id=message_id, status=status, error=error
            )
    except IntegrityError:
        return False
    return True


def record_status(*, message_id: str, status: str, error_code: str = "", error_message: str = "") -> bool:
    """A signed Twilio status report: recorded once and applied to its row when the row carries
    the SID, kept unclaimed otherwise. False when it is a replay.

    Must run outside any transaction (the callback view does): the report has to be committed
    before the row is looked up, or an acceptance committed in between would miss it (the
    module's docstring)."""
    recorded = _record_once(
        provider=PROVIDER,
        digest=_digest(PROVIDER, message_id, status, error_code),
        message_id=message_id,
        status=status,
        error=trim_error(error_code, error_message),
        durable=True,
    )
    if not recorded:
        logger.info("Twilio status callback for %s (%s) received again; nothing new.", message_id, status)
    row = _accepted_as(message_id).first()
    if row is None:
        logger.info("Twilio reported %s for %s, not (yet) an accepted message of ours; kept.", status, message_id)
    else:
        # Also on a replay: only unclaimed reports are applied, so a report applied before changes
        # nothing, while one whose first application failed (Twilio retries after our error) is.
        apply_unclaimed_reports(row)
    return recorded


def apply_unclaimed_reports(notification: Notification) -> int:
    """Apply, in the order they arrived, the status reports waiting for the row's provider
    message id, through `feedback.apply_status`, and link them to the row. Returns how many this
    call claimed. Call it once the row is marked sent with its provider_message_id."""
    if not notification.provider_message_id:
        return 0
    waiting = ProviderCallback.objects.filter(
        provider=PROVIDER, message_id=notification.provider_message_id, notification__isnull=True
    ).order_by("received_at", "pk")
    claimed = 0
    for report in waiting:
        with transaction.atomic():
            # One conditional UPDATE: of two callers racing for the same report, one claims it.
            if not ProviderCallback.objects.filter(pk=report.pk, notification__isnull=True).update(
                notification=notification
            ):
                continue
            claimed += 1
            status = STATUSES.get(report.status)
            if status is None:
                logger.info(
                    "Twilio status %r for %s has no meaning here; recorded only.", report.status, report.message_id
                )
                continue
            apply_status(notification, status=status, error=report.error, at=report.received_at)
    return claimed


def record_inbound_message(*, message_id: str, phone: str, at: datetime | None = None) -> bool:
    """The person wrote to our WhatsApp number: their window runs from now (never moved back, and a
    replayed message is refused by its SID). False when the message was recorded before."""
    with transaction.atomic():
        if not _record_once(
            provider=INBOUND, digest=_digest(INBOUND, message_id), message_id=message_id, status="received"
        ):
            logger.info("Twilio inbound message %s received again; ignored.", message_id)
            return False
        whatsapp.record_inbound(phone, at=at or timezone.now())
    return True


def apply_stranded_reports(*, limit: int = 1000) -> int:
    """Apply the unclaimed status reports whose message is ours and accepted: what was left when an
    application failed and Twilio did not try again. Returns how many reports were claimed; a row
    that fails again is logged and left for the next run, the others are applied."""
    stranded = (
        ProviderCallback.objects.filter(provider=PROVIDER, notification__isnull=True)
        .filter(Exists(_accepted_as(OuterRef("message_id"))))
        .order_by("received_at")
        .values("message_id")[:limit]
    )
    rows = Notification.objects.filter(provider_message_id__in=stranded)
    claimed = 0
    for row in rows.only("pk", "provider_message_id"):
        try:
            claimed += apply_unclaimed_reports(row)
        except Exception:
            logger.exception(
                "Twilio reports for %s could not be applied; tried again tomorrow.", row.provider_message_id
            )
    if claimed:
        logger.warning("%s Twilio status reports had not been applied to their message; now they are.", claimed)
    return claimed


def forget_unclaimed_reports(*, now: datetime | None = None) -> int:
    """Delete the status reports older than UNCLAIMED_DAYS that no message of ours claimed (an SID
    of another system on the same Twilio account, a message we never recorded). Returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=UNCLAIMED_DAYS)
    stale = ProviderCallback.objects.filter(provider=PROVIDER, notification__isnull=True, received_at__lt=cutoff)
    # A report about a message of ours is kept: apply_stranded_reports applies it.
    stale = stale.exclude(Exists(_accepted_as(OuterRef("message_id"))))
    deleted, _by_model = stale.delete()
    if deleted:
        logger.info("%s Twilio status reports that never found their message were deleted.", deleted)
    return deleted
