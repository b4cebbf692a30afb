import pytest
from django.urls import reverse

from parties.models import ConciliatorDayOff, Role

pytestmark = pytest.mark.django_db

STAFF_PAGES = ["company_list", "company_create", "staff_list"]


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_a_consumer_cannot_reach_staff_pages(client_for, consumer, page):
    assert client_for(consumer).get(reverse(page)).status_code == 403


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_a_representative_cannot_reach_staff_pages(client_for, representative, page):
    assert client_for(representative).get(reverse(page)).status_code == 403


def test_a_consumer_cannot_reach_the_admin(client_for, consumer):
    response = client_for(consumer).get("/admin/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("company_list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(
    "fixture, expected",
    [
        ("consumer", "My cases"),
        ("representative", "Companies you represent"),
        ("officer", "Admission"),
        ("conciliator", "My hearings"),
        ("supervisor", "Office overview"),
    ],
)
def test_each_role_lands_on_its_own_home(request, client_for, fixture, expected):
    user = request.getfixturevalue(fixture)

    response = client_for(user).get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert expected in response.content.decode()


def test_a_consumer_without_a_profile_is_asked_to_complete_it(client_for, stranger):
    response = client_for(stranger).get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")

    assert "Complete your personal details" in response.content.decode()


def test_a_supervisor_grants_an_office_role(client_for, supervisor, stranger):
    response = client_for(supervisor).post(reverse("staff_list"), {"email": stranger.email, "role": "conciliator"})

    assert response.status_code == 302
    stranger.refresh_from_db()
    assert stranger.role == Role.CONCILIATOR
    assert stranger.conciliator_profile.work_days == "1,2,3,4,5"


def test_an_officer_cannot_grant_roles(client_for, officer, stranger):
    response = client_for(officer).post(reverse("staff_list"), {"email": stranger.email, "role": "supervisor"})

    assert response.status_code == 403
    stranger.refresh_from_db()
    assert stranger.role == Role.CONSUMER


def test_a_supervisor_sets_a_conciliators_hours_and_days_off(client_for, supervisor, conciliator):
    profile = conciliator.conciliator_profile
    client = client_for(supervisor)
    url = reverse("conciliator_calendar", args=[profile.pk])

    client.post(
        url,
        {
            "hours-work_days": ["1", "3"],
            "hours-work_start": "08:00",
            "hours-work_end": "12:00",
            "hours-max_hearings_per_day": "4",
        },
    )
    client.post(url, {"dayoff-date": "2026-12-24", "dayoff-reason": "Licencia"})

    profile.refresh_from_db()
    assert profile.weekdays == [1, 3]
    assert profile.work_start.hour == 8
    assert ConciliatorDayOff.objects.get(conciliator=profile).reason == "Licencia"


def test_working_hours_must_end_after_they_start(client_for, supervisor, conciliator):
    profile = conciliator.conciliator_profile
    response = client_for(supervisor).post(
        reverse("conciliator_calendar", args=[profile.pk]),
        {
            "hours-work_days": ["1"],
            "hours-work_start": "15:00",
            "hours-work_end": "09:00",
            "hours-max_hearings_per_day": "4",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert "The end of the working day must be after its start." in response.content.decode()
