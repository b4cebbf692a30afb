"""`manage.py check_calendar` (run at every deploy): when the holidays in use change (an upgraded
`holidays` package, another OFFICE_HOLIDAY_SUBDIVISION), each date that came or went is on record and
its deadlines are recomputed."""

from datetime import date, datetime
from io import StringIO
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from parties import business_days as bd
from workdays import tasks
from workdays.models import CalendarChange, HolidaySet
from workdays.services import holidays_check

pytestmark = pytest.mark.django_db

BA = ZoneInfo("America/Argentina/Buenos_Aires")


@pytest.fixture(autouse=True)
def _october_2026():
    with time_machine.travel(datetime(2026, 10, 1, 12, 0, tzinfo=BA), tick=False) as traveller:
        yield traveller


def test_the_first_run_only_records_the_holidays_in_use():
    assert holidays_check() == []

    stored = HolidaySet.objects.get()
    assert (stored.first_year, stored.last_year, stored.subdivision) == (2025, 2028, "C")
    assert "2026-11-10" in stored.days  # the CABA-only day
    assert not CalendarChange.objects.exists()


def test_a_second_run_with_nothing_changed_changes_nothing():
    holidays_check()

    assert holidays_check() == []


def test_a_changed_subdivision_records_each_date_and_queues_its_recompute(settings, django_capture_on_commit_callbacks):
    holidays_check()
    settings.OFFICE_HOLIDAY_SUBDIVISION = ""  # national holidays only from now on

    with (
        mock.patch.object(tasks.recompute_calendar_change, "delay") as delay,
        mock.patch.object(tasks.recompute_calendar_change, "apply_async"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        changes = holidays_check()

    removed = {change.day for change in changes}
    assert date(2026, 11, 10) in removed
    assert all(change.action == "holiday_removed" and change.by is None for change in changes)
    assert sorted(c.args[0] for c in delay.call_args_list) == sorted(change.pk for change in changes)
    assert HolidaySet.objects.get().subdivision == ""
    assert bd.is_business_day(date(2026, 11, 10))


def test_a_holiday_the_package_adds_is_recorded_and_the_command_says_so():
    holidays_check()
    upgraded = {**bd.package_holidays(2025, 2028), date(2026, 11, 12): "Día nuevo"}

    out = StringIO()
    with mock.patch("workdays.services.package_holidays", return_value=upgraded):
        call_command("check_calendar", stdout=out)

    change = CalendarChange.objects.get()
    assert (change.day, change.action, change.reason) == (date(2026, 11, 12), "holiday_added", "Día nuevo")
    assert "2026-11-12 holiday_added: Día nuevo" in out.getvalue()


def test_a_year_entering_the_window_is_not_a_change(_october_2026):
    holidays_check()
    _october_2026.move_to(datetime(2027, 1, 2, 12, 0, tzinfo=BA))

    assert holidays_check() == []
    assert HolidaySet.objects.get().last_year == 2029


def test_the_page_names_the_holidays_calendar_as_who_made_the_change(client_for, supervisor, settings):
    holidays_check()
    settings.OFFICE_HOLIDAY_SUBDIVISION = ""
    holidays_check()

    page = client_for(supervisor).get("/oficina/calendario-habil/").content.decode()

    assert "The holidays calendar (update)" in page and "Holiday removed" in page
