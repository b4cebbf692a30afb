"""Hearings are never proposed, nor booked by hand, on a day the office calendar closes.

The company is served on Wednesday 4 November 2026. Five business days of notice: Thursday 5,
Friday 6, (Monday 9 is a national holiday, Tuesday 10 a CABA holiday) Wednesday 11, Thursday 12 and
Friday 13. The first day a hearing can be held is Monday 16 November."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from complaints.models import Complaint
from hearings.scheduling import propose_slots, slot_refusal
from tests.complaints.factories import served_case
from workdays.services import non_working_day_declare

pytestmark = pytest.mark.django_db

BA = ZoneInfo("America/Argentina/Buenos_Aires")
SERVED = datetime(2026, 11, 4, 11, 0, tzinfo=BA)


def at(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=BA)


@pytest.fixture(autouse=True)
def _served_day():
    with time_machine.travel(SERVED, tick=False):
        yield


@pytest.fixture
def case(consumer, company, officer) -> Complaint:
    case = served_case(consumer, company, officer)
    Complaint.objects.filter(pk=case.pk).update(company_notified_at=SERVED)
    case.refresh_from_db()
    return case


def test_the_notice_skips_the_caba_holiday(case, conciliator):
    assert propose_slots(case, now=SERVED, count=1)[0].starts_at == at(11, 16, 9)


def test_slot_proposals_skip_a_day_the_office_declared(case, conciliator, supervisor):
    non_working_day_declare(by=supervisor, day=date(2026, 11, 16), reason="Asueto administrativo")

    slots = propose_slots(case, now=SERVED, count=3)

    assert [slot.starts_at.date() for slot in slots] == [date(2026, 11, 17)] * 3


def test_a_hearing_typed_by_hand_on_a_declared_day_is_refused_with_the_reason(case, conciliator, supervisor):
    non_working_day_declare(by=supervisor, day=date(2026, 11, 16), reason="Asueto administrativo")

    refusal = slot_refusal(case, conciliator, at(11, 16, 10), at(11, 16, 11), now=SERVED)

    assert refusal == (
        "Nov. 16, 2026 is not a business day (a non-working day declared by the office: Asueto administrativo): "
        "choose another date."
    )
    assert slot_refusal(case, conciliator, at(11, 17, 10), at(11, 17, 11), now=SERVED) is None


def test_a_hearing_typed_by_hand_on_a_caba_holiday_is_refused(consumer, company, officer, conciliator):
    case = served_case(consumer, company, officer)

    refusal = slot_refusal(case, conciliator, at(11, 10, 10), at(11, 10, 11), now=SERVED, notice=False)

    assert refusal is not None and "a holiday: Visit of His Holiness Pope Leo XIV" in refusal


def test_the_hearings_week_says_why_each_closed_day_is_closed(client_for, officer, supervisor):
    from django.urls import reverse

    non_working_day_declare(by=supervisor, day=date(2026, 11, 12), reason="Asueto administrativo")

    page = client_for(officer).get(reverse("hearing_calendar"), {"week": "2026-11-09"}).content.decode()

    assert "National holiday" not in page
    assert "Not a business day (a holiday: Visit of His Holiness Pope Leo XIV): no hearings." in page
    assert "(a non-working day declared by the office: Asueto administrativo)" in page
