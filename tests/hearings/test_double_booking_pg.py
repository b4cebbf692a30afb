"""No conciliator is ever double-booked, and it is the database that guarantees it: the exclusion
constraint `hearing_no_double_booking` (migration 0002) over tstzrange(starts_at, ends_at, '[)').
Tried with real threads on PostgreSQL; SQLite has no such constraint and serialises writes anyway."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from complaints.models import CaseEvent, Complaint
from complaints.states import State
from hearings.errors import HearingError
from hearings.models import Hearing
from hearings.scheduling import propose_slots
from hearings.services import scheduling as services
from tests.complaints.factories import served_case
from tests.complaints.test_concurrency import run_together
from tests.hearings.factories import booked_hearing

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("round_", range(3))
def test_eight_offices_booking_one_conciliator_at_overlapping_times_book_one_hearing(
    consumer, company, officer, conciliator, round_
):
    cases = [served_case(consumer, company, officer) for _ in range(8)]
    first = propose_slots(cases[0], conciliator=conciliator)[0].starts_at

    results = run_together(
        8,
        lambda i: services.hearing_schedule(
            complaint=Complaint(pk=cases[i].pk),
            by=officer,
            starts_at=first + timedelta(minutes=5 * i),  # every pair overlaps
            conciliator=conciliator,
        ),
    )

    booked = [r for r in results if isinstance(r, Hearing)]
    refused = [r for r in results if isinstance(r, HearingError)]
    assert (len(booked), len(refused)) == (1, 7), results
    assert all("already has a hearing at that time" in str(error) for error in refused)
    assert Hearing.objects.filter(conciliator=conciliator).count() == 1
    statuses = sorted(Complaint.objects.filter(pk__in=[c.pk for c in cases]).values_list("status", flat=True))
    assert statuses == sorted([State.HEARING_SCHEDULED] + [State.COMPANY_NOTIFIED] * 7)
    assert CaseEvent.objects.filter(action="schedule_hearing").count() == 1


@pytest.mark.parametrize("round_", range(3))
def test_two_offices_filling_the_last_place_of_a_conciliators_day_at_once_book_one(
    consumer, company, officer, conciliator, round_
):
    conciliator.conciliator_profile.max_hearings_per_day = 1
    conciliator.conciliator_profile.save(update_fields=["max_hearings_per_day"])
    cases = [served_case(consumer, company, officer) for _ in range(2)]
    first = propose_slots(cases[0], conciliator=conciliator)[0].starts_at

    results = run_together(
        2,
        lambda i: services.hearing_schedule(
            complaint=Complaint(pk=cases[i].pk),
            by=officer,
            starts_at=first + timedelta(hours=2 * i),  # the same day, no overlap
            conciliator=conciliator,
        ),
    )

    assert sorted(type(r).__name__ for r in results) == ["Hearing", "HearingError"], results
    assert Hearing.objects.filter(conciliator=conciliator).count() == 1


def test_two_hearings_moved_onto_the_same_time_at_once_leave_one_there(consumer, company, officer, conciliator):
    first = booked_hearing(served_case(consumer, company, officer), officer, conciliator=conciliator)
    second = booked_hearing(served_case(consumer, company, officer), officer, conciliator=conciliator)
    target = max(first.ends_at, second.ends_at) + timedelta(hours=1)
    hearings = [first, second]

    results = run_together(
        2,
        lambda i: services.hearing_reschedule(
            hearing=Hearing(pk=hearings[i].pk, complaint_id=hearings[i].complaint_id),
            by=officer,
            starts_at=target,
            reason="Reorganización de la agenda.",
        ),
    )

    assert sorted(type(r).__name__ for r in results) == ["Hearing", "HearingError"], results
    assert Hearing.objects.filter(starts_at=target).count() == 1


def test_the_database_refuses_an_overlap_that_bypasses_the_check_in_code(consumer, company, officer, conciliator):
    hearing = booked_hearing(served_case(consumer, company, officer), officer, conciliator=conciliator)
    other = served_case(consumer, company, officer)

    with pytest.raises(IntegrityError, match="hearing_no_double_booking"), transaction.atomic():
        Hearing.objects.create(
            complaint=other,
            conciliator=conciliator,
            starts_at=hearing.starts_at + timedelta(minutes=30),
            ends_at=hearing.ends_at + timedelta(minutes=30),
        )

    # Back to back is not an overlap ('[)' ranges), and a cancelled hearing frees its time.
    Hearing.objects.create(
        complaint=other,
        conciliator=conciliator,
        starts_at=hearing.ends_at,
        ends_at=hearing.ends_at + timedelta(hours=1),
    )
    Hearing.objects.filter(pk=hearing.pk).update(status=Hearing.Status.CANCELLED)
    Hearing.objects.create(
        complaint=other,
        conciliator=conciliator,
        starts_at=hearing.starts_at,
        ends_at=hearing.starts_at + timedelta(minutes=30),
    )


def test_the_service_turns_the_constraint_into_a_message_and_moves_nothing(
    consumer, company, officer, conciliator, monkeypatch
):
    hearing = booked_hearing(served_case(consumer, company, officer), officer, conciliator=conciliator)
    other = served_case(consumer, company, officer)
    # As if another transaction had booked the time just after our check in code passed.
    monkeypatch.setattr(services, "slot_refusal", lambda *args, **kwargs: None)

    with pytest.raises(HearingError, match="already has a hearing at that time"):
        services.hearing_schedule(
            complaint=other, by=officer, starts_at=hearing.starts_at + timedelta(minutes=15), conciliator=conciliator
        )

    assert Complaint.objects.get(pk=other.pk).status == State.COMPANY_NOTIFIED
    assert not CaseEvent.objects.filter(complaint=other, action="schedule_hearing").exists()
    assert Hearing.objects.filter(conciliator=conciliator).count() == 1
