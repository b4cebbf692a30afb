"""The deadline recompute after a calendar change, and the beat job that redoes one that was lost.

A change queues `recompute_calendar_change` on commit twice: at once, and again
BUSINESS_CALENDAR_CHECK_SECONDS + 2 seconds later. The second run catches the deadlines other
processes computed with their old copy of the calendar in the seconds before they learned of the
change (parties/business_days.py); the recompute is idempotent, so when there is nothing left it
moves nothing. A change whose recompute never ran (the broker was down at commit, a worker died)
keeps `recomputed_at` unset, and `requeue_lost_recomputes` (config/beat.py) queues it again."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from parties.business_days import reload_calendar

from .models import CalendarChange
from .oversight_link import recompute_day

logger = logging.getLogger(__name__)

# How long a change may wait for its recompute before the beat job queues it again, and how far back
# it looks (older ones are left to a person: something is wrong for longer than a broker outage).
LOST_AFTER = timedelta(minutes=3)
LOOK_BACK = timedelta(days=7)


def second_run_countdown() -> int:
    return settings.BUSINESS_CALENDAR_CHECK_SECONDS + 2


def queue_recompute(change: CalendarChange) -> None:
    """After commit, recompute the deadlines `change` touches, now and once more after the other
    processes' check interval. `robust`: a broker that is down is logged and the change stands (the
    beat job queues it again)."""
    pk = change.pk
    transaction.on_commit(lambda: recompute_calendar_change.delay(pk), robust=True)
    transaction.on_commit(
        lambda: recompute_calendar_change.apply_async(args=(pk,), countdown=second_run_countdown()), robust=True
    )


@shared_task(acks_late=True)
def recompute_calendar_change(change_id: int) -> int | None:
    """Recompute the deadlines of the change's day with the calendar as the database has it now, then
    mark every change of that day up to this one as recomputed (one conditional UPDATE)."""
    change = CalendarChange.objects.filter(pk=change_id).only("pk", "day").first()
    if change is None:
        return None
    # Not only the shared token: a change whose token could not be published must still be seen here.
    reload_calendar()
    moved = recompute_day(change.day)
    if moved is None:  # no clocks installed: nothing to mark, nothing to redo
        return None
    CalendarChange.objects.filter(day=change.day, pk__lte=change.pk, recomputed_at__isnull=True).update(
        recomputed_at=timezone.now()
    )
    logger.info("Calendar change %s on %s moved %s deadlines.", change.pk, change.day, moved)
    return moved


@shared_task(acks_late=True)
def requeue_lost_recomputes() -> int:
    """Queue again the recompute of changes not marked a few minutes after they were made: the latest
    change of each day (its run marks the earlier ones). On the partial index of unmarked changes."""
    now = timezone.now()
    latest: dict = {}
    lost = CalendarChange.objects.filter(
        recomputed_at__isnull=True, at__lt=now - LOST_AFTER, at__gte=now - LOOK_BACK
    ).order_by("at", "pk")
    for pk, day in lost.values_list("pk", "day"):
        latest[day] = pk
    for pk in latest.values():
        recompute_calendar_change.delay(pk)
    if latest:
        logger.warning("Queued again the deadline recompute of %s calendar changes.", len(latest))
    return len(latest)
