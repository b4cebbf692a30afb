"""The video server's occupant events (prosody's event_sync component, jitsi-contrib/prosody-plugins):
accepted only with the shared secret, each stored once however often Jitsi retries, and mapped to
the party whose token the occupant used."""

import json
from datetime import UTC, datetime, timedelta

import hypothesis
import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from hearings.models import Attendance, Recording
from hearings.selectors import attendance_summary
from hearings.services.room import attendance_from_jitsi_event
from notifications.models import Notification
from tests.complaints.test_concurrency import run_together
from tests.hearings.factories import scheduled_hearing

SECRET = "a-shared-secret-for-the-events-endpoint-0123456789"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.JITSI_EVENTS_SECRET = SECRET


@pytest.fixture
def hearing(consumer, company, officer, conciliator):
    return scheduled_hearing(consumer, company, officer, conciliator)


@pytest.fixture
def jitsi():
    """Prosody's HTTP client: no session, no CSRF token."""
    return Client(enforce_csrf_checks=True)


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def occupant(user, joined: datetime, left: datetime | None = None, jid: str = "") -> dict:
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


def joined_event(hearing, person: dict) -> dict:
    return {
        "event_name": "muc-occupant-joined",
        "room_name": hearing.room,
        "room_jid": f"{hearing.room}@conference.meet.concilia.test",
        "is_breakout": False,
        "active_occupants_count": 1,
        "occupant": person,
    }


def post(client, payload, *, secret: str | None = SECRET, path: str = "/jitsi/eventos/"):
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
def test_an_impossible_timestamp_is_refused_as_a_bad_event_not_a_server_error(jitsi, hearing, consumer, stamp):
    person = occupant(consumer, hearing.starts_at)
    person["joined_at"] = stamp

    response = post(jitsi, joined_event(hearing, person))

    assert response.status_code == 400
    assert not hearing.attendance.exists()


# --- Jibri on the hidden domain (docker-jitsi-meet: recorder@hidden.<XMPP domain>) ------------------


def test_jibri_on_the_hidden_domain_is_not_attendance(jitsi, hearing, settings):
    settings.JITSI_HIDDEN_DOMAIN = "hidden.meet.concilia.test"
    recorder = {"occupant_jid": "recorder@hidden.meet.concilia.test/jibri-1", "joined_at": epoch(hearing.starts_at)}

    response = post(jitsi, joined_event(hearing, recorder))

    assert response.status_code == 200
    assert response.json() == {"ok": True, "created": 0}
    assert not Attendance.objects.exists()


def test_the_room_destroyed_summary_leaves_out_jibri_and_keeps_the_parties(jitsi, hearing, consumer, settings):
    settings.JITSI_HIDDEN_DOMAIN = "hidden.meet.concilia.test"
    start, end = hearing.starts_at, hearing.starts_at + timedelta(minutes=50)
    jibri = {
        "occupant_jid": "recorder@hidden.meet.concilia.test/jibri-1",
        "name": "Recorder",
        "joined_at": epoch(start),
        "left_at": epoch(end),
    }
    destroyed = {
        "event_name": "muc-room-destroyed",
        "room_name": hearing.room,
        "all_occupants": [jibri, occupant(consumer, start, end)],
    }

    post(jitsi, destroyed)

    assert {(row.user, row.kind) for row in Attendance.objects.all()} == {(consumer, "joined"), (consumer, "left")}


def test_an_occupant_on_another_domain_named_recorder_is_still_attendance(jitsi, hearing, settings):
    settings.JITSI_HIDDEN_DOMAIN = "hidden.meet.concilia.test"
    person = {
        "occupant_jid": "recorder@meet.concilia.test/abc",
        "name": "Recorder Pérez",
        "joined_at": epoch(hearing.starts_at),
    }

    post(jitsi, joined_event(hearing, person))

    assert Attendance.objects.get().display_name == "Recorder Pérez"


# --- Malformed input: always a 4xx, never a 500, and nothing written ---------------------------------


@pytest.mark.parametrize("stamp", [int("9" * 400), "9" * 400, -5, True, [1625823996], {"t": 1}, "1e400"])
def test_a_timestamp_that_is_no_time_is_a_400(jitsi, hearing, consumer, stamp):
    person = occupant(consumer, hearing.starts_at) | {"joined_at": stamp}

    response = post(jitsi, joined_event(hearing, person))

    assert response.status_code == 400
    assert not Attendance.objects.exists()


@pytest.mark.parametrize("depth", [30, 1000, 5000])
def test_deeply_nested_json_is_a_400(jitsi, depth):
    assert post(jitsi, "[" * depth + "]" * depth).status_code == 400
    assert post(jitsi, '{"a":' * depth + "1" + "}" * depth).status_code == 400


def test_a_body_larger_than_any_event_is_refused_unread(jitsi, hearing, consumer):
    payload = joined_event(hearing, occupant(consumer, hearing.starts_at) | {"name": "x" * 300_000})

    assert post(jitsi, payload).status_code == 413
    assert not Attendance.objects.exists()


@pytest.mark.parametrize(
    "field",
    [
        {"room_name": 7},
        {"room_name": ["concilia"]},
        {"event_name": {"x": 1}},
        {"occupant": [1, 2]},
        {"is_breakout": True, "breakout_room_id": {"id": 1}},
    ],
)
def test_a_field_of_the_wrong_type_is_a_400(jitsi, hearing, consumer, field):
    assert post(jitsi, joined_event(hearing, occupant(consumer, hearing.starts_at)) | field).status_code == 400
    assert not Attendance.objects.exists()


def test_text_postgresql_cannot_store_is_recorded_without_it(jitsi, hearing, stranger):
    person = occupant(stranger, hearing.starts_at) | {"name": "Visi\x00tante \ud800", "occupant_jid": "a\x00b@meet/x"}

    response = post(jitsi, joined_event(hearing, person))

    assert response.status_code == 200
    assert Attendance.objects.get().display_name == "Visitante ?"


def test_a_room_name_no_hearing_could_have_is_a_404_without_asking_the_database(jitsi, hearing, consumer):
    payload = joined_event(hearing, occupant(consumer, hearing.starts_at)) | {"room_name": "con\x00cilia"}

    assert post(jitsi, payload).status_code == 404


def test_one_unreadable_occupant_in_the_summary_refuses_the_whole_event(jitsi, hearing, consumer, representative):
    start = hearing.starts_at
    destroyed = {
        "event_name": "muc-room-destroyed",
        "room_name": hearing.room,
        "all_occupants": [
            occupant(consumer, start, start + timedelta(minutes=5)),
            occupant(representative, start) | {"joined_at": "soon"},
        ],
    }

    assert post(jitsi, destroyed).status_code == 400
    assert not Attendance.objects.exists()


def test_a_recording_link_with_a_nul_is_a_400(jitsi, hearing):
    payload = {"event_name": "recording-uploaded", "room_name": hearing.room, "url": "https://x.test/a\x00.mp4"}

    assert post(jitsi, payload).status_code == 400
    assert not Recording.objects.exists()


# --- Any body at all: a property ---------------------------------------------------------------------

EVENT_NAMES = [
    "muc-occupant-joined",
    "muc-occupant-left",
    "muc-room-destroyed",
    "muc-room-created",
    "recording-uploaded",
]
ODD_TEXT = st.sampled_from(["", "\x00", "\ud800", "9" * 400, "1e400", "NaN", "[tenant]", "recorder@hidden.x/y", " "])
JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | ODD_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=15,
)


def event_bodies(hearing, people):
    """Bodies near a real event (its keys, some right values, some wrong ones) and far from any."""
    start = epoch(hearing.starts_at)
    stamp = st.sampled_from([start, start + 60, str(start), start * 1000]) | JSONISH
    person = st.fixed_dictionaries(
        {
            "occupant_jid": st.sampled_from([f"{p.pk}x@meet.test/r" for p in people]) | JSONISH,
            "joined_at": stamp,
        },
        optional={
            "left_at": stamp,
            "id": st.sampled_from([str(p.pk) for p in people]) | JSONISH,
            "name": st.text(max_size=20) | JSONISH,
            "email": st.sampled_from([p.email for p in people]) | JSONISH,
        },
    )
    event = st.fixed_dictionaries(
        {
            "event_name": st.sampled_from(EVENT_NAMES) | JSONISH,
            "room_name": st.sampled_from([hearing.room, f"[t]{hearing.room}", hearing.room.upper()]) | JSONISH,
        },
        optional={
            "occupant": person | JSONISH,
            "all_occupants": st.lists(person | JSONISH, max_size=4) | JSONISH,
            "is_breakout": st.booleans() | JSONISH,
            "breakout_room_id": st.text(max_size=10) | JSONISH,
            "url": st.sampled_from(["https://rec.test/a.mp4", "ftp://x", "https://x y"]) | JSONISH,
            "recording_id": st.text(max_size=10) | JSONISH,
        },
    )
    return (
        event.map(json.dumps)
        | JSONISH.map(json.dumps)
        | st.integers(min_value=1, max_value=6000).map(lambda n: "[" * n + "]" * n)
        | st.binary(max_size=200).map(lambda b: b.decode("latin-1"))
    )


@hypothesis.settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=st.data())
def test_any_body_gets_an_answer_below_500_and_writes_only_what_it_reports(
    jitsi, hearing, consumer, representative, data
):
    body = data.draw(event_bodies(hearing, [consumer, representative]))
    before = Attendance.objects.count()

    response = post(jitsi, body)

    assert response.status_code < 500
    written = Attendance.objects.count() - before
    if response.status_code == 200:
        assert written == response.json()["created"]
    else:
        assert 400 <= response.status_code < 500
        assert written == 0
