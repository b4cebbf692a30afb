"""A company sees itself: its representatives read its own figures, each beside its sector's, even
before they are published; its month-by-month trend; and its cases at risk — the waits on the company
(oversight clocks) overdue or due soon, in the cases its representatives may see.

A representative may speak for several companies: `?company=<id>` picks one among those
`parties.selectors.companies_visible_to` gives them; any other id is a 404, the same as one that does
not exist. Reads go to the replica when one is configured; the number of queries does not grow with
the company's cases."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from complaints.models import CaseCompany
from complaints.selectors import complaints_visible_to
from config.routers import reads_from_replica
from oversight.models import Clock, WhoActs
from oversight.services.digest import at_risk_horizon
from parties.http import AuthenticatedRequest, as_id
from parties.models import Company
from parties.paginator import CappedPaginator
from parties.selectors import companies_visible_to
from parties.views import representative_required
from reporting.exports import Cell, Kind, display
from reporting.models import CompanyFigure, Dimension, MonthlyFigure, SectorFigure
from reporting.transparency import sector_figure

PAGE_SIZE = 25
TREND_MONTHS = 12


# How the page writes each kind of figure: the dashboard's cells (reporting/exports.py), so a share
# reads "66,7 %" here as there, in the reader's language.
KINDS = {"share": Kind.RATE, "days": Kind.DAYS, "score": Kind.SCORE, "count": Kind.COUNT}

# The sector's median company, figure by figure, where the refresh keeps it (reporting/refresh.py);
# a figure without one is compared with all the sector's cases.
MEDIAN_COMPANY = {
    "answered_share": "median_answered_share",
    "agreement_rate": "median_agreement_rate",
    "compliance_rate": "median_compliance_rate",
    "median_days_answer": "median_company_days_answer",
    "median_days_resolution": "median_company_days_resolution",
    "satisfaction": "median_satisfaction",
    "solved_share": "median_solved_share",
}


@dataclass(frozen=True)
class Figure:
    """One of the company's figures beside its sector's."""

    key: str
    label: str | Promise
    definition: str | Promise
    kind: str  # "share", "days", "score" or "count"
    company: float | None
    sector_median: float | None  # the sector's median company
    sector_pooled: float | None  # all the sector's cases together
    higher_is_better: bool = True

    @property
    def compared_with(self) -> str:
        """ "median" (the sector's median company), "pooled" (all the sector's cases) or "" (nothing)."""
        if self.kind == "count":
            return ""
        if self.sector_median is not None:
            return "median"
        return "pooled" if self.sector_pooled is not None else ""

    @property
    def reference(self) -> float | None:
        """What the company is compared with: the median company, else the sector's cases together."""
        return self.sector_median if self.sector_median is not None else self.sector_pooled

    @property
    def company_text(self) -> str:
        return show(self.company, self.kind)

    @property
    def median_text(self) -> str:
        return show(self.sector_median, self.kind)

    @property
    def pooled_text(self) -> str:
        return show(self.sector_pooled, self.kind)

    @property
    def verdict(self) -> str:
        """ "better", "worse", "same", or "" when there is nothing to compare (as shown, rounded)."""
        if self.company is None or self.reference is None or self.kind == "count":
            return ""
        mine, theirs = _rounded(self.company, self.kind), _rounded(self.reference, self.kind)
        if mine == theirs:
            return "same"
        return "better" if (mine > theirs) == self.higher_is_better else "worse"


def _rounded(value: float, kind: str) -> Decimal:
    """The figure to the digit the page shows (a share to a tenth of a percent), rounded half up as
    reporting/exports.py writes it: two figures that read the same compare as the same."""
    exact = Decimal(f"{value:.12g}") * (100 if kind == "share" else 1)
    return exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def show(value: float | None, kind: str) -> str:
    """A figure as the page prints it, in the reader's language (as the dashboard prints it); "—"
    when not computed."""
    return display(Cell(value, KINDS[kind]))


def figures_of(figure: CompanyFigure | None, sector: SectorFigure | None) -> list[Figure]:
    """The company's figures and its sector's, in the order the page shows them."""

    def mine(name: str) -> float | None:
        return None if figure is None else getattr(figure, name)

    def theirs(name: str) -> float | None:
        return None if sector is None else getattr(sector, name)

    def median(key: str) -> float | None:
        return None if sector is None else getattr(sector, MEDIAN_COMPANY[key])

    return [
        Figure(
            "received",
            _("Complaints received"),
            _("Cases filed against the company in the period, in any position."),
            "count",
            mine("received"),
            None,
            None,
        ),
        Figure(
            "answered_share",
            _("Share answered"),
            _("Of the complaints served on the company, those it answered in writing or with an offer."),
            "share",
            mine("answered_share"),
            median("answered_share"),
            theirs("answered_share"),
        ),
        Figure(
            "agreement_rate",
            _("Agreement rate"),
            _("Of the cases with an outcome, those that ended in an agreement (by an offer or at the hearing)."),
            "share",
            mine("agreement_rate"),
            median("agreement_rate"),
            theirs("agreement_rate"),
        ),
        Figure(
            "compliance_rate",
            _("Compliance rate"),
            _("Of the agreements whose compliance is settled, those the company honoured."),
            "share",
            mine("compliance_rate"),
            median("compliance_rate"),
            theirs("compliance_rate"),
        ),
        Figure(
            "median_days_answer",
            _("Business days to answer (median)"),
            _("From the company's service to its first answer or offer, in business days."),
            "days",
            mine("median_days_answer"),
            median("median_days_answer"),
            theirs("median_days_answer"),
            higher_is_better=False,
        ),
        Figure(
            "median_days_resolution",
            _("Business days to resolution (median)"),
            _("From filing to the end of the company's part, in business days."),
            "days",
            mine("median_days_resolution"),
            median("median_days_resolution"),
            theirs("median_days_resolution"),
            higher_is_better=False,
        ),
        Figure(
            "satisfaction",
            _("Consumers' satisfaction (1 to 5)"),
            _("The mean of the consumers' answers to the survey sent when a case ends."),
            "score",
            mine("satisfaction"),
            median("satisfaction"),
            theirs("satisfaction"),
        ),
        Figure(
            "solved_share",
            _("Share solved, as consumers say"),
            _("Of the consumers who answered the survey, those who said their problem was solved."),
            "share",
            mine("solved_share"),
            median("solved_share"),
            theirs("solved_share"),
        ),
    ]


@dataclass(frozen=True)
class TrendRow:
    month: date
    filed: int
    answered: int
    served: int
    with_outcome: int
    agreements: int

    @property
    def answered_text(self) -> str:
        return show(self.answered / self.served if self.served else None, "share")

    @property
    def agreement_text(self) -> str:
        return show(self.agreements / self.with_outcome if self.with_outcome else None, "share")


def last_months(today: date, count: int = TREND_MONTHS) -> list[date]:
    """The first days of the `count` months up to today's, oldest first."""
    index = today.year * 12 + today.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]


def _trend(company: Company, today: date) -> list[TrendRow]:
    """The company's last twelve months by month of filing, from the cube: every month, a month
    without complaints (no cube row) with zeros."""
    months = last_months(today)
    rows = MonthlyFigure.objects.filter(
        dim=Dimension.COMPANY, key=str(company.pk), by_dim="", by_key="", month__gte=months[0], month__lte=months[-1]
    ).only("month", "filed", "answered", "served", "with_outcome", "agreements_offer", "agreements_hearing")
    found = {row.month: row for row in rows}
    trend = []
    for month in months:
        row = found.get(month)
        if row is None:
            trend.append(TrendRow(month=month, filed=0, answered=0, served=0, with_outcome=0, agreements=0))
            continue
        trend.append(
            TrendRow(
                month=month,
                filed=row.filed,
                answered=row.answered,
                served=row.served,
                with_outcome=row.with_outcome,
                agreements=row.agreements_offer + row.agreements_hearing,
            )
        )
    return trend


def _chosen_company(request: AuthenticatedRequest) -> tuple[Company, list[Company]]:
    companies = list(companies_visible_to(request.user).order_by("legal_name", "pk"))
    if not companies:
        raise Http404
    asked = request.GET.get("company")
    if asked is None:
        return companies[0], companies
    pk = as_id(asked)
    chosen = next((company for company in companies if company.pk == pk), None)
    if chosen is None:
        raise Http404
    return chosen, companies


def cases_at_risk(request: AuthenticatedRequest, company: Company, *, horizon: datetime) -> QuerySet[Clock]:
    """The open waits on this company (its part in the case is what the clock is about), overdue or due
    by the horizon, in the cases its representative may see; soonest first, on the open-clock index."""
    its_part = CaseCompany.objects.filter(pk=OuterRef("subject_id"), company_id=company.pk)
    return (
        Clock.objects.filter(closed_at__isnull=True, who_acts=WhoActs.COMPANY, due_at__lte=horizon)
        .filter(Exists(its_part), complaint__in=complaints_visible_to(request.user).values("pk"))
        .select_related("complaint")
        .order_by("due_at", "id")
    )


# The login check reads the primary (a session just written must be found); the figures, the replica.
@representative_required
@require_safe
@reads_from_replica
def company_figures(request: AuthenticatedRequest) -> HttpResponse:
    company, companies = _chosen_company(request)
    figure = CompanyFigure.objects.filter(company=company).first()
    sector_code = figure.sector if figure is not None else company.sector
    sector = sector_figure(sector_code)
    now = timezone.now()
    clocks = cases_at_risk(request, company, horizon=at_risk_horizon(now))
    page = CappedPaginator(clocks, PAGE_SIZE, count_in_order=True).get_page(request.GET.get("page"))
    return render(
        request,
        "reporting/company/figures.html",
        {
            "company": company,
            "companies": companies,
            "figure": figure,
            "sector": sector,
            "sector_label": company.get_sector_display() if figure is None else figure.get_sector_display(),
            "figures": figures_of(figure, sector),
            "trend": _trend(company, timezone.localdate(now)),
            "page_obj": page,
            "now": now,
            "min_closed": settings.PUBLIC_MIN_CLOSED_CASES,
            "natural_person": company.is_natural_person,
        },
    )
