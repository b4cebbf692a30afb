"""What row locks promise, tried with real threads on PostgreSQL (SQLite serialises every write, so
it would prove nothing): case numbers stay unique and gapless under simultaneous filing (the number
is a filing's last write, and a filing that fails gives it back), and two officers deciding the same
case at once leave one decision, not two."""

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone, translation

from complaints import integrity as services_integrity
from complaints import services
from complaints.models import CaseEvent, CaseNumberSequence, Complaint
from complaints.services import CaseError
from complaints.states import State
from notifications.models import Notification
from parties.models import Role
from tests.conftest import enrol_totp, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(count: int, work: Callable[[int], object]) -> list[object]:
    """Start `count` threads at the same instant; each returns what `work(i)` returned or raised."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            with translation.override("en"):
                results[index] = work(index)
        except Exception as error:  # the test inspects it
            results[index] = error
        finally:
            connections.close_all()  # each thread has its own connection; give it back

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return results


def complete_draft(consumer, company) -> Complaint:
    case = services.complaint_start_draft(consumer=consumer)
    services.case_parts.name_company(case, company=company, position=1)
    case.product = "Celular"
    case.facts = "Vino con la pantalla rota."
    case.claim_type = "replacement"
    case.declaration_accepted_at = timezone.now()
    case.save()
    return case


def test_it_gives_50_simultaneous_submissions_50_consecutive_numbers(consumer, company):
    drafts = [complete_draft(consumer, company) for _ in range(50)]

    results = run_together(50, lambda i: services.complaint_submit(complaint=drafts[i], by=consumer))

    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    numbers = sorted(str(n) for n in Complaint.objects.exclude(number=None).values_list("number", flat=True))
    year = timezone.localdate().year
    assert numbers == [f"DC-{year}-{n:06d}" for n in range(1, 51)]
    assert (
        sorted(str(r.number) for r in results if isinstance(r, Complaint)) == numbers
    )  # each filing was handed the number it stored
    assert CaseNumberSequence.objects.get(year=year).last_number == 50
    assert Complaint.objects.filter(status=State.SUBMITTED).count() == 50
    assert CaseEvent.objects.filter(action="submit").count() == 50
    # Each receipt in the outbox names its own case, stamped in the statement that took the number.
    stamped = Notification.objects.filter(event="complaint_received").values_list("case_number", flat=True)
    assert sorted(set(stamped)) == numbers
    # Every record still matches its seal, which covers the number.
    assert all(services_integrity.verify_case(case) == [] for case in Complaint.objects.all())


def test_a_filing_that_fails_after_taking_its_number_gives_it_back_to_the_one_waiting(consumer, company):
    failing, waiting = complete_draft(consumer, company), complete_draft(consumer, company)
    number_taken, release = threading.Event(), threading.Event()
    taken: list[str] = []

    def fail_after_the_number() -> None:
        with transaction.atomic():
            taken.append(services.complaint_submit(complaint=failing, by=consumer).number or "")
            number_taken.set()
            release.wait(timeout=30)
            raise RuntimeError("the filing's transaction fails before it commits")

    def submit_the_other() -> Complaint:
        assert number_taken.wait(timeout=30)
        return services.complaint_submit(complaint=waiting, by=consumer)

    holder = threading.Thread(target=lambda: _quietly(fail_after_the_number))
    holder.start()
    other: list[object] = []
    follower = threading.Thread(target=lambda: other.append(_quietly(submit_the_other)))
    follower.start()
    _wait_until_a_query_waits_for_a_lock()  # the other filing queues behind the taken number
    release.set()
    holder.join(timeout=60)
    follower.join(timeout=60)

    year = timezone.localdate().year
    assert taken == [f"DC-{year}-000001"]
    assert isinstance(other[0], Complaint), other
    assert other[0].number == f"DC-{year}-000001"  # the number came back: no gap
    failing.refresh_from_db()
    assert (failing.status, failing.number) == (State.DRAFT, None)
    assert CaseEvent.objects.filter(complaint=failing).count() == 0
    assert CaseNumberSequence.objects.get(year=year).last_number == 1
    assert services.complaint_submit(complaint=failing, by=consumer).number == f"DC-{year}-000002"


def _quietly(work: Callable[[], object]) -> object:
    """Run `work` in a thread of its own, with its own connection; what it raised is returned."""
    try:
        with translation.override("en"):
            return work()
    except Exception as error:
        return error
    finally:
        connections.close_all()


def _wait_until_a_query_waits_for_a_lock(timeout: float = 30) -> None:
    """Poll PostgreSQL until another session's statement is waiting for a row lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError("No filing ever waited for the case number's row.")


@pytest.fixture
def second_officer(db):
    user = make_user("lucia@oficina.test", Role.OFFICER, first_name="Lucía", last_name="Benítez")
    enrol_totp(user)
    return user


@pytest.mark.parametrize("round_", range(3))
def test_two_officers_deciding_the_same_case_at_once_leave_one_decision(
    consumer, company, officer, second_officer, round_
):
    case = services.complaint_submit(complaint=complete_draft(consumer, company), by=consumer)
    moves = [
        lambda: services.complaint_admit(complaint=Complaint(pk=case.pk), by=officer, note="Admito."),
        lambda: services.complaint_reject(complaint=Complaint(pk=case.pk), by=second_officer, reason="duplicate"),
    ]

    results = run_together(2, lambda i: moves[i]())

    refused = [r for r in results if isinstance(r, CaseError)]
    won = [r for r in results if isinstance(r, Complaint)]
    assert (len(won), len(refused)) == (1, 1), results
    decisions = list(
        CaseEvent.objects.filter(complaint_id=case.pk, action__in=["admit", "reject"]).values_list("action", flat=True)
    )
    assert len(decisions) == 1
    case.refresh_from_db()
    assert case.status == (State.COMPANY_NOTIFIED if decisions == ["admit"] else State.REJECTED)
    assert "no longer possible" in str(refused[0])


def test_two_officers_admitting_the_same_case_at_once_admit_it_once(consumer, company, officer, second_officer):
    case = services.complaint_submit(complaint=complete_draft(consumer, company), by=consumer)
    admitters = [officer, second_officer]

    results = run_together(2, lambda i: services.complaint_admit(complaint=Complaint(pk=case.pk), by=admitters[i]))

    assert sorted(type(r).__name__ for r in results) == ["CaseError", "Complaint"]
    assert CaseEvent.objects.filter(complaint_id=case.pk, action="admit").count() == 1
    assert CaseEvent.objects.filter(complaint_id=case.pk, action="serve_company").count() == 1
