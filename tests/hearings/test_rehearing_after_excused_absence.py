"""Once the office excuses the company's absence, the new hearing is held within days: no new
notice period, and the scheduling page says by when."""

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.states import State
from hearings.errors import HearingError
from hearings.models import Hearing
from hearings.scheduling import rehearing_due
from hearings.services.absences import absence_decide, absence_justify
from hearings.services.outcome import outcome_record
from hearings.services.scheduling import hearing_schedule
from parties.business_days import add_business_days
from tests.complaints.factories import served_case
from tests.hearings.test_outcome_support import hearing_under_way

pytestmark = pytest.mark.django_db


@pytest.fixture
def excused(consumer, company, officer, conciliator, representative):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    outcome_record(hearing=hearing, by=conciliator, outcome=Hearing.Outcome.COMPANY_ABSENT)
    justification = absence_justify(hearing=hearing, by=representative, text="Internación del apoderado.")
    absence_decide(justification=justification, by=officer, accept=True)
    hearing.complaint.refresh_from_db()
    return hearing.complaint


def test_the_new_hearing_may_be_two_business_days_away(excused, officer, conciliator):
    day = add_business_days(timezone.localdate(), 2)
    start = timezone.make_aware(datetime.combine(day, time(10)))

    hearing = hearing_schedule(complaint=excused, by=officer, starts_at=start, conciliator=conciliator)

    assert hearing.starts_at == start
    excused.refresh_from_db()
    assert excused.status == State.HEARING_SCHEDULED


def test_the_scheduling_page_says_by_when_it_should_be_held(excused, officer, client_for):
    due = rehearing_due(excused)
    assert due is not None and timezone.localdate(due) == add_business_days(timezone.localdate(), 5)

    page = client_for(officer).get(reverse("hearing_schedule", args=[excused.pk])).content.decode()

    assert "should be held by" in page
    assert "business days' notice" not in page


def test_a_first_hearing_still_owes_the_company_its_notice(consumer, company, officer, conciliator):
    case = served_case(consumer, company, officer)
    start = timezone.make_aware(datetime.combine(add_business_days(timezone.localdate(), 2), time(10)))

    with pytest.raises(HearingError, match="business days' notice"):
        hearing_schedule(complaint=case, by=officer, starts_at=start, conciliator=conciliator)


def test_an_unexcused_absence_cannot_get_a_new_hearing_even_by_calling_the_service(
    consumer, company, officer, conciliator
):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    outcome_record(hearing=hearing, by=conciliator, outcome=Hearing.Outcome.COMPANY_ABSENT)
    start = timezone.make_aware(datetime.combine(add_business_days(timezone.localdate(), 8), time(10)))

    with pytest.raises(HearingError, match="has not been excused"):
        hearing_schedule(complaint=hearing.complaint, by=officer, starts_at=start, conciliator=conciliator)


def test_after_an_excused_absence_a_second_absence_is_not_offered_a_new_hearing(
    excused, officer, conciliator, client_for
):
    # The company was excused once, then missed the new hearing too: that second absence is not excused.
    start = timezone.make_aware(datetime.combine(add_business_days(timezone.localdate(), 2), time(10)))
    second = hearing_schedule(complaint=excused, by=officer, starts_at=start, conciliator=conciliator)
    first = excused.hearings.get(status=Hearing.Status.HELD)
    Hearing.objects.filter(pk=first.pk).update(
        starts_at=first.starts_at - timedelta(days=3), ends_at=first.ends_at - timedelta(days=3)
    )
    began = timezone.now() - timedelta(minutes=45)
    Hearing.objects.filter(pk=second.pk).update(starts_at=began, ends_at=began + timedelta(hours=1))
    second.refresh_from_db()
    outcome_record(hearing=second, by=conciliator, outcome=Hearing.Outcome.COMPANY_ABSENT)
    schedule_url = reverse("hearing_schedule", args=[excused.pk])

    case_page = client_for(officer).get(reverse("complaint_detail", args=[excused.pk])).content.decode()
    scheduling_page = client_for(officer).get(schedule_url)

    assert schedule_url not in case_page
    assert scheduling_page.status_code == 302
    with pytest.raises(HearingError, match="has not been excused"):
        hearing_schedule(complaint=excused, by=officer, starts_at=start, conciliator=conciliator)
