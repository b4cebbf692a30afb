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
  settled, the answered share by parts served.
"""

from dataclasses import dataclass, field
from datetime import date


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
    # Now, whatever the period: complaints awaiting admission and deadlines at risk (oversight clocks).
    admission_backlog: int = 0
    deadlines_overdue: int = 0
    deadlines_due_soon: int = 0
    # Where the figures come from: "cube" (summary rows) or "facts" (a combination of filters).
    source: str = "cube"
    notes: list[str] = field(default_factory=list)


def figures(filters: Filters) -> Figures:
    """Every indicator of the dashboard for these filters (implemented in the reporting work)."""
    raise NotImplementedError
