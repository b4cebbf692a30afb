"""The reporting pages in a real browser, on a 360 px phone and on a desktop: the supervisor's dashboard
and a company's public page, over the hand-made office of the indicator tests (tests/reporting/
scenario.py) refreshed as beat would. Each is axe-clean (no serious or critical finding), logs no
console error, blocked asset or failed request, never scrolls the whole page sideways, and is
photographed for docs/screens/ (reporting-<page>-<width>.png)."""

from pathlib import Path

import pytest

from reporting.refresh import rebuild
from tests.browser.a11y import assert_accessible
from tests.reporting.scenario import REFRESHED, Office, build_office, travel

pytestmark = pytest.mark.django_db(transaction=True)

SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"
WIDTHS = {"360": (360, 780), "desktop": (1280, 900)}


@pytest.fixture
def office(settings, monkeypatch, company, other_company, representative, officer, conciliator, director) -> Office:
    # Three cases are enough for the page to be public in this small office.
    settings.PUBLIC_MIN_CLOSED_CASES = 1
    # The scenario writes its surveys by hand, answered; in a transactional test the closing's own
    # request for them (run on commit, so never in the indicator tests) would come first.
    monkeypatch.setattr("reporting.receivers.ask_for_surveys", lambda case_id: None)
    built = build_office(
        company=company,
        other_company=other_company,
        representative=representative,
        officer=officer,
        conciliator=conciliator,
        director=director,
    )
    with travel(REFRESHED):
        rebuild()
    return built


def photograph(page, name: str) -> Path:
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_fits_the_screen(page) -> None:
    """Wide tables may scroll inside their own box; the page itself never scrolls sideways."""
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_dashboard_in_a_browser(page_for, live_server, office, supervisor, width):
    page = page_for(supervisor, width=WIDTHS[width][0], height=WIDTHS[width][1])
    page.goto(live_server.url + "/oficina/indicadores/?start=2026-07&end=2026-07")

    assert page.locator("h1").first.is_visible()
    assert page.get_attribute("html", "lang") == "es-ar"
    # Charts are drawn on the server (SVG), each beside its table with a caption.
    assert page.locator("svg").count() > 0
    assert page.locator("table caption").count() > 0
    assert page.locator("table caption").count() == page.locator("table").count()
    assert page.problems == []
    assert_fits_the_screen(page)
    assert_accessible(page, f"reporting-dashboard-{width}")
    assert photograph(page, f"reporting-dashboard-{width}").stat().st_size > 10_000


@pytest.mark.parametrize("width", list(WIDTHS))
def test_a_public_company_page_in_a_browser(page_for, live_server, office, width):
    page = page_for(None, width=WIDTHS[width][0], height=WIDTHS[width][1])
    page.goto(live_server.url + f"/transparencia/empresas/{office.x.cuit}/")

    assert page.locator("h1").first.is_visible()
    assert office.x.legal_name in page.locator("h1").first.inner_text()
    assert page.get_attribute("html", "lang") == "es-ar"
    assert page.locator("table caption").count() > 0
    assert page.problems == []
    assert_fits_the_screen(page)
    assert_accessible(page, f"reporting-company-{width}")
    assert photograph(page, f"reporting-company-{width}").stat().st_size > 10_000
