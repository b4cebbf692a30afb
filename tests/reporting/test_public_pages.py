"""The public transparency pages: anyone, without logging in, finds a company by name or CUIT and
reads its figures beside its sector's; a company appears only with enough closed cases, never when it
is a person nor when the office has not verified it (what a consumer typed is not a company's name);
lists are paginated and cost the same queries whatever their length; pages are cached by the
visitor's browser only."""

import html
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from stdnum.ar import cuit as stdnum_cuit

from parties.models import Company, Sector
from reporting.models import CompanyFigure, SectorFigure
from tests.helpers import explain

pytestmark = pytest.mark.django_db

TRANSPARENCY = reverse("transparency")
REFRESHED = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)


# --- Builders (the API and personal-data tests use them too) ----------------------------------------


def a_cuit(prefix: str, number: int) -> str:
    body = f"{prefix}{number:08d}"
    return body + stdnum_cuit.calc_check_digit(body)


def a_company(
    name: str, *, sector: str = Sector.TELECOM, number: int = 0, prefix: str = "30", verified: bool = True, **fields
) -> Company:
    """A registered company; `verified`: it has set up its electronic domicile (reporting/publication.py)."""
    number = number or 70_000_000 + Company.objects.count() + 1
    if verified:
        fields.setdefault("electronic_domicile_set_at", REFRESHED)
    return Company.objects.create(cuit=a_cuit(prefix, number), legal_name=name, sector=sector, **fields)


FIGURES = {
    "received": 120,
    "served": 110,
    "answered": 92,
    "closed": 80,
    "with_outcome": 75,
    "agreements": 45,
    "compliance_settled": 40,
    "complied": 36,
    "satisfaction_count": 30,
    "answered_share": 0.84,
    "agreement_rate": 0.6,
    "compliance_rate": 0.9,
    "median_days_answer": 4.0,
    "median_days_resolution": 23.5,
    "satisfaction": 3.8,
    "solved_share": 0.55,
}


def publish(company: Company, *, published: bool = True, verify: bool = True, **values: object) -> CompanyFigure:
    """The row the refresh would write for the company (reporting/refresh.py). `verify`: the company is
    first verified by the office (its electronic domicile set up, if it was not), as the refresh
    publishes only companies that may be named; verify=False leaves the company as it is."""
    if verify and company.electronic_domicile_set_at is None:
        company.electronic_domicile_set_at = REFRESHED
        company.save(update_fields=["electronic_domicile_set_at"])
    return CompanyFigure.objects.create(
        company=company,
        sector=company.sector,
        window_start=date(2025, 5, 1),
        window_end=date(2026, 5, 31),
        published=published,
        refreshed_at=REFRESHED,
        **{**FIGURES, **values},
    )


def sector_figures(sector: str = Sector.TELECOM, **values: object) -> SectorFigure:
    defaults: dict[str, Any] = {
        "companies": 12,
        "received": 4_000,
        "closed": 3_100,
        "answered_share": 0.7,
        "agreement_rate": 0.52,
        "compliance_rate": 0.81,
        "median_days_answer": 6.0,
        "median_days_resolution": 31.0,
        "satisfaction": 3.1,
        "solved_share": 0.47,
        "median_answered_share": 0.75,
        "median_agreement_rate": 0.5,
        "median_compliance_rate": 0.83,
        "median_satisfaction": 3.3,
    }
    return SectorFigure.objects.create(
        sector=sector,
        window_start=date(2025, 5, 1),
        window_end=date(2026, 5, 31),
        refreshed_at=REFRESHED,
        **{**defaults, **values},
    )


def company_url(company: Company | str) -> str:
    return reverse("transparency_company", args=[company if isinstance(company, str) else company.cuit])


def sector_url(sector: str) -> str:
    return reverse("transparency_sector", args=[sector])


def text_of(response) -> str:
    """The page's text as a reader sees it (entities decoded)."""
    return html.unescape(response.content.decode())


def listed(response) -> list[str]:
    """The legal names of the companies a list page shows, in order."""
    page = response.context["page_obj"]
    return [figure.company.legal_name for figure in page] if page else []


@pytest.fixture
def conectar(other_company) -> Company:
    other_company.sector = Sector.TELECOM
    other_company.trade_names = "Conecta2, FibraYa"
    other_company.save()
    publish(other_company)
    sector_figures(Sector.TELECOM)
    return other_company


# --- A company's page ---------------------------------------------------------------------------------


def test_a_published_company_shows_its_figures_beside_its_sector(client, conectar):
    response = client.get(company_url(conectar))

    assert response.status_code == 200
    page = text_of(response)
    assert "Conectar Telecomunicaciones S.A." in page
    assert "Conecta2, FibraYa" in page
    assert "30-70308853-4" in page
    assert "Telecommunications, internet and pay TV" in page
    assert "Complaints filed from May 1, 2025 to May 31, 2026" in page
    lines = {line.label: line for line in response.context["lines"]}
    # Each figure as the rows hold it, then the sector's cases pooled, then its median company.
    assert (lines["Complaints answered"].company, lines["Complaints answered"].sector) == ("84%", "70%")
    assert lines["Complaints answered"].sector_median == "75%"
    assert (lines["Agreement rate"].company, lines["Agreement rate"].sector_median) == ("60%", "50%")
    assert (lines["Agreements honoured"].company, lines["Agreements honoured"].sector) == ("90%", "81%")
    assert lines["Time to answer"].company == "4.0 business days"
    assert lines["Time to resolution"].company == "23.5 business days"
    assert lines["Time to resolution"].sector == "31.0 business days"
    assert lines["Consumer satisfaction"].company == "3.8 out of 5"
    assert lines["Consumer satisfaction"].sector_median == "3.3 out of 5"
    assert lines["Problem solved"].company == "55%"
    for line in lines.values():
        assert line.company in page
        assert line.definition in page
    assert "complaints received" in page and ">120<" in page
    assert ">80<" in page  # closed


def test_a_figure_not_computed_is_shown_as_not_enough_data(client, other_company):
    publish(other_company, compliance_rate=None, satisfaction=None)

    response = client.get(company_url(other_company))

    lines = {line.label: line for line in response.context["lines"]}
    assert lines["Agreements honoured"].company is None
    assert lines["Consumer satisfaction"].company is None
    assert "not enough data" in text_of(response)
    assert "The sector's figures have not been computed yet." in text_of(response)


def test_the_page_reads_in_spanish_with_the_office_s_number_format():
    company = a_company("Conectar Telecomunicaciones S.A.")
    publish(company)
    sector_figures()

    response = Client(HTTP_ACCEPT_LANGUAGE="es-AR").get(company_url(company))

    page = text_of(response)
    assert '<html lang="es-ar"' in page
    assert "Cómo responde esta empresa a sus consumidores" in page
    assert "Telecomunicaciones, internet y TV paga" in page
    assert "Reclamos presentados del 1 Mayo 2025 al 31 Mayo 2026" in page
    assert "23,5 días hábiles" in page
    assert "3,8 de 5" in page
    assert "84 %" in page
    assert "Cómo se define cada indicador" in page


def test_a_company_below_the_minimum_is_not_found_and_the_page_says_why(client, settings, other_company):
    settings.PUBLIC_MIN_CLOSED_CASES = 12
    publish(other_company, closed=11, published=False)

    response = client.get(company_url(other_company))

    assert response.status_code == 404
    page = text_of(response)
    assert "This company has no public page" in page
    assert "at least 12 closed complaints" in page
    assert "Conectar" not in page


def test_a_person_is_never_published_even_if_the_flag_says_so(client):
    person = a_company("Zoilo Pereyra Iraola", prefix="20", number=28_111_222)
    publish(person, published=True)

    assert client.get(company_url(person)).status_code == 404
    assert listed(client.get(TRANSPARENCY, {"q": "Zoilo"})) == []
    assert listed(client.get(sector_url(Sector.TELECOM))) == []


def test_a_company_made_from_what_a_consumer_typed_is_never_shown(client, consumer, company):
    """Even marked published (as the refresh did before it knew the rule): the name is the consumer's
    text until the office verifies the company."""
    from parties.services import company_set_electronic_domicile
    from tests.reporting.test_publication import filed_against_an_unknown_company

    typed = filed_against_an_unknown_company(
        consumer, company, cuit=a_cuit("30", 71_555_666), name="Taller Rigoberto Saavedra"
    )
    typed.sector = Sector.TELECOM
    typed.save(update_fields=["sector"])
    publish(typed, verify=False)

    def seen() -> list[bool]:
        pages = [
            client.get(company_url(typed)),
            client.get(TRANSPARENCY, {"q": "Rigoberto"}),
            client.get(TRANSPARENCY, {"q": typed.cuit}),
            client.get(sector_url(Sector.TELECOM)),
        ]
        home = client.get(TRANSPARENCY)
        return [
            pages[0].status_code == 200,
            listed(pages[1]) == [typed.legal_name],
            listed(pages[2]) == [typed.legal_name],
            listed(pages[3]) == [typed.legal_name],
            ("telecom", "Telecommunications, internet and pay TV", 1) in home.context["sectors"],
            any("Rigoberto" in text_of(page) for page in pages[:1] + pages[3:]),
        ]

    assert seen() == [False] * 6
    assert "named only once the office has verified it" in text_of(client.get(company_url(typed)))
    # Once the office verifies it (here: its electronic domicile is set up), it is named.
    company_set_electronic_domicile(company=typed, email="legales@taller.test", by=consumer)
    assert seen() == [True] * 6


@pytest.mark.parametrize("cuit", ["30712345672", "123", "not-a-cuit", "٣٠٧١٢٣٤٥٦٧١"])
def test_an_unknown_or_invalid_cuit_is_not_found(client, company, cuit):
    publish(company)

    response = client.get(company_url(cuit))

    assert response.status_code == 404


def test_a_cuit_with_dashes_leads_to_the_company_s_one_address(client, conectar):
    response = client.get(company_url("30-70308853-4"))

    assert response.status_code == 301
    assert response["Location"] == company_url(conectar)


def test_the_page_shows_what_the_refresh_built_from_real_cases(client, settings, consumer, company, officer):
    from complaints import services
    from reporting import refresh, transparency
    from tests.complaints.factories import served_case, submitted_case

    settings.PUBLIC_MIN_CLOSED_CASES = 2
    # The company set up its electronic domicile (the fixture only types the address): it may be named.
    Company.objects.filter(pk=company.pk).update(electronic_domicile_set_at=REFRESHED)
    withdrawn = served_case(consumer, company, officer)
    services.complaint_withdraw(complaint=withdrawn, by=consumer, reason="Se solucionó.")
    rejected = submitted_case(consumer, company)
    services.complaint_reject(complaint=rejected, by=officer, reason="not_consumer")
    submitted_case(consumer, company)  # still open
    refresh.rebuild()
    row = CompanyFigure.objects.get(company=company)

    response = client.get(company_url(company))

    assert response.status_code == 200
    assert (row.received, row.closed, row.published) == (3, 2, True)
    lines = {line.label: line.company for line in response.context["lines"]}
    assert lines == {
        str(figure.label): transparency.display(figure.kind, getattr(row, figure.key))
        for figure in transparency.PUBLIC_FIGURES
    }
    assert ">3<" in text_of(response) and ">2<" in text_of(response)


# --- The search -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["conectar", "CONECTAR TELECOM", "FibraYa", "fibra", "30-70308853-4", "30703088534", " 30 70308853 4 "],
)
def test_a_company_is_found_by_its_name_a_trade_name_or_its_cuit(client, conectar, company, typed):
    publish(company)

    response = client.get(TRANSPARENCY, {"q": typed})

    assert response.status_code == 200
    assert listed(response) == ["Conectar Telecomunicaciones S.A."]
    assert company_url(conectar) in text_of(response)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("30-70308853-5", "its check digit does not match"),
        ("30-7030885", "A CUIT/CUIL has 11 digits"),
    ],
)
def test_an_invalid_cuit_is_told_what_is_wrong(client, conectar, typed, message):
    response = client.get(TRANSPARENCY, {"q": typed})

    assert response.status_code == 200
    page = text_of(response)
    assert message in page
    assert "There is a problem" in page
    assert response.context["page_obj"] is None


@pytest.mark.parametrize("typed", ["co", "S.A.", " y  ", "ñ-a"])
def test_a_name_search_needs_three_letters(client, conectar, typed):
    response = client.get(TRANSPARENCY, {"q": typed})

    assert response.status_code == 200
    page = text_of(response)
    assert "There is a problem" in page
    assert "Type at least 3 letters of the name, or the 11 digits of the CUIT." in page
    assert response.context["page_obj"] is None
    assert "Conectar" not in page.split("Sectors")[0]


def test_a_name_search_of_three_letters_finds_the_company(client, conectar):
    assert listed(client.get(TRANSPARENCY, {"q": "C.o.n"})) == []
    assert listed(client.get(TRANSPARENCY, {"q": "Con"})) == ["Conectar Telecomunicaciones S.A."]


def test_the_short_name_message_speaks_spanish(conectar):
    response = Client(HTTP_ACCEPT_LANGUAGE="es-AR").get(TRANSPARENCY, {"q": "co"})

    assert "Escribí al menos 3 letras del nombre, o los 11 dígitos de la CUIT." in text_of(response)


def test_a_company_without_public_figures_is_not_found(client, conectar, company):
    publish(company, published=False)

    response = client.get(TRANSPARENCY, {"q": "Electrodomésticos"})

    assert listed(response) == []
    assert "No company with public figures matches" in text_of(response)


def test_the_search_pages_through_many_companies_in_alphabetical_order(client):
    for number in range(25):
        publish(a_company(f"Fibra Norte {number:02d} S.A."))

    first = client.get(TRANSPARENCY, {"q": "fibra norte"})
    second = client.get(TRANSPARENCY, {"q": "fibra norte", "page": 2})

    assert listed(first) == [f"Fibra Norte {n:02d} S.A." for n in range(20)]
    assert listed(second) == [f"Fibra Norte {n:02d} S.A." for n in range(20, 25)]
    assert "25 companies" in text_of(first)
    assert "q=fibra+norte&page=2" in text_of(first)


def test_the_home_lists_every_sector_with_its_published_companies(client, conectar, company):
    publish(company, published=False)

    response = client.get(TRANSPARENCY)

    page = text_of(response)
    assert response.status_code == 200
    for code, label in Sector.choices:
        assert sector_url(code) in page
        assert str(label) in page
    assert ("telecom", "Telecommunications, internet and pay TV", 1) in response.context["sectors"]
    assert ("other", "Other", 0) in response.context["sectors"]
    assert response.context["page_obj"] is None  # nothing searched, nothing listed


# --- A sector's page ------------------------------------------------------------------------------


@pytest.fixture
def telecom() -> dict[str, Company]:
    sector_figures(Sector.TELECOM)
    rows: dict[str, dict[str, Any]] = {
        "Alfa Telecom": {"agreement_rate": 0.4, "median_days_resolution": 30.0},
        "Beta Telecom": {"agreement_rate": 0.8, "median_days_resolution": 12.0},
        "Gamma Telecom": {"agreement_rate": None, "median_days_resolution": None},
        "Delta Telecom": {"agreement_rate": 0.6, "median_days_resolution": 20.0, "received": 9_000},
    }
    companies = {}
    for name, values in rows.items():
        companies[name] = a_company(name)
        publish(companies[name], **values)
    publish(a_company("Epsilon Seguros", sector=Sector.INSURANCE))
    return companies


def test_a_sector_shows_its_figures_and_its_published_companies_by_name(client, telecom):
    response = client.get(sector_url(Sector.TELECOM))

    assert response.status_code == 200
    assert listed(response) == ["Alfa Telecom", "Beta Telecom", "Delta Telecom", "Gamma Telecom"]
    lines = {line.label: line for line in response.context["lines"]}
    assert lines["Agreement rate"].sector == "52%"
    assert lines["Agreement rate"].sector_median == "50%"
    page = text_of(response)
    assert "Telecommunications, internet and pay TV" in page
    assert "Epsilon" not in page
    # Each company's row shows its figures, in the columns' order.
    beta = dict(response.context["rows"][1][1])
    assert beta["Agreement rate"] == "80%"
    assert beta["Time to resolution"] == "12.0 business days"


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("agreement_rate", ["Beta Telecom", "Delta Telecom", "Alfa Telecom", "Gamma Telecom"]),
        ("median_days_resolution", ["Beta Telecom", "Delta Telecom", "Alfa Telecom", "Gamma Telecom"]),
        ("name", ["Alfa Telecom", "Beta Telecom", "Delta Telecom", "Gamma Telecom"]),
    ],
)
def test_a_sector_s_companies_are_sorted_by_a_figure_best_first_without_it_last(client, telecom, sort, order):
    assert listed(client.get(sector_url(Sector.TELECOM), {"sort": sort})) == order


def test_a_sector_s_companies_are_never_ranked_by_volume(client, telecom):
    response = client.get(sector_url(Sector.TELECOM), {"sort": "received"})

    assert listed(response) == ["Alfa Telecom", "Beta Telecom", "Delta Telecom", "Gamma Telecom"]
    assert "received" not in dict(response.context["form"].fields["sort"].choices)


def test_a_sector_s_companies_can_be_searched(client, telecom):
    response = client.get(sector_url(Sector.TELECOM), {"q": "delta"})

    assert listed(response) == ["Delta Telecom"]
    assert listed(client.get(sector_url(Sector.TELECOM), {"q": "Epsilon"})) == []


def test_a_sector_s_companies_are_paginated(client):
    for number in range(23):
        publish(a_company(f"Empresa {number:02d}"))

    first = client.get(sector_url(Sector.TELECOM))
    second = client.get(sector_url(Sector.TELECOM), {"page": 2})

    assert len(listed(first)) == 20
    assert listed(second) == ["Empresa 20", "Empresa 21", "Empresa 22"]


def test_a_sector_without_figures_yet_says_so(client):
    response = client.get(sector_url(Sector.TOURISM))

    assert response.status_code == 200
    assert "No figures yet" in text_of(response)


def test_an_unknown_sector_is_not_found(client):
    assert client.get(sector_url("casinos")).status_code == 404


# --- Caching, the replica, and queries ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["home", "search", "company", "sector"])
def test_a_public_page_may_be_kept_a_few_minutes_by_the_visitor_s_browser_only(client, conectar, name):
    """The page carries a CSRF token (and sets its cookie) and a CSP nonce: a shared cache must never
    hand one visitor's copy to another."""
    url, params = {
        "home": (TRANSPARENCY, {}),
        "search": (TRANSPARENCY, {"q": "conectar"}),
        "company": (company_url(conectar), {}),
        "sector": (sector_url(Sector.TELECOM), {}),
    }[name]

    response = client.get(url, params)

    assert response["Content-Type"].startswith("text/html")
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "max-age=300"} <= directives
    assert "public" not in directives
    vary = {v.strip().lower() for v in response["Vary"].split(",")}
    assert {"accept-language", "cookie"} <= vary


def test_a_signed_in_person_s_copy_is_never_kept(client_for, consumer, conectar):
    response = client_for(consumer).get(company_url(conectar))

    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives
    assert "public" not in directives


def test_a_page_that_is_not_found_is_not_cached(client, company):
    response = client.get(company_url(company))

    assert response.status_code == 404
    assert "public" not in response.get("Cache-Control", "")


def test_the_pages_read_from_the_replica(client, conectar, monkeypatch):
    from config import routers
    from reporting import transparency

    seen = []
    original = transparency.sector_figure

    def spy(sector: str):
        seen.append(routers._reporting.get())
        return original(sector)

    monkeypatch.setattr(transparency, "sector_figure", spy)

    client.get(company_url(conectar))
    client.get(sector_url(Sector.TELECOM))

    assert seen == [True, True]


def queries_for(client: Client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url, params or {}).status_code == 200
    return len(context)


def test_no_page_s_query_count_grows_with_its_rows(client):
    sector_figures()
    for number in range(3):
        publish(a_company(f"Pocas {number}"))
    small = {
        "search": queries_for(client, TRANSPARENCY, {"q": "pocas"}),
        "sector": queries_for(client, sector_url(Sector.TELECOM)),
    }
    for number in range(30):
        publish(a_company(f"Muchas {number}"))

    assert queries_for(client, TRANSPARENCY, {"q": "pocas"}) == small["search"]
    assert queries_for(client, TRANSPARENCY, {"q": "muchas"}) == small["search"]
    assert queries_for(client, sector_url(Sector.TELECOM)) == small["sector"]
    # The search: the count (capped) and the page; the sectors' counts in one GROUP BY.
    assert small["search"] <= 3
    # The sector's figures, the count and the page of its companies.
    assert small["sector"] <= 3


def test_a_company_page_is_two_queries(client, conectar, django_assert_max_num_queries):
    # The company's figures with its company row, then its sector's.
    with django_assert_max_num_queries(2):
        assert client.get(company_url(conectar)).status_code == 200


# --- PostgreSQL: accents and the indexes the search relies on ------------------------------------------

# The plans as on a national volume: walking a whole table or its primary key is cheaper on a handful of rows.
OFF = ("seqscan", "indexscan")


@pytest.mark.postgres
@pytest.mark.parametrize("typed", ["electrodomesticos", "ELECTRODOMÉSTICOS DEL", "Electrodomésticos"])
def test_on_postgresql_a_name_is_found_without_its_accents(client, company, typed):
    publish(company)

    assert listed(client.get(TRANSPARENCY, {"q": typed})) == ["Electrodomésticos del Sur S.A."]


@pytest.mark.postgres
def test_on_postgresql_the_name_is_tested_only_on_published_companies(company):
    """The name condition needs the figure row as well as the company's, so PostgreSQL tests it on the
    joined (published) rows, never while scanning every company (nor through the trigram indexes, which
    a common word would have read company by company)."""
    from reporting import transparency

    found = transparency.search(transparency.published_figures(), transparency.read_query("Electro"))

    sql, params = found.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        lines = [row[0].strip() for row in cursor.fetchall()]
    query_plan = "\n".join(lines)
    name_tests = [line for line in lines if "immutable_unaccent" in line]
    assert name_tests, query_plan
    assert all(line.startswith("Join Filter:") for line in name_tests), query_plan
    assert "trgm" not in query_plan, query_plan


@pytest.mark.postgres
def test_on_postgresql_the_cuit_search_reads_the_unique_cuit_index(company):
    from reporting import transparency

    query_plan = explain(
        transparency.search(transparency.published_figures(), transparency.read_query(company.cuit)), off=OFF
    )

    assert "parties_company_cuit" in query_plan, query_plan
    assert "Seq Scan" not in query_plan, query_plan


@pytest.mark.postgres
def test_on_postgresql_a_sector_s_companies_are_read_through_its_index(db):
    from reporting import transparency

    companies = transparency.published_figures().filter(sector=Sector.TELECOM)

    query_plan = explain(companies.order_by(*transparency.ordering("agreement_rate"))[:20], off=OFF)
    assert "companyfigure_sector" in query_plan, query_plan
