"""Getting outbox rows out of the door, exactly once, whatever dies on the way.

Rows travel in batches: the rows of one notify() call are one task (`deliver_notifications`), and
the sweeper hands its rows over in chunks of DELIVERY_BATCH. The rules, in one place:
- A row is sent only by whoever *claims* it: one conditional UPDATE … RETURNING for the whole batch
  moves the claimable rows to `sending`, counts an attempt on each and gives the claimant a lease
  (`next_attempt_at` = now + lease). Two workers can run it at once over the same rows; the
  database lets only one of them change each row, and each gets back only the rows it changed.
- The claim on a row stands while it is `sending` with the attempt count the claim gave it. Every
  send starts with at least half a lease ahead of it: while more than half of the claim's lease is
  left nothing is written (nobody can take a row before its lease is over); otherwise the lease of
  that one row is renewed by a conditional UPDATE that succeeds only while the claim stands; if it
  changes nothing, the row's lease ran out while the batch's earlier sends were under way and
  someone else took it, and the row is left to them. So a lease bounds one send
  (NOTIFICATION_LEASE_SECONDS is well above the channels' timeouts), never a whole batch. Either
  way the row is read again right before its send: a row stripped (retention, anonymisation) since
  the claim is not sent.
- Claimable: a pending row, or a failed row whose backoff is over, or a row in `sending` whose
  lease ran out (its worker died: acks_late re-delivers the task, or the sweeper finds the row).
- The claimed rows are rendered next, in memory (notifications/rendering.py, once per occurrence),
  then sent one by one: a channel always sees a rendered row. The text is saved with the row's
  outcome, in the same UPDATE, and only on a row not stripped meanwhile (`redacted_at`, set by
  retention and anonymisation): a stripped row keeps its text gone. A row that cannot be rendered
  counts as a failed attempt. A row stripped before it was sent is never sent (it would go out
  blank): it becomes `dead`, saying why.
- Once sent, the row becomes `sent` (only if the claim is still ours). Inbox rows leave the
  platform never, so being marked sent is their delivery. A failure records the error and a
  backoff in `next_attempt_at`; after NOTIFICATION_MAX_ATTEMPTS attempts the row is `dead`. One
  row failing leaves the others of its batch untouched.
- The sweeper re-queues rows whose time has come (pending rows the queue lost, failed rows whose
  backoff is over, rows whose lease ran out) with SELECT … FOR UPDATE SKIP LOCKED, so two sweepers
  pick disjoint rows, and the claim keeps a row queued twice from being sent twice.

A provider's acceptance (e-mail, SMS, WhatsApp) is written right after that one send, before the
next row of the batch, in its own short transaction (`record_acceptance`). A database error on that
write does not lead to a resend: the write is tried again in the worker (RECORD_RETRY_DELAYS, about
7 s), then by the task alone, without sending (`AcceptanceNotRecorded` carries what the provider
said and the text that was sent), until the lease runs out. The rest of that batch stays claimed and
unsent until its lease ends and the sweeper takes it.

The window left: between the provider's acceptance and that write, a worker that is killed, or a
database that stays unreachable longer than those retries and the lease. The row is then still
`sending`; when its lease ends the sweeper takes it and it is sent again (at-least-once). E-mails
carry a stable Message-ID so receiving servers can drop the copy; SMS and WhatsApp have none.
"""

import logging
import random
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from notifications import rendering
from notifications.channels import PermanentDeliveryError, get_channel
from notifications.models import OPEN_STATUSES, Channel, Notification, Status

logger = logging.getLogger("notifications.delivery")

ERROR_MAX = 2000
# Pauses between tries of the acceptance write inside the worker: a failover or a restarted
# connection pool is over in seconds, and the worker holds nothing else meanwhile.
RECORD_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)
# Rows a task takes at most: a notify() call writes up to four; the sweeper's rows are split so
# that several workers share them.
DELIVERY_BATCH = 50
STRIPPED = "The message's text was removed before it could be sent."


@dataclass(frozen=True)
class Result:
    outcome: str  # "sent", "skipped", "retry", "dead"
    retry_in: float | None = None


def max_attempts() -> int:
    return settings.NOTIFICATION_MAX_ATTEMPTS


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with "equal jitter": half of each step is fixed, half random, so retries
    of many rows that failed together (a provider outage) spread out instead of arriving at once."""
    base = settings.NOTIFICATION_RETRY_BACKOFF_SECONDS
    cap = settings.NOTIFICATION_RETRY_BACKOFF_MAX_SECONDS
    step = min(cap, base * 2 ** max(0, attempts - 1))
    return step / 2 + random.uniform(0, step / 2)


def claim_many(notification_ids: Sequence[int], *, now: datetime | None = None) -> list[Notification]:
    """Claim the claimable rows among `notification_ids` in one statement and return them as they
    are now (status `sending`, the attempt counted). Rows someone else holds are left out."""
    if not notification_ids:
        return []
    now = now or timezone.now()
    lease_end = now + timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)
    opts = Notification._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in opts.concrete_fields)
    ids = sorted(set(notification_ids))  # one lock order for every claimant
    # Django's update() cannot return the rows it changed; this is the same UPDATE with RETURNING.
    sql = (
        f"UPDATE {quote(opts.db_table)} "
        f"SET status = %s, attempts = attempts + 1, next_attempt_at = %s "
        f"WHERE {quote(str(opts.pk.column))} IN ({', '.join(['%s'] * len(ids))}) AND attempts < %s "
        f"AND (status = %s OR (status IN (%s, %s) AND next_attempt_at <= %s)) "
        f"RETURNING {columns}"
    )
    params = [Status.SENDING, lease_end, *ids, max_attempts(), Status.PENDING, Status.FAILED, Status.SENDING, now]
    rows = list(Notification.objects.raw(sql, params))
    return sorted(rows, key=lambda row: row.pk)


def claim(notification_id: int, *, now: datetime | None = None) -> bool:
    return bool(claim_many([notification_id], now=now))


def _ours(notification: Notification):
    """The row, only while our claim on it stands (a later claimant has a higher attempt count)."""
    return Notification.objects.filter(pk=notification.pk, status=Status.SENDING, attempts=notification.attempts)


# `_ours` in SQL, for the statements written out (parameters: the row's id, SENDING, its attempts).
_OURS_SQL = "id = %s AND status = %s AND attempts = %s"
_STILL_OURS_SQL = f"SELECT 1 FROM {Notification._meta.db_table} WHERE {_OURS_SQL} AND redacted_at IS NULL"


def deliver(notification_id: int) -> Result:
    """Claim the row, send it, record the outcome. Never raises for a failed send."""
    return deliver_many([notification_id]).get(notification_id, Result("skipped"))


def deliver_many(notification_ids: Sequence[int]) -> dict[int, Result]:
    """Claim what can be claimed of the rows, render them, send each, record each outcome. Rows
    not claimed (sent already, held by another worker, not due) are "skipped". Never raises for a
    failed send or render; raises AcceptanceNotRecorded (see the module's docstring)."""
    results = {pk: Result("skipped") for pk in notification_ids}
    rows = claim_many(notification_ids)
    fresh = {row.pk for row in rows if rendering.needs_rendering(row)}
    # Rendered in memory; the text is saved with each row's outcome (one write per row, not two).
    unrenderable = rendering.render_missing(rows, save=False)
    for row in rows:
        text = _text_of(row) if row.pk in fresh and row.pk not in unrenderable else {}
        if row.pk in unrenderable:
            results[row.pk] = _record_failure(row, unrenderable[row.pk])
        elif row.redacted_at is not None:
            results[row.pk] = _bury_stripped(row)
        elif row.channel == Channel.INBOX:
            results[row.pk] = _mark_readable(row, text)
        elif _still_ours(row):
            results[row.pk] = _send(row, text)
        else:
            # Taken by someone else while the batch's earlier rows were sent, or stripped meanwhile.
            results[row.pk] = _bury_stripped(row)
    return results


def _mark_readable(row: Notification, text: dict[str, str]) -> Result:
    """An inbox row is delivered by being readable: nothing leaves the platform, nothing can go twice.
    Only while our claim stands, and never on a row stripped meanwhile."""
    if _write_outcome(
        row.pk, row.attempts, text=text, only_unstripped=True, status=Status.SENT, sent_at=timezone.now(), last_error=""
    ):
        return Result("sent")
    stripped = _bury_stripped(row)
    if stripped.outcome == "skipped":
        logger.warning("Inbox notification %s was taken by someone else before it was marked sent.", row.pk)
    return stripped


def _still_ours(row: Notification) -> bool:
    """Whether the row is ours to send now (our claim stands and its text was not stripped), with at
    least half a lease ahead of the send. With less left, a fresh lease is written, only while both
    hold. With more, nobody can have taken the row (a claim needs its lease over): nothing is
    written, and the row is only read again (retention or anonymisation may have stripped it since
    the claim: rendering, earlier rows' sends and failures all take time)."""
    lease = timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)
    now = timezone.now()
    if row.next_attempt_at - now <= lease / 2:
        if not _ours(row).filter(redacted_at__isnull=True).update(next_attempt_at=now + lease):
            return False
        row.next_attempt_at = now + lease
        return True
    # The same question as `_ours(row).filter(redacted_at__isnull=True).exists()`, asked before every
    # send: written out once, as _write_outcome is (the ORM spent more compiling it than PostgreSQL
    # answering it).
    with connection.cursor() as cursor:
        cursor.execute(_STILL_OURS_SQL, [row.pk, Status.SENDING, row.attempts])
        return cursor.fetchone() is not None


def _bury_stripped(row: Notification) -> Result:
    """Retention or anonymisation took the row's text before it went out: a blank message is never
    sent. Only a row still ours: otherwise it is someone else's ("skipped"). Nobody is told and no
    copy goes by another channel: what it said is gone on purpose."""
    if _ours(row).filter(redacted_at__isnull=False).update(status=Status.DEAD, last_error=STRIPPED):
        logger.warning("Notification %s was stripped of its text before it could be sent.", row.pk)
        return Result("dead")
    return Result("skipped")


def _text_of(row: Notification) -> dict[str, str]:
    return {field: getattr(row, field) for field in rendering.TEXT_FIELDS}


def _write_outcome(
    notification_id: int, attempts: int, *, text: dict[str, str], only_unstripped: bool = False, **values: object
) -> int:
    """Write a claimed row's outcome (`values`) and the text it was rendered with, only while the claim
    made at `attempts` stands; returns how many rows changed (0 or 1). The text never goes over a row
    stripped meanwhile (`redacted_at`: retention, anonymisation): such a row keeps its text gone, or,
    with only_unstripped, is not written at all. Every outcome goes through here, as one statement
    written out once (the ORM's UPDATE with CASE costs more to compile than the database to run)."""
    quote = connection.ops.quote_name
    assignments = [f"{quote(column)} = %s" for column in values]
    assignments += [f"{quote(field)} = CASE WHEN redacted_at IS NULL THEN %s ELSE {quote(field)} END" for field in text]
    sql = f"UPDATE {quote(Notification._meta.db_table)} SET {', '.join(assignments)} WHERE {_OURS_SQL}" + (
        " AND redacted_at IS NULL" if only_unstripped else ""
    )
    with connection.cursor() as cursor:
        params: list[Any] = [*values.values(), *text.values(), notification_id, Status.SENDING, attempts]
        cursor.execute(sql, params)
        return cursor.rowcount


def _send(notification: Notification, text: dict[str, str]) -> Result:
    try:
        provider_message_id = get_channel(notification.channel).send(notification)
    except PermanentDeliveryError as exc:
        _bury(notification, exc, text)
        return Result("dead")
    except Exception as exc:  # any other failure may pass: retry, up to the limit
        return _record_failure(notification, exc, text)
    # Nothing may come between the provider's acceptance and this write.
    record_acceptance(
        notification.pk, attempts=notification.attempts, provider_message_id=provider_message_id or "", text=text
    )
    return Result("sent")


class AcceptanceNotRecorded(Exception):
    """The provider accepted the message and the database refused every try of saying so. The
    caller must retry the write alone, with these values (the text is what was sent), and never
    send again."""

    def __init__(
        self,
        notification_id: int,
        *,
        attempts: int,
        provider_message_id: str,
        sent_at: datetime,
        text: dict[str, str] | None = None,
    ):
        super().__init__(f"Notification {notification_id} was accepted but could not be recorded as sent.")
        self.notification_id = notification_id
        self.attempts = attempts
        self.provider_message_id = provider_message_id
        self.sent_at = sent_at
        self.text = dict(text or {})


def record_acceptance(
    notification_id: int,
    *,
    attempts: int,
    provider_message_id: str,
    sent_at: datetime | None = None,
    text: dict[str, str] | None = None,
) -> None:
    """Mark the row sent (provider id, sent_at, and the `text` the worker rendered for it) in its
    own short transaction, only while the claim made at `attempts` stands (the text only on a row
    not stripped meanwhile). A lost connection is retried after RECORD_RETRY_DELAYS; if the
    database is still away, raises AcceptanceNotRecorded, which carries all of it, text included,
    for the task to write alone later: a sent row always keeps what was sent."""
    sent_at = sent_at or timezone.now()
    for pause in (*RECORD_RETRY_DELAYS, None):
        try:
            with _own_transaction():
                updated = _mark_sent(
                    notification_id,
                    attempts=attempts,
                    provider_message_id=provider_message_id,
                    sent_at=sent_at,
                    text=text or {},
                )
            break
        except (OperationalError, InterfaceError) as exc:
            if pause is None:
                logger.error("Notification %s was accepted; recording it failed: %s", notification_id, exc)
                raise AcceptanceNotRecorded(
                    notification_id,
                    attempts=attempts,
                    provider_message_id=provider_message_id,
                    sent_at=sent_at,
                    text=text,
                ) from exc
            logger.warning(
                "Notification %s was accepted; recording it failed (%s); trying again in %.1f s.",
                notification_id,
                exc,
                pause,
            )
            _drop_broken_connection()
            time.sleep(pause)
    if not updated:
        # Our lease ran out mid-send and someone else took the row: the message went out twice.
        logger.warning("Notification %s was sent after its lease expired.", notification_id)
        return
    _apply_early_reports(notification_id, provider_message_id)


def _apply_early_reports(notification_id: int, provider_message_id: str) -> None:
    """A provider may report a message's status before its acceptance was written here (Twilio calls
    back within milliseconds): such reports wait, unclaimed, for the id (notifications/provider_reports.py).
    Only Twilio's messages can have them (SIDs such as SM…/MM…; our e-mails' ids are "<…>"). A failure
    here never undoes the acceptance: the reports keep waiting and are logged."""
    if not provider_message_id or provider_message_id.startswith("<"):
        return
    # Imported here: provider_reports → feedback → the outbox, which imports this module.
    from notifications.provider_reports import apply_unclaimed_reports

    try:
        apply_unclaimed_reports(Notification(pk=notification_id, provider_message_id=provider_message_id))
    except Exception:
        logger.exception("Reports waiting for notification %s could not be applied.", notification_id)


def _own_transaction() -> AbstractContextManager:
    """One UPDATE is its own transaction in autocommit (no BEGIN/COMMIT round trips around it).
    Inside a caller's transaction (the in-process tasks of the tests) a savepoint lets a failed try
    be rolled back and tried again."""
    return transaction.atomic() if connection.in_atomic_block else nullcontext()


def _mark_sent(
    notification_id: int, *, attempts: int, provider_message_id: str, sent_at: datetime, text: dict[str, str]
) -> int:
    return _write_outcome(
        notification_id,
        attempts,
        text=text,
        status=Status.SENT,
        sent_at=sent_at,
        last_error="",
        provider_message_id=provider_message_id,
    )


def _drop_broken_connection() -> None:
    """Let the next try open a fresh connection. Inside a caller's atomic block (the in-process
    tasks of the tests) the savepoint was rolled back and the connection must stay."""
    if not connection.in_atomic_block:
        connection.close()


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:ERROR_MAX]


def _bury(notification: Notification, exc: BaseException, text: dict[str, str] | None = None) -> None:
    logger.error("Notification %s failed for good: %s", notification.pk, exc)
    buried = _write_outcome(
        notification.pk, notification.attempts, text=text or {}, status=Status.DEAD, last_error=_error_text(exc)
    )
    if buried:
        # A formal notice that can never leave by this channel goes by another, and the office is told;
        # an address refused for good is marked (notifications/feedback.py). Imported here: feedback
        # writes through the outbox, which imports this module.
        from notifications.feedback import handover_failed

        handover_failed(notification, exc)


def _record_failure(notification: Notification, exc: BaseException, text: dict[str, str] | None = None) -> Result:
    if notification.attempts >= max_attempts():
        _bury(notification, exc, text)
        return Result("dead")
    delay = backoff_seconds(notification.attempts)
    logger.warning(
        "Notification %s attempt %s failed (%s); next in %.0f s.", notification.pk, notification.attempts, exc, delay
    )
    _write_outcome(
        notification.pk,
        notification.attempts,
        text=text or {},
        status=Status.FAILED,
        last_error=_error_text(exc),
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
    )
    return Result("retry", retry_in=delay)


def enqueue(notification_ids: Sequence[int]) -> None:
    """Hand rows to the queue, DELIVERY_BATCH rows a task. Never raises: if the broker is down the
    rows stay pending and the sweeper takes them once their grace is over."""
    from notifications.tasks import deliver_notifications

    ids = list(notification_ids)
    for start in range(0, len(ids), DELIVERY_BATCH):
        try:
            deliver_notifications.apply_async(args=(ids[start : start + DELIVERY_BATCH],), retry=False)
        except Exception:
            logger.warning(
                "Could not queue notifications %s; the sweeper will deliver them.", ids[start:], exc_info=True
            )
            return


def sweep(*, batch_size: int | None = None, max_batches: int = 20) -> int:
    """Re-queue every due row. Returns how many rows were handed to the queue."""
    batch_size = batch_size or settings.NOTIFICATION_SWEEP_BATCH
    now = timezone.now()
    # A row whose last allowed attempt died with its worker will not be tried again.
    buried = Notification.objects.filter(
        status=Status.SENDING, next_attempt_at__lte=now, attempts__gte=max_attempts()
    ).update(status=Status.DEAD, last_error="The worker stopped during the last allowed attempt.")
    if buried:
        logger.error("%s notifications died with their workers on their last attempt.", buried)
    queued = 0
    grace = timedelta(seconds=settings.NOTIFICATION_QUEUE_GRACE_SECONDS)
    for _batch in range(max_batches):
        with transaction.atomic():
            ids = list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(status__in=OPEN_STATUSES, next_attempt_at__lte=now, attempts__lt=max_attempts())
                .order_by("next_attempt_at")
                .values_list("pk", flat=True)[:batch_size]
            )
            if ids:
                # Pending again, with a fresh grace: the next sweep leaves them to the queued task.
                Notification.objects.filter(pk__in=ids).update(status=Status.PENDING, next_attempt_at=now + grace)
        if not ids:
            break
        enqueue(ids)
        queued += len(ids)
        if len(ids) < batch_size:
            break
    return queued
