"""Declaring and removing the office's días inhábiles. Each is one move: under a transaction, asked
of the policy, written with its audit row; the calendar of every process learns it
(`calendar_changed`), and after commit the clocks recompute the deadlines it touches.

A day in the past may be declared (a retroactive día inhábil is real: the system was down, the
office closed by a late resolution): a deadline still running over it moves one business day later;
one already passed is not reopened (the clocks recompute only deadlines not yet passed)."""

import logging
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from parties.business_days import Kind, calendar_changed, non_working_days_between, package_holidays
from parties.dates import years_from
from parties.models import NonWorkingDay, User

from .errors import CalendarError
from .models import CalendarChange, HolidaySet
from .policy import MANAGE_CALENDAR, policy
from .tasks import queue_recompute

logger = logging.getLogger(__name__)

# How far back a day may be declared or removed, and how far ahead (the page shows two years).
PAST_YEARS = 1


def declarable_range(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    return years_from(today, -PAST_YEARS), date(today.year + 1, 12, 31)


def _day(day: date) -> str:
    return date_format(day, "DATE_FORMAT")


def declare_refusal(day: date) -> str | None:
    """Why `day` cannot be declared a día inhábil, or None."""
    earliest, latest = declarable_range()
    if not earliest <= day <= latest:
        return _("Choose a day from %(start)s to %(end)s.") % {"start": _day(earliest), "end": _day(latest)}
    if day.weekday() >= 5:
        return _("%(date)s is a Saturday or a Sunday: it is not a business day already.") % {"date": _day(day)}
    for info in non_working_days_between(day, day):
        if info.kind == Kind.OFFICE:
            return _("%(date)s is already declared a non-working day (%(reason)s).") % {
                "date": _day(day),
                "reason": info.name,
            }
        return _("%(date)s is already a holiday (%(name)s): it is not a business day.") % {
            "date": _day(day),
            "name": info.name,
        }
    return None


def non_working_day_declare(*, by: User, day: date, reason: str, resolution: str = "") -> NonWorkingDay:
    reason, resolution = reason.strip(), resolution.strip()
    with transaction.atomic():
        policy.ensure(MANAGE_CALENDAR, by, None)
        if not reason:
            raise CalendarError(_("Say why the office does not work that day."))
        refusal = declare_refusal(day)
        if refusal:
            raise CalendarError(refusal)
        try:
            # A savepoint: two supervisors declaring the same day at once meet the unique date.
            with transaction.atomic():
                declared = NonWorkingDay.objects.create(date=day, reason=reason, resolution=resolution, created_by=by)
        except IntegrityError:
            raise CalendarError(
                _("%(date)s was declared a non-working day a moment ago.") % {"date": _day(day)}
            ) from None
        change = CalendarChange.objects.create(
            day=day, action=CalendarChange.Action.DECLARED, reason=reason, resolution=resolution, by=by
        )
        calendar_changed()
        queue_recompute(change)
    logger.info("Non-working day %s declared by user %s (%s; %s).", day, by.pk, reason, resolution or "-")
    return declared


def non_working_day_remove(*, by: User, pk: int) -> NonWorkingDay:
    """Remove the declared day `pk`; what was removed (unsaved) is returned for the message."""
    with transaction.atomic():
        policy.ensure(MANAGE_CALENDAR, by, None)
        declared = NonWorkingDay.objects.select_for_update().filter(pk=pk).first()
        if declared is None:
            raise CalendarError(_("That non-working day was removed already."))
        earliest, _latest = declarable_range()
        if declared.date < earliest:
            raise CalendarError(_("A non-working day more than a year old stays on the record."))
        change = CalendarChange.objects.create(
            day=declared.date,
            action=CalendarChange.Action.REMOVED,
            reason=declared.reason,
            resolution=declared.resolution,
            by=by,
        )
        declared.delete()
        calendar_changed()
        queue_recompute(change)
    logger.info("Non-working day %s removed by user %s.", declared.date, by.pk)
    return declared


# The years whose holidays `holidays_check` compares: deadlines not yet passed run from last year's
# waits to a couple of years ahead.
HOLIDAY_YEARS_BEFORE, HOLIDAY_YEARS_AFTER = 1, 2


def holidays_check(*, today: date | None = None) -> list[CalendarChange]:
    """Compare the package's holidays in use now (the installed `holidays`, OFFICE_HOLIDAY_SUBDIVISION)
    with those of the last check: each date that came or went is a CalendarChange (by nobody) whose
    deadlines are recomputed after commit like an office's own change. The first run only records
    the holidays. Run at every deploy (`manage.py check_calendar`)."""
    today = today or timezone.localdate()
    first, last = today.year - HOLIDAY_YEARS_BEFORE, today.year + HOLIDAY_YEARS_AFTER
    now = {day.isoformat(): str(name) for day, name in package_holidays(first, last).items()}
    subdivision = settings.OFFICE_HOLIDAY_SUBDIVISION
    changes: list[CalendarChange] = []
    with transaction.atomic():
        # One row; locked so two deploys at once record each change once.
        HolidaySet.objects.get_or_create(pk=1, defaults={"first_year": first, "last_year": last, "days": now})
        stored = HolidaySet.objects.select_for_update().get(pk=1)
        if stored.days != now or (stored.first_year, stored.last_year, stored.subdivision) != (
            first,
            last,
            subdivision,
        ):
            # Only the years both checks cover: a year entering the window is not a change.
            common = range(max(first, stored.first_year), min(last, stored.last_year) + 1)
            before = {iso: name for iso, name in stored.days.items() if int(iso[:4]) in common}
            after = {iso: name for iso, name in now.items() if int(iso[:4]) in common}
            came = [(iso, after[iso], CalendarChange.Action.HOLIDAY_ADDED) for iso in after.keys() - before.keys()]
            went = [(iso, before[iso], CalendarChange.Action.HOLIDAY_REMOVED) for iso in before.keys() - after.keys()]
            for iso, name, action in sorted(came + went):
                change = CalendarChange.objects.create(
                    day=date.fromisoformat(iso), action=action, reason=name[:200], by=None
                )
                queue_recompute(change)
                changes.append(change)
            stored.first_year, stored.last_year, stored.days, stored.subdivision = first, last, now, subdivision
            stored.save()
        if changes:
            calendar_changed()
    for change in changes:
        logger.warning("Holiday calendar changed: %s %s (%s).", change.day, change.action, change.reason)
    return changes
