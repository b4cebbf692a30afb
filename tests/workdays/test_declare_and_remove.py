"""Declaring and removing a día inhábil (workdays/services.py): who may, which days, the audit,
and the recompute of deadlines queued after commit."""

from datetime import date, datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine

from parties.models import NonWorkingDay
from workdays.errors import CalendarError
from workdays.models import CalendarChange
from workdays.services import non_working_day_declare, non_working_day_remove

pytestmark = pytest.mark.django_db

BA = ZoneInfo("America/Argentina/Buenos_Aires")


@pytest.fixture(autouse=True)
def _october_2026():
    with time_machine.travel(datetime(2026, 10, 1, 12, 0, tzinfo=BA), tick=False):
        yield


def test_a_supervisor_declares_a_day_and_the_change_is_on_record(supervisor):
    declared = non_working_day_declare(
        by=supervisor, day=date(2026, 11, 12), reason=" Asueto administrativo ", resolution="Res. 12/2026"
    )

    assert (declared.date, declared.reason, declared.resolution, declared.created_by) == (
        date(2026, 11, 12),
        "Asueto administrativo",
        "Res. 12/2026",
        supervisor,
    )
    change = CalendarChange.objects.get()
    assert (change.day, change.action, change.by, change.resolution) == (
        date(2026, 11, 12),
        "declared",
        supervisor,
        "Res. 12/2026",
    )


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (date(2026, 11, 14), "is a Saturday or a Sunday"),
        (date(2026, 11, 10), r"is already a holiday \(Visit of His Holiness Pope Leo XIV\)"),
        (date(2025, 9, 30), "Choose a day from"),
        (date(2028, 1, 3), "Choose a day from"),
    ],
)
def test_a_day_that_is_not_a_business_day_or_out_of_range_is_refused(supervisor, day, message):
    with pytest.raises(CalendarError, match=message):
        non_working_day_declare(by=supervisor, day=day, reason="Asueto")

    assert not NonWorkingDay.objects.exists()
    assert not CalendarChange.objects.exists()


def test_a_day_declared_already_is_refused(supervisor):
    non_working_day_declare(by=supervisor, day=date(2026, 11, 12), reason="Asueto")

    with pytest.raises(CalendarError, match=r"already declared a non-working day \(Asueto\)"):
        non_working_day_declare(by=supervisor, day=date(2026, 11, 12), reason="Otra vez")

    assert NonWorkingDay.objects.count() == 1


def test_a_retroactive_day_may_be_declared(supervisor):
    """The system was down on a past business day: the office declares it inhábil afterwards."""
    declared = non_working_day_declare(by=supervisor, day=date(2026, 9, 15), reason="Caída del sistema")

    assert declared.pk is not None


@pytest.mark.parametrize("role", ["officer", "conciliator", "consumer"])
def test_only_the_offices_supervisors_and_director_change_the_calendar(request, role):
    person = request.getfixturevalue(role)

    with pytest.raises(CalendarError, match="Only the office's supervisors and its director"):
        non_working_day_declare(by=person, day=date(2026, 11, 12), reason="Asueto")

    assert not NonWorkingDay.objects.exists()


def test_the_director_may_declare_a_day():
    from parties.models import Role
    from tests.conftest import make_user

    director = make_user("directora@oficina.test", Role.DIRECTOR)

    assert non_working_day_declare(by=director, day=date(2026, 11, 12), reason="Asueto").pk


def test_a_removal_is_on_record_and_a_second_one_is_refused(supervisor):
    declared = non_working_day_declare(by=supervisor, day=date(2026, 11, 12), reason="Asueto", resolution="R 1")

    non_working_day_remove(by=supervisor, pk=declared.pk)

    assert not NonWorkingDay.objects.exists()
    assert list(CalendarChange.objects.order_by("pk").values_list("action", "day", "reason", "by")) == [
        ("declared", date(2026, 11, 12), "Asueto", supervisor.pk),
        ("removed", date(2026, 11, 12), "Asueto", supervisor.pk),
    ]
    with pytest.raises(CalendarError, match="removed already"):
        non_working_day_remove(by=supervisor, pk=declared.pk)


def test_declaring_and_removing_queue_the_recompute_of_deadlines_after_commit_twice(
    supervisor, django_capture_on_commit_callbacks, settings
):
    from workdays import tasks

    settings.BUSINESS_CALENDAR_CHECK_SECONDS = 5
    with (
        mock.patch.object(tasks.recompute_calendar_change, "delay") as delay,
        mock.patch.object(tasks.recompute_calendar_change, "apply_async") as later,
    ):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            declared = non_working_day_declare(by=supervisor, day=date(2026, 11, 12), reason="Asueto")
        assert not delay.called and not later.called  # nothing is queued before the day is committed
        for callback in callbacks:
            callback()
        change = CalendarChange.objects.get()
        delay.assert_called_once_with(change.pk)
        # Again once every process checked the shared token: what they computed meanwhile is redone.
        later.assert_called_once_with(args=(change.pk,), countdown=7)

        with django_capture_on_commit_callbacks(execute=True):
            non_working_day_remove(by=supervisor, pk=declared.pk)
        removal = CalendarChange.objects.get(action="removed")
        assert [c.args for c in delay.call_args_list] == [(change.pk,), (removal.pk,)]


def test_a_broker_that_is_down_does_not_undo_the_change(supervisor, django_capture_on_commit_callbacks):
    from workdays import tasks

    with (
        mock.patch.object(tasks.recompute_calendar_change, "delay", side_effect=ConnectionError("broker down")),
        mock.patch.object(tasks.recompute_calendar_change, "apply_async", side_effect=ConnectionError("down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        non_working_day_declare(by=supervisor, day=date(2026, 11, 12), reason="Asueto")

    assert NonWorkingDay.objects.filter(date=date(2026, 11, 12)).exists()
    assert CalendarChange.objects.get().recomputed_at is None  # the beat job queues it again
