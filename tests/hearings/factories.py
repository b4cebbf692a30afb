"""Hearings for tests, in the state a test needs.

    hearing = scheduled_hearing(consumer, company, officer, conciliator)   # case "hearing_scheduled"
    hearing = scheduled_hearing(..., starts_at=some_aware_datetime)

Built with the ORM plus the case's real transition, so tests of one part of hearings/ do not
depend on another part's services."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from complaints.services import complaint_transition
from complaints.states import State
from hearings.models import Hearing
from parties.models import Company, User
from tests.complaints.factories import served_case


def next_weekday_at(hour: int, *, days_ahead: int = 7) -> datetime:
    moment = timezone.localtime() + timedelta(days=days_ahead)
    while moment.isoweekday() > 5:
        moment += timedelta(days=1)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def scheduled_hearing(
    consumer: User,
    company: Company,
    officer: User,
    conciliator: User,
    *,
    starts_at: datetime | None = None,
    minutes: int = 60,
    complaint=None,
) -> Hearing:
    case = complaint or served_case(consumer, company, officer)
    start = starts_at or next_weekday_at(10)
    with transaction.atomic():
        hearing = Hearing.objects.create(
            complaint=case,
            conciliator=conciliator,
            starts_at=start,
            ends_at=start + timedelta(minutes=minutes),
            scheduled_by=officer,
        )
        complaint_transition(complaint=case, transition="schedule_hearing", by=officer)
    case.refresh_from_db()
    assert case.status == State.HEARING_SCHEDULED
    return hearing


# --- Scheduling (hearings/services/scheduling.py) ---------------------------------------------------


def make_conciliator(email: str, first_name: str, last_name: str, **profile: object) -> User:
    """Another conciliator, with working hours (the `conciliator` fixture is Ana Rodríguez, Mon to Fri, 9 to 15)."""
    from parties.models import ConciliatorProfile, Role
    from tests.conftest import enrol_totp, make_user

    user = make_user(email, Role.CONCILIATOR, first_name=first_name, last_name=last_name)
    ConciliatorProfile.objects.create(user=user, **profile)
    enrol_totp(user)
    return user


def booked_hearing(
    case, officer: User, *, conciliator: User | None = None, starts_at: datetime | None = None
) -> Hearing:
    """A hearing scheduled through the real service, at the first proposed slot unless told otherwise
    (the case must be waiting for a date, e.g. `served_case`). Notifies the parties like the office does."""
    from hearings.scheduling import propose_slots
    from hearings.services.scheduling import hearing_schedule

    if starts_at is None:
        slot = propose_slots(case, conciliator=conciliator)[0]
        starts_at, conciliator = slot.starts_at, slot.conciliator
    assert conciliator is not None, "give the conciliator along with starts_at"
    return hearing_schedule(complaint=case, by=officer, starts_at=starts_at, conciliator=conciliator)


# A fixed calendar for the scheduling tests: the case is served on Thursday 19 March 2026 at 11:00
# (the week of the 24 March holiday), and `at(month, day, hour)` is a time in Argentina that year.
BA = ZoneInfo("America/Argentina/Buenos_Aires")
SERVED = datetime(2026, 3, 19, 11, 0, tzinfo=BA)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BA)
