"""What the row locks of the outcome services promise, tried with real threads on PostgreSQL (SQLite
serialises every write, so it would prove nothing): two people recording one hearing's outcome at
once leave one outcome; two beat workers on one expired absence refer the case once."""

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.db import connections
from django.utils import translation

from complaints.models import CaseEvent
from complaints.services import CaseError
from complaints.states import State
from hearings.models import Agreement, Hearing
from hearings.services.absences import act_on_expired_justifications
from hearings.services.outcome import outcome_record
from tests.hearings.test_outcome_support import agreement_at, hearing_under_way

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(work: list[Callable[[], object]]) -> list[object]:
    """Start every callable at the same instant, each in its own thread and connection."""
    barrier = threading.Barrier(len(work))
    results: list[object] = [None] * len(work)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            with translation.override("en"):
                results[index] = work[index]()
        except Exception as error:  # the test inspects it
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return results


def test_two_outcomes_recorded_at_once_leave_one(consumer, company, representative, officer, conciliator):
    hearing = hearing_under_way(consumer, company, officer, conciliator)

    results = run_together(
        [
            lambda: agreement_at(hearing, conciliator),
            lambda: outcome_record(hearing=hearing, by=officer, outcome="no_agreement"),
        ]
    )

    refused = [r for r in results if isinstance(r, CaseError)]
    assert len(refused) == 1, results
    hearing.refresh_from_db()
    hearing.complaint.refresh_from_db()
    moves = CaseEvent.objects.filter(
        complaint=hearing.complaint, action__in=["record_agreement", "record_no_agreement"]
    )
    assert moves.count() == 1
    assert (
        hearing.complaint.status == {"agreement": State.AGREEMENT, "no_agreement": State.NO_AGREEMENT}[hearing.outcome]
    )
    assert Agreement.objects.count() == (1 if hearing.outcome == "agreement" else 0)


def test_two_beat_workers_refer_an_expired_absence_once(consumer, company, representative, officer, conciliator):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    outcome_record(hearing=hearing, by=conciliator, outcome=Hearing.Outcome.COMPANY_ABSENT)
    hearing.complaint.refresh_from_db()
    assert hearing.complaint.justification_due_at is not None

    with time_machine.travel(hearing.complaint.justification_due_at + timedelta(minutes=1)):
        results = run_together([act_on_expired_justifications, act_on_expired_justifications])

    assert sorted(results) == [0, 1], results  # type: ignore[type-var]
    hearing.complaint.refresh_from_db()
    assert hearing.complaint.status == State.REFERRED
    assert CaseEvent.objects.filter(complaint=hearing.complaint, action="refer").count() == 1
