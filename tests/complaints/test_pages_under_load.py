"""The case pages under load (issue 16, "pages under load"): a page of a list reads its keys first
(parties/paginator.py), the admission queue's deep pages keep its order, the case page reads the
case's companies once for all its panels, a representative's company filter does not read their
companies again, and a list's row asks no choice label or company name of the database."""

from datetime import timedelta

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from complaints.models import Complaint
from complaints.states import State
from complaints.templatetags.cases import case_companies, case_status_badge, choice_label
from parties.models import Representation
from parties.paginator import CappedPaginator, KeysFirstPaginator
from tests.complaints.factories import submitted_case
from tests.complaints.test_several_companies_lists import several

pytestmark = pytest.mark.django_db

QUEUE = reverse("admission_queue")
LIST = reverse("complaint_list")


def copies(case: Complaint, how_many: int, **fields: object) -> list[Complaint]:
    """`how_many` more cases like `case`, straight into the table, each a minute older than the last."""
    rows = []
    for i in range(how_many):
        row = Complaint.objects.get(pk=case.pk)
        row.pk = None
        row.number = f"DC-2020-{i + 1:06d}"
        assert case.submitted_at is not None
        row.submitted_at = case.submitted_at - timedelta(minutes=i + 1)
        for name, value in fields.items():
            setattr(row, name, value(i) if callable(value) else value)
        rows.append(row)
    return Complaint.objects.bulk_create(rows)


@pytest.fixture
def sixty(consumer, company) -> list[Complaint]:
    case = submitted_case(consumer, company)
    # Every fifth one hipervulnerable: the queue lists those first.
    return [case, *copies(case, 59, vulnerable=lambda i: i % 5 == 0)]


# --- Keys first --------------------------------------------------------------------------------


@pytest.mark.parametrize("pager", [KeysFirstPaginator, CappedPaginator], ids=["exact", "capped"])
def test_every_page_read_keys_first_lists_what_a_plain_pager_lists(sixty, pager) -> None:
    ordered = Complaint.objects.order_by("-vulnerable", "submitted_at", "pk")
    plain = Paginator(ordered, 25, orphans=3)
    keys_first = pager(ordered, 25, orphans=3, keys_first=True)

    assert keys_first.num_pages == plain.num_pages == 3
    for number in plain.page_range:
        with CaptureQueriesContext(connection) as queries:
            listed = [case.pk for case in keys_first.page(number)]
        assert listed == [case.pk for case in plain.page(number)]
        assert 'IN (SELECT U0."id"' in queries[-1]["sql"], queries[-1]["sql"]  # one query: keys, then rows


def test_a_distinct_list_is_paged_as_it_is(sixty) -> None:
    distinct = Complaint.objects.order_by("-submitted_at", "pk").distinct()

    page = KeysFirstPaginator(distinct, 25).page(2)

    assert [case.pk for case in page] == [case.pk for case in Paginator(distinct, 25).page(2)]


def test_the_admission_queue_pages_in_its_order(client_for, officer, sixty) -> None:
    expected = list(
        Complaint.objects.filter(status=State.SUBMITTED)
        .order_by("-vulnerable", "submitted_at", "pk")
        .values_list("number", flat=True)
    )
    client = client_for(officer)

    pages = [[row.case.number for row in client.get(QUEUE, {"page": n}).context["page_obj"]] for n in (1, 2, 3)]

    assert pages == [expected[:25], expected[25:50], expected[50:]]
    assert pages[0][0] in {case.number for case in sixty if case.vulnerable}


def test_the_case_list_pages_in_its_order(client_for, officer, sixty) -> None:
    expected = list(Complaint.objects.order_by("-created_at", "-pk").values_list("number", flat=True))
    client = client_for(officer)

    pages = [[case.number for case in client.get(LIST, {"page": n}).context["page_obj"]] for n in (1, 2, 3)]

    assert pages == [expected[:25], expected[25:50], expected[50:]]


# --- The case page -----------------------------------------------------------------------------


def test_the_case_page_reads_the_case_companies_once(client_for, officer, consumer, company, other_company):
    case = several(consumer, company, other_company, officer=officer)

    for user in (officer, consumer):
        with CaptureQueriesContext(connection) as queries:
            response = client_for(user).get(reverse("complaint_detail", args=[case.pk]))
        assert response.status_code == 200
        content = response.content.decode()
        assert company.legal_name in content and other_company.legal_name in content
        parts_read = [q["sql"] for q in queries if q["sql"].startswith('SELECT "complaints_casecompany"')]
        # Once for every panel of the case file (companies, offers, representatives, and the hearings
        # panel, which reuses them: six reads before).
        assert len(parts_read) == 1, parts_read


# --- A representative's company filter ---------------------------------------------------------


def test_a_representative_of_two_companies_filters_without_reading_them_again(
    client_for, consumer, company, other_company, officer, representative
):
    Representation.objects.create(user=representative, company=other_company)
    other_company.electronic_domicile = "legales@conectar.test"  # served when admitted, so theirs to see
    other_company.save(update_fields=["electronic_domicile"])
    ours = several(consumer, company, officer=officer)
    theirs = several(consumer, other_company, officer=officer)
    client = client_for(representative)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, {"company": other_company.pk})
    assert {case.pk for case in response.context["page_obj"]} == {theirs.pk}
    companies_read = [q["sql"] for q in queries if 'FROM "parties_company"' in q["sql"].split("WHERE")[0]]
    assert len(companies_read) == 1, companies_read  # the select's options, read once
    content = response.content.decode()
    assert f'<option value="{other_company.pk}" selected>{other_company.legal_name}</option>' in content
    assert f'<option value="{company.pk}">{company.legal_name}</option>' in content

    # A company they do not represent is refused and the filter ignored.
    response = client.get(LIST, {"company": 999999})
    assert response.context["filters"].errors["company"]
    assert {case.pk for case in response.context["page_obj"]} == {ours.pk, theirs.pk}


# --- A list's row --------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_rows_labels_are_those_django_gives(consumer, company, language) -> None:
    case = submitted_case(consumer, company, consumer_province="CT")

    with translation.override(language):
        assert choice_label(case, "channel") == case.get_channel_display()
        assert choice_label(case, "consumer_province") == case.get_consumer_province_display()
        assert case.get_status_display() in case_status_badge(case)


def test_a_rows_companies_lead_first(client_for, officer, consumer, company, other_company) -> None:
    alone = submitted_case(consumer, company)
    case = several(consumer, company, other_company)
    listed = {row.pk: row for row in client_for(officer).get(LIST).context["page_obj"]}

    with translation.override("en"), CaptureQueriesContext(connection) as queries:
        assert case_companies(listed[alone.pk]) == company.legal_name
        assert case_companies(listed[case.pk]) == (
            f'{company.legal_name}<span class="d-block small text-body-secondary case-others">'
            f"+1 more: {other_company.legal_name}</span>"
        )
    assert not queries  # read through the list's own prefetch
