"""Attendance: the page reports each person's joins and leaves (timed by the server, once each),
the conciliator corrects it by hand, and the summary the case file shows adds it all up right."""

import json
from datetime import timedelta

import hypothesis
import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from complaints.models import CaseEvent
from hearings.models import Attendance
from hearings.selectors import attendance_summary
from hearings.services.room import attendance_record
from parties.models import ConciliatorProfile, Representation, Role
from tests.conftest import enrol_totp, make_user
from tests.hearings.factories import scheduled_hearing


@pytest.fixture
def hearing(consumer, company, officer, conciliator):
    return scheduled_hearing(consumer, company, officer, conciliator)


@pytest.fixture
def in_the_hearing(hearing):
    with time_machine.travel(hearing.starts_at + timedelta(minutes=3), tick=False) as traveller:
        yield traveller


def report(client, hearing, event, event_id="page1-1", **extra):
    return client.post(
        reverse("hearing_attendance_report", args=[hearing.pk]),
        data=json.dumps({"event": event, "event_id": event_id, **extra}),
        content_type="application/json",
    )


def test_the_page_reports_that_the_consumer_joined_timed_by_the_server(client_for, hearing, consumer, in_the_hearing):
    response = report(client_for(consumer), hearing, "videoConferenceJoined")

    assert response.status_code == 201
    row = Attendance.objects.get(hearing=hearing)
    assert (row.user, row.party, row.kind, row.source) == (consumer, "consumer", "joined", "client")
    assert row.at == hearing.starts_at + timedelta(minutes=3)
    assert row.display_name == "María González"


def test_the_same_event_sent_twice_is_stored_once(client_for, hearing, representative, in_the_hearing):
    client = client_for(representative)

    first = report(client, hearing, "videoConferenceJoined", event_id="abc-1")
    again = report(client, hearing, "videoConferenceJoined", event_id="abc-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert Attendance.objects.filter(hearing=hearing).count() == 1
    assert Attendance.objects.get().party == "company"


def test_a_join_and_a_leave_make_the_persons_summary(client_for, hearing, consumer, in_the_hearing):
    client = client_for(consumer)
    report(client, hearing, "videoConferenceJoined", event_id="p-1")
    in_the_hearing.shift(timedelta(minutes=40))
    report(client, hearing, "videoConferenceLeft", event_id="p-2")

    [person] = attendance_summary(hearing)

    assert person["user_id"] == consumer.pk
    assert person["joined_at"] == hearing.starts_at + timedelta(minutes=3)
    assert person["left_at"] == hearing.starts_at + timedelta(minutes=43)


@pytest.mark.parametrize("who", ["stranger", "officer"])
def test_someone_who_is_not_a_party_cannot_report(request, client_for, hearing, in_the_hearing, who):
    response = report(client_for(request.getfixturevalue(who)), hearing, "videoConferenceJoined")

    assert response.status_code == 404
    assert not Attendance.objects.exists()


def test_a_representative_of_another_company_cannot_report(client_for, hearing, other_company, in_the_hearing):
    other_rep = make_user("laura@conectar.test", Role.REPRESENTATIVE)
    Representation.objects.create(user=other_rep, company=other_company)

    assert report(client_for(other_rep), hearing, "videoConferenceJoined").status_code == 404


def test_reports_are_refused_while_the_room_is_closed(client_for, hearing, consumer):
    with time_machine.travel(hearing.starts_at - timedelta(days=1), tick=False):
        response = report(client_for(consumer), hearing, "videoConferenceJoined")

    assert response.status_code == 409
    assert not Attendance.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps([1]),
        json.dumps({"event": "somethingElse", "event_id": "x-1"}),
        json.dumps({"event": "videoConferenceJoined", "event_id": "bad id!"}),
    ],
)
def test_a_malformed_report_is_refused(client_for, hearing, consumer, in_the_hearing, body):
    response = client_for(consumer).post(
        reverse("hearing_attendance_report", args=[hearing.pk]), data=body, content_type="application/json"
    )

    assert response.status_code == 400
    assert not Attendance.objects.exists()


def test_a_report_needs_the_csrf_token(hearing, consumer, in_the_hearing):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(consumer)

    assert report(client, hearing, "videoConferenceJoined").status_code == 403


def test_only_the_conciliators_page_reports_other_participants(client_for, hearing, consumer, in_the_hearing):
    response = report(client_for(consumer), hearing, "participantJoined", display_name="Jorge Fernández")

    assert response.status_code == 400
    assert not Attendance.objects.exists()


def test_the_conciliators_page_reports_a_party_it_sees_as_that_party(
    client_for, hearing, conciliator, representative, in_the_hearing
):
    client = client_for(conciliator)

    report(client, hearing, "participantJoined", event_id="c-1", display_name="Jorge Fernández")
    report(client, hearing, "participantJoined", event_id="c-2", display_name="+54 11 5555 0000")

    seen = Attendance.objects.get(dedupe_key__endswith="c-1")
    assert (seen.user, seen.party, seen.kind) == (representative, "company", "joined")
    caller = Attendance.objects.get(dedupe_key__endswith="c-2")
    assert (caller.user, caller.party, caller.display_name) == (None, "other", "+54 11 5555 0000")


# --- Correction by hand ---------------------------------------------------------------------------


def correction(person, joined="10:05", left="10:50", note="Joined by phone; the video failed."):
    return {"person": person, "joined_at": joined, "left_at": left, "note": note, "other_party": "other"}


def test_the_conciliator_corrects_a_partys_attendance_and_it_is_logged(client_for, hearing, consumer, conciliator):
    attendance_record(
        hearing=hearing,
        user=consumer,
        party="consumer",
        kind="joined",
        at=hearing.starts_at + timedelta(minutes=20),
        source="client",
        dedupe_key="client:x",
    )

    response = client_for(conciliator).post(
        reverse("hearing_attendance_edit", args=[hearing.pk]), correction(f"u{consumer.pk}")
    )

    assert response.status_code == 302
    manual = Attendance.objects.filter(hearing=hearing, source="manual").order_by("kind")
    assert [(row.kind, row.recorded_by, row.user) for row in manual] == [
        ("joined", conciliator, consumer),
        ("left", conciliator, consumer),
    ]
    [person] = attendance_summary(hearing)
    assert person["corrected"] is True
    assert person["joined_at"] == hearing.starts_at + timedelta(minutes=5)
    assert person["left_at"] == hearing.starts_at + timedelta(minutes=50)
    event = CaseEvent.objects.filter(complaint=hearing.complaint).last()
    assert event is not None
    assert event.action == "attendance_corrected"
    assert event.actor == conciliator
    assert event.reason == "María González: 10:05-10:50. Joined by phone; the video failed."


def test_the_conciliator_records_someone_else_by_name(client_for, hearing, conciliator):
    data = correction("other", left="") | {"other_name": "Dra. Inés Vidal", "other_party": "consumer"}

    client_for(conciliator).post(reverse("hearing_attendance_edit", args=[hearing.pk]), data)

    row = Attendance.objects.get(hearing=hearing)
    assert (row.user, row.display_name, row.party, row.kind) == (None, "Dra. Inés Vidal", "consumer", "joined")


def test_a_correction_needs_a_reason_and_a_left_time_after_the_join(client_for, hearing, consumer, conciliator):
    response = client_for(conciliator).post(
        reverse("hearing_attendance_edit", args=[hearing.pk]),
        correction(f"u{consumer.pk}", joined="11:00", left="10:00", note=""),
    )

    assert response.status_code == 200
    assert "The time they left must be after the time they joined." in response.content.decode()
    assert "There is a problem" in response.content.decode()
    assert not Attendance.objects.exists()


def test_the_office_may_correct_attendance_too(client_for, hearing, consumer, officer):
    response = client_for(officer).post(
        reverse("hearing_attendance_edit", args=[hearing.pk]), correction(f"u{consumer.pk}")
    )

    assert response.status_code == 302
    assert Attendance.objects.filter(source="manual", recorded_by=officer).count() == 2


def test_a_party_cannot_correct_attendance(client_for, hearing, consumer):
    client = client_for(consumer)

    assert client.get(reverse("hearing_attendance_edit", args=[hearing.pk])).status_code == 403
    assert (
        client.post(reverse("hearing_attendance_edit", args=[hearing.pk]), correction(f"u{consumer.pk}")).status_code
        == 403
    )
    assert not Attendance.objects.exists()


def test_strangers_and_other_conciliators_get_a_404(client_for, hearing, stranger):
    other = make_user("pablo@oficina.test", Role.CONCILIATOR)
    ConciliatorProfile.objects.create(user=other)
    enrol_totp(other)

    for person in (stranger, other):
        assert client_for(person).get(reverse("hearing_attendance_edit", args=[hearing.pk])).status_code == 404


def test_the_attendance_page_reads_the_same_number_of_queries_for_many_records(
    client_for, hearing, consumer, conciliator
):
    def add(count: int, start: int) -> None:
        for n in range(start, start + count):
            attendance_record(
                hearing=hearing,
                user=consumer,
                party="consumer",
                kind="joined" if n % 2 == 0 else "left",
                at=hearing.starts_at + timedelta(minutes=n),
                source="server",
                dedupe_key=f"server:{n}",
            )

    client = client_for(conciliator)
    url = reverse("hearing_attendance_edit", args=[hearing.pk])
    add(2, 0)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add(40, 2)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)

    assert len(many) == len(few)
    assert "Showing 1–25 of 42" in page.content.decode()  # noqa: RUF001 (the pager's own dash)


# --- Malformed reports: always a 4xx, never a 500, and nothing written -------------------------------


def post_body(client, hearing, body: str):
    return client.post(
        reverse("hearing_attendance_report", args=[hearing.pk]), data=body, content_type="application/json"
    )


@pytest.mark.parametrize("depth", [700, 1500])
def test_a_two_kilobyte_nested_report_is_a_400(client_for, hearing, consumer, in_the_hearing, depth):
    response = post_body(client_for(consumer), hearing, "[" * depth + "]" * depth)

    assert response.status_code == 400
    assert not Attendance.objects.exists()


def test_a_report_larger_than_any_the_page_sends_is_a_413(client_for, hearing, consumer, in_the_hearing):
    response = report(client_for(consumer), hearing, "videoConferenceJoined", padding="x" * 5000)

    assert response.status_code == 413
    assert not Attendance.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"event": ["videoConferenceJoined"]},
        {"event_id": 12},
        {"event_id": "p-1\n"},
        {"display_name": {"name": "x"}},
        {"event": "participantJoined", "display_name": 7},
    ],
)
def test_a_report_with_a_field_of_the_wrong_type_is_a_400(client_for, hearing, conciliator, in_the_hearing, fields):
    body = json.dumps({"event": "videoConferenceJoined", "event_id": "p-1"} | fields)

    assert post_body(client_for(conciliator), hearing, body).status_code == 400
    assert not Attendance.objects.exists()


def test_a_name_postgresql_cannot_store_is_recorded_without_it(client_for, hearing, conciliator, in_the_hearing):
    response = report(client_for(conciliator), hearing, "participantJoined", display_name="Jor\x00ge \ud800")

    assert response.status_code == 201
    assert Attendance.objects.get().display_name == "Jorge ?"


REPORT_EVENTS = ["videoConferenceJoined", "videoConferenceLeft", "participantJoined", "participantLeft"]
JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["", "\x00", "\ud800", "p-1\n", "9" * 400]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=15,
)
REPORT_BODIES = (
    st.fixed_dictionaries(
        {
            "event": st.sampled_from(REPORT_EVENTS) | JSONISH,
            "event_id": st.from_regex(r"[a-z0-9-]{1,12}", fullmatch=True) | JSONISH,
        },
        optional={"display_name": st.sampled_from(["María González", "Jorge", ""]) | JSONISH},
    ).map(json.dumps)
    | JSONISH.map(json.dumps)
    | st.integers(min_value=1, max_value=3000).map(lambda n: "[" * n + "]" * n)
    | st.binary(max_size=200).map(lambda b: b.decode("latin-1"))
)


@hypothesis.settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(body=REPORT_BODIES)
def test_any_report_gets_an_answer_below_500_and_writes_a_row_only_when_it_says_so(
    client_for, hearing, conciliator, in_the_hearing, body
):
    before = Attendance.objects.count()

    response = post_body(client_for(conciliator), hearing, body)

    assert 200 <= response.status_code < 500
    assert Attendance.objects.count() - before == (1 if response.status_code == 201 else 0)
