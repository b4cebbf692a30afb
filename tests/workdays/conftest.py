import pytest

from parties.business_days import forget_calendar


@pytest.fixture(autouse=True)
def _calendar_as_the_database_says():
    """Every test starts and ends with no calendar in this process's memory and no uncommitted change
    pending: a day a test declared (its transaction rolled back at the end) never closes deadlines
    in the next test."""
    forget_calendar()
    yield
    forget_calendar()
