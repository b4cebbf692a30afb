"""The dashboard over real cases: built through the case services, summarized by
reporting.refresh.rebuild() and read by reporting.indicators.figures(), as in production. A filter
changes the figures shown, the downloads hold them, and the page's queries do not grow with cases."""

import csv
import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parties.models import ConsumerProfile
from reporting.refresh import rebuild
from tests.complaints.factories import served_case, submitted_case
from tests.conftest import make_user
from tests.reporting.dashboard_support import table_of

URL = "/oficina/indicadores/"
EXPORT = "/oficina/indicadores/descargar/"


@pytest.fixture
def cordobesa(db):
    user = make_user("lucia@example.com", first_name="Lucía", last_name="Ferreyra")
    ConsumerProfile.objects.create(
        user=user,
        dni="28123456",
        phone="+543514123456",
        street_address="Bv. San Juan 200",
        city="Córdoba",
        province="CB",
    )
    return user


@pytest.fixture
def cases(consumer, cordobesa, company, other_company, officer):
    """Three complaints filed this month: two from Buenos Aires City (one admitted and served on
    Electrodomésticos del Sur, one awaiting admission against Conectar) and one from Córdoba against
    Conectar, by phone, awaiting admission."""
    served = served_case(consumer, company, officer)
    waiting = submitted_case(consumer, other_company, product="Plan de internet 300 MB")
    by_phone = submitted_case(cordobesa, other_company, channel="phone")
    rebuild()
    return served, waiting, by_phone


def summary(page: str) -> dict[str, str]:
    return dict(table_of(page, "summary")[1:])


def test_the_page_shows_the_figures_of_the_cases(client_for, supervisor, cases):
    page = client_for(supervisor).get(URL).text
    assert summary(page)["Complaints filed"] == "3"
    assert summary(page)["Admitted"] == "1"
    assert dict(table_of(page, "now")[1:])["Complaints awaiting admission"] == "2"
    states = dict(table_of(page, "states")[1:])
    assert states["Submitted"] == "2"
    assert states["Company notified"] == "1"
    assert dict((row[0], row[1]) for row in table_of(page, "channels")[1:]) == {"Web": "2", "Phone": "1"}
    trend = table_of(page, "trend")[1:]
    assert len(trend) == 12  # the last twelve months, this one last
    assert [row[1] for row in trend] == ["0"] * 11 + ["3"]


@pytest.mark.parametrize(
    ("params", "filed", "admitted"),
    [
        ({"province": "CB"}, "1", "0"),  # one filter: read from the monthly summary rows
        ({"company": "30-71234567-1"}, "1", "1"),
        ({"company": "30-70308853-4"}, "2", "0"),
        ({"channel": "phone"}, "1", "0"),
        ({"province": "CABA", "company": "30-70308853-4"}, "1", "0"),  # a combination: from the facts
        ({"province": "CB", "channel": "web"}, "0", "0"),
    ],
)
def test_a_filter_changes_the_figures_shown(client_for, supervisor, cases, params, filed, admitted):
    page = client_for(supervisor).get(URL, params).text
    assert summary(page)["Complaints filed"] == filed
    assert summary(page)["Admitted"] == admitted


def test_a_month_with_no_cases_shows_zeros(client_for, supervisor, cases):
    page = client_for(supervisor).get(URL, {"start": "2024-01", "end": "2024-03"}).text
    assert summary(page)["Complaints filed"] == "0"
    assert [row[1] for row in table_of(page, "trend")[1:]] == ["0", "0", "0"]  # a row for every month


def test_the_download_holds_what_the_page_shows(client_for, supervisor, cases):
    client = client_for(supervisor)
    page_rows = table_of(client.get(URL, {"province": "CB"}).text, "summary")
    response = client.get(EXPORT, {"province": "CB", "table": "summary", "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == page_rows


def test_the_page_s_queries_do_not_grow_with_the_cases(client_for, supervisor, consumer, company, officer, cases):
    client = client_for(supervisor)
    client.get(URL)  # the session, warmed up

    def queries(params: dict) -> int:
        cache.clear()  # the figures worked out, not the ones kept since the refresh (figures_cache.py)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, params).status_code == 200
        return len(captured)

    before = {
        key: queries(params)
        for key, params in (("all", {}), ("one", {"province": "CABA"}), ("two", {"province": "CABA", "channel": "web"}))
    }
    for n in range(4):
        served_case(consumer, company, officer, product=f"Lavarropas {n}")
    rebuild()
    after = {
        key: queries(params)
        for key, params in (("all", {}), ("one", {"province": "CABA"}), ("two", {"province": "CABA", "channel": "web"}))
    }
    assert after == before
    # The session and user, the form's select, the refresh state, and figures()' own reads (with two
    # filters, the pair rows, the live counts and the time they were counted).
    assert max(after.values()) <= 22
