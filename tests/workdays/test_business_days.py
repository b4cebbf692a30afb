"""The office calendar that every deadline reads (parties/business_days.py), on the 2026 calendar.

Monday 9 November 2026 is a national holiday (the Pope's visit) and Tuesday 10 November a holiday of
the City of Buenos Aires only: a deadline of one business day from Friday 6 November falls on
Wednesday 11 in CABA, on Tuesday 10 with the national calendar alone."""

import time
from datetime import date, datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.db import transaction
from django.utils import translation

from parties import business_days
from parties.business_days import (
    TOKEN_KEY,
    Kind,
    add_business_days,
    deadline_after,
    is_business_day,
    non_working_days_between,
    refresh_calendar,
    why_not_business_day,
)
from parties.models import NonWorkingDay
from workdays.services import non_working_day_declare, non_working_day_remove

pytestmark = pytest.mark.django_db

BA = ZoneInfo("America/Argentina/Buenos_Aires")
FRIDAY = datetime(2026, 11, 6, 10, 0, tzinfo=BA)


def due_day(moment: datetime, days: int) -> date:
    return deadline_after(moment, days).astimezone(BA).date()


@pytest.fixture(autouse=True)
def _october_2026():
    with time_machine.travel(datetime(2026, 10, 1, 12, 0, tzinfo=BA), tick=False):
        yield


def test_a_caba_only_holiday_moves_a_deadline():
    assert not is_business_day(date(2026, 11, 10))
    assert due_day(FRIDAY, 1) == date(2026, 11, 11)


def test_with_no_jurisdiction_only_national_holidays_count(settings):
    settings.OFFICE_HOLIDAY_SUBDIVISION = ""

    assert is_business_day(date(2026, 11, 10))
    assert due_day(FRIDAY, 1) == date(2026, 11, 10)


def test_an_office_declared_day_moves_a_deadline_and_removing_it_moves_it_back(supervisor):
    assert due_day(FRIDAY, 1) == date(2026, 11, 11)

    declared = non_working_day_declare(by=supervisor, day=date(2026, 11, 11), reason="Asueto administrativo")

    assert due_day(FRIDAY, 1) == date(2026, 11, 12)
    non_working_day_remove(by=supervisor, pk=declared.pk)
    assert due_day(FRIDAY, 1) == date(2026, 11, 11)


def test_the_declaring_process_sees_a_new_day_at_once_even_with_a_long_check_interval(settings, supervisor):
    settings.BUSINESS_CALENDAR_CHECK_SECONDS = 3600
    assert is_business_day(date(2026, 11, 12))  # the calendar is loaded and will not be checked for an hour

    non_working_day_declare(by=supervisor, day=date(2026, 11, 12), reason="Corte del sistema")

    assert not is_business_day(date(2026, 11, 12))
    assert add_business_days(date(2026, 11, 11), 1) == date(2026, 11, 13)


def test_another_process_learns_of_a_change_through_the_shared_token(settings):
    settings.BUSINESS_CALENDAR_CHECK_SECONDS = 3600
    assert is_business_day(date(2026, 11, 12))

    # Another process declared the day: the row is there and the shared token changed.
    NonWorkingDay.objects.create(date=date(2026, 11, 12), reason="Asueto")
    cache.set(TOKEN_KEY, "changed-elsewhere", timeout=None)

    assert is_business_day(date(2026, 11, 12))  # within the interval this process has not looked yet
    refresh_calendar()  # what a Celery task does before it runs, and what the interval does in time
    assert not is_business_day(date(2026, 11, 12))


def test_with_the_check_interval_at_zero_a_change_elsewhere_is_seen_on_the_next_question(settings):
    settings.BUSINESS_CALENDAR_CHECK_SECONDS = 0
    assert is_business_day(date(2026, 11, 12))

    NonWorkingDay.objects.create(date=date(2026, 11, 12), reason="Asueto")
    cache.set(TOKEN_KEY, "changed-elsewhere", timeout=None)

    assert not is_business_day(date(2026, 11, 12))


def test_a_calendar_question_costs_no_query_once_loaded(django_assert_num_queries):
    is_business_day(date(2026, 11, 12))

    with django_assert_num_queries(0):
        assert add_business_days(date(2025, 12, 20), 250) > date(2026, 12, 1)


def test_a_cache_that_is_down_keeps_the_local_calendar(settings):
    settings.BUSINESS_CALENDAR_CHECK_SECONDS = 0
    assert not is_business_day(date(2026, 11, 10))

    with mock.patch.object(business_days, "_cache") as broken:
        broken.return_value.get.side_effect = ConnectionError("redis is down")
        assert not is_business_day(date(2026, 11, 10))
        assert is_business_day(date(2026, 11, 11))


def test_the_non_working_days_between_two_dates_are_named_in_the_readers_language(supervisor):
    non_working_day_declare(
        by=supervisor, day=date(2026, 11, 12), reason="Asueto administrativo", resolution="Res. 12/2026"
    )

    with translation.override("es"):
        found = non_working_days_between(date(2026, 11, 1), date(2026, 11, 30))

    assert [(info.day, info.kind) for info in found] == [
        (date(2026, 11, 9), Kind.NATIONAL),
        (date(2026, 11, 10), Kind.JURISDICTION),
        (date(2026, 11, 12), Kind.OFFICE),
        (date(2026, 11, 23), Kind.NATIONAL),
    ]
    assert found[1].name == "Visita de Su Santidad el Papa León XIV"
    assert found[2].name == "Asueto administrativo"
    assert non_working_days_between(date(2026, 11, 10), date(2026, 11, 10))[0].name.startswith("Visit of")


def test_it_says_why_a_day_is_not_a_business_day(supervisor):
    non_working_day_declare(by=supervisor, day=date(2026, 11, 12), reason="Corte del sistema")

    assert why_not_business_day(date(2026, 11, 11)) is None
    assert why_not_business_day(date(2026, 11, 14)) == "a weekend"
    assert why_not_business_day(date(2026, 11, 10)) == "a holiday: Visit of His Holiness Pope Leo XIV"
    assert why_not_business_day(date(2026, 11, 12)) == "a non-working day declared by the office: Corte del sistema"


def test_a_declaration_rolled_back_leaves_no_day_behind_once_the_interval_passes(settings, supervisor):
    settings.BUSINESS_CALENDAR_CHECK_SECONDS = 5
    with pytest.raises(RuntimeError), transaction.atomic():
        non_working_day_declare(by=supervisor, day=date(2026, 11, 12), reason="Asueto")
        assert not is_business_day(date(2026, 11, 12))  # the declaring transaction sees it
        raise RuntimeError("the commit failed")

    later = time.monotonic() + 6
    with mock.patch.object(business_days.time, "monotonic", return_value=later):
        assert is_business_day(date(2026, 11, 12))
