"""The supervisors' daily digest, the at-risk / overdue list, and recomputing deadlines when the
office's calendar changes."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints.models import CaseEvent, Complaint
from notifications.models import Notification
from oversight.models import Clock, DeadlineChange, Kind
from oversight.services.digest import send_digest
from oversight.services.recompute import recompute_deadlines
from parties.business_days import calendar_changed, deadline_after
from parties.models import NonWorkingDay, Role
from tests.complaints.factories import submitted_case
from tests.conftest import make_user
from tests.notifications.helpers import rendered

pytestmark = pytest.mark.django_db

BA = ZoneInfo("America/Argentina/Buenos_Aires")
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=BA)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def cases(consumer, company, n: int) -> list[Complaint]:
    return [submitted_case(consumer, company) for _ in range(n)]


# --- Digest -----------------------------------------------------------------------------------------


def test_each_supervisor_gets_one_digest_a_day_with_the_counts_per_rule(consumer, company, supervisor):
    other = make_user("jefa2@oficina.test", Role.SUPERVISOR)
    overdue, at_risk, _later = cases(consumer, company, 3)
    Clock.objects.filter(complaint=overdue).update(due_at=MONDAY - timedelta(days=1))
    Clock.objects.filter(complaint=at_risk).update(due_at=MONDAY + timedelta(hours=3))

    assert send_digest() == 2
    assert send_digest() == 0
    rows = Notification.objects.filter(event="clock_digest", channel="email")
    assert {row.recipient for row in rows} == {supervisor, other}
    body = rendered(rows.get(recipient=supervisor)).body_text
    assert "Revisión de admisión: 1 vencidos, 1 en riesgo" in body  # the supervisor reads Spanish
    assert reverse("clock_list") in body

    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        assert send_digest() == 2  # the next day, a new digest


def test_no_digest_is_sent_on_a_day_with_nothing_at_risk(consumer, company, supervisor):
    cases(consumer, company, 1)  # due in five business days: not at risk yet
    assert send_digest() == 0


# --- The list ---------------------------------------------------------------------------------------


def test_the_list_shows_overdue_and_at_risk_waits_soonest_first(consumer, company, supervisor, client_for):
    overdue, at_risk, later = cases(consumer, company, 3)
    Clock.objects.filter(complaint=overdue).update(due_at=MONDAY - timedelta(days=1))
    Clock.objects.filter(complaint=at_risk).update(due_at=MONDAY + timedelta(hours=3))

    page = client_for(supervisor).get(reverse("clock_list")).content.decode()
    assert page.index(overdue.number) < page.index(at_risk.number)
    assert later.number not in page

    only_overdue = client_for(supervisor).get(reverse("clock_list"), {"when": "overdue"}).content.decode()
    assert overdue.number in only_overdue and at_risk.number not in only_overdue
    searched = client_for(supervisor).get(reverse("clock_list"), {"q": str(at_risk.number).lower()}).content.decode()
    assert at_risk.number in searched and overdue.number not in searched
    other_rule = client_for(supervisor).get(reverse("clock_list"), {"kind": Kind.RECORDING}).content.decode()
    assert overdue.number not in other_rule


def test_officers_narrow_the_list_to_their_own(consumer, company, officer, client_for):
    mine, theirs = cases(consumer, company, 2)
    Clock.objects.all().update(due_at=MONDAY - timedelta(days=1))
    Clock.objects.filter(complaint=mine).update(assignee=officer)

    page = client_for(officer).get(reverse("clock_list"), {"assignee": "mine"}).content.decode()
    assert mine.number in page and theirs.number not in page


@pytest.mark.parametrize("role", ["consumer", "representative", "conciliator", "stranger"])
def test_nobody_outside_the_office_opens_the_list(role, request, client_for):
    user = request.getfixturevalue(role)
    assert client_for(user).get(reverse("clock_list")).status_code == 403


def test_the_list_costs_the_same_queries_with_three_rows_or_thirty(consumer, company, supervisor, client_for):
    def queries() -> int:
        Clock.objects.update(due_at=MONDAY - timedelta(days=1))
        client = client_for(supervisor)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("clock_list")).status_code == 200
        return len(captured)

    cases(consumer, company, 3)
    few = queries()
    cases(consumer, company, 27)
    # Session and user, the capped COUNT, and one query for the page's rows (with case and assignee).
    assert queries() == few


# --- Recomputing after a calendar change ------------------------------------------------------------


def test_a_declared_non_working_day_moves_open_deadlines_and_says_which(consumer, company, officer):
    case = submitted_case(consumer, company)
    clock = Clock.objects.get(complaint=case, kind=Kind.ADMISSION_REVIEW)
    old_due = clock.due_at
    day = date(2026, 3, 4)  # the Wednesday inside the five business days
    NonWorkingDay.objects.create(date=day, reason="Asueto", created_by=officer)
    calendar_changed()

    changes = recompute_deadlines(day=day)

    clock.refresh_from_db()
    case.refresh_from_db()
    assert case.submitted_at is not None
    assert clock.due_at == deadline_after(case.submitted_at, 5) > old_due
    assert case.review_due_at == clock.due_at
    # One deadline, one change: the clock mirrors the case's review column and is not recorded twice.
    assert [c.what for c in changes] == ["review_due_at"]
    assert DeadlineChange.objects.filter(complaint=case, day=day).count() == 1
    event = CaseEvent.objects.get(complaint=case, action="deadline_recomputed")
    assert "Revisión de admisión" in event.reason and "review_due_at" not in event.reason
    assert recompute_deadlines(day=day) == []  # idempotent


def test_a_deadline_already_passed_is_left_alone(consumer, company, officer):
    case = submitted_case(consumer, company)
    due = Clock.objects.get(complaint=case).due_at
    with time_machine.travel(MONDAY + timedelta(days=14), tick=False):
        NonWorkingDay.objects.create(date=date(2026, 3, 4), reason="Asueto", created_by=officer)
        calendar_changed()
        assert recompute_deadlines(day=date(2026, 3, 4)) == []
    assert not DeadlineChange.objects.exists()
    assert Clock.objects.get(complaint=case).due_at == due
