"""The header and the footer link to the site's fixed pages on every page; their addresses are
reversed once per process and URLconf (config.navigation.site_url), and the links are the same."""

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import override_settings
from django.urls import path, reverse

from config.navigation import site_url

pytestmark = pytest.mark.django_db


def _help(request: HttpRequest) -> HttpResponse:
    return HttpResponse("help")


# A URLconf of its own for the test below: only a help page, at another address.
urlpatterns = [path("otra-ayuda/", _help, name="help")]


def test_a_page_the_urlconf_lacks_has_no_address_rather_than_an_error() -> None:
    assert site_url("no_such_page") == ""


def test_each_urlconf_gets_its_own_addresses() -> None:
    assert site_url("accessibility") == reverse("accessibility")

    with override_settings(ROOT_URLCONF=__name__):
        assert site_url("help") == "/otra-ayuda/"
        assert site_url("accessibility") == ""

    assert site_url("accessibility") == reverse("accessibility")


def test_the_footer_links_to_the_fixed_pages(client) -> None:
    page = client.get(reverse("accessibility")).content.decode()

    for name in ("accessibility", "privacy", "transparency", "open_data", "account_login", "account_signup"):
        assert f'href="{reverse(name)}"' in page


def test_the_account_links_mark_the_page_the_person_is_on(client_for, consumer) -> None:
    page = client_for(consumer).get(reverse("account_email")).content.decode()

    # The user menu, the small-screen menu, the account pages' own menu and the footer each link to it
    # as the current page.
    assert page.count(f'href="{reverse("account_email")}" aria-current="page"') == 4
    assert f'href="{reverse("account_change_password")}" aria-current' not in page


def test_the_header_links_a_signed_in_person_to_their_inbox_and_to_log_out(client_for, consumer) -> None:
    page = client_for(consumer).get(reverse("accessibility")).content.decode()

    assert f'href="{reverse("inbox")}"' in page
    assert page.count(f'action="{reverse("account_logout")}"') == 2  # the user menu and the small-screen menu
    assert f'href="{reverse("my_data")}"' in page
