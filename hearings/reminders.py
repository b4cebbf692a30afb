"""Reminders before a hearing, 48 hours and 1 hour before it (settings.HEARINGS["REMINDER_HOURS"]).

Run by beat every few minutes (hearings.tasks.send_hearing_reminders). Each reminder is claimed with
one conditional UPDATE of the hearing's `reminded_<n>h_at` in the same transaction that writes the
outbox rows, and those rows carry an idempotency key naming the hearing, the window and the
invitation's sequence: a re-run, or two beat processes at once, send nothing twice. Moving a hearing
clears both marks (hearing_reschedule) and bumps the sequence, so the new time is reminded afresh."""

from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Hearing
from .notify import notify_hearing
from .policy import LIVE_HEARING_CASE_STATES

BATCH = 500


def _mark_field(hours: int) -> str:
    field = f"reminded_{hours}h_at"
    if field not in {f.name for f in Hearing._meta.get_fields()}:
        raise ValueError(f"No Hearing.{field} to record a {hours}-hour reminder in.")
    return field


def send_due_reminders(now: datetime | None = None) -> int:
    """Send every reminder now due; returns how many hearing reminders went out (not messages)."""
    now = now or timezone.now()
    windows = sorted(cast(tuple[int, ...], settings.HEARINGS["REMINDER_HOURS"]))  # nearest first: 1 h, then 48 h
    sent = 0
    for index, hours in enumerate(windows):
        field = _mark_field(hours)
        # A hearing already inside a nearer window gets only that reminder, not two at once.
        nearer = timedelta(hours=windows[index - 1]) if index else None
        due = (
            # Served by the partial index `hearing_upcoming` (starts_at WHERE status = 'scheduled').
            Hearing.objects.filter(
                status=Hearing.Status.SCHEDULED,
                starts_at__gt=now,
                starts_at__lte=now + timedelta(hours=hours),
                complaint__status__in=LIVE_HEARING_CASE_STATES,
                **{f"{field}__isnull": True},
            )
            .select_related("complaint__consumer", "complaint__company", "conciliator")
            .order_by("starts_at")[:BATCH]
        )
        for hearing in due:
            skip = nearer is not None and hearing.starts_at <= now + nearer
            with transaction.atomic():
                # Also unchanged since it was read: a hearing moved meanwhile is left for the next run.
                claimed = Hearing.objects.filter(
                    pk=hearing.pk,
                    status=Hearing.Status.SCHEDULED,
                    starts_at=hearing.starts_at,
                    ical_sequence=hearing.ical_sequence,
                    **{f"{field}__isnull": True},
                ).update(**{field: now})
                if not claimed or skip:
                    continue
                notify_hearing(
                    hearing,
                    "hearing_reminder",
                    key=f"hearing:{hearing.pk}:reminder:{hours}h:{hearing.ical_sequence}",
                )
            sent += 1
    return sent
