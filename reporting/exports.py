"""Tables of figures, shown on a page and downloaded as CSV or XLSX with the same figures.

A `Table` is a title, column headings and rows of typed `Cell`s (a count, a rate, business days…).
The page prints `display(cell)`; the CSV writes `csv_text(cell)`; the XLSX writes the number itself
with a number format that shows it as the page does (a rate 0.4531 as 45.3%). Any page may build its
tables this way and offer them for download (the dashboard, a company's figures, the open data).

CSV for Excel: UTF-8 with a byte-order mark (without it Excel reads "Rodríguez" as "RodrÃ­guez"), CRLF
line ends, and the separator Excel expects in the reader's regional settings: where the decimal mark
is a comma (es-AR) Excel splits columns on ";", so a Spanish file uses ";" and decimal commas; an
English one uses "," and decimal points. Either way the file opens in columns with numbers as
numbers, by double click, without the import wizard. (A "sep=;" first line would also pick the
separator, but Excel then ignores the byte-order mark and garbles every accent.) Text that begins
like a formula (=, +, -, @) is prefixed with an apostrophe so a spreadsheet never runs it."""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import cached_property
from html import escape  # the standard library's: Django's wraps it for lazy texts, per call

import xlsxwriter
from django.http import HttpResponse
from django.utils import formats
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

BOM = "\ufeff"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EMPTY = "—"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Kind(StrEnum):
    TEXT = "text"
    COUNT = "count"  # a whole number of cases, hearings…
    RATE = "rate"  # a share from 0 to 1, shown as a percentage with one decimal
    DAYS = "days"  # business days (a median may be a half)
    SCORE = "score"  # a mean of answers from 1 to 5
    MONTH = "month"  # the first day of a month


Value = str | int | float | date | None


@dataclass(frozen=True)
class Cell:
    value: Value
    kind: Kind = Kind.TEXT

    @property
    def numeric(self) -> bool:
        return self.kind not in (Kind.TEXT, Kind.MONTH)


def text(value: object) -> Cell:
    return Cell(str(value), Kind.TEXT)


def count(value: int | None) -> Cell:
    return Cell(value, Kind.COUNT)


def rate(value: float | None) -> Cell:
    return Cell(value, Kind.RATE)


def days(value: float | None) -> Cell:
    return Cell(value, Kind.DAYS)


def score(value: float | None) -> Cell:
    return Cell(value, Kind.SCORE)


def month(value: date) -> Cell:
    return Cell(value, Kind.MONTH)


@dataclass(frozen=True)
class Table:
    slug: str  # stable, English: the download's `table` parameter
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def file_stem(self) -> str:
        return slugify(self.title) or self.slug

    @property
    def numeric_columns(self) -> tuple[bool, ...]:
        """Which columns hold numbers (right-aligned on the page), read from the first row."""
        return tuple(cell.numeric for cell in self.rows[0]) if self.rows else (False,) * len(self.columns)

    @property
    def headings(self) -> list[tuple[str, bool]]:
        return list(zip(self.columns, self.numeric_columns, strict=True))

    @cached_property
    def html_rows(self) -> SafeString:
        """The table's body rows as the page prints them: the first cell heads its row, numbers are
        right-aligned and never wrap. Written here, not in a template, because a breakdown holds
        hundreds of cells and a template resolving each one was most of the page's rendering time."""
        style = NumberStyle.current()
        rows = []
        for row in self.rows:
            first, *rest = row
            cells = ['<th scope="row" class="text-end">' if first.numeric else '<th scope="row">']
            cells.append(escape(display(first, style)))
            cells.append("</th>")
            for cell in rest:
                cells.append('<td class="text-end text-nowrap">' if cell.numeric else '<td class="text-nowrap">')
                cells.append(escape(display(cell, style)))
                cells.append("</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        return mark_safe("\n".join(rows))  # every text is escaped above


# --- One figure, three ways ----------------------------------------------------------------------


def _decimals(value: float, places: int, separator: str, *, scale: int = 1) -> str:
    """`value` times `scale` rounded half up, as a spreadsheet shows it (45.25 → 45.3, where Python's
    float formatting gives 45.2): the page, the CSV and the XLSX then agree to the last digit.
    Formatted by hand: number_format would add thousands separators under USE_THOUSAND_SEPARATOR."""
    exact = Decimal(f"{value:.12g}") * scale  # 12 significant digits, as Excel keeps about 15
    rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{rounded:.{places}f}".replace(".", separator)


def _days_text(value: float, separator: str) -> str:
    return str(int(value)) if float(value).is_integer() else _decimals(value, 1, separator)


def month_label(value: date, *, short: bool = False) -> str:
    """ "mayo 2026" / "May 2026"; short: "May 2026" in three letters (chart axes)."""
    return formats.date_format(value, "M Y" if short else "YEAR_MONTH_FORMAT")


@dataclass(frozen=True)
class NumberStyle:
    """How the reader's language writes numbers, read once for a table (asking Django's formats for
    each of a page's cells cost more than writing them)."""

    decimal: str
    thousands: str
    grouping: object  # 3 in es-AR and en; a sequence in some languages

    @classmethod
    def current(cls) -> "NumberStyle":
        return cls(
            formats.get_format("DECIMAL_SEPARATOR"),
            formats.get_format("THOUSAND_SEPARATOR"),
            formats.get_format("NUMBER_GROUPING"),
        )


def number(value: float, places: int = 1) -> str:
    """A number in the reader's language: 4,5 (es-AR) or 4.5 (en)."""
    return _decimals(value, places, formats.get_format("DECIMAL_SEPARATOR"))


def whole(value: int, style: NumberStyle | None = None) -> str:
    """A count grouped in thousands in the reader's language: 12.345 (es-AR) or 12,345 (en)."""
    style = style or NumberStyle.current()
    if style.grouping == 3:
        return f"{value:,}".replace(",", style.thousands)
    return formats.number_format(value, force_grouping=True)


def display(cell: Cell, style: NumberStyle | None = None) -> str:
    """The cell as the page shows it, in the reader's language (`style`: the reader's, when the
    caller has it already)."""
    value = cell.value
    if value is None or value == "":
        return EMPTY
    if cell.kind == Kind.TEXT:
        return str(value)
    style = style or NumberStyle.current()
    separator = style.decimal
    if cell.kind == Kind.COUNT:
        return whole(int(value), style)  # type: ignore[arg-type]
    if cell.kind == Kind.RATE:
        return _decimals(float(value), 1, separator, scale=100) + "\u00a0%"  # type: ignore[arg-type]
    if cell.kind == Kind.DAYS:
        return _days_text(float(value), separator)  # type: ignore[arg-type]
    if cell.kind == Kind.SCORE:
        return _decimals(float(value), 1, separator)  # type: ignore[arg-type]
    if cell.kind == Kind.MONTH:
        return month_label(value)  # type: ignore[arg-type]
    return str(value)


def csv_text(cell: Cell) -> str:
    """The cell as the CSV holds it: no thousands separator, the reader's decimal mark, a rate as a
    percentage with its sign (Excel reads 45,3% as the number 0.453), a month as 2026-05."""
    value = cell.value
    if value is None:
        return ""
    separator = formats.get_format("DECIMAL_SEPARATOR")
    if cell.kind == Kind.COUNT:
        return str(int(value))  # type: ignore[arg-type]
    if cell.kind == Kind.RATE:
        return _decimals(float(value), 1, separator, scale=100) + "%"  # type: ignore[arg-type]
    if cell.kind == Kind.DAYS:
        return _days_text(float(value), separator)  # type: ignore[arg-type]
    if cell.kind == Kind.SCORE:
        return _decimals(float(value), 1, separator)  # type: ignore[arg-type]
    if cell.kind == Kind.MONTH:
        return f"{value:%Y-%m}"
    return defuse(str(value))


def defuse(value: str) -> str:
    """Text a spreadsheet would take for a formula, made plain text."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


# --- CSV -----------------------------------------------------------------------------------------


def csv_delimiter() -> str:
    """ ";" where the reader's decimal mark is a comma (Excel's list separator there), else ","."""
    return ";" if formats.get_format("DECIMAL_SEPARATOR") == "," else ","


class _Line:
    """A file-like object that hands back what csv.writer writes to it (one line at a time)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[str]], *, delimiter: str | None = None) -> Iterator[str]:
    """The CSV file line by line, the byte-order mark first: for a StreamingHttpResponse over a
    large query (the open data) as well as for a small table. Cells are already text."""
    writer = csv.writer(_Line(), delimiter=delimiter or csv_delimiter())
    yield BOM + writer.writerow([defuse(str(h)) for h in header])
    for row in rows:
        yield writer.writerow(row)


def table_csv(table: Table) -> str:
    return "".join(csv_lines(table.columns, ([csv_text(c) for c in row] for row in table.rows)))


def attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def csv_response(table: Table, *, filename: str) -> HttpResponse:
    """One table as a CSV download (`filename` ASCII, with its .csv)."""
    return attachment(HttpResponse(table_csv(table).encode("utf-8"), content_type=CSV_CONTENT_TYPE), filename)


# --- XLSX ----------------------------------------------------------------------------------------

_SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def sheet_name(title: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    base = title.translate(_SHEET_FORBIDDEN).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def xlsx_bytes(tables: Sequence[Table], *, heading: str, about: Sequence[tuple[str, str]]) -> bytes:
    """A workbook with one sheet per table: the heading, the `about` lines (what the figures are:
    the filters, when they were made), an empty row, then the table with numbers as numbers."""
    buffer = io.BytesIO()
    # in_memory: no temporary file (tables here are small; a large sheet would use constant_memory).
    # Strings stay strings: never turned into numbers, formulas or links.
    workbook = xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    bold = workbook.add_format({"bold": True})
    title_format = workbook.add_format({"bold": True, "font_size": 14})
    header_format = workbook.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})
    number_formats = {
        Kind.COUNT: workbook.add_format({"num_format": "#,##0"}),
        Kind.RATE: workbook.add_format({"num_format": "0.0%"}),
        Kind.DAYS: workbook.add_format({"num_format": "General"}),
        Kind.SCORE: workbook.add_format({"num_format": "0.0"}),
    }
    taken: set[str] = set()
    for table in tables:
        sheet = workbook.add_worksheet(sheet_name(table.title, taken))
        sheet.write_string(0, 0, heading, title_format)
        sheet.write_string(1, 0, table.title, bold)
        row = 2
        for what, value in about:
            sheet.write_string(row, 0, what, bold)
            sheet.write_string(row, 1, value)
            row += 1
        row += 1
        for column, label in enumerate(table.columns):
            sheet.write_string(row, column, label, header_format)
        sheet.freeze_panes(row + 1, 0)
        widths = [max(len(label), 10) for label in table.columns]
        for cells in table.rows:
            row += 1
            for column, cell in enumerate(cells):
                _write_cell(sheet, row, column, cell, number_formats)
                widths[column] = max(widths[column], len(csv_text(cell)))
        for column, width in enumerate(widths):
            sheet.set_column(column, column, min(width + 2, 60))
    workbook.close()
    return buffer.getvalue()


def _write_cell(sheet: Worksheet, row: int, column: int, cell: Cell, number_formats: dict[Kind, Format]) -> None:
    if cell.value is None:
        sheet.write_blank(row, column, None)
    elif cell.kind == Kind.TEXT:
        sheet.write_string(row, column, str(cell.value))
    elif cell.kind == Kind.MONTH:
        sheet.write_string(row, column, f"{cell.value:%Y-%m}")
    else:
        sheet.write_number(row, column, float(cell.value), number_formats[cell.kind])  # type: ignore[arg-type]


def xlsx_response(
    tables: Sequence[Table], *, filename: str, heading: str, about: Sequence[tuple[str, str]]
) -> HttpResponse:
    """Tables as an XLSX download (`filename` ASCII, with its .xlsx)."""
    body = xlsx_bytes(tables, heading=heading, about=about)
    return attachment(HttpResponse(body, content_type=XLSX_CONTENT_TYPE), filename)
