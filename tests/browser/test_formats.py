"""On a Spanish page, times read as in Buenos Aires and money as in Argentina ("$ 12.345,67"), whatever
the time zone of the reader's own browser."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page

from complaints import services
from complaints.models import Complaint, Offer
from tests.browser.a11y import assert_accessible
from tests.browser.conftest import screenshot
from tests.browser.journey import PHONE, es
from tests.complaints.factories import served_case

pytestmark = pytest.mark.django_db(transaction=True)

# 02:30 UTC on 10 March 2026 is still 9 March, 23:30 in Buenos Aires (UTC-3, no daylight saving).
INSTANT = datetime(2026, 3, 10, 2, 30, tzinfo=UTC)
BUENOS_AIRES_DAY, BUENOS_AIRES_TIME = "09/03/2026", "23:30"


def text_of(page: Page, selector: str = "main") -> str:
    """The visible text with every run of white space (no-break spaces too) as one space."""
    return " ".join(page.locator(selector).inner_text().split())


@pytest.fixture
def case_with_offer(consumer, company, officer, representative) -> Complaint:
    case = served_case(consumer, company, officer, amount_paid=Decimal("1234567.8"), claim_amount=Decimal("12345.67"))
    offer = services.offer_make(
        complaint=case,
        by=representative,
        terms="Reintegro parcial por transferencia.",
        fulfil_by=timezone.localdate() + timedelta(days=10),
        amount=Decimal("9876.5"),
    )
    Complaint.objects.filter(pk=case.pk).update(submitted_at=INSTANT)
    Offer.objects.filter(pk=offer.pk).update(created_at=INSTANT)
    return case


def test_the_case_file_shows_buenos_aires_time_and_pesos(page_for, live_server, consumer, case_with_offer):
    # The browser itself is in Tokyo: what the page shows must not depend on it.
    page = page_for(consumer, timezone_id="Asia/Tokyo", **PHONE)
    page.goto(f"{live_server.url}/reclamos/{case_with_offer.pk}/")

    text = text_of(page)
    assert f"{es('Filed')} {BUENOS_AIRES_DAY}" in text
    assert f"{BUENOS_AIRES_DAY} {BUENOS_AIRES_TIME}" in text  # the offer's time
    assert "10/03/2026" not in text
    assert f"{es('Amount paid')} $ 1.234.567,80" in text
    assert f"{es('Amount claimed')} $ 12.345,67" in text
    assert "$ 9.876,50" in text
    assert "ARS" not in text and "9,876.50" not in text  # the history too (an offer's event)
    screenshot(page, "formats-case-file-390")
    assert_accessible(page, "formats-case-file")


def test_the_receipt_shows_buenos_aires_time_and_pesos(page_for, live_server, consumer, case_with_offer):
    page = page_for(consumer, timezone_id="Asia/Tokyo", **PHONE)
    page.goto(f"{live_server.url}/reclamos/{case_with_offer.pk}/constancia/")

    text = text_of(page)
    assert f"{BUENOS_AIRES_DAY} {BUENOS_AIRES_TIME}" in text
    assert "$ 1.234.567,80" in text
    assert "$ 12.345,67" in text
    assert "ARS" not in text
    screenshot(page, "formats-receipt-390")
    assert_accessible(page, "formats-receipt")
