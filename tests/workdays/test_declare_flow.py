"""The calendar page's rough edges: the summary cannot be skipped, it names the hearings a day touches
(and the page lists those left on declared days), the deadlines moved read as words and count one
declaration only, and paging the history is not a form error."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from complaints.models import Complaint
from parties.models import NonWorkingDay
from tests.complaints.factories import served_case
from tests.hearings.factories import scheduled_hearing
from workdays.services import non_working_day_declare, non_working_day_remove

pytestmark = pytest.mark.django_db

BA = ZoneInfo("America/Argentina/Buenos_Aires")
PAGE = "/oficina/calendario-habil/"
DECLARE = "/oficina/calendario-habil/declarar/"
NOW = datetime(2026, 10, 1, 12, 0, tzinfo=BA)


@pytest.fixture(autouse=True)
def _october_2026():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def office(client_for, supervisor) -> Client:
    return client_for(supervisor)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def hidden_confirmed(html: str) -> str:
    found = re.search(r'<input type="hidden" name="confirmed"[^>]*>', html)
    assert found, "the form has its hidden confirmation field"
    value = re.search(r'value="([^"]*)"', found.group(0))
    return value.group(1) if value else ""


# --- 2. The summary cannot be skipped -------------------------------------------------------------


def test_it_sends_a_refused_confirmation_back_to_the_page_with_why(office, director):
    non_working_day_declare(by=director, day=date(2026, 11, 12), reason="Asueto")  # got there first

    refused = office.post(
        DECLARE, {"date": "2026-11-12", "reason": "Asueto", "resolution": "", "confirmed": "on"}, follow=True
    )

    assert refused.redirect_chain == [(PAGE, 302)]
    assert messages_of(refused) == ["Nov. 12, 2026 is already declared a non-working day (Asueto)."]
    assert hidden_confirmed(refused.content.decode()) == ""


def test_it_shows_the_summary_again_after_a_corrected_form(office):
    # A form with a mistake that somehow carries the confirmation comes back without it...
    wrong = office.post(DECLARE, {"date": "2026-11-14", "reason": "Asueto", "confirmed": ""})
    assert hidden_confirmed(wrong.content.decode()) == ""

    # ...so the corrected one goes to the summary, not straight to the record.
    corrected = office.post(DECLARE, {"date": "2026-11-13", "reason": "Asueto", "confirmed": ""})

    assert corrected.status_code == 200
    assert "Confirm the non-working day" in corrected.content.decode()
    assert not NonWorkingDay.objects.exists()


def test_it_renders_an_invalid_first_step_without_the_confirmation(office):
    # The summary's hidden fields edited by hand: a confirmation with no reason.
    response = office.post(DECLARE, {"date": "2026-11-13", "reason": "", "confirmed": "on"}, follow=True)

    assert response.redirect_chain == [(PAGE, 302)]
    assert messages_of(response) == ["This field is required."]
    assert not NonWorkingDay.objects.exists()


def test_a_double_click_on_declare_shows_one_message(office):
    data = {"date": "2026-11-12", "reason": "Asueto", "resolution": "", "confirmed": "on"}
    office.post(DECLARE, data)
    second = office.post(DECLARE, data, follow=True)

    assert messages_of(second) == [
        "Nov. 12, 2026 is now a non-working day. Deadlines still running over it are being recomputed."
    ]
    assert NonWorkingDay.objects.count() == 1


# --- 4. Hearings booked on the day ----------------------------------------------------------------


def test_the_summary_lists_the_hearings_booked_on_the_day(office, consumer, company, officer, conciliator):
    hearing = scheduled_hearing(
        consumer, company, officer, conciliator, starts_at=datetime(2026, 11, 12, 10, tzinfo=BA)
    )
    elsewhere = scheduled_hearing(
        consumer, company, officer, conciliator, starts_at=datetime(2026, 11, 26, 10, tzinfo=BA)
    )

    summary = office.post(DECLARE, {"date": "2026-11-12", "reason": "Asueto"}).content.decode()

    assert "1 hearing is booked on this day" in summary
    assert hearing.complaint.number in summary
    assert elsewhere.complaint.number not in summary


def test_the_summary_lists_the_hearings_whose_notice_would_fall_short(office, consumer, company, officer, conciliator):
    # Served on Wed 4 Nov: five business days (Thu 5, Fri 6, Wed 11, Thu 12, Fri 13; Mon 9 and Tue 10
    # are holidays), so a hearing on Mon 16 had exactly its notice. Without Thu 12 it would not.
    hearing = scheduled_hearing(
        consumer, company, officer, conciliator, starts_at=datetime(2026, 11, 16, 10, tzinfo=BA)
    )
    Complaint.objects.filter(pk=hearing.complaint_id).update(company_notified_at=datetime(2026, 11, 4, 11, tzinfo=BA))
    roomy = scheduled_hearing(consumer, company, officer, conciliator, starts_at=datetime(2026, 11, 25, 10, tzinfo=BA))
    Complaint.objects.filter(pk=roomy.complaint_id).update(company_notified_at=datetime(2026, 11, 4, 11, tzinfo=BA))

    summary = office.post(DECLARE, {"date": "2026-11-12", "reason": "Asueto"}).content.decode()

    assert "would not have had its minimum notice before 1 hearing" in summary
    assert hearing.complaint.number in summary
    assert roomy.complaint.number not in summary


def test_once_declared_the_page_lists_the_hearings_on_the_day_with_a_link_to_reschedule(
    office, supervisor, consumer, company, officer, conciliator, django_assert_max_num_queries
):
    on_day = [
        scheduled_hearing(consumer, company, officer, conciliator, starts_at=datetime(2026, 11, 12, hour, tzinfo=BA))
        for hour in (10, 12)
    ]
    other = scheduled_hearing(consumer, company, officer, conciliator, starts_at=datetime(2026, 11, 13, 10, tzinfo=BA))
    non_working_day_declare(by=supervisor, day=date(2026, 11, 12), reason="Asueto")

    page = office.get(PAGE).content.decode()

    assert "Hearings booked on a declared non-working day" in page
    for hearing in on_day:
        assert hearing.complaint.number in page
        assert reverse("hearing_reschedule", args=[hearing.pk]) in page
    assert reverse("hearing_reschedule", args=[other.pk]) not in page


def test_a_hearing_rescheduled_off_the_day_leaves_the_list(office, supervisor, consumer, company, officer, conciliator):
    from hearings.models import Hearing

    hearing = scheduled_hearing(
        consumer, company, officer, conciliator, starts_at=datetime(2026, 11, 12, 10, tzinfo=BA)
    )
    non_working_day_declare(by=supervisor, day=date(2026, 11, 12), reason="Asueto")
    Hearing.objects.filter(pk=hearing.pk).update(
        starts_at=datetime(2026, 11, 13, 10, tzinfo=BA), ends_at=datetime(2026, 11, 13, 11, tzinfo=BA)
    )

    page = office.get(PAGE).content.decode()

    assert "Hearings booked on a declared non-working day" not in page


# --- 7 and 8. Deadlines moved: words, and one declaration's count ---------------------------------


def test_the_moved_deadlines_read_as_words_not_codes(office, supervisor, consumer, company, officer):
    from oversight.models import DeadlineChange

    declared = non_working_day_declare(by=supervisor, day=date(2026, 11, 12), reason="Asueto")
    case = served_case(consumer, company, officer)
    for what in ("review_due_at", "clock:acta_confirmation", f"part:{case.pk}:domicile_due_at", "mystery"):
        DeadlineChange.objects.create(
            day=declared.date, complaint=case, what=what, old_due=NOW, new_due=NOW + timedelta(days=1)
        )

    page = office.get(PAGE).content.decode()

    assert "review_due_at" not in page and "clock:" not in page and "part:" not in page and "mystery" not in page
    assert "Admission review" in page and "Acta confirmation" in page
    assert "A company&#x27;s electronic domicile" in page and "Another deadline" in page


def test_the_moved_deadlines_read_in_spanish(supervisor, consumer, company, officer):
    from oversight.models import DeadlineChange
    from tests.conftest import log_in

    declared = non_working_day_declare(by=supervisor, day=date(2026, 11, 12), reason="Asueto")
    case = served_case(consumer, company, officer)
    DeadlineChange.objects.create(day=declared.date, complaint=case, what="review_due_at", old_due=NOW, new_due=NOW)

    page = log_in(Client(HTTP_ACCEPT_LANGUAGE="es-AR"), supervisor).get(PAGE).content.decode()

    assert "review_due_at" not in page  # its words come from the calendar snippet's translations


def test_the_moved_count_is_that_of_the_latest_declaration_only(
    office, supervisor, consumer, company, officer, _october_2026
):
    from oversight.models import DeadlineChange

    case = served_case(consumer, company, officer)
    first = non_working_day_declare(by=supervisor, day=date(2026, 11, 12), reason="Asueto")
    _october_2026.shift(60)
    DeadlineChange.objects.create(day=first.date, complaint=case, what="review_due_at", old_due=NOW, new_due=NOW)
    _october_2026.shift(60)
    non_working_day_remove(by=supervisor, pk=first.pk)
    _october_2026.shift(60)
    DeadlineChange.objects.create(day=first.date, complaint=case, what="review_due_at", old_due=NOW, new_due=NOW)
    _october_2026.shift(60)
    non_working_day_declare(by=supervisor, day=date(2026, 11, 12), reason="Asueto otra vez")

    page = office.get(PAGE).content.decode()
    assert "deadlines moved" not in page and "1 deadline moved" not in page
    assert "No running deadline moved (yet)." in page

    _october_2026.shift(60)
    DeadlineChange.objects.create(day=first.date, complaint=case, what="review_due_at", old_due=NOW, new_due=NOW)
    assert "1 deadline moved" in office.get(PAGE).content.decode()


# --- 11. Paging the history -----------------------------------------------------------------------


def test_paging_the_history_is_not_a_form_error(office):
    page = office.get(PAGE, {"page": "2"}).content.decode()

    assert "This field is required" not in page
    assert 'class="error-summary"' not in page


def test_a_year_not_offered_is_still_an_error_on_the_selector(office):
    page = office.get(PAGE, {"year": "1990"}).content.decode()

    assert "Holidays in 2026" in page
