"""Dates far in the past or future are refused with a message, never a server error."""

from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from hearings.errors import HearingError
from hearings.services.scheduling import hearing_schedule
from hearings.views.scheduling import working_week_of
from tests.complaints.factories import served_case

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-03"])
def test_the_calendar_shows_this_week_instead_of_a_week_out_of_range(officer, client_for, week):
    response = client_for(officer).get(reverse("hearing_calendar"), {"week": week})

    assert response.status_code == 200
    assert response.context["monday"] == working_week_of(timezone.localdate())


def test_the_hearing_list_refuses_a_far_off_date(officer, client_for):
    response = client_for(officer).get(reverse("hearing_list"), {"date_to": "9999-12-31"})

    assert response.status_code == 200


def test_scheduling_a_far_off_date_is_refused_by_the_service(consumer, company, officer, conciliator):
    case = served_case(consumer, company, officer)
    far = timezone.make_aware(datetime(9999, 12, 31, 23, 30))

    with pytest.raises(HearingError, match="within the next few years"):
        hearing_schedule(complaint=case, by=officer, starts_at=far, conciliator=conciliator)


def test_scheduling_page_with_a_far_off_date_shows_the_error(consumer, company, officer, conciliator, client_for):
    case = served_case(consumer, company, officer)

    response = client_for(officer).post(
        reverse("hearing_schedule", args=[case.pk]),
        {"slot": "other", "date": "9999-12-31", "time": "23:30", "conciliator": conciliator.pk},
    )

    assert response.status_code in (200, 302)
    assert case.hearings.count() == 0
