"""A conciliator's leave over hearings already booked: flagged at once, a free colleague proposed at
the same time, reassigned (one by one or a whole day), the parties told with the updated invitation,
and the room's moderator token following the hearing's new conciliator.

The clock stands at Thursday 19 March 2026, 11:00 in Buenos Aires (tests/hearings/factories.py): the
first day a hearing can be held is Tuesday 31 March."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints.models import CaseEvent
from hearings import policy
from hearings.errors import HearingError
from hearings.models import Hearing
from hearings.services import reassign as reassign_service
from hearings.services.reassign import (
    DayResult,
    flagged_hearings,
    hearing_reassign,
    leave_enter,
    propose,
    reassign_day,
)
from notifications.models import Notification
from parties.models import ConciliatorDayOff, User
from tests.complaints.factories import served_case
from tests.complaints.test_concurrency import run_together
from tests.hearings.factories import SERVED, at, booked_hearing, make_conciliator
from tests.hearings.test_jitsi_tokens import verify_like_jitsi
from tests.hearings.test_scheduling_services import invitation_in
from tests.notifications.helpers import rendered

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(SERVED, tick=True) as traveller:
        yield traveller


@pytest.fixture
def luis(db):
    return make_conciliator("luis@oficina.test", "Luis", "Benítez")


@pytest.fixture
def eva(db):
    return make_conciliator("eva@oficina.test", "Eva", "Sosa")


@pytest.fixture
def three(consumer, company, officer, representative, conciliator):
    """Ana Rodríguez holds three hearings on Tuesday 31 March, at 10, 11:30 and 13."""
    return [
        booked_hearing(served_case(consumer, company, officer), officer, conciliator=conciliator, starts_at=start)
        for start in (at(3, 31, 10), at(3, 31, 11, 30), at(3, 31, 13))
    ]


@pytest.fixture
def busy_luis(consumer, company, officer, luis):
    """Luis already holds one hearing that day, at 14: Eva is the least loaded."""
    return booked_hearing(served_case(consumer, company, officer), officer, conciliator=luis, starts_at=at(3, 31, 14))


def rows(event: str, recipient=None) -> list[Notification]:
    found = Notification.objects.filter(event=event, channel="email")
    if recipient is not None:
        found = found.filter(recipient=recipient)
    return rendered(found.order_by("pk"))


def test_a_conciliators_leave_over_three_booked_hearings_flags_reassigns_and_tells_everyone(
    client_for, supervisor, officer, conciliator, luis, eva, consumer, representative, three, busy_luis
):
    # The supervisor enters the leave: the save lands on the three hearings, each with a proposal.
    page = client_for(supervisor).post(
        reverse("conciliator_leave", args=[conciliator.conciliator_profile.pk]),
        {"first_day": "2026-03-30", "last_day": "2026-04-01", "reason": "Licencia anual"},
        follow=True,
    )
    assert ConciliatorDayOff.objects.filter(conciliator=conciliator.conciliator_profile).count() == 3
    assert page.redirect_chain[-1][0].startswith(reverse("hearings_needing_conciliator"))
    assert "3 hearings were already booked on those days" in page.content.decode()
    proposals = [(p.hearing.pk, p.conciliator) for p, _may in page.context["rows"]]
    # The least loaded that day first: Eva (none), then Luis (one, and the lower id on a tie), then Eva.
    assert proposals == [(three[0].pk, eva), (three[1].pk, luis), (three[2].pk, eva)]
    assert "Reassign to Eva Sosa" in page.content.decode()

    office = client_for(officer)
    for hearing_pk, proposed in proposals:
        office.post(
            reverse("hearing_reassign", args=[hearing_pk]),
            {"conciliator": proposed.pk, "reason": "La conciliadora está de licencia."},
        )

    for hearing, (_pk, proposed) in zip(three, proposals, strict=True):
        hearing.refresh_from_db()
        assert (hearing.conciliator, hearing.starts_at) == (proposed, hearing.starts_at)
        assert (hearing.ical_sequence, hearing.reschedule_count, hearing.status) == (1, 0, "scheduled")
        event = CaseEvent.objects.get(complaint_id=hearing.complaint_id, action="hearing_reassigned")
        assert f"Ana Rodríguez → {proposed.display_name}" in event.reason
        assert event.actor == officer
    assert not flagged_hearings().exists()

    # The consumer and the company's representative: the new conciliator's name, the .ics at SEQUENCE 1.
    for person in (consumer, representative):
        told = rows("hearing_reassigned", person)
        assert len(told) == 3
        assert "Va a estar a cargo de Eva Sosa" in told[0].body_text
        method, invitation = invitation_in(told[0])
        assert (method, int(invitation["SEQUENCE"])) == ("REQUEST", 1)
        assert str(invitation["UID"]) == f"{three[0].ical_uid}@concilia"
        assert invitation.decoded("DTSTART") == at(3, 31, 10)
    # The new conciliators get the invitation; Ana gets the CANCEL for each.
    assert len(rows("hearing_reassigned", eva)) == 2 and len(rows("hearing_reassigned", luis)) == 1
    released = rows("hearing_reassigned", conciliator)
    assert len(released) == 3
    assert all(invitation_in(row)[0] == "CANCEL" for row in released)
    assert "Ya no tenés a cargo esta audiencia" in released[0].body_text
    # Not a move of the date: nobody got "rescheduled".
    assert not rows("hearing_rescheduled")

    # The room follows: at the start, Eva gets the moderator's token; Ana gets no room at all.
    with time_machine.travel(three[0].starts_at, tick=False):
        room = client_for(eva).get(reverse("hearing_room", args=[three[0].pk]))
        claims = verify_like_jitsi(room.context["room_options"]["jwt"])
        assert claims["room"] == three[0].room.lower()
        assert claims["moderator"] is True
        assert claims["context"]["user"]["id"] == str(eva.pk)
        assert (claims["context"]["user"]["moderator"], claims["context"]["user"]["affiliation"]) == ("true", "owner")
        assert client_for(conciliator).get(reverse("hearing_room", args=[three[0].pk])).status_code == 404
        hearing = Hearing.objects.select_related("complaint").get(pk=three[0].pk)
        assert not policy.may_enter_room(conciliator, hearing)
        # The consumer's token is a member's, as before.
        assert policy.side_of(consumer, hearing) == "consumer"


def test_a_reassignment_is_not_a_reschedule_and_asks_no_notice(monkeypatch, officer, conciliator, luis, three):
    hearing = three[0]
    Hearing.objects.filter(pk=hearing.pk).update(reschedule_count=settings.HEARINGS["MAX_RESCHEDULES"])
    ConciliatorDayOff.objects.create(conciliator=conciliator.conciliator_profile, date=at(3, 31, 0).date())

    def no_notice(*args, **kwargs):
        raise AssertionError("a reassignment must not ask whether the notice period applies")

    monkeypatch.setattr("hearings.scheduling.notice_applies", no_notice)
    # Tomorrow the hearing is within the company's notice period: a reschedule to it would be refused.
    with time_machine.travel(at(3, 27, 9), tick=False):
        moved = hearing_reassign(hearing=hearing, by=officer, conciliator=luis, reason="Licencia.")

    assert moved.conciliator == luis
    assert moved.reschedule_count == settings.HEARINGS["MAX_RESCHEDULES"]
    assert moved.ical_sequence == 1
    assert not CaseEvent.objects.filter(complaint_id=hearing.complaint_id, action="reschedule_hearing").exists()


def test_a_second_submission_reassigns_nothing_twice(officer, conciliator, luis, three):
    hearing_reassign(hearing=three[0], by=officer, conciliator=luis, reason="Licencia.")

    with pytest.raises(HearingError, match="already holds this hearing"):
        hearing_reassign(hearing=three[0], by=officer, conciliator=luis, reason="Licencia.")
    assert CaseEvent.objects.filter(action="hearing_reassigned").count() == 1


def test_a_hearing_nobody_can_take_stays_flagged_and_says_reschedule_it(
    client_for, supervisor, officer, conciliator, luis, three
):
    # Luis does not work on Tuesdays: nobody is free at those times.
    luis.conciliator_profile.work_days = "1,3,4,5"
    luis.conciliator_profile.save()
    leave_enter(conciliator=conciliator, first_day=at(3, 31, 0).date(), reason="Licencia", by=supervisor)

    (proposal, *_rest) = propose(list(flagged_hearings()))
    assert proposal.conciliator is None and "reschedule it" in proposal.problem

    page = client_for(officer).get(reverse("hearings_needing_conciliator"))
    assert page.content.decode().count("data-no-free-conciliator") == 3
    assert "Reschedule it" in page.content.decode()

    result = reassign_day(conciliator=conciliator, day=at(3, 31, 0).date(), by=officer, reason="Licencia.")
    assert (result.reassigned, len(result.left)) == ([], 3)
    assert flagged_hearings().count() == 3


def test_the_office_reassigns_a_whole_day_in_one_post(client_for, supervisor, officer, conciliator, luis, eva, three):
    leave_enter(conciliator=conciliator, first_day=at(3, 31, 0).date(), reason="Licencia", by=supervisor)
    office = client_for(officer)
    data = {"conciliator": conciliator.pk, "day": "2026-03-31", "reason": "La conciliadora está de licencia."}

    answer = office.post(reverse("hearing_reassign_day"), data, follow=True)

    assert "3 hearings of" in answer.content.decode()
    held_by = {h.conciliator for h in Hearing.objects.filter(pk__in=[h.pk for h in three])}
    assert conciliator not in held_by and held_by <= {luis, eva}
    assert CaseEvent.objects.filter(action="hearing_reassigned").count() == 3
    # Posted twice: nothing left to move.
    again = office.post(reverse("hearing_reassign_day"), data, follow=True)
    assert "needs another conciliator" in again.content.decode()
    assert CaseEvent.objects.filter(action="hearing_reassigned").count() == 3


def test_a_new_conciliator_who_is_not_free_then_is_refused_with_the_reason(
    officer, conciliator, luis, three, busy_luis
):
    ConciliatorDayOff.objects.create(conciliator=luis.conciliator_profile, date=at(3, 31, 0).date())

    with pytest.raises(HearingError, match="is off on"):
        hearing_reassign(hearing=three[0], by=officer, conciliator=luis, reason="Licencia.")
    three[0].refresh_from_db()
    assert three[0].conciliator == conciliator


def test_only_the_office_reassigns_and_only_a_supervisor_enters_a_leave(
    client_for, conciliator, luis, consumer, stranger, supervisor, three
):
    url = reverse("hearing_reassign", args=[three[0].pk])
    data = {"conciliator": luis.pk, "reason": "Licencia."}
    for person in (conciliator, luis, consumer, stranger):
        assert client_for(person).post(url, data).status_code == 403
    with pytest.raises(HearingError):
        hearing_reassign(hearing=three[0], by=conciliator, conciliator=luis, reason="Licencia.")
    leave = reverse("conciliator_leave", args=[conciliator.conciliator_profile.pk])
    assert client_for(conciliator).get(leave).status_code == 403
    assert client_for(conciliator).post(leave, {"first_day": "2026-03-31"}).status_code == 403
    assert not ConciliatorDayOff.objects.exists()
    assert Hearing.objects.get(pk=three[0].pk).conciliator == conciliator


def test_a_hearing_already_begun_cannot_be_reassigned(officer, conciliator, luis, three):
    with time_machine.travel(three[0].starts_at, tick=False), pytest.raises(HearingError, match="already begun"):
        hearing_reassign(hearing=three[0], by=officer, conciliator=luis, reason="Licencia.")


def test_the_list_of_hearings_needing_a_conciliator_costs_the_same_whatever_its_rows(
    client_for, supervisor, officer, consumer, company, conciliator, luis, eva, django_assert_max_num_queries
):
    for start in (at(3, 31, 10), at(4, 1, 10), at(4, 6, 10), at(4, 7, 10), at(4, 8, 10), at(4, 9, 10)):
        booked_hearing(served_case(consumer, company, officer), officer, conciliator=conciliator, starts_at=start)
    leave_enter(
        conciliator=conciliator, first_day=at(3, 30, 0).date(), last_day=at(4, 10, 0).date(), reason="", by=supervisor
    )
    office = client_for(officer)
    office.get(reverse("hearings_needing_conciliator"))  # warm the session and caches

    # Session, user and MFA; the page's count and rows; the candidates and their loads; then one
    # free-slot check per row of a page of at most ten.
    with django_assert_max_num_queries(80):
        page = office.get(reverse("hearings_needing_conciliator"))
    assert len(page.context["rows"]) == 6
    assert all(proposal.conciliator in (luis, eva) for proposal, _may in page.context["rows"])


def test_a_leave_range_must_be_in_order(client_for, supervisor, conciliator):
    page = client_for(supervisor).post(
        reverse("conciliator_leave", args=[conciliator.conciliator_profile.pk]),
        {"first_day": "2026-04-10", "last_day": "2026-04-01"},
    )
    assert page.status_code == 200
    assert "must end on or after" in page.content.decode()
    assert not ConciliatorDayOff.objects.exists()


# --- After review: the room, stale posts, the page's cost, the whole day, the company's domicile -----


def test_it_gives_the_hearing_a_new_room_so_the_old_conciliators_token_opens_nothing(
    client_for, officer, conciliator, luis, three
):
    hearing = three[0]
    old_room = hearing.room
    # 20 minutes before the start the room is open: Ana (the conciliator) loads the page, gets a token.
    with time_machine.travel(hearing.starts_at - timedelta(minutes=20), tick=False):
        token = client_for(conciliator).get(reverse("hearing_room", args=[hearing.pk])).context["room_options"]["jwt"]
    # 10 minutes before, the office gives the hearing to Luis.
    with time_machine.travel(hearing.starts_at - timedelta(minutes=10), tick=False):
        moved = hearing_reassign(hearing=hearing, by=officer, conciliator=luis, reason="Conflicto de interés.")

    assert moved.room != old_room and moved.room == moved.room.lower()
    assert Hearing.objects.get(pk=hearing.pk).room == moved.room
    with time_machine.travel(hearing.starts_at + timedelta(minutes=5), tick=False):
        # Jitsi still accepts Ana's token, but for the old room, which nobody is sent to any more.
        assert verify_like_jitsi(token)["room"] == old_room.lower() != moved.room.lower()
        page = client_for(luis).get(reverse("hearing_room", args=[hearing.pk]))
        claims = verify_like_jitsi(page.context["room_options"]["jwt"])
        assert (claims["room"], claims["moderator"]) == (moved.room.lower(), True)
        assert page.context["room_options"]["roomName"].endswith(moved.room.lower())


def test_a_stale_post_moves_nothing_and_says_who_holds_the_hearing_now(
    client_for, officer, supervisor, conciliator, luis, eva, consumer, three
):
    hearing = three[0]
    # The office's page showed Ana at SEQUENCE 0; meanwhile a colleague gave the hearing to Luis.
    shown = {"current": conciliator.pk, "sequence": 0, "reason": "Licencia."}
    hearing_reassign(hearing=hearing, by=supervisor, conciliator=luis, reason="Licencia.")

    answer = client_for(officer).post(
        reverse("hearing_reassign", args=[hearing.pk]), {**shown, "conciliator": eva.pk}, follow=True
    )

    assert "Meanwhile this hearing was given to Luis Benítez" in answer.content.decode()
    hearing.refresh_from_db()
    assert (hearing.conciliator, hearing.ical_sequence) == (luis, 1)
    assert CaseEvent.objects.filter(action="hearing_reassigned").count() == 1
    assert len(rows("hearing_reassigned", consumer)) == 1
    # The same stale page, with the version only.
    with pytest.raises(HearingError, match="changed meanwhile"):
        hearing_reassign(hearing=hearing, by=officer, conciliator=eva, reason="Licencia.", expected_sequence=0)


def test_the_whole_day_skips_a_hearing_moved_meanwhile_and_never_reports_it_as_left(
    monkeypatch, officer, supervisor, conciliator, luis, eva, consumer, three
):
    leave_enter(conciliator=conciliator, first_day=at(3, 31, 0).date(), reason="Licencia", by=supervisor)
    real = reassign_service.flagged_hearings

    def read_then_someone_else_moves_the_first(**kwargs):
        listed = list(real(**kwargs))  # what the whole-day request read, outside any lock
        hearing_reassign(hearing=Hearing.objects.get(pk=three[0].pk), by=officer, conciliator=luis, reason="Otra.")
        return listed

    monkeypatch.setattr(reassign_service, "flagged_hearings", read_then_someone_else_moves_the_first)
    result = reassign_day(conciliator=conciliator, day=at(3, 31, 0).date(), by=supervisor, reason="Licencia.")

    assert result.left == []
    assert {h.pk for h in result.reassigned} == {three[1].pk, three[2].pk}
    first = Hearing.objects.get(pk=three[0].pk)
    assert (first.conciliator, first.ical_sequence) == (luis, 1)  # moved once, by the other request
    assert CaseEvent.objects.filter(complaint_id=first.complaint_id, action="hearing_reassigned").count() == 1
    assert len([r for r in rows("hearing_reassigned", consumer) if str(first.complaint.number) in r.subject]) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_whole_day_posts_at_once_move_each_hearing_once(supervisor, conciliator, consumer, three, luis, eva):
    leave_enter(conciliator=conciliator, first_day=at(3, 31, 0).date(), reason="Licencia", by=supervisor)
    day = at(3, 31, 0).date()

    results = run_together(
        2,
        lambda i: reassign_day(
            conciliator=User.objects.get(pk=conciliator.pk), day=day, by=User.objects.get(pk=supervisor.pk), reason="L."
        ),
    )

    days = [r for r in results if isinstance(r, DayResult)]
    assert len(days) == 2, results
    assert sum(len(r.reassigned) for r in days) == 3
    assert all(r.left == [] for r in days)
    assert CaseEvent.objects.filter(action="hearing_reassigned").count() == 3
    assert len(rows("hearing_reassigned", consumer)) == 3
    assert not flagged_hearings().exists()


def _needing_page_queries(client, url: str) -> int:
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_needing_page_costs_the_same_whatever_its_rows_and_the_number_of_conciliators(
    client_for, supervisor, officer, consumer, company, conciliator, luis
):
    starts = [at(3, 31, 9), at(3, 31, 10), at(4, 1, 9), at(4, 1, 10), at(4, 6, 9)]
    starts += [at(4, 6, 10), at(4, 7, 9), at(4, 7, 10), at(4, 8, 9), at(4, 8, 10)]
    hearings = [
        booked_hearing(served_case(consumer, company, officer), officer, conciliator=conciliator, starts_at=start)
        for start in starts
    ]
    office, url = client_for(officer), reverse("hearings_needing_conciliator")
    leave_enter(conciliator=conciliator, first_day=at(3, 31, 0).date(), reason="", by=supervisor)
    two_rows_two_people = _needing_page_queries(office, url)  # Ana's 31 March: two rows; Luis and Ana
    leave_enter(
        conciliator=conciliator, first_day=at(4, 1, 0).date(), last_day=at(4, 8, 0).date(), reason="", by=supervisor
    )
    ten_rows_two_people = _needing_page_queries(office, url)
    others = [make_conciliator(f"c{i}@oficina.test", "C", f"N{i}") for i in range(13)]
    for person in others[:6]:  # some busy, some off: the decision is made in memory either way
        ConciliatorDayOff.objects.create(conciliator=person.conciliator_profile, date=at(3, 31, 0).date())
    ten_rows_fifteen_people = _needing_page_queries(office, url)

    assert two_rows_two_people == ten_rows_two_people == ten_rows_fifteen_people
    page = office.get(url)
    assert len(page.context["rows"]) == 10 and len(hearings) == 10
    assert all(proposal.conciliator is not None for proposal, _may in page.context["rows"])


def test_the_page_never_proposes_one_person_twice_at_the_same_time(supervisor, officer, consumer, company, luis, eva):
    ana, bea = make_conciliator("ana2@oficina.test", "Ana", "Paz"), make_conciliator("bea@oficina.test", "Bea", "Paz")
    both = [
        booked_hearing(served_case(consumer, company, officer), officer, conciliator=person, starts_at=at(3, 31, 10))
        for person in (ana, bea)
    ]
    for start in (at(3, 31, 12), at(3, 31, 13)):  # Eva is the more loaded that day: Luis comes first
        booked_hearing(served_case(consumer, company, officer), officer, conciliator=eva, starts_at=start)
    ConciliatorDayOff.objects.create(conciliator=ana.conciliator_profile, date=at(3, 31, 0).date())
    ConciliatorDayOff.objects.create(conciliator=bea.conciliator_profile, date=at(3, 31, 0).date())

    proposals = propose([Hearing.objects.get(pk=h.pk) for h in both])

    assert {p.conciliator for p in proposals} == {luis, eva}


def test_the_whole_day_form_counts_every_hearing_of_the_day_not_only_the_page(
    monkeypatch, client_for, supervisor, officer, conciliator, luis, eva, three
):
    monkeypatch.setattr("hearings.views.reassign.PAGE_SIZE", 2)
    leave_enter(conciliator=conciliator, first_day=at(3, 31, 0).date(), reason="Licencia", by=supervisor)

    page = client_for(officer).get(reverse("hearings_needing_conciliator"))

    assert len(page.context["rows"]) == 2
    assert [(d.conciliator, d.day, d.count) for d in page.context["days"]] == [(conciliator, at(3, 31, 0).date(), 3)]
    html = page.content.decode()
    # The day in the reader's own format (English here: "Tuesday March 31"), not a Spanish pattern.
    assert "Ana Rodríguez, Tuesday March 31: 3 hearings — reason, for the parties" in html
    assert " de March" not in html


def test_a_company_without_a_representative_account_is_told_at_its_domicile(
    officer, conciliator, luis, consumer, company
):
    hearing = booked_hearing(
        served_case(consumer, company, officer), officer, conciliator=conciliator, starts_at=at(3, 31, 10)
    )

    moved = hearing_reassign(hearing=hearing, by=officer, conciliator=luis, reason="Licencia.")

    (told,) = rendered(Notification.objects.filter(event="hearing_reassigned", recipient=None))
    assert (told.address, told.channel, told.formal) == ("legales@electrosur.test", "email", False)
    assert "Va a estar a cargo de Luis Benítez" in told.body_text
    assert reverse("hearing_room", args=[moved.pk]) in told.body_text  # the button leads to the hearing
    assert invitation_in(told)[0] == "REQUEST"
    # Posted again (the same key): nobody is told twice.
    assert Notification.objects.filter(event="hearing_reassigned", recipient=None).count() == 1


def test_the_conciliator_who_no_longer_holds_it_is_sent_to_the_case_not_the_home_page(
    officer, conciliator, luis, three
):
    hearing_reassign(hearing=three[0], by=officer, conciliator=luis, reason="Licencia.")

    (released,) = rows("hearing_reassigned", conciliator)
    assert reverse("complaint_detail", args=[three[0].complaint_id]) in released.body_text
