"""Each role's home page renders in a real browser, in Spanish, with every asset served by the app."""

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = ["consumer", "representative", "officer", "conciliator", "supervisor"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_each_role_home_renders_without_errors(request, page_for, live_server, role, width):
    user = request.getfixturevalue(role)
    page = page_for(user, width=width)

    page.goto(live_server.url + "/")

    assert page.locator("h1").first.is_visible()
    assert page.get_attribute("html", "lang") == "es-ar"
    assert page.problems == []
    stylesheets = page.evaluate("[...document.styleSheets].map(s => s.href).filter(Boolean)")
    assert stylesheets and all(href.startswith(live_server.url) for href in stylesheets)
    path = screenshot(page, f"home-{role}-{width}")
    assert path.stat().st_size > 10_000


def test_the_public_home_and_login_render_without_errors(page_for, live_server):
    page = page_for(None, width=390)

    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Iniciar sesión").first.click()

    assert page.locator("form input[type=password]").count() == 1
    assert page.problems == []
    screenshot(page, "login-390")
