"""`business_days_between` counts by weeks and subtracts the closed weekdays (a case list asks it on
every row): it must agree with asking the calendar day by day, across holidays, weekends, the
office's declared days and the turn of a year."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from parties.business_days import business_days_between, is_business_day
from workdays.services import non_working_day_declare

pytestmark = pytest.mark.django_db

BA = ZoneInfo("America/Argentina/Buenos_Aires")


def day_by_day(start: date, end: date) -> int:
    return sum(is_business_day(start + timedelta(days=n)) for n in range(1, (end - start).days + 1))


@pytest.fixture(autouse=True)
def _october_2026():
    with time_machine.travel(datetime(2026, 10, 1, 12, 0, tzinfo=BA), tick=False):
        yield


def test_it_agrees_with_the_calendar_day_by_day_over_two_years_of_holidays(supervisor):
    non_working_day_declare(by=supervisor, day=date(2026, 11, 12), reason="Corte del sistema")
    non_working_day_declare(by=supervisor, day=date(2027, 1, 4), reason="Mudanza de la oficina")
    starts = [date(2025, 1, 1) + timedelta(days=n) for n in range(0, 730, 17)]
    spans = [0, 1, 2, 3, 4, 5, 6, 7, 8, 13, 30, 95, 400, 700]

    for start in starts:
        for span in spans:
            end = start + timedelta(days=span)
            assert business_days_between(start, end) == day_by_day(start, end), (start, end)


def test_a_caba_holiday_and_a_national_one_are_not_business_days():
    # Friday 6 to Thursday 12 November 2026: Monday 9 (national) and Tuesday 10 (CABA) are closed.
    assert business_days_between(date(2026, 11, 6), date(2026, 11, 12)) == 2


def test_an_end_on_or_before_the_start_counts_nothing():
    assert business_days_between(date(2026, 11, 12), date(2026, 11, 12)) == 0
    assert business_days_between(date(2026, 11, 12), date(2026, 11, 2)) == 0
