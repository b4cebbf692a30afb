"""What each process remembers of the calendar (parties/business_days.py) when a change is committed,
and above all when it is not: a declaration rolled back never closes a day, in this process or in
any other."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings

from parties import business_days as bd
from parties.models import NonWorkingDay
from workdays.services import non_working_day_declare

pytestmark = pytest.mark.django_db

BA = ZoneInfo("America/Argentina/Buenos_Aires")
DAY = date(2026, 11, 12)  # a Thursday, a business day
DOWN = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}


@pytest.fixture(autouse=True)
def _october_2026():
    with time_machine.travel(datetime(2026, 10, 1, 12, 0, tzinfo=BA), tick=False):
        yield


def declare_then_fail(supervisor) -> None:
    """Declare the day, read the calendar in the same transaction, then fail: all rolled back."""
    with pytest.raises(RuntimeError), transaction.atomic():
        non_working_day_declare(by=supervisor, day=DAY, reason="Asueto")
        assert not bd.is_business_day(DAY)  # the transaction sees its own day
        assert bd.add_business_days(date(2026, 11, 11), 1) == date(2026, 11, 13)
        raise RuntimeError("something later in the same transaction failed")


def test_it_forgets_a_rolled_back_declaration_with_the_cache_up(supervisor):
    assert bd.is_business_day(DAY)

    declare_then_fail(supervisor)
    bd.refresh_calendar()  # what a Celery task does before it runs

    assert not NonWorkingDay.objects.exists()
    assert bd.is_business_day(DAY)
    assert bd.add_business_days(date(2026, 11, 11), 1) == DAY


@override_settings(CACHES=DOWN)
def test_it_forgets_a_rolled_back_declaration_with_the_cache_down(supervisor):
    assert bd.is_business_day(DAY)

    declare_then_fail(supervisor)

    assert bd.is_business_day(DAY)


@override_settings(BUSINESS_CALENDAR_CHECK_SECONDS=5)
def test_it_forgets_a_rolled_back_declaration_within_the_check_interval(supervisor):
    assert bd.is_business_day(DAY)

    declare_then_fail(supervisor)

    assert bd.is_business_day(DAY)


def test_it_tells_other_processes_only_once_the_change_is_committed(supervisor, django_capture_on_commit_callbacks):
    cache.set(bd.TOKEN_KEY, "before")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        non_working_day_declare(by=supervisor, day=DAY, reason="Asueto")
        assert not bd.is_business_day(DAY)
    assert cache.get(bd.TOKEN_KEY) == "before"  # not committed: nobody else may load it

    for callback in callbacks:
        callback()

    assert cache.get(bd.TOKEN_KEY) != "before"
    assert not bd.is_business_day(DAY)


def test_it_never_keeps_in_memory_what_a_transaction_has_not_committed(supervisor):
    with pytest.raises(RuntimeError), transaction.atomic():
        non_working_day_declare(by=supervisor, day=DAY, reason="Asueto")
        bd.non_working_days_between(DAY, DAY)
        raise RuntimeError("rolled back")

    assert bd._local.declared in (None, {})


@override_settings(CACHES=DOWN)
def test_it_still_sees_a_committed_day_with_the_cache_down(supervisor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        non_working_day_declare(by=supervisor, day=DAY, reason="Asueto")

    assert not bd.is_business_day(DAY)
    assert bd.add_business_days(date(2026, 11, 11), 1) == date(2026, 11, 13)


class TestTheFixtureResetsTheProcess:
    """Run in this order: the first test commits (for pytest) a day and loads it in memory; the
    second must not see it, although the shared token did not change in between."""

    def test_one_declares_and_loads_the_day(self, supervisor, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            non_working_day_declare(by=supervisor, day=DAY, reason="Asueto")
        assert not bd.is_business_day(DAY)

    def test_two_does_not_see_it(self):
        assert not NonWorkingDay.objects.exists()
        assert bd.is_business_day(DAY)
