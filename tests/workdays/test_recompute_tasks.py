"""The deadline recompute after a calendar change (workdays/tasks.py): marked once done, queued twice
on commit, and queued again by the beat job when it was lost (the broker was down)."""

from datetime import date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine

from config.beat import beat_schedule
from workdays import tasks
from workdays.models import CalendarChange
from workdays.services import non_working_day_declare, non_working_day_remove

pytestmark = pytest.mark.django_db

BA = ZoneInfo("America/Argentina/Buenos_Aires")
NOW = datetime(2026, 10, 1, 12, 0, tzinfo=BA)
DAY = date(2026, 11, 12)


@pytest.fixture(autouse=True)
def _october_2026():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def broker_down():
    with (
        mock.patch.object(tasks.recompute_calendar_change, "delay", side_effect=ConnectionError("down")),
        mock.patch.object(tasks.recompute_calendar_change, "apply_async", side_effect=ConnectionError("down")),
    ):
        yield


def test_the_task_recomputes_the_day_and_marks_the_change(supervisor):
    change_day = non_working_day_declare(by=supervisor, day=DAY, reason="Asueto")
    change = CalendarChange.objects.get(day=change_day.date)
    with mock.patch("workdays.oversight_link.recompute_deadlines", return_value=[1, 2]) as recompute:
        assert tasks.recompute_calendar_change(change.pk) == 2

    recompute.assert_called_once_with(day=DAY)
    change.refresh_from_db()
    assert change.recomputed_at == NOW


def test_a_second_run_keeps_the_first_mark(supervisor, _october_2026):
    non_working_day_declare(by=supervisor, day=DAY, reason="Asueto")
    change = CalendarChange.objects.get()
    tasks.recompute_calendar_change(change.pk)
    _october_2026.shift(10)

    tasks.recompute_calendar_change(change.pk)

    change.refresh_from_db()
    assert change.recomputed_at == NOW


def test_the_run_of_a_later_change_marks_the_earlier_ones_of_that_day(supervisor, broker_down):
    declared = non_working_day_declare(by=supervisor, day=DAY, reason="Asueto")
    non_working_day_remove(by=supervisor, pk=declared.pk)
    removal = CalendarChange.objects.get(action="removed")

    tasks.recompute_calendar_change(removal.pk)

    assert not CalendarChange.objects.filter(recomputed_at__isnull=True).exists()


def test_a_recompute_lost_with_the_broker_down_is_queued_again_by_the_beat_job(
    supervisor, django_capture_on_commit_callbacks, broker_down, _october_2026
):
    with django_capture_on_commit_callbacks(execute=True):
        non_working_day_declare(by=supervisor, day=DAY, reason="Asueto")
    change = CalendarChange.objects.get()
    assert change.recomputed_at is None

    with mock.patch.object(tasks.recompute_calendar_change, "delay") as delay:
        assert tasks.requeue_lost_recomputes() == 0  # too early: its own run may still come
        _october_2026.shift(tasks.LOST_AFTER + timedelta(seconds=1))
        assert tasks.requeue_lost_recomputes() == 1
    delay.assert_called_once_with(change.pk)

    tasks.recompute_calendar_change(change.pk)  # what the queued task does
    assert tasks.requeue_lost_recomputes() == 0


def test_the_beat_job_queues_one_run_per_day(supervisor, broker_down, _october_2026):
    declared = non_working_day_declare(by=supervisor, day=DAY, reason="Asueto")
    non_working_day_remove(by=supervisor, pk=declared.pk)
    non_working_day_declare(by=supervisor, day=date(2026, 11, 13), reason="Asueto")
    _october_2026.shift(tasks.LOST_AFTER + timedelta(seconds=1))

    with mock.patch.object(tasks.recompute_calendar_change, "delay") as delay:
        assert tasks.requeue_lost_recomputes() == 2

    latest = CalendarChange.objects.get(day=DAY, action="removed")
    assert sorted(c.args[0] for c in delay.call_args_list) == sorted(
        [latest.pk, CalendarChange.objects.get(day=date(2026, 11, 13)).pk]
    )


def test_the_beat_job_is_scheduled():
    schedule = beat_schedule(notification_sweep_seconds=60)

    assert schedule["workdays-requeue-lost-recomputes"]["task"] == "workdays.tasks.requeue_lost_recomputes"


def test_a_deadline_written_with_the_old_calendar_is_moved_by_the_second_run(
    supervisor, consumer, company, officer, django_capture_on_commit_callbacks
):
    """Another process computes a deadline with its copy of the calendar from before the change (it
    learns of the change only at its next check); the second run, queued for after that check, moves it."""
    from complaints.models import Complaint
    from complaints.states import State
    from oversight.models import DeadlineChange
    from tests.complaints.factories import served_case

    with (
        mock.patch.object(tasks.recompute_calendar_change, "apply_async") as later,
        django_capture_on_commit_callbacks(execute=True),
    ):
        non_working_day_declare(by=supervisor, day=DAY, reason="Asueto")
    case = served_case(consumer, company, officer)
    # Submitted on Wed 11 Nov: five business days then were Thu 12 ... Wed 18 (with the old calendar).
    submitted = datetime(2026, 11, 11, 9, tzinfo=BA)
    stale = datetime(2026, 11, 18, 23, 59, 59, tzinfo=BA)
    Complaint.objects.filter(pk=case.pk).update(status=State.SUBMITTED, submitted_at=submitted, review_due_at=stale)

    assert later.call_args.kwargs["countdown"] > 0
    tasks.recompute_calendar_change(*later.call_args.kwargs["args"])

    case.refresh_from_db()
    assert case.review_due_at is not None and case.review_due_at > stale
    assert DeadlineChange.objects.filter(complaint=case, what="review_due_at", old_due=stale).exists()
