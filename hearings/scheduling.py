"""Where a hearing can go: the proposal of free slots for a case, and the check a hand-picked slot
must pass. Reads only; hearings/services/scheduling.py writes.

The rules (DOMAIN.md): the hearing is at least HEARING_NOTICE business days after the company was
served; only on business days (parties/business_days.py: weekends, national and jurisdiction
holidays and the office's declared días inhábiles off) that the conciliator
works and has not taken off; inside their hours; at most their `max_hearings_per_day`; never
overlapping another of their hearings (a cancelled one frees its time, a held or adjourned one does
not). PostgreSQL enforces the last rule itself (migration 0002); `conflicts` is the same check in
code, for SQLite and for a friendly message before the database refuses."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import cast

from django.conf import settings
from django.db.models import Func, IntegerField, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from complaints.models import Complaint
from complaints.states import State
from parties.business_days import add_business_days, deadline_after, is_business_day, why_not_business_day
from parties.models import ConciliatorDayOff, ConciliatorProfile, Role, User

from .models import AbsenceJustification, Attendance, Hearing


def office_tz() -> tzinfo:
    """The office's time zone (settings.TIME_ZONE, from OFFICE_TIME_ZONE): hours and days are its."""
    return timezone.get_default_timezone()


# How far past the earliest allowed day the proposal looks before giving up (calendar days).
HORIZON_DAYS = 60


@dataclass(frozen=True)
class Slot:
    conciliator: User
    starts_at: datetime
    ends_at: datetime

    @property
    def value(self) -> str:
        """How a form posts this slot back: "<conciliator pk>@<ISO start>"."""
        return f"{self.conciliator.pk}@{self.starts_at.isoformat()}"


def hearing_setting(name: str) -> int:
    """A number from settings.HEARINGS (the dict mixes ints and a tuple, so it is typed `object`)."""
    return cast(int, settings.HEARINGS[name])


def duration() -> timedelta:
    return timedelta(minutes=hearing_setting("DURATION_MINUTES"))


def conciliators() -> QuerySet[User]:
    """The people who can hold a hearing: active conciliators with working hours on file."""
    return (
        User.objects.filter(role=Role.CONCILIATOR, is_active=True, conciliator_profile__isnull=False)
        .select_related("conciliator_profile")
        .order_by("last_name", "first_name", "pk")
    )


def notice_deadline(complaint: Complaint, *, now: datetime | None = None) -> datetime:
    """The end of the last day of the company's minimum notice: a hearing starts after it. The notice
    runs from when the date is announced (now), and never before the company was served."""
    now = now or timezone.now()
    announced = max(complaint.company_notified_at or now, now)
    return deadline_after(announced, settings.DEADLINES["HEARING_NOTICE"])


def rehearing_due(complaint: Complaint) -> datetime | None:
    """After the office excused the company's absence, the new hearing is held within a few
    business days of that decision (DOMAIN.md): the date it should be held by, or None."""
    if complaint.status != State.COMPANY_ABSENT:
        return None
    # The excuse must be for the absence the case is in now: that of its latest hearing.
    last = (
        Hearing.objects.filter(complaint=complaint)
        .exclude(status=Hearing.Status.CANCELLED)
        .order_by("-starts_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    if last is None:
        return None
    decided = (
        AbsenceJustification.objects.filter(
            hearing_id=last,
            party=Attendance.Party.COMPANY,
            decision=AbsenceJustification.Decision.ACCEPTED,
        )
        .order_by("-decided_at")
        .values_list("decided_at", flat=True)
        .first()
    )
    return deadline_after(decided, settings.DEADLINES["NEW_HEARING_AFTER_EXCUSED_ABSENCE"]) if decided else None


def notice_applies(complaint: Complaint) -> bool:
    """The company is owed the minimum notice before a first hearing (or one moved by the office);
    not before a cuarto intermedio, whose date the parties learn at the hearing, nor before the
    hearing that follows its own excused absence, which must be held within days."""
    return complaint.status != State.ADJOURNED and rehearing_due(complaint) is None


def earliest_start(complaint: Complaint, *, now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    if not notice_applies(complaint):
        return now
    return max(notice_deadline(complaint, now=now), now)


def conflicts(
    conciliator: User, starts_at: datetime, ends_at: datetime, exclude: Hearing | None = None
) -> QuerySet[Hearing]:
    """The conciliator's hearings that overlap [starts_at, ends_at) — half-open, like the database's
    tstzrange(…, '[)'), so back-to-back hearings are fine."""
    found = Hearing.objects.filter(conciliator=conciliator, starts_at__lt=ends_at, ends_at__gt=starts_at).exclude(
        status=Hearing.Status.CANCELLED
    )
    if exclude is not None:
        found = found.exclude(pk=exclude.pk)
    return found


def double_booked_message() -> str:
    return _("The conciliator already has a hearing at that time. Choose another time or another conciliator.")


def _local(moment: datetime) -> datetime:
    return moment.astimezone(office_tz())


def _day(day: date) -> str:
    return date_format(day, "DATE_FORMAT")


def slot_refusal(
    complaint: Complaint,
    conciliator: User,
    starts_at: datetime,
    ends_at: datetime,
    *,
    exclude: Hearing | None = None,
    now: datetime | None = None,
    notice: bool | None = None,
) -> str | None:
    """Why a hearing of `complaint` cannot be held then by that conciliator, or None if it can.
    `exclude` is the hearing being moved (its own time does not count against it). `notice`: whether
    the company's minimum notice applies; by default as `notice_applies` says for the case's state."""
    now = now or timezone.now()
    if notice is None:
        notice = notice_applies(complaint)
    if starts_at <= now:
        return _("A hearing must start in the future.")
    deadline = notice_deadline(complaint, now=now)
    if notice and starts_at <= deadline:
        first_day = add_business_days(_local(deadline).date(), 1)
        return _(
            "The company must have at least %(days)s business days' notice of the hearing: choose a date "
            "from %(date)s on."
        ) % {"days": settings.DEADLINES["HEARING_NOTICE"], "date": _day(first_day)}
    profile = ConciliatorProfile.objects.filter(user=conciliator).first() if conciliator.pk else None
    if conciliator.role != Role.CONCILIATOR or not conciliator.is_active or profile is None:
        return _("Choose a conciliator who holds hearings.")
    name = conciliator.get_full_name() or conciliator.email
    start, end = _local(starts_at), _local(ends_at)
    day = start.date()
    closed = why_not_business_day(day)
    if closed:
        return _("%(date)s is not a business day (%(why)s): choose another date.") % {"date": _day(day), "why": closed}
    if day.isoweekday() not in profile.weekdays:
        return _("%(name)s does not hold hearings on %(weekday)s.") % {
            "name": name,
            "weekday": date_format(day, "l"),
        }
    if ConciliatorDayOff.objects.filter(conciliator=profile, date=day).exists():
        return _("%(name)s is off on %(date)s.") % {"name": name, "date": _day(day)}
    if end.date() != day or start.time() < profile.work_start or end.time() > profile.work_end:
        return _("%(name)s holds hearings between %(start)s and %(end)s.") % {
            "name": name,
            "start": time_format(profile.work_start, "TIME_FORMAT"),
            "end": time_format(profile.work_end, "TIME_FORMAT"),
        }
    day_start = datetime.combine(day, time.min, tzinfo=office_tz())
    same_day = Hearing.objects.filter(
        conciliator=conciliator, starts_at__gte=day_start, starts_at__lt=day_start + timedelta(days=1)
    ).exclude(status=Hearing.Status.CANCELLED)
    if exclude is not None:
        same_day = same_day.exclude(pk=exclude.pk)
    if same_day.count() >= profile.max_hearings_per_day:
        return _("%(name)s already has %(count)s hearings on %(date)s, the most they hold in a day.") % {
            "name": name,
            "count": profile.max_hearings_per_day,
            "date": _day(day),
        }
    if conflicts(conciliator, starts_at, ends_at, exclude=exclude).exists():
        return double_booked_message()
    return None


def _grid(day: date, profile: ConciliatorProfile, length: timedelta, step: timedelta) -> list[datetime]:
    """Starts on the SLOT_MINUTES grid (counted from midnight) inside the conciliator's hours."""
    midnight = datetime.combine(day, time.min, tzinfo=office_tz())
    opens = datetime.combine(day, profile.work_start, tzinfo=office_tz())
    closes = datetime.combine(day, profile.work_end, tzinfo=office_tz())
    steps_in = -(-(opens - midnight) // step)  # round up to the grid
    start = midnight + steps_in * step
    starts = []
    while start + length <= closes:
        starts.append(start)
        start += step
    return starts


def propose_slots(
    complaint: Complaint, *, now: datetime | None = None, count: int = 5, conciliator: User | None = None
) -> list[Slot]:
    """The `count` earliest free start times for a hearing of this case, each with the conciliator
    free then who has the fewest upcoming hearings (ties: the lowest id, so the proposal is stable). With `conciliator`,
    only that conciliator's free times (a continuation stays with whoever held the hearing).

    Three queries whatever the size of the office: the conciliators with their upcoming load, their
    days off in the search window, and their hearings in it."""
    now = now or timezone.now()
    earliest = earliest_start(complaint, now=now)
    length, step = duration(), timedelta(minutes=hearing_setting("SLOT_MINUTES"))
    first_day = _local(earliest).date()
    last_day = first_day + timedelta(days=HORIZON_DAYS)
    window_start = datetime.combine(first_day, time.min, tzinfo=office_tz())
    window_end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=office_tz())

    candidates = conciliators() if conciliator is None else conciliators().filter(pk=conciliator.pk)
    # A count per conciliator of their hearings still to come (on `hearing_conciliator_time`), not an
    # aggregate joining every hearing they ever held.
    upcoming = (
        Hearing.objects.filter(conciliator=OuterRef("pk"), status=Hearing.Status.SCHEDULED, starts_at__gte=now)
        .order_by()
        .annotate(n=Func("pk", function="COUNT", output_field=IntegerField()))
        .values("n")
    )
    people = list(candidates.annotate(upcoming=Subquery(upcoming)))
    if not people:
        return []
    ids = [person.pk for person in people]
    days_off = set(
        ConciliatorDayOff.objects.filter(
            conciliator__user_id__in=ids, date__gte=first_day, date__lte=last_day
        ).values_list("conciliator__user_id", "date")
    )
    busy: dict[tuple[int, date], list[tuple[datetime, datetime]]] = defaultdict(list)
    for conciliator_id, starts_at, ends_at in (
        Hearing.objects.filter(conciliator_id__in=ids, starts_at__lt=window_end, ends_at__gt=window_start)
        .exclude(status=Hearing.Status.CANCELLED)
        .values_list("conciliator_id", "starts_at", "ends_at")
    ):
        busy[(conciliator_id, _local(starts_at).date())].append((starts_at, ends_at))

    slots: list[Slot] = []
    day = first_day
    while day <= last_day and len(slots) < count:
        if is_business_day(day):
            best: dict[datetime, tuple[int, int, User]] = {}  # start → (load, pk, conciliator)
            for person in people:
                profile = person.conciliator_profile
                taken = busy[(person.pk, day)]
                if (
                    day.isoweekday() not in profile.weekdays
                    or (person.pk, day) in days_off
                    or len(taken) >= profile.max_hearings_per_day
                ):
                    continue
                for start in _grid(day, profile, length, step):
                    end = start + length
                    if start <= earliest or any(s < end and e > start for s, e in taken):
                        continue
                    rank = (person.upcoming, person.pk, person)
                    if start not in best or rank[:2] < best[start][:2]:
                        best[start] = rank
            for start in sorted(best):
                slots.append(Slot(conciliator=best[start][2], starts_at=start, ends_at=start + length))
                if len(slots) == count:
                    break
        day += timedelta(days=1)
    return slots
