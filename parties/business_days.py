"""The office calendar: legal deadlines run in business days (días hábiles), skipping weekends
and Argentine national holidays (the `holidays` package keeps the list, including movable ones)."""

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
from django.utils import timezone


@lru_cache(maxsize=64)
def _holidays_for(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("AR", years=year)


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays_for(day.year)


def add_business_days(start: date, days: int) -> date:
    """The date `days` business days after `start` (start itself does not count)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_business_day(current):
            remaining -= 1
    return current


def business_days_between(start: date, end: date) -> int:
    """Business days after `start` up to and including `end` (0 when end <= start)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_business_day(current):
            count += 1
    return count


def deadline_after(moment: datetime, days: int) -> datetime:
    """End of the local day that is `days` business days after `moment`."""
    local = timezone.localtime(moment)
    due = add_business_days(local.date(), days)
    return timezone.make_aware(datetime.combine(due, datetime.max.time().replace(microsecond=0)))
