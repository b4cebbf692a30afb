"""The at-risk list counts its open clocks in the list's own order (due date, id): at a million cases,
among years of closed clocks, PostgreSQL then walks the small partial index of open clocks
(`clock_open_due`) for the capped count instead of scanning the table (measured in bench/)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oversight.models import Clock
from parties.paginator import CappedPaginator

pytestmark = pytest.mark.django_db


def test_the_capped_count_keeps_the_lists_order():
    rows = Clock.objects.filter(closed_at__isnull=True).order_by("due_at", "id")

    with CaptureQueriesContext(connection) as queries:
        counted = CappedPaginator(rows, 25, count_in_order=True).count

    [count] = [q["sql"] for q in queries.captured_queries]
    assert counted == 0
    assert "COUNT(*)" in count and 'ORDER BY "oversight_clock"."due_at" ASC' in count and "LIMIT 1001" in count


def test_other_lists_still_count_without_sorting():
    rows = Clock.objects.filter(closed_at__isnull=True).order_by("due_at", "id")

    with CaptureQueriesContext(connection) as queries:
        assert CappedPaginator(rows, 25).count == 0

    assert "ORDER BY" not in queries.captured_queries[0]["sql"]
