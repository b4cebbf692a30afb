"""The open data: each month's file (CSV and JSON) holds one row per company's part of every case closed
that month, with exactly the declared columns, the facts' values, no survey answer, a company named
only when it is published and may be named (never a human person, never what a consumer typed), an
anonymous stable row id, no cell a spreadsheet would run as a formula; it is read in keyset batches
(queries proportional to the batches, the first rows out before the rest is read); the page lists
the months and the data dictionary in both languages; anything else is a clear 404."""

import csv
import io
import json
from datetime import date

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from stdnum.ar import cuit as stdnum_cuit

from complaints.models import CaseCompany, Complaint
from parties.models import Company, Sector, User
from reporting import opendata
from reporting.models import CaseFact, CompanyFigure, Outcome
from tests.helpers import explain
from tests.reporting.test_public_pages import publish

pytestmark = pytest.mark.django_db

MARCH = date(2026, 3, 1)
APRIL = date(2026, 4, 1)


# --- Builders ---------------------------------------------------------------------------------------


def a_cuit(prefix: str, number: int) -> str:
    body = f"{prefix}{number:08d}"
    return body + stdnum_cuit.calc_check_digit(body)


def a_part(consumer: User, company: Company, *, complaint: Complaint | None = None, position: int = 1) -> CaseCompany:
    """A company's part in a case, without going through filing: the file reads only the fact row."""
    case = complaint or Complaint.objects.create(consumer=consumer, company=company)
    return CaseCompany.objects.create(
        complaint=case, position=position, company=company, cuit=company.cuit, name=company.legal_name
    )


def closed_fact(part: CaseCompany, month: date = MARCH, **values: object) -> CaseFact:
    """The fact row the refresh would write for a part closed in `month` (reporting/facts.py)."""
    fields: dict[str, object] = {
        "complaint": part.complaint,
        "company": part.company,
        "lead": part.position == 1,
        "natural_person": False,
        "filed_on": month.replace(day=3),
        "filed_month": month,
        "closed_on": month.replace(day=20),
        "closed_month": month,
        "province": "CABA",
        "channel": "web",
        "sector": Sector.RETAIL,
        "claim_type": "replacement",
        "status": "withdrawn",
        "closed": True,
        "refreshed_at": timezone.now(),
        **values,
    }
    fact, _created = CaseFact.objects.update_or_create(part=part, defaults=fields)
    return fact


def download(client: Client, month: date, fmt: str):
    return client.get(reverse("open_data_file", kwargs={"year": month.year, "month": f"{month:%m}", "fmt": fmt}))


def body(response) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return response.getvalue().decode()


def csv_rows(client: Client, month: date = MARCH) -> list[dict[str, str]]:
    response = download(client, month, "csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(body(response))))


def json_file(client: Client, month: date = MARCH) -> dict:
    response = download(client, month, "json")
    assert response.status_code == 200
    return json.loads(body(response))


# --- The columns ------------------------------------------------------------------------------------


def test_both_files_have_exactly_the_declared_columns_in_order(client, consumer, company):
    closed_fact(a_part(consumer, company))
    names = [column.name for column in opendata.COLUMNS]

    header = body(download(client, MARCH, "csv")).splitlines()[0]
    document = json_file(client)

    assert header.split(",") == names
    assert [column["name"] for column in document["metadata"]["columns"]] == names
    assert list(document["rows"][0]) == names


def test_every_field_of_a_fact_row_is_published_or_withheld_with_a_reason():
    """A new CaseFact field fails here until someone decides: a column reads it, or WITHHELD says why not."""
    fields = {field.name for field in CaseFact._meta.concrete_fields}
    read = {name for column in opendata.COLUMNS for name in column.reads}

    assert read | set(opendata.WITHHELD) == fields
    assert not read & set(opendata.WITHHELD)
    assert {"vulnerable", "conciliator", "filed_on", "closed_on", "complaint"} <= set(opendata.WITHHELD)


def test_the_json_metadata_carries_the_license_the_columns_and_when_it_was_generated(client, consumer, company):
    closed_fact(a_part(consumer, company))

    metadata = json_file(client)["metadata"]

    assert metadata["license"]["id"] == "CC-BY-4.0"
    assert metadata["license"]["url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert metadata["month"] == "2026-03"
    assert metadata["generated_at"].startswith(timezone.now().strftime("%Y-%m-%d"))
    columns = {column["name"]: column for column in metadata["columns"]}
    assert columns["days_resolution"]["type"] == "integer"
    assert columns["month_closed"]["type"] == "yearmonth"
    assert columns["agreement"]["type"] == "boolean"
    assert columns["channel"]["values"]["whatsapp"] == "WhatsApp"
    assert columns["outcome"]["values"]["agreement_hearing"] == "Agreement at the hearing"
    assert "" not in columns["outcome"]["values"]
    assert columns["company_cuit"]["empty_when"] == "the company is not named: company_withheld says why"
    assert set(columns["company_withheld"]["values"]) == {"natural_person", "not_published"}
    assert columns["company_withheld"]["empty_when"] == "the company is named"


# --- The values -------------------------------------------------------------------------------------


def test_a_row_holds_the_facts_values(client, consumer, company):
    company.sector = Sector.RETAIL
    company.save(update_fields=["sector"])
    publish(company)
    part = a_part(consumer, company)
    closed_fact(
        part,
        filed_month=date(2026, 1, 1),
        province="CB",
        channel="whatsapp",
        claim_type="refund",
        served=True,
        answered=True,
        outcome=Outcome.AGREEMENT_AT_HEARING,
        complied=True,
        referred=False,
        days_admission=2,
        days_service=1,
        days_answer=4,
        days_first_hearing=12,
        days_outcome=0,
        days_compliance=9,
        days_resolution=31,
        hearings_held=2,
        consumer_absences=0,
        company_absences=1,
        adjournments=1,
        consumer_satisfaction=4,
        consumer_solved="partly",
        consumer_would_return=True,
        company_satisfaction=5,
    )

    [row] = csv_rows(client)
    [item] = json_file(client)["rows"]

    assert row == {
        "row_id": opendata.row_id(part.pk),
        "month_filed": "2026-01",
        "month_closed": "2026-03",
        "province": "CB",
        "channel": "whatsapp",
        "sector": "retail",
        "claim_type": "refund",
        "lead_company": "true",
        "company_cuit": "30712345671",
        "company_name": "Electrodomésticos del Sur S.A.",
        "company_withheld": "",
        "company_natural_person": "false",
        "served": "true",
        "company_answered": "true",
        "outcome": "agreement_hearing",
        "agreement": "true",
        "complied": "true",
        "referred": "false",
        "days_admission": "2",
        "days_service": "1",
        "days_answer": "4",
        "days_first_hearing": "12",
        "days_outcome": "0",
        "days_compliance": "9",
        "days_resolution": "31",
        "hearings_held": "2",
        "consumer_absences": "0",
        "company_absences": "1",
        "adjournments": "1",
    }
    # The JSON has the same values, typed: numbers, booleans.
    assert item["days_resolution"] == 31
    assert item["days_outcome"] == 0
    assert item["agreement"] is True
    assert item["referred"] is False
    assert item["company_cuit"] == "30712345671"
    assert item == {name: _typed(value, name) for name, value in row.items()}


def _typed(text: str, name: str) -> object:
    column = next(c for c in opendata.COLUMNS if c.name == name)
    if column.type == opendata.ColumnType.INTEGER:
        return int(text) if text else None
    if column.type == opendata.ColumnType.BOOLEAN:
        return {"true": True, "false": False, "": None}[text]
    return text


def test_empty_values_are_empty_cells_and_nulls(client, consumer, company):
    closed_fact(a_part(consumer, company), outcome=Outcome.WITHDRAWN, complied=None, claim_type="")

    [row] = csv_rows(client)
    [item] = json_file(client)["rows"]

    assert row["complied"] == "" and item["complied"] is None
    assert row["days_answer"] == "" and item["days_answer"] is None
    assert row["agreement"] == "false" and item["agreement"] is False
    assert row["claim_type"] == "" and item["claim_type"] == ""


def test_a_month_holds_only_the_parts_closed_in_it(client, consumer, company, other_company):
    publish(company)
    publish(other_company)
    in_march = closed_fact(a_part(consumer, company))
    case = in_march.complaint
    second = closed_fact(a_part(consumer, other_company, complaint=case, position=2))
    closed_fact(a_part(consumer, company), month=APRIL)
    still_open = a_part(consumer, company)
    closed_fact(still_open, closed=False, closed_on=None, closed_month=None)

    rows = csv_rows(client)

    assert {row["row_id"] for row in rows} == {opendata.row_id(in_march.part_id), opendata.row_id(second.part_id)}
    # One case of two companies: two rows, one of them the lead's.
    assert sorted(row["lead_company"] for row in rows) == ["false", "true"]
    assert {row["company_name"] for row in rows} == {company.legal_name, other_company.legal_name}


def test_a_company_that_is_a_human_person_is_never_named(client, consumer):
    person = Company.objects.create(cuit=a_cuit("20", 17_345_678), legal_name="Zacarías Quintanilla Ferreyra")
    closed_fact(a_part(consumer, person), natural_person=True)
    # A stale fact that says otherwise: the CUIT's prefix still keeps the person's identity out.
    other = Company.objects.create(cuit=a_cuit("27", 23_456_789), legal_name="Filomena Arrúa")
    closed_fact(a_part(consumer, other), natural_person=False)

    text = body(download(client, MARCH, "csv")) + body(download(client, MARCH, "json"))
    rows = csv_rows(client)

    for company in (person, other):
        assert company.cuit not in text
        assert company.legal_name not in text
    assert [
        (row["company_cuit"], row["company_name"], row["company_withheld"], row["company_natural_person"])
        for row in rows
    ] == [("", "", "natural_person", "true"), ("", "", "natural_person", "true")]
    # The rest of the row is still there: the sector, the outcome, the figures.
    assert all(row["sector"] == "retail" and row["month_closed"] == "2026-03" for row in rows)


def test_a_company_is_named_only_while_it_is_published_and_may_be_named(client, consumer, officer):
    from tests.reporting.test_public_pages import a_company
    from tests.reporting.test_publication import filed_against_an_unknown_company

    named = a_company("Publicada S.A.")
    publish(named)
    below_the_minimum = a_company("Pocos Reclamos S.A.")
    publish(below_the_minimum, published=False)
    no_figures_yet = a_company("Sin Indicadores S.A.")
    typed = filed_against_an_unknown_company(
        consumer, named, cuit=a_cuit("30", 71_555_666), name="Lo que escribió la consumidora"
    )
    publish(typed, verify=False)  # a flag set before the rule: the company was never verified
    for company in (named, below_the_minimum, no_figures_yet, typed):
        closed_fact(a_part(consumer, company), natural_person=False)
    closed_fact(a_part(consumer, named), month=APRIL)

    text = body(download(client, MARCH, "csv")) + body(download(client, MARCH, "json"))
    rows = {row["row_id"]: row for row in csv_rows(client)}
    by_company = {
        fact.company_id: rows[opendata.row_id(fact.part_id)] for fact in CaseFact.objects.filter(closed_month=MARCH)
    }

    def identity(company: Company) -> tuple[str, str, str]:
        row = by_company[company.pk]
        return row["company_cuit"], row["company_name"], row["company_withheld"]

    assert identity(named) == (named.cuit, "Publicada S.A.", "")
    assert identity(below_the_minimum) == ("", "", "not_published")
    assert identity(no_figures_yet) == ("", "", "not_published")
    assert identity(typed) == ("", "", "not_published")
    for hidden in (below_the_minimum, no_figures_yet, typed):
        assert hidden.legal_name not in text and hidden.cuit not in text
    # The rest of a hidden company's row is still there.
    assert by_company[typed.pk]["sector"] == "retail"
    # Published later: named in past months' files too (the files read the figures as they are now).
    CompanyFigure.objects.filter(company=below_the_minimum).update(published=True)
    assert {row["company_name"] for row in csv_rows(client)} >= {"Pocos Reclamos S.A."}


def test_no_survey_answer_is_in_the_files(client, consumer, company):
    """A rare combination (a company, a month, a province) can single out a case: its row must not
    tell that consumer's answers. The answers are published only aggregated, on the company pages."""
    publish(company)
    closed_fact(
        a_part(consumer, company),
        consumer_satisfaction=1,
        consumer_solved="no",
        consumer_would_return=False,
        company_satisfaction=5,
    )

    [row] = csv_rows(client)
    [item] = json_file(client)["rows"]
    names = set(opendata.column_names())

    survey_fields = {name for name in opendata.WITHHELD if name.endswith(("satisfaction", "solved", "would_return"))}
    required = {"consumer_satisfaction", "consumer_solved", "consumer_would_return", "company_satisfaction"}
    assert required <= survey_fields
    assert survey_fields <= set(opendata.WITHHELD)
    assert all("published only aggregated" in str(opendata.WITHHELD[field]) for field in survey_fields)
    assert not {name for column in opendata.COLUMNS for name in column.reads} & survey_fields
    assert not names & (survey_fields | {"solved", "satisfaction"})
    assert set(row) == set(item) == names


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("http://x.test","ver")', "+5491100000000 S.A.", "-Menos S.A.", "@Arroba S.A."]
)
def test_a_name_a_spreadsheet_would_run_is_plain_text_in_the_csv(client, consumer, name):
    from tests.reporting.test_public_pages import a_company

    company = a_company(name)
    publish(company)
    closed_fact(a_part(consumer, company))

    [row] = csv_rows(client)
    [item] = json_file(client)["rows"]

    assert row["company_name"] == "'" + name
    assert item["company_name"] == name  # JSON is for programs: the value as it is


def test_the_row_id_is_stable_anonymous_and_keyed(client, consumer, company, settings):
    fact = closed_fact(a_part(consumer, company))
    Complaint.objects.filter(pk=fact.complaint_id).update(number="DC-2026-000777")

    first = csv_rows(client)[0]["row_id"]
    again = json_file(client)["rows"][0]["row_id"]

    assert first == again == opendata.row_id(fact.part_id)
    assert len(first) == 16 and int(first, 16) >= 0
    assert first not in {str(fact.part_id), str(fact.complaint_id), "DC-2026-000777", "000777"}
    assert str(fact.part_id) != first.lstrip("0")
    # Keyed: another secret gives another id (nobody without the key can recompute it from an id).
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789abcdef"
    assert opendata.row_id(fact.part_id) != first


# --- Streaming, headers and refusals ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize(("parts", "batches"), [(3, 1), (4, 2), (9, 3), (12, 4)])
def test_the_file_is_read_in_batches_one_query_each(client, consumer, company, monkeypatch, fmt, parts, batches):
    monkeypatch.setattr(opendata, "CHUNK_SIZE", 4)
    publish(company)
    ids = [closed_fact(a_part(consumer, company)).part_id for _ in range(parts)]
    closed_fact(a_part(consumer, company), month=APRIL)  # another month: never read

    with CaptureQueriesContext(connection) as queries:
        response = download(client, MARCH, fmt)
        text = b"".join(response.streaming_content).decode()

    # Whether the month has rows, then one query per batch of CHUNK_SIZE rows (a last, short or empty
    # one tells the month is over): proportional to the batches, never to the rows.
    batch_queries = [q["sql"] for q in queries.captured_queries[1:]]
    assert len(queries) == 1 + batches
    assert all("LIMIT 4" in sql for sql in batch_queries)
    # Every row once, in part order, across the batches' boundaries.
    if fmt == "csv":
        found = [line.split(",")[0] for line in text.splitlines()[1:]]
    else:
        found = [row["row_id"] for row in json.loads(text)["rows"]]
    assert found == [opendata.row_id(part_id) for part_id in sorted(ids)]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_first_rows_leave_before_the_rest_is_read(client, consumer, company, monkeypatch, fmt):
    monkeypatch.setattr(opendata, "CHUNK_SIZE", 4)
    monkeypatch.setattr(opendata, "ROWS_PER_WRITE", 3)
    for _ in range(20):
        closed_fact(a_part(consumer, company))

    with CaptureQueriesContext(connection) as queries:
        response = download(client, MARCH, fmt)
        chunks = iter(response.streaming_content)
        if fmt == "json":
            assert next(chunks).startswith(b'{"metadata": ')  # made before any row is read
        first = next(chunks)
        read_for_the_first_rows = len(queries)
        rest = list(chunks)

    # The first ROWS_PER_WRITE rows (after the CSV's header).
    assert first.count(b"\n") == (1 + 3 if fmt == "csv" else 3)
    # The existence check and the first batch only; the other batches are read as the file is sent.
    assert read_for_the_first_rows == 2
    assert len(queries) == 1 + 20 // 4 + 1
    assert len(rest) >= 20 // 3


def test_the_files_are_named_and_cacheable_for_anyone(client, consumer, company):
    closed_fact(a_part(consumer, company))

    csv_response = download(client, MARCH, "csv")
    json_response = download(client, MARCH, "json")

    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert json_response["Content-Type"] == "application/json"
    assert csv_response["Content-Disposition"] == 'attachment; filename="concilia-casos-cerrados-2026-03.csv"'
    assert json_response["Content-Disposition"] == 'attachment; filename="concilia-casos-cerrados-2026-03.json"'
    for response in (csv_response, json_response):
        cache = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"public", "max-age=600"} <= cache
        assert 'rel="license"' in response["Link"]


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("2026-13.csv", "The address does not name a month"),
        ("1999-12.csv", "The address does not name a month"),
        ("2026-03.xml", "Files come in two formats only: CSV and JSON."),
        ("2026-03.xlsx", "Files come in two formats only: CSV and JSON."),
        ("2026-02.csv", "No case was closed in this month"),
    ],
)
def test_an_address_that_is_no_file_is_a_clear_404(client, consumer, company, path, says):
    closed_fact(a_part(consumer, company))

    response = client.get(reverse("open_data") + path)

    assert response.status_code == 404
    assert says in response.content.decode()
    assert reverse("open_data") in response.content.decode()


def test_a_month_not_over_yet_has_no_file(client, consumer, company):
    this_month = opendata.current_month()
    closed_fact(a_part(consumer, company), month=this_month)

    for fmt in opendata.FORMATS:
        response = download(client, this_month, fmt)

        assert response.status_code == 404
        assert "This month is not over yet." in response.content.decode()


def test_the_404_speaks_spanish(consumer, company):
    response = Client(HTTP_ACCEPT_LANGUAGE="es-AR").get(reverse("open_data") + "2026-03.xml")

    assert response.status_code == 404
    assert "Los archivos vienen solo en dos formatos: CSV y JSON." in response.content.decode()


def test_a_months_rows_are_read_through_the_closed_month_index():
    """The partial (closed_month, part) index serves the month's rows in their order (the planner is
    told to avoid a scan, which a near-empty test table would otherwise prefer)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")

    plan = opendata.month_rows(MARCH).explain()

    assert "casefact_closed_month" in plan
    assert "Sort" not in plan


def test_the_list_of_months_probes_the_closed_month_index_once_a_month():
    table = connection.ops.quote_name(CaseFact._meta.db_table)
    plan = explain((opendata.months_sql(table), [APRIL, APRIL]))

    assert "casefact_closed_month" in plan
    assert "Seq Scan" not in plan


# --- The page ------------------------------------------------------------------------------------------


def test_the_page_lists_the_months_over_with_both_files(client, consumer, company):
    closed_fact(a_part(consumer, company), month=MARCH)
    closed_fact(a_part(consumer, company), month=MARCH)
    closed_fact(a_part(consumer, company), month=date(2025, 11, 1))
    closed_fact(a_part(consumer, company), month=opendata.current_month())  # not over: not listed
    closed_fact(a_part(consumer, company), month=APRIL, closed=False)  # not closed: no month

    response = client.get(reverse("open_data"))
    page = response.content.decode()

    assert response.status_code == 200
    assert opendata.published_months() == [MARCH, date(2025, 11, 1)]
    assert [month for month in response.context["months"]] == [MARCH, date(2025, 11, 1)]
    assert 'href="/datos-abiertos/2026-03.csv"' in page
    assert 'href="/datos-abiertos/2026-03.json"' in page
    assert 'href="/datos-abiertos/2025-11.csv"' in page
    assert f"/datos-abiertos/{opendata.current_month():%Y-%m}.csv" not in page
    assert "/datos-abiertos/2026-04.csv" not in page
    # The page carries a CSRF token and a CSP nonce: only the visitor's browser may keep it.
    cache = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "max-age=600"} <= cache
    assert "public" not in cache


def test_the_months_cost_the_same_queries_however_many(client, consumer, company, django_assert_max_num_queries):
    for month in (date(2025, m, 1) for m in range(1, 13)):
        closed_fact(a_part(consumer, company), month=month)

    # The months (one recursive query, one index probe per month); nothing per month after it.
    with django_assert_max_num_queries(1):
        response = client.get(reverse("open_data"))

    assert len(response.context["months"]) == 12


def test_the_page_explains_every_column_and_the_license_in_english(client):
    response = client.get(reverse("open_data"))
    page = response.content.decode()

    assert response.status_code == 200
    assert "No file yet" in page
    for column in opendata.COLUMNS:
        assert f'id="column-{column.name}"' in page
        assert f"<code>{column.name}</code>" in page
    assert "Data dictionary" in page
    assert "Creative Commons Attribution 4.0 International (CC BY 4.0)" in page
    assert 'href="https://creativecommons.org/licenses/by/4.0/" rel="license"' in page
    assert "refreshed every 10 minutes" in page
    assert "Anonymous identifier of the row" in page


def test_the_page_explains_the_columns_in_spanish():
    response = Client(HTTP_ACCEPT_LANGUAGE="es-AR").get(reverse("open_data"))
    page = response.content.decode()

    assert response.status_code == 200
    assert "Datos abiertos" in page
    assert "Diccionario de datos" in page
    assert "Identificador anónimo de la fila" in page
    assert "Mes en que se presentó el reclamo." in page
    assert 'href="https://creativecommons.org/licenses/by/4.0/deed.es" rel="license"' in page


def test_the_json_metadata_speaks_the_readers_language(consumer, company):
    closed_fact(a_part(consumer, company))

    response = Client(HTTP_ACCEPT_LANGUAGE="es-AR").get("/datos-abiertos/2026-03.json")
    metadata = json.loads(body(response))["metadata"]

    assert metadata["title"] == "Casos cerrados en 2026-03"
    columns = {column["name"]: column for column in metadata["columns"]}
    assert columns["month_filed"]["description"] == "Mes en que se presentó el reclamo."
