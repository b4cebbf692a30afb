"""Inputs from outside never give a 500: dates far from today are refused with a message next to
the field, and a NUL byte anywhere in a query string or a form is refused with a 400 page."""

import html
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.models import Offer
from parties.dates import years_from
from parties.models import ConciliatorDayOff
from tests.complaints.factories import served_case


def page(response) -> str:
    return html.unescape(response.content.decode()).replace("\xa0", " ")


@pytest.fixture
def served(consumer, company, officer):
    return served_case(consumer, company, officer)


# --- Dates ----------------------------------------------------------------------------------------


def test_an_offer_due_in_year_9999_is_refused_with_a_message(served, representative, client_for):
    response = client_for(representative).post(
        reverse("offer_make", args=[served.pk]),
        {"offer-amount": "1000", "offer-terms": "Devolución del precio.", "offer-fulfil_by": "9999-12-31"},
    )

    assert response.status_code == 200
    latest = years_from(timezone.localdate(), 2)
    assert f"An offer must be fulfilled within 2 years: enter a date on or before {latest:%m/%d/%Y}" in page(response)
    assert not Offer.objects.exists()


def test_an_offer_due_within_two_years_is_accepted(served, representative, client_for):
    due = timezone.localdate() + timedelta(days=700)
    client_for(representative).post(
        reverse("offer_make", args=[served.pk]),
        {"offer-amount": "1000", "offer-terms": "Devolución del precio.", "offer-fulfil_by": due.isoformat()},
    )

    assert Offer.objects.get(complaint=served).fulfil_by == due


@pytest.mark.parametrize("role", ["consumer", "representative", "officer", "conciliator", "supervisor"])
@pytest.mark.parametrize(
    "query", ["date_to=9999-12-31", "date_from=0001-01-01", "date_from=9999-12-31&date_to=9999-12-31"]
)
def test_the_case_list_filtered_by_a_far_date_shows_an_error_for_every_role(request, served, client_for, role, query):
    response = client_for(request.getfixturevalue(role)).get(f"{reverse('complaint_list')}?{query}")

    assert response.status_code == 200
    assert "Enter a date on or " in page(response)


def test_the_purchase_date_of_a_complaint_is_bounded_in_the_past(consumer, client_for):
    draft = services.complaint_start_draft(consumer=consumer)

    response = client_for(consumer).post(
        reverse("complaint_step", args=[draft.pk, 3]),
        {"product": "Heladera", "purchase_date": "0001-01-01", "amount_paid": "1000"},
    )

    assert response.status_code == 200
    assert "Enter a date on or after" in page(response)
    draft.refresh_from_db()
    assert draft.purchase_date is None


def test_a_conciliators_day_off_in_year_9999_is_refused(supervisor, conciliator, client_for):
    # Days off are entered on the leave page (the calendar links there).
    response = client_for(supervisor).post(
        reverse("conciliator_leave", args=[conciliator.conciliator_profile.pk]),
        {"first_day": "9999-12-31", "reason": "Licencia"},
    )

    assert response.status_code == 200
    assert "Enter a date within 5 years of today." in page(response)
    assert not ConciliatorDayOff.objects.exists()


# --- NUL bytes ------------------------------------------------------------------------------------

NUL_MESSAGE = "contains a character that cannot be typed"


def test_a_nul_byte_in_the_company_lookup_is_a_400_not_a_500(consumer, client_for):
    response = client_for(consumer).get(f"{reverse('company_lookup')}?q=a%00b")

    assert response.status_code == 400
    assert NUL_MESSAGE in page(response)


def test_a_nul_byte_in_the_filing_company_step_is_a_400_not_a_500(consumer, client_for):
    draft = services.complaint_start_draft(consumer=consumer)

    response = client_for(consumer).get(f"{reverse('complaint_step', args=[draft.pk, 2])}?q=a%00b")

    assert response.status_code == 400
    assert NUL_MESSAGE in page(response)


def test_a_nul_byte_in_the_staff_list_search_is_a_400_not_a_500(supervisor, client_for):
    response = client_for(supervisor).get(f"{reverse('staff_list')}?q=a%00b")

    assert response.status_code == 400
    assert NUL_MESSAGE in page(response)


@pytest.mark.parametrize("url_name", ["complaint_list", "admission_queue", "hearing_list"])
def test_a_nul_byte_in_any_list_filter_is_a_400(officer, client_for, url_name):
    response = client_for(officer).get(f"{reverse(url_name)}?q=a%00b&status=x%00")

    assert response.status_code == 400


def test_a_nul_byte_in_a_posted_form_is_refused_and_nothing_is_saved(served, representative, client_for):
    response = client_for(representative).post(
        reverse("company_answer", args=[served.pk]), {"answer-text": "La empresa\x00 responde."}
    )

    assert response.status_code == 400
    assert NUL_MESSAGE in page(response)
    assert not served.answers.exists()


def test_a_nul_byte_in_a_field_name_or_the_path_is_refused(consumer, client_for):
    client = client_for(consumer)

    assert client.get(f"{reverse('complaint_list')}?a%00b=1").status_code == 400
    assert client.get("/reclamos/%00/").status_code == 400


def test_the_refusal_is_in_the_persons_language(consumer):
    spanish = Client(HTTP_ACCEPT_LANGUAGE="es-ar")
    spanish.force_login(consumer)

    response = spanish.get(f"{reverse('company_lookup')}?q=a%00b")

    assert response.status_code == 400
    assert '<html lang="es-ar">' in page(response)


def test_ordinary_text_passes_the_nul_check(consumer, company, client_for):
    response = client_for(consumer).get(f"{reverse('company_lookup')}?q=Electrodom%C3%A9sticos")

    assert response.status_code == 200
    assert company.legal_name in page(response)


ODD_QUERIES = [
    "date_from=9999-12-31",
    "date_to=0001-01-01",
    "date_from=2026-02-30",
    "week=9999-12-31",
    "page=99999999999999999999",
    "page=-1",
    "company=99999999999999999999",
    "status=nonsense&province=XX&channel=pigeon&age=old",
    "q=" + "x" * 5000,
]


@pytest.mark.parametrize("url_name", ["complaint_list", "admission_queue", "hearing_list", "company_list"])
@pytest.mark.parametrize("query", ODD_QUERIES)
def test_no_odd_query_string_gives_a_500_on_the_office_lists(supervisor, client_for, url_name, query):
    response = client_for(supervisor).get(f"{reverse(url_name)}?{query}")

    assert response.status_code in (200, 302)
