"""The company's desk in a real browser, on a 360 px phone and on a desktop: the list with its filters,
deadlines and bulk actions, the confirmation of an action on "all matching", and the assignment rules.
Each page is axe-clean (no serious or critical finding), logs no console error, blocked asset or
failed request, never scrolls the whole page sideways, and is photographed for docs/screens/
(companydesk-<page>-<width>.png). The admin also ticks two rows, assigns them and sees the result."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.models import AssignmentRule, CaseCompany, Complaint
from tests.browser.a11y import assert_accessible
from tests.browser.test_reporting import WIDTHS, assert_fits_the_screen, photograph
from tests.companydesk.conftest import answer_due_in, served

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def desk(consumer, company, officer, representative, unvalidated_representative) -> list[Complaint]:
    """Six served cases: one overdue, one at risk, one acknowledged, two assigned, one from Córdoba."""
    products = [
        "Heladera No Frost 360 L",
        "Servicio de fibra óptica 300 Mb",
        "Lavarropas carga frontal 8 kg",
        "Smart TV 55 pulgadas",
        "Aire acondicionado split 3000 frigorías",
        "Notebook 15 pulgadas",
    ]
    cases = [served(consumer, officer, company, product=product) for product in products]
    answer_due_in(cases[0], company, -timedelta(days=1))
    answer_due_in(cases[1], company, timedelta(hours=3))
    CaseCompany.objects.filter(complaint=cases[2]).update(
        acknowledged_at=timezone.now(), acknowledged_by=unvalidated_representative
    )
    CaseCompany.objects.filter(complaint__in=cases[3:5]).update(
        assignee=unvalidated_representative, assigned_at=timezone.now()
    )
    Complaint.objects.filter(pk=cases[5].pk).update(consumer_province="CB")
    AssignmentRule.objects.create(company=company, position=1, province="CB", assignee=unvalidated_representative)
    AssignmentRule.objects.create(
        company=company, position=2, product_contains="fibra", assignee=unvalidated_representative
    )
    return cases


def check(page, name: str) -> None:
    assert page.locator("h1").first.is_visible()
    assert page.get_attribute("html", "lang") == "es-ar"
    assert page.problems == []
    assert_fits_the_screen(page)
    assert_accessible(page, name)
    assert photograph(page, name).stat().st_size > 10_000


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_desk_in_a_browser(page_for, live_server, company, representative, desk, width):
    page = page_for(representative, width=WIDTHS[width][0], height=WIDTHS[width][1])
    page.goto(live_server.url + reverse("companydesk_cases", args=[company.pk]))

    assert page.locator("table caption").count() == 1
    assert page.locator('input[name="part"]').count() == 6
    check(page, f"companydesk-cases-{width}")

    page.goto(live_server.url + reverse("companydesk_cases", args=[company.pk]) + "?risk=on")
    assert page.locator('input[name="part"]').count() == 2
    check(page, f"companydesk-at-risk-{width}")


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_rules_page_in_a_browser(page_for, live_server, company, representative, desk, width):
    page = page_for(representative, width=WIDTHS[width][0], height=WIDTHS[width][1])
    page.goto(live_server.url + reverse("companydesk_rules", args=[company.pk]))

    assert page.locator("#assignment-rules tbody tr").count() == 2
    check(page, f"companydesk-rules-{width}")


def test_the_admin_ticks_two_cases_and_assigns_them(
    page_for, live_server, company, representative, unvalidated_representative, desk
):
    page = page_for(representative)
    page.goto(live_server.url + reverse("companydesk_cases", args=[company.pk]))

    page.locator("#tick-page").check()  # "select every case on this page" (desk.js)
    page.locator("#tick-page").uncheck()
    for case in desk[:2]:
        part = CaseCompany.objects.get(complaint=case)
        page.locator(f"#tick-{part.pk}").check()
    page.locator("#assign-to").select_option(str(unvalidated_representative.pk))
    page.get_by_role("button", name="Asignar", exact=True).click()
    page.wait_for_load_state()

    assert set(CaseCompany.objects.filter(complaint__in=desk[:2]).values_list("assignee_id", flat=True)) == {
        unvalidated_representative.pk
    }
    assert page.problems == []


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_confirmation_of_all_matching_in_a_browser(page_for, live_server, company, representative, desk, width):
    page = page_for(representative, width=WIDTHS[width][0], height=WIDTHS[width][1])
    page.goto(live_server.url + reverse("companydesk_cases", args=[company.pk]) + "?acknowledged=no")

    page.locator("#scope-all").check()
    page.locator('button[formaction$="/acusar-recibo/"]').click()
    page.wait_for_load_state()

    assert page.locator("#confirm-summary").is_visible()
    assert (
        not CaseCompany.objects.filter(complaint__in=desk, acknowledged_at__isnull=False)
        .exclude(complaint=desk[2])
        .exists()
    )
    check(page, f"companydesk-confirm-{width}")
