"""The notices: the full privacy page says what Ley 25.326 art. 6 asks, the short notice is shown
where data is collected (sign-up, filing, assisted filing), and the footer links to the pages."""

import pytest
from django.urls import reverse

from tests.complaints.factories import draft_case

SHORT_NOTICE = "is responsible for this data base"
AUTHORITY = "Agencia de Acceso a la Información Pública"


@pytest.fixture(autouse=True)
def _office(settings):
    settings.PRIVACY_OFFICE_NAME = "Dirección General de Defensa del Consumidor"
    settings.PRIVACY_OFFICE_ADDRESS = "Av. Siempreviva 742, CABA"
    settings.PRIVACY_OFFICE_EMAIL = "datos@oficina.test"


def page(client, name: str, *args) -> str:
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def test_the_privacy_page_says_who_what_for_to_whom_whether_required_the_rights_and_the_authority(client, db):
    text = page(client, "privacy")

    assert "Dirección General de Defensa del Consumidor" in text and "Av. Siempreviva 742, CABA" in text
    for heading in (
        "What data we collect and what for",
        "Who receives your data",
        "Must you give your data?",
        "Your rights and how to exercise them",
        "Control authority",
    ):
        assert heading in text, heading
    assert "the complaint cannot be processed" in text
    assert "datos@oficina.test" in text and AUTHORITY in text


def test_the_accessibility_statement_and_the_contact_page_name_the_office(client, db):
    assert "datos@oficina.test" in page(client, "accessibility")
    contact = page(client, "contact")
    assert "Av. Siempreviva 742, CABA" in contact and "mailto:datos@oficina.test" in contact


def test_the_footer_links_to_the_privacy_accessibility_and_contact_pages(client, db):
    text = page(client, "home")

    for name in ("privacy", "accessibility", "contact"):
        assert f'href="{reverse(name)}"' in text, name


def test_the_footer_links_a_signed_in_person_to_their_data(client_for, consumer):
    assert f'href="{reverse("my_data")}"' in page(client_for(consumer), "home")


def test_the_sign_up_page_shows_the_notice_with_a_link_to_the_full_page(client, db):
    text = page(client, "account_signup")

    assert SHORT_NOTICE in text and AUTHORITY in text
    assert f'href="{reverse("privacy")}"' in text


def test_the_first_step_and_the_declaration_step_of_the_filing_show_the_notice(client_for, consumer, company):
    case = draft_case(consumer, company)
    client = client_for(consumer)

    first = page(client, "complaint_step", case.pk, 1)
    declaration = page(client, "complaint_step", case.pk, 6)

    assert SHORT_NOTICE in first and "Dirección General de Defensa del Consumidor" in first
    assert SHORT_NOTICE in declaration


def test_the_assisted_filing_page_asks_the_officer_to_tell_the_citizen(client_for, officer):
    text = page(client_for(officer), "assisted_filing")

    assert SHORT_NOTICE in text and "Tell the citizen, before you enter their data:" in text


def test_the_privacy_page_links_a_supervisor_to_the_access_log_and_the_requests(client_for, supervisor):
    text = page(client_for(supervisor), "privacy")

    assert f'href="{reverse("access_log")}"' in text and f'href="{reverse("data_request_list")}"' in text
