"""SQL aggregation over `CaseFact`: the counters, stage histograms and state counts of a group of
fact rows. The refresh writes the cube (MonthlyFigure) with it, and `indicators.figures` uses the very
same functions on a filtered queryset when the cube does not hold a combination of filters, so both
paths count alike. Every function is a fixed number of GROUP BY queries; no fact row reaches Python."""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations
from math import ceil
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from .facts import STAGE_COLUMNS, WITH_OUTCOME
from .models import CaseFact, Dimension, Outcome


def _count(condition: Q) -> Count:
    return Count("pk", filter=condition)


def _sum(column: str) -> Coalesce:
    return Coalesce(Sum(column), 0)


# Each counter of MonthlyFigure about cases (or parts), as an aggregate over the fact rows counted:
# CASE_COUNTERS over the company parts (a company's or a sector's figures), ONCE_COUNTERS over the lead
# rows where each case counts once (the case's own closing and company absences, `case_columns`).
CASE_COUNTERS: dict[str, Any] = {
    "filed": Count("pk"),
    "admitted": _count(Q(days_admission__isnull=False)),
    "rejected": _count(Q(outcome=Outcome.REJECTED)),
    "served": _count(Q(served=True)),
    "answered": _count(Q(answered=True)),
    "closed": _count(Q(closed=True)),
    "with_outcome": _count(Q(outcome__in=WITH_OUTCOME)),
    "agreements_offer": _count(Q(outcome=Outcome.AGREEMENT_BY_OFFER)),
    "agreements_hearing": _count(Q(outcome=Outcome.AGREEMENT_AT_HEARING)),
    "no_agreement": _count(Q(outcome=Outcome.NO_AGREEMENT)),
    "company_absent": _count(Q(outcome=Outcome.COMPANY_ABSENT)),
    "consumer_absent": _count(Q(outcome=Outcome.CONSUMER_ABSENT)),
    "withdrawn": _count(Q(outcome=Outcome.WITHDRAWN)),
    "referred": _count(Q(referred=True)),
    "compliance_settled": _count(Q(complied__isnull=False)),
    "complied": _count(Q(complied=True)),
    "hearings_held": _sum("hearings_held"),
    "consumer_absences": _sum("consumer_absences"),
    "company_absences": _sum("company_absences"),
    "adjournments": _sum("adjournments"),
    "satisfaction_sum": _sum("consumer_satisfaction"),
    "satisfaction_count": Count("consumer_satisfaction"),
    "solved_yes": _count(Q(consumer_solved="yes")),
    "solved_partly": _count(Q(consumer_solved="partly")),
    "solved_count": _count(~Q(consumer_solved="")),
    "would_return_yes": _count(Q(consumer_would_return=True)),
    "would_return_count": Count("consumer_would_return"),
}
# The companies' survey answers. A company's answer is on its own part's row only, so these are
# counted over EVERY part of the cases counted (`counters(..., parts=...)`), also where each case
# counts once (lead rows): a case of three companies that all answered has three company answers.
# Only rows with an answer (satisfaction is required) are read.
SURVEY_COUNTERS: dict[str, Any] = {
    "company_satisfaction_sum": _sum("company_satisfaction"),
    "company_satisfaction_count": Count("company_satisfaction"),
    "company_solved_yes": _count(Q(company_solved="yes")),
    "company_solved_count": _count(~Q(company_solved="")),
    "company_would_return_yes": _count(Q(company_would_return=True)),
    "company_would_return_count": Count("company_would_return"),
}
COUNTERS: dict[str, Any] = {**CASE_COUNTERS, **SURVEY_COUNTERS}
# The columns of a company's part that the case as a whole replaces where each case counts once.
ONCE_COLUMNS = {
    "closed": "case_closed",
    "company_absences": "case_company_absences",
    "days_resolution": "case_days_resolution",
}
ONCE_COUNTERS: dict[str, Any] = {
    **CASE_COUNTERS,
    "closed": _count(Q(case_closed=True)),
    "company_absences": _sum("case_company_absences"),
}
ONCE_STAGE_COLUMNS = {stage: ONCE_COLUMNS.get(column, column) for stage, column in STAGE_COLUMNS.items()}


def case_counters(once: bool) -> dict[str, Any]:
    """The case counters over lead rows counting each case once (`once`), or over company parts."""
    return ONCE_COUNTERS if once else CASE_COUNTERS


def stage_columns(once: bool) -> dict[str, str]:
    """The stage columns (STAGE_COLUMNS), the case's own resolution where each case counts once."""
    return ONCE_STAGE_COLUMNS if once else STAGE_COLUMNS


# The dimensions a pair of filters combines, in the dashboard's order of filters: a PairFigure row's
# `dim` comes before its `dim2`. Every pair of them has its rows (reporting/refresh.py).
PAIR_DIMENSIONS: tuple[str, ...] = (
    Dimension.PROVINCE,
    Dimension.COMPANY,
    Dimension.SECTOR,
    Dimension.CHANNEL,
    Dimension.CONCILIATOR,
    Dimension.VULNERABLE,
)
PAIRS: tuple[tuple[str, str], ...] = tuple(combinations(PAIR_DIMENSIONS, 2))
# A company's pairs have rows only for its months with at least this many parts (its cube row's
# `filed`): ~20,000 companies times every province, channel… would be millions of rows, and a
# smaller month is read from the fact rows in a few milliseconds (the index on company and month).
# At a million cases: 2,206 company-months of 283,735, holding 43 % of the parts.
COMPANY_PAIR_MIN_PARTS = 50


def pair(first: str, second: str) -> tuple[str, str]:
    """Two dimensions in the order PairFigure keeps them."""
    return (first, second) if PAIR_DIMENSIONS.index(first) < PAIR_DIMENSIONS.index(second) else (second, first)


# What a breakdown line (by conciliator, by channel) needs.
ROW_COUNTERS = ("filed", "with_outcome", "agreements_offer", "agreements_hearing", "hearings_held")

Key = tuple[Any, ...]


def cube_key(value: Any) -> str:
    """A dimension's value as the cube stores it: ids and text as strings, booleans "1"/"0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


Histogram = dict[str, int]  # {"days": cases}


def answered_by_companies(parts: QuerySet[CaseFact]) -> QuerySet[CaseFact]:
    """The rows SURVEY_COUNTERS read: parts whose company answered its survey."""
    return parts.filter(company_satisfaction__isnull=False)


def counters(
    qs: QuerySet[CaseFact],
    group: Sequence[str],
    names: Iterable[str] = COUNTERS,
    *,
    parts: QuerySet[CaseFact] | None = None,
    once: bool = False,
) -> dict[Key, dict]:
    """{group values: {counter: value}}: one GROUP BY query for the case counters, one more for the
    companies' survey answers, counted over `parts` (every part of the cases `qs` counts; default
    `qs` itself, when it holds every part already). `group` must then be columns of the case (or of
    the part, when `qs` holds parts), so both queries group alike. `once`: `qs` holds lead rows, each
    case counted once (ONCE_COUNTERS)."""
    names = list(names)
    source_counters = case_counters(once)
    wanted = {name: source_counters[name] for name in names if name in source_counters}
    surveys = {name: SURVEY_COUNTERS[name] for name in names if name in SURVEY_COUNTERS}
    found: dict[Key, dict] = {}
    for row in qs.order_by().values(*group).annotate(**wanted):
        found[tuple(row[g] for g in group)] = {name: row[name] for name in wanted} | dict.fromkeys(surveys, 0)
    if surveys:
        source = answered_by_companies(qs if parts is None else parts)
        for row in source.order_by().values(*group).annotate(**surveys):
            key = tuple(row[g] for g in group)
            if key in found:
                found[key].update({name: row[name] for name in surveys})
    return found


def histograms(
    qs: QuerySet[CaseFact], group: Sequence[str], stages: Iterable[str] = STAGE_COLUMNS, *, once: bool = False
) -> dict[Key, dict[str, Histogram]]:
    """{group values: {stage: {"days": cases}}}: one GROUP BY query per stage (`once`: lead rows, the
    case's own resolution)."""
    found: dict[Key, dict[str, Histogram]] = defaultdict(dict)
    columns = stage_columns(once)
    for stage in stages:
        column = columns[stage]
        rows = (
            qs.order_by()
            .filter(**{f"{column}__isnull": False})
            .values(*group, column)
            .annotate(cases=Count("pk"))
            .values_list(*group, column, "cases")
        )
        for *key, days, cases in rows:
            found[tuple(key)].setdefault(stage, {})[str(days)] = cases
    return found


def state_counts(qs: QuerySet[CaseFact], group: Sequence[str]) -> dict[Key, dict[str, int]]:
    """{group values: {case state: count}} in one query."""
    found: dict[Key, dict[str, int]] = defaultdict(dict)
    rows = qs.order_by().values(*group, "status").annotate(cases=Count("pk")).values_list(*group, "status", "cases")
    for *key, status, cases in rows:
        found[tuple(key)][status] = cases
    return found


def summary_rows(
    qs: QuerySet[CaseFact],
    group: Sequence[str],
    *,
    stages: Iterable[str] = STAGE_COLUMNS,
    states: bool = True,
    parts: QuerySet[CaseFact] | None = None,
    once: bool = False,
) -> dict[Key, dict]:
    """Everything a MonthlyFigure row holds, per group: counters (the companies' answers over
    `parts`, see `counters`), `stage_days` (of these stages), `states` (or {} when not asked);
    `once`: `qs` holds lead rows, each case counted once."""
    rows = counters(qs, group, parts=parts, once=once)
    stage_days = histograms(qs, group, stages, once=once)
    state_rows = state_counts(qs, group) if states else {}
    for key, row in rows.items():
        row["stage_days"] = stage_days.get(key, {})
        row["states"] = state_rows.get(key, {})
    return rows


# --- Reading histograms -------------------------------------------------------------------------


def merge(histograms: Iterable[Mapping[str, int] | None]) -> Histogram:
    merged: Histogram = defaultdict(int)
    for histogram in histograms:
        for days, cases in (histogram or {}).items():
            merged[str(days)] += cases
    return dict(merged)


def cases_in(histogram: Mapping[str, int]) -> int:
    return sum(histogram.values())


def percentile(histogram: Mapping[str, int], share: float) -> float | None:
    """Exact nearest-rank percentile: the smallest number of days such that at least `share` of the
    cases took that long or less (the median is share 0.5, so of 4 cases the 2nd)."""
    total = cases_in(histogram)
    if not total:
        return None
    rank = max(1, ceil(share * total))
    seen = 0
    for days in sorted(histogram, key=int):
        seen += histogram[days]
        if seen >= rank:
            return float(int(days))
    return None  # not reached: the ranks add up to the total


def within(histogram: Mapping[str, int], target: int) -> float | None:
    total = cases_in(histogram)
    if not total:
        return None
    return sum(cases for days, cases in histogram.items() if int(days) <= target) / total


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def agreements(row: Mapping[str, int]) -> int:
    return row["agreements_offer"] + row["agreements_hearing"]
