"""The legal directorate's windows, moved from beat (legal/tasks.py).

- A window starts only at the proven service of its notice: the charge's formal notice starts the
  defence window, the resolution's the appeal window (`start_served_windows`, also run by the
  receiver of notifications' `formal_notice_served`, legal/receivers.py). Until then there is no
  deadline, and nothing lapses.
- A charge whose defence deadline passed awaits the resolution without one; a sanction whose appeal
  window passed is final.
- The company is reminded REMINDER_DAYS_BEFORE business days before a window closes, once.
- A change of the office's calendar recomputes the windows still open (`recompute_legal_deadlines`).

Batched, each proceeding in its own transaction, re-read under its lock: one that moved meanwhile (a
defence filed at the last minute) is left alone, and one already moved is not moved (nor notified)
twice."""

from collections.abc import Callable
from datetime import date, datetime, time

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from complaints.records import record_text
from parties.business_days import deadline_after

from .. import actions
from ..errors import LegalError
from ..models import Proceeding, ProceedingStatus
from ..notify import tell
from . import lock_proceeding
from .moves import _event, day_on_record, proceeding_finalize

BATCH = 500
S = ProceedingStatus


# --- Windows start at service --------------------------------------------------------------------


def _unstarted() -> Q:
    return Q(status=S.CHARGED, defence_started_at__isnull=True, charge_notice__served_at__isnull=False) | Q(
        status=S.SANCTIONED, appeal_started_at__isnull=True, resolution_notice__served_at__isnull=False
    )


def start_served_windows(*, notice_id: int | None = None, limit: int = BATCH) -> int:
    """Start the window of every proceeding whose charge or resolution notice is now served (or only
    those served by `notice_id`). Returns how many started."""
    due = Proceeding.objects.filter(_unstarted())
    if notice_id is not None:
        due = due.filter(Q(charge_notice_id=notice_id) | Q(resolution_notice_id=notice_id))
    done = 0
    for pk in list(due.order_by("pk").values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            done += _start_window(pk)
    return done


def _start_window(pk: int) -> int:
    locked = lock_proceeding(pk)
    if locked.status == S.CHARGED and locked.defence_started_at is None and locked.charge_notice_id:
        notice = locked.charge_notice
        assert notice is not None
        if notice.served_at is None:
            return 0
        due = deadline_after(notice.served_at, settings.LEGAL["DEFENCE_DAYS"])
        locked.defence_started_at, locked.defence_due_at = notice.served_at, due
        locked.save(update_fields=["defence_started_at", "defence_due_at", "updated_at"])
        action, update = actions.LEGAL_CHARGE_SERVED, "charge_served"
        message = gettext_noop("The charge was served on %(served)s (%(how)s): the defence is due by %(due)s.")
    elif locked.status == S.SANCTIONED and locked.appeal_started_at is None and locked.resolution_notice_id:
        notice = locked.resolution_notice
        assert notice is not None
        if notice.served_at is None:
            return 0
        due = deadline_after(notice.served_at, settings.LEGAL["APPEAL_DAYS"])
        locked.appeal_started_at, locked.appeal_due_at = notice.served_at, due
        locked.save(update_fields=["appeal_started_at", "appeal_due_at", "updated_at"])
        action, update = actions.LEGAL_RESOLUTION_SERVED, "resolution_served"
        message = gettext_noop("The resolution was served on %(served)s (%(how)s): an appeal is due by %(due)s.")
    else:
        return 0
    how = (
        gettext_noop("opened by a representative")
        if notice.served_by_opening
        else gettext_noop("deemed served, not opened")
    )
    reason = record_text(message, served=day_on_record(notice.served_at), how=record_text(how), due=day_on_record(due))
    event = _event(locked, action, by=None, reason=reason)
    tell(locked, update, key=f"case-event:{event.pk}", due=due, act_number=locked.act_number or None)
    return 1


# --- Windows that passed ---------------------------------------------------------------------------


def close_expired_defence_windows(now: datetime | None = None, limit: int = BATCH) -> int:
    now = now or timezone.now()
    due = (
        Proceeding.objects.filter(status=S.CHARGED, defence_due_at__lt=now)
        .order_by("defence_due_at", "pk")
        .values_list("pk", flat=True)
    )
    done = 0
    for pk in list(due[:limit]):
        with transaction.atomic():
            locked = lock_proceeding(pk)
            # A window that has not started (its notice not yet served) never lapses.
            if locked.status != S.CHARGED or locked.defence_due_at is None or locked.defence_due_at >= now:
                continue
            locked.lapse_defence()
            locked.save(update_fields=["status", "updated_at"])
            reason = record_text(
                gettext_noop(
                    "The defence deadline (%(due)s) passed without a defence: the proceeding awaits resolution."
                ),
                due=day_on_record(locked.defence_due_at),
            )
            event = _event(locked, actions.DEFENCE_LAPSED, by=None, reason=reason)
            tell(locked, "defence_lapsed", key=f"case-event:{event.pk}", due=locked.defence_due_at)
        done += 1
    return done


def close_expired_appeal_windows(now: datetime | None = None, limit: int = BATCH) -> int:
    now = now or timezone.now()
    due = (
        Proceeding.objects.filter(status=S.SANCTIONED, appeal_due_at__lt=now)
        .order_by("appeal_due_at", "pk")
        .values_list("pk", flat=True)
    )
    done = 0
    for pk in list(due[:limit]):
        try:
            proceeding_finalize(proceeding=Proceeding(pk=pk), by=None)
        except LegalError:
            continue  # appealed (or finalised) meanwhile
        done += 1
    return done


# --- Reminders to the company ----------------------------------------------------------------------

# (status, due field, reminded field, the notice's update)
WINDOWS = (
    (S.CHARGED, "defence_due_at", "defence_reminded_at", "defence_reminder"),
    (S.SANCTIONED, "appeal_due_at", "appeal_reminded_at", "appeal_reminder"),
)


def remind_companies_of_legal_deadlines(now: datetime | None = None, limit: int = BATCH) -> int:
    """The company's representatives are told, once, REMINDER_DAYS_BEFORE business days before its
    defence or appeal window closes. Returns how many reminders went."""
    now = now or timezone.now()
    horizon = deadline_after(now, settings.LEGAL["REMINDER_DAYS_BEFORE"])
    done = 0
    for status, due_field, reminded_field, update in WINDOWS:
        pks = list(
            Proceeding.objects.filter(
                status=status,
                **{f"{due_field}__gte": now, f"{due_field}__lte": horizon, f"{reminded_field}__isnull": True},
            )
            .order_by(due_field, "pk")
            .values_list("pk", flat=True)[:limit]
        )
        for pk in pks:
            with transaction.atomic():
                locked = lock_proceeding(pk)
                due = getattr(locked, due_field)
                if locked.status != status or getattr(locked, reminded_field) is not None or due is None or due < now:
                    continue
                setattr(locked, reminded_field, now)
                locked.save(update_fields=[reminded_field, "updated_at"])
                tell(locked, update, key=f"legal:{locked.pk}:{update}", consumer=False, due=due)
            done += 1
    return done


# --- The office's calendar changed ------------------------------------------------------------------


def recompute_legal_deadlines(
    *, day: date, on_change: Callable[[Proceeding, str, datetime, datetime], None] | None = None
) -> list[tuple[Proceeding, str, datetime, datetime]]:
    """Recompute the open defence and appeal windows that span `day` (a day the office declared
    non-working, or opened again) from their start, with the current calendar. A window that has
    passed is left alone, and none is shortened to before now. Returns (proceeding, "defence" or
    "appeal", old due, new due) for each window that changed. A running window is never shortened (a
    día inhábil removed keeps the longer window, the one the company was told). `on_change` (oversight/,
    which records every moved deadline) is called inside each proceeding's transaction, so the record
    of the change commits with it."""
    now = timezone.now()
    start_of_day = timezone.make_aware(datetime.combine(day, time.min))
    changed: list[tuple[Proceeding, str, datetime, datetime]] = []
    for status, kind, started_field, due_field, days in (
        (S.CHARGED, "defence", "defence_started_at", "defence_due_at", settings.LEGAL["DEFENCE_DAYS"]),
        (S.SANCTIONED, "appeal", "appeal_started_at", "appeal_due_at", settings.LEGAL["APPEAL_DAYS"]),
    ):
        pks = list(
            Proceeding.objects.filter(
                status=status,
                **{
                    f"{started_field}__lt": start_of_day,
                    f"{due_field}__gte": max(now, start_of_day),
                },
            ).values_list("pk", flat=True)
        )
        for pk in pks:
            with transaction.atomic():
                locked = lock_proceeding(pk)
                started, old = getattr(locked, started_field), getattr(locked, due_field)
                if locked.status != status or started is None or old is None or old < now:
                    continue
                new = deadline_after(started, days)
                if new <= old:
                    continue
                setattr(locked, due_field, new)
                locked.save(update_fields=[due_field, "updated_at"])
                if on_change is not None:
                    on_change(locked, kind, old, new)
                changed.append((locked, kind, old, new))
    return changed
