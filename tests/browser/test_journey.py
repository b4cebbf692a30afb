"""The journey of one complaint, end to end in Chromium: each person in their own browser, the consumer
on a phone. Steps 4-6 (hearing, acta, absent company) append to `test_the_complaint_journey` once the
hearings app exists; each step starts from the case in the database (tests/browser/journey.py)."""

import pytest

from tests.browser import journey as steps
from tests.browser.journey import Journey

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def journey(page_for, live_server, company, officer, representative):  # type: ignore[no-untyped-def]
    return Journey(
        base_url=live_server.url, page_for=page_for, company=company, officer=officer, representative=representative
    )


def test_the_complaint_journey(journey):  # type: ignore[no-untyped-def]
    # 1. The consumer signs up on a phone, verifies the e-mail, completes the profile and files.
    steps.consumer_signs_up(journey)
    steps.consumer_completes_profile(journey)
    steps.consumer_files_complaint(journey)
    # 2. The officer observes it; the consumer corrects and resubmits; the officer admits it.
    steps.officer_observes(journey)
    steps.consumer_corrects(journey)
    steps.officer_admits(journey)
    # 3. The representative opens the formal notice (served on opening) and offers; the consumer rejects.
    steps.representative_opens_notice(journey)
    steps.representative_offers(journey)
    steps.consumer_rejects_offer(journey)

    journey.assert_every_page_checked()
