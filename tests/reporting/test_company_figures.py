"""A company sees itself: its representatives read its figures beside its sector's (published or
not), its months, and its cases at risk; a representative of several companies picks one; nobody
else sees them; the page costs the same queries whatever the company's size."""

import html
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from complaints.models import CaseCompany
from oversight.models import Clock, Kind, WhoActs
from parties.models import Representation, Sector
from reporting.exports import display, rate
from reporting.models import CompanyFigure, Dimension, MonthlyFigure, SectorFigure
from tests.complaints.factories import served_case
from tests.conftest import log_in

pytestmark = pytest.mark.django_db

PAGE = reverse("company_figures")
REFRESHED = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def figures_for(company, *, published: bool = False, **values: object) -> CompanyFigure:
    """The row the refresh would write (reporting/refresh.py)."""
    fields: dict[str, object] = {
        "sector": company.sector,
        "window_start": date(2025, 11, 1),
        "window_end": date(2026, 11, 30),
        "received": 1_240,
        "served": 1_100,
        "answered": 924,
        "closed": 800,
        "with_outcome": 750,
        "agreements": 450,
        "compliance_settled": 400,
        "complied": 360,
        "satisfaction_count": 300,
        "answered_share": 0.84,
        "agreement_rate": 0.6,
        "compliance_rate": 0.9,
        "median_days_answer": 4.0,
        "median_days_resolution": 23.5,
        "satisfaction": 3.8,
        "solved_share": 0.55,
        "published": published,
        "refreshed_at": REFRESHED,
        **values,
    }
    return CompanyFigure.objects.create(company=company, **fields)


def sector_figures(sector: str, **values: object) -> SectorFigure:
    fields: dict[str, object] = {
        "window_start": date(2025, 11, 1),
        "window_end": date(2026, 11, 30),
        "companies": 12,
        "received": 40_000,
        "closed": 31_000,
        "answered_share": 0.7,
        "agreement_rate": 0.52,
        "compliance_rate": 0.81,
        "median_days_answer": 6.0,
        "median_days_resolution": 31.0,
        "satisfaction": 3.1,
        "solved_share": 0.6,
        "median_answered_share": 0.72,
        "median_agreement_rate": 0.6,
        "median_compliance_rate": 0.95,
        "median_satisfaction": 3.3,
        "refreshed_at": REFRESHED,
        **values,
    }
    return SectorFigure.objects.create(sector=sector, **fields)


def row_of(page: str, key: str) -> str:
    start = page.index(f'id="figure-{key}"')
    return page[start : page.index("</tr>", start)]


def cells_of(page: str, key: str) -> list[str]:
    """A figure's cells as the reader reads them: the company's, the median company's, all the
    sector's cases', and the comparison (with the line saying what it is against)."""
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row_of(page, key), re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split()) for cell in cells]


def with_median_company(sector: SectorFigure, **values: float) -> None:
    """The sector's median company for figures the refresh computes it for (reporting/refresh.py)."""
    SectorFigure.objects.filter(pk=sector.pk).update(**values)


@pytest.fixture
def telecom(company):
    company.sector = Sector.TELECOM
    company.save(update_fields=["sector"])
    return company


# --- The figures ------------------------------------------------------------------------------------


def test_a_representative_reads_each_figure_beside_the_sectors(client_for, representative, telecom):
    figures_for(telecom, published=True)
    sector_figures(Sector.TELECOM)

    response = client_for(representative).get(PAGE)
    page = response.content.decode()

    assert response.status_code == 200
    assert "Electrodomésticos del Sur S.A." in page
    assert cells_of(page, "received")[0] == "1,240"
    # Company · median company · all the sector's cases · the comparison, and what it is against.
    assert cells_of(page, "answered_share") == [
        "84.0 %",
        "72.0 %",
        "70.0 %",
        "Better than the sector against the sector's median company",
    ]
    assert cells_of(page, "agreement_rate")[3].startswith("Same as the sector")  # 60 % and a median company of 60 %
    assert cells_of(page, "compliance_rate")[3].startswith("Worse than the sector")  # 90 % against 95 %
    assert cells_of(page, "satisfaction")[:2] == ["3.8", "3.3"]
    # Business days and the share solved have no median company in this sector row: they are
    # compared with all the sector's cases, and the page says so. Fewer days is better.
    assert cells_of(page, "median_days_answer") == [
        "4",
        "—",
        "6",
        "Better than the sector against all the sector's cases",
    ]
    assert cells_of(page, "median_days_resolution") == [
        "23.5",
        "—",
        "31",
        "Better than the sector against all the sector's cases",
    ]
    assert cells_of(page, "solved_share") == [
        "55.0 %",
        "—",
        "60.0 %",
        "Worse than the sector against all the sector's cases",
    ]
    assert "These figures are published on the office's transparency pages." in page


def test_a_share_reads_as_on_the_dashboard(client_for, representative, telecom):
    """One format for a share on every office page: "66.7 %" here as on the dashboard (it said "67 %")."""
    figures_for(telecom, answered_share=2 / 3, agreement_rate=0.5)
    sector_figures(Sector.TELECOM, answered_share=0.6665, median_answered_share=0.6666)

    page = client_for(representative).get(PAGE).content.decode()

    assert cells_of(page, "answered_share")[0] == display(rate(2 / 3)).replace("\u00a0", " ") == "66.7 %"
    assert cells_of(page, "agreement_rate")[0] == "50.0 %"
    # 66.7 % against a median company of 66.7 %: the same as the page shows them.
    assert cells_of(page, "answered_share")[3].startswith("Same as the sector")
    spanish = log_in(Client(HTTP_ACCEPT_LANGUAGE="es-AR"), representative).get(PAGE).content.decode()
    assert cells_of(spanish, "answered_share")[0] == "66,7 %"


def test_days_and_the_share_solved_are_compared_with_the_sector_s_median_company(client_for, representative, telecom):
    """The sector's pooled figures include the company itself and lean to its biggest companies: the
    comparison is with the median company once the refresh keeps it."""
    figures_for(telecom, median_days_answer=4.0, median_days_resolution=23.5, solved_share=0.55)
    sector = sector_figures(Sector.TELECOM, median_days_answer=6.0, median_days_resolution=31.0, solved_share=0.6)
    with_median_company(
        sector,
        median_company_days_answer=3.0,
        median_company_days_resolution=23.5,
        median_solved_share=0.5,
    )

    page = client_for(representative).get(PAGE).content.decode()

    # Better than all the sector's cases (6 days), worse than the median company (3 days).
    assert cells_of(page, "median_days_answer") == [
        "4",
        "3",
        "6",
        "Worse than the sector against the sector's median company",
    ]
    assert cells_of(page, "median_days_resolution")[3] == "Same as the sector against the sector's median company"
    assert cells_of(page, "solved_share") == [
        "55.0 %",
        "50.0 %",
        "60.0 %",
        "Better than the sector against the sector's median company",
    ]


def test_figures_not_yet_published_are_shown_to_the_company_with_the_reason(
    client_for, representative, telecom, settings
):
    settings.PUBLIC_MIN_CLOSED_CASES = 30
    figures_for(telecom, published=False, closed=12, agreement_rate=None)

    page = client_for(representative).get(PAGE).content.decode()

    assert "Not published yet: a company's figures are published once it has 30 closed cases" in page
    assert "(yours: 12)" in page
    assert cells_of(page, "answered_share")[0] == "84.0 %"
    # No sector row yet, and a rate with nothing to divide: dashes, no comparison.
    agreement = row_of(page, "agreement_rate")
    assert "—" in agreement and "than the sector" not in agreement


def test_a_company_without_figures_yet_is_told_so(client_for, representative):
    page = client_for(representative).get(PAGE).content.decode()

    assert "No figures yet" in page
    assert 'id="company-figures"' not in page


def test_the_monthly_trend_lists_the_last_twelve_months_with_zeros_for_empty_ones(
    client_for, representative, telecom, monkeypatch
):
    monkeypatch.setattr("reporting.views.company.timezone.localdate", lambda *args: date(2026, 11, 30))
    figures_for(telecom)
    for month, filed, agreements in ((date(2026, 4, 1), 40, 9), (date(2026, 11, 1), 55, 12)):
        MonthlyFigure.objects.create(
            month=month,
            dim=Dimension.COMPANY,
            key=str(telecom.pk),
            filed=filed,
            served=40,
            answered=30,
            with_outcome=20,
            agreements_offer=agreements - 4,
            agreements_hearing=4,
        )
    # Another company's months and an older month are not the company's last twelve.
    MonthlyFigure.objects.create(month=date(2026, 11, 1), dim=Dimension.COMPANY, key="999999", filed=7)
    MonthlyFigure.objects.create(month=date(2025, 11, 1), dim=Dimension.COMPANY, key=str(telecom.pk), filed=3)

    response = client_for(representative).get(PAGE)

    trend = [(row.month, row.filed, row.agreements) for row in response.context["trend"]]
    assert [month for month, _filed, _agreements in trend] == [
        date(2025 + (m > 0), (11 + m) % 12 + 1, 1) for m in range(12)
    ]
    assert trend[4] == (date(2026, 4, 1), 40, 9)
    assert trend[-1] == (date(2026, 11, 1), 55, 12)
    assert all(filed == 0 for _month, filed, _agreements in trend[:4] + trend[5:-1])  # months without complaints
    page = response.content.decode()
    table = page[page.index('id="company-trend"') : page.index("</table>", page.index('id="company-trend"'))]
    rows = [row.replace("\u00a0", " ") for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]]
    assert len(rows) == 12
    assert "December 2025" in rows[0] and ">0</td>" in rows[0] and ">—</td>" in rows[0]
    assert "75.0 %" in rows[4]  # answered 30 of 40 served
    assert "60.0 %" in rows[-1]  # 12 agreements of 20 with an outcome


# --- Whose page ---------------------------------------------------------------------------------------


def test_a_representative_of_several_companies_picks_one(client_for, representative, company, other_company):
    Representation.objects.create(user=representative, company=other_company)
    figures_for(other_company, received=77)
    client = client_for(representative)

    first = client.get(PAGE)
    chosen = client.get(PAGE, {"company": other_company.pk})

    assert first.context["company"] == other_company  # "Conectar…" comes before "Electrodomésticos…"
    assert chosen.context["company"] == other_company
    assert client.get(PAGE, {"company": company.pk}).context["company"] == company
    assert '<select name="company"' in first.content.decode()
    assert "77" in row_of(chosen.content.decode(), "received")


def test_a_company_not_theirs_is_a_404(client_for, representative, other_company):
    client = client_for(representative)

    assert client.get(PAGE, {"company": other_company.pk}).status_code == 404
    assert client.get(PAGE, {"company": 2_000_000_000}).status_code == 404
    assert client.get(PAGE, {"company": "abc"}).status_code == 404


def test_a_revoked_representation_no_longer_opens_the_company(client_for, representative, company, other_company):
    Representation.objects.create(user=representative, company=other_company)
    Representation.objects.filter(user=representative, company=company).update(revoked_at=timezone.now())

    client = client_for(representative)

    assert client.get(PAGE, {"company": company.pk}).status_code == 404
    assert client.get(PAGE).context["company"] == other_company


def test_only_representatives_open_the_page(client_for, consumer, officer, supervisor):
    for person in (consumer, officer, supervisor):
        assert client_for(person).get(PAGE).status_code == 403
    assert Client().get(PAGE).status_code == 302


# --- Cases at risk --------------------------------------------------------------------------------------


def company_answer_clock(case, *, due_in: timedelta) -> Clock:
    clock = Clock.objects.get(complaint=case, kind=Kind.COMPANY_ANSWER, closed_at__isnull=True)
    Clock.objects.filter(pk=clock.pk).update(due_at=timezone.now() + due_in)
    clock.refresh_from_db()
    return clock


def test_the_cases_at_risk_are_the_companys_overdue_and_due_soon_waits(
    client_for, consumer, company, other_company, officer, representative
):
    overdue = served_case(consumer, company, officer)
    company_answer_clock(overdue, due_in=-timedelta(days=2))
    soon = served_case(consumer, company, officer)
    company_answer_clock(soon, due_in=timedelta(hours=3))
    later = served_case(consumer, company, officer)
    company_answer_clock(later, due_in=timedelta(days=20))
    answered = served_case(consumer, company, officer)
    Clock.objects.filter(complaint=answered).update(closed_at=timezone.now(), due_at=timezone.now())
    # Another company's wait, and a wait on the office in the company's case: not the company's to act on.
    other_company.electronic_domicile = "legales@conectar.test"
    other_company.save(update_fields=["electronic_domicile"])
    theirs = served_case(consumer, other_company, officer)
    company_answer_clock(theirs, due_in=-timedelta(days=1))
    office_wait = Clock.objects.filter(complaint=overdue, closed_at__isnull=True).exclude(who_acts=WhoActs.COMPANY)
    assert office_wait.update(due_at=timezone.now() - timedelta(days=1)) >= 1

    response = client_for(representative).get(PAGE)
    page = response.content.decode()

    assert [clock.complaint_id for clock in response.context["page_obj"]] == [overdue.pk, soon.pk]
    assert f'href="{reverse("complaint_detail", args=[overdue.pk])}"' in page
    assert overdue.number in page and soon.number in page
    assert later.number not in page and theirs.number not in page
    assert "Overdue" in page and "At risk" in page


def test_a_wait_on_another_companys_part_of_a_shared_case_is_not_the_companys(
    client_for, consumer, company, other_company, officer, representative
):
    case = served_case(consumer, company, officer)
    clock = company_answer_clock(case, due_in=-timedelta(days=1))
    # The same case's wait, but on a part of another company.
    other_part = CaseCompany.objects.create(
        complaint=case, position=2, company=other_company, cuit=other_company.cuit, name=other_company.legal_name
    )
    Clock.objects.filter(pk=clock.pk).update(subject_id=other_part.pk)

    response = client_for(representative).get(PAGE)

    assert list(response.context["page_obj"]) == []
    assert "Nothing at risk" in response.content.decode()


def test_the_page_costs_the_same_queries_whatever_the_number_of_cases_at_risk(
    client_for, consumer, company, officer, representative, django_assert_max_num_queries
):
    figures_for(company)
    sector_figures(company.sector)
    client = client_for(representative)

    def page_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            response = client.get(PAGE)
        assert response.status_code == 200
        return len(queries)

    company_answer_clock(served_case(consumer, company, officer), due_in=-timedelta(days=1))
    one = page_queries()
    for _ in range(6):
        company_answer_clock(served_case(consumer, company, officer), due_in=-timedelta(days=1))
    seven = page_queries()

    assert one == seven
    # Session, user, representation check; companies; figures; sector; months; the case scope (two
    # reads of id lists); the page's count and rows; the access log.
    with django_assert_max_num_queries(14):
        client.get(PAGE)


# --- Languages and the real refresh ---------------------------------------------------------------------


def test_the_page_speaks_spanish(representative, telecom):
    figures_for(telecom, published=True)
    sector_figures(Sector.TELECOM)
    client = log_in(Client(HTTP_ACCEPT_LANGUAGE="es-AR"), representative)

    page = client.get(PAGE).content.decode()

    assert "Los indicadores de tu empresa" in page
    assert "Mejor que el sector" in page
    assert cells_of(page, "answered_share")[0] == "84,0 %"
    assert cells_of(page, "median_days_resolution")[0] == "23,5"


def test_the_figures_built_by_the_refresh_reach_the_page(
    client_for, consumer, company, officer, representative, django_capture_on_commit_callbacks
):
    from reporting.refresh import rebuild

    with django_capture_on_commit_callbacks(execute=True):
        served_case(consumer, company, officer)
        served_case(consumer, company, officer)

    rebuild()

    response = client_for(representative).get(PAGE)

    figure = response.context["figure"]
    assert figure is not None and figure.received == 2 and figure.served == 2
    assert response.context["sector"] is not None
    assert cells_of(response.content.decode(), "received")[0] == "2"
    trend = response.context["trend"]
    assert len(trend) == 12 and trend[-1].filed == 2 and sum(row.filed for row in trend) == 2


def test_a_stacked_table_s_caption_spans_the_table_on_a_phone():
    """Stacked on a phone (.table-stack: every cell a block), a table's visible caption stayed a
    table caption and shrank to its longest word (~120 px at 360 px): the comparison table of the
    company's public page read one word per line. It is a block as wide as the table there."""
    with open("static/css/concilia.css", encoding="utf-8") as stylesheet:
        css = stylesheet.read()
    phone = css[css.index("@media (max-width: 767.98px) {\n  .table-stack thead") :]
    phone = phone[: phone.index("\n}\n")]
    assert re.search(r"\.table-stack > caption \{ display: block; \}", phone)
