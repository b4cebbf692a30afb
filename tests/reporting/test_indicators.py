"""The dashboard's indicators on the hand-made office of tests/reporting/scenario.py, each compared
with a calculation done by hand (in the comments), and the two ways of computing them (the cube and
the fact rows) compared with each other."""

import dataclasses
from datetime import date, timedelta
from itertools import combinations, product
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db.models import Q

from complaints.models import CaseCompany
from complaints.services import complaint_submit
from complaints.services.parts import name_company
from oversight.models import Clock
from oversight.services.digest import at_risk_horizon
from parties.business_days import forget_calendar
from parties.models import Company, Sector
from reporting import aggregate, indicators
from reporting.indicators import Figures, Filters, _chosen, figures
from reporting.models import CaseFact, CompanyFigure, PairFigure
from reporting.refresh import rebuild, refresh, write_cube
from reporting.transparency import published_figures, sector_figure
from tests.complaints.factories import draft_case
from tests.reporting.scenario import (
    REFRESHED,
    Office,
    at,
    build_office,
    build_shared_cases,
    file_case,
    survey,
    travel,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_calendar():
    """Each test counts with the calendar its own database holds: a day another test declared (its
    transaction rolled back) must not stay in this process's copy."""
    forget_calendar()
    yield
    forget_calendar()


JUNE, JULY = date(2026, 6, 1), date(2026, 7, 1)


@pytest.fixture(autouse=True)
def _every_company_month_has_pair_rows(monkeypatch):
    """The office's companies have a handful of cases a month: every month is "big" for the pair rows
    here (aggregate.COMPANY_PAIR_MIN_PARTS), except where a test says otherwise."""
    monkeypatch.setattr(aggregate, "COMPANY_PAIR_MIN_PARTS", 1)


@pytest.fixture
def office(company, other_company, representative, officer, conciliator, director) -> Office:
    built = build_office(
        company=company,
        other_company=other_company,
        representative=representative,
        officer=officer,
        conciliator=conciliator,
        director=director,
    )
    with travel(REFRESHED):
        rebuild()
    return built


def july(**filters: object) -> Figures:
    with travel(REFRESHED):
        return figures(Filters(start=JULY, end=JULY, **filters))  # type: ignore[arg-type]


def stage(found: Figures, name: str):
    return next(s for s in found.stages if s.stage == name)


def test_the_cases_of_july_counted_by_hand(office):
    found = july()
    assert found.source == "cube"
    # Filed in July: A B C D E F G (H was filed in June). E was rejected; the others admitted.
    assert (found.filed, found.admitted, found.rejected) == (7, 6, 1)
    # Closed: A (complied), B and C (referred), D (withdrawn), E (rejected).
    assert found.closed == 5
    # With an outcome: A G (agreement at a hearing), B (by offer), C (no agreement), D (withdrawn),
    # F (consumer absent): 6. E (rejected) is not.
    assert found.with_outcome == 6
    # Hearings held: A 1, C 1, F 1, G 2 (one adjourned) = 5; F's consumer missed one; G adjourned once.
    assert (found.hearings_held, found.consumer_absences, found.company_absences, found.adjournments) == (5, 1, 0, 1)
    # Surveys: three consumers (A B C) and company X on A.
    assert found.surveys_answered == 4
    assert found.by_state == [
        ("rejected", "Rejected", 1),
        ("agreement", "Agreement", 1),
        ("complied", "Agreement complied with", 1),
        ("consumer_absent", "Consumer absent", 1),
        ("withdrawn", "Withdrawn (desistido)", 1),
        ("referred", "Referred to the legal directorate", 2),
    ]


def test_the_stage_times_in_business_days_across_the_july_holidays(office):
    found = july()
    # Admission (filed → admitted): A We 1 → We 8 = 5 (2 3 6 7 8); B Th 2 → Fr 3 = 1; C Mo 6 → Tu 14
    # = 4 (7 8, the 9th and 10th are holidays, 13 14); D Tu 7 → We 8 = 1; F Th 2 → Mo 6 = 2; G Fr 3 →
    # Mo 6 = 1. Sorted 1 1 1 2 4 5: median = the 3rd = 1; p90 = the ⌈5.4⌉ = 6th = 5.
    admission = stage(found, "admission")
    assert (admission.cases, admission.median, admission.p90) == (6, 1.0, 5.0)
    target = settings.STAGE_TARGET_DAYS["admission"]
    assert admission.target == target
    assert admission.within_target == sum(1 for d in (1, 1, 1, 2, 4, 5) if d <= target) / 6
    # Service (admitted → served): 0 for all but F (Mo 6 → We 8 = 2): 0 0 0 0 0 2 → median 0, p90 2.
    service = stage(found, "service")
    assert (service.cases, service.median, service.p90) == (6, 0.0, 2.0)
    # First hearing (served → first hearing held): A We 8 → Tu 21 = 7 (13 14 15 16 17 20 21: the
    # holidays and the weekend after the 8th do not count); C Tu 14 → We 22 = 6; F We 8 → Mo 20 = 6;
    # G Mo 6 → Th 16 = 6 (7 8 13 14 15 16). Sorted 6 6 6 7: median = 2nd = 6, p90 = 4th = 7.
    first = stage(found, "first_hearing")
    assert (first.cases, first.median, first.p90) == (4, 6.0, 7.0)
    # Outcome (first hearing → outcome): A 0, C 0, F 0, G Th 16 → Th 23 = 5: median 0, p90 5.
    outcome = stage(found, "outcome")
    assert (outcome.cases, outcome.median, outcome.p90) == (4, 0.0, 5.0)
    # Compliance (agreement → complied): A Tu 21 Jul → Mo 3 Aug = 9 (22 23 24 27 28 29 30 31, 3).
    compliance = stage(found, "compliance")
    assert (compliance.cases, compliance.median, compliance.p90) == (1, 9.0, 9.0)
    assert compliance.within_target == 1.0


def test_the_rates_by_hand(office):
    rates = july().rates
    # Of the 6 with an outcome: B by offer (1/6), A and G at a hearing (2/6), 3/6 in all.
    assert rates.agreement_offer == pytest.approx(1 / 6)
    assert rates.agreement_hearing == pytest.approx(2 / 6)
    assert rates.agreement == pytest.approx(0.5)
    # Compliance settled: A complied, B breached → 1/2 (G's is not due yet).
    assert rates.compliance == pytest.approx(0.5)
    # Referred: B (after the breach) and C → 2/6; withdrawn: D → 1/6.
    assert rates.referral == pytest.approx(2 / 6)
    assert rates.withdrawal == pytest.approx(1 / 6)
    # Served: A B C D F G; answered in writing or by an offer: A (answer), B (offer), F (answer) → 3/6.
    assert rates.answered == pytest.approx(0.5)
    # Consumers' satisfaction: A 5, B 2, C 1 → 8/3; solved "yes": A of 3; would return: A B of 3.
    assert rates.satisfaction == pytest.approx(8 / 3)
    assert rates.solved == pytest.approx(1 / 3)
    assert rates.would_return == pytest.approx(2 / 3)


def test_the_breakdowns_by_conciliator_and_channel(office):
    found = july()
    by_conciliator = {row.label: row for row in found.by_conciliator}
    # Ana held the latest hearing of A, C and F; Bruno that of G (Ana adjourned it); B D E had none.
    ana, bruno, none = by_conciliator["Ana Rodríguez"], by_conciliator["Bruno Sosa"], by_conciliator["No hearing yet"]
    assert (ana.filed, ana.with_outcome, ana.agreements, ana.hearings_held) == (3, 3, 1, 3)
    assert ana.agreement_rate == pytest.approx(1 / 3)
    # Resolution of Ana's closed cases: A 21 (We 1 Jul → Mo 3 Aug), C 12 → median (1st of 2) 12.
    assert ana.median_resolution == 12.0
    assert (bruno.filed, bruno.with_outcome, bruno.agreements, bruno.hearings_held) == (1, 1, 1, 2)
    assert bruno.median_resolution is None
    assert (none.filed, none.with_outcome, none.agreements) == (3, 2, 1)
    assert [row.label for row in found.by_conciliator] == ["Ana Rodríguez", "No hearing yet", "Bruno Sosa"]
    by_channel = {row.key: row for row in found.by_channel}
    assert (by_channel["web"].filed, by_channel["in_person"].filed) == (5, 2)
    assert by_channel["in_person"].label == "In person"
    # At the desk: D withdrawn (an outcome, no agreement), E rejected.
    assert (by_channel["in_person"].with_outcome, by_channel["in_person"].agreements) == (1, 0)
    # Resolution at the desk: D 2, E 1 → median (1st of 2) 1.
    assert by_channel["in_person"].median_resolution == 1.0


def test_the_trend_has_a_row_per_month_of_the_period(office):
    with travel(REFRESHED):
        found = figures(Filters(start=date(2026, 5, 1), end=JULY))
    assert [(row.key, row.filed) for row in found.trend] == [("2026-05", 0), ("2026-06", 1), ("2026-07", 7)]
    assert found.trend[1].label == "June 2026"
    # Resolution of July's closed cases: E 1, D 2, B 10, C 12, A 21 → median (3rd) 10.
    assert found.trend[2].median_resolution == 10.0
    assert found.filed == 8


def test_one_filter_reads_the_cube_and_counts_by_hand(office):
    # Consumers in the Province of Buenos Aires: C (referred after no agreement) and F (absent).
    province = july(province="BA")
    assert province.source == "cube"
    assert (province.filed, province.with_outcome, province.closed) == (2, 2, 1)
    assert province.rates.referral == pytest.approx(0.5)
    # Company X's parts: A B E G (a company's part is its case); its sector (retail) is the same.
    x = july(company_id=office.x.pk)
    assert (x.filed, x.with_outcome, x.rejected) == (4, 3, 1)
    assert x.rates.agreement == pytest.approx(1.0)
    assert x.notes  # says that parts are counted
    assert dataclasses.replace(july(sector="retail"), filters=x.filters) == x
    # Hipervulnerable: G only.
    vulnerable = july(vulnerable=True)
    assert (vulnerable.filed, vulnerable.rates.agreement_hearing) == (1, 1.0)
    assert july(vulnerable=False).filed == 6
    # Bruno's cases: G; broken down by conciliator, one line: Bruno.
    bruno = july(conciliator_id=office.bruno.pk)
    assert bruno.filed == 1
    assert [(row.label, row.filed) for row in bruno.by_conciliator] == [("Bruno Sosa", 1)]


def test_two_filters_read_the_pair_rows(office):
    found = july(company_id=office.x.pk, channel="in_person")
    assert found.source == "pairs"
    # Company X at the desk: E (rejected).
    assert (found.filed, found.rejected, found.with_outcome) == (1, 1, 0)
    assert found.rates.agreement is None
    assert [(row.key, row.filed) for row in found.by_channel] == [("in_person", 1)]
    # Web cases of consumers in CABA: A B G.
    web_caba = july(channel="web", province="CABA")
    assert (web_caba.source, web_caba.filed) == ("pairs", 3)
    assert web_caba.rates.agreement == pytest.approx(1.0)
    # Company X's hipervulnerable consumers: G, heard by Ana (adjourned) then Bruno (agreement).
    x_vulnerable = july(company_id=office.x.pk, vulnerable=True)
    assert (x_vulnerable.filed, x_vulnerable.hearings_held, x_vulnerable.by_state) == (
        1,
        2,
        [("agreement", "Agreement", 1)],
    )
    assert [(row.label, row.agreements) for row in x_vulnerable.by_conciliator] == [("Bruno Sosa", 1)]


def test_three_filters_read_the_facts(office):
    found = july(province="CABA", channel="web", conciliator_id=office.bruno.pk)
    assert found.source == "facts"
    # Bruno heard G, a consumer in CABA who filed on the web.
    assert (found.filed, found.with_outcome, found.rates.agreement_hearing) == (1, 1, 1.0)
    # Three of the low-cardinality filters: their own summary rows (LowFigure).
    low = july(province="CABA", channel="web", vulnerable=True)
    assert low.source == "low"
    # G is the only hipervulnerable consumer: in CABA, on the web.
    assert (low.filed, low.with_outcome, low.rates.agreement_hearing) == (1, 1, 1.0)
    with pytest.raises(ValueError):
        figures(Filters(start=JULY, end=JULY, province="BA", channel="web", vulnerable=True), source="pairs")
    with pytest.raises(ValueError):
        figures(Filters(start=JULY, end=JULY, province="BA"), source="pairs")


# Each filter's values in the office (company and conciliator: Office attributes).
FILTER_VALUES: dict[str, list[object]] = {
    "province": ["BA", "CABA"],
    "company": ["x", "y", "z"],
    "sector": ["telecom", "retail"],
    "channel": ["web", "in_person"],
    "conciliator": ["ana", "bruno"],
    "vulnerable": [True, False],
}
FILTER_SETS: list[dict[str, object]] = [
    {},
    *({name: value} for name, values in FILTER_VALUES.items() for value in values),
]
# Every pair of filters, with every pair of their values.
PAIR_SETS: list[dict[str, object]] = [
    {first: a, second: b}
    for first, second in combinations(FILTER_VALUES, 2)
    for a in FILTER_VALUES[first]
    for b in FILTER_VALUES[second]
]


# Every three filters with every combination of their values, four low-cardinality ones, all six.
MANY_SETS: list[dict[str, object]] = [
    *(
        dict(zip(names, values, strict=True))
        for names in combinations(FILTER_VALUES, 3)
        for values in product(*(FILTER_VALUES[name] for name in names))
    ),
    *(
        dict(zip(("sector", "channel", "vulnerable", "province"), values, strict=True))
        for values in product(*(FILTER_VALUES[name] for name in ("sector", "channel", "vulnerable", "province")))
    ),
    {name: values[0] for name, values in FILTER_VALUES.items()},
]


def filters_of(office: Office, chosen: dict[str, object]) -> Filters:
    """June to August 2026, with these filters (company and conciliator named by Office attribute)."""
    values: dict[str, object] = {}
    for name, value in chosen.items():
        if name in ("company", "conciliator"):
            values[f"{name}_id"] = getattr(office, str(value)).pk
        else:
            values[name] = value
    return Filters(start=JUNE, end=date(2026, 8, 1), **values)  # type: ignore[arg-type]


def test_the_cube_and_the_facts_give_the_same_figures(office):
    for chosen in FILTER_SETS:
        filters = filters_of(office, chosen)
        with travel(REFRESHED):
            cube, facts = figures(filters, source="cube"), figures(filters, source="facts")
        assert (cube.source, facts.source) == ("cube", "facts")
        assert cube.filed > 0, chosen
        assert dataclasses.replace(cube, source="") == dataclasses.replace(facts, source=""), chosen


def test_the_pair_rows_and_the_facts_give_the_same_figures_for_every_pair_of_filters(office):
    assert len(PAIR_SETS) == 70
    with_cases = 0
    for chosen in PAIR_SETS:
        filters = filters_of(office, chosen)
        with travel(REFRESHED):
            pairs, facts = figures(filters), figures(filters, source="facts")
        assert (pairs.source, facts.source) == ("pairs", "facts")
        assert dataclasses.replace(pairs, source="") == dataclasses.replace(facts, source=""), chosen
        with_cases += pairs.filed > 0
    # Most combinations hold cases; the others must be empty alike.
    assert with_cases >= 30


def test_three_filters_or_more_read_in_one_query_give_the_figures_of_the_orms_queries(office, monkeypatch):
    """The facts path on PostgreSQL (one query: a CTE of the filtered rows, the stage histograms by
    grouping sets) against the same aggregation as separate ORM queries (aggregate.summary_rows, the
    path of other databases), for every three filters and their values, four, and all six."""
    assert len(MANY_SETS) == 217
    with_cases = 0
    for chosen in MANY_SETS:
        filters = filters_of(office, chosen)
        with travel(REFRESHED):
            one_query = figures(filters, source="facts")
            with monkeypatch.context() as patch:
                patch.setattr(indicators, "connection", SimpleNamespace(vendor="elsewhere"))
                orm = figures(filters, source="facts")
        assert (one_query.source, orm.source) == ("facts", "facts")
        assert one_query == orm, chosen
        with_cases += one_query.filed > 0
    assert with_cases >= 40


def test_a_companys_small_months_are_read_from_the_facts(office, monkeypatch, django_assert_num_queries):
    # X: four cases in July (A B E G), and I, filed on Tuesday 30 June by a consumer in BA.
    file_case("I", office.x, at(6, 30), province="BA")
    monkeypatch.setattr(aggregate, "COMPANY_PAIR_MIN_PARTS", 2)
    with travel(REFRESHED):
        rebuild()
    x_pairs = PairFigure.objects.filter(
        Q(dim="company", key=str(office.x.pk)) | Q(dim2="company", key2=str(office.x.pk))
    )
    assert set(x_pairs.values_list("month", flat=True)) == {JULY}
    assert not PairFigure.objects.filter(Q(dim="company") | Q(dim2="company"), month=JUNE).exists()
    # June from the facts (I), July from the pair rows (none in BA), over the two months.
    with travel(REFRESHED):
        found = figures(Filters(start=JUNE, end=JULY, company_id=office.x.pk, province="BA"))
    assert (found.source, found.filed, [row.filed for row in found.trend]) == ("pairs", 1, [1, 0])
    with travel(REFRESHED):
        found = figures(Filters(start=JUNE, end=JULY, company_id=office.x.pk, channel="web"))
    assert (found.filed, [row.filed for row in found.trend]) == (4, [1, 3])
    assert [(row.key, row.filed) for row in found.by_channel] == [("web", 4)]
    # The company's months, the pair rows (3), June's facts; names; the "now" figures (2).
    with travel(REFRESHED), django_assert_num_queries(8):
        figures(Filters(start=JUNE, end=JULY, company_id=office.x.pk, channel="web"))
    # Whatever the months' mix, the same figures as the facts.
    for minimum in (2, 1000):
        monkeypatch.setattr(aggregate, "COMPANY_PAIR_MIN_PARTS", minimum)
        with travel(REFRESHED):
            rebuild()
        for chosen in PAIR_SETS:
            if "company" in chosen:
                filters = filters_of(office, chosen)
                with travel(REFRESHED):
                    pairs, facts = figures(filters), figures(filters, source="facts")
                assert dataclasses.replace(pairs, source="") == dataclasses.replace(facts, source=""), chosen


# A company, a sector and one more filter, with every combination of their values.
COMPANY_SECTOR_SETS: list[dict[str, object]] = [
    {"company": company, "sector": sector, third: value}
    for company in FILTER_VALUES["company"]
    for sector in FILTER_VALUES["sector"]
    for third in ("province", "channel", "conciliator", "vulnerable")
    for value in FILTER_VALUES[third]
]


def test_a_company_with_its_own_sector_and_one_more_filter_reads_the_pair_rows(office, monkeypatch):
    """The sector adds nothing when every part of the company in the period has it: the company's
    pair with the third filter answers, with the figures of the facts. X is in retail, Y and Z in
    telecom; a company with another sector, or four filters, stays on the facts."""
    assert len(COMPANY_SECTOR_SETS) == 48
    with_cases = 0
    for minimum in (1, 2, 1000):  # every month with pair rows, months mixed, none
        monkeypatch.setattr(aggregate, "COMPANY_PAIR_MIN_PARTS", minimum)
        with travel(REFRESHED):
            rebuild()
        for chosen in COMPANY_SECTOR_SETS:
            filters = filters_of(office, chosen)
            with travel(REFRESHED):
                natural, facts = figures(filters), figures(filters, source="facts")
            own = {"x": "retail", "y": "telecom", "z": "telecom"}[str(chosen["company"])] == chosen["sector"]
            if minimum == 1:  # (else a company's months without pair rows read the facts, sector included)
                assert natural.source == ("pairs" if own else "facts"), chosen
            assert dataclasses.replace(natural, source="") == dataclasses.replace(facts, source=""), (minimum, chosen)
            with_cases += natural.filed > 0
    assert with_cases >= 30
    four = filters_of(office, {"company": "x", "sector": "retail", "channel": "web", "province": "CABA"})
    with travel(REFRESHED):
        assert figures(four).source == "facts"


def test_a_company_whose_parts_have_two_sectors_stays_on_the_facts(office, django_assert_num_queries):
    """A company moved to another sector keeps fact rows of the old one until they are rebuilt: the
    sector then selects some of its parts only, and the pair rows would count them all."""
    x_july = CaseFact.objects.filter(company=office.x, filed_month=JULY)
    assert set(x_july.values_list("sector", flat=True)) == {"retail"} and x_july.count() > 1
    CaseFact.objects.filter(pk=x_july.order_by("pk").values_list("pk", flat=True)[0]).update(sector="telecom")
    with travel(REFRESHED):
        write_cube(None)
    for sector in ("retail", "telecom"):
        filters = Filters(start=JULY, end=JULY, company_id=office.x.pk, sector=sector, channel="web")
        with travel(REFRESHED):
            natural, facts = figures(filters), figures(filters, source="facts")
        assert natural.source == "facts"
        assert dataclasses.replace(natural, source="") == dataclasses.replace(facts, source="")
    # Its own sector again: the check (one query), the company's months, the pair rows (3), names,
    # the "now" figures (2).
    with travel(REFRESHED):
        rebuild()
    own = Filters(start=JUNE, end=JULY, company_id=office.x.pk, sector="retail", channel="web")
    with travel(REFRESHED), django_assert_num_queries(8):
        assert figures(own).source == "pairs"


# Three or four of the low-cardinality filters, with every combination of their values.
LOW_NAMES = ("province", "sector", "channel", "vulnerable")
LOW_SETS: list[dict[str, object]] = [
    dict(zip(names, values, strict=True))
    for size in (3, 4)
    for names in combinations(LOW_NAMES, size)
    for values in product(*(FILTER_VALUES[name] for name in names))
]


def test_three_or_four_low_cardinality_filters_read_their_rows_with_the_figures_of_the_facts(office):
    assert len(LOW_SETS) == 48
    with_cases = 0
    for chosen in LOW_SETS:
        filters = filters_of(office, chosen)
        with travel(REFRESHED):
            low, facts = figures(filters), figures(filters, source="facts")
        assert (low.source, facts.source) == ("low", "facts")
        assert dataclasses.replace(low, source="") == dataclasses.replace(facts, source=""), chosen
        with_cases += low.filed > 0
    assert with_cases >= 15
    with pytest.raises(ValueError):
        figures(filters_of(office, {"province": "BA", "sector": "telecom", "company": "x"}), source="low")


def test_the_filters_are_paired_in_the_order_of_the_pair_rows(office):
    every = {"vulnerable": True, "conciliator": "ana", "channel": "web", "sector": "retail", "company": "x"}
    chosen = _chosen(filters_of(office, {**every, "province": "BA"}))
    assert tuple(dim for dim, _column, _value in chosen) == aggregate.PAIR_DIMENSIONS


def test_a_constant_number_of_queries(office, django_assert_num_queries):
    filters = Filters(start=JUNE, end=JULY)
    # The cube: month rows, the breakdowns' sums, their resolution histograms, the conciliators'
    # names, the "now" figures (one sum over LiveCount) and when they were counted.
    with travel(REFRESHED), django_assert_num_queries(6):
        figures(filters)
    # A company: the cube, as without a filter.
    with travel(REFRESHED), django_assert_num_queries(6):
        figures(Filters(start=JUNE, end=JULY, company_id=office.x.pk))
    # Two filters: the pair rows, the same six queries.
    with travel(REFRESHED), django_assert_num_queries(6):
        figures(Filters(start=JUNE, end=JULY, province="CABA", channel="web"))
    # A company and another filter: one more, the company's months (which are big enough for pair rows).
    with travel(REFRESHED), django_assert_num_queries(7):
        figures(Filters(start=JUNE, end=JULY, company_id=office.x.pk, conciliator_id=office.ana.pk))
    # Three: the facts on PostgreSQL, ONE query reading the filtered rows once (counters, companies'
    # answers, histograms, states, lines by conciliator and channel); names; the "now" figures (2).
    combined = Filters(start=JUNE, end=JULY, province="CABA", channel="web", conciliator_id=office.ana.pk)
    with travel(REFRESHED), django_assert_num_queries(4):
        figures(combined)
    # Three or four low-cardinality filters: their rows as the cube's (3), names, the "now" figures (2).
    low = Filters(start=JUNE, end=JULY, province="CABA", sector="retail", channel="web", vulnerable=True)
    with travel(REFRESHED), django_assert_num_queries(6):
        assert figures(low).source == "low"


def refreshed_july(**filters: object) -> Figures:
    """The figures after a refresh at REFRESHED: the "now" figures are counted by the refresh."""
    with travel(REFRESHED):
        refresh()
    return july(**filters)


def test_the_admission_backlog_and_the_deadlines_at_risk_are_counted_by_the_refresh(office):
    # H awaits admission (a consumer in CABA, on the web).
    found = july()
    assert (found.admission_backlog, found.live_at) == (1, REFRESHED)
    assert july(province="BA").admission_backlog == 0
    assert july(channel="in_person").admission_backlog == 0
    assert july(company_id=office.z.pk).admission_backlog == 1
    # The clocks: one overdue, one due within a day, one due later, one closed.
    before = (found.deadlines_overdue, found.deadlines_due_soon)
    Clock.objects.all().delete()
    h = office.case("H")
    now = REFRESHED
    common = {"complaint": h, "who_acts": "office", "business_days": 5, "started_at": now - timedelta(days=9)}
    Clock.objects.create(kind="admission_review", due_at=now - timedelta(hours=1), **common)
    Clock.objects.create(kind="company_answer", due_at=now + timedelta(hours=20), **common)
    Clock.objects.create(kind="first_hearing", due_at=now + timedelta(days=3), **common)
    Clock.objects.create(
        kind="offer_answer", due_at=now - timedelta(days=3), closed_at=now - timedelta(days=4), **common
    )
    assert (july().deadlines_overdue, july().deadlines_due_soon) == before  # not counted again yet
    found = refreshed_july()
    assert (found.deadlines_overdue, found.deadlines_due_soon) == (1, 1)
    assert (july(province="BA").deadlines_overdue, july(province="BA").deadlines_due_soon) == (0, 0)
    # A company's: the cases it leads (Z leads H) and those naming it after the lead.
    z, y = july(company_id=office.z.pk), july(company_id=office.y.pk)
    assert (z.admission_backlog, z.deadlines_overdue, z.deadlines_due_soon) == (1, 1, 1)
    assert (y.admission_backlog, y.deadlines_overdue, y.deadlines_due_soon) == (0, 0, 0)
    CaseCompany.objects.create(complaint=h, position=2, company=office.y, cuit=office.y.cuit, name="Y")
    y = refreshed_july(company_id=office.y.pk)
    assert (y.admission_backlog, y.deadlines_overdue, y.deadlines_due_soon) == (1, 1, 1)


def test_deadlines_due_soon_follow_the_clock_lists_horizon(office):
    """Due soon = due by oversight's at_risk_horizon (the end of the next business day), the rule of
    the deadlines list and the digest; not "within 24 hours"."""
    Clock.objects.all().delete()
    h = office.case("H")
    horizon = at_risk_horizon(REFRESHED)  # Monday 10 August 9:00 → the end of Tuesday 11
    assert horizon > REFRESHED + timedelta(days=1, hours=12)
    common = {"complaint": h, "who_acts": "office", "business_days": 5, "started_at": REFRESHED - timedelta(days=9)}
    Clock.objects.create(kind="company_answer", due_at=horizon - timedelta(minutes=1), **common)
    Clock.objects.create(kind="first_hearing", due_at=horizon + timedelta(minutes=1), **common)
    found = refreshed_july()
    assert (found.deadlines_overdue, found.deadlines_due_soon) == (0, 1)


def test_the_backlog_of_a_sector_counts_every_company_named(office):
    """H is led by Z (telecom); it also names X (retail) and Y (telecom): it awaits admission in
    both sectors, once in each."""
    h = office.case("H")
    CaseCompany.objects.create(complaint=h, position=2, company=office.x, cuit=office.x.cuit, name="X")
    CaseCompany.objects.create(complaint=h, position=3, company=office.y, cuit=office.y.cuit, name="Y")
    assert refreshed_july(sector="retail").admission_backlog == 1
    assert july(sector="telecom").admission_backlog == 1
    assert july(sector="health").admission_backlog == 0
    assert july(sector="retail", province="BA").admission_backlog == 0  # the facts path, a combination
    assert july(sector="retail", province="CABA").admission_backlog == 1
    assert july().admission_backlog == 1


def test_a_conciliator_has_no_admission_backlog_but_their_deadlines(office):
    Clock.objects.all().delete()
    h = office.case("H")
    common = {"complaint": h, "who_acts": "office", "business_days": 5, "started_at": REFRESHED - timedelta(days=9)}
    Clock.objects.create(kind="first_hearing", due_at=REFRESHED - timedelta(hours=1), assignee=office.ana, **common)
    Clock.objects.create(kind="company_answer", due_at=REFRESHED - timedelta(hours=2), **common)
    ana = refreshed_july(conciliator_id=office.ana.pk)
    # Admission is not a conciliator's: no figure ("—" on the page), not 0 nor the office's 1.
    assert (ana.admission_backlog, ana.deadlines_overdue) == (None, 1)
    assert july(conciliator_id=office.bruno.pk).deadlines_overdue == 0
    assert (july().admission_backlog, july().deadlines_overdue) == (1, 2)


@pytest.fixture
def three_companies(consumer, company, other_company, officer):
    """One case naming three companies, filed Wednesday 1 July 2026: its consumer and all three
    companies answered their surveys."""
    third = Company.objects.create(cuit="30500001735", legal_name="Banco Cuotas S.A.", sector=Sector.BANKING)
    with travel(at(7, 1)):
        case = draft_case(consumer, company)
        name_company(case, company=other_company)
        name_company(case, company=third)
        case = complaint_submit(complaint=case, by=consumer)
    first, second, last = CaseCompany.objects.filter(complaint=case).order_by("position")
    survey(case, 4, "yes", True)
    survey(case, 5, "yes", True, part=first)
    survey(case, 3, "no", True, part=second)
    survey(case, 1, "no", False, part=last)
    with travel(REFRESHED):
        rebuild()
    return case, first, second, last


def test_every_companys_survey_answer_counts(three_companies):
    _case, _first, second, _last = three_companies
    for source in ("cube", "facts"):
        with travel(REFRESHED):
            found = figures(Filters(start=JULY, end=JULY), source=source)
        # The consumer's answer and the three companies': four, though the case counts once.
        assert (found.filed, found.surveys_answered) == (1, 4), source
        assert found.rates.satisfaction == 4.0
        # The companies': (5 + 3 + 1) / 3; "yes" 1 of 3 solved; 2 of 3 would use it again.
        assert found.rates.company_satisfaction == pytest.approx(3.0)
        assert found.rates.company_solved == pytest.approx(1 / 3)
        assert found.rates.company_would_return == pytest.approx(2 / 3)
    # Two filters (the pair rows), and three (their low-cardinality rows, and the facts): the same four.
    combined = july(province="CABA", channel="web")
    assert (combined.source, combined.surveys_answered, combined.rates.company_satisfaction) == ("pairs", 4, 3.0)
    combined = july(province="CABA", channel="web", vulnerable=False)
    assert (combined.source, combined.surveys_answered, combined.rates.company_satisfaction) == ("low", 4, 3.0)
    with travel(REFRESHED):
        combined = figures(
            Filters(start=JULY, end=JULY, province="CABA", channel="web", vulnerable=False), source="facts"
        )
    assert (combined.source, combined.surveys_answered, combined.rates.company_satisfaction) == ("facts", 4, 3.0)
    # One company (not the lead): its part, the consumer's answer and its own.
    one = july(company_id=second.company_id)
    assert (one.filed, one.surveys_answered, one.rates.company_satisfaction, one.rates.company_solved) == (
        1,
        2,
        3.0,
        0.0,
    )
    # A sector: its companies' parts (the bank's alone here).
    banking = july(sector="banking")
    assert (banking.surveys_answered, banking.rates.company_would_return) == (2, 0.0)


def test_an_empty_period_has_no_rates(office):
    with travel(REFRESHED):
        found = figures(Filters(start=date(2025, 1, 1), end=date(2025, 2, 1)))
    assert found.filed == 0
    assert found.rates.agreement is None and found.rates.satisfaction is None
    assert all(s.median is None and s.p90 is None and s.within_target is None for s in found.stages)
    assert [row.filed for row in found.trend] == [0, 0]


def test_company_and_sector_figures_are_read_back(office, settings):
    figure = CompanyFigure.objects.get(company=office.x)
    assert figure.received == 4
    sector = sector_figure("telecom")
    assert sector is not None and sector.received == 4
    assert sector_figure("health") is None


def test_the_published_companies(office, settings):
    settings.PUBLIC_MIN_CLOSED_CASES = 3
    with travel(REFRESHED):
        rebuild()
    # Closed in the window: X 3 (A B E), Y 2 (C D), Z 0.
    assert [figure.company for figure in published_figures()] == [office.x]
    assert list(published_figures().filter(sector="telecom")) == []
    assert [figure.company_id for figure in published_figures().filter(sector="retail")] == [office.x.pk]


@pytest.fixture
def shared(company, officer, conciliator):
    """The cases of two companies of tests/reporting/scenario.py `build_shared_cases`."""
    cases = build_shared_cases(company=company, officer=officer, conciliator=conciliator)
    with travel(REFRESHED):
        rebuild()
    return cases


@pytest.mark.parametrize("source", ["cube", "facts"])
def test_cases_of_several_companies_count_as_whole_cases(shared, source):
    """The hand calculation is in build_shared_cases' docstring."""
    with travel(REFRESHED):
        found = figures(Filters(start=JULY, end=JULY), source=source)
    assert (found.filed, found.admitted, found.hearings_held) == (3, 3, 3)
    # Only M closed: J's lead (a bank, referred) ended, but X's agreement in J is still open.
    assert found.closed == 1
    # K's bank was absent, though K's lead (X) was there.
    assert found.company_absences == 1
    # The median resolution (of M alone), by month and by conciliator (Ana held the three hearings).
    assert [row.median_resolution for row in found.trend] == [15.0]
    assert [(row.filed, row.median_resolution) for row in found.by_conciliator] == [(3, 15.0)]
    assert shared["J"].closed_at is None and shared["M"].closed_at is not None


@pytest.mark.parametrize("source", ["cube", "facts"])
def test_a_company_or_a_sector_of_shared_cases_counts_its_own_parts(shared, company, source):
    with travel(REFRESHED):
        x = figures(Filters(start=JULY, end=JULY, company_id=company.pk), source=source)
        banks = figures(Filters(start=JULY, end=JULY, sector=Sector.BANKING), source=source)
    assert (x.filed, x.closed, x.company_absences) == (3, 1, 0)
    assert [row.median_resolution for row in x.trend] == [15.0]
    assert (banks.filed, banks.closed, banks.company_absences) == (3, 2, 1)
    assert [row.median_resolution for row in banks.trend] == [12.0]


def test_the_pair_rows_count_shared_cases_as_the_facts_do(shared, company, conciliator):
    bank = Company.objects.get(legal_name="Banco J S.A.")
    values: dict[str, list[object]] = {
        "province": ["CABA"],
        "company_id": [company.pk, bank.pk],
        "sector": [Sector.BANKING, company.sector],
        "channel": ["web"],
        "conciliator_id": [conciliator.pk],
        "vulnerable": [False],
    }
    for first, second in combinations(values, 2):
        for a in values[first]:
            for b in values[second]:
                filters = Filters(start=JULY, end=JULY, **{first: a, second: b})  # type: ignore[arg-type]
                with travel(REFRESHED):
                    pairs, facts = figures(filters), figures(filters, source="facts")
                assert pairs.source == "pairs"
                assert dataclasses.replace(pairs, source="") == dataclasses.replace(facts, source=""), (first, a, b)
    # The banks' parts heard by Ana (build_shared_cases): three, two closed, K's bank absent.
    with travel(REFRESHED):
        banks = figures(Filters(start=JULY, end=JULY, sector=Sector.BANKING, conciliator_id=conciliator.pk))
    assert (banks.filed, banks.closed, banks.company_absences) == (3, 2, 1)
    # In CABA on the web, each case counts once: J K M, M closed.
    with travel(REFRESHED):
        caba = figures(Filters(start=JULY, end=JULY, province="CABA", channel="web"))
    assert (caba.filed, caba.closed, caba.company_absences) == (3, 1, 1)


def test_the_low_cardinality_rows_and_a_company_with_its_sector_count_shared_cases_as_the_facts_do(shared, company):
    bank = Company.objects.get(legal_name="Banco J S.A.")
    every: list[dict[str, object]] = [
        {"province": "CABA", "channel": "web", "vulnerable": False},
        *({"province": "CABA", "channel": "web", "sector": sector} for sector in (Sector.BANKING, company.sector)),
        *(
            {"province": "CABA", "channel": "web", "vulnerable": False, "sector": sector}
            for sector in (Sector.BANKING, company.sector)
        ),
        {"company_id": company.pk, "sector": company.sector, "channel": "web"},
        {"company_id": bank.pk, "sector": Sector.BANKING, "province": "CABA"},
    ]
    for chosen in every:
        filters = Filters(start=JULY, end=JULY, **chosen)  # type: ignore[arg-type]
        with travel(REFRESHED):
            natural, facts = figures(filters), figures(filters, source="facts")
        assert natural.source == ("pairs" if "company_id" in chosen else "low")
        assert natural.filed > 0, chosen
        assert dataclasses.replace(natural, source="") == dataclasses.replace(facts, source=""), chosen
