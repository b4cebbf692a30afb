"""Open data: one file per month (CSV and JSON) of every company's part in a case CLOSED that month,
read from the fact rows (reporting.models.CaseFact), with no personal data.

The columns are declared once, in `COLUMNS`: the files, the data dictionary on the open-data page and
the JSON file's metadata all read this declaration. Every field of `CaseFact` is either read by a
column (`Column.reads`) or withheld with its reason (`WITHHELD`); tests/reporting/test_opendata.py
fails when a new field is neither, so publishing one is always a decision.

What never leaves: names, DNI, e-mails, phones, addresses and free text (none of them is in a fact
row), exact dates (months only), the consumer's hypervulnerability flag (sensitive data under Ley
25.326), the conciliator, the survey answers (see below), and the identity of a company that may not
be named in public. A row names its company (CUIT and legal name) only when the company is published
on the transparency pages now (`CompanyFigure.published`) AND may be named (reporting/publication.py:
not a human person, and verified by the office; what a consumer typed about a company the office did
not know is not a company's identity). Otherwise the row keeps its sector and figures, the CUIT and
name are blank and `company_withheld` says why: "natural_person" (a sole trader: its CUIT and name
are personal data) or "not_published". The test for a human person is made in SQL on the fact's flag
AND on the company's CUIT prefix, so a stale fact cannot name one. (A company published today is
named in past months' files too; one no longer published is not named in any.)

Survey answers are not in the files, not even as numbers: a rare combination (a company, a month, a
province) can single out one case, and its row would then tell that consumer's answers; the survey
promises they are counted without the consumer's name. They are published only aggregated, on the
companies' public pages.

Why the row id is a keyed hash: the case's id or number would tie the row to the case (the number is
on the consumer's receipt, on every notice and in court files), so whoever knows a case would find
its row; sequential ids would also tell volumes and order. A plain hash of the part's id could be
reversed by hashing every id up to a few million. An HMAC-SHA256 with a key derived from SECRET_KEY
(salted for this use only) is stable — the same row keeps its id from one download to the next, so
corrections can be matched — and cannot be reversed without the key. Truncated to 64 bits: at ten
million rows the chance of any collision is about one in 300,000. Rotating SECRET_KEY renumbers rows.

Files are streamed (a month at national volume is ~40,000 rows), read in keyset batches of
`CHUNK_SIZE` rows: each batch is one query that walks the (closed_month, part) partial index from the
last part id read, `LIMIT CHUNK_SIZE`, and joins the company, its figure row and the user who
registered it only for those rows, by primary key. So the first rows leave at once, memory stays
constant whatever the month's size, and the queries are one per batch. (Not a server-side cursor:
outside a transaction Django's is WITH HOLD, which has PostgreSQL materialize the whole result before
the first row; nor one query for the month, whose joins would be hashed over all of it.)"""

import csv
import hashlib
import hmac
import io
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connections, router
from django.db.models import BooleanField, Case, CharField, Expression, F, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from complaints.models import Channel, ClaimType
from parties.models import Province, Sector

from .exports import defuse
from .models import CaseFact, Outcome
from .publication import nameable_q, person_q

StrOrPromise = str | Promise

CHUNK_SIZE = 2000  # rows read by one query (a keyset batch)
ROWS_PER_WRITE = 500  # rows written to the response in one piece
FORMATS = ("csv", "json")
ROW_ID_SALT = "reporting.opendata.row_id"
ROW_ID_HEX = 16  # 64 bits
FIRST_YEAR = 2000


@dataclass(frozen=True)
class License:
    name: str
    identifier: str
    url: str  # the human-readable summary (deed)
    legal_code: str  # the license's full text


# As datos.gob.ar publishes the national government's open data.
LICENSE = License(
    name="Creative Commons Attribution 4.0 International (CC BY 4.0)",
    identifier="CC-BY-4.0",
    url="https://creativecommons.org/licenses/by/4.0/",
    legal_code="https://creativecommons.org/licenses/by/4.0/legalcode",
)


class ColumnType(StrEnum):
    """Types as the Frictionless Table Schema names them."""

    STRING = "string"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    YEARMONTH = "yearmonth"


TYPE_LABELS: dict[ColumnType, StrOrPromise] = {
    ColumnType.STRING: _("text"),
    ColumnType.INTEGER: _("whole number"),
    ColumnType.BOOLEAN: _("true or false"),
    ColumnType.YEARMONTH: _("month (YYYY-MM)"),
}


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    description: StrOrPromise
    computed: StrOrPromise  # how the value is obtained, for the data dictionary
    reads: tuple[str, ...]  # the CaseFact fields it is computed from
    # What the file holds: a CaseFact field, or an expression annotated under the column's name.
    expression: Expression | F | Q | None = None
    values: Sequence[tuple[str, StrOrPromise]] = ()  # the codes the column may hold, with their meaning
    pseudonymous: bool = False  # published only as a keyed hash (the row id)
    empty_when: StrOrPromise = ""  # when the value is empty (null in JSON)

    @property
    def type_label(self) -> StrOrPromise:
        return TYPE_LABELS[self.type]

    @property
    def selected(self) -> str:
        """The name the row's query gives this column's value."""
        if self.expression is not None:
            return f"od_{self.name}"
        return self.reads[0]


def _choices(choices: Sequence[tuple[str, StrOrPromise]]) -> tuple[tuple[str, StrOrPromise], ...]:
    return tuple((value, label) for value, label in choices if value)


class Withheld(StrEnum):
    """Why a row's company is not named (the `company_withheld` column); empty when it is."""

    NAMED = ""
    NATURAL_PERSON = "natural_person"
    NOT_PUBLISHED = "not_published"


WITHHELD_REASONS: tuple[tuple[str, StrOrPromise], ...] = (
    (
        Withheld.NATURAL_PERSON,
        _("The company is a human person (a sole trader): its CUIT and name are personal data."),
    ),
    (
        Withheld.NOT_PUBLISHED,
        _(
            "The company has no public page on the transparency pages now: too few closed complaints, or "
            "its identity was not verified by the office."
        ),
    ),
)

# A company is a human person when its fact says so or when its CUIT says so (prefixes 20, 23, 24, 27).
_PERSON = Q(natural_person=True) | person_q("company__")
# It is named when it is published now and may be named (reporting/publication.py).
_NAMED = Q(company__figure__published=True) & nameable_q("company__")
_WITHHELD = Case(
    When(_PERSON, then=Value(Withheld.NATURAL_PERSON.value)),
    When(_NAMED, then=Value(Withheld.NAMED.value)),
    default=Value(Withheld.NOT_PUBLISHED.value),
    output_field=CharField(),
)
_AGREEMENTS = [Outcome.AGREEMENT_BY_OFFER, Outcome.AGREEMENT_AT_HEARING]


def _when_named(field: str) -> Case:
    return Case(When(od_withheld=Withheld.NAMED.value, then=F(field)), default=Value(""), output_field=CharField())


def _days(name: str, description: StrOrPromise, computed: StrOrPromise, empty_when: StrOrPromise) -> Column:
    return Column(name, ColumnType.INTEGER, description, computed, reads=(name,), empty_when=empty_when)


BUSINESS_DAYS = _(
    "Business days of the office's calendar: weekends, national holidays and the office's non-working days "
    "do not count."
)

COLUMNS: tuple[Column, ...] = (
    Column(
        "row_id",
        ColumnType.STRING,
        _("Anonymous identifier of the row: one company in one case."),
        _(
            "A keyed hash (HMAC-SHA256) of the internal id of the company's part in the case, 16 hexadecimal "
            "characters. A row keeps its id from one download to the next; it cannot be turned into a case "
            "number."
        ),
        reads=("part",),
        pseudonymous=True,
    ),
    Column(
        "month_filed",
        ColumnType.YEARMONTH,
        _("Month the complaint was filed."),
        _("The month of the day the consumer submitted the complaint, in Argentine time. The day is not published."),
        reads=("filed_month",),
    ),
    Column(
        "month_closed",
        ColumnType.YEARMONTH,
        _("Month the case was closed: the month of the file."),
        _("The month of the day the case reached a closing state. The day is not published."),
        reads=("closed_month",),
    ),
    Column(
        "province",
        ColumnType.STRING,
        _("Province of the consumer."),
        _("The province of the consumer's address as given in the complaint, as a code."),
        reads=("province",),
        values=_choices(Province.choices),
        empty_when=_("not recorded"),
    ),
    Column(
        "channel",
        ColumnType.STRING,
        _("How the complaint reached the office."),
        _("The channel recorded when the complaint was filed."),
        reads=("channel",),
        values=_choices(Channel.choices),
    ),
    Column(
        "sector",
        ColumnType.STRING,
        _("Economic sector of the company."),
        _("The sector the office assigns to the company, the one it is compared with."),
        reads=("sector",),
        values=_choices(Sector.choices),
    ),
    Column(
        "claim_type",
        ColumnType.STRING,
        _("What the consumer asked for."),
        _("The kind of claim the consumer chose when filing."),
        reads=("claim_type",),
        values=_choices(ClaimType.choices),
        empty_when=_("not recorded"),
    ),
    Column(
        "lead_company",
        ColumnType.BOOLEAN,
        _("True on the row of the company the case is titled by."),
        _(
            "A case against several companies has one row per company. Count the rows where this is true to "
            "count cases; count every row to count companies' parts."
        ),
        reads=("lead",),
    ),
    Column(
        "company_cuit",
        ColumnType.STRING,
        _("CUIT of the company, 11 digits."),
        _(
            "The company's CUIT, when the company has a public page on the transparency pages and is not a "
            "human person."
        ),
        reads=("company", "natural_person"),
        expression=_when_named("company__cuit"),
        empty_when=_("the company is not named: company_withheld says why"),
    ),
    Column(
        "company_name",
        ColumnType.STRING,
        _("Legal name of the company."),
        _(
            "The company's legal name as registered with the office, when the company has a public page on "
            "the transparency pages and is not a human person."
        ),
        reads=("company", "natural_person"),
        expression=_when_named("company__legal_name"),
        empty_when=_("the company is not named: company_withheld says why"),
    ),
    Column(
        "company_withheld",
        ColumnType.STRING,
        _("Why the company's CUIT and name are blank."),
        _(
            "A company is named only while it has a public page on the transparency pages (enough closed "
            "complaints, and an identity the office verified) and is not a human person."
        ),
        reads=("company", "natural_person"),
        expression=F("od_withheld"),
        values=WITHHELD_REASONS,
        empty_when=_("the company is named"),
    ),
    Column(
        "company_natural_person",
        ColumnType.BOOLEAN,
        _("The company is a human person (persona humana), whose identity is not published."),
        _("True when the company's CUIT is that of a human person (it starts with 20, 23, 24 or 27)."),
        reads=("company", "natural_person"),
        expression=Case(When(_PERSON, then=Value(True)), default=Value(False), output_field=BooleanField()),
    ),
    Column(
        "served",
        ColumnType.BOOLEAN,
        _("The company was served with the complaint."),
        _("True when the notice to the company was proven delivered (electronically or on paper)."),
        reads=("served",),
    ),
    Column(
        "company_answered",
        ColumnType.BOOLEAN,
        _("The company answered the complaint."),
        _("True when the company answered in writing or made an offer after being served."),
        reads=("answered",),
    ),
    Column(
        "outcome",
        ColumnType.STRING,
        _("How the company's part of the case ended."),
        _("The outcome of the company's part, as a code."),
        reads=("outcome",),
        values=_choices(Outcome.choices),
        empty_when=_("no outcome recorded"),
    ),
    Column(
        "agreement",
        ColumnType.BOOLEAN,
        _("The company and the consumer reached an agreement."),
        _("True when the outcome is an agreement, by an accepted offer before the hearing or at the hearing."),
        reads=("outcome",),
        expression=Case(
            When(outcome__in=_AGREEMENTS, then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
    ),
    Column(
        "complied",
        ColumnType.BOOLEAN,
        _("The company honoured the agreement."),
        _("True when the agreement was honoured, false when it was breached."),
        reads=("complied",),
        empty_when=_("no agreement, or its compliance is not settled yet"),
    ),
    Column(
        "referred",
        ColumnType.BOOLEAN,
        _("The company's part was referred to the legal directorate."),
        _("True when the case went to the legal directorate for a possible infraction of the company."),
        reads=("referred",),
    ),
    _days(
        "days_admission",
        _("Business days from filing to admission."),
        BUSINESS_DAYS,
        _("the complaint was not admitted"),
    ),
    _days(
        "days_service",
        _("Business days from admission to serving the company."),
        BUSINESS_DAYS,
        _("the company was not served"),
    ),
    _days(
        "days_answer",
        _("Business days from serving the company to its first answer or offer."),
        BUSINESS_DAYS,
        _("the company did not answer"),
    ),
    _days(
        "days_first_hearing",
        _("Business days from serving the company to the first hearing held."),
        BUSINESS_DAYS,
        _("no hearing was held"),
    ),
    _days(
        "days_outcome",
        _("Business days from the first hearing held to the outcome of the company's part."),
        BUSINESS_DAYS,
        _("no hearing was held, or no outcome recorded"),
    ),
    _days(
        "days_compliance",
        _("Business days from the agreement to the confirmation that it was honoured."),
        BUSINESS_DAYS,
        _("no agreement, or not confirmed as honoured"),
    ),
    _days(
        "days_resolution",
        _("Business days from filing to the end of the company's part."),
        BUSINESS_DAYS,
        _("not computed"),
    ),
    Column(
        "hearings_held",
        ColumnType.INTEGER,
        _("Hearings held in the case."),
        _("Hearings held or adjourned with an outcome recorded."),
        reads=("hearings_held",),
    ),
    Column(
        "consumer_absences",
        ColumnType.INTEGER,
        _("Hearings the consumer missed."),
        _("Hearings whose outcome was the consumer's absence."),
        reads=("consumer_absences",),
    ),
    Column(
        "company_absences",
        ColumnType.INTEGER,
        _("Hearings the company missed."),
        _("Hearings whose outcome was the company's absence."),
        reads=("company_absences",),
    ),
    Column(
        "adjournments",
        ColumnType.INTEGER,
        _("Hearings adjourned to a later date."),
        _("Hearings that ended in an adjournment (cuarto intermedio)."),
        reads=("adjournments",),
    ),
)

SURVEY_WITHHELD = _(
    "Survey answers are published only aggregated, on the companies' public pages: the survey promises "
    "they are counted without the respondent's name, and one row could single out a case."
)

# The fields of a fact row that no column publishes, and why.
WITHHELD: dict[str, StrOrPromise] = {
    "complaint": _("The case's internal id would tie the row to the case."),
    "vulnerable": _("Whether the consumer is hypervulnerable is sensitive personal data."),
    "conciliator": _("The public servant who held the hearings is not published."),
    "filed_on": _("Exact dates are not published, only months."),
    "closed_on": _("Exact dates are not published, only months."),
    "status": _("The internal state of the case; the outcome says how it ended."),
    "part_status": _("The internal state of the company's part; the outcome says how it ended."),
    "closed": _("Every row of a file is closed."),
    "refreshed_at": _("When the office last rebuilt the row: not a fact about the case."),
    "consumer_satisfaction": SURVEY_WITHHELD,
    "consumer_solved": SURVEY_WITHHELD,
    "consumer_would_return": SURVEY_WITHHELD,
    "company_satisfaction": SURVEY_WITHHELD,
    "company_solved": SURVEY_WITHHELD,
    "company_would_return": SURVEY_WITHHELD,
    # The case as a whole (reporting/facts.py), for the office's figures; each row is its company's part.
    **dict.fromkeys(
        ("case_closed", "case_closed_on", "case_closed_month", "case_days_resolution", "case_company_absences"),
        _("The whole case's figure, the same on each company's row: each row publishes its company's part."),
    ),
}


def column_names() -> list[str]:
    return [column.name for column in COLUMNS]


# --- Months ---------------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def current_month(today: date | None = None) -> date:
    return month_start(today or timezone.localdate())


def month_from(year: int, month: int) -> date | None:
    """The first day of the month named in a URL, or None when there is no such month."""
    if not (FIRST_YEAR <= year <= 9999 and 1 <= month <= 12):
        return None
    return date(year, month, 1)


def published_months(*, today: date | None = None) -> list[date]:
    """Every month before the current one with a closed case, newest first (see `months_sql`)."""
    connection = connections[router.db_for_read(CaseFact)]
    before = current_month(today)
    with connection.cursor() as cursor:
        cursor.execute(months_sql(connection.ops.quote_name(CaseFact._meta.db_table)), [before, before])
        found = [row[0] for row in cursor.fetchall()]
    # SQLite answers dates as text.
    return [value if isinstance(value, date) else date.fromisoformat(str(value)) for value in found]


def months_sql(table: str) -> str:
    """A loose index scan: each step asks the (closed_month, part) partial index for the first month
    after the previous one, so the cost is one index probe per month however many rows there are (a
    GROUP BY or DISTINCT would read every closed row). Parameters: the current month, twice."""
    return f"""
        WITH RECURSIVE months(month) AS (
            SELECT MIN(closed_month) FROM {table} WHERE closed AND closed_month < %s
            UNION ALL
            SELECT (
                SELECT MIN(closed_month) FROM {table}
                WHERE closed AND closed_month > months.month AND closed_month < %s
            )
            FROM months WHERE months.month IS NOT NULL
        )
        SELECT month FROM months WHERE month IS NOT NULL ORDER BY month DESC
    """  # the table name is the model's own; the values go as parameters


def month_rows(month: date) -> QuerySet[CaseFact]:
    """The month's closed rows, in the order of the (closed_month, part) partial index."""
    return CaseFact.objects.filter(closed=True, closed_month=month).order_by("part_id")


# --- Rows -----------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _row_id_key(secret: str) -> bytes:
    # As django.utils.crypto.salted_hmac derives its key, computed once rather than once per row.
    return hashlib.sha256((ROW_ID_SALT + secret).encode()).digest()


def row_id(part_id: int) -> str:
    key = _row_id_key(settings.SECRET_KEY)
    return hmac.new(key, str(part_id).encode(), hashlib.sha256).hexdigest()[:ROW_ID_HEX]


def _encoder(column: Column) -> Callable[[Any], Any]:
    if column.pseudonymous:
        return row_id
    if column.type == ColumnType.YEARMONTH:
        return lambda value: None if value is None else f"{value:%Y-%m}"
    if column.type == ColumnType.STRING:
        return lambda value: value or ""
    return lambda value: value


def _month_values(month: date) -> QuerySet[CaseFact, tuple[Any, ...]]:
    """The month's rows in part order, each (part id, then the columns' values in COLUMNS' order)."""
    annotations: dict[str, Any] = {"od_withheld": _WITHHELD}
    annotations.update({c.selected: c.expression for c in COLUMNS if c.expression is not None})
    return month_rows(month).annotate(**annotations).values_list("part_id", *(c.selected for c in COLUMNS))


def rows(month: date) -> Iterator[list[Any]]:
    """The month's rows, each a list of values in the order of COLUMNS (None for empty), read in
    keyset batches of CHUNK_SIZE (one query each: see the module's docstring)."""
    queryset = _month_values(month)
    encoders = [_encoder(column) for column in COLUMNS]
    after: int | None = None
    while True:
        batch = list((queryset if after is None else queryset.filter(part_id__gt=after))[:CHUNK_SIZE])
        for _part_id, *values in batch:
            yield [encode(value) for encode, value in zip(encoders, values, strict=True)]
        if len(batch) < CHUNK_SIZE:
            return
        after = batch[-1][0]


# --- Files ----------------------------------------------------------------------------------------


def filename(month: date, fmt: str) -> str:
    return f"concilia-casos-cerrados-{month:%Y-%m}.{fmt}"


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        # A legal name such as "=HYPERLINK(…)" is text, never a formula a spreadsheet would run.
        return defuse(value)
    return value


def csv_chunks(month: date) -> Iterator[str]:
    """The CSV file (UTF-8, comma-separated, a header row of column names), a piece at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(column_names())
    for written, row in enumerate(rows(month), start=1):
        writer.writerow([_csv_value(value) for value in row])
        if written % ROWS_PER_WRITE == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def metadata(month: date, generated_at: datetime) -> dict[str, Any]:
    """What the JSON file says about itself, in the active language (built before streaming)."""
    return {
        "title": str(_("Cases closed in %(month)s") % {"month": f"{month:%Y-%m}"}),
        "description": str(
            _(
                "Every company's part in a consumer-defense case closed in the month, one row each, "
                "with no personal data."
            )
        ),
        "month": f"{month:%Y-%m}",
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "update_frequency": str(update_frequency()),
        "license": {
            "name": LICENSE.name,
            "id": LICENSE.identifier,
            "url": LICENSE.url,
            "legal_code": LICENSE.legal_code,
        },
        "columns": [column_metadata(column) for column in COLUMNS],
    }


def column_metadata(column: Column) -> dict[str, Any]:
    described: dict[str, Any] = {
        "name": column.name,
        "type": column.type.value,
        "description": str(column.description),
        "computed": str(column.computed),
    }
    if column.values:
        described["values"] = {value: str(label) for value, label in column.values}
    if column.empty_when:
        described["empty_when"] = str(column.empty_when)
    return described


def update_frequency() -> StrOrPromise:
    minutes = max(1, round(int(settings.REPORTING_REFRESH_SECONDS) / 60))
    return _(
        "A month's files are published on the first day of the next month. They are produced from the "
        "office's figures, refreshed every %(minutes)s minutes, so a past month may still change: whether "
        "agreements were honoured is settled late, and a company is named only while it has a public page."
    ) % {"minutes": minutes}


def json_chunks(month: date, metadata: dict[str, Any]) -> Iterator[str]:
    """The JSON file, {"metadata": {...}, "rows": [{column: value, ...}, ...]}, a piece at a time."""
    names = column_names()
    yield '{"metadata": ' + json.dumps(metadata, ensure_ascii=False) + ', "rows": ['
    pieces: list[str] = []
    first = True
    for row in rows(month):
        text = json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False)
        pieces.append(("\n" if first else ",\n") + text)
        first = False
        if len(pieces) == ROWS_PER_WRITE:
            yield "".join(pieces)
            pieces = []
    yield "".join(pieces) + "\n]}\n"
