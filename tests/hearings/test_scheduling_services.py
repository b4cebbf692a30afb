"""Scheduling, moving, cancelling and adjourning a hearing, through the services.

The clock stands at Thursday 19 March 2026, 11:00 in Buenos Aires, when the company is served: the
first day the hearing can be held is Tuesday 31 March (five business days of notice, skipping the
weekend and the holidays of 23 and 24 March)."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar

from complaints.models import CaseEvent, Complaint
from complaints.services import CaseError
from complaints.states import State
from hearings.errors import HearingError
from hearings.models import Hearing
from hearings.services.scheduling import hearing_adjourn, hearing_cancel, hearing_reschedule, hearing_schedule
from notifications.models import Notification
from parties.models import Representation
from tests.complaints.factories import served_case
from tests.hearings.factories import SERVED, at, make_conciliator
from tests.notifications.helpers import rendered

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(SERVED, tick=True) as traveller:
        yield traveller


@pytest.fixture
def case(consumer, company, officer, representative) -> Complaint:
    return served_case(consumer, company, officer)


def status_of(case: Complaint) -> str:
    return Complaint.objects.get(pk=case.pk).status


def emails(event: str) -> list[Notification]:
    """The e-mails to the people of the hearing (the domicile's copy is tested on its own)."""
    rows = Notification.objects.filter(event=event, channel="email", recipient__isnull=False)
    return rendered(rows.select_related("recipient").order_by("pk"))


def served_at_the_domicile(event: str, company) -> Notification:
    return Notification.objects.get(event=event, recipient__isnull=True, address=company.electronic_domicile)


def invitation_in(row: Notification):
    (attachment,) = row.attachments
    assert attachment["filename"] == "audiencia.ics"
    calendar = Calendar.from_ical(attachment["content"])
    (event,) = calendar.walk("VEVENT")
    return str(calendar["METHOD"]), event


def actions(case: Complaint) -> list[str]:
    return list(
        CaseEvent.objects.filter(complaint_id=case.pk).order_by("created_at", "pk").values_list("action", flat=True)
    )


# --- Schedule ----------------------------------------------------------------------------------------


def test_scheduling_books_the_hearing_moves_the_case_and_invites_every_party(
    case, officer, conciliator, consumer, representative
):
    hearing = hearing_schedule(complaint=case, by=officer, starts_at=at(3, 31, 10), conciliator=conciliator)

    assert (hearing.starts_at, hearing.ends_at) == (at(3, 31, 10), at(3, 31, 11))
    assert (hearing.status, hearing.scheduled_by, hearing.ical_sequence) == ("scheduled", officer, 0)
    assert status_of(case) == State.HEARING_SCHEDULED
    event = CaseEvent.objects.get(complaint=case, action="schedule_hearing")
    assert (event.from_state, event.to_state, event.actor) == (State.COMPANY_NOTIFIED, State.HEARING_SCHEDULED, officer)
    assert "31/03/2026 10:00" in event.reason and "Ana Rodríguez" in event.reason
    rows = emails("hearing_scheduled")
    assert {row.recipient for row in rows} == {consumer, representative, conciliator}
    for row in rows:
        method, invitation = invitation_in(row)
        assert method == "REQUEST"
        assert str(invitation["UID"]) == f"{hearing.ical_uid}@concilia"
        assert int(invitation["SEQUENCE"]) == 0
        assert invitation.decoded("DTSTART") == at(3, 31, 10)
    # The inbox gets its copy too (SMS/WhatsApp only with the consumer's consent).
    assert Notification.objects.filter(event="hearing_scheduled", channel="inbox").count() == 3


def test_the_date_is_served_at_the_company_electronic_domicile_with_the_invitation(case, officer, conciliator, company):
    hearing = hearing_schedule(complaint=case, by=officer, starts_at=at(3, 31, 10), conciliator=conciliator)

    served = served_at_the_domicile("hearing_scheduled", company)
    assert invitation_in(served)[1]["UID"] == f"{hearing.ical_uid}@concilia"


def test_a_company_without_representatives_on_the_platform_still_learns_the_date(
    case, officer, conciliator, company, representative
):
    Representation.objects.filter(company=company).update(revoked_at=timezone.now())

    hearing_schedule(complaint=case, by=officer, starts_at=at(3, 31, 10), conciliator=conciliator)

    assert {row.recipient for row in emails("hearing_scheduled")} == {case.consumer, conciliator}
    assert served_at_the_domicile("hearing_scheduled", company).address == company.electronic_domicile


def test_the_notice_runs_from_the_day_the_date_is_set_not_from_when_the_company_was_served(
    case, officer, conciliator, clock
):
    clock.shift(timedelta(days=30))  # a month after the company was served
    soon = timezone.localtime() + timedelta(days=2)
    soon = soon.replace(hour=10, minute=0, second=0, microsecond=0)

    with pytest.raises(HearingError, match="business days' notice"):
        hearing_schedule(complaint=case, by=officer, starts_at=soon, conciliator=conciliator)


def test_a_second_scheduling_of_the_same_case_is_refused_and_books_nothing(case, officer, conciliator):
    hearing_schedule(complaint=case, by=officer, starts_at=at(3, 31, 10), conciliator=conciliator)

    with pytest.raises(CaseError, match="already scheduled"):
        hearing_schedule(complaint=case, by=officer, starts_at=at(3, 31, 12), conciliator=conciliator)

    assert Hearing.objects.filter(complaint=case).count() == 1
    assert actions(case).count("schedule_hearing") == 1


def test_a_start_before_the_minimum_notice_is_refused(case, officer, conciliator):
    with pytest.raises(HearingError, match="at least 5 business days' notice"):
        hearing_schedule(complaint=case, by=officer, starts_at=at(3, 30, 10), conciliator=conciliator)

    assert status_of(case) == State.COMPANY_NOTIFIED
    assert not Hearing.objects.exists()
    assert "schedule_hearing" not in actions(case)
    assert not emails("hearing_scheduled")


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (at(3, 31, 14, 30), "holds hearings between"),
        (at(4, 2, 10), "not a business day"),
        (at(4, 4, 10), "not a business day"),
    ],
)
def test_a_start_outside_the_conciliators_hours_or_on_a_holiday_is_refused(case, officer, conciliator, start, message):
    with pytest.raises(HearingError, match=message):
        hearing_schedule(complaint=case, by=officer, starts_at=start, conciliator=conciliator)

    assert status_of(case) == State.COMPANY_NOTIFIED


def test_a_conciliator_already_busy_then_is_refused_but_back_to_back_is_fine(
    case, officer, conciliator, consumer, company
):
    other = served_case(consumer, company, officer)
    hearing_schedule(complaint=other, by=officer, starts_at=at(3, 31, 10), conciliator=conciliator)

    with pytest.raises(HearingError, match="already has a hearing at that time"):
        hearing_schedule(complaint=case, by=officer, starts_at=at(3, 31, 10, 30), conciliator=conciliator)
    assert status_of(case) == State.COMPANY_NOTIFIED

    hearing = hearing_schedule(complaint=case, by=officer, starts_at=at(3, 31, 11), conciliator=conciliator)
    assert hearing.starts_at == at(3, 31, 11)


def test_only_a_conciliator_can_be_given_the_hearing(case, officer):
    with pytest.raises(HearingError, match="Choose a conciliator"):
        hearing_schedule(complaint=case, by=officer, starts_at=at(3, 31, 10), conciliator=officer)


def test_a_conciliator_cannot_schedule_a_case_they_hold_no_hearing_of(case, conciliator):
    with pytest.raises(CaseError, match="Only the office can schedule a hearing"):
        hearing_schedule(complaint=case, by=conciliator, starts_at=at(3, 31, 10), conciliator=conciliator)

    assert status_of(case) == State.COMPANY_NOTIFIED


def test_the_parties_cannot_schedule(case, consumer, representative, conciliator):
    for person in (consumer, representative):
        with pytest.raises(CaseError, match="Only the office can schedule a hearing"):
            hearing_schedule(complaint=case, by=person, starts_at=at(3, 31, 10), conciliator=conciliator)


# --- Reschedule ----------------------------------------------------------------------------------------


@pytest.fixture
def hearing(case, officer, conciliator) -> Hearing:
    hearing = hearing_schedule(complaint=case, by=officer, starts_at=at(3, 31, 10), conciliator=conciliator)
    Hearing.objects.filter(pk=hearing.pk).update(reminded_48h_at=SERVED)
    hearing.refresh_from_db()
    return hearing


def test_moving_a_hearing_sends_the_same_invitation_with_the_next_sequence(
    hearing, case, officer, consumer, representative, conciliator
):
    moved = hearing_reschedule(
        hearing=hearing, by=officer, starts_at=at(4, 1, 12), reason="La conciliadora está de licencia."
    )

    moved.refresh_from_db()
    assert (moved.starts_at, moved.ends_at) == (at(4, 1, 12), at(4, 1, 13))
    assert (moved.ical_sequence, moved.reschedule_count, moved.reminded_48h_at) == (1, 1, None)
    assert status_of(case) == State.HEARING_SCHEDULED
    event = CaseEvent.objects.get(complaint=case, action="reschedule_hearing")
    assert event.actor == officer
    assert event.reason == "31/03/2026 10:00 → 01/04/2026 12:00. La conciliadora está de licencia."
    rows = emails("hearing_rescheduled")
    assert {row.recipient for row in rows} == {consumer, representative, conciliator}
    method, invitation = invitation_in(rows[0])
    assert method == "REQUEST"
    assert str(invitation["UID"]) == f"{hearing.ical_uid}@concilia"
    assert int(invitation["SEQUENCE"]) == 1
    assert invitation.decoded("DTSTART") == at(4, 1, 12)
    assert "La conciliadora está de licencia." in rows[0].body_text


def test_every_move_bumps_the_sequence_again(hearing, officer):
    hearing_reschedule(hearing=hearing, by=officer, starts_at=at(4, 1, 12), reason="Uno.")
    hearing_reschedule(hearing=hearing, by=officer, starts_at=at(4, 6, 12), reason="Dos.")

    sequences = sorted(int(invitation_in(row)[1]["SEQUENCE"]) for row in emails("hearing_rescheduled"))
    assert set(sequences) == {1, 2}
    uids = {str(invitation_in(row)[1]["UID"]) for row in emails("hearing_rescheduled")}
    assert uids == {f"{hearing.ical_uid}@concilia"}


def test_a_hearing_can_be_moved_only_as_often_as_the_setting_allows(hearing, officer, settings):
    settings.HEARINGS = {**settings.HEARINGS, "MAX_RESCHEDULES": 1}
    hearing_reschedule(hearing=hearing, by=officer, starts_at=at(4, 1, 12), reason="Uno.")

    with pytest.raises(HearingError, match="already moved 1 times, the most allowed"):
        hearing_reschedule(hearing=hearing, by=officer, starts_at=at(4, 6, 12), reason="Dos.")

    hearing.refresh_from_db()
    assert (hearing.starts_at, hearing.reschedule_count) == (at(4, 1, 12), 1)


def test_moving_needs_a_reason(hearing, officer):
    with pytest.raises(HearingError, match="Say why"):
        hearing_reschedule(hearing=hearing, by=officer, starts_at=at(4, 1, 12), reason="  ")


def test_moving_onto_a_busy_time_is_refused(hearing, officer, conciliator, consumer, company):
    other = served_case(consumer, company, officer)
    hearing_schedule(complaint=other, by=officer, starts_at=at(4, 1, 12), conciliator=conciliator)

    with pytest.raises(HearingError, match="already has a hearing"):
        hearing_reschedule(hearing=hearing, by=officer, starts_at=at(4, 1, 12, 30), reason="Choque.")
    # Its own time does not count against it: 30 minutes later overlaps only itself.
    moved = hearing_reschedule(hearing=hearing, by=officer, starts_at=at(3, 31, 10, 30), reason="Media hora.")
    assert moved.starts_at == at(3, 31, 10, 30)


def test_moving_to_another_conciliator_withdraws_it_from_the_first_ones_calendar(hearing, officer, conciliator):
    bruno = make_conciliator("bruno@oficina.test", "Bruno", "Aguirre")

    moved = hearing_reschedule(
        hearing=hearing, by=officer, starts_at=at(3, 31, 10), reason="Reasignación.", conciliator=bruno
    )

    assert moved.conciliator == bruno
    (released,) = emails("hearing_cancelled")
    assert released.recipient == conciliator
    method, invitation = invitation_in(released)
    assert (method, str(invitation["STATUS"]), int(invitation["SEQUENCE"])) == ("CANCEL", "CANCELLED", 1)
    assert bruno in {row.recipient for row in emails("hearing_rescheduled")}
    assert "Ana Rodríguez → Bruno Aguirre" in CaseEvent.objects.get(action="reschedule_hearing").reason


def test_only_the_office_moves_a_hearing(hearing, conciliator, consumer):
    for person in (conciliator, consumer):
        with pytest.raises(HearingError, match="Only the office"):
            hearing_reschedule(hearing=hearing, by=person, starts_at=at(4, 1, 12), reason="Quiero.")


# --- Cancel ----------------------------------------------------------------------------------------


def test_cancelling_frees_the_time_and_sends_the_case_back_to_wait_for_a_date(
    hearing, case, officer, conciliator, consumer, company
):
    cancelled = hearing_cancel(hearing=hearing, by=officer, reason="La empresa pidió una nueva fecha.")

    cancelled.refresh_from_db()
    assert (cancelled.status, cancelled.cancel_reason, cancelled.ical_sequence) == (
        "cancelled",
        "La empresa pidió una nueva fecha.",
        1,
    )
    assert status_of(case) == State.COMPANY_NOTIFIED
    event = CaseEvent.objects.get(complaint=case, action="cancel_hearing")
    assert (event.from_state, event.to_state, event.reason) == (
        State.HEARING_SCHEDULED,
        State.COMPANY_NOTIFIED,
        "La empresa pidió una nueva fecha.",
    )
    rows = emails("hearing_cancelled")
    assert len(rows) == 3
    method, invitation = invitation_in(rows[0])
    assert (method, str(invitation["STATUS"]), int(invitation["SEQUENCE"])) == ("CANCEL", "CANCELLED", 1)
    assert str(invitation["UID"]) == f"{hearing.ical_uid}@concilia"
    # The slot is free again, for this case or any other.
    other = served_case(consumer, company, officer)
    assert hearing_schedule(complaint=other, by=officer, starts_at=at(3, 31, 10), conciliator=conciliator)


def test_a_cancelled_hearing_cannot_be_cancelled_or_moved_again(hearing, officer):
    hearing_cancel(hearing=hearing, by=officer, reason="Uno.")

    with pytest.raises(HearingError, match="can no longer be cancelled"):
        hearing_cancel(hearing=hearing, by=officer, reason="Dos.")
    with pytest.raises(HearingError, match="can no longer be moved"):
        hearing_reschedule(hearing=hearing, by=officer, starts_at=at(4, 1, 12), reason="Tres.")


def test_a_withdrawn_case_has_already_freed_its_hearing_so_the_office_cannot_cancel_it_twice(
    hearing, case, officer, consumer
):
    from complaints.services import complaint_withdraw

    complaint_withdraw(complaint=case, by=consumer, reason="Me devolvieron el dinero.")

    with pytest.raises(HearingError, match="can no longer be cancelled"):
        hearing_cancel(hearing=hearing, by=officer, reason="El reclamo fue retirado.")
    hearing.refresh_from_db()
    assert hearing.status == "cancelled"
    assert status_of(case) == State.WITHDRAWN


def test_only_the_office_cancels(hearing, conciliator, representative):
    for person in (conciliator, representative):
        with pytest.raises(HearingError, match="Only the office"):
            hearing_cancel(hearing=hearing, by=person, reason="No.")
    assert Hearing.objects.get(pk=hearing.pk).status == "scheduled"


# --- Adjourn (cuarto intermedio) ---------------------------------------------------------------------


def test_adjourning_without_a_date_leaves_the_case_waiting(hearing, case, conciliator, consumer, clock):
    clock.move_to(at(3, 31, 10, 40))

    assert hearing_adjourn(hearing=hearing, by=conciliator, reason="Las partes necesitan consultar.") is None

    hearing.refresh_from_db()
    assert (hearing.status, hearing.outcome, hearing.outcome_recorded_by) == ("adjourned", "adjourned", conciliator)
    assert hearing.outcome_notes == "Las partes necesitan consultar."
    assert status_of(case) == State.ADJOURNED
    assert CaseEvent.objects.get(complaint=case, action="adjourn").reason == "Las partes necesitan consultar."
    rows = emails("outcome_recorded")
    assert consumer in {row.recipient for row in rows}
    # Each person reads the outcome in their own language (María's is Spanish).
    (to_consumer,) = [row for row in rows if row.recipient == consumer]
    assert "Cuarto intermedio" in to_consumer.body_text


def test_adjourning_to_a_date_schedules_the_continuation_with_the_same_conciliator(
    hearing, case, conciliator, consumer, clock
):
    clock.move_to(at(3, 31, 10, 40))

    continuation = hearing_adjourn(
        hearing=hearing, by=conciliator, reason="Cuarto intermedio para revisar la factura.", starts_at=at(4, 7, 9)
    )

    assert continuation is not None
    assert (continuation.continues, continuation.conciliator) == (hearing, conciliator)
    assert (continuation.starts_at, continuation.ends_at) == (at(4, 7, 9), at(4, 7, 10))
    assert Hearing.objects.get(pk=hearing.pk).status == "adjourned"
    assert status_of(case) == State.HEARING_SCHEDULED
    assert actions(case)[-2:] == ["adjourn", "schedule_hearing"]
    rows = [row for row in emails("hearing_scheduled") if row.recipient == consumer]
    assert len(rows) == 2  # the first hearing, then its continuation
    _method, invitation = invitation_in(rows[-1])
    assert str(invitation["UID"]) == f"{continuation.ical_uid}@concilia"


def test_an_adjournment_whose_new_date_cannot_be_booked_changes_nothing(hearing, case, conciliator, clock):
    clock.move_to(at(3, 31, 10, 40))

    with pytest.raises(HearingError, match="not a business day"):
        hearing_adjourn(hearing=hearing, by=conciliator, reason="Cuarto intermedio.", starts_at=at(4, 3, 10))

    assert Hearing.objects.get(pk=hearing.pk).status == "scheduled"
    assert status_of(case) == State.HEARING_SCHEDULED
    assert "adjourn" not in actions(case)


def test_another_conciliator_cannot_adjourn_it(hearing, officer, case):
    bruno = make_conciliator("bruno@oficina.test", "Bruno", "Aguirre")

    with pytest.raises(CaseError, match="Only the conciliator holding this hearing can adjourn it"):
        hearing_adjourn(hearing=hearing, by=bruno, reason="No es mía.")
    assert status_of(case) == State.HEARING_SCHEDULED


def test_adjourning_needs_a_reason(hearing, conciliator):
    with pytest.raises(HearingError, match="Say why"):
        hearing_adjourn(hearing=hearing, by=conciliator, reason="")


# --- Lock order --------------------------------------------------------------------------------------


def locked_tables(queries: list[dict]) -> list[str]:
    """The tables whose rows were locked, in order (`SELECT … FOR [NO KEY] UPDATE OF "<table>"`)."""
    return [found.group(1) for q in queries if (found := re.search(r'FOR (?:NO KEY )?UPDATE OF "(\w+)"', q["sql"]))]


@pytest.mark.parametrize(
    "move",
    [
        lambda hearing, by: hearing_reschedule(hearing=hearing, by=by, starts_at=at(4, 14, 10), reason="Licencia."),
        lambda hearing, by: hearing_cancel(hearing=hearing, by=by, reason="Licencia."),
        lambda hearing, by: hearing_adjourn(hearing=hearing, by=by, reason="Cuarto intermedio."),
    ],
    ids=["reschedule", "cancel", "adjourn"],
)
@pytest.mark.postgres  # row locks
def test_every_move_locks_the_case_before_the_hearing(hearing, officer, clock, move):
    # One order for every service: two moves on one case never wait for each other crosswise.
    clock.move_to(at(3, 31, 9, 40))

    with CaptureQueriesContext(connection) as queries:
        move(hearing, officer)

    assert locked_tables(queries.captured_queries)[:2] == ["complaints_complaint", "hearings_hearing"]
