"""A large selection is acknowledged in the background (complaints.tasks_assignment): chunk by chunk,
each its own transaction, so a failure loses only the chunk in hand, and a retry acknowledges what is
left without a second event for what was done."""

import pytest
from django.db import OperationalError, transaction

from complaints import tasks_assignment
from complaints.models import CaseCompany, CaseEvent, Complaint
from complaints.services import assignment
from complaints.tasks_assignment import acknowledge_parts
from tests.complaints.factories import served_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_cases(consumer, company, officer) -> list[Complaint]:
    return [served_case(consumer, company, officer) for _ in range(5)]


@pytest.fixture
def chunks(monkeypatch) -> list[list[int]]:
    """Chunks of two, and the list of the chunks the task handed to the service."""
    seen: list[list[int]] = []
    real = assignment.parts_acknowledge_bulk

    def spy(*, company, part_ids, by):
        seen.append(list(part_ids))
        return real(company=company, part_ids=part_ids, by=by)

    monkeypatch.setattr(tasks_assignment, "ACKNOWLEDGE_CHUNK", 2)
    monkeypatch.setattr(tasks_assignment, "parts_acknowledge_bulk", spy)
    return seen


def part_ids(cases: list[Complaint]) -> list[int]:
    return list(CaseCompany.objects.filter(complaint__in=cases).order_by("pk").values_list("pk", flat=True))


def events_per_case(cases: list[Complaint]) -> list[int]:
    return [CaseEvent.objects.filter(complaint=case, action="company_acknowledged").count() for case in cases]


def test_the_task_acknowledges_the_selection_in_chunks_with_one_event_per_case(
    five_cases, company, representative, chunks
):
    ids = part_ids(five_cases)
    assert acknowledge_parts(company.pk, ids, representative.pk) == 5
    assert chunks == [ids[0:2], ids[2:4], ids[4:5]]
    assert events_per_case(five_cases) == [1, 1, 1, 1, 1]
    assert set(CaseCompany.objects.values_list("acknowledged_by", flat=True)) == {representative.pk}


def test_a_retry_after_a_failed_chunk_finishes_the_rest_without_acknowledging_twice(
    five_cases, company, representative, chunks, monkeypatch
):
    ids = part_ids(five_cases)
    real = assignment._acknowledge
    calls = {"n": 0}

    def fails_on_the_fourth_part(case, part, *, by, multi):
        calls["n"] += 1
        if calls["n"] == 4:
            raise OperationalError("the database went away")
        return real(case, part, by=by, multi=multi)

    monkeypatch.setattr(assignment, "_acknowledge", fails_on_the_fourth_part)
    with pytest.raises(OperationalError):
        acknowledge_parts(company.pk, ids, representative.pk)
    # The first chunk committed; the second rolled back whole (its first part included).
    assert events_per_case(five_cases) == [1, 1, 0, 0, 0]
    assert CaseCompany.objects.filter(acknowledged_at__isnull=False).count() == 2

    # Celery retries the task with the same arguments.
    assert acknowledge_parts(company.pk, ids, representative.pk) == 3
    assert events_per_case(five_cases) == [1, 1, 1, 1, 1]
    assert acknowledge_parts(company.pk, ids, representative.pk) == 0  # and once more: nothing new
    assert events_per_case(five_cases) == [1, 1, 1, 1, 1]


def test_a_refused_chunk_is_skipped_and_the_others_are_done(
    five_cases, consumer, company, other_company, officer, representative, chunks, caplog
):
    other_company.electronic_domicile = "legales@conectar.test"
    other_company.save(update_fields=["electronic_domicile"])
    stranger = served_case(consumer, other_company, officer)
    ids = part_ids(five_cases)
    stranger_part = CaseCompany.objects.get(complaint=stranger).pk
    with caplog.at_level("WARNING", logger="complaints.tasks_assignment"):
        done = acknowledge_parts(company.pk, [*ids, stranger_part], representative.pk)
    # The stranger's part sorts last, in the third chunk with the fifth case: that chunk is refused whole.
    assert done == 4
    assert events_per_case(five_cases) == [1, 1, 1, 1, 0]
    assert events_per_case([stranger]) == [0]
    assert "refused" in caplog.text


def test_a_task_for_a_person_no_longer_there_does_nothing(five_cases, company, representative):
    representative.is_active = False
    representative.save(update_fields=["is_active"])
    assert acknowledge_parts(company.pk, part_ids(five_cases), representative.pk) == 0
    assert events_per_case(five_cases) == [0, 0, 0, 0, 0]


def test_the_page_queues_it_after_commit_and_the_worker_knows_it(
    five_cases, company, representative, django_capture_on_commit_callbacks, settings
):
    # needs the CELERY_IMPORTS row from H5's report (config/settings.py)
    assert "complaints.tasks_assignment" in settings.CELERY_IMPORTS
    with django_capture_on_commit_callbacks(execute=True):
        ids = part_ids(five_cases)
        transaction.on_commit(lambda: acknowledge_parts.delay(company.pk, ids, representative.pk))
    assert events_per_case(five_cases) == [1, 1, 1, 1, 1]
