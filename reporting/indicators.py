"""The office's indicators, read from the summary tables (reporting/models.py).

This module is the contract every reporting page reads: the dashboard (reporting/views/dashboard.py),
a company's own figures, the public pages, the JSON API. `figures(filters)` answers with a constant
number of queries whatever the number of cases.

Definitions (each tested against a hand calculation in tests/reporting/):
- A case belongs to the month it was filed (its cohort); the period filter selects filing months.
- Stage times are business days of the office's calendar between the events that open and close the
  stage (reporting/facts.py); medians and 90th percentiles are exact (nearest-rank) over the cases
  that completed the stage.
- Rates divide by the cases (or a company's parts) that reached the point the rate is about: the
  agreement rate by those with an outcome, the compliance rate by agreements whose compliance is
  settled, the answered share by parts served. Referral and withdrawal rates divide by those with an
  outcome too; satisfaction is the mean of the consumers' answers (1 to 5), "solved" the share of
  "yes" among the answers to that question.
- A case counts once (its lead company's row) unless a company or a sector is chosen: then each
  company's part of a case counts (a company's part is its case). Counted once, a case is closed when
  every company's part has ended, its resolution runs to that day, and its company absences are
  those of any company (the fact row's `case_*` columns, reporting/aggregate.py ONCE_COUNTERS).
- Surveys answered: the consumers' answers, plus the companies' answers of every company of the
  cases counted (a case of three companies that all answered, and its consumer: four), also when
  each case counts once. `Rates.company_satisfaction` is the mean of those companies' satisfaction
  answers (1 to 5); `company_solved` and `company_would_return` the shares of "yes".
- "Now" (admission backlog, deadlines overdue and at risk): counted by each refresh, not live
  (`Figures.live_at` says when); see `_live`.

How: with at most one filter besides the period, `figures` adds up the cube's rows (MonthlyFigure:
counters summed in SQL, stage histograms merged here, a handful of rows); with two filters, the pair
rows of those two (PairFigure, the same shape, every pair of the dashboard's filters); with three or
four of province, sector, channel and hipervulnerable, their rows (LowFigure, `_from_low`); with a
company, its own sector and one more filter, the company's pair rows (`_company_sector_redundant`);
with any other three or more, it runs the very same aggregation over the fact rows
(reporting/aggregate.py), in one query on PostgreSQL. All give equal Figures (tested). At a million
cases the summary rows answer in a few milliseconds; the facts path finds the period's rows of any
combination of the low-cardinality filters (province, sector, channel, hipervulnerable, conciliator)
through the index
`casefact_month_dims`, which checks them all in the index, and a company's through its own index:
6 to 50 ms of SQL for up to 13,000 rows (bench/RESULTS.md, sessions 6 and 7).
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from complaints.models import Channel
from complaints.states import State
from parties.models import User

from . import aggregate
from .facts import STAGE_COLUMNS
from .models import (
    REFRESH_STATE,
    CaseFact,
    Dimension,
    LiveCount,
    LowFigure,
    MonthlyFigure,
    PairFigure,
    RefreshState,
    Stage,
)


@dataclass(frozen=True)
class Filters:
    """What the person asked for. `start`/`end` are first days of months (inclusive)."""

    start: date
    end: date
    province: str = ""
    company_id: int | None = None
    sector: str = ""
    channel: str = ""
    conciliator_id: int | None = None
    vulnerable: bool | None = None


@dataclass(frozen=True)
class StageFigure:
    stage: str  # reporting.models.Stage value
    label: str
    cases: int  # cases that completed the stage
    median: float | None
    p90: float | None
    target: int  # settings.STAGE_TARGET_DAYS[stage]
    within_target: float | None  # share of cases that completed the stage within the target


@dataclass(frozen=True)
class Rates:
    agreement_offer: float | None  # agreements by an accepted offer before the hearing / with outcome
    agreement_hearing: float | None  # agreements at the hearing / with outcome
    agreement: float | None  # both / with outcome
    compliance: float | None  # complied / compliance settled
    referral: float | None  # referred to the legal directorate / with outcome
    withdrawal: float | None  # withdrawn / with outcome
    answered: float | None  # answered / served
    satisfaction: float | None  # mean of the consumers' answers, 1 to 5
    solved: float | None  # "yes" / answers to "was it solved?"
    would_return: float | None  # "yes" / answers to "would you use it again?"
    # The companies' own survey answers (every company of the cases counted): the mean satisfaction
    # (1 to 5), the share of "yes" to "was the complaint resolved?" and to "would you use it again?".
    company_satisfaction: float | None = None
    company_solved: float | None = None
    company_would_return: float | None = None


@dataclass(frozen=True)
class Row:
    """One line of a breakdown table (by conciliator, by channel, by month)."""

    key: str
    label: str
    filed: int
    with_outcome: int
    agreements: int
    agreement_rate: float | None
    hearings_held: int
    median_resolution: float | None = None


@dataclass(frozen=True)
class Figures:
    filters: Filters
    filed: int
    admitted: int
    rejected: int
    closed: int
    with_outcome: int
    by_state: list[tuple[str, str, int]]  # (state, label, cases) of the period's cases, now
    stages: list[StageFigure]
    rates: Rates
    hearings_held: int
    consumer_absences: int
    company_absences: int
    adjournments: int
    surveys_answered: int
    by_conciliator: list[Row]
    by_channel: list[Row]
    trend: list[Row]  # one row per month of the period, key "YYYY-MM"
    # Now, whatever the period, as counted by the last refresh at `live_at` (None: never counted):
    # complaints awaiting admission (None with a conciliator chosen: admission is not a
    # conciliator's, show "—"), open deadline clocks overdue, and due by the end of the next business
    # day (oversight's `at_risk_horizon`, as the deadlines list and the digest count them).
    admission_backlog: int | None = 0
    deadlines_overdue: int = 0
    deadlines_due_soon: int = 0
    live_at: datetime | None = None
    # Where the figures come from: "cube" (one filter or none), "pairs" (two, or a company with its
    # own sector and one more), "low" (three or four of province, sector, channel, hipervulnerable)
    # or "facts" (the others).
    source: str = "cube"
    notes: list[str] = field(default_factory=list)


# --- figures(): the cube for one filter or none, the pairs for two, the facts for more ----------

# The filters and the cube dimension (and fact column) each one selects.
_FILTER_DIMS: tuple[tuple[str, str, str], ...] = (
    ("province", Dimension.PROVINCE, "province"),
    ("company_id", Dimension.COMPANY, "company_id"),
    ("sector", Dimension.SECTOR, "sector"),
    ("channel", Dimension.CHANNEL, "channel"),
    ("conciliator_id", Dimension.CONCILIATOR, "conciliator_id"),
    ("vulnerable", Dimension.VULNERABLE, "vulnerable"),
)
# The breakdowns every figure carries: by conciliator and by channel.
_BREAKDOWNS = {Dimension.CONCILIATOR: "conciliator_id", Dimension.CHANNEL: "channel"}
_MONTH_FIELDS = (*aggregate.COUNTERS, "stage_days", "states")


def _chosen(filters: Filters) -> list[tuple[str, str, Any]]:
    """(dimension, fact column, value) of each filter set besides the period."""
    chosen = []
    for attribute, dim, column in _FILTER_DIMS:
        value = getattr(filters, attribute)
        if value is None or value == "":
            continue
        chosen.append((dim, column, value))
    return chosen


def counts_parts(filters: Filters) -> bool:
    """With a company or a sector chosen, each company's part counts (a company's part is its case);
    otherwise each case counts once (its lead row)."""
    return filters.company_id is not None or bool(filters.sector)


def months_of(start: date, end: date) -> list[date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


Breakdown = dict[str, dict[str, dict[str, Any]]]  # by_dim → by_key → counters and "resolution"


def _from_cube(filters: Filters, start: date, end: date, chosen: list[tuple[str, str, Any]]) -> tuple[list, Breakdown]:
    dim, _column, value = chosen[0] if chosen else (Dimension.ALL, "", None)
    rows = MonthlyFigure.objects.filter(month__gte=start, month__lte=end, dim=dim, key=aggregate.cube_key(value))
    month_rows, breakdown = _summed(rows)
    return month_rows, _chosen_lines(month_rows, breakdown, chosen)


def _from_pairs(
    filters: Filters,
    start: date,
    end: date,
    chosen: list[tuple[str, str, Any]],
    *,
    facts_chosen: list[tuple[str, str, Any]] | None = None,
) -> tuple[list, Breakdown]:
    """The pair rows of the two filters chosen. A company's pairs skip its months with fewer than
    aggregate.COMPANY_PAIR_MIN_PARTS parts (reporting/refresh.py): those few rows are read from the
    facts (one more query, on the index on company and month), the company's months told apart by
    its cube rows (one query), by the very rule the refresh wrote them with. `facts_chosen`: the
    filters those fact rows are chosen by, when they are more than the pair (a company's own sector,
    `_company_sector_redundant`)."""
    pair_chosen = [c for c in chosen if c[0] != Dimension.SECTOR] if len(chosen) == 3 else chosen
    if facts_chosen is None and len(chosen) == 3:
        facts_chosen = chosen
    (dim, _column, value), (dim2, _column2, value2) = pair_chosen  # in aggregate.PAIRS order (_FILTER_DIMS)
    rows = PairFigure.objects.filter(
        month__gte=start,
        month__lte=end,
        dim=dim,
        key=aggregate.cube_key(value),
        dim2=dim2,
        key2=aggregate.cube_key(value2),
    )
    month_rows, breakdown = _summed(rows)
    if Dimension.COMPANY in (dim, dim2):
        company = aggregate.cube_key(value if dim == Dimension.COMPANY else value2)
        small = list(
            MonthlyFigure.objects.filter(
                dim=Dimension.COMPANY,
                key=company,
                by_dim="",
                by_key="",
                month__gte=start,
                month__lte=end,
                filed__lt=aggregate.COMPANY_PAIR_MIN_PARTS,
            ).values_list("month", flat=True)
        )
        if small:
            more_rows, more = _from_facts(filters, start, end, facts_chosen or chosen, months=small)
            month_rows += more_rows
            breakdown = _merged(breakdown, more)
    return month_rows, _chosen_lines(month_rows, breakdown, pair_chosen)


def _company_sector_redundant(start: date, end: date, chosen: list[tuple[str, str, Any]]) -> bool:
    """A company, a sector and one more filter, where the sector selects every part of the company in
    the period: the company's pair with the third filter answers (`_from_pairs`, its months under
    the minimum read from the facts with the sector). The fact rows carry the company's sector of
    the day they were built (a company moved to another sector keeps old rows until rebuilt), so it
    is checked, in one query on the summary rows: in every month of the company that has pair rows
    (its cube row's `filed` at least aggregate.COMPANY_PAIR_MIN_PARTS), the pair (company, sector)
    counts as many parts as the company's cube row."""
    dims = {dim: value for dim, _column, value in chosen}
    if len(chosen) != 3 or Dimension.COMPANY not in dims or Dimension.SECTOR not in dims:
        return False
    company = aggregate.cube_key(dims[Dimension.COMPANY])
    same = PairFigure.objects.filter(
        dim=Dimension.COMPANY,
        key=company,
        dim2=Dimension.SECTOR,
        key2=aggregate.cube_key(dims[Dimension.SECTOR]),
        by_dim="",
        by_key="",
        month=OuterRef("month"),
        filed=OuterRef("filed"),
    )
    other = MonthlyFigure.objects.filter(
        dim=Dimension.COMPANY,
        key=company,
        by_dim="",
        by_key="",
        month__gte=start,
        month__lte=end,
        filed__gte=aggregate.COMPANY_PAIR_MIN_PARTS,
    ).exclude(Exists(same))
    return not other.exists()


# The low-cardinality filters LowFigure combines, and the field holding each one's value.
_LOW_FIELDS: dict[str, str] = {
    Dimension.PROVINCE: "province",
    Dimension.SECTOR: "sector",
    Dimension.CHANNEL: "channel",
    Dimension.VULNERABLE: "vulnerable",
}


def _from_low(filters: Filters, start: date, end: date, chosen: list[tuple[str, str, Any]]) -> tuple[list, Breakdown]:
    """Three or four of the low-cardinality filters: the LowFigure rows of the values chosen (counting
    parts with a sector, cases without), summed here over the filter left out (at most 24 rows a
    month: the provinces), their histograms merged; the lines by channel are the channel's rows, the
    lines by conciliator the breakdown rows. Three queries, as the cube."""
    rows = LowFigure.objects.filter(
        month__gte=start,
        month__lte=end,
        counted="parts" if counts_parts(filters) else "cases",
        **{_LOW_FIELDS[dim]: aggregate.cube_key(value) for dim, _column, value in chosen},
    )
    by_month: dict[date, list[dict]] = {}
    by_channel: dict[str, list[dict]] = {}
    for row in rows.filter(by_dim="").values("month", "channel", *_MONTH_FIELDS):
        by_month.setdefault(row["month"], []).append(row)
        by_channel.setdefault(row["channel"], []).append(row)
    month_rows = [{"month": month, **_added(month_lines)} for month, month_lines in by_month.items()]
    breakdown = _cube_breakdown(rows)
    breakdown[Dimension.CHANNEL] = {
        channel: {
            **{n: sum(line[n] for line in lines) for n in aggregate.ROW_COUNTERS},
            "resolution": aggregate.merge(line["stage_days"].get("resolution") for line in lines),
        }
        for channel, lines in by_channel.items()
    }
    return month_rows, _chosen_lines(month_rows, breakdown, chosen)


def _added(rows: list[dict]) -> dict[str, Any]:
    """Summary rows of one month as one: counters added, stage histograms and states merged."""
    stages = {stage for row in rows for stage in row["stage_days"]}
    return {
        **{n: sum(row[n] for row in rows) for n in aggregate.COUNTERS},
        "stage_days": {stage: aggregate.merge(row["stage_days"].get(stage) for row in rows) for stage in stages},
        "states": aggregate.merge(row["states"] for row in rows),
    }


def _summed(rows: QuerySet[MonthlyFigure] | QuerySet[PairFigure]) -> tuple[list, Breakdown]:
    """The month rows (counters, stage histograms and states) and the breakdowns of these summary
    rows: three queries."""
    return list(rows.filter(by_dim="").values("month", *_MONTH_FIELDS)), _cube_breakdown(rows)


def _chosen_lines(month_rows: list[dict], breakdown: Breakdown, chosen: list[tuple[str, str, Any]]) -> Breakdown:
    """Broken down by a dimension chosen: one line, the totals (the summary rows keep no such rows)."""
    for dim, _column, value in chosen:
        if dim in _BREAKDOWNS and month_rows:
            line = {n: sum(row[n] for row in month_rows) for n in aggregate.ROW_COUNTERS}
            line["resolution"] = aggregate.merge(row["stage_days"].get("resolution") for row in month_rows)
            breakdown[dim] = {aggregate.cube_key(value): line}
    return breakdown


def _merged(first: Breakdown, second: Breakdown) -> Breakdown:
    """Two breakdowns of different months as one: each line's counters added, histograms merged."""
    merged: Breakdown = {by_dim: dict(lines) for by_dim, lines in first.items()}
    for by_dim, lines in second.items():
        into = merged.setdefault(by_dim, {})
        for key, line in lines.items():
            if key not in into:
                into[key] = line
                continue
            into[key] = {
                **{n: into[key][n] + line[n] for n in aggregate.ROW_COUNTERS},
                "resolution": aggregate.merge([into[key].get("resolution"), line.get("resolution")]),
            }
    return merged


def _cube_breakdown(rows: QuerySet[MonthlyFigure] | QuerySet[PairFigure] | QuerySet[LowFigure]) -> Breakdown:
    """The lines by conciliator and by channel from the cube's breakdown rows: their counters summed
    in SQL, their resolution histograms merged here (one per month and line: a handful)."""
    breakdown: Breakdown = {by_dim: {} for by_dim in _BREAKDOWNS}
    by_rows = rows.filter(by_dim__in=list(_BREAKDOWNS))
    sums: dict[str, Any] = {n: Sum(n) for n in aggregate.ROW_COUNTERS}
    for row in by_rows.values("by_dim", "by_key").annotate(**sums):
        line: dict[str, Any] = dict(row)
        breakdown[line["by_dim"]][line["by_key"]] = {n: line[n] for n in aggregate.ROW_COUNTERS}
    resolutions: dict[tuple[str, str], list] = {}
    for by_dim, by_key, histogram in by_rows.values_list("by_dim", "by_key", "stage_days__resolution"):
        resolutions.setdefault((by_dim, by_key), []).append(histogram)
    for (by_dim, by_key), histograms in resolutions.items():
        breakdown[by_dim][by_key]["resolution"] = aggregate.merge(histograms)
    return breakdown


def _filed(start: date, end: date, months: list[date] | None) -> QuerySet[CaseFact]:
    """The fact rows filed in the period, or in these months of it."""
    if months is not None:
        return CaseFact.objects.filter(filed_month__in=months)
    return CaseFact.objects.filter(filed_month__gte=start, filed_month__lte=end)


def _facts(
    filters: Filters, start: date, end: date, chosen: list[tuple[str, str, Any]], months: list[date] | None = None
) -> QuerySet[CaseFact]:
    facts = _filed(start, end, months)
    if not counts_parts(filters):
        facts = facts.filter(lead=True)
    return facts.filter(**{column: value for _dim, column, value in chosen})


def _breakdown(facts: QuerySet[CaseFact], *, once: bool) -> Breakdown:
    """The lines by conciliator and by channel: counters and resolution histograms, two queries each
    (`once`: lead rows, each case counted once)."""
    breakdown: Breakdown = {}
    for by_dim, column in _BREAKDOWNS.items():
        lines = aggregate.counters(facts, [column], aggregate.ROW_COUNTERS, once=once)
        resolutions = aggregate.histograms(facts, [column], ("resolution",), once=once)
        breakdown[by_dim] = {
            aggregate.cube_key(key[0]): {**line, "resolution": resolutions.get(key, {}).get("resolution", {})}
            for key, line in lines.items()
        }
    return breakdown


def _from_facts(
    filters: Filters, start: date, end: date, chosen: list[tuple[str, str, Any]], months: list[date] | None = None
) -> tuple[list, Breakdown]:
    """The figures' month rows and breakdowns from the fact rows of the period (or of these months of
    it): one query on PostgreSQL."""
    facts = _facts(filters, start, end, chosen, months)
    # Every part of the cases counted: the companies' survey answers (aggregate.SURVEY_COUNTERS).
    parts = _filed(start, end, months).filter(**{column: value for _dim, column, value in chosen})
    once = not counts_parts(filters)
    if connection.vendor == "postgresql":
        return _from_facts_in_one_pass(facts, parts, once=once)
    summaries = aggregate.summary_rows(facts, ["filed_month"], parts=parts, once=once)
    month_rows = [{"month": month, **values} for (month,), values in summaries.items()]
    return month_rows, _breakdown(facts, once=once)


# The fact columns the facts path reads (the single pass keeps only these in memory).
_READ = (
    "part_id",
    "filed_month",
    "conciliator_id",
    "channel",
    "status",
    "outcome",
    "served",
    "answered",
    "closed",
    "referred",
    "complied",
    "hearings_held",
    "consumer_absences",
    "company_absences",
    "adjournments",
    "consumer_satisfaction",
    "consumer_solved",
    "consumer_would_return",
    *STAGE_COLUMNS.values(),
    *aggregate.ONCE_COLUMNS.values(),
)
_SURVEY_READ = ("part_id", "filed_month", "company_satisfaction", "company_solved", "company_would_return")
_TABLE = '"reporting_casefact"'


def _over(cte: str, qs: QuerySet[CaseFact, Any]) -> tuple[str, tuple]:
    """An ORM aggregate over the whole table (no condition of its own but its aggregates' and
    filters'), compiled, then read from the CTE `cte` (which takes the table's name as its alias, so
    the compiled column references hold)."""
    sql, params = qs.order_by().query.sql_with_params()
    assert sql.count(f"FROM {_TABLE}") == 1 and " JOIN " not in sql, sql
    return sql.replace(f"FROM {_TABLE}", f"FROM {cte} AS {_TABLE}"), params


def _from_facts_in_one_pass(
    facts: QuerySet[CaseFact], parts: QuerySet[CaseFact], *, once: bool
) -> tuple[list, Breakdown]:
    """PostgreSQL: the facts path in ONE query that reads the filtered fact rows once (a
    materialized CTE of the columns needed) and aggregates them there: counters per month (the very
    aggregates of aggregate.CASE_COUNTERS, compiled by the ORM), the companies' answers over every
    part, the stage histograms, the states, and the lines by conciliator and by channel. Each
    aggregate comes back as a JSON array. The same figures as `aggregate.summary_rows` and
    `_breakdown` (tests/reporting/test_indicators.py compares them with the cube)."""
    base_sql, base_params = facts.order_by().values(*_READ).query.sql_with_params()
    answers = aggregate.answered_by_companies(parts).order_by().values(*_SURVEY_READ)
    answers_sql, answers_params = answers.query.sql_with_params()
    every = CaseFact.objects.all()
    counters = aggregate.case_counters(once)
    row_counters = {n: counters[n] for n in aggregate.ROW_COUNTERS}
    resolution = aggregate.stage_columns(once)["resolution"]
    pieces: dict[str, tuple[str, tuple]] = {
        "months": _over("f", every.values("filed_month").annotate(**counters)),
        "surveys": _over("g", every.values("filed_month").annotate(**aggregate.SURVEY_COUNTERS)),
        "conciliators": _over("f", every.values("conciliator_id").annotate(**row_counters)),
        "channels": _over("f", every.values("channel").annotate(**row_counters)),
    }
    # The stage histograms in one pass over the rows, a grouping set per stage column: GROUPING()
    # has a 0 bit for the set's column (the leftmost column is the highest bit), the other columns
    # are NULL there, so COALESCE gives the set's days (NULL days, a stage not completed, left out).
    columns = list(aggregate.stage_columns(once).values())
    unset = {
        (2 ** len(columns) - 1) ^ (1 << (len(columns) - 1 - i)): stage
        for i, stage in enumerate(aggregate.stage_columns(once))
    }
    listed = ", ".join(columns)
    raw = {
        "days": f"""SELECT filed_month, GROUPING({listed}) AS unset, COALESCE({listed}) AS days, count(*) AS n
            FROM f GROUP BY GROUPING SETS ({", ".join(f"(filed_month, {column})" for column in columns)})
            HAVING COALESCE({listed}) IS NOT NULL""",
        "states": "SELECT filed_month, status, count(*) AS n FROM f GROUP BY 1, 2",
        "resolutions": f"""SELECT conciliator_id, channel, {resolution} AS days, count(*) AS n,
                GROUPING(conciliator_id) AS by_channel
            FROM f WHERE {resolution} IS NOT NULL
            GROUP BY GROUPING SETS ((conciliator_id, {resolution}), (channel, {resolution}))""",
    }
    columns = [
        f"(SELECT coalesce(jsonb_agg(to_jsonb(t)), '[]') FROM ({sql}) AS t) AS {name}"
        for name, (sql, _p) in pieces.items()
    ]
    columns += [
        f"(SELECT coalesce(jsonb_agg(to_jsonb(t)), '[]') FROM ({sql}) AS t) AS {name}" for name, sql in raw.items()
    ]
    params = [*base_params, *answers_params]
    for _sql, piece_params in pieces.values():
        params.extend(piece_params)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH f AS MATERIALIZED ({base_sql}), g AS MATERIALIZED ({answers_sql}) SELECT {', '.join(columns)}",
            params,
        )
        found = dict(zip([*pieces, *raw], cursor.fetchone(), strict=True))
    found = {name: json.loads(value) if isinstance(value, str) else value for name, value in found.items()}

    rows: dict[str, dict[str, Any]] = {}
    for line in found["months"]:
        month = line.pop("filed_month")
        rows[month] = {**line, **dict.fromkeys(aggregate.SURVEY_COUNTERS, 0), "stage_days": {}, "states": {}}
    for line in found["surveys"]:
        if line["filed_month"] in rows:
            rows[line["filed_month"]].update({n: line[n] for n in aggregate.SURVEY_COUNTERS})
    for line in found["days"]:
        rows[line["filed_month"]]["stage_days"].setdefault(unset[line["unset"]], {})[str(line["days"])] = line["n"]
    for line in found["states"]:
        rows[line["filed_month"]]["states"][line["status"]] = line["n"]
    month_rows = [{"month": date.fromisoformat(month), **values} for month, values in rows.items()]

    breakdown: Breakdown = {}
    for by_dim, column, name in (
        (Dimension.CONCILIATOR, "conciliator_id", "conciliators"),
        (Dimension.CHANNEL, "channel", "channels"),
    ):
        breakdown[by_dim] = {
            aggregate.cube_key(line[column]): {**{n: line[n] for n in aggregate.ROW_COUNTERS}, "resolution": {}}
            for line in found[name]
        }
    for line in found["resolutions"]:
        by_dim, column = (
            (Dimension.CHANNEL, "channel") if line["by_channel"] else (Dimension.CONCILIATOR, "conciliator_id")
        )
        breakdown[by_dim][aggregate.cube_key(line[column])]["resolution"][str(line["days"])] = line["n"]
    return month_rows, breakdown


def _row(key: str, label: str, line: Mapping[str, Any]) -> Row:
    agreements = line["agreements_offer"] + line["agreements_hearing"]
    return Row(
        key=key,
        label=label,
        filed=line["filed"],
        with_outcome=line["with_outcome"],
        agreements=agreements,
        agreement_rate=aggregate.ratio(agreements, line["with_outcome"]),
        hearings_held=line["hearings_held"],
        median_resolution=aggregate.percentile(line.get("resolution") or {}, 0.5),
    )


def _conciliator_labels(keys: Iterable[str]) -> dict[str, str]:
    ids = [int(key) for key in keys if key]
    labels = {
        str(pk): (f"{first} {last}".strip() or email)
        for pk, first, last, email in User.objects.filter(pk__in=ids).values_list(
            "pk", "first_name", "last_name", "email"
        )
    }
    labels[""] = _("No hearing yet")
    return labels


def _lines(lines: Mapping[str, Mapping[str, Any]], labels: Mapping[str, str]) -> list[Row]:
    rows = [_row(key, labels.get(key, key), line) for key, line in lines.items()]
    return sorted(rows, key=lambda row: (-row.filed, row.label))


def _channel_label(key: str) -> str:
    return str(Channel(key).label) if key in Channel.values else key


def _live(filters: Filters) -> tuple[int | None, int, int, datetime | None]:
    """The "now" figures the last refresh counted (LiveCount, reporting/refresh.py): one SUM over
    its rows, whatever the filters, and the time they were counted. Without a company or a sector,
    lead rows (each case once); with a company, its parts (a company is named once per case); with a
    sector only, one row per case and sector. With a conciliator, the clocks assigned to them and no
    admission backlog (None)."""
    rows = LiveCount.objects.all()
    if filters.company_id is not None:
        rows = rows.filter(company_id=filters.company_id)
    if filters.sector:
        rows = rows.filter(sector=filters.sector)
        if filters.company_id is None:
            rows = rows.filter(sector_first=True)
    if filters.company_id is None and not filters.sector:
        rows = rows.filter(lead=True)
    if filters.province:
        rows = rows.filter(province=filters.province)
    if filters.channel:
        rows = rows.filter(channel=filters.channel)
    if filters.vulnerable is not None:
        rows = rows.filter(vulnerable=filters.vulnerable)
    if filters.conciliator_id is not None:
        rows = rows.filter(assignee_id=filters.conciliator_id)
    found = rows.aggregate(backlog=Sum("backlog"), overdue=Sum("overdue"), due_soon=Sum("due_soon"))
    live_at = RefreshState.objects.filter(name=REFRESH_STATE).values_list("live_at", flat=True).first()
    backlog = None if filters.conciliator_id is not None else found["backlog"] or 0
    return backlog, found["overdue"] or 0, found["due_soon"] or 0, live_at


# Where figures() reads from, by the number of filters chosen besides the period.
_SOURCES = {"cube": _from_cube, "pairs": _from_pairs, "low": _from_low, "facts": _from_facts}


def figures(filters: Filters, *, source: str = "") -> Figures:
    """Every indicator of the dashboard for these filters, in a constant number of queries: with at
    most one filter besides the period, from the cube (MonthlyFigure); with two, from the pair rows
    (PairFigure); with three or four low-cardinality ones, from their rows (LowFigure, source "low");
    with a company, its own sector and one more, from the company's pairs; otherwise from the fact
    rows (the same SQL aggregation the summary rows are built with, so all give the same figures).
    `source="facts"` (or the natural summary rows: "cube" for at most one filter, "pairs" for two,
    "low" for three or four low-cardinality ones) forces a path: the tests compare them; the bench
    times them."""
    start, end = filters.start.replace(day=1), filters.end.replace(day=1)
    chosen = _chosen(filters)
    natural = "cube" if len(chosen) <= 1 else "pairs" if len(chosen) == 2 else "facts"
    if natural == "facts" and all(dim in _LOW_FIELDS for dim, _column, _value in chosen):
        natural = "low"
    if source not in _SOURCES:
        source = natural
        if natural == "facts" and _company_sector_redundant(start, end, chosen):
            source = "pairs"
    elif source != "facts" and source != natural:
        raise ValueError(f"{len(chosen)} filters are not in the {source}: read the {natural} or the facts.")
    month_rows, breakdown = _SOURCES[source](filters, start, end, chosen)
    return _assemble(filters, start, end, source, month_rows, breakdown)


def _assemble(
    filters: Filters, start: date, end: date, source: str, month_rows: list[dict], breakdown: Breakdown
) -> Figures:
    totals = {name: sum(row[name] for row in month_rows) for name in aggregate.COUNTERS}
    stage_days = {
        stage: aggregate.merge(row["stage_days"].get(stage) for row in month_rows)
        for stage in ("admission", "service", "first_hearing", "outcome", "compliance", "resolution")
    }
    states = aggregate.merge(row["states"] for row in month_rows)
    stages = []
    for stage in Stage:
        histogram = stage_days[stage.value]
        target = settings.STAGE_TARGET_DAYS[stage.value]
        stages.append(
            StageFigure(
                stage=stage.value,
                label=str(stage.label),
                cases=aggregate.cases_in(histogram),
                median=aggregate.percentile(histogram, 0.5),
                p90=aggregate.percentile(histogram, 0.9),
                target=target,
                within_target=aggregate.within(histogram, target),
            )
        )
    with_outcome = totals["with_outcome"]
    agreements = totals["agreements_offer"] + totals["agreements_hearing"]
    rates = Rates(
        agreement_offer=aggregate.ratio(totals["agreements_offer"], with_outcome),
        agreement_hearing=aggregate.ratio(totals["agreements_hearing"], with_outcome),
        agreement=aggregate.ratio(agreements, with_outcome),
        compliance=aggregate.ratio(totals["complied"], totals["compliance_settled"]),
        referral=aggregate.ratio(totals["referred"], with_outcome),
        withdrawal=aggregate.ratio(totals["withdrawn"], with_outcome),
        answered=aggregate.ratio(totals["answered"], totals["served"]),
        satisfaction=aggregate.ratio(totals["satisfaction_sum"], totals["satisfaction_count"]),
        solved=aggregate.ratio(totals["solved_yes"], totals["solved_count"]),
        would_return=aggregate.ratio(totals["would_return_yes"], totals["would_return_count"]),
        company_satisfaction=aggregate.ratio(totals["company_satisfaction_sum"], totals["company_satisfaction_count"]),
        company_solved=aggregate.ratio(totals["company_solved_yes"], totals["company_solved_count"]),
        company_would_return=aggregate.ratio(totals["company_would_return_yes"], totals["company_would_return_count"]),
    )
    by_month = {row["month"]: row for row in month_rows}
    trend = []
    for month in months_of(start, end):
        row = by_month.get(month)
        line = {n: row[n] if row else 0 for n in aggregate.ROW_COUNTERS}
        line["resolution"] = row["stage_days"].get("resolution", {}) if row else {}
        trend.append(_row(f"{month:%Y-%m}", date_format(month, "YEAR_MONTH_FORMAT"), line))
    conciliators = breakdown.get(Dimension.CONCILIATOR, {})
    channels = breakdown.get(Dimension.CHANNEL, {})
    backlog, overdue, due_soon, live_at = _live(filters)
    notes = []
    if counts_parts(filters):
        notes.append(_("With a company or a sector chosen, each company's part of a case counts as one case."))
    labels = dict(State.choices)
    return Figures(
        filters=filters,
        filed=totals["filed"],
        admitted=totals["admitted"],
        rejected=totals["rejected"],
        closed=totals["closed"],
        with_outcome=with_outcome,
        by_state=[(state, str(labels[state]), states[state]) for state in State.values if states.get(state)],
        stages=stages,
        rates=rates,
        hearings_held=totals["hearings_held"],
        consumer_absences=totals["consumer_absences"],
        company_absences=totals["company_absences"],
        adjournments=totals["adjournments"],
        surveys_answered=totals["satisfaction_count"] + totals["company_satisfaction_count"],
        by_conciliator=_lines(conciliators, _conciliator_labels(conciliators)),
        by_channel=_lines(channels, {key: _channel_label(key) for key in channels}),
        trend=trend,
        admission_backlog=backlog,
        deadlines_overdue=overdue,
        deadlines_due_soon=due_soon,
        live_at=live_at,
        source=source,
        notes=notes,
    )


# --- The published figures of a company and of a sector ------------------------------------------
