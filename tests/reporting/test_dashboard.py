"""The supervisor's dashboard: who sees it, what it shows, how its filters are read and refused.

The figures here are hand-built (tests/reporting/dashboard_support.py) so that the page's own work
(filters, tables, charts, words) is what is tested; test_dashboard_data.py renders figures computed
from real cases."""

import re
from dataclasses import replace
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from parties.models import Role
from reporting.indicators import Filters, Row
from tests.conftest import enrol_totp, log_in, make_user
from tests.reporting.dashboard_support import as_number, empty_figures, fake_figures, hand_figures, table_of

URL = "/oficina/indicadores/"


def spanish(user) -> Client:
    return log_in(Client(HTTP_ACCEPT_LANGUAGE="es-AR"), user)


# --- Who sees it ---------------------------------------------------------------------------------


@pytest.fixture
def calls(monkeypatch) -> list[Filters]:
    """The figures are hand-built; `calls` lists the filters the dashboard asked them for."""
    return fake_figures(monkeypatch)


def test_the_url_is_the_offices(db):
    assert reverse("dashboard") == URL
    assert reverse("dashboard_export") == "/oficina/indicadores/descargar/"


@pytest.mark.parametrize("role", ["supervisor", "director"])
def test_the_supervisor_and_the_director_see_the_figures(request, client_for, calls, role):
    response = client_for(request.getfixturevalue(role)).get(URL)
    assert response.status_code == 200
    assert "Office indicators" in response.text
    assert table_of(response.text, "summary")[1] == ["Complaints filed", "1,234"]


@pytest.mark.parametrize("role", ["consumer", "representative", "officer", "conciliator", "stranger"])
def test_everyone_else_is_refused_and_nothing_is_computed(request, client_for, calls, role):
    assert client_for(request.getfixturevalue(role)).get(URL).status_code == 403
    assert client_for(request.getfixturevalue(role)).get(reverse("dashboard_export")).status_code == 403
    assert calls == []


def test_the_legal_directorate_is_refused(client_for, calls, db):
    lawyer = make_user("abogada@oficina.test", Role.LEGAL)
    enrol_totp(lawyer)
    assert client_for(lawyer).get(URL).status_code == 403


def test_someone_not_logged_in_is_sent_to_log_in(client, calls, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert calls == []


def test_only_the_supervisor_gets_the_link_to_the_deadlines_list(client_for, supervisor, director, calls):
    """The director may not open the deadlines list (oversight/: officers and supervisors), so the
    dashboard does not offer it to her."""
    assert reverse("clock_list") in client_for(supervisor).get(URL).text
    assert reverse("clock_list") not in client_for(director).get(URL).text


# --- What it shows -------------------------------------------------------------------------------


def test_every_section_shows_its_figures(client_for, supervisor, calls):
    page = client_for(supervisor).get(URL).text

    assert table_of(page, "now") == [
        ["Figure", "Number"],
        ["Complaints awaiting admission", "97"],
        ["Deadlines overdue", "12"],
        ["Deadlines due soon", "5"],
    ]
    assert table_of(page, "states")[1:] == [["Submitted", "97"], ["Agreement complied with", "212"]]
    stages = table_of(page, "stages")
    assert stages[0] == [
        "Stage",
        "Cases that completed it",
        "Median",
        "90th percentile",
        "Office's target",
        "Within the target",
    ]
    # 0.8125 rounds half up, as a spreadsheet shows it; a stage nobody completed says so.
    assert stages[1] == ["Filing to admission", "1,100", "3", "7", "5", "81.3 %"]
    assert stages[2] == ["Admission to service on the company", "950", "2.5", "6", "5", "90.0 %"]
    assert stages[3] == ["Agreement to compliance", "0", "—", "—", "30", "—"]
    rates = dict(table_of(page, "rates")[1:])
    assert rates["Agreement by an offer before the hearing"] == "12.5 %"
    assert rates["Agreement at the hearing"] == "33.8 %"
    assert rates["Agreement (both)"] == "46.3 %"
    assert rates["Compliance with agreements"] == "87.5 %"
    assert rates["Referral to the legal directorate"] == "20.0 %"
    assert rates["Withdrawal"] == "6.3 %"
    assert rates["Consumers' satisfaction (1 to 5)"] == "4.3"
    assert rates["Consumers who say the problem was solved"] == "60.0 %"
    assert dict(table_of(page, "hearings")[1:]) == {
        "Hearings held": "511",
        "Absences of the consumer": "23",
        "Absences of the company": "41",
        "Adjournments (cuarto intermedio)": "19",
    }
    assert table_of(page, "conciliators")[1] == ["Ana Rodríguez", "400", "300", "150", "50.0 %", "280", "21"]
    assert table_of(page, "channels")[1] == ["Web", "1,000", "600", "290", "48.3 %", "480", "19.5"]
    assert [row[0] for row in table_of(page, "trend")[1:]] == ["April 2026", "May 2026"]


def test_each_chart_has_a_title_a_description_and_its_table_beside_it(client_for, supervisor, calls):
    page = client_for(supervisor).get(URL).text
    charts = re.findall(r'<svg class="chart[^"]*"[^>]*>.*?</svg>', page, re.S)
    assert len(charts) == 7  # states, stages, rates, hearings, conciliators, channels, trend
    for svg in charts:
        labelled = re.search(r'aria-labelledby="([\w-]+)-title"', svg)
        assert labelled is not None
        chart_id = labelled.group(1)
        assert 'role="img"' in svg
        assert f'aria-describedby="{chart_id}-desc"' in svg
        assert re.search(rf'<title id="{chart_id}-title">[^<]+</title>', svg)
        assert re.search(rf'<desc id="{chart_id}-desc">[^<]+</desc>', svg)
        # The chart's section holds the table of the same figures.
        section = page[page.index(svg) :]
        section = section[: section.index("</section>")]
        assert "<table" in section and "<caption" in section
    stages = next(svg for svg in charts if 'id="chart-stages-title"' in svg)
    assert "Filing to admission: median 3, 90th percentile 7, target 5" in stages
    assert "median: no data" in stages  # the stage nobody completed: said in words, not a zero bar


def test_the_highlights_lead_the_page(client_for, supervisor, calls):
    page = client_for(supervisor).get(URL).text
    values = re.findall(r'<span class="stat__value">([^<]+)</span><span class="stat__label">([^<]+)</span>', page)
    values = [(value.replace("\u00a0", " "), label) for value, label in values]
    assert ("1,234", "complaints filed") in values
    assert ("46.3 %", "agreement rate") in values
    assert ("97", "complaints awaiting admission now") in values


def test_a_table_with_nothing_to_show_says_so(client_for, supervisor, monkeypatch):
    monkeypatch.setattr("reporting.indicators.figures", empty_figures)
    page = client_for(supervisor).get(URL).text
    assert 'id="table-conciliators"' not in page
    assert "Nothing to show for these filters." in page
    assert 'id="chart-trend-title"' not in page


def test_one_of_a_kind_is_said_in_the_singular(client_for, supervisor, monkeypatch):
    """A small office's month: "1 complaint", "1 agreement", never "1 complaints" or "1 agreements"."""

    def one_of_each(filters: Filters):
        one = Row("2026-05", "2026-05", 1, 1, 1, 1.0, 1, 3.0)
        return replace(
            hand_figures(filters),
            filed=1,
            admission_backlog=1,
            deadlines_overdue=1,
            by_conciliator=[
                replace(one, key="7", label="Ana Rodríguez"),
                replace(one, key="8", label="Beto", agreements=0),
            ],
            by_channel=[replace(one, key="web", label="Web")],
            trend=[one],
        )

    monkeypatch.setattr("reporting.indicators.figures", one_of_each)
    page = client_for(supervisor).get(URL).text
    assert not re.search(r"\b1\s+(complaints|agreements|cases|deadlines)\b", page)
    assert "1 complaint filed, 1 with an outcome and 1 agreement;" in page  # the trend chart's words
    assert ">1 complaint</text>" in page and ">1 agreement</text>" in page and ">0 agreements</text>" in page
    values = dict(
        (label, value)
        for value, label in re.findall(
            r'<span class="stat__value">([^<]+)</span><span class="stat__label">([^<]+)</span>', page
        )
    )
    assert values["complaint filed"] == "1"
    assert values["complaint awaiting admission now"] == "1"
    assert values["deadline overdue now"] == "1"


def test_a_wide_table_scrolls_in_its_box_and_says_so_on_a_small_screen(client_for, supervisor, calls):
    page = client_for(supervisor).get(URL).text
    for slug, wide in (("conciliators", True), ("stages", True), ("trend", True), ("summary", False), ("rates", False)):
        start = page.index(f'id="{slug}-heading"')
        section = page[start : page.index("</section>", start)]
        box = re.search(
            r'<div class="table-responsive table-scroll" tabindex="0" role="region"[^>]*>\s*<table', section
        )
        assert box is not None, slug  # a keyboard reaches the box and scrolls it; its caption names it
        hint = re.search(r'<p class="table-scroll-hint[^"]*d-lg-none[^"]*"[^>]*>([^<]+)</p>', section)
        assert (hint is not None) == wide, slug
        if hint:
            assert hint.group(1) == "Slide the table sideways to see every column."
            assert section.index("table-scroll-hint") < section.index("<table")


def test_a_text_that_looks_like_a_formula_is_shown_as_it_is(client_for, supervisor, calls):
    assert table_of(client_for(supervisor).get(URL).text, "conciliators")[2][0] == "=Beto Pérez"


# --- Filters -------------------------------------------------------------------------------------


@pytest.fixture
def frozen_today(monkeypatch):
    """The office's today, for the default period: 15 May 2026."""
    monkeypatch.setattr("reporting.views.dashboard.timezone.localdate", lambda: date(2026, 5, 15))


def test_without_filters_it_shows_the_last_twelve_months(client_for, supervisor, calls, frozen_today):
    page = client_for(supervisor).get(URL).text
    assert calls == [Filters(start=date(2025, 6, 1), end=date(2026, 5, 1))]
    assert "2025-06 \u2013 2026-05" in page


def test_every_filter_is_read_and_passed_on(client_for, supervisor, conciliator, company, calls, frozen_today):
    response = client_for(supervisor).get(
        URL,
        {
            "start": "2025-01",
            "end": "03/2025",  # a browser without a month picker: typed by hand
            "province": "CB",
            "company": "30-71234567-1",
            "sector": "retail",
            "channel": "whatsapp",
            "conciliator": str(conciliator.pk),
            "vulnerable": "on",
        },
    )
    assert response.status_code == 200
    assert calls == [
        Filters(
            start=date(2025, 1, 1),
            end=date(2025, 3, 1),
            province="CB",
            company_id=company.pk,
            sector="retail",
            channel="whatsapp",
            conciliator_id=conciliator.pk,
            vulnerable=True,
        )
    ]
    summary = dict(
        re.findall(
            r'<dt class="summary-list__key">([^<]+)</dt><dd class="summary-list__value">([^<]+)</dd>', response.text
        )
    )
    assert summary["Province"] == "Córdoba"
    assert summary["Company"] == "Electrodomésticos del Sur S.A. (30-71234567-1)"
    assert summary["Conciliator"] == "Ana Rodríguez"
    assert summary["Consumers"] == "hipervulnerable only"
    # The downloads carry the same filters, normalized.
    assert "company=30712345671" in response.text and f"conciliator={conciliator.pk}" in response.text


def test_a_start_alone_gives_twelve_months_from_it(client_for, supervisor, calls, frozen_today):
    client_for(supervisor).get(URL, {"start": "2025-01"})
    client_for(supervisor).get(URL, {"start": "2026-02"})  # twelve months would pass today: up to today
    client_for(supervisor).get(URL, {"end": "2025-12"})
    assert [(f.start, f.end) for f in calls] == [
        (date(2025, 1, 1), date(2025, 12, 1)),
        (date(2026, 2, 1), date(2026, 5, 1)),
        (date(2025, 1, 1), date(2025, 12, 1)),
    ]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "enero"}, "start", "Enter a month as year and month, e.g. 2026-05."),
        ({"start": "2025-13"}, "start", "Enter a month as year and month, e.g. 2026-05."),
        (
            {"start": "2025-06", "end": "2025-01"},
            "end",
            "The last month must be the same as the first month or after it.",
        ),
        ({"end": "2026-06"}, "end", "The period cannot end after this month."),
        ({"start": "1999-12", "end": "2000-06"}, "start", "The period cannot begin before January 2000."),
        # Years no calendar arithmetic should meet (they used to end in a 500 from date()).
        ({"start": "0000-01"}, "start", "The period cannot begin before January 2000."),
        ({"end": "0001-01"}, "end", "The period cannot begin before January 2000."),
        ({"start": "9999-12"}, "start", "The period cannot end after this month."),
        ({"start": "2101-01", "end": "2101-02"}, "start", "The period cannot end after this month."),
        ({"start": "2020-01", "end": "2026-01"}, "end", "Choose a period of at most 60 months"),
        ({"company": "30-71234567-2"}, "company", "its check digit does not match"),
        ({"company": "30-7123"}, "company", "A CUIT/CUIL has 11 digits"),
        ({"company": "30-70308853-4"}, "company", "No company with the CUIT 30-70308853-4 is registered."),
        ({"conciliator": "999999"}, "conciliator", "Select a valid choice."),
        ({"conciliator": "²"}, "conciliator", "Select a valid choice."),
        ({"province": "XX"}, "province", "Select a valid choice."),
        ({"channel": "fax"}, "channel", "Select a valid choice."),
    ],
)
def test_an_invalid_filter_is_explained_and_nothing_is_computed(
    client_for, supervisor, calls, frozen_today, params, field, message
):
    response = client_for(supervisor).get(URL, params)
    assert response.status_code == 200
    assert 'class="error-summary"' in response.text
    assert message in response.text
    assert f'href="#id_{field}"' in response.text  # the summary leads to the field
    assert 'aria-invalid="true"' in response.text
    assert calls == []
    assert 'id="table-summary"' not in response.text


@pytest.mark.parametrize("params", [{"start": "0000-01"}, {"start": "9999-12"}, {"end": "0001-01"}, {"end": "9999-12"}])
def test_a_download_with_a_month_out_of_range_goes_back_to_the_page(client_for, supervisor, calls, params):
    response = client_for(supervisor).get(reverse("dashboard_export"), {**params, "table": "summary", "format": "csv"})
    assert response.status_code == 302
    assert response["Location"].startswith(URL + "?")
    page = client_for(supervisor).get(response["Location"])
    assert page.status_code == 200 and 'class="error-summary"' in page.text
    assert calls == []


def test_an_invalid_filter_is_explained_in_spanish(supervisor, calls, frozen_today):
    response = spanish(supervisor).get(URL, {"start": "2025-06", "end": "2025-01", "company": "30-71234567-2"})
    assert "Hay un problema" in response.text
    assert "El último mes tiene que ser el mismo que el primero o posterior." in response.text
    assert "no es válido" in response.text  # parties' own CUIT message, already translated


def test_the_filters_fold_on_a_phone_only_when_unused(client_for, supervisor, calls):
    """concilia.js keeps .filters open when a field holds a value: the month fields are empty by
    default (their default is said in the hint), so an unfiltered page folds its filters on a phone."""
    page = client_for(supervisor).get(URL).text
    form = page[page.index('<form method="get" class="filters"') :]
    form = form[: form.index("</form>")]
    assert not re.search(r'<input type="month"[^>]* value=', form)
    assert "selected>All provinces" in form


def test_the_clear_link_appears_once_something_is_asked(client_for, supervisor, calls):
    assert "Clear filters" not in client_for(supervisor).get(URL).text
    assert "Clear filters" in client_for(supervisor).get(URL, {"province": "CB"}).text


# --- Spanish first -------------------------------------------------------------------------------


def test_the_page_in_spanish_uses_spanish_numbers(supervisor, calls, frozen_today):
    page = spanish(supervisor).get(URL).text
    assert "Indicadores de la oficina" in page
    assert table_of(page, "summary")[1] == ["Denuncias presentadas", "1.234"]
    assert table_of(page, "stages")[2][2] == "2,5"
    rates = dict(table_of(page, "rates")[1:])
    assert rates["Acuerdo en la audiencia"] == "33,8 %"
    assert as_number(rates["Acuerdo en la audiencia"], spanish=True) == pytest.approx(0.338)
    assert [row[0] for row in table_of(page, "trend")[1:]] == ["abril 2026", "mayo 2026"]
    assert "Abr 2026" in page  # the chart's axis


# --- Queries -------------------------------------------------------------------------------------


def test_the_page_reads_in_a_constant_number_of_queries(
    client_for, supervisor, company, calls, django_assert_max_num_queries
):
    """Session, user, second factor, the conciliators' select, the company of the CUIT (and, not
    here, what figures() reads): the same whatever the number of conciliators or cases."""
    client = client_for(supervisor)
    client.get(URL)
    for n in range(5):
        make_user(f"conciliadora{n}@oficina.test", Role.CONCILIATOR)
    with django_assert_max_num_queries(8):
        client.get(URL, {"company": "30-71234567-1"})


def test_navigation_and_home_lead_to_the_dashboard(client_for, supervisor, director, representative, officer, calls):
    def nav(user) -> list[str]:
        page = client_for(user).get(reverse("home")).text
        header = page[: page.index('id="main-content"')]
        return re.findall(r'href="([^"]+)"', header)

    assert URL in nav(supervisor) and URL in nav(director)
    assert URL not in nav(officer) and URL not in nav(representative)
    assert reverse("company_figures") in nav(representative)
    home = client_for(supervisor).get(reverse("home")).text
    main = home[home.index('id="main-content"') :]
    assert f'<a href="{URL}">Office indicators</a>' in main


def test_the_footer_leads_to_the_transparency_pages(client):
    page = client.get(reverse("home")).text
    footer = page[page.index('<footer class="site-footer">') :]
    assert f'href="{reverse("transparency")}"' in footer
    assert f'href="{reverse("open_data")}"' in footer


def test_a_month_that_is_not_one_comes_back_as_typed(client_for, supervisor, calls):
    """A month picker shows nothing for a value it cannot read; a text box shows the mistake."""
    page = client_for(supervisor).get(URL, {"start": "2026-13", "end": "2026-05"}).text
    assert re.search(r'<input type="text" name="start" value="2026-13"', page)
    assert re.search(r'<input type="month" name="end" value="2026-05"', page)
    # The summary comes before the form: a phone that folds the filters still shows it.
    assert page.index('class="error-summary"') < page.index('<form method="get" class="filters"')
