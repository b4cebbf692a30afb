"""Each person's load, for the supervisor: officers (complaints assigned to them awaiting review, and
how many of those are past their review deadline) and conciliators (hearings today, in the next 14
days, outcomes not recorded for hearings already over, days off ahead). Reads only.

It lives on the hearings floor because it reads both complaints and hearings. Each list is one query
whatever the number of people: every figure is a correlated COUNT on an index (`complaint_my_queue`
for officers; `hearing_conciliator_time` and the days off' unique (conciliator, date) for
conciliators), not a join of every row each person ever touched."""

from datetime import datetime, time, timedelta

from django.db.models import Func, IntegerField, OuterRef, QuerySet, Subquery
from django.utils import timezone

from complaints.models import Complaint
from complaints.services.allocation import orphan_holders
from complaints.states import State
from parties.models import ConciliatorDayOff, Role, User

from .models import Hearing
from .scheduling import conciliators, office_tz

AHEAD_DAYS = 14


def _count(rows: QuerySet) -> Subquery:
    """COUNT(*) of a correlated queryset, as a column of the outer query (0 rather than NULL)."""
    return Subquery(
        rows.order_by().annotate(n=Func("pk", function="COUNT", output_field=IntegerField())).values("n"),
        output_field=IntegerField(),
    )


def officers_load(*, now: datetime | None = None) -> QuerySet[User]:
    """Active officers, each with `awaiting` (assigned, awaiting review) and `overdue` (of those, past
    review_due_at). One query."""
    now = now or timezone.now()
    mine = Complaint.objects.filter(assigned_officer=OuterRef("pk"), status=State.SUBMITTED)
    return (
        User.objects.filter(role=Role.OFFICER, is_active=True)
        .annotate(awaiting=_count(mine), overdue=_count(mine.filter(review_due_at__lt=now)))
        .order_by("last_name", "first_name", "pk")
    )


def unassigned_count() -> int:
    """Complaints awaiting review that nobody has been given (on `complaint_unassigned_queue`)."""
    return Complaint.objects.filter(status=State.SUBMITTED, assigned_officer__isnull=True).count()


def orphaned_count() -> int:
    """Complaints awaiting review held by someone no longer active in the office: they count as
    unassigned for take-next and balancing. Two queries (the holders, then their complaints)."""
    orphans = orphan_holders()
    if not orphans:
        return 0
    return Complaint.objects.filter(status=State.SUBMITTED, assigned_officer_id__in=orphans).count()


def conciliators_load(*, now: datetime | None = None) -> QuerySet[User]:
    """Active conciliators with hours, each with `today`, `ahead` (scheduled from now to the end of
    the 14th day), `unrecorded` (scheduled hearings already over: the outcome is missing) and
    `days_off` (from today on). One query."""
    now = now or timezone.now()
    today = timezone.localtime(now, office_tz()).date()
    day_start = datetime.combine(today, time.min, tzinfo=office_tz())
    theirs = Hearing.objects.filter(conciliator=OuterRef("pk"))
    live = theirs.exclude(status=Hearing.Status.CANCELLED)
    scheduled = theirs.filter(status=Hearing.Status.SCHEDULED)
    return conciliators().annotate(
        today=_count(live.filter(starts_at__gte=day_start, starts_at__lt=day_start + timedelta(days=1))),
        ahead=_count(scheduled.filter(starts_at__gte=now, starts_at__lt=day_start + timedelta(days=AHEAD_DAYS + 1))),
        unrecorded=_count(scheduled.filter(ends_at__lt=now)),
        days_off=_count(ConciliatorDayOff.objects.filter(conciliator__user=OuterRef("pk"), date__gte=today)),
    )
