"""The privacy pages in a real browser: no serious axe-core finding and nothing the CSP blocks, on a
phone-sized screen (the supervisor's lists on a desktop one)."""

import pytest
from playwright.sync_api import expect

from privacy.services import access_log_record
from tests.browser.a11y import assert_accessible
from tests.complaints.factories import submitted_case

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("path", ["/privacidad/", "/accesibilidad/", "/contacto/"])
def test_the_public_pages_are_accessible_on_a_phone(page_for, live_server, path):
    page = page_for(width=390, height=844)
    page.goto(live_server.url + path)

    assert_accessible(page, "privacy" + path.strip("/").replace("/", "-"))


def test_my_data_page_with_its_form_errors_is_accessible(page_for, live_server, consumer):
    page = page_for(consumer, width=390, height=844, locale="en-US")
    page.goto(live_server.url + "/mis-datos/privacidad/")
    page.get_by_role("button", name="Send my request").click()

    # The form posts and the page comes back: wait for it rather than look at the page being left.
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page, "privacy-my-data-errors")


def test_the_supervisors_lists_are_accessible(page_for, live_server, consumer, company, supervisor):
    case = submitted_case(consumer, company)
    access_log_record(user=consumer, url_name="complaint_detail", object_id=case.pk, ip="203.0.113.9")
    page = page_for(supervisor)

    page.goto(live_server.url + "/oficina/datos-personales/accesos/")
    assert case.number in page.content()
    assert_accessible(page, "privacy-access-log")
    page.goto(live_server.url + "/oficina/datos-personales/solicitudes/")
    assert_accessible(page, "privacy-data-requests")
