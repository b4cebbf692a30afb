"""Recomputing after a calendar change: never shorter, once per day at a time, in words."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from complaints import services as case_services
from complaints.models import CaseEvent
from complaints.states import State
from oversight.labels import describe
from oversight.models import DeadlineChange
from oversight.services.recompute import RecomputeBusy, _advisory_key, recompute_deadlines
from parties.business_days import calendar_changed
from parties.models import NonWorkingDay
from tests.complaints.factories import submitted_case
from workdays.oversight_link import deadline_label, recompute_day

pytestmark = pytest.mark.django_db

BA = ZoneInfo("America/Argentina/Buenos_Aires")
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=BA)
WEDNESDAY = date(2026, 3, 4)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def test_removing_a_dia_inhabil_keeps_the_longer_deadline_the_consumer_was_told(consumer, company, officer):
    NonWorkingDay.objects.create(date=WEDNESDAY, reason="Asueto", created_by=officer)
    calendar_changed()
    case = case_services.complaint_observe(
        complaint=submitted_case(consumer, company), by=officer, observation="Falta la factura."
    )
    told = case.correction_due_at
    assert told is not None
    with time_machine.travel(timezone.localtime(told).replace(hour=10, minute=0), tick=False):
        NonWorkingDay.objects.filter(date=WEDNESDAY).delete()
        calendar_changed()
        assert recompute_deadlines(day=WEDNESDAY) == []
        case.refresh_from_db()
        assert case.correction_due_at == told
        assert case_services.archive_uncorrected_complaints() == 0
    case.refresh_from_db()
    assert case.status == State.OBSERVED
    assert not DeadlineChange.objects.exists()
    assert not CaseEvent.objects.filter(complaint=case, action="deadline_recomputed").exists()


def test_a_recompute_of_a_day_already_running_elsewhere_is_refused_and_left_to_be_queued_again(consumer, company):
    submitted_case(consumer, company)
    other = connection.get_new_connection(connection.get_connection_params())
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", _advisory_key(WEDNESDAY))
        with pytest.raises(RecomputeBusy):
            recompute_deadlines(day=WEDNESDAY)
        assert recompute_day(WEDNESDAY) is None  # workdays leaves the change unmarked: beat queues it again
        assert recompute_deadlines(day=date(2026, 3, 5)) == []  # another day is free
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", _advisory_key(WEDNESDAY))
    finally:
        other.close()
    assert recompute_deadlines(day=WEDNESDAY) == []  # released: runs


@pytest.mark.parametrize("what", ["review_due_at", "clock:first_hearing", "part:7:domicile_due_at", "legal:appeal"])
def test_the_calendar_page_and_the_record_share_the_words_for_each_deadline(what):
    assert deadline_label(what) == describe(what)
    assert what.rsplit(":", 1)[-1] not in describe(what)
