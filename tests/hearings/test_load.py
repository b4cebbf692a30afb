"""Each person's load, for the supervisor: the figures per officer and per conciliator, and a page
that costs the same number of queries however many people and rows there are."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints.models import Complaint
from complaints.services.allocation import admission_assign
from hearings.models import Hearing
from parties.models import ConciliatorDayOff, Role, User
from tests.complaints.factories import served_case, submitted_case
from tests.conftest import make_user
from tests.hearings.factories import SERVED, at, booked_hearing, make_conciliator

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(SERVED, tick=True) as traveller:
        yield traveller


def figures(page, table: str, person) -> dict[str, str]:
    html = page.content.decode()
    start = html.index(f'data-load="{table}"')
    row = html[html.index(f'data-person="{person.pk}"', start) :]
    row = row[: row.index("</tr>")]
    found = {}
    for chunk in row.split('data-figure="')[1:]:
        name, rest = chunk.split('"', 1)
        value = rest.split(">", 1)[1]
        found[name] = value.replace('<span class="status-badge status-danger">', "").split("<")[0].strip()
    return found


def test_the_load_page_shows_each_persons_figures(
    client_for, supervisor, officer, consumer, company, representative, conciliator
):
    late, fresh = submitted_case(consumer, company), submitted_case(consumer, company)
    submitted_case(consumer, company)  # nobody's
    admission_assign(complaints=[late, fresh], officer=officer, by=supervisor)
    Complaint.objects.filter(pk=late.pk).update(review_due_at=SERVED - timedelta(days=1))
    today_case = served_case(consumer, company, officer)
    # One hearing today (already over, outcome not recorded), two in the next fortnight, one later.
    Hearing.objects.create(
        complaint=today_case,
        conciliator=conciliator,
        starts_at=at(3, 19, 9),
        ends_at=at(3, 19, 10),
        scheduled_by=officer,
    )
    for start in (at(3, 31, 10), at(4, 1, 10), at(4, 20, 10)):
        booked_hearing(served_case(consumer, company, officer), officer, conciliator=conciliator, starts_at=start)
    ConciliatorDayOff.objects.create(conciliator=conciliator.conciliator_profile, date=at(4, 10, 0).date())
    ConciliatorDayOff.objects.create(conciliator=conciliator.conciliator_profile, date=at(3, 2, 0).date())  # past

    page = client_for(supervisor).get(reverse("people_load"))

    assert page.status_code == 200
    assert figures(page, "officers", officer) == {"awaiting": "2", "overdue": "1"}
    assert figures(page, "conciliators", conciliator) == {
        "today": "1",
        "ahead": "2",
        "unrecorded": "1",
        "days_off": "1",
    }
    assert page.context["unassigned"] == 1


def test_the_load_page_costs_the_same_whatever_the_number_of_people(
    client_for, supervisor, officer, consumer, company, conciliator
):
    page = client_for(supervisor)
    page.get(reverse("people_load"))
    with CaptureQueriesContext(connection) as few:
        page.get(reverse("people_load"))
    for n in range(4):
        make_conciliator(f"c{n}@oficina.test", "Conciliador", f"N{n}")
    case = submitted_case(consumer, company)
    admission_assign(complaints=[case], officer=officer, by=supervisor)
    with CaptureQueriesContext(connection) as many:
        page.get(reverse("people_load"))
    assert len(many.captured_queries) == len(few.captured_queries)


def test_only_the_supervisor_sees_the_load(client_for, officer, conciliator, consumer, supervisor):
    url = reverse("people_load")
    for person in (officer, conciliator, consumer):
        assert client_for(person).get(url).status_code == 403
    home = client_for(supervisor).get(reverse("home"))
    assert url in home.content.decode()


def test_each_list_pages_on_its_own(monkeypatch, client_for, supervisor, officer, conciliator):
    monkeypatch.setattr("hearings.views.reassign.LOAD_PAGE_SIZE", 1)
    make_user("lucia@oficina.test", Role.OFFICER, first_name="Lucía", last_name="Benítez")
    make_conciliator("luis@oficina.test", "Luis", "Benítez")

    page = client_for(supervisor).get(reverse("people_load"), {"conciliators_page": 2, "q": ""})

    assert page.context["officers"].page.number == 1
    assert page.context["conciliators"].page.number == 2
    html = page.content.decode()
    # Each pager moves its own list and keeps the other's page.
    assert "?conciliators_page=1&amp;q=" in html
    assert "?conciliators_page=2&amp;q=&amp;officers_page=2" in html
    assert 'name="page"' not in html and "?page=" not in html


def test_the_load_page_shows_complaints_held_by_someone_no_longer_active(
    client_for, supervisor, officer, consumer, company
):
    gone = make_user("marta@oficina.test", Role.OFFICER, first_name="Marta", last_name="Ruiz")
    held = [submitted_case(consumer, company) for _ in range(2)]
    admission_assign(complaints=held, officer=gone, by=supervisor)
    User.objects.filter(pk=gone.pk).update(is_active=False)

    page = client_for(supervisor).get(reverse("people_load"))

    assert page.context["orphaned"] == 2
    assert "2 complaints awaiting review are assigned to someone no longer active." in page.content.decode()
    assert gone.pk not in [person.pk for person in page.context["officers"].page]
