"""The desk's selection as a file: CSV (streamed) or XLSX, in the reader's language.

What a row holds is what the company's own case page shows its representatives (the case's number
and status, the consumer's name and province, what was bought, the company's part and deadlines, who
handles it): never the consumer's DNI, e-mail, phone or address, which the page keeps from the company.

CSV for Excel as reporting/exports.py writes it (byte-order mark, ";" and decimal commas in Spanish,
text that looks like a formula made plain), streamed in keyset batches of CHUNK_SIZE rows as the open
data is (reporting/opendata.py): each batch one query on the company's served-cases index from the
last case read, so the first rows leave at once and memory stays flat for the 95,000 cases of the
largest company. The XLSX is written row by row in XlsxWriter's constant-memory mode to a temporary
file (a workbook cannot be streamed: it is a zip whose directory comes last), then sent."""

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO

import xlsxwriter
from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints.models import CaseCompany, PartStatus
from complaints.states import State
from oversight.models import Kind
from parties.models import Province, User
from reporting.exports import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, csv_lines, defuse

from .selectors import deadlines

CHUNK_SIZE = 2000  # rows read by one query (a keyset batch)


def headers() -> list[str]:
    """The columns, in the active language."""
    return [
        _("Case"),
        _("Case status"),
        _("Your company's part"),
        _("Consumer"),
        _("Consumer's province"),
        _("What was bought or hired"),
        _("Received"),
        _("Answer deadline"),
        _("Current deadline"),
        _("What is awaited"),
        _("Deadline status"),
        _("Assigned to"),
        _("Acknowledgement of receipt"),
    ]


# What a row reads, as values: building 2,000 model instances with their case and assignee, and asking
# the translations for each label of each row, cost ten times the query itself.
VALUES = (
    "complaint_id",
    "complaint__number",
    "complaint__status",
    "status",
    "complaint__consumer_name",
    "complaint__consumer_province",
    "complaint__product",
    "notified_at",
    "answer_due",
    "current_due",
    "current_kind",
    "assignee_id",
    "acknowledged_at",
)


@dataclass(frozen=True)
class Labels:
    """Every label a row may show, translated once for the whole file."""

    states: dict[str, str]
    part_statuses: dict[str, str]
    provinces: dict[str, str]
    waits: dict[str, str]
    overdue: str
    at_risk: str

    @classmethod
    def current(cls) -> "Labels":
        return cls(
            states={value: str(label) for value, label in State.choices},
            part_statuses={value: str(label) for value, label in PartStatus.choices},
            provinces={value: str(label) for value, label in Province.choices},
            waits={value: str(label) for value, label in Kind.choices},
            overdue=_("Overdue"),
            at_risk=_("At risk"),
        )


@dataclass(frozen=True)
class Line:
    """A row's values: text, or a date (written as a date in the XLSX, ISO 8601 in the CSV)."""

    values: tuple[str | date | None, ...]


def _names(user_ids: set[int]) -> dict[int, str]:
    return {user.pk: user.display_name for user in User.objects.filter(pk__in=user_ids)} if user_ids else {}


def lines(parts: QuerySet[CaseCompany], *, now: datetime, horizon: datetime) -> Iterator[Line]:
    """The selection's rows, newest case first, in keyset batches of CHUNK_SIZE: one query each on
    the company's served-cases index from the last case read, and one for the batch's assignees'
    names. "Overdue" and "at risk" as the desk's rows say them (selectors.DeskRow)."""
    labels = Labels.current()
    zone = timezone.get_current_timezone()

    def day(moment: datetime | None) -> date | None:
        return moment.astimezone(zone).date() if moment is not None else None

    rows = deadlines(parts).values_list(*VALUES)
    after: int | None = None
    while True:
        batch = list((rows if after is None else rows.filter(complaint_id__lt=after))[:CHUNK_SIZE])
        names = _names({row[11] for row in batch if row[11]})
        for (
            _case_id,
            number,
            state,
            part_status,
            consumer,
            province,
            product,
            notified_at,
            answer_due,
            current_due,
            current_kind,
            assignee_id,
            acknowledged_at,
        ) in batch:
            if current_due is not None and current_due < now:
                risk = labels.overdue
            elif current_due is not None and current_due <= horizon:
                risk = labels.at_risk
            else:
                risk = ""
            yield Line(
                (
                    number or "",
                    labels.states.get(state, state),
                    labels.part_statuses.get(part_status, part_status),
                    consumer,
                    labels.provinces.get(province, ""),
                    product,
                    day(notified_at),
                    day(answer_due),
                    day(current_due),
                    labels.waits.get(current_kind or "", ""),
                    risk,
                    names.get(assignee_id, "") if assignee_id else "",
                    day(acknowledged_at),
                )
            )
        if len(batch) < CHUNK_SIZE:
            return
        after = batch[-1][0]


def _csv_cell(value: str | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return defuse(str(value))


def csv_response(parts: QuerySet[CaseCompany], *, now: datetime, horizon: datetime, filename: str):
    """The selection as a streamed CSV download, in the language active now (kept while it streams:
    the rows are written after the view has returned)."""
    language = translation.get_language()

    def content() -> Iterator[str]:
        with translation.override(language):
            rows = ([_csv_cell(value) for value in item.values] for item in lines(parts, now=now, horizon=horizon))
            yield from csv_lines(headers(), rows)

    response = StreamingHttpResponse(content(), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def xlsx_file(parts: QuerySet[CaseCompany], *, now: datetime, horizon: datetime, title: str) -> IO[bytes]:
    """The selection as a workbook in a temporary file, read from its start."""
    output = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it once sent)
    # constant_memory: each row goes to disk once written. Strings stay strings: never turned into
    # numbers, formulas or links, so a consumer's "=HYPERLINK(…)" is text in the sheet.
    workbook = xlsxwriter.Workbook(
        output,
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    sheet = workbook.add_worksheet(_("Cases")[:31])
    bold = workbook.add_format({"bold": True, "font_size": 14})
    header = workbook.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})
    day = workbook.add_format({"num_format": "dd/mm/yyyy" if _spanish() else "yyyy-mm-dd"})
    columns = headers()
    sheet.write_string(0, 0, title, bold)
    for column, label in enumerate(columns):
        sheet.write_string(2, column, label, header)
        sheet.set_column(column, column, max(len(label), 12) + 2)
    sheet.freeze_panes(3, 0)
    for row_number, item in enumerate(lines(parts, now=now, horizon=horizon), start=3):
        for column, value in enumerate(item.values):
            if value is None or value == "":
                sheet.write_blank(row_number, column, None)
            elif isinstance(value, date):
                sheet.write_datetime(row_number, column, datetime(value.year, value.month, value.day), day)
            else:
                sheet.write_string(row_number, column, str(value))
    workbook.close()
    output.seek(0)
    return output


def xlsx_response(parts: QuerySet[CaseCompany], *, now: datetime, horizon: datetime, title: str, filename: str):
    response = FileResponse(xlsx_file(parts, now=now, horizon=horizon, title=title), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _spanish() -> bool:
    return (translation.get_language() or "").startswith("es")
