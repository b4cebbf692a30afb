from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from parties.models import Company, Invitation, Representation, Role, User
from parties.services import invitation_create
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_staff_register_a_company_from_its_cuit(client_for, officer):
    response = client_for(officer).post(
        reverse("company_create"),
        {"cuit": "30-70308853-4", "legal_name": "Conectar S.A.", "trade_names": "", "legal_address": ""},
    )

    company = Company.objects.get(cuit="30703088534")
    assert response["Location"] == reverse("company_detail", args=[company.pk])
    assert company.created_by == officer
    assert not company.has_electronic_domicile


def test_a_duplicate_cuit_is_refused_with_a_message(client_for, officer, company):
    response = client_for(officer).post(
        reverse("company_create"), {"cuit": company.cuit, "legal_name": "Otra S.A."}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    assert "A company with this CUIT is already registered." in response.content.decode()
    assert Company.objects.count() == 1


def test_staff_search_companies_by_name_or_cuit(client_for, officer, company, other_company):
    by_name = client_for(officer).get(reverse("company_list"), {"q": "conectar"})
    by_cuit = client_for(officer).get(reverse("company_list"), {"q": "30-71234567-1"})

    assert [c.pk for c in by_name.context["page_obj"]] == [other_company.pk]
    assert [c.pk for c in by_cuit.context["page_obj"]] == [company.pk]


def test_the_company_list_runs_a_fixed_number_of_queries(client_for, officer, django_assert_max_num_queries):
    for number in range(30):
        Company.objects.create(cuit=f"2{number:010d}", legal_name=f"Empresa {number}")
    client = client_for(officer)

    # session, user, MFA authenticator check, the page's COUNT and its rows
    with django_assert_max_num_queries(8):
        response = client.get(reverse("company_list"))

    assert len(response.context["page_obj"]) == 25


def test_a_company_admin_invites_a_representative(
    client_for, representative, company, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(representative).post(
            reverse("company_invite", args=[company.pk]), {"email": "Nueva@ElectroSur.test"}
        )

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "nueva@electrosur.test"
    assert invitation.invited_by == representative
    assert invitation.is_pending


def test_an_invited_person_signs_up_with_the_email_preverified_and_joins_the_company(client, company, supervisor):
    invitation = invitation_create(company=company, email="nueva@electrosur.test", is_admin=False, by=supervisor)

    landing = client.get(reverse("invitation_accept", args=[invitation.token]))
    assert landing.status_code == 302
    assert "email=nueva%40electrosur.test" in landing["Location"]
    response = client.post(
        reverse("account_signup"), {"email": "nueva@electrosur.test", "password1": PASSWORD, "password2": PASSWORD}
    )

    user = User.objects.get(email="nueva@electrosur.test")
    assert response.status_code == 302
    assert user.role == Role.CONSUMER  # roles add up: the representation is what makes a representative
    assert user.is_representative
    assert EmailAddress.objects.get(user=user).verified
    assert Representation.objects.active().filter(user=user, company=company).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    assert client.get(reverse("company_detail", args=[company.pk])).status_code == 200


def test_an_existing_user_accepts_an_invitation_after_logging_in(client_for, company, supervisor):
    person = make_user("ya@tengo.cuenta")
    invitation = invitation_create(company=company, email=person.email, is_admin=True, by=supervisor)

    response = client_for(person).post(reverse("invitation_accept", args=[invitation.token]))

    assert response["Location"] == reverse("company_detail", args=[company.pk])
    representation = Representation.objects.get(user=person)
    assert representation.is_admin
    person.refresh_from_db()
    assert person.role == Role.CONSUMER
    assert person.is_representative


def test_an_invitation_cannot_be_used_by_another_account(client_for, company, supervisor, stranger):
    invitation = invitation_create(company=company, email="otra@persona.test", is_admin=False, by=supervisor)

    client_for(stranger).post(reverse("invitation_accept", args=[invitation.token]))

    assert not Representation.objects.filter(user=stranger).exists()


def test_an_expired_invitation_is_refused(client, company, supervisor):
    invitation = invitation_create(company=company, email="tarde@persona.test", is_admin=False, by=supervisor)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    response = client.get(reverse("invitation_accept", args=[invitation.token]))

    assert response.status_code == 410


def test_a_revoked_representative_loses_access(client_for, company, representative):
    colleague = make_user("colega@electrosur.test", Role.REPRESENTATIVE)
    representation = Representation.objects.create(user=colleague, company=company)
    assert client_for(colleague).get(reverse("company_detail", args=[company.pk])).status_code == 200

    client_for(representative).post(reverse("representation_revoke", args=[representation.pk]))

    representation.refresh_from_db()
    assert representation.revoked_by == representative
    assert client_for(colleague).get(reverse("company_detail", args=[company.pk])).status_code == 404


def test_a_representative_who_is_not_admin_cannot_invite(client_for, company):
    plain = make_user("plain@electrosur.test", Role.REPRESENTATIVE)
    Representation.objects.create(user=plain, company=company, is_admin=False)

    response = client_for(plain).post(reverse("company_invite", args=[company.pk]), {"email": "x@y.test"})

    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_a_representative_sets_up_the_electronic_domicile(client_for, representative, other_company):
    Representation.objects.create(user=representative, company=other_company, is_admin=True)

    client_for(representative).post(
        reverse("company_set_domicile", args=[other_company.pk]), {"electronic_domicile": "Avisos@Conectar.test"}
    )

    other_company.refresh_from_db()
    assert other_company.electronic_domicile == "avisos@conectar.test"
    assert other_company.electronic_domicile_set_at is not None


def test_a_stranger_gets_a_404_for_a_company(client_for, stranger, company):
    assert client_for(stranger).get(reverse("company_detail", args=[company.pk])).status_code == 404


def test_a_representative_gets_a_404_for_another_company(client_for, representative, other_company):
    assert client_for(representative).get(reverse("company_detail", args=[other_company.pk])).status_code == 404
