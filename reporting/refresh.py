"""Keeping the summary tables up to date: `refresh()` (incremental, Celery beat every
REPORTING_REFRESH_SECONDS) and `rebuild()` (everything, `manage.py refresh_reporting --full`).

Incremental refresh, in order:
1. The new watermark is taken *before* anything is read; the cases read are those with a case event
   (CaseEvent.created_at, indexed) or a survey answered (Survey.answered_at, partial index) after the
   previous watermark minus OVERLAP, so a move committed a little after its own timestamp is not
   missed. Cases whose company changed sector, and (when the office calendar changed: its closed
   weekdays differ from those the facts were counted with) every case open over a day that changed,
   are added.
2. Their fact rows are rebuilt (reporting/facts.py) in batches of BATCH cases.
3. The cube rows (MonthlyFigure) of the months those cases were filed in are recomputed by SQL
   GROUP BY over the facts and replaced, month by month, in one transaction.
4. Company and sector figures are recomputed over the window.
5. The dashboard's "now" figures (LiveCount: complaints awaiting admission, deadline clocks overdue
   and at risk) are counted again, every run, and stamped `RefreshState.live_at`.

The window of the company and sector figures: cases filed from the first day of the month twelve
months before the refresh's month up to the refresh's day (twelve complete months plus the current
one). A company's page is published with at least settings.PUBLIC_MIN_CLOSED_CASES closed cases in
the window, unless it is a human person.

The cube: for each month of filing, one row per value of each dimension (all, province, channel,
sector, hipervulnerable, conciliator, company), and the same broken down by conciliator and by
channel (`Grouping`: breakdown rows keep their counters and resolution histogram only). The pair
rows (PairFigure): the same for each pair of values of two of those dimensions (every pair of the
dashboard's filters, aggregate.PAIRS), so that two filters are read from a handful of rows too; only
the combinations that occur have rows, and a company's pairs only its months with at least
aggregate.COMPANY_PAIR_MIN_PARTS parts (the others are read from the facts). The low-cardinality rows
(LowFigure, `LOW_GROUPINGS`): province, sector, channel and hipervulnerable together over parts,
province, channel and hipervulnerable over cases, each also by conciliator, for three or four of
those filters (150,509 rows at a million cases, 20 s of a full rebuild). Company and sector rows
(and pairs with either) count parts (a company's part is its case); the others count cases (lead
rows). On PostgreSQL the rows are inserted by one INSERT … SELECT per grouping (no row passes
through Python), and the groupings that are another one under other labels are copied from it
(DERIVED: e.g. a province's rows broken down by channel are the pair rows of the province and the
channel, kept to their counters and resolution); elsewhere every grouping is counted with the ORM's
GROUP BY.

A sector's figures pool its companies' parts (by each company's current sector); its `median_*`
fields are the median company's figure, taken over its published companies (each company's answered
share, agreement, compliance, satisfaction, median days to answer (`median_company_days_answer`) and
to resolution (`median_company_days_resolution`), solved share (`median_solved_share`)), and
`companies` counts those.

A change in the office calendar needs no hook in workdays/: each run compares the closed weekdays
(holidays and declared días inhábiles) with those the facts were counted with (RefreshState.calendar)
and recounts the cases open over any day that changed, so a declared day, a removed one or a new
version of the holidays package are all picked up by the next run.

One refresh runs at a time (a PostgreSQL advisory lock; a beat run that finds it taken does nothing).
"""

import logging
import statistics
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, Case, CharField, Count, F, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from complaints.models import CaseEvent, Complaint
from complaints.states import State
from oversight.models import Clock
from oversight.services.digest import at_risk_horizon
from parties.business_days import is_business_day, reload_calendar
from parties.models import Company, Sector

from . import aggregate
from .facts import STAGE_COLUMNS, BusinessDayCounter, build_facts, build_facts_between, local_date
from .models import (
    REFRESH_STATE,
    CaseFact,
    CompanyFigure,
    Dimension,
    LiveCount,
    LowFigure,
    MonthlyFigure,
    PairFigure,
    RefreshState,
    SectorFigure,
    Survey,
)
from .publication import nameable

logger = logging.getLogger(__name__)

STATE_NAME = REFRESH_STATE
# A move's event is stamped before its transaction commits: read back this far behind the watermark.
OVERLAP = timedelta(minutes=5)
# Cases whose facts are built together (a constant number of queries per batch).
BATCH = 2000
# pg_advisory_lock key: "reporting refresh" (any constant the rest of the project does not use).
LOCK_KEY = 7_215_001_014

# Each dimension of the cube: the fact column it groups by, and whether it counts company parts
# (company and sector: a company's part is its case) or cases (lead rows only).
DIMENSIONS: dict[str, tuple[str | None, bool]] = {
    Dimension.ALL: (None, False),
    Dimension.PROVINCE: ("province", False),
    Dimension.CHANNEL: ("channel", False),
    Dimension.SECTOR: ("sector", True),
    Dimension.VULNERABLE: ("vulnerable", False),
    Dimension.CONCILIATOR: ("conciliator_id", False),
    Dimension.COMPANY: ("company_id", True),
}
# Every dimension is also broken down by these (except by itself).
BREAKDOWNS: dict[str, str] = {Dimension.CONCILIATOR: "conciliator_id", Dimension.CHANNEL: "channel"}


@dataclass(frozen=True)
class RefreshResult:
    full: bool
    cases: int
    months: int
    companies: int
    seconds: float
    skipped: bool = False


# --- One at a time --------------------------------------------------------------------------------


@contextmanager
def _exclusive(*, wait: bool) -> Iterator[bool]:
    """The advisory lock (PostgreSQL); elsewhere (SQLite, a single process) always granted."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
            granted = True
        else:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
            granted = bool(cursor.fetchone()[0])
    try:
        yield granted
    finally:
        if granted:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


@contextmanager
def _marked_even_if_it_fails() -> Iterator[None]:
    """A refresh that fails after writing some of the tables still moves the state's `updated_at` (every
    refresh that ends well moves it with its last write): figures kept before it
    (reporting/figures_cache.py) are then not served beside ones worked out from half-written tables."""
    try:
        yield
    except BaseException:
        try:
            RefreshState.objects.filter(name=STATE_NAME).update(updated_at=timezone.now())
        except Exception:
            logger.exception("The reporting refresh failed, and its state could not be marked.")
        raise


# --- The office calendar the facts were counted with ---------------------------------------------------


def closed_weekdays(first_year: int, last_year: int) -> list[str]:
    """Weekdays the office's calendar closes (holidays, declared días inhábiles), ISO dates."""
    day, last = date(first_year, 1, 1), date(last_year, 12, 31)
    found: list[str] = []
    while day <= last:
        if day.weekday() < 5 and not is_business_day(day):
            found.append(day.isoformat())
        day += timedelta(days=1)
    return found


def _calendar_years() -> tuple[int, int]:
    """From the year of the first filed case (read from the complaints, not the facts: a full rebuild
    reads the calendar before any fact exists) to next year. The creation of the first complaint ever
    filed (the `complaint_recent` index) bounds every filing from below."""
    first = (
        Complaint.objects.filter(submitted_at__isnull=False)
        .order_by("created_at", "pk")
        .values_list("created_at", flat=True)
        .first()
    )
    first_day, today = local_date(first), timezone.localdate()
    return (first_day.year if first_day else today.year), today.year + 1


# --- Facts --------------------------------------------------------------------------------------


def _build_in_batches(case_ids: Sequence[int]) -> set[date]:
    days = BusinessDayCounter()
    months: set[date] = set()
    ordered = sorted(case_ids)
    for start in range(0, len(ordered), BATCH):
        months |= build_facts(ordered[start : start + BATCH], days=days)
    return months


def _changed_cases(since: datetime) -> set[int]:
    moved = CaseEvent.objects.filter(created_at__gt=since).values_list("complaint_id", flat=True).distinct()
    answered = Survey.objects.filter(answered_at__gt=since).values_list("complaint_id", flat=True).distinct()
    # A company moved to another sector: its facts carry the old one.
    resectored = (
        CaseFact.objects.filter(company__isnull=False)
        .exclude(sector=F("company__sector"))
        .values_list("complaint_id", flat=True)
        .distinct()
    )
    return set(moved) | set(answered) | set(resectored)


def _cases_open_over(changed_days: set[str]) -> set[int]:
    """Cases whose stages may span a day that changed in the calendar: filed on or before the last
    changed day and not closed before the first."""
    first = date.fromisoformat(min(changed_days))
    last = date.fromisoformat(max(changed_days))
    return set(
        CaseFact.objects.filter(filed_on__lte=last)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gte=first))
        .values_list("complaint_id", flat=True)
        .distinct()
    )


# --- The cube -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grouping:
    """One kind of summary row: the dimension (and its fact column), for the rows of a pair of
    filters the second one (`dim2`: PairFigure rows), whether it counts company parts, the breakdown
    (and its column), and whether its rows are full. A breakdown line is read only for its counters
    and its resolution histogram (reporting/indicators.py `Row`), so its rows keep only those: the
    other stage histograms and the state counts would multiply the cube's cost."""

    dim: str
    column: str | None
    parts: bool
    by_dim: str = ""
    by_column: str | None = None
    dim2: str = ""
    column2: str | None = None
    # The rows of the low-cardinality filters together (LowFigure): province, sector (when counting
    # parts), channel and hipervulnerable; `dim` is then Dimension.ALL and unused.
    low: bool = False

    @property
    def full(self) -> bool:
        # The "all cases" rows broken down by conciliator and by channel are also each conciliator's
        # and each channel's own rows (DERIVED): those stay full.
        if self.low:
            return not self.by_dim
        return not self.by_dim or self.dim == Dimension.ALL

    @property
    def stages(self) -> tuple[str, ...]:
        return tuple(STAGE_COLUMNS) if self.full else ("resolution",)

    @property
    def model(self) -> type[MonthlyFigure] | type[PairFigure] | type[LowFigure]:
        if self.low:
            return LowFigure
        return PairFigure if self.dim2 else MonthlyFigure

    @property
    def labels(self) -> dict[str, str]:
        """The row's dimension fields and their values."""
        if self.low:
            return {"counted": "parts" if self.parts else "cases", "by_dim": self.by_dim}
        return {"dim": self.dim, **({"dim2": self.dim2} if self.dim2 else {}), "by_dim": self.by_dim}

    @property
    def keys(self) -> dict[str, str | None]:
        """The row's key fields and the fact column each one holds (None: always "")."""
        if self.low:
            sector = "sector" if self.parts else None
            low = {"province": "province", "sector": sector, "channel": "channel", "vulnerable": "vulnerable"}
            return {**low, "by_key": self.by_column}
        return {"key": self.column, **({"key2": self.column2} if self.dim2 else {}), "by_key": self.by_column}

    @property
    def fields(self) -> dict[str, str]:
        """{dimension: the key field holding its value} ("all cases" has none)."""
        named = ((self.dim, "key"), (self.dim2, "key2"), (self.by_dim, "by_key"))
        return {dim: name for dim, name in named if dim and dim != Dimension.ALL}

    @property
    def big_companies_only(self) -> bool:
        """A company's pair rows: only its months with aggregate.COMPANY_PAIR_MIN_PARTS parts or more."""
        return bool(self.dim2) and Dimension.COMPANY in (self.dim, self.dim2)


def _pair(dims: tuple[str, str], by_dim: str = "") -> Grouping:
    """The rows of a pair of filters (aggregate.PAIRS order), broken down by `by_dim` or not. They
    count company parts when either dimension does."""
    (dim, dim2), (column, parts), (column2, parts2) = dims, DIMENSIONS[dims[0]], DIMENSIONS[dims[1]]
    return Grouping(dim, column, parts or parts2, by_dim, BREAKDOWNS.get(by_dim), dim2, column2)


def _groupings() -> Iterator[Grouping]:
    """Every kind of cube row (MonthlyFigure), then every kind of pair row (PairFigure)."""
    for dim, (column, parts) in DIMENSIONS.items():
        yield Grouping(dim, column, parts)
        for by_dim, by_column in BREAKDOWNS.items():
            if by_dim != dim:
                yield Grouping(dim, column, parts, by_dim, by_column)
    for dims in aggregate.PAIRS:
        yield _pair(dims)
        for by_dim in BREAKDOWNS:
            if by_dim not in dims:
                yield _pair(dims, by_dim)
    yield from LOW_GROUPINGS


# The LowFigure rows: counting parts (with the sector) and cases (without), full and by conciliator.
LOW_GROUPINGS = tuple(
    Grouping(Dimension.ALL, None, parts, by_dim, BREAKDOWNS.get(by_dim), low=True)
    for parts in (True, False)
    for by_dim in ("", Dimension.CONCILIATOR)
)


def _derived() -> dict[Grouping, Grouping]:
    """Rows that are another grouping's under other labels (target ← source: the same cases grouped
    by the same dimensions and counted alike), which the SQL path copies instead of counting again:
    - each conciliator's and each channel's own rows are the "all cases" rows broken down by them;
    - a dimension's rows broken down by conciliator or by channel are the pair rows of the two, kept
      to their counters and resolution histogram (but a company's: its pairs skip its small months);
    - the pair rows of a dimension and the conciliator broken down by channel are those of the
      dimension and the channel broken down by conciliator."""
    derived: dict[Grouping, Grouping] = {}
    for by_dim, by_column in BREAKDOWNS.items():
        column, parts = DIMENSIONS[by_dim]
        derived[Grouping(by_dim, column, parts)] = Grouping(Dimension.ALL, None, False, by_dim, by_column)
    for dim, (column, parts) in DIMENSIONS.items():
        for by_dim, by_column in BREAKDOWNS.items():
            if dim not in (Dimension.ALL, Dimension.COMPANY, by_dim):
                derived[Grouping(dim, column, parts, by_dim, by_column)] = _pair(aggregate.pair(dim, by_dim))
    for dim in aggregate.PAIR_DIMENSIONS:
        if dim not in BREAKDOWNS:
            source = _pair(aggregate.pair(dim, Dimension.CHANNEL), Dimension.CONCILIATOR)
            derived[_pair(aggregate.pair(dim, Dimension.CONCILIATOR), Dimension.CHANNEL)] = source
    return derived


DERIVED = _derived()


def _facts_of(months: set[date] | None) -> QuerySet[CaseFact]:
    return CaseFact.objects.all() if months is None else CaseFact.objects.filter(filed_month__in=sorted(months))


def _big_company_months(facts: QuerySet[CaseFact]) -> set[tuple[str, date]]:
    """(company key, month) of the companies' months with at least COMPANY_PAIR_MIN_PARTS parts."""
    counted = (
        facts.filter(company__isnull=False)
        .values("company_id", "filed_month")
        .annotate(parts=Count("pk"))
        .filter(parts__gte=aggregate.COMPANY_PAIR_MIN_PARTS)
        .values_list("company_id", "filed_month")
    )
    return {(aggregate.cube_key(company_id), month) for company_id, month in counted}


def _counted(groupings: Iterable[Grouping], months: set[date] | None) -> list[Any]:
    """The rows of these groupings, by SQL GROUP BY over the facts (aggregate.summary_rows)."""
    facts = _facts_of(months)
    rows: list[Any] = []
    big: set[tuple[str, date]] | None = None
    for grouping in groupings:
        qs = facts if grouping.parts else facts.filter(lead=True)
        keys = grouping.keys
        group = ["filed_month", *(column for column in keys.values() if column)]
        summaries = aggregate.summary_rows(
            qs, group, stages=grouping.stages, states=grouping.full, parts=facts, once=not grouping.parts
        )
        for key, values in summaries.items():
            named = dict(zip(group, key, strict=True))
            fields = {name: aggregate.cube_key(named[column]) if column else "" for name, column in keys.items()}
            if grouping.big_companies_only:
                big = _big_company_months(facts) if big is None else big
                if (fields[grouping.fields[Dimension.COMPANY]], named["filed_month"]) not in big:
                    continue
            rows.append(grouping.model(month=named["filed_month"], **grouping.labels, **fields, **values))
    return rows


def cube_rows(months: set[date] | None) -> list[MonthlyFigure]:
    """Every MonthlyFigure row of these months (None: all), by SQL GROUP BY over the facts (the
    database-independent way; on PostgreSQL `write_cube` inserts the same rows without Python)."""
    return _counted((g for g in _groupings() if g.model is MonthlyFigure), months)


def pair_rows(months: set[date] | None) -> list[PairFigure]:
    """Every PairFigure row of these months (None: all), as `cube_rows`."""
    return _counted((g for g in _groupings() if g.model is PairFigure), months)


def low_rows(months: set[date] | None) -> list[LowFigure]:
    """Every LowFigure row of these months (None: all), as `cube_rows`."""
    return _counted(LOW_GROUPINGS, months)


def _key_expression(column: str | None) -> Any:
    """A dimension's value as text, as `aggregate.cube_key` writes it, in SQL."""
    if column is None:
        return Value("")
    if column == "vulnerable":
        return Case(When(vulnerable=True, then=Value("1")), default=Value("0"))
    if column.endswith("_id"):
        return Coalesce(Cast(column, CharField()), Value(""))
    return F(column)


def _in_big_company_months() -> RawSQL:
    """The fact row's company and month have at least aggregate.COMPANY_PAIR_MIN_PARTS parts, as the
    company's cube row (written just before the pair rows, `_groupings`) counts them. Uncorrelated,
    so that PostgreSQL hashes the few thousand big months once (a correlated EXISTS is probed row by
    row: ~3 s more per grouping at a million cases)."""
    cube = connection.ops.quote_name(MonthlyFigure._meta.db_table)
    facts = connection.ops.quote_name(CaseFact._meta.db_table)
    return RawSQL(
        f"({facts}.company_id, {facts}.filed_month) IN (SELECT NULLIF(key, '')::bigint, month FROM {cube} "
        "WHERE dim = %s AND by_dim = '' AND by_key = '' AND filed >= %s)",
        [Dimension.COMPANY, aggregate.COMPANY_PAIR_MIN_PARTS],
        output_field=BooleanField(),
    )


def _insert_rows(cursor: Any, grouping: Grouping, months: set[date] | None) -> None:
    """PostgreSQL: INSERT … SELECT the rows of one grouping. The counters are the ORM's own
    aggregates (aggregate.COUNTERS, compiled to SQL); the stage histograms and state counts are
    JSON objects built by jsonb_object_agg over GROUP BY days, exactly as `aggregate.histograms`
    and `aggregate.state_counts` count them (tests/reporting/test_refresh.py compares both)."""
    table = connection.ops.quote_name(grouping.model._meta.db_table)
    case_names, survey_names = list(aggregate.CASE_COUNTERS), list(aggregate.SURVEY_COUNTERS)
    # The key fields, as k0, k1… in the queries.
    aliases = {name: f"k{index}" for index, name in enumerate(grouping.keys)}
    keys = ", ".join(aliases.values())
    by = ", ".join(str(n) for n in range(1, len(aliases) + 2))  # GROUP BY the month and the keys
    joined = ", ".join(f"{{0}}.{alias}" for alias in ["filed_month", *aliases.values()])

    def keyed(facts: QuerySet[CaseFact]) -> QuerySet[CaseFact]:
        return facts.annotate(**{aliases[name]: _key_expression(column) for name, column in grouping.keys.items()})

    facts = keyed(_facts_of(months) if grouping.parts else _facts_of(months).filter(lead=True))
    if grouping.big_companies_only:
        facts = facts.filter(_in_big_company_months())
    columns = aggregate.stage_columns(once=not grouping.parts)
    base_sql, base_params = facts.values(
        "filed_month", *aliases.values(), "status", *columns.values()
    ).query.sql_with_params()
    counters_sql, counters_params = (
        facts.values("filed_month", *aliases.values())
        .annotate(**aggregate.case_counters(once=not grouping.parts))
        .order_by()
        .query.sql_with_params()
    )
    # The companies' answers: over every part of the cases (see aggregate.SURVEY_COUNTERS).
    surveys_sql, surveys_params = (
        keyed(aggregate.answered_by_companies(_facts_of(months)))
        .values("filed_month", *aliases.values())
        .annotate(**aggregate.SURVEY_COUNTERS)
        .order_by()
        .query.sql_with_params()
    )
    stages = ", ".join(f"('{stage}', base.{columns[stage]})" for stage in grouping.stages)
    states = (
        f"""SELECT filed_month, {keys}, jsonb_object_agg(status, n) AS states
        FROM (SELECT filed_month, {keys}, status, count(*) AS n FROM base GROUP BY {by}, status) AS s
        GROUP BY {by}"""
        if grouping.full
        else f"SELECT NULL::date AS filed_month, {', '.join(f'NULL AS {a}' for a in aliases.values())}, "
        "NULL::jsonb AS states WHERE false"
    )
    labels = grouping.labels
    cursor.execute(
        f"""
        WITH base AS ({base_sql}),
        counters AS ({counters_sql}),
        surveys AS ({surveys_sql}),
        days AS (
            SELECT filed_month, {keys}, s.stage, s.days, count(*) AS n
            FROM base CROSS JOIN LATERAL (VALUES {stages}) AS s(stage, days)
            WHERE s.days IS NOT NULL
            GROUP BY {by}, s.stage, s.days
        ),
        per_stage AS (
            SELECT filed_month, {keys}, stage, jsonb_object_agg(days::text, n) AS histogram
            FROM days GROUP BY {by}, stage
        ),
        histograms AS (
            SELECT filed_month, {keys}, jsonb_object_agg(stage, histogram) AS stage_days
            FROM per_stage GROUP BY {by}
        ),
        states AS ({states})
        INSERT INTO {table} (month, {", ".join(labels)}, {", ".join(aliases)},
            {", ".join(case_names + survey_names)}, stage_days, states)
        SELECT c.filed_month, {", ".join(["%s"] * len(labels))}, {", ".join(f"c.{a}" for a in aliases.values())},
            {", ".join(f"c.{name}" for name in case_names)},
            {", ".join(f"COALESCE(a.{name}, 0)" for name in survey_names)},
            COALESCE(h.stage_days, '{{}}'::jsonb), COALESCE(s.states, '{{}}'::jsonb)
        FROM counters AS c
        LEFT JOIN surveys AS a ON ({joined.format("a")}) = ({joined.format("c")})
        LEFT JOIN histograms AS h ON ({joined.format("h")}) = ({joined.format("c")})
        LEFT JOIN states AS s ON ({joined.format("s")}) = ({joined.format("c")})
        """,
        [*base_params, *counters_params, *surveys_params, *labels.values()],
    )


def _copy_rows(cursor: Any, target: Grouping, source: Grouping, months: set[date] | None) -> None:
    """PostgreSQL: write the rows of `target` as copies of those of `source` (DERIVED), each key
    field taken from the source's field of the same dimension; a breakdown copied from full rows
    keeps its counters and its resolution histogram only."""
    names = ", ".join(aggregate.COUNTERS)
    held = source.fields
    dims = {name: dim for dim, name in target.fields.items()}
    values = [held[dims[name]] if name in dims else "''" for name in target.keys]
    if target.full or not source.full:
        histograms = "stage_days, states"
    else:
        histograms = "jsonb_strip_nulls(jsonb_build_object('resolution', stage_days -> 'resolution')), '{}'::jsonb"
    where = " AND ".join(f"{name} = %s" for name in source.labels)
    params: list[Any] = [*target.labels.values(), *source.labels.values()]
    if months is not None:
        where += " AND month = ANY(%s)"
        params.append(sorted(months))
    cursor.execute(
        f"INSERT INTO {connection.ops.quote_name(target.model._meta.db_table)} "
        f"(month, {', '.join(target.labels)}, {', '.join(target.keys)}, {names}, stage_days, states) "
        f"SELECT month, {', '.join(['%s'] * len(target.labels))}, {', '.join(values)}, {names}, {histograms} "
        f"FROM {connection.ops.quote_name(source.model._meta.db_table)} WHERE {where}",
        params,
    )


def _insert_cube_rows(months: set[date] | None) -> None:
    """PostgreSQL: INSERT … SELECT every cube and pair row of these months: one query per grouping
    counted, then one per grouping copied (DERIVED)."""
    with connection.cursor() as cursor:
        # Compiling these aggregates costs more than running them (JIT): off for this transaction.
        cursor.execute("SET LOCAL jit = off")
        # The stage histograms hash a few million (row, stage) pairs per grouping at a million cases:
        # in memory rather than spilled to disk in batches (the default 4 MB).
        cursor.execute("SET LOCAL work_mem = '128MB'")
        cube_analyzed = False
        for grouping in _groupings():
            if grouping.big_companies_only and not cube_analyzed:
                # The pair rows read the big companies' months from the cube rows this transaction just
                # wrote. Without fresh statistics (a first build) PostgreSQL expects none and probes the
                # list once per fact: hours at a million cases instead of seconds.
                cursor.execute(f"ANALYZE {connection.ops.quote_name(MonthlyFigure._meta.db_table)}")
                cube_analyzed = True
            if grouping not in DERIVED:
                _insert_rows(cursor, grouping, months)
        for target, source in DERIVED.items():
            _copy_rows(cursor, target, source, months)


def write_cube(months: set[date] | None) -> None:
    """Replace the cube and pair rows of these months (None: all of them) in one transaction: readers
    see the old rows or the new ones, never a month half written."""
    rows = None if connection.vendor == "postgresql" else [*cube_rows(months), *pair_rows(months), *low_rows(months)]
    with transaction.atomic():
        for model in (MonthlyFigure, PairFigure, LowFigure):
            stale = model.objects.all() if months is None else model.objects.filter(month__in=months)
            stale.delete()
        if rows is None:
            _insert_cube_rows(months)
        else:
            MonthlyFigure.objects.bulk_create([r for r in rows if isinstance(r, MonthlyFigure)], batch_size=2000)
            PairFigure.objects.bulk_create([r for r in rows if isinstance(r, PairFigure)], batch_size=2000)
            LowFigure.objects.bulk_create([r for r in rows if isinstance(r, LowFigure)], batch_size=2000)


# --- Company and sector figures ---------------------------------------------------------------------


def window(today: date | None = None) -> tuple[date, date]:
    """Cases filed from the first day of the month twelve months before this one, to today."""
    today = today or timezone.localdate()
    month = today.replace(day=1)
    year, index = divmod(month.year * 12 + month.month - 1 - 12, 12)
    return date(year, index + 1, 1), today


COMPANY_COUNTERS = (
    "filed",
    "served",
    "answered",
    "closed",
    "with_outcome",
    "agreements_offer",
    "agreements_hearing",
    "compliance_settled",
    "complied",
    "satisfaction_sum",
    "satisfaction_count",
    "solved_yes",
    "solved_count",
)


def _figure_values(row: dict, stages: dict[str, dict[str, int]]) -> dict[str, Any]:
    """The figures a company (or a pooled sector) publishes, from its counters and histograms."""
    agreements = aggregate.agreements(row)
    return {
        "received": row["filed"],
        "served": row["served"],
        "answered": row["answered"],
        "closed": row["closed"],
        "with_outcome": row["with_outcome"],
        "agreements": agreements,
        "compliance_settled": row["compliance_settled"],
        "complied": row["complied"],
        "satisfaction_count": row["satisfaction_count"],
        "answered_share": aggregate.ratio(row["answered"], row["served"]),
        "agreement_rate": aggregate.ratio(agreements, row["with_outcome"]),
        "compliance_rate": aggregate.ratio(row["complied"], row["compliance_settled"]),
        "median_days_answer": aggregate.percentile(stages.get("answer", {}), 0.5),
        "median_days_resolution": aggregate.percentile(stages.get("resolution", {}), 0.5),
        "satisfaction": aggregate.ratio(row["satisfaction_sum"], row["satisfaction_count"]),
        "solved_share": aggregate.ratio(row["solved_yes"], row["solved_count"]),
    }


def _median(values: list[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def write_company_figures(today: date | None = None) -> int:
    """Recompute every CompanyFigure and SectorFigure over the window (replacing the old ones)."""
    start, end = window(today)
    now = timezone.now()
    facts = CaseFact.objects.filter(filed_month__gte=start, filed_on__lte=end, company__isnull=False)
    group = ["company_id", "company__sector"]
    rows = aggregate.counters(facts, group, COMPANY_COUNTERS)
    stages = aggregate.histograms(facts, ["company_id"], ("answer", "resolution"))
    minimum = settings.PUBLIC_MIN_CLOSED_CASES
    # Enough closed cases, and nameable (reporting/publication.py: not a human person, verified by
    # the office), the latter asked in SQL of the (few) companies with enough cases.
    enough = [key[0] for key, row in rows.items() if row["closed"] >= minimum]
    nameable_ids = set(nameable(Company.objects.filter(pk__in=enough)).values_list("pk", flat=True) if enough else [])
    figures: list[CompanyFigure] = []
    for (company_id, sector), row in rows.items():
        values = _figure_values(row, stages.get((company_id,), {}))
        figures.append(
            CompanyFigure(
                company_id=company_id,
                sector=sector,
                window_start=start,
                window_end=end,
                published=company_id in nameable_ids,
                refreshed_at=now,
                **values,
            )
        )
    sector_rows = aggregate.counters(facts, ["company__sector"], COMPANY_COUNTERS)
    sector_stages = aggregate.histograms(facts, ["company__sector"], ("answer", "resolution"))
    sectors: list[SectorFigure] = []
    for (sector,), row in sector_rows.items():
        published = [f for f in figures if f.sector == sector and f.published]
        values = _figure_values(row, sector_stages.get((sector,), {}))
        for name in ("served", "answered", "with_outcome", "agreements", "compliance_settled", "complied"):
            values.pop(name)
        values.pop("satisfaction_count")
        sectors.append(
            SectorFigure(
                sector=sector,
                window_start=start,
                window_end=end,
                companies=len(published),
                median_answered_share=_median([f.answered_share for f in published]),
                median_agreement_rate=_median([f.agreement_rate for f in published]),
                median_compliance_rate=_median([f.compliance_rate for f in published]),
                median_satisfaction=_median([f.satisfaction for f in published]),
                median_company_days_answer=_median([f.median_days_answer for f in published]),
                median_company_days_resolution=_median([f.median_days_resolution for f in published]),
                median_solved_share=_median([f.solved_share for f in published]),
                refreshed_at=now,
                **values,
            )
        )
    company_fields = [f.name for f in CompanyFigure._meta.concrete_fields if f.name != "company"]
    sector_fields = [f.name for f in SectorFigure._meta.concrete_fields if f.name != "sector"]
    with transaction.atomic():
        CompanyFigure.objects.exclude(company_id__in=[f.company_id for f in figures]).delete()
        CompanyFigure.objects.bulk_create(
            figures, update_conflicts=True, unique_fields=["company"], update_fields=company_fields, batch_size=2000
        )
        SectorFigure.objects.exclude(sector__in=[s.sector for s in sectors]).delete()
        SectorFigure.objects.bulk_create(
            sectors, update_conflicts=True, unique_fields=["sector"], update_fields=sector_fields
        )
    return len(figures)


# --- The "now" figures ---------------------------------------------------------------------------

LiveKey = tuple[str, str, bool, int | None, str, bool, bool, int | None]


def _part_keys(parts: list[tuple[int | None, str | None, int, int]]) -> list[tuple[int | None, str, bool, bool]]:
    """(company, sector, lead, first of its sector in the case) for each part of one case, from its
    (company, company's sector, position, pk) rows. A case without parts yet: one lead row."""
    present = sorted((p for p in parts if p[3] is not None), key=lambda p: (p[2], p[3]))
    if not present:
        return [(None, "", True, False)]
    keys, seen = [], set()
    for index, (company_id, sector, _position, _pk) in enumerate(present):
        sector = sector or Sector.OTHER
        keys.append((company_id, sector, index == 0, sector not in seen))
        seen.add(sector)
    return keys


def live_rows(now: datetime) -> list[LiveCount]:
    """The LiveCount rows at `now`: complaints awaiting admission, and open clocks overdue (due before
    `now`) or at risk (due from `now` to oversight's `at_risk_horizon(now)`, the same rule as the
    deadlines list and the supervisors' digest), per case's filter values and company part. Two
    queries (the submitted cases' parts; the clocks' cases' parts), grouped here."""
    horizon = at_risk_horizon(now)
    counts: dict[LiveKey, list[int]] = defaultdict(lambda: [0, 0, 0])
    part_fields = ("parts__company_id", "parts__company__sector", "parts__position", "parts__pk")

    cases: dict[int, tuple[tuple, list]] = {}
    for pk, province, channel, vulnerable, *part in Complaint.objects.filter(status=State.SUBMITTED).values_list(
        "pk", "consumer_province", "channel", "vulnerable", *part_fields
    ):
        cases.setdefault(pk, ((province or "", channel or "", bool(vulnerable)), []))[1].append(tuple(part))
    for case, parts in cases.values():
        for part_key in _part_keys(parts):
            counts[(*case, *part_key, None)][0] += 1

    clocks: dict[int, tuple[tuple, int | None, bool, list]] = {}
    for pk, due_at, assignee_id, province, channel, vulnerable, *part in Clock.objects.filter(
        closed_at__isnull=True, due_at__lte=horizon
    ).values_list(
        "pk",
        "due_at",
        "assignee_id",
        "complaint__consumer_province",
        "complaint__channel",
        "complaint__vulnerable",
        *(f"complaint__{name}" for name in part_fields),
    ):
        case = (province or "", channel or "", bool(vulnerable))
        clocks.setdefault(pk, (case, assignee_id, due_at < now, []))[3].append(tuple(part))
    for case, assignee_id, overdue, parts in clocks.values():
        for part_key in _part_keys(parts):
            counts[(*case, *part_key, assignee_id)][1 if overdue else 2] += 1

    names = ("province", "channel", "vulnerable", "company_id", "sector", "lead", "sector_first", "assignee_id")
    return [
        LiveCount(**dict(zip(names, key, strict=True)), backlog=backlog, overdue=overdue, due_soon=due_soon)
        for key, (backlog, overdue, due_soon) in counts.items()
    ]


def write_live_counts(now: datetime | None = None) -> int:
    """Replace the LiveCount rows and stamp `RefreshState.live_at` (one transaction)."""
    now = now or timezone.now()
    rows = live_rows(now)
    with transaction.atomic():
        LiveCount.objects.all().delete()
        LiveCount.objects.bulk_create(rows, batch_size=5000)
        RefreshState.objects.update_or_create(name=STATE_NAME, defaults={"live_at": now})
    return len(rows)


# --- The two entry points -------------------------------------------------------------------------


def _state() -> RefreshState:
    state, _created = RefreshState.objects.get_or_create(name=STATE_NAME)
    return state


def _rebuild(started: datetime, clock: float) -> RefreshResult:
    reload_calendar()
    # The calendar the facts are counted with, read before counting: a día inhábil declared while the
    # rebuild runs then differs from it, and the next refresh recounts the cases open over it.
    calendar = closed_weekdays(*_calendar_years())
    days = BusinessDayCounter()
    cases = 0
    ids: QuerySet[Complaint, int] = (
        Complaint.objects.filter(submitted_at__isnull=False).order_by("pk").values_list("pk", flat=True)
    )
    last = 0
    while True:
        chunk = list(ids.filter(pk__gt=last)[:BATCH])
        if not chunk:
            break
        build_facts_between(chunk[0], chunk[-1], days=days)
        cases += len(chunk)
        last = chunk[-1]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # fresh statistics for the cube's GROUP BY plans
            cursor.execute(f"ANALYZE {connection.ops.quote_name(CaseFact._meta.db_table)}")
    write_cube(None)
    months = MonthlyFigure.objects.filter(dim=Dimension.ALL, by_dim="").count()
    companies = write_company_figures()
    write_live_counts()
    state = _state()
    state.watermark = started
    state.calendar = calendar
    state.save()
    result = RefreshResult(full=True, cases=cases, months=months, companies=companies, seconds=time.monotonic() - clock)
    logger.info("Reporting rebuilt: %s", result)
    return result


def rebuild() -> RefreshResult:
    """Rebuild every fact row, the whole cube and the company and sector figures. Waits for a refresh
    that is running to finish."""
    clock = time.monotonic()
    with _exclusive(wait=True), _marked_even_if_it_fails():
        return _rebuild(timezone.now(), clock)


def refresh() -> RefreshResult:
    """The incremental refresh (see the module's docstring). The first run, with no watermark yet,
    is a full rebuild. Another refresh running: returns at once (`skipped`)."""
    clock = time.monotonic()
    with _exclusive(wait=False) as granted:
        if not granted:
            return RefreshResult(full=False, cases=0, months=0, companies=0, seconds=0.0, skipped=True)
        with _marked_even_if_it_fails():
            started = timezone.now()  # before reading anything: the next run starts from here
            state = _state()
            if state.watermark is None:
                return _rebuild(started, clock)
            reload_calendar()
            case_ids = _changed_cases(state.watermark - OVERLAP)
            calendar = closed_weekdays(*_calendar_years())
            changed_days = set(calendar) ^ set(state.calendar or [])
            if changed_days and state.calendar:
                case_ids |= _cases_open_over(changed_days)
            months = _build_in_batches(sorted(case_ids)) if case_ids else set()
            if months:
                write_cube(months)
            figure = CompanyFigure.objects.values_list("window_end", flat=True).first()
            companies = 0
            if months or figure != timezone.localdate():
                companies = write_company_figures()
            write_live_counts()
            state = _state()  # write_live_counts stamped live_at on it
            state.watermark = started
            state.calendar = calendar
            state.save()
    result = RefreshResult(
        full=False, cases=len(case_ids), months=len(months), companies=companies, seconds=time.monotonic() - clock
    )
    logger.info("Reporting refreshed: %s", result)
    return result
