"""Guests of a hearing (a companion, an interpreter): invited by the office or the conciliator, a
personal link whose key only the guest has, a room token verified as Jitsi verifies it and never a
moderator's, refused when withdrawn, unknown, over or for another hearing."""

import hashlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from complaints.models import CaseEvent
from hearings.errors import HearingError
from hearings.jitsi import room_window
from hearings.models import Hearing, HearingGuest
from hearings.services.guests import guest_invite, guest_revoke
from hearings.services.scheduling import hearing_cancel
from notifications.models import Notification
from tests.hearings.factories import scheduled_hearing
from tests.hearings.test_jitsi_tokens import another_consumer, verify_like_jitsi
from tests.hearings.test_room_page import options_in
from tests.notifications.helpers import rendered


@pytest.fixture
def hearing(consumer, company, officer, conciliator):
    return scheduled_hearing(consumer, company, officer, conciliator)


def guest_page(key: str) -> str:
    return reverse("hearing_guest_room", args=[key])


def room_open(hearing):
    return time_machine.travel(hearing.starts_at - timedelta(minutes=5), tick=False)


def test_the_office_invites_an_interpreter_and_only_the_keys_hash_is_kept(hearing, officer):
    guest, key = guest_invite(
        hearing=hearing, by=officer, kind="sign_language", name="Eva Sordi", email="Eva@Senas.test", phone="1144"
    )

    assert len(key) >= 40
    assert guest.key_sha256 == hashlib.sha256(key.encode()).hexdigest()
    stored = HearingGuest.objects.filter(pk=guest.pk).values().get()
    assert key not in {str(value) for value in stored.values()}
    event = CaseEvent.objects.filter(complaint=hearing.complaint, action="guest_invited").get()
    assert "Eva Sordi" in event.reason and event.actor_id == officer.pk
    mail = rendered(Notification.objects.get(event="hearing_guest_invited"))
    assert mail.address == "eva@senas.test" and mail.recipient is None
    assert settings.SITE_URL + guest_page(key) in mail.body_text


def test_no_email_no_message(hearing, conciliator):
    guest_invite(hearing=hearing, by=conciliator, kind="companion", name="Rosa Díaz")
    assert not Notification.objects.filter(event="hearing_guest_invited").exists()


def test_a_party_cannot_invite(hearing, consumer, representative, client_for):
    with pytest.raises(HearingError):
        guest_invite(hearing=hearing, by=consumer, kind="companion", name="Mi hermana")
    response = client_for(representative).post(
        reverse("hearing_guests", args=[hearing.pk]), {"kind": "companion", "name": "Un amigo"}
    )
    assert response.status_code == 403
    assert not HearingGuest.objects.exists()


def test_the_invitation_page_shows_the_link_once(hearing, officer, client_for):
    client = client_for(officer)
    response = client.post(reverse("hearing_guests", args=[hearing.pk]), {"kind": "interpreter", "name": "Iván Petrov"})
    assert response.status_code == 200
    link = response.context["new_link"]
    key = link.rsplit("/", 2)[-2]
    assert HearingGuest.objects.get().key_sha256 == hashlib.sha256(key.encode()).hexdigest()
    assert link in response.content.decode()
    assert link not in client.get(reverse("hearing_guests", args=[hearing.pk])).content.decode()


def test_the_guests_token_is_accepted_as_prosody_checks_it_and_never_moderates(hearing, officer, client):
    guest, key = guest_invite(hearing=hearing, by=officer, kind="interpreter", name="Iván Petrov")

    with room_open(hearing):
        response = client.get(guest_page(key))
        assert response.status_code == 200
        options = options_in(response)
        claims = verify_like_jitsi(options["jwt"])

    opens_at, closes_at = room_window(hearing)
    assert claims["room"] == options["roomName"] == hearing.room
    assert claims["nbf"] == int(opens_at.timestamp()) and claims["exp"] == int(closes_at.timestamp())
    user = claims["context"]["user"]
    assert user["id"] == f"guest-{guest.pk}"
    assert user["name"].startswith("Iván Petrov (")
    # Every claim a Jitsi deployment reads for moderator rights says no.
    assert claims["moderator"] is False
    assert user["moderator"] == "false"
    assert user["affiliation"] == "member"
    assert "lobby_bypass" not in user
    assert set(claims["context"]["features"].values()) == {"false"}
    # The page lets the Jitsi frame in, like the parties' room, and tells no other site its address.
    origin = f"{settings.JITSI_SCHEME}://{settings.JITSI_DOMAIN}"
    csp = response.headers["Content-Security-Policy"]
    assert origin in csp.split("frame-src", 1)[1].split(";", 1)[0]
    assert origin in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_before_the_room_opens_the_guest_sees_when_without_a_token(hearing, officer, client):
    _guest, key = guest_invite(hearing=hearing, by=officer, kind="companion", name="Rosa Díaz")
    with time_machine.travel(hearing.starts_at - timedelta(days=1), tick=False):
        response = client.get(guest_page(key))
    assert response.status_code == 200
    assert 'id="jitsi-options"' not in response.content.decode()


def test_a_withdrawn_link_opens_nothing(hearing, officer, conciliator, client, client_for):
    guest, key = guest_invite(hearing=hearing, by=officer, kind="interpreter", name="Iván Petrov")

    response = client_for(conciliator).post(reverse("hearing_guest_revoke", args=[guest.pk]))

    assert response.status_code == 302
    guest.refresh_from_db()
    assert guest.revoked_at is not None
    event = CaseEvent.objects.filter(complaint=hearing.complaint, action="guest_revoked").get()
    assert "Iván Petrov" in event.reason and event.actor_id == conciliator.pk
    with room_open(hearing):
        refused = client.get(guest_page(key))
        unknown = client.get(guest_page("x" * 43))
    assert refused.status_code == unknown.status_code == 403
    assert 'id="jitsi-options"' not in refused.content.decode()

    # A withdrawn link and a made-up one read the same.
    def page(response) -> str:  # but for the address and what changes with every response
        text = response.content.decode().replace(response.wsgi_request.path, "")
        return re.sub(r'(nonce|value)="[^"]*"', "", text)

    assert page(refused) == page(unknown)
    assert hearing.complaint.number not in refused.content.decode()


def test_revoking_twice_logs_once(hearing, officer):
    guest, _key = guest_invite(hearing=hearing, by=officer, kind="companion", name="Rosa Díaz")
    guest_revoke(guest=guest, by=officer)
    guest_revoke(guest=guest, by=officer)
    assert CaseEvent.objects.filter(complaint=hearing.complaint, action="guest_revoked").count() == 1


def test_a_guest_link_for_one_hearing_does_not_open_another(hearing, officer, conciliator, company, client):
    other_consumer = another_consumer("mora@example.com", "Mora", "Paz")
    other = scheduled_hearing(
        other_consumer, company, officer, conciliator, starts_at=hearing.starts_at + timedelta(hours=2)
    )
    _guest, key = guest_invite(hearing=hearing, by=officer, kind="interpreter", name="Iván Petrov")

    with room_open(hearing):
        options = options_in(client.get(guest_page(key)))
        claims = verify_like_jitsi(options["jwt"])

    assert claims["room"] == hearing.room != other.room
    assert str(other.complaint.number) not in str(options)


def test_a_cancelled_hearing_closes_its_guests_links(hearing, officer, client):
    _guest, key = guest_invite(hearing=hearing, by=officer, kind="companion", name="Rosa Díaz")
    hearing_cancel(hearing=hearing, by=officer, reason="El conciliador está enfermo.")
    hearing.refresh_from_db()
    assert hearing.status == Hearing.Status.CANCELLED

    response = client.get(guest_page(key))

    assert response.status_code == 410
    assert 'id="jitsi-options"' not in response.content.decode()
    with pytest.raises(HearingError):
        guest_invite(hearing=hearing, by=officer, kind="companion", name="Otra persona")


def test_after_the_hearing_the_link_is_refused(hearing, officer, client):
    _guest, key = guest_invite(hearing=hearing, by=officer, kind="companion", name="Rosa Díaz")
    _opens, closes = room_window(hearing)
    with time_machine.travel(closes + timedelta(minutes=1), tick=False):
        response = client.get(guest_page(key))
    assert response.status_code == 410
