"""The case list counts at most 1,000 cases (`parties.paginator.CappedPaginator`): past that it says
"more than 1,000", pages stop at the cap and the last one asks to refine the search, with the same
queries as an exact count."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints.models import Complaint
from parties.paginator import LIST_CAP, CappedPaginator
from tests.complaints.factories import submitted_case
from tests.conftest import log_in

pytestmark = pytest.mark.django_db

LIST = reverse("complaint_list")


def copies(case: Complaint, how_many: int) -> None:
    """`how_many` more submitted cases like `case`, straight into the table (only the list reads them)."""
    rows = []
    for i in range(how_many):
        row = Complaint.objects.get(pk=case.pk)
        row.pk = None
        row.number = f"DC-2020-{i + 1:06d}"
        rows.append(row)
    Complaint.objects.bulk_create(rows)


@pytest.fixture
def many(consumer, company) -> Complaint:
    """One case more than the cap."""
    case = submitted_case(consumer, company)
    copies(case, LIST_CAP)
    return case


def test_the_paginator_counts_up_to_the_cap() -> None:
    over = CappedPaginator(list(range(5)), 2, cap=4)
    assert (over.count, over.num_pages, over.capped) == (4, 2, True)
    exact = CappedPaginator(list(range(4)), 2, cap=4)
    assert (exact.count, exact.num_pages, exact.capped) == (4, 2, False)


def test_a_queryset_is_counted_on_a_limited_subquery(many) -> None:
    paginator = CappedPaginator(Complaint.objects.order_by("-created_at", "-pk"), 25)
    with CaptureQueriesContext(connection) as queries:
        assert (paginator.count, paginator.capped, paginator.num_pages) == (LIST_CAP, True, LIST_CAP // 25)
    assert len(queries) == 1
    assert "LIMIT 1001" in queries[0]["sql"] and "ORDER BY" not in queries[0]["sql"]


def test_past_the_cap_the_list_says_more_than(client_for, officer, many) -> None:
    response = client_for(officer).get(LIST)
    page = response.context["page_obj"]
    assert page.paginator.capped and page.paginator.num_pages == 40
    content = response.content.decode()
    assert "More than 1,000 cases" in content
    assert "Showing 1\u201325 of more than 1,000" in content
    assert "Refine your search" not in content  # only where the pages stop
    assert len(page.object_list) == 25


def test_the_pages_stop_at_the_cap_and_ask_to_refine(client_for, officer, many) -> None:
    response = client_for(officer).get(LIST, {"page": 41})
    page = response.context["page_obj"]
    assert page.number == 40 and not page.has_next()
    content = response.content.decode()
    assert "Showing 976\u20131,000 of more than 1,000" in content
    assert "Only the first 1,000 are listed. Refine your search to see the rest." in content


def test_spanish_groups_the_thousands_its_way(officer, many) -> None:
    client = log_in(Client(HTTP_ACCEPT_LANGUAGE="es-AR"), officer)
    content = client.get(LIST).content.decode()
    assert "1.000" in content and "1,000" not in content


def test_under_the_cap_the_count_is_exact(client_for, officer, consumer, company) -> None:
    submitted_case(consumer, company)
    content = client_for(officer).get(LIST).content.decode()
    assert "1 case" in content and "more than" not in content.lower()


def test_the_cap_costs_no_query(client_for, officer, consumer, company) -> None:
    client = client_for(officer)
    case = submitted_case(consumer, company)
    copies(case, 30)  # two pages, exact count
    client.get(LIST)  # warm up (session, MFA check)
    with CaptureQueriesContext(connection) as few:
        assert not client.get(LIST).context["page_obj"].paginator.capped
    Complaint.objects.filter(number__startswith="DC-2020-").delete()
    copies(case, LIST_CAP)
    with CaptureQueriesContext(connection) as capped:
        assert client.get(LIST).context["page_obj"].paginator.capped
    assert len(capped) == len(few)
