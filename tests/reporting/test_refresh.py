"""Keeping the summary tables up to date (reporting/refresh.py): the incremental refresh reads what
moved and nothing else, a change in the office calendar recounts the stages it touches, company and
sector figures over the window, one refresh at a time, and the ways to run it."""

import json
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connections

from complaints.models import CaseEvent, Complaint
from complaints.services import complaint_admit, complaint_reject, complaint_submit
from parties.business_days import forget_calendar
from parties.models import Company, Sector
from reporting import aggregate
from reporting import refresh as refresh_module
from reporting.indicators import Filters, figures
from reporting.models import (
    CaseFact,
    CompanyFigure,
    LowFigure,
    MonthlyFigure,
    PairFigure,
    RefreshState,
    SectorFigure,
    Survey,
)
from reporting.refresh import OVERLAP, rebuild, refresh, window
from reporting.tasks import rebuild_reporting, refresh_reporting
from tests.complaints.factories import draft_case
from tests.reporting.scenario import REFRESHED, at, build_office, consumer_named, survey, travel
from workdays.services import non_working_day_declare

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_calendar():
    """Each test counts with the calendar its own database holds: a day another test declared (its
    transaction rolled back) must not stay in this process's copy."""
    forget_calendar()
    yield
    forget_calendar()


JULY = date(2026, 7, 1)


def filed(letter: str, company: Company, when) -> Complaint:
    consumer = consumer_named(letter)
    with travel(when):
        return complaint_submit(complaint=draft_case(consumer, company), by=consumer)


def fact(case: Complaint) -> CaseFact:
    return CaseFact.objects.get(complaint_id=case.pk, lead=True)


def july_figures():
    return figures(Filters(start=JULY, end=JULY))


@pytest.fixture
def three(company, officer):
    """Three cases filed on Wednesday 1 July 2026; the first refresh on Thursday 2 July."""
    cases = [filed(letter, company, at(7, 1, 9 + i)) for i, letter in enumerate("PQR")]
    with travel(at(7, 2, 8)):
        first = refresh()
    assert first.full  # no watermark yet: the first run builds everything
    return cases


def test_the_incremental_refresh_reads_a_new_event_and_a_survey_answer_and_nothing_else(three, officer):
    p, q, r = three
    before = {case.pk: fact(case).refreshed_at for case in three}
    with travel(at(7, 8)):
        complaint_admit(complaint=p, by=officer)  # P moves
    Survey.objects.create(
        complaint=q, respondent="consumer", expires_at=at(8, 8), answered_at=at(7, 8, 11), satisfaction=4, solved="yes"
    )
    with travel(at(7, 8, 12)):
        result = refresh()
    assert (result.full, result.cases, result.months) == (False, 2, 1)
    # P: admitted We 1 → We 8 = 5 business days; Q: its consumer's answer; R untouched.
    assert fact(p).days_admission == 5
    assert fact(q).consumer_satisfaction == 4
    assert fact(r).refreshed_at == before[r.pk]
    assert fact(p).refreshed_at != before[p.pk]
    # The cube of July follows.
    with travel(at(7, 8, 12)):
        found = july_figures()
    assert (found.filed, found.admitted, found.rates.satisfaction, found.surveys_answered) == (3, 1, 4.0, 1)
    # The watermark was taken before reading.
    assert RefreshState.objects.get(name="reporting").watermark == at(7, 8, 12)
    # Nothing moved since: nothing read.
    with travel(at(7, 8, 12) + OVERLAP + timedelta(minutes=1)):
        idle = refresh()
    assert (idle.cases, idle.months) == (0, 0)


def test_an_event_committed_just_after_the_refresh_read_is_not_missed(three, officer):
    p, _q, _r = three
    with travel(at(7, 8, 12)):
        refresh()
    # A move stamped a minute before that refresh, committed only after it had read.
    with travel(at(7, 8, 11, 59)):
        complaint_admit(complaint=p, by=officer)
    assert CaseEvent.objects.filter(complaint=p, action="admit", created_at__lt=at(7, 8, 12)).exists()
    with travel(at(7, 8, 12, 10)):
        result = refresh()
    assert result.cases == 1
    assert fact(p).days_admission == 5


def test_a_day_declared_closed_recounts_the_stages_over_it(three, officer, supervisor):
    p, q, _r = three
    with travel(at(7, 8)):
        complaint_admit(complaint=p, by=officer)
    # An older case, closed before the day that will change: not recounted.
    old = filed("S", q.company, at(6, 1))
    with travel(at(6, 2)):
        complaint_admit(complaint=old, by=officer)
    with travel(at(7, 9)):
        rebuild()
    assert fact(p).days_admission == 5  # We 1 → We 8: 2 3 6 7 8
    untouched = fact(old).refreshed_at
    with travel(at(7, 9, 11)):
        non_working_day_declare(by=supervisor, day=date(2026, 7, 6), reason="Corte de energía")
    with travel(at(7, 9, 12)):
        result = refresh()
    # Monday 6 July is no longer a business day: 2 3 7 8 = 4. The June case (filed 1 June, not
    # closed) is open over the day too and is recounted; the cube follows.
    assert fact(p).days_admission == 4
    assert result.cases == 4
    with travel(at(7, 9, 12)):
        assert [s.median for s in july_figures().stages if s.stage == "admission"] == [4.0]
    assert fact(old).refreshed_at != untouched
    assert RefreshState.objects.get(name="reporting").calendar.count("2026-07-06") == 1


def test_a_company_that_changes_sector_moves_its_facts(three):
    p, _q, _r = three
    Company.objects.filter(pk=p.company_id).update(sector=Sector.HEALTH)
    with travel(at(7, 2, 9)):
        result = refresh()
    assert result.cases == 3
    assert set(CaseFact.objects.values_list("sector", flat=True)) == {Sector.HEALTH}
    assert MonthlyFigure.objects.filter(dim="sector", key="health", by_dim="", month=JULY).get().filed == 3


@pytest.fixture
def office(company, other_company, representative, officer, conciliator, director, settings):
    settings.PUBLIC_MIN_CLOSED_CASES = 2
    built = build_office(
        company=company,
        other_company=other_company,
        representative=representative,
        officer=officer,
        conciliator=conciliator,
        director=director,
    )
    # Filed before the window (which starts on 1 August 2025): in the cube, not in the figures.
    filed("W", company, at(7, 15).replace(year=2025))
    with travel(REFRESHED):
        rebuild()
    return built


def test_company_figures_over_the_window_by_hand(office):
    assert window(date(2026, 8, 10)) == (date(2025, 8, 1), date(2026, 8, 10))
    x = CompanyFigure.objects.get(company=office.x)
    assert (x.window_start, x.window_end) == (date(2025, 8, 1), date(2026, 8, 10))
    # X: A B E G (not the case of July 2025). Served A B G; answered A (in writing) and B (offer).
    assert (x.received, x.served, x.answered, x.closed, x.with_outcome, x.agreements) == (4, 3, 2, 3, 3, 3)
    assert x.answered_share == pytest.approx(2 / 3)
    assert x.agreement_rate == 1.0
    # Compliance settled: A complied, B breached.
    assert (x.compliance_settled, x.complied, x.compliance_rate) == (2, 1, 0.5)
    # Answer: A 1, B 1 → 1; resolution E 1, B 10, A 21 → 10; consumers 5 and 2 → 3.5; solved 1 of 2.
    assert (x.median_days_answer, x.median_days_resolution) == (1.0, 10.0)
    assert (x.satisfaction, x.satisfaction_count, x.solved_share) == (3.5, 2, 0.5)
    assert (x.sector, x.published) == (Sector.RETAIL, True)
    y = CompanyFigure.objects.get(company=office.y)
    # Y: C (no agreement) and D (withdrawn), both closed, neither answered.
    assert (y.received, y.closed, y.answered_share, y.agreement_rate, y.compliance_rate) == (2, 2, 0.0, 0.0, None)
    assert (y.median_days_answer, y.median_days_resolution, y.satisfaction, y.solved_share) == (None, 2.0, 1.0, 0.0)
    assert y.published is True
    z = CompanyFigure.objects.get(company=office.z)
    # Z: F (open) and H (awaiting admission): nothing closed, not published.
    assert (z.received, z.served, z.answered_share, z.median_days_answer, z.closed, z.published) == (
        2,
        1,
        1.0,
        2.0,
        0,
        False,
    )


def test_sector_figures_pool_the_cases_and_take_the_median_company(office):
    telecom = SectorFigure.objects.get(sector=Sector.TELECOM)
    # Y and Z pooled: received 4, closed 2; answered 1 (F) of 3 served; no agreement of 3 outcomes.
    assert (telecom.received, telecom.closed) == (4, 2)
    assert telecom.answered_share == pytest.approx(1 / 3)
    assert (telecom.agreement_rate, telecom.compliance_rate, telecom.satisfaction) == (0.0, None, 1.0)
    assert (telecom.median_days_answer, telecom.median_days_resolution) == (2.0, 2.0)
    # The median over the sector's published companies: Y alone.
    assert telecom.companies == 1
    assert (telecom.median_answered_share, telecom.median_agreement_rate, telecom.median_satisfaction) == (
        0.0,
        0.0,
        1.0,
    )
    assert telecom.median_compliance_rate is None
    # The median company's days to answer and to resolution, and solved share (what a company's own
    # figures are compared with; the pooled ones include the company itself): Y's.
    assert (telecom.median_days_answer, telecom.median_company_days_answer) == (2.0, None)
    assert (telecom.median_company_days_resolution, telecom.median_solved_share) == (2.0, 0.0)
    retail = SectorFigure.objects.get(sector=Sector.RETAIL)
    assert (retail.companies, retail.median_answered_share) == (1, pytest.approx(2 / 3))
    assert not SectorFigure.objects.filter(sector=Sector.HEALTH).exists()


def test_a_sole_trader_is_never_published(office, consumer, officer, settings):
    person = Company.objects.create(cuit="20123456786", legal_name="Juan Pérez", electronic_domicile="jp@example.com")
    for letter in "JK":
        case = filed(letter, person, at(7, 1))
        with travel(at(7, 2)):
            complaint_reject(complaint=case, by=officer, reason="not_consumer")
    with travel(REFRESHED):
        rebuild()
    figure = CompanyFigure.objects.get(company=person)
    assert (figure.closed, figure.published) == (2, False)


def test_a_company_known_only_by_what_a_consumer_typed_is_never_published(office, consumer, officer, settings):
    """The one rule of reporting/publication.py: enough closed cases is not enough; the office must
    have verified the company (domicile set up, a representative, or registered by the staff)."""
    settings.PUBLIC_MIN_CLOSED_CASES = 2
    typed = Company.objects.create(cuit="30500002510", legal_name="Lo Que Escribió El Consumidor", created_by=consumer)
    for letter in "JK":
        case = filed(letter, typed, at(7, 1))
        with travel(at(7, 2)):
            complaint_reject(complaint=case, by=officer, reason="not_consumer")
    with travel(REFRESHED):
        rebuild()
    figure = CompanyFigure.objects.get(company=typed)
    assert (figure.closed, figure.published) == (2, False)
    assert CompanyFigure.objects.get(company=office.x).published  # verified: it has a representative
    # Registered by the office's staff instead: published.
    Company.objects.filter(pk=typed.pk).update(created_by=officer)
    with travel(REFRESHED):
        rebuild()
    assert CompanyFigure.objects.get(company=typed).published


def test_a_company_without_cases_in_the_window_loses_its_figures(office):
    with travel(at(9, 1).replace(year=2027)):
        rebuild()
    assert not CompanyFigure.objects.exists()
    assert not SectorFigure.objects.exists()
    assert MonthlyFigure.objects.filter(dim="all", by_dim="").count() == 3  # July 2025, June and July 2026


@pytest.mark.postgres
def test_one_refresh_at_a_time(three):
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [refresh_module.LOCK_KEY])
        with travel(at(7, 3)):
            assert refresh().skipped is True
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [refresh_module.LOCK_KEY])
        with travel(at(7, 3)):
            assert refresh().skipped is False
    finally:
        other.close()


def test_the_command_the_tasks_and_the_beat_entry(three, settings, capsys):
    with travel(at(7, 3)):
        call_command("refresh_reporting", "--full")
        assert "Rebuilt: 3 cases" in capsys.readouterr().out
        call_command("refresh_reporting")
        assert "Refreshed: 0 cases" in capsys.readouterr().out
        assert refresh_reporting.delay().get()["full"] is False
        assert rebuild_reporting.delay().get()["cases"] == 3
    entry = settings.CELERY_BEAT_SCHEDULE["reporting-refresh"]
    assert entry["task"] == "reporting.tasks.refresh_reporting"
    assert entry["schedule"] == float(settings.REPORTING_REFRESH_SECONDS)


def test_the_survey_of_an_answered_case_reaches_the_facts(three):
    p, _q, _r = three
    survey(p, 5, "yes", True)  # answered 5 August (scenario.survey)
    with travel(at(8, 5, 12)):
        result = refresh()
    assert result.cases == 1
    assert fact(p).consumer_satisfaction == 5


def test_the_cube_written_in_sql_holds_the_rows_the_orm_counts(office):
    """On PostgreSQL the cube is inserted by SQL (jsonb histograms, derived groupings); elsewhere it is
    built row by row with the ORM's aggregates. Both hold the same rows."""
    names = [f.name for f in MonthlyFigure._meta.concrete_fields if f.name != "id"]

    def comparable(values: list) -> str:
        return json.dumps(values, sort_keys=True, default=str)

    written = sorted(comparable([row[name] for name in names]) for row in MonthlyFigure.objects.values(*names))
    counted = sorted(comparable([getattr(row, name) for name in names]) for row in refresh_module.cube_rows(None))
    assert len(written) > 50
    assert written == counted
    # Breakdown rows keep their counters and the resolution histogram only, except the "all cases"
    # ones, which are also each conciliator's and each channel's own rows.
    lines = MonthlyFigure.objects.exclude(by_dim="").exclude(dim="all")
    assert lines.filter(dim="company").exists()
    assert all(set(row.stage_days) <= {"resolution"} and row.states == {} for row in lines)
    assert MonthlyFigure.objects.filter(dim="conciliator", by_dim="", key=str(office.bruno.pk)).get().states == {
        "agreement": 1
    }
    assert (
        MonthlyFigure.objects.filter(dim="company", key=str(office.x.pk), by_dim="").count() == 2
    )  # July 2025 and July 2026


def comparable_rows(
    model: type[MonthlyFigure] | type[PairFigure] | type[LowFigure], rows: list | None = None
) -> list[str]:
    """A summary table's rows (or these unsaved ones) as sorted JSON, ids left out."""
    names = [f.name for f in model._meta.concrete_fields if f.name != "id"]
    if rows is None:
        return sorted(
            json.dumps([row[n] for n in names], sort_keys=True, default=str) for row in model.objects.values(*names)
        )
    return sorted(json.dumps([getattr(row, n) for n in names], sort_keys=True, default=str) for row in rows)


def test_the_pair_rows_written_in_sql_hold_the_rows_the_orm_counts(office, monkeypatch):
    """On PostgreSQL the pair rows are inserted by SQL, some copied from others (DERIVED); the cube's
    breakdown rows are copied from the pair rows. Counted one by one with the ORM: the same rows."""
    monkeypatch.setattr(aggregate, "COMPANY_PAIR_MIN_PARTS", 1)  # every company's month
    with travel(REFRESHED):
        rebuild()
    written = comparable_rows(PairFigure)
    assert len(written) > 200
    assert written == comparable_rows(PairFigure, refresh_module.pair_rows(None))
    # Every pair of dimensions has rows; a pair's breakdown lines keep counters and resolution only.
    pairs = set(PairFigure.objects.filter(by_dim="").values_list("dim", "dim2").distinct())
    assert pairs == set(aggregate.PAIRS)
    lines = PairFigure.objects.exclude(by_dim="")
    assert {(row.dim, row.dim2, row.by_dim) for row in lines} >= {
        ("company", "channel", "conciliator"),
        ("company", "conciliator", "channel"),  # copied from the one above
        ("province", "sector", "channel"),
    }
    assert all(set(row.stage_days) <= {"resolution"} and row.states == {} for row in lines)
    # Company X's web cases (A B G): full rows, July 2026 (and July 2025: the old cases of office).
    x_web = PairFigure.objects.get(
        dim="company", key=str(office.x.pk), dim2="channel", key2="web", by_dim="", month=date(2026, 7, 1)
    )
    assert (x_web.filed, sum(x_web.states.values()), x_web.with_outcome) == (3, 3, 3)
    # Two parts at least: X's July 2025 (W alone) has no pair rows; its cube rows are all there.
    monkeypatch.setattr(aggregate, "COMPANY_PAIR_MIN_PARTS", 2)
    with travel(REFRESHED):
        rebuild()
    assert comparable_rows(PairFigure) == comparable_rows(PairFigure, refresh_module.pair_rows(None))
    assert comparable_rows(MonthlyFigure) == comparable_rows(MonthlyFigure, refresh_module.cube_rows(None))
    x_months = PairFigure.objects.filter(dim="company", key=str(office.x.pk)).values_list("month", flat=True)
    assert set(x_months) == {JULY}
    assert set(PairFigure.objects.filter(dim="province").values_list("month", flat=True)) == {
        date(2025, 7, 1),
        date(2026, 6, 1),
        JULY,
    }
    assert MonthlyFigure.objects.filter(dim="company", key=str(office.x.pk), by_dim="channel", month=date(2025, 7, 1))


def test_the_low_cardinality_rows_written_in_sql_hold_the_rows_the_orm_counts(office):
    """LowFigure: province, sector, channel and hipervulnerable together, counting parts (with the
    sector) and cases (without), full and by conciliator; inserted by SQL, counted with the ORM alike."""
    with travel(REFRESHED):
        rebuild()
    written = comparable_rows(LowFigure)
    assert len(written) > 20
    assert written == comparable_rows(LowFigure, refresh_module.low_rows(None))
    assert set(LowFigure.objects.values_list("counted", "by_dim").distinct()) == {
        ("parts", ""),
        ("parts", "conciliator"),
        ("cases", ""),
        ("cases", "conciliator"),
    }
    assert not LowFigure.objects.filter(counted="cases").exclude(sector="").exists()
    lines = LowFigure.objects.exclude(by_dim="")
    assert all(set(row.stage_days) <= {"resolution"} and row.states == {} for row in lines)
    # July's web cases of consumers in CABA (A B G), each counted once: the hipervulnerable G, and A B.
    web = LowFigure.objects.filter(counted="cases", province="CABA", channel="web", by_dim="", month=JULY)
    assert sorted((row.vulnerable, row.filed) for row in web) == [("0", 2), ("1", 1)]


def test_an_incremental_refresh_rewrites_the_pair_rows_of_the_months_that_moved(three, officer):
    p, q, _r = three
    with travel(at(7, 3, 9)):
        complaint_admit(complaint=q, by=officer)
    with travel(at(7, 3, 10)):
        complaint_reject(complaint=p, by=officer, reason="not_consumer")
    with travel(at(7, 3, 12)):
        assert refresh().months == 1
    assert comparable_rows(PairFigure) == comparable_rows(PairFigure, refresh_module.pair_rows(None))
    assert comparable_rows(MonthlyFigure) == comparable_rows(MonthlyFigure, refresh_module.cube_rows(None))
    assert comparable_rows(LowFigure) == comparable_rows(LowFigure, refresh_module.low_rows(None))
    web = PairFigure.objects.get(dim="province", key="CABA", dim2="channel", key2="web", by_dim="", month=JULY)
    assert (web.filed, web.admitted, web.rejected) == (3, 1, 1)


def test_a_day_declared_while_a_full_rebuild_runs_is_recounted_by_the_next_refresh(
    consumer, company, officer, supervisor, monkeypatch
):
    """The rebuild reads the calendar before counting: a día inhábil declared meanwhile differs from
    what it recorded, so the next refresh recounts the cases open over it."""
    with travel(at(7, 1)):
        case = complaint_submit(complaint=draft_case(consumer, company), by=consumer)
    with travel(at(7, 8)):
        complaint_admit(complaint=case, by=officer)
    real = refresh_module.build_facts_between

    def build_then_declare(first, last, *, days=None):
        months = real(first, last, days=days)
        # Meanwhile (a rebuild of a million cases takes minutes) a supervisor declares Mo 6 July.
        non_working_day_declare(by=supervisor, day=date(2026, 7, 6), reason="Corte de energía")
        return months

    monkeypatch.setattr(refresh_module, "build_facts_between", build_then_declare)
    with travel(at(7, 9)):
        rebuild()
    monkeypatch.setattr(refresh_module, "build_facts_between", real)
    # Counted without the new day: We 1 → We 8 = 2 3 6 7 8 = 5; the calendar recorded is the old one.
    assert fact(case).days_admission == 5
    assert "2026-07-06" not in RefreshState.objects.get(name="reporting").calendar
    with travel(at(7, 9, 12)):
        assert refresh().cases == 1
    # Now without Mo 6: 2 3 7 8 = 4.
    assert fact(case).days_admission == 4
