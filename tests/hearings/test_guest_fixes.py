"""Guests of a hearing, reviewer fixes: a guest is never taken for a party (not by the e-mail the
office gave them, not by a name that begins like a party's), and guests are told when their hearing
is moved or cancelled."""

import json
from datetime import UTC, timedelta

import pytest
import time_machine
from django.urls import reverse

from complaints.models import Complaint
from hearings.jitsi import guest_name
from hearings.models import Attendance, Hearing
from hearings.selectors import attended
from hearings.services.guests import guest_invite, guest_revoke
from hearings.services.room import attendance_from_jitsi_event
from hearings.services.scheduling import hearing_cancel, hearing_reschedule, hearing_schedule
from notifications.models import Notification
from tests.complaints.factories import served_case
from tests.hearings.factories import SERVED, at, scheduled_hearing
from tests.notifications.helpers import rendered

pytestmark = pytest.mark.django_db


# --- A guest is not a party -------------------------------------------------------------------------


@pytest.fixture
def hearing(consumer, company, officer, conciliator):
    return scheduled_hearing(consumer, company, officer, conciliator)


def guest_joined(hearing, guest) -> dict:
    return {
        "event_name": "muc-occupant-joined",
        "room_name": hearing.room,
        "room_jid": f"{hearing.room}@conference.meet.concilia.test",
        "is_breakout": False,
        "active_occupants_count": 2,
        "occupant": {
            "occupant_jid": f"guest{guest.pk}@meet.concilia.test/res",
            "joined_at": int(hearing.starts_at.astimezone(UTC).timestamp()),
            "name": guest_name(guest),
            "email": guest.email,
            "id": f"guest-{guest.pk}",
        },
    }


def test_a_guest_invited_with_the_consumers_email_is_recorded_as_a_guest(hearing, officer, consumer):
    guest, _key = guest_invite(hearing=hearing, by=officer, kind="companion", name="Rosa Díaz", email=consumer.email)

    attendance_from_jitsi_event(guest_joined(hearing, guest))

    row = Attendance.objects.get(hearing=hearing)
    assert (row.user, row.party) == (None, "other")
    assert not attended(hearing, Attendance.Party.CONSUMER)


def test_a_guest_the_conciliators_page_sees_is_not_the_party_whose_name_theirs_begins_with(
    hearing, officer, conciliator, consumer, client_for
):
    # Named like the consumer: Jitsi shows "María González (Companion)", as it would show the consumer
    # acting for someone ("María González (for …)").
    guest, _key = guest_invite(hearing=hearing, by=officer, kind="companion", name=consumer.display_name)
    with time_machine.travel(hearing.starts_at + timedelta(minutes=3), tick=False):
        response = client_for(conciliator).post(
            reverse("hearing_attendance_report", args=[hearing.pk]),
            data=json.dumps({"event": "participantJoined", "event_id": "c-1", "display_name": guest_name(guest)}),
            content_type="application/json",
        )

    assert response.status_code == 201
    row = Attendance.objects.get(hearing=hearing)
    assert (row.user, row.party) == (None, "other")


# --- Guests told of a move or a cancellation ----------------------------------------------------------


@pytest.fixture
def booked(consumer, company, officer, representative, conciliator):
    with time_machine.travel(SERVED, tick=True):
        case: Complaint = served_case(consumer, company, officer)
        hearing = hearing_schedule(complaint=case, by=officer, starts_at=at(3, 31, 10), conciliator=conciliator)
        yield hearing


def guest_updates() -> list[Notification]:
    return rendered(Notification.objects.filter(event="hearing_guest_update").order_by("pk"))


def test_guests_with_an_email_hear_that_the_hearing_moved(booked, officer):
    with time_machine.travel(SERVED, tick=True):
        guest_invite(hearing=booked, by=officer, kind="interpreter", name="Iván Petrov", email="ivan@idiomas.test")
        guest_invite(hearing=booked, by=officer, kind="companion", name="Sin Correo")
        gone, _key = guest_invite(hearing=booked, by=officer, kind="companion", name="Ya No", email="yano@x.test")
        guest_revoke(guest=gone, by=officer)

        hearing_reschedule(hearing=booked, by=officer, starts_at=at(4, 1, 12), reason="Licencia.")

    (mail,) = guest_updates()
    assert mail.address == "ivan@idiomas.test" and mail.recipient is None
    assert "Iván Petrov" in mail.body_text
    # A bare address is written to in the office's language (Spanish).
    assert "sigue sirviendo" in mail.body_text
    assert "Licencia" not in mail.body_text  # the reason is the parties', not a third person's
    assert "se pasó al" in mail.subject


def test_guests_hear_that_the_hearing_was_cancelled(booked, officer):
    with time_machine.travel(SERVED, tick=True):
        guest_invite(hearing=booked, by=officer, kind="interpreter", name="Iván Petrov", email="ivan@idiomas.test")

        hearing_cancel(hearing=booked, by=officer, reason="La empresa pidió otra fecha.")

    (mail,) = guest_updates()
    assert Hearing.objects.get(pk=booked.pk).status == Hearing.Status.CANCELLED
    assert mail.address == "ivan@idiomas.test"
    assert "Se canceló" in mail.subject and "ya no abre" in mail.body_text


def test_the_guests_page_says_what_withdrawing_does_and_that_an_adjournment_needs_a_new_invitation(
    hearing, officer, client_for
):
    page = client_for(officer).get(reverse("hearing_guests", args=[hearing.pk])).content.decode()

    assert "does not remove someone already in the room" in page
    assert "invite them again to the new hearing" in page
