"""The scheduling pages as each person meets them: the office schedules, moves and cancels; the
parties download the invitation; conciliators and the office look at the week; the office lists
hearings. The clock stands at Thursday 19 March 2026, 11:00 (Buenos Aires), when the company is
served: the first possible day is Tuesday 31 March."""

import re
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar

from complaints.models import Complaint
from complaints.services import complaint_transition
from complaints.states import State
from hearings.models import AbsenceJustification, Hearing
from hearings.scheduling import propose_slots
from hearings.services.scheduling import hearing_adjourn
from hearings.views import scheduling as scheduling_views
from parties.models import Company, Representation, Role
from tests.complaints.factories import served_case
from tests.conftest import make_user
from tests.hearings.factories import SERVED, at, booked_hearing, make_conciliator, scheduled_hearing
from tests.helpers import case_number

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(SERVED, tick=True) as traveller:
        yield traveller


@pytest.fixture
def case(consumer, company, officer) -> Complaint:
    return served_case(consumer, company, officer)


def status_of(case: Complaint) -> str:
    return Complaint.objects.get(pk=case.pk).status


def text_of(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- Scheduling a case -------------------------------------------------------------------------------


def test_the_office_is_offered_the_earliest_slots_with_the_first_one_chosen(case, officer, conciliator, client_for):
    response = client_for(officer).get(reverse("hearing_schedule", args=[case.pk]))

    assert response.status_code == 200
    first = propose_slots(case)[0]
    assert first.starts_at == at(3, 31, 9)
    radios = [
        (value, " checked" in tag)
        for tag, value in re.findall(r'(<input type="radio" name="slot" value="([^"]+)"[^>]*>)', text_of(response))
    ]
    assert radios[0] == (first.value, True)
    assert radios[-1] == ("other", False)
    assert len(radios) == 6  # five proposals and "another"
    assert "Ana Rodríguez" in text_of(response)
    assert 'type="date"' in text_of(response) and 'type="time"' in text_of(response)


def test_confirming_the_proposed_slot_schedules_the_hearing(case, officer, conciliator, client_for):
    first = propose_slots(case)[0]

    response = client_for(officer).post(reverse("hearing_schedule", args=[case.pk]), {"slot": first.value}, follow=True)

    hearing = Hearing.objects.get(complaint=case)
    assert (hearing.starts_at, hearing.conciliator, hearing.scheduled_by) == (at(3, 31, 9), conciliator, officer)
    assert status_of(case) == State.HEARING_SCHEDULED
    assert response.redirect_chain[-1][0] == reverse("complaint_detail", args=[case.pk])
    assert any("The parties were notified" in message for message in messages_of(response))


def test_the_office_can_pick_another_time_and_conciliator(case, officer, conciliator, client_for):
    bruno = make_conciliator("bruno@oficina.test", "Bruno", "Aguirre")

    client_for(officer).post(
        reverse("hearing_schedule", args=[case.pk]),
        {"slot": "other", "date": "2026-04-01", "time": "11:30", "conciliator": bruno.pk},
    )

    hearing = Hearing.objects.get(complaint=case)
    assert (hearing.starts_at, hearing.ends_at, hearing.conciliator) == (at(4, 1, 11, 30), at(4, 1, 12, 30), bruno)


def test_another_time_needs_a_date_a_time_and_a_conciliator(case, officer, conciliator, client_for):
    response = client_for(officer).post(reverse("hearing_schedule", args=[case.pk]), {"slot": "other"})

    assert response.status_code == 200
    page = text_of(response)
    assert "There is a problem" in page
    for error in ("Enter the date of the hearing.", "Enter the time the hearing starts.", "Choose the conciliator."):
        assert error in page
    assert not Hearing.objects.exists()


def test_a_time_the_rules_refuse_is_explained_on_the_form(case, officer, conciliator, client_for):
    response = client_for(officer).post(
        reverse("hearing_schedule", args=[case.pk]),
        {"slot": "other", "date": "2026-03-27", "time": "10:00", "conciliator": conciliator.pk},
    )

    assert response.status_code == 200
    assert "at least 5 business days&#x27; notice" in text_of(response)
    assert 'value="2026-03-27"' in text_of(response)  # what was typed is kept
    assert status_of(case) == State.COMPANY_NOTIFIED


def test_submitting_the_form_twice_books_one_hearing(case, officer, conciliator, client_for):
    client = client_for(officer)
    data = {"slot": propose_slots(case)[0].value}

    client.post(reverse("hearing_schedule", args=[case.pk]), data)
    second = client.post(reverse("hearing_schedule", args=[case.pk]), data, follow=True)

    assert Hearing.objects.filter(complaint=case).count() == 1
    assert any("already scheduled" in message for message in messages_of(second))


def test_a_case_not_waiting_for_a_date_cannot_be_scheduled(consumer, company, officer, client_for):
    from tests.complaints.factories import submitted_case

    case = submitted_case(consumer, company)

    response = client_for(officer).get(reverse("hearing_schedule", args=[case.pk]), follow=True)

    assert any("cannot be scheduled now" in message for message in messages_of(response))


def test_an_adjourned_case_continues_with_the_same_conciliator(case, officer, conciliator, client_for, clock):
    aaron = make_conciliator("aaron@oficina.test", "Aaron", "Aaronson")  # first in the calendar order
    first = booked_hearing(case, officer, conciliator=conciliator)
    clock.move_to(first.starts_at + timedelta(minutes=40))
    hearing_adjourn(hearing=first, by=conciliator, reason="Cuarto intermedio.")

    page = client_for(officer).get(reverse("hearing_schedule", args=[case.pk]))
    slots = page.context["slots"]
    assert slots and {slot.conciliator for slot in slots} == {conciliator}
    assert aaron.display_name not in str(page.context["form"]["slot"])

    client_for(officer).post(reverse("hearing_schedule", args=[case.pk]), {"slot": slots[0].value})

    continuation = Hearing.objects.get(complaint=case, status=Hearing.Status.SCHEDULED)
    assert (continuation.continues, continuation.conciliator) == (first, conciliator)


def test_after_the_companys_absence_a_new_hearing_waits_for_an_accepted_justification(
    case, officer, conciliator, representative, client_for, clock
):
    first = booked_hearing(case, officer, conciliator=conciliator)
    clock.move_to(first.starts_at + timedelta(minutes=40))
    with transaction.atomic():
        complaint_transition(complaint=case, transition="record_company_absent", by=conciliator)
    Hearing.objects.filter(pk=first.pk).update(status=Hearing.Status.HELD, outcome=Hearing.Outcome.COMPANY_ABSENT)
    url = reverse("hearing_schedule", args=[case.pk])

    refused = client_for(officer).get(url, follow=True)
    assert any("absence has not been excused" in message for message in messages_of(refused))

    AbsenceJustification.objects.create(
        hearing=first,
        party="company",
        text="El apoderado estuvo internado.",
        submitted_by=representative,
        decision=AbsenceJustification.Decision.ACCEPTED,
    )
    assert client_for(officer).get(url).status_code == 200


@pytest.mark.parametrize("role", ["consumer", "representative", "conciliator", "stranger"])
def test_only_the_office_opens_the_scheduling_page(case, conciliator, role, request, client_for):
    person = request.getfixturevalue(role)
    url = reverse("hearing_schedule", args=[case.pk])

    assert client_for(person).get(url).status_code == 403
    assert client_for(person).post(url, {"slot": propose_slots(case)[0].value}).status_code == 403
    assert not Hearing.objects.exists()


def test_a_case_that_does_not_exist_is_a_404(officer, client_for):
    assert client_for(officer).get(reverse("hearing_schedule", args=[999999])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(case, client):
    response = client.get(reverse("hearing_schedule", args=[case.pk]))

    assert response.status_code == 302 and "login" in response["Location"]


# --- Moving and cancelling -------------------------------------------------------------------------


@pytest.fixture
def hearing(case, officer, conciliator, representative) -> Hearing:
    return booked_hearing(case, officer, conciliator=conciliator)


def test_the_office_moves_a_hearing_with_a_reason(hearing, officer, conciliator, client_for):
    url = reverse("hearing_reschedule", args=[hearing.pk])
    page = client_for(officer).get(url)
    assert page.status_code == 200
    assert 'value="2026-03-31"' in text_of(page) and 'value="09:00"' in text_of(page)

    response = client_for(officer).post(
        url, {"date": "2026-04-01", "time": "10:00", "conciliator": conciliator.pk, "reason": "Licencia."}
    )

    assert response.status_code == 302
    hearing.refresh_from_db()
    assert (hearing.starts_at, hearing.reschedule_count, hearing.ical_sequence) == (at(4, 1, 10), 1, 1)


def test_moving_without_a_reason_shows_the_error(hearing, officer, conciliator, client_for):
    response = client_for(officer).post(
        reverse("hearing_reschedule", args=[hearing.pk]),
        {"date": "2026-04-01", "time": "10:00", "conciliator": conciliator.pk, "reason": " "},
    )

    assert response.status_code == 200
    assert "Say why the hearing is moved." in text_of(response)
    assert Hearing.objects.get(pk=hearing.pk).starts_at == at(3, 31, 9)


def test_once_moved_as_often_as_allowed_the_case_page_offers_to_cancel_instead(hearing, officer, client_for, settings):
    settings.HEARINGS = {**settings.HEARINGS, "MAX_RESCHEDULES": 0}

    response = client_for(officer).get(reverse("hearing_reschedule", args=[hearing.pk]), follow=True)

    assert response.redirect_chain == [(reverse("complaint_detail", args=[hearing.complaint_id]), 302)]
    assert any("the most allowed. If it cannot be held, cancel it" in message for message in messages_of(response))
    assert reverse("hearing_reschedule", args=[hearing.pk]) not in text_of(response)
    assert reverse("hearing_cancel", args=[hearing.pk]) in text_of(response)


def test_the_office_cancels_a_hearing_with_a_reason(hearing, case, officer, client_for):
    url = reverse("hearing_cancel", args=[hearing.pk])
    assert "There is a problem" in text_of(client_for(officer).post(url, {"reason": ""}))

    response = client_for(officer).post(url, {"reason": "La empresa pidió otra fecha."}, follow=True)

    assert Hearing.objects.get(pk=hearing.pk).status == Hearing.Status.CANCELLED
    assert status_of(case) == State.COMPANY_NOTIFIED
    assert any("The hearing was cancelled" in message for message in messages_of(response))


def test_once_moved_as_often_as_allowed_the_week_and_the_list_offer_to_cancel_only(
    hearing, officer, client_for, settings
):
    settings.HEARINGS = {**settings.HEARINGS, "MAX_RESCHEDULES": 0}
    client = client_for(officer)

    week = text_of(client.get(reverse("hearing_calendar"), {"week": "2026-03-31"}))
    listed = text_of(client.get(reverse("hearing_list")))

    for page in (week, listed):
        assert case_number(hearing.complaint) in page
        assert reverse("hearing_reschedule", args=[hearing.pk]) not in page
        assert reverse("hearing_cancel", args=[hearing.pk]) in page
        assert f'href="{reverse("hearing_room", args=[hearing.pk])}"' not in page  # the office takes no part


def test_the_week_offers_its_conciliator_the_room_but_not_to_move_or_cancel(hearing, conciliator, client_for):
    week = text_of(client_for(conciliator).get(reverse("hearing_calendar"), {"week": "2026-03-31"}))

    assert f'href="{reverse("hearing_room", args=[hearing.pk])}"' in week
    assert reverse("hearing_reschedule", args=[hearing.pk]) not in week
    assert reverse("hearing_cancel", args=[hearing.pk]) not in week


@pytest.mark.parametrize("role", ["consumer", "representative", "conciliator"])
def test_the_parties_and_the_conciliator_cannot_move_or_cancel(hearing, role, request, client_for):
    client = client_for(request.getfixturevalue(role))

    assert client.post(reverse("hearing_cancel", args=[hearing.pk]), {"reason": "No."}).status_code == 403
    assert client.get(reverse("hearing_reschedule", args=[hearing.pk])).status_code == 403
    assert Hearing.objects.get(pk=hearing.pk).status == Hearing.Status.SCHEDULED


# --- The invitation download -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["consumer", "representative", "conciliator", "officer", "supervisor"])
def test_the_people_of_the_hearing_and_the_office_download_the_invitation(hearing, role, request, client_for):
    response = client_for(request.getfixturevalue(role)).get(reverse("hearing_ics", args=[hearing.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["UID"]) == f"{hearing.ical_uid}@concilia"


def test_strangers_and_other_companies_get_a_404_for_the_invitation(hearing, stranger, client_for):
    other = Company.objects.create(cuit="30500010912", legal_name="Otra S.A.", electronic_domicile="a@otra.test")
    outsider = make_user("rep@otra.test", Role.REPRESENTATIVE)
    Representation.objects.create(user=outsider, company=other)
    other_conciliator = make_conciliator("bruno@oficina.test", "Bruno", "Aguirre")

    for person in (stranger, outsider, other_conciliator):
        assert client_for(person).get(reverse("hearing_ics", args=[hearing.pk])).status_code == 404


# --- The week --------------------------------------------------------------------------------------


def hearings_in_the_week(conciliator, consumer, company, officer, hours) -> list[Hearing]:
    return [
        scheduled_hearing(
            consumer, company, officer, conciliator, starts_at=at(3, 30, hour) + timedelta(days=index % 3)
        )
        for index, hour in enumerate(hours)
    ]


def test_a_conciliator_sees_their_own_week_only(conciliator, consumer, company, officer, client_for):
    bruno = make_conciliator("bruno@oficina.test", "Bruno", "Aguirre")
    mine = scheduled_hearing(consumer, company, officer, conciliator, starts_at=at(3, 31, 10))
    theirs = scheduled_hearing(consumer, company, officer, bruno, starts_at=at(3, 31, 11))

    response = client_for(conciliator).get(reverse("hearing_calendar"), {"week": "2026-04-01", "conciliator": bruno.pk})

    page = text_of(response)
    assert response.status_code == 200
    assert "Week of 30 March to 3 April 2026" in page or "Week of March 30 to April 3, 2026" in page
    assert case_number(mine.complaint) in page
    assert case_number(theirs.complaint) not in page
    assert reverse("hearing_room", args=[mine.pk]) in page
    # Thursday 2 and Friday 3 April, each with its reason (not every closed day is a national holiday).
    assert "Not a business day (a holiday: Maundy Thursday" in page
    assert "Not a business day (a holiday: Good Friday): no hearings." in page


def test_the_office_sees_every_conciliator_and_can_narrow_to_one(conciliator, consumer, company, officer, client_for):
    bruno = make_conciliator("bruno@oficina.test", "Bruno", "Aguirre")
    anas = scheduled_hearing(consumer, company, officer, conciliator, starts_at=at(3, 31, 10))
    brunos = scheduled_hearing(consumer, company, officer, bruno, starts_at=at(3, 31, 10))
    url = reverse("hearing_calendar")

    everyone = text_of(client_for(officer).get(url, {"week": "2026-03-31"}))
    only_bruno = text_of(client_for(officer).get(url, {"week": "2026-03-31", "conciliator": bruno.pk}))

    assert case_number(anas.complaint) in everyone and case_number(brunos.complaint) in everyone
    assert case_number(brunos.complaint) in only_bruno and case_number(anas.complaint) not in only_bruno
    assert reverse("hearing_reschedule", args=[anas.pk]) in everyone
    assert "week=2026-03-23" in everyone and "week=2026-04-06" in everyone  # previous and next week


def test_every_conciliators_week_shows_each_days_first_hearings_and_sends_to_the_list_for_the_rest(
    conciliator, consumer, company, officer, client_for, monkeypatch
):
    monkeypatch.setattr(scheduling_views, "DAY_SHOWN", 2)
    bruno = make_conciliator("bruno@oficina.test", "Bruno", "Aguirre")
    anas, brunos = (
        scheduled_hearing(consumer, company, officer, c, starts_at=at(3, 31, 9)) for c in (conciliator, bruno)
    )
    eleven = scheduled_hearing(consumer, company, officer, conciliator, starts_at=at(3, 31, 11))
    wednesday = scheduled_hearing(consumer, company, officer, bruno, starts_at=at(4, 1, 9))
    url = reverse("hearing_calendar")

    everyone = client_for(officer).get(url, {"week": "2026-03-31"})
    only_ana = text_of(client_for(officer).get(url, {"week": "2026-03-31", "conciliator": conciliator.pk}))

    page = text_of(everyone)
    tuesday = next(day for day in everyone.context["days"] if day.day == date(2026, 3, 31))
    assert [hearing for hearing, _ in tuesday.hearings] == [anas, brunos]
    assert (tuesday.total, tuesday.more) == (3, 1)
    assert case_number(eleven.complaint) not in page and case_number(wednesday.complaint) in page
    assert "4 hearings this week" in page  # every hearing counts, shown or not
    the_day = f"{reverse('hearing_list')}?when=all&amp;date_from=2026-03-31&amp;date_to=2026-03-31&amp;status=standing"
    assert f'href="{the_day}"' in page
    assert "And 1 more: the 3 hearings of the day in the list" in page
    assert "date_from=2026-04-01" not in page  # a day whose hearings are all shown has no link
    # One conciliator's week is bounded by their hours: shown whole.
    assert case_number(anas.complaint) in only_ana and case_number(eleven.complaint) in only_ana


def test_the_list_of_a_day_shows_every_hearing_the_calendar_left_out(
    conciliator, consumer, company, officer, client_for
):
    hearings = [scheduled_hearing(consumer, company, officer, conciliator, starts_at=at(3, 31, h)) for h in (9, 11, 14)]

    listed = text_of(
        client_for(officer).get(
            reverse("hearing_list"), {"when": "all", "date_from": "2026-03-31", "date_to": "2026-03-31"}
        )
    )

    assert all(case_number(hearing.complaint) in listed for hearing in hearings)


def test_the_week_defaults_to_this_week(conciliator, client_for):
    response = client_for(conciliator).get(reverse("hearing_calendar"))

    assert response.context["monday"] == datetime(2026, 3, 16).date()


def test_on_a_weekend_the_calendar_opens_on_the_coming_week(conciliator, client_for, clock):
    clock.move_to(datetime(2026, 3, 21, 10, 0, tzinfo=SERVED.tzinfo))  # Saturday

    response = client_for(conciliator).get(reverse("hearing_calendar"))

    assert response.context["monday"] == datetime(2026, 3, 23).date()


def test_the_calendar_reads_the_same_number_of_queries_however_full_the_week(
    conciliator, consumer, company, officer, client_for
):
    bruno = make_conciliator("bruno@oficina.test", "Bruno", "Aguirre")
    url = reverse("hearing_calendar")
    for person in (officer, conciliator):
        client = client_for(person)
        client.get(url)  # warm the session
        hearings_in_the_week(conciliator, consumer, company, officer, [9])
        with CaptureQueriesContext(connection) as few:
            assert client.get(url, {"week": "2026-03-31"}).status_code == 200
        hearings_in_the_week(conciliator, consumer, company, officer, [10, 11, 12, 13, 14])
        hearings_in_the_week(bruno, consumer, company, officer, [9, 10, 11])
        with CaptureQueriesContext(connection) as many:
            assert client.get(url, {"week": "2026-03-31"}).status_code == 200
        # Session, user, MFA check, the conciliators for the filter, the week's hearings (the office's
        # week of every conciliator: and the days' totals), the days off.
        assert len(many) == len(few), (person, [q["sql"] for q in many])
        Hearing.objects.all().delete()


# --- The office's list -----------------------------------------------------------------------------


def test_the_office_lists_upcoming_hearings_and_filters_them(conciliator, consumer, company, officer, client_for):
    bruno = make_conciliator("bruno@oficina.test", "Bruno", "Aguirre")
    first = scheduled_hearing(consumer, company, officer, conciliator, starts_at=at(3, 31, 10))
    second = scheduled_hearing(consumer, company, officer, bruno, starts_at=at(4, 1, 10))
    past = scheduled_hearing(consumer, company, officer, bruno, starts_at=at(3, 18, 10))
    client = client_for(officer)
    url = reverse("hearing_list")

    def numbers(**filters) -> list[str]:
        response = client.get(url, filters)
        assert response.status_code == 200
        return [hearing.complaint.number for hearing in response.context["page_obj"]]

    assert numbers() == [first.complaint.number, second.complaint.number]
    assert numbers(when="past") == [past.complaint.number]
    assert numbers(conciliator=bruno.pk) == [second.complaint.number]
    assert numbers(q=second.complaint.number) == [second.complaint.number]
    assert numbers(q=str(int(case_number(first.complaint).split("-")[-1]))) == [first.complaint.number]
    assert numbers(when="all", status="scheduled", date_from="2026-03-31", date_to="2026-03-31") == [
        first.complaint.number
    ]


def test_the_list_shows_the_cases_waiting_for_a_date(case, officer, client_for):
    page = text_of(client_for(officer).get(reverse("hearing_list")))

    assert "1 case waits for a hearing date" in page
    assert reverse("hearing_schedule", args=[case.pk]) in page


def test_the_list_is_paginated_and_its_queries_do_not_grow_with_rows(
    conciliator, consumer, company, officer, client_for
):
    client = client_for(officer)
    url = reverse("hearing_list")
    client.get(url)
    scheduled_hearing(consumer, company, officer, conciliator, starts_at=at(3, 31, 9))
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    case = Complaint.objects.first()
    assert case is not None
    for day in range(30):  # continuations of the same case, to keep the test quick
        start = at(3, 31, 9) + timedelta(days=day + 1)
        Hearing.objects.create(
            complaint=case, conciliator=conciliator, starts_at=start, ends_at=start + timedelta(hours=1)
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)

    # Session, user, MFA check, the conciliators for the filter, the count and the page, the cases
    # waiting for a date (count and first rows).
    assert len(many) == len(few)
    assert len(response.context["page_obj"].object_list) == 25
    assert response.context["page_obj"].paginator.count == 31


def test_the_list_counts_hearings_and_waiting_cases_only_up_to_the_cap(
    conciliator, consumer, company, officer, client_for, monkeypatch
):
    monkeypatch.setattr(scheduling_views, "LIST_CAP", 2)
    hearings = [scheduled_hearing(consumer, company, officer, conciliator, starts_at=at(3, 31, h)) for h in (9, 11, 13)]
    for _ in range(3):
        served_case(consumer, company, officer)

    response = client_for(officer).get(reverse("hearing_list"))

    page = text_of(response)
    assert "More than 2 hearings" in page and "More than 2 cases wait for a hearing date" in page
    assert [hearing for hearing, _ in response.context["rows"]] == hearings[:2]  # pages stop at the cap


@pytest.mark.parametrize("role", ["consumer", "representative", "conciliator"])
def test_only_the_office_sees_the_list(role, request, client_for):
    assert client_for(request.getfixturevalue(role)).get(reverse("hearing_list")).status_code == 403


# --- Navigation --------------------------------------------------------------------------------------


def test_the_office_and_conciliators_find_the_hearings_in_the_menu(officer, conciliator, consumer, client_for):
    officer_page = text_of(client_for(officer).get(reverse("home")))
    conciliator_page = text_of(client_for(conciliator).get(reverse("home")))
    consumer_page = text_of(client_for(consumer).get(reverse("home")))

    assert f'href="{reverse("hearing_list")}"' in officer_page
    assert f'href="{reverse("hearing_calendar")}"' in officer_page
    assert f'href="{reverse("hearing_calendar")}"' in conciliator_page
    assert f'href="{reverse("hearing_list")}"' not in conciliator_page
    assert f'href="{reverse("hearing_calendar")}"' not in consumer_page
