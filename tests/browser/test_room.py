"""The hearing room in Chromium: the page loads external_api.js from the configured Jitsi domain only
when the person joins, gives it the room and the person's token, turns the lobby on for the
conciliator, reports the join; the equipment check answers in plain words. Jitsi itself is a
stand-in (tests/browser/jitsi_stub/external_api.js) served at the live server's address."""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from hearings.models import Attendance
from hearings.services.room import recording_consent
from tests.browser.a11y import assert_accessible
from tests.browser.conftest import screenshot
from tests.hearings.factories import scheduled_hearing
from tests.hearings.test_jitsi_tokens import verify_like_jitsi

pytestmark = pytest.mark.django_db(transaction=True)

STAND_IN = Path(__file__).parent / "jitsi_stub" / "external_api.js"


@pytest.fixture
def jitsi_at_the_live_server(settings, live_server):
    settings.JITSI_DOMAIN = urlparse(live_server.url).netloc
    settings.JITSI_SCHEME = "http"
    settings.JITSI_SUBJECT = settings.JITSI_DOMAIN
    return settings.JITSI_DOMAIN


@pytest.fixture
def hearing_soon(consumer, company, officer, conciliator):
    """A hearing starting in ten minutes: its room is open."""
    return scheduled_hearing(consumer, company, officer, conciliator, starts_at=timezone.now() + timedelta(minutes=10))


def serve_stand_in(page):
    requested = []

    def fulfil(route):
        requested.append(route.request.url)
        route.fulfill(path=str(STAND_IN), content_type="application/javascript")

    page.route("**/external_api.js", fulfil)
    return requested


def join_and_wait_for_the_report(page):
    """Press "Join"; return once the page's attendance report has been answered (and committed)."""
    with page.expect_response(lambda response: "/asistencia/informe/" in response.url) as reported:
        page.locator("[data-join]").click()
    return reported.value


def leave_and_wait_for_the_report(page):
    """The room says the person left; return once that report is answered. (Left in the room, the
    page would report the leave as it closes, while the test database is being emptied.)"""
    with page.expect_response(lambda response: "/asistencia/informe/" in response.url) as reported:
        page.evaluate("window.__jitsi.emit('videoConferenceLeft', {})")
    return reported.value


def test_the_conciliator_joins_as_moderator_and_the_lobby_is_turned_on(
    page_for, live_server, jitsi_at_the_live_server, hearing_soon, conciliator
):
    page = page_for(conciliator)
    requested = serve_stand_in(page)

    page.goto(f"{live_server.url}/audiencias/{hearing_soon.pk}/")
    assert requested == []  # nothing from Jitsi until the person joins
    report = join_and_wait_for_the_report(page)
    page.wait_for_function("window.__jitsi && window.__jitsi.commands.length > 0")

    jitsi = page.evaluate(
        "({domain: window.__jitsi.domain, options: window.__jitsi.options, commands: window.__jitsi.commands})"
    )
    assert requested == [f"http://{jitsi_at_the_live_server}/external_api.js"]
    assert jitsi["domain"] == jitsi_at_the_live_server
    assert jitsi["options"]["roomName"] == hearing_soon.room
    assert jitsi["options"]["lang"] == "es"
    assert jitsi["commands"] == [["toggleLobby", True]]
    claims = verify_like_jitsi(jitsi["options"]["jwt"])
    assert claims["context"]["user"]["moderator"] == "true"
    assert claims["context"]["user"]["lobby_bypass"] is True  # back in after a reload, lobby or not
    assert claims["room"] == hearing_soon.room
    assert report.status == 201
    row = Attendance.objects.get(hearing=hearing_soon, user=conciliator)
    assert (row.kind, row.source, row.party) == ("joined", "client", "conciliator")
    assert_accessible(page, "hearing-room-conciliator")
    screenshot(page, "hearing-room-conciliator-1280")
    assert leave_and_wait_for_the_report(page).status == 201
    assert page.locator("[data-join]").is_visible()  # they can join again
    assert page.problems == []


def test_a_consumer_on_a_phone_joins_with_audio_only_and_no_moderator_rights(
    page_for, live_server, jitsi_at_the_live_server, hearing_soon, consumer
):
    recording_consent(hearing=hearing_soon, user=consumer, consented=True)
    page = page_for(consumer, width=390, height=844)
    serve_stand_in(page)

    page.goto(f"{live_server.url}/audiencias/{hearing_soon.pk}/")
    page.locator("[data-audio-only]").check()
    report = join_and_wait_for_the_report(page)

    options = page.evaluate("window.__jitsi.options")
    assert options["configOverwrite"]["startAudioOnly"] is True
    assert options["configOverwrite"]["deeplinking"] == {"disabled": True}  # stays in the browser
    user = verify_like_jitsi(options["jwt"])["context"]["user"]
    assert user["moderator"] == "false"
    assert "lobby_bypass" not in user  # a party knocks
    assert page.evaluate("window.__jitsi.commands") == []
    assert report.status == 201
    assert Attendance.objects.filter(hearing=hearing_soon, user=consumer, kind="joined").exists()
    screenshot(page, "hearing-room-consumer-390")
    assert leave_and_wait_for_the_report(page).status == 201
    assert page.problems == []


def test_the_equipment_check_answers_in_plain_words(page_for, live_server, hearing_soon, consumer):
    hearing_soon.starts_at += timedelta(days=3)
    hearing_soon.ends_at += timedelta(days=3)
    hearing_soon.save(update_fields=["starts_at", "ends_at"])
    page = page_for(consumer, width=390, height=844)

    page.goto(f"{live_server.url}/audiencias/{hearing_soon.pk}/")
    page.wait_for_function("/\\d/.test(document.querySelector('[data-countdown]').textContent)")
    page.locator("[data-check-start]").click()

    # Headless Chromium has no camera: whatever it answers, it is one of the page's own sentences.
    answers = page.evaluate(
        """[...document.getElementById('hearing-room').attributes]
             .filter(a => a.name.startsWith('data-msg-check-') && a.name !== 'data-msg-check-asking')
             .map(a => a.value)"""
    )
    page.wait_for_function(
        "(answers) => answers.includes(document.querySelector('[data-check-status]').textContent)", arg=answers
    )
    assert page.locator("#equipment-check h2").is_visible()
    assert page.locator("[data-check-sound]").is_visible()
    assert page.problems == []
    assert_accessible(page, "hearing-room-before")
    screenshot(page, "hearing-room-before-390")
