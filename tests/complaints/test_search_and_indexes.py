"""Case search: one reading of what was typed (`complaints.selectors.complaint_search`) for the
admission queue and the case list, and the indexes that keep both fast on a million cases."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints.models import Complaint
from complaints.selectors import complaint_search, complaints_visible_to
from parties.models import Company, ConsumerProfile, User
from tests.complaints.factories import draft_case, served_case, submitted_case
from tests.conftest import make_user
from tests.helpers import explain

pytestmark = pytest.mark.django_db

LIST = reverse("complaint_list")
QUEUE = reverse("admission_queue")


def a_consumer(email: str, first: str, last: str, dni: str) -> User:
    user = make_user(email, first_name=first, last_name=last)
    ConsumerProfile.objects.create(
        user=user, dni=dni, phone="+5491155554444", street_address="Calle 1", city="Ciudad", province="CABA"
    )
    return user


def found(client, url: str, text: str) -> set[int]:
    """The cases a page lists for what was typed (the queue's rows carry their case)."""
    rows = client.get(url, {"q": text}).context["page_obj"]
    return {getattr(row, "case", row).pk for row in rows}


@pytest.fixture
def gomez(other_company) -> Complaint:
    return submitted_case(a_consumer("pedro@example.com", "Pedro", "Gómez Muñoz", "25111222"), other_company)


@pytest.fixture
def gonzalez(consumer, company) -> Complaint:
    return submitted_case(consumer, company)


# --- One reading of what was typed, on both pages ------------------------------------------------


@pytest.mark.parametrize("url", [QUEUE, LIST], ids=["queue", "list"])
@pytest.mark.parametrize(
    "typed",
    [
        "number",
        "number_in_lower_case",
        "number_without_zeros",
        "year_and_sequence",
        "sequence",
        "dni",
        "dni_with_dots",
        "cuit",
        "cuit_with_dashes",
        "consumer_name",
        "company_name",
    ],
)
def test_both_pages_find_a_case_by_what_the_officer_types(
    client_for, officer, gomez, gonzalez, other_company, url, typed
):
    year, sequence = str(gomez.number).split("-")[1:]
    text = {
        "number": str(gomez.number),
        "number_in_lower_case": str(gomez.number).lower(),
        "number_without_zeros": f"DC-{year}-{int(sequence)}",
        "year_and_sequence": f"{year}-{int(sequence)}",
        "sequence": str(int(sequence)),
        "dni": "25111222",
        "dni_with_dots": "25.111.222",
        "cuit": other_company.cuit,
        "cuit_with_dashes": other_company.cuit_display,
        "consumer_name": "gómez",
        "company_name": "telecomunicaciones",
    }[typed]

    assert found(client_for(officer), url, text) == {gomez.pk}


@pytest.mark.parametrize("url", [QUEUE, LIST], ids=["queue", "list"])
def test_the_start_of_a_case_number_finds_every_case_it_begins(client_for, officer, gomez, gonzalez, url):
    year = str(gomez.number).split("-")[1]

    assert found(client_for(officer), url, f"DC-{year}-0000") == {gomez.pk, gonzalez.pk}
    assert found(client_for(officer), url, f"dc-{int(year) - 1}") == set()


def test_the_list_finds_a_draft_by_the_company_it_names_before_it_is_registered(consumer, client_for):
    draft = draft_case(consumer, None, company_cuit="30999888776", company_name="Frávega S.A.I.C.")  # type: ignore[arg-type]
    client = client_for(consumer)

    assert found(client, LIST, "30-99988877-6") == {draft.pk}
    assert found(client, LIST, "frávega") == {draft.pk}
    assert not Company.objects.filter(cuit="30999888776").exists()


def test_a_representative_cannot_find_a_case_by_the_consumers_dni(client_for, officer, representative, company):
    case = served_case(a_consumer("ana@example.com", "Ana", "Ruiz", "27333444"), company, officer)
    client = client_for(representative)

    assert found(client, LIST, "27333444") == set()
    assert found(client, LIST, "27.333.444") == set()
    assert found(client, LIST, str(case.number)) == {case.pk}
    assert found(client_for(officer), LIST, "27333444") == {case.pk}


def test_digits_that_are_no_identifier_find_nothing(officer, gomez):
    cases = complaints_visible_to(officer)

    assert not complaint_search(cases, "123456789", user=officer).exists()
    assert list(complaint_search(cases, "   ", user=officer)) == list(cases)


def test_percent_and_underscore_are_searched_as_typed(officer, gomez):
    cases = complaints_visible_to(officer)

    assert not complaint_search(cases, "%", user=officer).exists()
    assert not complaint_search(cases, "_", user=officer).exists()


# --- PostgreSQL: accents, and the indexes the search relies on ---------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("typed", ["Gomez", "GOMEZ", "gómez", "Munoz", "pedro gomez"])
def test_on_postgresql_a_name_is_found_without_its_accents(client_for, officer, gomez, gonzalez, typed):

    assert found(client_for(officer), LIST, typed) == {gomez.pk}
    assert found(client_for(officer), QUEUE, typed) == {gomez.pk}


@pytest.mark.postgres
def test_on_postgresql_a_company_is_found_without_its_accents(client_for, officer, gomez, gonzalez):

    assert found(client_for(officer), LIST, "electrodomesticos del sur") == {gonzalez.pk}


@pytest.mark.postgres
def test_on_postgresql_the_trigram_indexes_serve_the_name_search(officer, gomez):
    cases = complaint_search(complaints_visible_to(officer), "Gomez", user=officer)

    query_plan = explain(cases)

    # The query's expression must be the indexes' expression, or PostgreSQL reads every row.
    assert "complaint_consumer_name_trgm" in query_plan
    assert "complaint_company_name_trgm" in query_plan
    assert "BitmapOr" in query_plan
    # The companies whose legal or trade names match, on parties_company's own trigram indexes.
    assert "company_legal_name_trgm" in query_plan, query_plan
    assert "company_trade_names_trgm" in query_plan, query_plan


@pytest.mark.postgres
def test_on_postgresql_a_cuit_search_starts_from_indexes(officer, gomez, other_company):

    query_plan = explain(complaint_search(complaints_visible_to(officer), other_company.cuit, user=officer))

    # The company by its unique CUIT, ORed with drafts naming it (the partial `complaint_draft_cuit`).
    assert "Seq Scan on complaints_complaint" not in query_plan, query_plan


@pytest.mark.postgres
def test_on_postgresql_a_cuit_search_walked_in_the_list_s_order_reads_no_case_row(officer, gomez, other_company):
    cases = complaint_search(complaints_visible_to(officer), other_company.cuit, user=officer)

    # Walked in the query's order, as a page's keys are read for a company with many cases.
    keys = explain(cases.order_by("-created_at", "-pk").values("pk")[:26], off=("seqscan", "bitmapscan", "sort"))

    # Every column the search and the office's rule ask of a case is in `complaint_recent`: the
    # drafts that name the CUIT come as ids (`complaint_draft_cuit`), not as a column of the case.
    # So the page's keys, and the capped count (unordered, on the same index), read no case row.
    assert "Index Only Scan using complaint_recent" in keys, keys


@pytest.mark.postgres
@pytest.mark.parametrize("index", ["complaint_consumer_name_trgm", "complaint_company_name_trgm"])
def test_on_postgresql_the_names_are_sampled_enough_to_estimate_a_surname(db, index):
    with connection.cursor() as cursor:
        cursor.execute("SELECT attstattarget FROM pg_attribute WHERE attrelid = %s::regclass", [index])
        (target,) = cursor.fetchone()

    # A surname on 2 % of a million cases can be missing from a histogram of 101 names: estimated at
    # 95 cases instead of 19,000, the list read and sorted them all (migration 0020).
    assert target == 1000


@pytest.mark.postgres
def test_on_postgresql_the_office_list_reads_its_order_from_an_index(officer, gomez):

    recent = explain(complaints_visible_to(officer).order_by("-created_at", "-pk")[:25])

    assert "complaint_recent" in recent, recent


@pytest.mark.postgres
def test_on_postgresql_the_queue_index_carries_who_filed_the_case(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'complaint_queue'")
        (definition,) = cursor.fetchone()

    # The office's rule (`status <> 'draft' OR filed_by_id = me`) and the pager's COUNT need no row.
    assert definition.endswith("(status, submitted_at) INCLUDE (filed_by_id)")


# --- The list's queries do not grow with the rows ------------------------------------------------


@pytest.mark.parametrize("text", ["", "gonzález", "DC-", "30.123.456"])
def test_the_list_runs_the_same_queries_for_2_cases_as_for_25(
    client_for, officer, consumer, company, django_assert_max_num_queries, text
):
    client = client_for(officer)
    for _ in range(2):
        submitted_case(consumer, company)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST, {"q": text})
    for _ in range(23):
        submitted_case(consumer, company)

    # 1 session, 2 user, 3 the officer's MFA authenticator (middleware), 4 the paginator's count,
    # 5 the inbox's unread count (header), 6 the page of cases joined to their company, 7 every
    # company of those cases (one prefetch). The search adds no query of its own: the company and
    # case-number lookups are subqueries.
    with django_assert_max_num_queries(7):
        response = client.get(LIST, {"q": text})

    assert len(response.context["page_obj"]) == 25
    with CaptureQueriesContext(connection) as many:
        client.get(LIST, {"q": text})
    assert len(many) == len(few)
