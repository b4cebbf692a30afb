"""What a día inhábil does to the hearings already booked: those held on it (nobody should hold a
hearing on a day the office does not work) and those whose company would no longer have had its
minimum notice (HEARING_NOTICE business days from being served) once the day stops counting.

The summary before declaring lists both; once declared, the calendar page lists every hearing still
to be held on a declared day, each with the link to reschedule it, until the office moves it."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from hearings.models import Hearing
from hearings.scheduling import notice_applies, office_tz
from hearings.selectors import hearings_visible_to
from parties.business_days import add_business_days, deadline_after, is_business_day
from parties.models import NonWorkingDay, User

# How far after the day a hearing may be whose notice the day shortens: the notice is a handful of
# business days, so a few weeks bound it with room for a run of holidays.
NOTICE_WINDOW = timedelta(days=45)


@dataclass(frozen=True)
class Affected:
    on_day: list[Hearing]
    short_notice: list[Hearing]


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=office_tz())
    return start, start + timedelta(days=1)


def _upcoming(user: User) -> QuerySet[Hearing]:
    return (
        hearings_visible_to(user)
        .filter(status=Hearing.Status.SCHEDULED, starts_at__gt=timezone.now())
        .select_related("complaint__company")
        .order_by("starts_at", "pk")
    )


def _shortened(hearing: Hearing, day: date) -> bool:
    """Whether closing `day` (a business day now) leaves the hearing short of the company's notice."""
    served = hearing.complaint.company_notified_at
    if served is None or timezone.localtime(served).date() >= day:
        return False
    notice_end = deadline_after(served, settings.DEADLINES["HEARING_NOTICE"]).date()
    if day > notice_end:
        return False
    # The day counted in the notice: without it the notice ends one business day later.
    new_end = add_business_days(notice_end, 1)
    return timezone.localtime(hearing.starts_at).date() <= new_end and notice_applies(hearing.complaint)


def hearings_affected(user: User, day: date) -> Affected:
    """The hearings `user` may see that declaring `day` touches (for the summary before declaring)."""
    start, end = _day_bounds(day)
    on_day = list(_upcoming(user).filter(starts_at__gte=start, starts_at__lt=end))
    short: list[Hearing] = []
    if is_business_day(day):
        later = _upcoming(user).filter(
            starts_at__gte=end, starts_at__lt=end + NOTICE_WINDOW, complaint__company_notified_at__lt=start
        )
        short = [hearing for hearing in later if _shortened(hearing, day)]
    return Affected(on_day=on_day, short_notice=short)


def hearings_on_declared_days(user: User) -> QuerySet[Hearing]:
    """Hearings still to be held on a day the office declared non-working, soonest first: the office
    moves each (the list empties as it does). On `hearing_upcoming` and NonWorkingDay's unique date."""
    declared = NonWorkingDay.objects.filter(date=OuterRef("local_day"))
    return (
        _upcoming(user)
        .annotate(local_day=TruncDate("starts_at", tzinfo=office_tz()))
        .filter(Exists(declared))
        .select_related("conciliator")
    )
