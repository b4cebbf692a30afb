"""In Chromium, the site's Content-Security-Policy and Permissions-Policy break nothing: an ordinary
page and the hearing room load with no policy complaint, the room takes Jitsi's script and frame
from the Jitsi origin, and any other page refuses them. (page_for fails a test on any policy
complaint; the last test shows it would notice one.)"""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.test_room import STAND_IN, join_and_wait_for_the_report, leave_and_wait_for_the_report
from tests.hearings.factories import scheduled_hearing

pytestmark = pytest.mark.django_db(transaction=True)

# Not the live server's origin: the script and the frame really come from elsewhere (Playwright
# answers for that host, as the Jitsi server would).
JITSI = "jitsi.concilia.test"


@pytest.fixture
def jitsi_elsewhere(settings):
    settings.JITSI_DOMAIN = JITSI
    settings.JITSI_SCHEME = "http"
    settings.JITSI_SUBJECT = JITSI


@pytest.fixture
def hearing_soon(consumer, company, officer, conciliator):
    return scheduled_hearing(consumer, company, officer, conciliator, starts_at=timezone.now() + timedelta(minutes=10))


def serve_jitsi(page):
    page.route(f"http://{JITSI}/external_api.js", lambda route: route.fulfill(path=str(STAND_IN)))
    page.route(
        f"http://{JITSI}/room/**",
        lambda route: route.fulfill(body="<!DOCTYPE html><title>Jitsi</title><p>room</p>", content_type="text/html"),
    )


def test_an_ordinary_page_loads_without_a_policy_complaint(page_for, live_server, consumer):
    page = page_for(consumer)

    page.goto(live_server.url + "/")
    page.goto(live_server.url + "/reclamos/nuevo/")

    assert page.locator("h1").first.is_visible()
    # The inline script (with its nonce) ran: it swaps no-js for js.
    assert page.evaluate("document.documentElement.className") == "js"
    assert page.problems == []


def test_the_room_takes_the_jitsi_script_and_frame_without_a_policy_complaint(
    page_for, live_server, jitsi_elsewhere, hearing_soon, conciliator
):
    page = page_for(conciliator)
    serve_jitsi(page)

    page.goto(f"{live_server.url}/audiencias/{hearing_soon.pk}/")
    report = join_and_wait_for_the_report(page)
    page.wait_for_function("window.__jitsi && window.__jitsi.commands.length > 0")
    # What the real IFrame API does next: the meeting in a frame from the Jitsi origin.
    page.evaluate(
        """(src) => new Promise((resolve) => {
             const frame = document.createElement('iframe');
             frame.allow = 'camera; microphone; display-capture; autoplay; clipboard-write';
             frame.src = src;
             frame.onload = resolve;
             document.querySelector('[data-room-frame]').appendChild(frame);
           })""",
        f"http://{JITSI}/room/{hearing_soon.room}",
    )

    assert report.status == 201
    assert page.evaluate("window.__jitsi.scriptUrl") == f"http://{JITSI}/external_api.js"
    assert page.frame_locator(f"iframe[src^='http://{JITSI}/room/']").locator("p").inner_text() == "room"
    assert leave_and_wait_for_the_report(page).status == 201
    assert page.problems == []


def test_another_page_refuses_the_jitsi_script_and_the_check_notices(page_for, live_server, jitsi_elsewhere, consumer):
    page = page_for(consumer)
    serve_jitsi(page)
    page.goto(live_server.url + "/")

    page.evaluate(
        """(src) => new Promise((resolve) => {
             const script = document.createElement('script');
             script.src = src;
             script.onload = script.onerror = resolve;
             document.head.appendChild(script);
           })""",
        f"http://{JITSI}/external_api.js",
    )

    assert page.evaluate("typeof window.JitsiMeetExternalAPI") == "undefined"
    assert any("Content Security Policy" in text for text in page.policy_violations)
    page.policy_violations.clear()  # seen; the fixture would otherwise fail the test for it
