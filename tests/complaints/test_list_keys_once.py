"""A list whose count walks its index in order reads the keys once (parties/paginator.py,
`count_from_keys`), and a page read by its keys does not check the list's filters a second time."""

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints.models import Complaint
from parties.paginator import CappedPaginator, keys_first
from tests.complaints.factories import submitted_case
from tests.complaints.test_pages_under_load import copies

pytestmark = pytest.mark.django_db

LIST = reverse("complaint_list")


@pytest.fixture
def sixty(consumer, company) -> list[Complaint]:
    case = submitted_case(consumer, company)
    return [case, *copies(case, 59, vulnerable=lambda i: i % 5 == 0)]


@pytest.mark.parametrize("cap", [1000, 40], ids=["under the cap", "over the cap"])
def test_keys_read_once_page_what_a_plain_pager_pages(sixty, cap) -> None:
    ordered = Complaint.objects.filter(vulnerable=False).order_by("-submitted_at", "pk")
    expected = list(ordered.values_list("pk", flat=True))[:cap]
    plain = Paginator(expected, 25, orphans=3)
    pager = CappedPaginator(ordered, 25, orphans=3, cap=cap, count_from_keys=True)

    assert pager.count == len(expected) and pager.capped == (cap == 40)
    assert pager.num_pages == plain.num_pages
    for number in plain.page_range:
        with CaptureQueriesContext(connection) as queries:
            listed = [case.pk for case in pager.page(number)]
        assert listed == list(plain.page(number))
        # The keys were read with the count; the page reads its own rows by them, unfiltered.
        assert len(queries) == 1 and '"vulnerable"' not in queries[0]["sql"].split("WHERE")[1], queries[0]["sql"]


def test_the_count_and_the_keys_are_one_query(sixty) -> None:
    pager = CappedPaginator(Complaint.objects.order_by("-submitted_at", "pk"), 25, count_from_keys=True)

    with CaptureQueriesContext(connection) as queries:
        assert (pager.count, pager.capped) == (60, False)
        list(pager.page(3))
    # SELECT id … ORDER BY … LIMIT 1001; then the third page's 10 rows by their keys
    assert len(queries) == 2 and "COUNT" not in queries[0]["sql"]


def test_an_empty_list_reads_its_keys_only(consumer) -> None:
    pager = CappedPaginator(Complaint.objects.order_by("-pk"), 25, count_from_keys=True)

    with CaptureQueriesContext(connection) as queries:
        assert list(pager.get_page(1)) == []
    assert len(queries) == 1


def test_a_distinct_list_is_counted_as_before(sixty) -> None:
    pager = CappedPaginator(Complaint.objects.order_by("-pk").distinct(), 25, count_from_keys=True)

    assert not pager.count_from_keys
    assert pager.count == 60 and len(pager.page(3)) == 10


def test_a_page_read_by_its_keys_checks_no_filter_again(sixty) -> None:
    """The keys are chosen under the filters, in the same statement: only they are filtered."""
    listed = Complaint.objects.filter(vulnerable=True).order_by("-submitted_at", "pk")

    page = keys_first(listed, 0, 25)

    outer = str(page.query).split("WHERE")[1].split("IN (SELECT")[0]
    assert "vulnerable" not in outer
    assert [case.pk for case in page] == list(listed.values_list("pk", flat=True))


def test_the_case_list_reads_its_keys_once_unless_searched(client_for, officer, sixty) -> None:
    client = client_for(officer)

    with CaptureQueriesContext(connection) as plain:
        assert len(client.get(LIST).context["page_obj"]) == 25
    with CaptureQueriesContext(connection) as searched:
        assert len(client.get(LIST, {"q": sixty[0].consumer_name}).context["page_obj"]) == 25

    def counts(queries) -> list[str]:
        return [q["sql"] for q in queries if q["sql"].startswith('SELECT COUNT(*) FROM (SELECT "complaints_complaint"')]

    assert not counts(plain)
    assert len(counts(searched)) == 1  # a search is counted on its own indexes
