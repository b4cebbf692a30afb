"""The journey of one complaint, end to end in Chromium: each person in their own browser, the consumer
on a phone. Each step starts from the case in the database (tests/browser/journey.py)."""

from urllib.parse import urlparse

import pytest

from tests.browser import journey as steps
from tests.browser.journey import Journey
from tests.hearings.factories import make_conciliator

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def journey(page_for, live_server, settings, company, officer, representative, conciliator):
    # The hearing page loads Jitsi's external_api.js from JITSI_SCHEME://JITSI_DOMAIN: the live server's
    # address, where each page is answered with the stand-in (tests/browser/jitsi_stub/) instead.
    settings.JITSI_DOMAIN = urlparse(live_server.url).netloc
    settings.JITSI_SCHEME = "http"
    settings.JITSI_SUBJECT = settings.JITSI_DOMAIN
    return Journey(
        base_url=live_server.url,
        page_for=page_for,
        company=company,
        officer=officer,
        representative=representative,
        conciliator=conciliator,
        second_conciliator=make_conciliator("diego@oficina.test", "Diego", "Sosa"),
    )


def test_the_complaint_journey(journey):
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
    # 4. The office schedules the hearing; consumer (phone), representative and conciliator join the
    #    room (Jitsi tokens checked); their joins and leaves are recorded.
    hearing = steps.the_hearing_is_held(journey)
    # 5. Agreement at the console; the acta PDF; both parties confirm it; the office approves it; at the
    #    deadline the consumer says the company complied: the case ends "complied".
    steps.the_agreement_is_honoured(journey, hearing)
    # 6. A second case: the company does not come nor justify it; the case is referred and exported.
    steps.the_absent_company_is_referred(journey)

    journey.assert_every_page_checked()
