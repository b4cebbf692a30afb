"""Every table of the dashboard downloads as CSV and XLSX with the same figures as the page, the
filters in the file name (and, in the workbook, in rows above the table)."""

import csv
import io
from datetime import date

import pytest
from django.test import Client
from django.utils import translation

from reporting import exports
from reporting.exports import Cell, Kind, Table
from reporting.indicators import Filters
from tests.conftest import log_in
from tests.reporting.dashboard_support import as_number, fake_figures, table_in_sheet, table_of, xlsx_sheets

PAGE = "/oficina/indicadores/"
EXPORT = "/oficina/indicadores/descargar/"
PERIOD = {"start": "2025-06", "end": "2026-05"}
TABLES = ("summary", "now", "states", "stages", "rates", "hearings", "conciliators", "channels", "trend")


@pytest.fixture(autouse=True)
def _frozen_today(monkeypatch):
    monkeypatch.setattr("reporting.views.dashboard.timezone.localdate", lambda: date(2026, 5, 15))


@pytest.fixture
def calls(monkeypatch) -> list[Filters]:
    """The figures are hand-built; `calls` lists the filters the dashboard asked them for."""
    return fake_figures(monkeypatch)


def read_csv(response, delimiter: str) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff"), "Excel needs the byte-order mark to read the accents"
    return list(csv.reader(io.StringIO(body[1:]), delimiter=delimiter))


def half_last_digit(shown: str) -> float:
    """Half of the last digit a figure is shown to: "4.3" → 0.05; "45.3 %" (a share) → 0.0005."""
    digits = shown.rstrip("% \u00a0")
    decimals = len(digits.split(".")[-1].split(",")[-1]) if ("." in digits or "," in digits) else 0
    if "," in digits and "." in digits:  # never both on this page's figures, but say so if it happens
        raise AssertionError(shown)
    return 0.5 * 10 ** -(decimals + (2 if shown.endswith("%") else 0))


def same_figures(page_rows: list[list[str]], file_rows: list[list], *, spanish: bool = False) -> None:
    """Cell by cell: the same text, or the same number (a rate to the page's one decimal)."""
    assert len(page_rows) == len(file_rows)
    for page_row, file_row in zip(page_rows, file_rows, strict=True):
        # A sheet leaves out the empty cells that end a row.
        file_row = list(file_row) + [None] * (len(page_row) - len(file_row))
        assert len(page_row) == len(file_row)
        for shown, stored in zip(page_row, file_row, strict=True):
            number = as_number(shown, spanish=spanish) if shown[:1].isdigit() or shown == "—" else None
            if number is None and shown != "—":
                continue  # a label: months are compared by the caller
            if isinstance(stored, str):
                stored = as_number(stored, spanish=spanish)
            if number is None:
                assert stored is None
            else:
                # The page rounds half up to its last digit: the stored figure lies within half of it.
                assert stored == pytest.approx(number, abs=half_last_digit(shown) + 1e-9), (page_row, file_row)


@pytest.mark.parametrize("slug", TABLES)
def test_each_table_as_csv_holds_the_page_s_figures(client_for, supervisor, calls, slug):
    client = client_for(supervisor)
    page_rows = table_of(client.get(PAGE, PERIOD).text, slug)
    response = client.get(EXPORT, {**PERIOD, "table": slug, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="indicators_')
    assert response["Content-Disposition"].endswith('_2025-06_2026-05.csv"')
    rows = read_csv(response, ",")
    assert rows[0] == page_rows[0]
    same_figures(page_rows[1:], rows[1:])
    labels = [row[0].removeprefix("'") for row in rows[1:]]  # a formula-like label is defused: below
    if slug == "trend":
        assert labels == ["2026-04", "2026-05"]  # "April 2026" on the page
    else:
        assert labels == [row[0] for row in page_rows[1:]]


def test_the_csv_writes_plain_numbers_a_rate_with_its_sign_and_months_as_in_iso(client_for, supervisor, calls):
    client = client_for(supervisor)
    stages = read_csv(client.get(EXPORT, {**PERIOD, "table": "stages", "format": "csv"}), ",")
    assert stages[1] == ["Filing to admission", "1100", "3", "7", "5", "81.3%"]
    assert stages[3] == ["Agreement to compliance", "0", "", "", "30", ""]
    trend = read_csv(client.get(EXPORT, {**PERIOD, "table": "trend", "format": "csv"}), ",")
    assert [row[0] for row in trend[1:]] == ["2026-04", "2026-05"]


def test_a_spanish_csv_uses_semicolons_and_decimal_commas_as_excel_expects_there(supervisor, calls):
    client = log_in(Client(HTTP_ACCEPT_LANGUAGE="es-AR"), supervisor)
    response = client.get(EXPORT, {**PERIOD, "table": "stages", "format": "csv"})
    rows = read_csv(response, ";")
    assert rows[2][1:] == ["950", "2,5", "6", "5", "90,0%"]
    assert response["Content-Disposition"].startswith('attachment; filename="indicadores_')
    page_rows = table_of(client.get(PAGE, PERIOD).text, "stages")
    same_figures(page_rows[1:], rows[1:], spanish=True)


def test_a_label_that_looks_like_a_formula_never_runs(client_for, supervisor, calls):
    client = client_for(supervisor)
    rows = read_csv(client.get(EXPORT, {**PERIOD, "table": "conciliators", "format": "csv"}), ",")
    assert rows[2][0] == "'=Beto Pérez"
    sheets = xlsx_sheets(client.get(EXPORT, {**PERIOD, "table": "conciliators", "format": "xlsx"}).content)
    (sheet,) = sheets.values()
    assert table_in_sheet(sheet, "Conciliator")[2][0] == "=Beto Pérez"  # a string cell, not a formula


def test_the_file_name_carries_the_filters(client_for, supervisor, conciliator, company, calls):
    params = {
        **PERIOD,
        "province": "CB",
        "company": "30-71234567-1",
        "channel": "web",
        "conciliator": conciliator.pk,
        "vulnerable": "on",
        "table": "rates",
        "format": "csv",
    }
    response = client_for(supervisor).get(EXPORT, params)
    assert response["Content-Disposition"] == (
        'attachment; filename="indicators_outcomes-and-satisfaction_2025-06_2026-05_CB_30712345671_web_'
        f'c{conciliator.pk}_hv.csv"'
    )
    assert calls[-1].company_id == company.pk and calls[-1].vulnerable is True


@pytest.mark.parametrize("slug", TABLES)
def test_each_table_as_xlsx_holds_the_page_s_figures_as_numbers(client_for, supervisor, calls, slug):
    client = client_for(supervisor)
    page_rows = table_of(client.get(PAGE, PERIOD).text, slug)
    response = client.get(EXPORT, {**PERIOD, "table": slug, "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert response["Content-Disposition"].endswith('_2025-06_2026-05.xlsx"')
    (rows,) = xlsx_sheets(response.content).values()
    table = table_in_sheet(rows, page_rows[0][0])
    assert table[0] == page_rows[0]
    same_figures(page_rows[1:], table[1:])


def test_the_workbook_says_what_its_figures_are(client_for, supervisor, company, calls):
    response = client_for(supervisor).get(
        EXPORT, {**PERIOD, "province": "CB", "company": "30712345671", "table": "stages", "format": "xlsx"}
    )
    ((name, rows),) = xlsx_sheets(response.content).items()
    assert name == "Time per stage, in business day"  # Excel's 31 characters; the title is whole below
    assert rows[0] == ["Office indicators"]
    assert rows[1] == ["Time per stage, in business days"]
    about = {row[0]: row[1] for row in rows[2:] if len(row) == 2}
    assert about["Period"] == "2025-06 \u2013 2026-05"
    assert about["Province"] == "Córdoba"
    assert about["Company"] == "Electrodomésticos del Sur S.A. (30-71234567-1)"
    assert "Generated" in about
    # A rate is the share itself, shown as a percentage by its cell's format.
    stages = table_in_sheet(rows, "Stage")
    assert stages[1][5] == pytest.approx(0.8125)


def test_every_table_in_one_workbook(client_for, supervisor, calls):
    response = client_for(supervisor).get(EXPORT, PERIOD)  # no table, no format: the whole dashboard
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="indicators_2025-06_2026-05.xlsx"'
    sheets = xlsx_sheets(response.content)
    assert list(sheets) == [
        "Cases of the period",
        "Backlog and deadlines now",
        "Cases by current state",
        "Time per stage, in business day",  # Excel's 31 characters
        "Outcomes and satisfaction",
        "Hearings",
        "Each conciliator's load and out",
        "Channels and their outcomes",
        "Month by month",
    ]
    assert len(sheets) == len(TABLES)
    assert all(len(name) <= 31 for name in sheets)
    assert table_in_sheet(sheets["Cases of the period"], "Figure")[1] == ["Complaints filed", 1234.0]


@pytest.mark.parametrize(
    "params",
    [
        {"table": "all", "format": "csv"},  # a CSV holds one table
        {"table": "stages", "format": "pdf"},
        {"table": "nope", "format": "csv"},
    ],
)
def test_an_unknown_download_is_not_found(client_for, supervisor, calls, params):
    assert client_for(supervisor).get(EXPORT, {**PERIOD, **params}).status_code == 404


def test_a_download_with_invalid_filters_goes_back_to_the_page_that_explains(client_for, supervisor, calls):
    client = client_for(supervisor)
    response = client.get(EXPORT, {"start": "2026-03", "end": "2026-01", "table": "stages", "format": "csv"})
    assert response.status_code == 302
    assert response["Location"].startswith(PAGE + "?")
    page = client.get(response["Location"]).text
    assert "The last month must be the same as the first month or after it." in page
    assert calls == []


def test_the_director_downloads_too_and_others_are_refused(client_for, director, officer, calls):
    assert client_for(director).get(EXPORT, {**PERIOD, "table": "stages", "format": "csv"}).status_code == 200
    assert client_for(officer).get(EXPORT, {**PERIOD, "table": "stages", "format": "csv"}).status_code == 403


def test_downloads_are_not_kept_by_shared_caches(client_for, supervisor, calls):
    response = client_for(supervisor).get(EXPORT, {**PERIOD, "table": "stages", "format": "csv"})
    assert response["Cache-Control"] == "private, no-store"


def test_the_page_links_each_table_to_its_downloads_with_its_filters(client_for, supervisor, calls):
    page = client_for(supervisor).get(PAGE, {**PERIOD, "province": "CB"}).text
    for slug in TABLES:
        for fmt in ("csv", "xlsx"):
            assert f"{EXPORT}?start=2025-06&amp;end=2026-05&amp;province=CB&amp;table={slug}&amp;format={fmt}" in page
    assert f"{EXPORT}?start=2025-06&amp;end=2026-05&amp;province=CB&amp;table=all&amp;format=xlsx" in page


# --- The module, for any page that offers its tables -----------------------------------------------


def test_figures_round_half_up_as_a_spreadsheet_shows_them():
    assert exports.display(Cell(0.8125, Kind.RATE)) == "81.3\u00a0%"
    assert exports.display(Cell(0.0005, Kind.RATE)) == "0.1\u00a0%"
    assert exports.display(Cell(4.25, Kind.SCORE)) == "4.3"
    assert exports.display(Cell(2.0, Kind.DAYS)) == "2"
    assert exports.display(Cell(2.5, Kind.DAYS)) == "2.5"
    assert exports.display(Cell(12345, Kind.COUNT)) == "12,345"
    assert exports.display(Cell(None, Kind.RATE)) == "—"
    with translation.override("es-ar"):
        assert exports.display(Cell(12345, Kind.COUNT)) == "12.345"
        assert exports.display(Cell(0.8125, Kind.RATE)) == "81,3\u00a0%"
        assert exports.csv_text(Cell(0.8125, Kind.RATE)) == "81,3%"
        assert exports.csv_text(Cell(12345, Kind.COUNT)) == "12345"
        assert exports.csv_delimiter() == ";"
    assert exports.csv_delimiter() == ","


def test_csv_lines_start_with_one_byte_order_mark():
    """csv_lines writes cells as given (a streamed caller passes each text through exports.defuse,
    as table_csv does): only the header, always text, is defused here."""
    lines = list(exports.csv_lines(["=a", "b"], [["1,5", "x"], ["2", "y"]], delimiter=";"))
    assert lines == ["\ufeff'=a;b\r\n", "1,5;x\r\n", "2;y\r\n"]


def test_a_table_s_text_is_defused_and_its_numbers_are_not():
    table = Table(
        "t",
        "T",
        ("What", "How many"),
        ((Cell("=HYPERLINK(1)"), Cell(-3, Kind.COUNT)), (Cell("+54 11"), Cell(2, Kind.COUNT))),
    )
    assert exports.table_csv(table).splitlines()[1:] == ["'=HYPERLINK(1),-3", "'+54 11,2"]


def test_sheet_names_follow_excel_s_rules():
    taken: set[str] = set()
    assert exports.sheet_name("Plazos: vencidos [hoy] / a/b?*", taken) == "Plazos  vencidos  hoy    a b"
    long = "x" * 40
    assert exports.sheet_name(long, taken) == "x" * 31
    assert exports.sheet_name(long, taken) == "x" * 27 + " (2)"
    assert exports.sheet_name("", taken) == "Sheet"


@pytest.mark.parametrize("language", ["es-ar", "en"])
def test_counts_are_grouped_as_django_groups_them(language):
    """exports.whole writes a count without asking Django's formats for each one: the same text."""
    from django.utils import formats

    with translation.override(language):
        for value in (0, 7, 999, 1_000, 12_345, 1_048_576, -4_321):
            assert exports.whole(value) == formats.number_format(value, force_grouping=True)


def test_the_page_s_rows_are_escaped_and_numbers_right_aligned():
    table = Table(
        "x",
        "X",
        ("Name", "Cases", "Rate"),
        ((Cell("<b>Ana</b> & co", Kind.TEXT), Cell(1234, Kind.COUNT), Cell(None, Kind.RATE)),),
    )
    with translation.override("en"):
        assert str(table.html_rows) == (
            '<tr><th scope="row">&lt;b&gt;Ana&lt;/b&gt; &amp; co</th>'
            '<td class="text-end text-nowrap">1,234</td><td class="text-end text-nowrap">—</td></tr>'
        )
