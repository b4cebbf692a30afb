"""What the supervisor's dashboard shows, built once from `Figures`: each section is a table (what
the page prints and what the CSV and XLSX downloads hold: the same cells) and, for most, a chart of
the same figures with its description in words. Runs in the reader's language."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import exports
from .charts import BarChart, GroupData, LineChart, LineData, bar_chart, line_chart
from .exports import Cell, Table, count, days, month, rate, score, text
from .indicators import Figures, Row


@dataclass(frozen=True)
class Section:
    table: Table
    intro: str = ""
    chart: BarChart | LineChart | None = None
    # A page where the figures can be acted on: (url, link text).
    link: tuple[str, str] | None = None


@dataclass(frozen=True)
class Highlight:
    label: str
    value: str


class Show:
    """Figures written in the reader's language, whose number format is read once for the page (asking
    Django's formats for each of a page's hundreds of figures cost more than writing them)."""

    def __init__(self) -> None:
        self.style = exports.NumberStyle.current()

    def __call__(self, cell: Cell) -> str:
        return exports.display(cell, self.style)

    def whole(self, value: int) -> str:
        return exports.whole(value, self.style)


def _table(slug: str, title: str, columns: Sequence[str], rows: Sequence[Sequence[Cell]]) -> Table:
    return Table(slug, title, tuple(columns), tuple(tuple(row) for row in rows))


def _words(show: Show, pairs: Sequence[tuple[str, Cell]]) -> str:
    """A chart's data in words, for its <desc>: "Label: value; Label: value."."""
    return "; ".join(f"{label}: {show(cell)}" for label, cell in pairs) + "."


def _counts_chart(show: Show, chart_id: str, title: str, pairs: Sequence[tuple[str, int]]) -> BarChart:
    groups = [GroupData(label, (float(n),), (show.whole(n),)) for label, n in pairs]
    return bar_chart(
        id=chart_id, title=title, desc=_words(show, [(label, count(n)) for label, n in pairs]), groups=groups
    )


def highlights(figures: Figures) -> list[Highlight]:
    show = Show()
    rates = figures.rates
    backlog, overdue = figures.admission_backlog, figures.deadlines_overdue  # backlog None: not counted
    return [
        Highlight(ngettext("complaint filed", "complaints filed", figures.filed), show(count(figures.filed))),
        Highlight(_("agreement rate"), show(rate(rates.agreement))),
        Highlight(_("compliance with agreements"), show(rate(rates.compliance))),
        Highlight(_("consumers' satisfaction (1 to 5)"), show(score(rates.satisfaction))),
        Highlight(
            ngettext("complaint awaiting admission now", "complaints awaiting admission now", backlog or 0),
            show(count(backlog)),
        ),
        Highlight(ngettext("deadline overdue now", "deadlines overdue now", overdue), show(count(overdue))),
    ]


def sections(figures: Figures, *, clock_url: str | None = None) -> list[Section]:
    """Every section of the page, in order. `clock_url`: the deadlines list, for who may open it."""
    show = Show()
    return [
        _summary(show, figures),
        _now(show, figures, clock_url),
        _states(show, figures),
        _stages(show, figures),
        _rates(show, figures),
        _hearings(show, figures),
        _breakdown(
            show, figures.by_conciliator, "conciliators", _("Each conciliator's load and outcomes"), _("Conciliator")
        ),
        _breakdown(show, figures.by_channel, "channels", _("Channels and their outcomes"), _("Channel")),
        _trend(show, figures),
    ]


def tables(figures: Figures) -> list[Table]:
    return [section.table for section in sections(figures)]


def _summary(show: Show, figures: Figures) -> Section:
    pairs = [
        (_("Complaints filed"), figures.filed),
        (_("Admitted"), figures.admitted),
        (_("Rejected at admission"), figures.rejected),
        (_("Closed"), figures.closed),
        (_("With an outcome"), figures.with_outcome),
        (_("Satisfaction surveys answered"), figures.surveys_answered),
    ]
    table = _table(
        "summary", _("Cases of the period"), [_("Figure"), _("Cases")], [[text(k), count(v)] for k, v in pairs]
    )
    return Section(table, _("Complaints filed in the period, and how far they have gone today."))


def _now(show: Show, figures: Figures, clock_url: str | None) -> Section:
    pairs = [
        (_("Complaints awaiting admission"), figures.admission_backlog),
        (_("Deadlines overdue"), figures.deadlines_overdue),
        (_("Deadlines due soon"), figures.deadlines_due_soon),
    ]
    table = _table(
        "now", _("Backlog and deadlines now"), [_("Figure"), _("Number")], [[text(k), count(v)] for k, v in pairs]
    )
    link = (clock_url, _("See every deadline at risk or overdue")) if clock_url else None
    if figures.live_at is None:
        intro = _("Not counted yet: the figures appear after the first refresh.")
    else:
        intro = _("Counted at %(time)s, whatever the period chosen; recounted every few minutes.") % {
            "time": formats.date_format(timezone.localtime(figures.live_at), "SHORT_DATETIME_FORMAT")
        }
    return Section(table, intro, link=link)


def _states(show: Show, figures: Figures) -> Section:
    pairs = [(label, n) for _state, label, n in figures.by_state]
    title = _("Cases by current state")
    table = _table("states", title, [_("State"), _("Cases")], [[text(k), count(v)] for k, v in pairs])
    chart = _counts_chart(show, "chart-states", title, pairs) if pairs else None
    return Section(table, _("Where the period's complaints are today."), chart)


def _stages(show: Show, figures: Figures) -> Section:
    title = _("Time per stage, in business days")
    columns = [
        _("Stage"),
        _("Cases that completed it"),
        _("Median"),
        _("90th percentile"),
        _("Office's target"),
        _("Within the target"),
    ]
    rows = [
        [text(s.label), count(s.cases), days(s.median), days(s.p90), days(s.target), rate(s.within_target)]
        for s in figures.stages
    ]
    groups = []
    described = []
    for stage in figures.stages:
        median, p90, target = days(stage.median), days(stage.p90), days(stage.target)
        groups.append(
            GroupData(
                stage.label,
                (stage.median, stage.p90),
                (
                    _("median %(days)s") % {"days": show(median)} if stage.median is not None else _("median: no data"),
                    _("p90 %(days)s") % {"days": show(p90)} if stage.p90 is not None else _("p90: no data"),
                ),
                target=float(stage.target),
            )
        )
        described.append(
            _("%(stage)s: median %(median)s, 90th percentile %(p90)s, target %(target)s")
            % {"stage": stage.label, "median": show(median), "p90": show(p90), "target": show(target)}
        )
    chart = None
    if groups:
        chart = bar_chart(
            id="chart-stages",
            title=title,
            desc=_("Business days per stage against the office's target.") + " " + "; ".join(described) + ".",
            groups=groups,
            series=(_("Median"), _("90th percentile")),
            target_label=_("Office's target (dashed line)"),
        )
    intro = _(
        "From filing to compliance: the business days of the office's calendar each stage took, over the cases "
        "that completed it."
    )
    return Section(_table("stages", title, columns, rows), intro, chart)


def _rates(show: Show, figures: Figures) -> Section:
    r = figures.rates
    shares = [
        (_("Agreement by an offer before the hearing"), r.agreement_offer),
        (_("Agreement at the hearing"), r.agreement_hearing),
        (_("Agreement (both)"), r.agreement),
        (_("Compliance with agreements"), r.compliance),
        (_("Referral to the legal directorate"), r.referral),
        (_("Withdrawal"), r.withdrawal),
        (_("Complaints the company answered"), r.answered),
        (_("Consumers who say the problem was solved"), r.solved),
        (_("Consumers who would use the service again"), r.would_return),
        (_("Companies that say the problem was solved"), r.company_solved),
        (_("Companies that would use the service again"), r.company_would_return),
    ]
    rows = [[text(k), rate(v)] for k, v in shares]
    rows.insert(7, [text(_("Consumers' satisfaction (1 to 5)")), score(r.satisfaction)])
    rows.append([text(_("Companies' satisfaction (1 to 5)")), score(r.company_satisfaction)])
    title = _("Outcomes and satisfaction")
    groups = [GroupData(label, (value,), (show(rate(value)),)) for label, value in shares]
    chart = bar_chart(
        id="chart-rates",
        title=title,
        desc=_words(show, [(label, rate(value)) for label, value in shares]),
        groups=groups,
        scale_max=1.0,
    )
    intro = _(
        "Agreement, referral and withdrawal rates divide by the cases with an outcome; compliance by the "
        "agreements whose compliance is settled; the answered share by the companies served; satisfaction "
        "and solved by the survey answers of the consumers and, in their own lines, of the companies."
    )
    return Section(_table("rates", title, [_("Indicator"), _("Value")], rows), intro, chart)


def _hearings(show: Show, figures: Figures) -> Section:
    pairs = [
        (_("Hearings held"), figures.hearings_held),
        (_("Absences of the consumer"), figures.consumer_absences),
        (_("Absences of the company"), figures.company_absences),
        (_("Adjournments (cuarto intermedio)"), figures.adjournments),
    ]
    title = _("Hearings")
    table = _table("hearings", title, [_("Figure"), _("Number")], [[text(k), count(v)] for k, v in pairs])
    return Section(table, _("Hearings of the period's cases."), _counts_chart(show, "chart-hearings", title, pairs))


def _row_cells(first: Cell, row: Row) -> list[Cell]:
    return [
        first,
        count(row.filed),
        count(row.with_outcome),
        count(row.agreements),
        rate(row.agreement_rate),
        count(row.hearings_held),
        days(row.median_resolution),
    ]


def _row_columns(first: str) -> list[str]:
    return [
        first,
        _("Complaints filed"),
        _("With an outcome"),
        _("Agreements"),
        _("Agreement rate"),
        _("Hearings held"),
        _("Median business days to resolution"),
    ]


def _breakdown(show: Show, rows: Sequence[Row], slug: str, title: str, first: str) -> Section:
    table = _table(slug, title, _row_columns(first), [_row_cells(text(row.label), row) for row in rows])
    chart = None
    if rows:
        groups = [
            GroupData(
                row.label,
                (float(row.filed), float(row.agreements)),
                (
                    ngettext("%(n)s complaint", "%(n)s complaints", row.filed) % {"n": show.whole(row.filed)},
                    ngettext("%(n)s agreement", "%(n)s agreements", row.agreements) % {"n": show.whole(row.agreements)},
                ),
            )
            for row in rows
        ]
        described = [
            _("%(label)s: complaints filed %(filed)s, agreements %(agreements)s (agreement rate %(rate)s)")
            % {
                "label": row.label,
                "filed": show.whole(row.filed),
                "agreements": show.whole(row.agreements),
                "rate": show(rate(row.agreement_rate)),
            }
            for row in rows
        ]
        chart = bar_chart(
            id=f"chart-{slug}",
            title=title,
            desc="; ".join(described) + ".",
            groups=groups,
            series=(_("Complaints filed"), _("Agreements")),
        )
    return Section(table, "", chart)


def _month_of(key: str) -> date:
    year, month_number = key.split("-")
    return date(int(year), int(month_number), 1)


def _trend(show: Show, figures: Figures) -> Section:
    title = _("Month by month")
    months = [_month_of(row.key) for row in figures.trend]
    rows = [_row_cells(month(m), row) for m, row in zip(months, figures.trend, strict=True)]
    table = _table("trend", title, _row_columns(_("Month filed")), rows)
    chart = None
    if figures.trend:
        labels = [exports.month_label(m, short=True) for m in months]
        series = [
            LineData(
                name,
                tuple(float(getattr(row, attribute)) for row in figures.trend),
                tuple(show.whole(getattr(row, attribute)) for row in figures.trend),
            )
            for name, attribute in (
                (_("Complaints filed"), "filed"),
                (_("With an outcome"), "with_outcome"),
                (_("Agreements"), "agreements"),
            )
        ]
        filed = sum(row.filed for row in figures.trend)
        outcome = sum(row.with_outcome for row in figures.trend)
        agreements = sum(row.agreements for row in figures.trend)
        desc = _(
            "From %(first)s to %(last)s: %(filed)s, %(outcome)s and %(agreements)s; the table gives each month."
        ) % {
            "first": exports.month_label(months[0]),
            "last": exports.month_label(months[-1]),
            "filed": ngettext("%(n)s complaint filed", "%(n)s complaints filed", filed) % {"n": show.whole(filed)},
            "outcome": ngettext("%(n)s with an outcome", "%(n)s with an outcome", outcome) % {"n": show.whole(outcome)},
            "agreements": ngettext("%(n)s agreement", "%(n)s agreements", agreements) % {"n": show.whole(agreements)},
        }
        chart = line_chart(
            id="chart-trend",
            title=title,
            desc=desc,
            labels=labels,
            series=series,
            tick_text=lambda v: show.whole(int(v)),
        )
    return Section(table, _("By the month the complaints were filed."), chart)
