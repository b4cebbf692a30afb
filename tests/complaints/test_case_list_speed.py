"""The case list under load (issue 16): each row is worked out and rendered once in Python
(`case_rows`), the status picker's boxes by a tag, the rows can be read with only the columns the
list shows (`case_list_rows`), and a company's cases named after the lead go to the database as one
parameter. What the page shows does not change, and nothing here reads the database per row."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator

from complaints.models import Complaint
from complaints.selectors import CASE_LIST_COLUMNS, case_list_rows, cases_of_company
from complaints.views.case_file import COMPANIES_OF_CASE
from tests.complaints.factories import draft_case, submitted_case
from tests.complaints.test_pages_under_load import copies
from tests.complaints.test_several_companies_lists import several

pytestmark = pytest.mark.django_db

LIST = reverse("complaint_list")
ROWS = Template("{% load cases %}{% case_rows cases as rows %}{{ rows.cards }}|{{ rows.table }}")


def rendered(cases, **context) -> str:
    with translation.override("en"):
        return ROWS.render(Context({"cases": cases, **context}))


def listed(client, **params) -> list[Complaint]:
    return list(client.get(LIST, params).context["page_obj"])


# --- Rows: once, and without the database -----------------------------------------------------


def test_rendering_a_pages_rows_reads_nothing(consumer, company, other_company, officer) -> None:
    several(consumer, company, other_company, officer=officer)
    case = submitted_case(consumer, company)
    copies(case, 30)
    cases = list(Complaint.objects.select_related("company").prefetch_related(COMPANIES_OF_CASE)[:25])

    with CaptureQueriesContext(connection) as queries:
        html = rendered(cases)
    assert not queries  # companies from the prefetch, links reversed once, no label read per row
    assert html.count('<li class="case-card">') == html.count("<tr>") == 25


def test_the_list_asks_the_same_queries_for_5_cases_as_for_50(client_for, officer, consumer, company) -> None:
    case = submitted_case(consumer, company)
    copies(case, 4)
    client = client_for(officer)
    listed(client)  # the session, the user and the MFA check, read once before counting

    with CaptureQueriesContext(connection) as few:
        assert len(listed(client)) == 5
    copies(case, 45, number=lambda i: f"DC-2019-{i + 1:06d}")
    with CaptureQueriesContext(connection) as many:
        assert len(listed(client)) == 25
    assert len(many) == len(few)


def test_a_row_shows_what_the_templates_showed(consumer, company, other_company, officer) -> None:
    alone = submitted_case(consumer, company, product="Heladera " + "x" * 80)
    shared = several(consumer, company, other_company, officer=officer)
    cases = {case.pk: case for case in Complaint.objects.prefetch_related(COMPANIES_OF_CASE)}
    filed_on = timezone.localtime(alone.submitted_at).strftime("%m/%d/%Y")

    office = rendered([cases[alone.pk]])
    cards, table = office.split("|")
    assert f'href="/reclamos/{alone.pk}/">{alone.number}</a>' in cards
    assert f"{alone.consumer_name} → {company.legal_name}" in cards
    assert f"Filed {filed_on}" in cards
    # The table: the consumer, the lead's CUIT under a lone company, the product cut at 60 characters.
    assert f"<td>{alone.consumer_name}</td>" in table
    assert f'<div class="small text-body-secondary">{company.cuit_display}</div>' in table
    assert f"<td>{Truncator(alone.product).chars(60)}</td>" in table and "…" in table
    assert f'<td class="text-nowrap">{filed_on}</td>' in table

    # Several companies: no CUIT line; a representative reads "consumer · companies".
    cards, table = rendered([cases[shared.pk]], is_representative=True).split("|")
    assert f"{shared.consumer_name} · {company.legal_name}" in cards and "+1 more:" in cards
    assert company.cuit_display not in table

    # The consumer: no consumer column, no CUIT.
    cards, table = rendered([cases[alone.pk]], is_consumer=True).split("|")
    assert alone.consumer_name not in cards + table and company.cuit_display not in table


def test_a_draft_row_links_to_its_step_and_reads_draft(consumer, company) -> None:
    draft = draft_case(consumer, company)

    cards, table = rendered([Complaint.objects.prefetch_related(COMPANIES_OF_CASE).get(pk=draft.pk)]).split("|")

    step = reverse("complaint_step", args=[draft.pk, draft.draft_step])
    assert f'href="{step}">Draft · {company.legal_name}</a>' in cards
    assert f'href="{step}">Draft</a>' in table and "not filed" in table


def test_an_open_cases_age_is_counted_and_a_closed_ones_is_not(consumer, company) -> None:
    two_weeks_ago = timezone.now() - timedelta(days=14)
    submitted_case(consumer, company)
    closed = submitted_case(consumer, company)
    Complaint.objects.update(submitted_at=two_weeks_ago)
    Complaint.objects.filter(pk=closed.pk).update(status="withdrawn")
    rows = Complaint.objects.prefetch_related(COMPANIES_OF_CASE).order_by("pk")

    cards, table = rendered(list(rows)).split("|")

    assert cards.count("business days ago") == 1  # the open case's
    assert table.count('<span class="text-body-secondary">—</span>') == 1  # the closed case's age


# --- The rows read with the list's columns ----------------------------------------------------


def test_the_lists_columns_show_the_same_rows_without_reading_more(consumer, company, other_company, officer) -> None:
    several(consumer, company, other_company, officer=officer)
    submitted_case(consumer, company)
    draft_case(consumer, company)
    everything = Complaint.objects.select_related("company").prefetch_related(COMPANIES_OF_CASE).order_by("pk")
    columns = case_list_rows(Complaint.objects.all()).order_by("pk")

    expected = rendered(list(everything))

    with CaptureQueriesContext(connection) as queries:
        assert rendered(list(columns)) == expected
    # The cases with their lead company, then every company of theirs: nothing read per row.
    assert len(queries) == 2, [q["sql"] for q in queries]
    assert '"facts"' not in queries[0]["sql"] and "consumer_address" not in queries[0]["sql"]
    assert set(CASE_LIST_COLUMNS) >= {"number", "status", "consumer_name", "product", "submitted_at"}


# --- A company named after the lead: its cases as one parameter -------------------------------


def test_a_company_named_after_the_lead_finds_its_cases_through_one_parameter(
    consumer, company, other_company, officer
) -> None:
    theirs = [several(consumer, company, other_company, officer=officer) for _ in range(3)]
    led = submitted_case(consumer, other_company)
    submitted_case(consumer, company)  # not theirs

    cases = Complaint.objects.filter(cases_of_company(other_company.pk))

    sql, params = cases.query.sql_with_params()
    assert "= ANY(" in sql and len(params) < 5  # not one placeholder per case
    assert set(cases.values_list("pk", flat=True)) == {led.pk, *(case.pk for case in theirs)}


# --- The status picker --------------------------------------------------------------------------


def test_the_status_picker_ticks_the_chosen_and_marks_a_refused_filter(client_for, officer) -> None:
    client = client_for(officer)

    page = client.get(LIST, {"status": ["submitted", "admitted"]}).content.decode()
    boxes = re.findall(r'<input type="checkbox" name="status" value="(\w+)" id="id_status_(\d+)"( checked)?', page)
    assert {value for value, _index, checked in boxes if checked} == {"submitted", "admitted"}
    assert [int(index) for _value, index, _checked in boxes] == list(range(len(boxes))) and len(boxes) > 10
    assert "{#" not in page  # the template's comment stays in the template

    refused = client.get(LIST, {"status": "nonsense"}).content.decode()
    assert refused.count('aria-invalid="true" class="form-check-input"') == refused.count('name="status"')
