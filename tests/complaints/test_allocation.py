"""The admission queue allocated to officers: the supervisor assigns and balances, an officer takes the
next one (never the same as another officer pressing at the same instant), and "my queue"."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints.forms.allocation import AssignedFilterForm
from complaints.models import CaseEvent, Complaint
from complaints.services import CaseError, allocation
from complaints.services.allocation import admission_assign, admission_balance, admission_take_next
from parties.models import Role
from tests.complaints.factories import submitted_case
from tests.complaints.test_concurrency import run_together
from tests.conftest import enrol_totp, make_user
from tests.helpers import explain


@pytest.fixture
def lucia(db):
    user = make_user("lucia@oficina.test", Role.OFFICER, first_name="Lucía", last_name="Benítez")
    enrol_totp(user)
    return user


def queue(consumer, company, count: int) -> list[Complaint]:
    return [submitted_case(consumer, company) for _ in range(count)]


@pytest.mark.django_db
def test_the_supervisor_assigns_complaints_to_an_officer_with_an_event_each(supervisor, officer, consumer, company):
    cases = queue(consumer, company, 2)

    done = admission_assign(complaints=cases, officer=officer, by=supervisor)

    assert len(done) == 2
    assert set(Complaint.objects.filter(assigned_officer=officer).values_list("pk", flat=True)) == {c.pk for c in cases}
    events = CaseEvent.objects.filter(action="admission_assigned")
    assert events.count() == 2 and all(e.actor == supervisor for e in events)
    assert all("Carlos Pereyra" in e.reason for e in events)
    # A second submission of the same form assigns nothing twice.
    assert admission_assign(complaints=cases, officer=officer, by=supervisor) == []
    assert CaseEvent.objects.filter(action="admission_assigned").count() == 2


@pytest.mark.django_db
def test_an_officer_cannot_assign_and_only_an_officer_receives(supervisor, officer, conciliator, consumer, company):
    (case,) = queue(consumer, company, 1)
    with pytest.raises(CaseError):
        admission_assign(complaints=[case], officer=officer, by=officer)
    with pytest.raises(CaseError, match="active admission officer"):
        admission_assign(complaints=[case], officer=conciliator, by=supervisor)
    assert Complaint.objects.get(pk=case.pk).assigned_officer is None


@pytest.mark.django_db
def test_take_next_gives_the_hipervulnerable_first_then_the_oldest(officer, consumer, company):
    older, newer = queue(consumer, company, 2)
    (vulnerable,) = queue(consumer, company, 1)
    Complaint.objects.filter(pk=vulnerable.pk).update(vulnerable=True)

    taken = [admission_take_next(by=officer) for _ in range(3)]

    assert [case.pk if case else None for case in taken] == [vulnerable.pk, older.pk, newer.pk]
    assert admission_take_next(by=officer) is None
    assert (
        CaseEvent.objects.filter(action="admission_assigned", reason__contains="Tomado por Carlos Pereyra").count() == 3
    )


@pytest.mark.django_db
def test_balancing_spreads_the_unassigned_queue_by_load(supervisor, officer, lucia, consumer, company):
    cases = queue(consumer, company, 5)
    admission_assign(complaints=cases[:2], officer=officer, by=supervisor)  # Carlos already has two

    balance = admission_balance(by=supervisor)

    assert balance.total == 3
    # Lucía first until she catches up, then in turns (ties: the lower id, Carlos).
    assert balance.given == {lucia.pk: 2, officer.pk: 1}
    assert Complaint.objects.filter(assigned_officer__isnull=True).count() == 0
    assert admission_balance(by=supervisor).total == 0


@pytest.mark.django_db
def test_my_queue_shows_only_mine_with_the_assignee_column(client_for, supervisor, officer, lucia, consumer, company):
    mine, hers, nobodys = queue(consumer, company, 3)
    admission_assign(complaints=[mine], officer=officer, by=supervisor)
    admission_assign(complaints=[hers], officer=lucia, by=supervisor)
    page = client_for(officer)

    mine_page = page.get(reverse("admission_queue"), {"assigned": "mine"})
    unassigned_page = page.get(reverse("admission_queue"), {"assigned": "unassigned"})
    all_page = page.get(reverse("admission_queue"))

    assert [row.case.pk for row in mine_page.context["page_obj"]] == [mine.pk]
    assert [row.case.pk for row in unassigned_page.context["page_obj"]] == [nobodys.pk]
    assert len(all_page.context["page_obj"].object_list) == 3
    html = all_page.content.decode()
    assert "Lucía Benítez" in html and "Carlos Pereyra" in html
    assert "Take the next complaint" in html
    assert "Spread the unassigned ones" not in html  # the officer does not assign


@pytest.mark.django_db
def test_the_queue_costs_the_same_whatever_its_rows(
    client_for, supervisor, officer, consumer, company, django_assert_num_queries
):
    page = client_for(supervisor)
    cases = queue(consumer, company, 2)
    admission_assign(complaints=cases, officer=officer, by=supervisor)
    page.get(reverse("admission_queue"))
    with CaptureQueriesContext(connection) as two_rows:
        page.get(reverse("admission_queue"))
    cases = queue(consumer, company, 6)
    admission_assign(complaints=cases, officer=officer, by=supervisor)
    # Session, user, MFA; the officers for the assign form; the page's count and rows (the assignee
    # joined); the company filter: the same with eight rows as with two.
    with django_assert_num_queries(len(two_rows.captured_queries)):
        page.get(reverse("admission_queue"))


@pytest.mark.django_db
def test_the_buttons_work_for_whom_they_are_for(client_for, supervisor, officer, lucia, consumer, company, stranger):
    cases = queue(consumer, company, 3)
    answer = client_for(officer).post(reverse("admission_take_next"))
    assert answer.status_code == 302 and answer["Location"] == reverse("complaint_detail", args=[cases[0].pk])
    assert client_for(officer).post(reverse("admission_balance")).status_code == 403
    assert client_for(stranger).post(reverse("admission_take_next")).status_code == 403
    client_for(supervisor).post(reverse("admission_assign"), {"case": [cases[1].pk], "officer": lucia.pk})
    client_for(supervisor).post(reverse("admission_balance"))
    assigned = dict(Complaint.objects.values_list("pk", "assigned_officer"))
    assert assigned == {cases[0].pk: officer.pk, cases[1].pk: lucia.pk, cases[2].pk: officer.pk}
    assert client_for(supervisor).post(reverse("admission_assign"), {"case": ["²"], "officer": "x"}).status_code == 302


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_officers_taking_next_at_once_never_get_the_same_complaint(officer, lucia, consumer, company):
    cases = queue(consumer, company, 6)
    people = [officer, lucia] * 3

    results = run_together(6, lambda i: admission_take_next(by=people[i]))

    assert not [r for r in results if isinstance(r, Exception)]
    taken = [r.pk for r in results if isinstance(r, Complaint)]
    assert len(taken) == len(set(taken)) == 6
    assert set(taken) == {c.pk for c in cases}
    assert CaseEvent.objects.filter(action="admission_assigned").count() == 6
    assert timezone.now()


# --- After review: who holds a complaint no more, balancing in short transactions, the indexes -------


@pytest.fixture
def gone(db):
    """An officer who left the office: her account was deactivated."""
    return make_user("marta@oficina.test", Role.OFFICER, first_name="Marta", last_name="Ruiz")


def leave_the_office(person, **change) -> None:
    type(person).objects.filter(pk=person.pk).update(**change)


@pytest.mark.django_db
@pytest.mark.parametrize("change", [{"is_active": False}, {"role": Role.CONCILIATOR}])
def test_a_complaint_held_by_someone_no_longer_in_the_office_counts_as_unassigned(
    change, client_for, supervisor, officer, gone, consumer, company
):
    held, newer = queue(consumer, company, 2)
    admission_assign(complaints=[held], officer=gone, by=supervisor)
    leave_the_office(gone, **change)

    unassigned = client_for(officer).get(reverse("admission_queue"), {"assigned": "unassigned"})
    assert [row.case.pk for row in unassigned.context["page_obj"]] == [held.pk, newer.pk]

    taken = admission_take_next(by=officer)
    assert taken is not None and taken.pk == held.pk  # the oldest, although Marta held it
    assert Complaint.objects.get(pk=held.pk).assigned_officer == officer
    assert CaseEvent.objects.filter(complaint=held, reason__contains="Tomado por Carlos Pereyra").exists()


@pytest.mark.django_db
def test_balancing_gives_away_the_complaints_of_a_deactivated_officer(supervisor, officer, gone, consumer, company):
    cases = queue(consumer, company, 3)
    admission_assign(complaints=cases, officer=gone, by=supervisor)
    leave_the_office(gone, is_active=False)

    balance = admission_balance(by=supervisor)

    assert balance.given == {officer.pk: 3}
    assert not Complaint.objects.filter(assigned_officer=gone).exists()


@pytest.mark.django_db
def test_balancing_commits_in_short_chunks_so_a_failure_keeps_what_was_done(
    monkeypatch, supervisor, officer, consumer, company
):
    queue(consumer, company, 5)
    real_give = allocation._give
    given: list[int] = []

    def give_four_then_fail(case, officer, **kwargs):
        if len(given) == 4:
            raise RuntimeError("the database went away")
        given.append(case.pk)
        return real_give(case, officer, **kwargs)

    monkeypatch.setattr(allocation, "_give", give_four_then_fail)
    with pytest.raises(RuntimeError):
        admission_balance(by=supervisor, chunk=2)

    # Two chunks of two were committed, each complaint with its event; the third chunk rolled back.
    assert Complaint.objects.filter(assigned_officer=officer).count() == 4
    assert CaseEvent.objects.filter(action="admission_assigned").count() == 4


@pytest.mark.django_db
def test_balancing_holds_at_most_a_chunk_per_transaction(monkeypatch, supervisor, officer, consumer, company):
    queue(consumer, company, 7)
    claimed: list[int] = []
    real_filter = allocation.unassigned

    def counting(orphans=None):
        claimed.append(1)
        return real_filter(orphans)

    monkeypatch.setattr(allocation, "unassigned", counting)
    balance = admission_balance(by=supervisor, chunk=3)

    assert balance.total == 7
    assert len(claimed) == 3  # 3 + 3 + 1, each claimed in its own transaction


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("index", "assigned"),
    [("complaint_unassigned_queue", "unassigned"), ("complaint_my_queue", "mine")],
)
@pytest.mark.postgres
def test_the_queue_and_take_next_are_read_in_the_order_of_their_index(index, assigned, officer, consumer, company):
    queue(consumer, company, 3)
    take_next = (
        Complaint.objects.filter(allocation.unassigned([]))
        .order_by(*allocation.QUEUE_ORDER)
        .select_for_update(skip_locked=True, of=("self",))
    )
    form = AssignedFilterForm({"assigned": assigned})
    listed = form.filter(Complaint.objects.filter(status="submitted"), user=officer).order_by(
        "-vulnerable", "submitted_at", "pk"
    )
    # Tiny tables: forbid a sequential scan and a sort, so only an index that serves both the
    # condition and the whole ORDER BY can answer.
    off = ("seqscan", "sort", "incremental_sort")
    plans = [explain(query[:1], off=off) for query in ([listed] if assigned == "mine" else [listed, take_next])]
    # The admission queue's own index holds the whole order too (status, -vulnerable, submitted_at,
    # id: migration 0018): on these few rows it costs the same as the partial one and may be chosen;
    # at a million cases the planner takes the partial index (bench/RESULTS.md, session 8).
    serving = {index, "complaint_queue_vulnerable"}
    for plan in plans:
        assert any(name in plan for name in serving), plan
        assert "Sort" not in plan, plan
