"""Each person's home page leads to their hearings: the next ones, and what waits for them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.complaints.factories import served_case
from tests.hearings.factories import next_weekday_at, scheduled_hearing

pytestmark = pytest.mark.django_db


@pytest.fixture
def hearing(consumer, company, officer, conciliator):
    return scheduled_hearing(consumer, company, officer, conciliator)


@pytest.mark.parametrize("role", ["consumer", "representative", "conciliator"])
def test_each_party_sees_the_upcoming_hearing_with_a_link_to_its_room(request, hearing, client_for, role):
    page = client_for(request.getfixturevalue(role)).get("/").content.decode()

    assert "Upcoming hearings" in page
    assert reverse("hearing_room", args=[hearing.pk]) in page
    assert hearing.complaint.number in page


def test_the_conciliator_is_pointed_to_a_hearing_that_started_and_has_no_outcome(hearing, conciliator, client_for):
    type(hearing).objects.filter(pk=hearing.pk).update(
        starts_at=timezone.now() - timedelta(minutes=40), ends_at=timezone.now() + timedelta(minutes=20)
    )

    page = client_for(conciliator).get("/").content.decode()

    assert "Hearings waiting for their outcome" in page
    assert reverse("hearing_console", args=[hearing.pk]) in page


def test_a_stranger_sees_no_hearing_of_others(hearing, stranger, client_for):
    page = client_for(stranger).get("/").content.decode()

    assert reverse("hearing_room", args=[hearing.pk]) not in page


def test_the_office_sees_how_many_cases_wait_for_a_hearing_and_how_many_hearings_are_today(
    consumer, company, officer, conciliator, client_for
):
    served_case(consumer, company, officer)  # waits for a date
    scheduled_hearing(consumer, company, officer, conciliator)  # has one

    response = client_for(officer).get("/")

    assert response.context["to_schedule_count"] == 1
    assert response.context["hearings_today_count"] == 0
    assert reverse("hearing_calendar") in response.content.decode()


def test_the_offices_count_of_todays_hearings_takes_the_day_in_the_offices_time(
    consumer, company, officer, conciliator, client_for
):
    local_now = timezone.localtime()
    tonight = local_now.replace(hour=23, minute=0, second=0, microsecond=0)  # 02:00 tomorrow in UTC
    tomorrow = tonight + timedelta(hours=2)
    if local_now >= tonight - timedelta(minutes=5):
        pytest.skip("too close to midnight to place a hearing later today")
    for starts_at in (tonight - timedelta(minutes=61), tomorrow):
        scheduled_hearing(consumer, company, officer, conciliator, starts_at=starts_at, minutes=60)

    response = client_for(officer).get("/")

    assert response.context["hearings_today_count"] == 1


def test_the_conciliator_home_costs_the_same_queries_for_one_hearing_or_many(
    consumer, company, officer, conciliator, client_for
):
    client = client_for(conciliator)
    scheduled_hearing(consumer, company, officer, conciliator, starts_at=next_weekday_at(9))
    client.get("/")
    with CaptureQueriesContext(connection) as one:
        client.get("/")
    for day in range(2, 7):
        scheduled_hearing(consumer, company, officer, conciliator, starts_at=next_weekday_at(10, days_ahead=day * 7))
    with CaptureQueriesContext(connection) as many:
        client.get("/")

    assert len(many) == len(one)
