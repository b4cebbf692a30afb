"""A large selection is acknowledged in the background (complaints.tasks_assignment): chunk by chunk,
each its own transaction, so a failure loses only the chunk in hand, and a retry acknowledges what is
left without a second event for what was done. What could not be done is told to the person, in
their inbox."""

import pytest
from django.contrib.messages import get_messages
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone, translation

from complaints import tasks_assignment
from complaints.models import CaseCompany, CaseEvent, Complaint
from complaints.services import assignment
from complaints.tasks_assignment import acknowledge_parts
from notifications.models import Notification
from parties.models import Representation, User
from tests.complaints.factories import served_case
from tests.notifications.helpers import rendered

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


def test_the_desk_hands_a_large_selection_to_the_task_and_the_worker_knows_it(
    five_cases, company, representative, client_for, monkeypatch, settings
):
    assert "complaints.tasks_assignment" in settings.CELERY_IMPORTS  # the worker imports the task's module
    monkeypatch.setattr(assignment, "ACKNOWLEDGE_INLINE_MAX", 2)
    queued: list[tuple] = []
    real_delay = acknowledge_parts.delay  # eager in tests: the task runs at once

    def delay(*args):
        queued.append(args)
        return real_delay(*args)

    monkeypatch.setattr(acknowledge_parts, "delay", delay)
    with translation.override("en"):
        response = client_for(representative).post(
            reverse("companydesk_acknowledge", args=[company.pk]), {"scope": "all", "confirm": "1"}
        )

    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "We'll acknowledge 5 cases in the background. Reload the list in a few minutes to see them."
    ]
    assert [(pk, sorted(ids), by) for pk, ids, by in queued] == [(company.pk, part_ids(five_cases), representative.pk)]
    assert events_per_case(five_cases) == [1, 1, 1, 1, 1]
    # Everything done: nothing to tell.
    assert not Notification.objects.filter(event="cases_not_acknowledged").exists()


def test_the_person_is_told_in_their_inbox_how_many_could_not_be_acknowledged(
    five_cases, consumer, company, other_company, officer, representative, chunks
):
    User.objects.filter(pk=representative.pk).update(preferred_language="en")  # the notice's source strings
    representative.refresh_from_db()
    other_company.electronic_domicile = "legales@conectar.test"
    other_company.save(update_fields=["electronic_domicile"])
    stranger = CaseCompany.objects.get(complaint=served_case(consumer, other_company, officer)).pk
    ids = [*part_ids(five_cases), stranger]

    # The third chunk (the fifth case and the stranger's part) is refused whole: 2 of the 6 not done.
    assert acknowledge_parts(company.pk, ids, representative.pk) == 4
    rows = rendered(Notification.objects.filter(event="cases_not_acknowledged"))
    assert [(row.recipient, row.channel) for row in rows] == [(representative, "inbox")]
    assert "Of the 6 cases of Electrodomésticos del Sur S.A. you asked to acknowledge, 2 could not be" in (
        " ".join(rows[0].body_text.split())
    )
    assert f"/empresa/{company.pk}/casos/?acknowledged=no" in rows[0].body_text
    # A retry of the same request tells them once.
    acknowledge_parts(company.pk, ids, representative.pk)
    assert Notification.objects.filter(event="cases_not_acknowledged").count() == 1


def test_cases_someone_else_acknowledged_meanwhile_are_not_counted_as_not_done(
    five_cases, company, representative, unvalidated_representative, chunks
):
    ids = part_ids(five_cases)
    assignment.part_acknowledge(part=CaseCompany.objects.get(pk=ids[4]), by=unvalidated_representative)
    # Our person lost their representation before the worker got to it: every chunk is refused.
    Representation.objects.filter(user=representative).update(revoked_at=timezone.now())
    assert acknowledge_parts(company.pk, ids, representative.pk) == 0
    row = rendered(Notification.objects.get(event="cases_not_acknowledged"))
    assert row.recipient == representative and row.channel == "inbox"
    assert "4" in row.subject
