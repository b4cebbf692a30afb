"""The office classifies a company by sector: its public figures are compared with that sector's."""

from django.urls import reverse

from parties.models import Company, Sector


def test_a_company_registered_without_a_sector_is_other(client_for, officer):
    response = client_for(officer).post(reverse("company_create"), {"cuit": "30500010912", "legal_name": "Nueva S.A."})

    company = Company.objects.get(cuit="30500010912")
    assert response.status_code == 302
    assert company.sector == Sector.OTHER


def test_an_officer_sets_the_sector_and_the_page_shows_it(client_for, officer, company):
    client = client_for(officer)

    response = client.post(reverse("company_set_sector", args=[company.pk]), {"sector": "telecom"}, follow=True)

    company.refresh_from_db()
    assert company.sector == Sector.TELECOM
    assert "The sector was saved." in response.text
    assert "Telecommunications, internet and pay TV" in response.text


def test_an_unknown_sector_is_refused_with_a_message(client_for, officer, company):
    response = client_for(officer).post(
        reverse("company_set_sector", args=[company.pk]), {"sector": "casino"}, follow=True
    )

    company.refresh_from_db()
    assert company.sector == Sector.OTHER
    assert "Choose one of the sectors." in response.text


def test_a_representative_cannot_change_the_sector(client_for, representative, company):
    response = client_for(representative).post(reverse("company_set_sector", args=[company.pk]), {"sector": "telecom"})

    company.refresh_from_db()
    assert response.status_code == 403
    assert company.sector == Sector.OTHER


def test_the_representative_sees_the_sector_but_no_form(client_for, representative, company):
    page = client_for(representative).get(reverse("company_detail", args=[company.pk])).text

    assert "Other" in page
    assert reverse("company_set_sector", args=[company.pk]) not in page
