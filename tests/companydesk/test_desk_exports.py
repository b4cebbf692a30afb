"""The desk's selection as CSV and XLSX: the filtered list (GET) or the bulk form's selection (POST),
with the columns the company's case page shows, formulas made plain text, in the reader's language,
read in keyset batches."""

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from companydesk import exports
from complaints.models import CaseCompany, Complaint
from tests.conftest import log_in
from tests.reporting.dashboard_support import xlsx_sheets

from .conftest import answer_due_in, desk_url, part_of, served

pytestmark = pytest.mark.django_db

CSV = "companydesk_export_csv"
XLSX = "companydesk_export_xlsx"

HEADERS = [
    "Case",
    "Case status",
    "Your company's part",
    "Consumer",
    "Consumer's province",
    "What was bought or hired",
    "Received",
    "Answer deadline",
    "Current deadline",
    "What is awaited",
    "Deadline status",
    "Assigned to",
    "Acknowledgement of receipt",
]


def csv_rows(response, delimiter: str = ",") -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff")), delimiter=delimiter))


def test_the_csv_holds_the_filtered_cases_with_what_the_case_page_shows(client_for, consumer, company, officer, clerk):
    case = served(consumer, officer, company, product="Heladera No Frost 360 L")
    due = answer_due_in(case, company, timedelta(hours=3))
    CaseCompany.objects.filter(complaint=case).update(assignee=clerk)
    other = served(consumer, officer, company)
    Complaint.objects.filter(pk=other.pk).update(consumer_province="CB")

    response = client_for(clerk).get(desk_url(company, CSV), {"province": "CABA"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="casos-{company.cuit}-')
    assert response["Cache-Control"] == "private, no-store"
    header, *rows = csv_rows(response)
    assert header == HEADERS
    assert rows == [
        [
            case.number,
            "Company notified",
            "Served",
            "María González",
            "Ciudad Autónoma de Buenos Aires",
            "Heladera No Frost 360 L",
            timezone.localdate(part_of(case, company).notified_at).isoformat(),
            timezone.localdate(due.due_at).isoformat(),
            timezone.localdate(due.due_at).isoformat(),
            "Company's answer and offer",
            "At risk",
            "Pablo Acosta",
            "",
        ]
    ]
    text = "\n".join(",".join(row) for row in rows)
    assert "30123456" not in text and "maria@example.com" not in text  # no DNI, no e-mail


def test_text_that_looks_like_a_formula_is_plain_text_in_both_files(client_for, consumer, company, officer, clerk):
    served(consumer, officer, company, product='=HYPERLINK("http://evil.example","Click")')
    client = client_for(clerk)

    _header, row = csv_rows(client.get(desk_url(company, CSV)))
    assert row[5] == '\'=HYPERLINK("http://evil.example","Click")'

    workbook = b"".join(client.get(desk_url(company, XLSX)).streaming_content)
    sheet = next(iter(xlsx_sheets(workbook).values()))
    assert sheet[3][5] == '=HYPERLINK("http://evil.example","Click")'  # a string cell, never a formula
    assert b"<f>" not in zipfile.ZipFile(io.BytesIO(workbook)).read("xl/worksheets/sheet1.xml")


def test_the_xlsx_holds_the_same_rows_with_dates_as_dates(client_for, consumer, company, officer, clerk):
    first = served(consumer, officer, company)
    second = served(consumer, officer, company)

    response = client_for(clerk).get(desk_url(company, XLSX))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].endswith('.xlsx"')
    rows = next(iter(xlsx_sheets(b"".join(response.streaming_content)).values()))
    assert rows[0][0] == f"Cases of {company.legal_name}"
    assert rows[2] == HEADERS
    assert [row[0] for row in rows[3:]] == [second.number, first.number]
    assert isinstance(rows[3][6], float)  # the date it was received: a number formatted as a date


def test_the_bulk_forms_ticked_cases_are_exported_alone(client_for, consumer, company, officer, clerk):
    cases = [served(consumer, officer, company) for _ in range(3)]

    response = client_for(clerk).post(desk_url(company, CSV), {"part": [part_of(cases[1], company).pk]})

    _header, *rows = csv_rows(response)
    assert [row[0] for row in rows] == [cases[1].number]


def test_a_stranger_cannot_export_the_companys_cases(client_for, consumer, company, officer, rival):
    served(consumer, officer, company)

    assert client_for(rival).get(desk_url(company, CSV)).status_code == 404
    assert client_for(rival).get(desk_url(company, XLSX)).status_code == 404


def test_an_invalid_filter_exports_nothing_and_says_why(client_for, consumer, company, officer, clerk):
    served(consumer, officer, company)

    response = client_for(clerk).get(desk_url(company, CSV), {"received_from": "yesterday"})

    assert response.status_code == 302
    assert response["Location"].startswith(desk_url(company))


def test_the_csv_is_read_in_keyset_batches_each_row_once(client_for, consumer, company, officer, clerk, monkeypatch):
    cases = [served(consumer, officer, company) for _ in range(5)]
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    client = client_for(clerk)

    with CaptureQueriesContext(connection) as queries:
        _header, *rows = csv_rows(client.get(desk_url(company, CSV)))

    assert [row[0] for row in rows] == [case.number for case in reversed(cases)]
    batches = [q["sql"] for q in queries.captured_queries if 'FROM "complaints_casecompany"' in q["sql"]]
    assert len(batches) == 3  # 2 + 2 + 1 rows


def test_the_files_speak_spanish(consumer, company, officer, clerk):
    # needs es_AR catalogue
    served(consumer, officer, company)
    client = log_in(Client(HTTP_ACCEPT_LANGUAGE="es-AR"), clerk)

    header, _row = csv_rows(client.get(desk_url(company, CSV)), delimiter=";")  # Excel's list separator in es-AR

    assert header[0] == "Expediente" and header[1] == "Estado del expediente"
    assert header[-1] == "Acuse de recibo"  # not "Recibido": the "Received" column is "Notificado"
