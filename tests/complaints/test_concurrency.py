"""What row locks promise, tried with real threads on PostgreSQL (SQLite serialises every write, so
it would prove nothing): case numbers stay unique and gapless under simultaneous filing, and two
officers deciding the same case at once leave one decision, not two."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections
from django.utils import timezone, translation

from complaints import services
from complaints.models import CaseEvent, CaseNumberSequence, Complaint
from complaints.services import CaseError
from complaints.states import State
from parties.models import Role
from tests.conftest import enrol_totp, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("Row locks need PostgreSQL; run with DATABASE_URL=postgres://…")


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


def test_it_gives_20_simultaneous_submissions_20_consecutive_numbers(consumer, company):
    drafts = [complete_draft(consumer, company) for _ in range(20)]

    results = run_together(20, lambda i: services.complaint_submit(complaint=drafts[i], by=consumer))

    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    numbers = sorted(str(n) for n in Complaint.objects.exclude(number=None).values_list("number", flat=True))
    year = timezone.localdate().year
    assert numbers == [f"DC-{year}-{n:06d}" for n in range(1, 21)]
    assert CaseNumberSequence.objects.get(year=year).last_number == 20
    assert Complaint.objects.filter(status=State.SUBMITTED).count() == 20
    assert CaseEvent.objects.filter(action="submit").count() == 20


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
