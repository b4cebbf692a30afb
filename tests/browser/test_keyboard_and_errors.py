"""Keyboard-only use, and form errors a screen reader can find: the login form and a filing step are
filled and sent with Tab, typing, Space and Enter alone; every error is tied to its field
(aria-invalid, aria-describedby naming the error's element) and listed in a summary that takes focus."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from complaints import services
from complaints.models import ClaimType, Complaint
from tests.browser.a11y import assert_accessible
from tests.browser.conftest import screenshot
from tests.browser.journey import PHONE, es
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

# The focused element, described well enough to say where the focus is and whether it shows.
ACTIVE = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute("name"), type: el.getAttribute("type"),
    text: (el.innerText || "").trim(), visible: !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length),
    indicator: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0 || style.boxShadow !== "none",
  };
}"""


def active(page: Page) -> dict:
    return page.evaluate(ACTIVE)


def tab_to(page: Page, predicate, *, limit: int = 25) -> dict:
    """Press Tab until the focused element matches; each stop on the way must show where the focus is."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = active(page)
        assert element["visible"], f"the focus went to an invisible element: {element}"
        assert element["indicator"], f"no visible focus indicator on {element}"
        if predicate(element):
            return element
    raise AssertionError(f"not reached with {limit} presses of Tab; last: {active(page)}")


def skip_to_main(page: Page) -> None:
    page.keyboard.press("Tab")
    assert active(page)["text"] == es("Skip to main content")
    page.keyboard.press("Enter")
    assert active(page)["id"] == "main-content"


def test_a_consumer_logs_in_with_the_keyboard_alone(page_for, live_server, consumer):
    page = page_for(None, **PHONE)
    page.goto(live_server.url + "/cuenta/login/")
    skip_to_main(page)

    tab_to(page, lambda e: e["name"] == "login")
    page.keyboard.type(consumer.email)
    tab_to(page, lambda e: e["name"] == "password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page.locator("h1")).to_contain_text(consumer.first_name)
    assert page.url.split("#")[0] == live_server.url + "/"
    assert page.problems == []


@pytest.fixture
def draft_at_claim(consumer, company) -> Complaint:
    case = services.complaint_start_draft(consumer=consumer)
    services.case_parts.name_company(case, company=company, position=1)
    case.product = "Heladera No Frost 360 L"
    case.purchase_date = timezone.localdate() - timedelta(days=20)
    case.amount_paid = 850000
    case.draft_step = 4
    case.save()
    return case


def test_a_filing_step_is_filled_and_sent_with_the_keyboard_alone(page_for, live_server, consumer, draft_at_claim):
    page = page_for(consumer, **PHONE)
    page.goto(f"{live_server.url}/reclamos/{draft_at_claim.pk}/paso/4/")
    skip_to_main(page)

    tab_to(page, lambda e: e["name"] == "facts")
    page.keyboard.type("La heladera dejó de enfriar a los 20 días.")
    # Tab enters the group of radios on its first option; Space chooses it (Refund).
    tab_to(page, lambda e: e["name"] == "claim_type")
    page.keyboard.press("Space")
    tab_to(page, lambda e: e["name"] == "claim_amount")
    page.keyboard.type("850000")
    tab_to(page, lambda e: e["tag"] == "button" and e["text"] == es("Save and continue"))
    page.keyboard.press("Enter")

    # (the browser keeps the skip link's #main-content across the redirect, as redirects do)
    expect(page).to_have_url(re.compile(rf"/reclamos/{draft_at_claim.pk}/paso/5/(#main-content)?$"))
    draft_at_claim.refresh_from_db()
    assert draft_at_claim.claim_type == ClaimType.REFUND
    assert draft_at_claim.claim_amount == 850000
    assert page.problems == []


def assert_errors_tied_to_fields(page: Page, names: list[str]) -> None:
    """Each field is aria-invalid and described by an element that exists and says what is wrong."""
    for name in names:
        field = page.locator(f"[name={name}]").first
        expect(field).to_have_attribute("aria-invalid", "true")
        described_by = (field.get_attribute("aria-describedby") or "").split()
        error_ids = [i for i in described_by if i.endswith("_error")]
        assert error_ids, f"{name}: aria-describedby={described_by} names no error"
        for element_id in described_by:
            assert page.locator(f"#{element_id}").count() == 1, f"{name}: #{element_id} does not exist"
        error = page.locator(f"#{error_ids[0]}")
        expect(error).to_be_visible()
        expect(error).not_to_be_empty()
        # The summary at the top repeats the message and links to this very field.
        link = page.locator(f".error-summary a[href='#{field.get_attribute('id')}']")
        expect(link).to_have_count(1)
        assert link.inner_text().strip() in error.inner_text()


def test_errors_on_a_filing_step_are_announced_and_tied_to_their_fields(
    page_for, live_server, consumer, draft_at_claim
):
    page = page_for(consumer, **PHONE)
    page.goto(f"{live_server.url}/reclamos/{draft_at_claim.pk}/paso/3/")
    for name in ("product", "purchase_date", "amount_paid"):
        page.locator(f"[name={name}]").fill("")
    page.get_by_role("button", name=es("Save and continue")).press("Enter")

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    assert_errors_tied_to_fields(page, ["product", "purchase_date", "amount_paid"])
    # Following a link in the summary puts the focus in that field.
    summary.locator("a").first.press("Enter")
    expect(page.locator("[name=product]")).to_be_focused()
    screenshot(page, "errors-filing-step-390")
    assert_accessible(page, "errors-filing-step")


def test_an_error_on_a_group_of_radios_is_tied_to_its_fieldset(page_for, live_server, consumer, draft_at_claim):
    page = page_for(consumer, **PHONE)
    page.goto(f"{live_server.url}/reclamos/{draft_at_claim.pk}/paso/4/")
    page.get_by_role("button", name=es("Save and continue")).press("Enter")

    expect(page.locator("[data-error-summary]")).to_be_focused()
    assert_errors_tied_to_fields(page, ["facts"])
    fieldset = page.locator("fieldset", has=page.locator("[name=claim_type]"))
    described_by = (fieldset.get_attribute("aria-describedby") or "").split()
    assert "id_claim_type_error" in described_by
    expect(page.locator("#id_claim_type_error")).to_contain_text(es("Choose what you ask for."))
    expect(page.locator("[name=claim_type]").first).to_have_attribute("aria-invalid", "true")
    # The summary's link lands on the first option, and the legend is what scrolls into view.
    page.locator(".error-summary a[href='#id_claim_type_0']").press("Enter")
    expect(page.locator("#id_claim_type_0")).to_be_focused()
    assert_accessible(page, "errors-radio-group")


def test_errors_on_the_signup_form_are_tied_to_their_fields(page_for, live_server):
    page = page_for(None, **PHONE)
    page.goto(live_server.url + "/cuenta/signup/")
    page.locator("[name=email]").fill("no-es-un-correo")
    page.locator("[name=password1]").fill("corta")
    page.locator("[name=password2]").fill("distinta")
    page.locator("[name=password2]").press("Enter")

    expect(page.locator("[data-error-summary]")).to_be_focused()
    assert_errors_tied_to_fields(page, ["email", "password1"])
    screenshot(page, "errors-signup-390")
    assert_accessible(page, "errors-signup")
