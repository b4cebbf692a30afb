"""One person may be a consumer and a company's representative: accepting an invitation adds the
company, it takes nothing away."""

import pytest
from django.urls import reverse

from complaints.selectors import complaint_search, complaints_visible_to
from complaints.states import State
from parties.models import ConsumerProfile, Representation, Role
from parties.services import invitation_create
from tests.complaints.factories import draft_case, served_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def consumer_who_joined(consumer, other_company, supervisor, client_for):
    """María, with a complaint of her own, accepts an invitation to represent Conectar."""
    invitation = invitation_create(company=other_company, email=consumer.email, is_admin=False, by=supervisor)
    client_for(consumer).post(reverse("invitation_accept", args=[invitation.token]))
    return consumer


@pytest.fixture
def own_case(consumer, company, officer):
    return served_case(consumer, company, officer)


@pytest.fixture
def company_case(stranger, other_company, officer):
    """A case against the company María now represents, filed by someone else and served."""
    stranger.first_name, stranger.last_name = "Pedro", "Sánchez"
    stranger.save(update_fields=["first_name", "last_name"])
    ConsumerProfile.objects.create(
        user=stranger,
        dni="27999888",
        phone="+5491155554444",
        street_address="Corrientes 1",
        city="CABA",
        province="CABA",
    )
    other_company.electronic_domicile = "legales@conectar.test"
    other_company.save(update_fields=["electronic_domicile"])
    return served_case(stranger, other_company, officer)


def test_accepting_an_invitation_keeps_the_consumer_role_and_adds_the_company(
    own_case, consumer_who_joined, other_company
):
    consumer_who_joined.refresh_from_db()

    assert consumer_who_joined.role == Role.CONSUMER
    assert Representation.objects.active().filter(user=consumer_who_joined, company=other_company).exists()
    assert consumer_who_joined.is_representative


def test_the_consumer_still_sees_and_acts_on_her_own_complaint(own_case, consumer_who_joined, client_for):
    client = client_for(consumer_who_joined)

    page = client.get(reverse("complaint_detail", args=[own_case.pk]))
    withdrawn = client.post(
        reverse("complaint_withdraw", args=[own_case.pk]), {"withdraw-reason": "Ya está.", "withdraw-confirm": "on"}
    )

    assert page.status_code == 200
    assert page.context["can_withdraw"]
    assert withdrawn.status_code == 302
    own_case.refresh_from_db()
    assert own_case.status == State.WITHDRAWN


def test_she_can_still_file_a_complaint(consumer_who_joined, client_for):
    response = client_for(consumer_who_joined).get(reverse("complaint_new"))

    assert response.status_code == 200


def test_she_sees_her_own_cases_and_the_companys_served_ones(own_case, company_case, consumer_who_joined, client_for):
    client = client_for(consumer_who_joined)

    listed = {case.pk for case in client.get(reverse("complaint_list")).context["page_obj"]}
    company_page = client.get(reverse("complaint_detail", args=[company_case.pk]))

    assert listed == {own_case.pk, company_case.pk}
    assert company_page.status_code == 200
    assert company_page.context["is_company_side"]
    assert not company_page.context["show_consumer_contact"]


def test_a_companys_draft_stays_hidden_from_its_representative(consumer_who_joined, stranger, other_company):
    draft = draft_case(stranger, other_company)

    assert not complaints_visible_to(consumer_who_joined).filter(pk=draft.pk).exists()


def test_her_home_shows_her_complaints_and_her_companies(own_case, company_case, consumer_who_joined, client_for):
    content = client_for(consumer_who_joined).get(reverse("home")).content.decode()

    assert "My cases" in content
    assert "File a new complaint" in content
    assert "Companies you represent" in content
    assert "Conectar Telecomunicaciones S.A." in content
    assert company_case.number in content and own_case.number in content


def test_she_cannot_find_a_consumer_by_dni_through_the_company(company_case, consumer_who_joined):
    cases = complaints_visible_to(consumer_who_joined)

    assert not complaint_search(cases, "27999888", user=consumer_who_joined).exists()


def test_her_companies_page_opens(consumer_who_joined, other_company, client_for):
    response = client_for(consumer_who_joined).get(reverse("my_companies"))

    assert response.status_code == 302
    assert response["Location"] == reverse("company_detail", args=[other_company.pk])


def test_a_consumer_who_represents_nobody_has_no_companies_page(consumer, client_for):
    assert client_for(consumer).get(reverse("my_companies")).status_code == 403


def test_an_officer_still_cannot_become_a_representative(officer, other_company, supervisor, client_for):
    invitation = invitation_create(company=other_company, email=officer.email, is_admin=False, by=supervisor)

    response = client_for(officer).post(reverse("invitation_accept", args=[invitation.token]), follow=True)

    assert "Office staff cannot represent a company." in response.content.decode()
    assert not Representation.objects.filter(user=officer).exists()
    officer.refresh_from_db()
    assert officer.role == Role.OFFICER


def test_a_representative_made_before_roles_added_up_still_represents(representative, company, client_for):
    """Accounts stored with role "representative" need no migration: the representation decides."""
    response = client_for(representative).get(reverse("company_detail", args=[company.pk]))

    assert representative.role == Role.REPRESENTATIVE
    assert response.status_code == 200
    assert "Companies you represent" in client_for(representative).get(reverse("home")).content.decode()


def test_a_representative_who_sets_out_to_file_is_asked_for_consumer_details(representative, client_for):
    client = client_for(representative)

    start = client.get(reverse("complaint_new"))
    details = client.get(start["Location"])
    plain = client.get(reverse("profile"))

    assert start["Location"].startswith(reverse("profile"))
    assert "dni" in details.context["form"].fields
    assert "dni" not in plain.context["form"].fields
