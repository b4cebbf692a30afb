"""The office calendar page (/oficina/calendario-habil/): the holidays, the declared days, declaring
one in two steps, removing one, and who may."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from parties.models import NonWorkingDay
from tests.complaints.factories import served_case
from workdays.models import CalendarChange
from workdays.services import non_working_day_declare, non_working_day_remove

pytestmark = pytest.mark.django_db

BA = ZoneInfo("America/Argentina/Buenos_Aires")
PAGE = "/oficina/calendario-habil/"
DECLARE = "/oficina/calendario-habil/declarar/"


@pytest.fixture(autouse=True)
def _october_2026():
    with time_machine.travel(datetime(2026, 10, 1, 12, 0, tzinfo=BA), tick=False):
        yield


@pytest.fixture
def office(client_for, supervisor) -> Client:
    return client_for(supervisor)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_urls_are_where_the_office_expects_them():
    assert reverse("office_calendar") == PAGE
    assert reverse("non_working_day_declare") == DECLARE


def test_the_page_lists_this_and_next_years_holidays_with_the_jurisdictions_own(office):
    page = office.get(PAGE).content.decode()

    assert "Holidays in 2026" in page and "Holidays in 2027" in page
    assert "Independence Day" in page
    assert '<time datetime="2026-11-10">' in page  # the CABA-only day
    assert "Ciudad Autónoma de Buenos Aires" in page


def test_the_page_reads_in_spanish_for_a_spanish_reader(supervisor):
    from tests.conftest import log_in

    page = log_in(Client(HTTP_ACCEPT_LANGUAGE="es-AR"), supervisor).get(PAGE).content.decode()

    assert "Visita de Su Santidad el Papa León XIV" in page


@pytest.mark.parametrize("role", ["consumer", "stranger", "officer", "conciliator", "representative"])
def test_only_supervisors_and_the_director_open_the_page(request, client_for, role, supervisor):
    person = request.getfixturevalue(role)
    declared = non_working_day_declare(by=supervisor, day=date(2026, 11, 12), reason="Asueto")
    client = client_for(person)

    assert client.get(PAGE).status_code == 403
    assert client.post(DECLARE, {"date": "2026-11-13", "reason": "X", "confirmed": "on"}).status_code == 403
    remove = reverse("non_working_day_remove", args=[declared.pk])
    assert client.get(remove).status_code == 403
    assert client.post(remove).status_code == 403
    assert list(NonWorkingDay.objects.values_list("date", flat=True)) == [date(2026, 11, 12)]


def test_a_visitor_is_sent_to_sign_in(client):
    response = client.get(PAGE)

    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_the_director_opens_the_page(client_for):
    from parties.models import Role
    from tests.conftest import enrol_totp, make_user

    director = make_user("directora@oficina.test", Role.DIRECTOR)
    enrol_totp(director)

    assert client_for(director).get(PAGE).status_code == 200


def test_declaring_shows_a_summary_first_then_records_the_day(office, supervisor):
    data = {"date": "2026-11-12", "reason": "Asueto administrativo", "resolution": "Res. 12/2026"}

    summary = office.post(DECLARE, data)

    assert summary.status_code == 200
    assert "Confirm the non-working day" in summary.content.decode()
    assert not NonWorkingDay.objects.exists()

    done = office.post(DECLARE, {**data, "confirmed": "on"}, follow=True)

    assert done.redirect_chain == [(PAGE, 302)]
    assert messages_of(done) == [
        "Nov. 12, 2026 is now a non-working day. Deadlines still running over it are being recomputed."
    ]
    declared = NonWorkingDay.objects.get()
    assert (declared.date, declared.reason, declared.resolution, declared.created_by) == (
        date(2026, 11, 12),
        "Asueto administrativo",
        "Res. 12/2026",
        supervisor,
    )
    page = done.content.decode()
    assert "Asueto administrativo" in page and reverse("non_working_day_remove", args=[declared.pk]) in page


def test_a_day_in_the_past_is_declared_with_a_warning_in_the_summary(office):
    summary = office.post(DECLARE, {"date": "2026-09-15", "reason": "Caída del sistema"}).content.decode()

    assert "This day is in the past" in summary


def test_a_double_submit_declares_the_day_once_and_shows_one_message(office):
    data = {"date": "2026-11-12", "reason": "Asueto", "confirmed": "on"}
    office.post(DECLARE, data)

    again = office.post(DECLARE, data, follow=True)

    assert again.redirect_chain == [(PAGE, 302)]
    assert messages_of(again) == [
        "Nov. 12, 2026 is now a non-working day. Deadlines still running over it are being recomputed."
    ]
    assert NonWorkingDay.objects.count() == 1
    assert CalendarChange.objects.count() == 1


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("2026-11-14", "is a Saturday or a Sunday"),
        ("2026-11-10", "is already a holiday"),
        ("", "This field is required"),
    ],
)
def test_a_day_that_cannot_be_declared_is_explained_on_the_form(office, day, message):
    response = office.post(DECLARE, {"date": day, "reason": "Asueto"})

    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="error-summary"' in page and message in page
    assert 'aria-describedby="id_date_helptext id_date_error"' in page or 'id="id_date_error"' in page
    assert not NonWorkingDay.objects.exists()


def test_removing_asks_first_then_removes_and_a_second_removal_is_a_message(office, supervisor):
    declared = non_working_day_declare(by=supervisor, day=date(2026, 11, 12), reason="Asueto")
    url = reverse("non_working_day_remove", args=[declared.pk])

    confirm = office.get(url)
    assert confirm.status_code == 200 and "Remove the non-working day" in confirm.content.decode()
    assert NonWorkingDay.objects.exists()

    done = office.post(url, follow=True)
    assert messages_of(done) == [
        "Nov. 12, 2026 is a business day again. Deadlines still running over it are being recomputed."
    ]
    assert not NonWorkingDay.objects.exists()

    again = office.post(url, follow=True)
    assert messages_of(again) == ["That non-working day was removed already."]
    assert office.get(url).status_code == 404
    assert CalendarChange.objects.filter(action="removed").count() == 1


def test_the_page_shows_which_deadlines_a_declared_day_moved(office, supervisor, consumer, company, officer):
    oversight = pytest.importorskip("oversight.models")
    case = served_case(consumer, company, officer)
    declared = non_working_day_declare(by=supervisor, day=date(2026, 11, 12), reason="Asueto")
    due = datetime(2026, 11, 13, 23, 59, 59, tzinfo=BA)
    oversight.DeadlineChange.objects.create(
        day=declared.date, complaint=case, what="review", old_due=due, new_due=due + timedelta(days=3)
    )

    page = office.get(PAGE).content.decode()

    assert "1 deadline moved" in page
    assert case.number in page
    assert reverse("complaint_detail", args=[case.pk]) in page


def test_the_page_costs_the_same_queries_for_one_declared_day_as_for_many(
    office, supervisor, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    # Committed (as far as this test goes): the calendar is then kept in memory, not read per question.
    with django_capture_on_commit_callbacks(execute=True):
        non_working_day_declare(by=supervisor, day=date(2026, 11, 12), reason="Asueto")
    office.get(PAGE)  # the calendar is loaded in this process
    with CaptureQueriesContext(connection) as few:
        office.get(PAGE)

    for offset in range(1, 30):
        day = date(2027, 1, 4) + timedelta(days=offset)
        if day.weekday() < 5:
            with django_capture_on_commit_callbacks(execute=True):
                declared = non_working_day_declare(by=supervisor, day=day, reason=f"Asueto {offset}")
                if offset % 3 == 0:
                    non_working_day_remove(by=supervisor, pk=declared.pk)
    office.get(PAGE)

    # 1 session, 2 user, 3 the staff MFA check, 4 the declared days with who declared them, 5-6 the
    # deadlines they moved (counts per day, the first few of each), 7 the history's capped count,
    # 8 the header's unread badge, 9 one page of the history with who made each change, 10 the
    # hearings booked on declared days.
    with django_assert_max_num_queries(10):
        response = office.get(PAGE)
    with CaptureQueriesContext(connection) as many:
        office.get(PAGE)

    assert response.status_code == 200
    assert len(many) == len(few)


def test_declaring_answers_only_a_post_and_removing_asks_a_visitor_to_sign_in(client, supervisor):
    declared = non_working_day_declare(by=supervisor, day=date(2026, 11, 12), reason="Asueto")

    assert client.get(DECLARE).status_code == 405
    response = client.post(reverse("non_working_day_remove", args=[declared.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert NonWorkingDay.objects.exists()


def test_the_year_filter_chooses_which_two_years_are_shown(office, supervisor):
    non_working_day_declare(by=supervisor, day=date(2025, 12, 15), reason="Corte del sistema")
    non_working_day_declare(by=supervisor, day=date(2027, 3, 1), reason="Asueto de 2027")

    earlier = office.get(PAGE, {"year": "2025"}).content.decode()
    later = office.get(PAGE, {"year": "1990"}).content.decode()  # not offered: the default years

    assert "Holidays in 2025" in earlier and "Holidays in 2026" in earlier and "Holidays in 2027" not in earlier
    assert "Corte del sistema" in earlier and "Asueto de 2027" not in earlier
    assert "Holidays in 2026" in later and "Holidays in 2027" in later and "Asueto de 2027" in later
