"""The video server's occupant events (prosody's event_sync component, jitsi-contrib/prosody-plugins):
accepted only with the shared secret, each stored once however often Jitsi retries, and mapped to
the party whose token the occupant used."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from hearings.models import Attendance, Recording
from hearings.selectors import attendance_summary
from hearings.services.room import attendance_from_jitsi_event
from notifications.models import Notification
from tests.complaints.test_concurrency import run_together
from tests.hearings.factories import scheduled_hearing

SECRET = "a-shared-secret-for-the-events-endpoint-0123456789"


@pytest.fixture(autouse=True)
def _secret(settings):  # type: ignore[no-untyped-def]
    settings.JITSI_EVENTS_SECRET = SECRET


@pytest.fixture
def hearing(consumer, company, officer, conciliator):  # type: ignore[no-untyped-def]
    return scheduled_hearing(consumer, company, officer, conciliator)


@pytest.fixture
def jitsi():  # type: ignore[no-untyped-def]
    """Prosody's HTTP client: no session, no CSRF token."""
    return Client(enforce_csrf_checks=True)


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def occupant(user, joined: datetime, left: datetime | None = None, jid: str = "") -> dict:  # type: ignore[no-untyped-def]
    data = {
        "occupant_jid": jid or f"{user.pk}abc@meet.concilia.test/res{user.pk}",
        "joined_at": epoch(joined),
        "name": user.display_name,
        "email": user.email,
        "id": str(user.pk),
    }
    if left:
        data["left_at"] = epoch(left)
    return data


def joined_event(hearing, person: dict) -> dict:  # type: ignore[no-untyped-def]
    return {
        "event_name": "muc-occupant-joined",
        "room_name": hearing.room,
        "room_jid": f"{hearing.room}@conference.meet.concilia.test",
        "is_breakout": False,
        "active_occupants_count": 1,
        "occupant": person,
    }


def post(client, payload, *, secret: str | None = SECRET, path: str = "/jitsi/eventos/"):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {secret}"} if secret is not None else {}
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(path, data=body, content_type="application/json", headers=headers)


def test_an_occupant_joining_is_recorded_as_the_party_of_its_token(jitsi, hearing, consumer):
    start = hearing.starts_at.astimezone(UTC)

    response = post(jitsi, joined_event(hearing, occupant(consumer, start)))

    assert response.status_code == 200
    assert response.json() == {"ok": True, "created": 1}
    row = Attendance.objects.get(hearing=hearing)
    assert (row.user, row.party, row.kind, row.source, row.at) == (consumer, "consumer", "joined", "server", start)


def test_the_same_event_delivered_again_is_stored_once_and_answered_200(jitsi, hearing, representative):
    payload = joined_event(hearing, occupant(representative, hearing.starts_at))

    first, again = post(jitsi, payload), post(jitsi, payload)

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["created"] == 0
    assert Attendance.objects.filter(hearing=hearing).count() == 1
    assert Attendance.objects.get().party == "company"


def test_event_sync_posts_under_its_api_prefix_and_that_works_too(jitsi, hearing, conciliator):
    response = post(
        jitsi,
        joined_event(hearing, occupant(conciliator, hearing.starts_at)),
        path="/jitsi/eventos/events/occupant/joined",
    )

    assert response.status_code == 200
    assert Attendance.objects.get().party == "conciliator"
    assert reverse("jitsi_events") == "/jitsi/eventos/"


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET[:-1]])
def test_a_missing_or_wrong_secret_gets_a_401(jitsi, hearing, consumer, secret):
    response = post(jitsi, joined_event(hearing, occupant(consumer, hearing.starts_at)), secret=secret)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Attendance.objects.exists()


def test_with_no_secret_configured_nothing_is_accepted(jitsi, hearing, consumer, settings):
    settings.JITSI_EVENTS_SECRET = ""

    assert post(jitsi, joined_event(hearing, occupant(consumer, hearing.starts_at)), secret="").status_code == 401


def test_a_room_that_is_no_hearings_gets_a_404(jitsi, hearing, consumer):
    payload = joined_event(hearing, occupant(consumer, hearing.starts_at)) | {"room_name": "somebody-elses-room"}

    assert post(jitsi, payload).status_code == 404
    assert not Attendance.objects.exists()


def test_a_tenant_room_name_is_read_without_its_tenant(jitsi, hearing, consumer):
    payload = joined_event(hearing, occupant(consumer, hearing.starts_at)) | {"room_name": f"[concilia]{hearing.room}"}

    assert post(jitsi, payload).status_code == 200
    assert Attendance.objects.get().hearing == hearing


def test_leaving_records_the_leave_and_a_join_whose_own_event_was_lost(jitsi, hearing, consumer):
    person = occupant(consumer, hearing.starts_at, hearing.starts_at + timedelta(minutes=45))
    payload = {**joined_event(hearing, person), "event_name": "muc-occupant-left", "active_occupants_count": 0}

    post(jitsi, payload)

    [summary] = attendance_summary(hearing)
    assert summary["joined_at"] == hearing.starts_at
    assert summary["left_at"] == hearing.starts_at + timedelta(minutes=45)


def test_the_room_destroyed_summary_fills_gaps_without_duplicating(jitsi, hearing, consumer, representative):
    start = hearing.starts_at
    post(jitsi, joined_event(hearing, occupant(consumer, start)))
    destroyed = {
        "event_name": "muc-room-destroyed",
        "room_name": hearing.room,
        "room_jid": f"{hearing.room}@conference.meet.concilia.test",
        "is_breakout": False,
        "created_at": epoch(start),
        "destroyed_at": epoch(start + timedelta(hours=1)),
        "all_occupants": [
            occupant(consumer, start, start + timedelta(minutes=50)),
            occupant(representative, start + timedelta(minutes=2), start + timedelta(minutes=55)),
        ],
    }

    post(jitsi, destroyed)
    post(jitsi, destroyed)

    assert Attendance.objects.filter(hearing=hearing).count() == 4
    assert {(row.user, row.kind) for row in Attendance.objects.all()} == {
        (consumer, "joined"),
        (consumer, "left"),
        (representative, "joined"),
        (representative, "left"),
    }


def test_an_occupant_who_is_no_party_is_recorded_by_the_name_jitsi_has(jitsi, hearing, stranger):
    person = occupant(stranger, hearing.starts_at) | {"name": "Visitante"}

    post(jitsi, joined_event(hearing, person))

    row = Attendance.objects.get()
    assert (row.user, row.party, row.display_name) == (None, "other", "Visitante")


def test_the_recorder_joining_the_room_is_not_attendance(jitsi, hearing):
    recorder = {"occupant_jid": "recorder@recorder.meet.concilia.test/abc", "joined_at": epoch(hearing.starts_at)}

    assert post(jitsi, joined_event(hearing, recorder)).status_code == 200
    assert not Attendance.objects.exists()


def test_a_room_created_event_is_acknowledged(jitsi, hearing):
    payload = {"event_name": "muc-room-created", "room_name": hearing.room, "created_at": epoch(hearing.starts_at)}

    assert post(jitsi, payload).status_code == 200
    assert not Attendance.objects.exists()


@pytest.mark.parametrize(
    "payload",
    ["{not json", {"event_name": "muc-something-else", "room_name": "x"}, {"event_name": "muc-occupant-joined"}],
)
def test_an_unreadable_event_gets_a_400(jitsi, payload):
    assert post(jitsi, payload).status_code == 400


def test_the_endpoint_takes_only_post(jitsi):
    assert jitsi.get("/jitsi/eventos/", headers={"Authorization": f"Bearer {SECRET}"}).status_code == 405


# --- Jitsi retries arriving together (PostgreSQL: real concurrent transactions) --------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_event_delivered_by_eight_workers_at_once_is_stored_once(consumer, company, officer, conciliator):
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent inserts need PostgreSQL; run with DATABASE_URL=postgres://…")
    hearing = scheduled_hearing(consumer, company, officer, conciliator)
    payload = joined_event(hearing, occupant(consumer, hearing.starts_at))

    results = run_together(8, lambda i: attendance_from_jitsi_event(payload).created)

    assert sorted(results) == [0] * 7 + [1]  # type: ignore[type-var]
    assert Attendance.objects.filter(hearing=hearing).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_recording_posted_by_four_workers_at_once_is_registered_and_announced_once(
    consumer, company, officer, conciliator
):
    if connection.vendor != "postgresql":
        pytest.skip("Row locks need PostgreSQL; run with DATABASE_URL=postgres://…")
    hearing = scheduled_hearing(consumer, company, officer, conciliator)
    payload = {
        "event_name": "recording-uploaded",
        "room_name": hearing.room,
        "url": "https://grabaciones.concilia.test/a.mp4",
        "recording_id": "jibri-7",
    }

    results = run_together(4, lambda i: attendance_from_jitsi_event(payload))

    assert not [r for r in results if isinstance(r, Exception)]
    assert Recording.objects.filter(hearing=hearing).count() == 1
    assert Notification.objects.filter(event="recording_available", recipient=consumer, channel="email").count() == 1


@pytest.mark.parametrize("stamp", [1e300, "nan", 1e20])
def test_an_impossible_timestamp_is_refused_as_a_bad_event_not_a_server_error(jitsi, hearing, consumer, stamp):  # type: ignore[no-untyped-def]
    person = occupant(consumer, hearing.starts_at)
    person["joined_at"] = stamp

    response = post(jitsi, joined_event(hearing, person))

    assert response.status_code == 400
    assert not hearing.attendance.exists()
