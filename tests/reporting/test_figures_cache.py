"""The dashboard works its figures out once per refresh and filters (reporting/figures_cache.py):
the same figures between two refreshes, the new ones right after the next, each language its own,
and a cache that fails never fails the page."""

import dataclasses
import logging

import pytest
from django.test import Client

from reporting import figures_cache, indicators
from reporting.refresh import rebuild, refresh
from tests.complaints.factories import submitted_case
from tests.conftest import log_in
from tests.reporting.dashboard_support import table_of

URL = "/oficina/indicadores/"
EXPORT = "/oficina/indicadores/descargar/"


@pytest.fixture
def worked_out(monkeypatch) -> list[indicators.Filters]:
    """The filters indicators.figures() was really run for (it still runs)."""
    calls: list[indicators.Filters] = []
    real = indicators.figures

    def counted(filters, **kwargs):
        calls.append(filters)
        return real(filters, **kwargs)

    monkeypatch.setattr(indicators, "figures", counted)
    return calls


@pytest.fixture
def two_cases(consumer, company, other_company):
    submitted_case(consumer, company)
    submitted_case(consumer, other_company, channel="phone")
    rebuild()


def filed(page: str) -> str:
    return dict(table_of(page, "summary")[1:])["Complaints filed"]


def test_the_same_filters_are_worked_out_once_until_the_next_refresh(
    client_for, supervisor, consumer, company, two_cases, worked_out
):
    client = client_for(supervisor)

    assert filed(client.get(URL).text) == "2"
    assert filed(client.get(URL).text) == "2"
    assert len(worked_out) == 1

    submitted_case(consumer, company, product="Lavarropas")
    assert filed(client.get(URL).text) == "2", "until the next refresh, the figures it counted"
    refresh()
    assert filed(client.get(URL).text) == "3"
    assert len(worked_out) == 2


def test_other_filters_are_worked_out_apart(client_for, supervisor, two_cases, worked_out):
    client = client_for(supervisor)

    client.get(URL)
    by_phone = client.get(URL, {"channel": "phone"}).text

    assert filed(by_phone) == "1"
    assert len(worked_out) == 2


def test_a_download_uses_the_figures_the_page_worked_out(client_for, supervisor, two_cases, worked_out):
    client = client_for(supervisor)

    client.get(URL)
    response = client.get(EXPORT, {"table": "summary", "format": "csv"})

    assert response.status_code == 200
    assert "Complaints filed,2" in response.content.decode().replace("\r", "")
    assert len(worked_out) == 1


def test_each_language_keeps_its_own_words(supervisor, two_cases, worked_out):
    english = log_in(Client(HTTP_ACCEPT_LANGUAGE="en"), supervisor).get(URL).text
    spanish = log_in(Client(HTTP_ACCEPT_LANGUAGE="es-AR"), supervisor).get(URL).text

    assert "Submitted" in dict(table_of(english, "states")[1:])
    assert "Submitted" not in dict(table_of(spanish, "states")[1:])
    assert len(worked_out) == 2


def test_before_the_first_refresh_nothing_is_kept(client_for, supervisor, consumer, company, worked_out):
    submitted_case(consumer, company)
    client = client_for(supervisor)

    client.get(URL)
    client.get(URL)

    assert len(worked_out) == 2


class BrokenCache:
    def get(self, key, default=None):
        raise ConnectionError("Redis is away")

    def set(self, key, value, timeout=None):
        raise ConnectionError("Redis is away")


def test_a_cache_that_fails_is_logged_and_the_figures_are_shown(
    client_for, supervisor, two_cases, worked_out, monkeypatch, caplog
):
    monkeypatch.setattr(figures_cache, "cache", BrokenCache())

    with caplog.at_level(logging.WARNING, logger="reporting.figures_cache"):
        response = client_for(supervisor).get(URL)

    assert response.status_code == 200
    assert filed(response.text) == "2"
    # One wait for the cache, not two: nothing is written to a cache that could not be read.
    assert [record.getMessage() for record in caplog.records] == [
        "The cache could not be read; working the figures out."
    ]


def test_a_refresh_that_fails_half_way_does_not_leave_the_figures_kept_before_it(
    client_for, supervisor, consumer, company, two_cases, worked_out, monkeypatch
):
    client = client_for(supervisor)
    client.get(URL)
    submitted_case(consumer, company, product="Lavarropas")

    def fails(*args, **kwargs):
        raise RuntimeError("the worker ran out of memory")

    monkeypatch.setattr("reporting.refresh.write_company_figures", fails)  # after the cube was rewritten
    with pytest.raises(RuntimeError):
        refresh()

    assert filed(client.get(URL).text) == "3", "worked out again from the tables as they were left"
    assert len(worked_out) == 2


def test_a_build_whose_figures_have_other_fields_reads_none_of_the_entries_kept_before(
    client_for, supervisor, two_cases, worked_out, monkeypatch
):
    client = client_for(supervisor)
    client.get(URL)

    @dataclasses.dataclass(frozen=True)
    class Rates:  # as if a deploy added a rate
        agreement: float | None
        mediation: float | None

    monkeypatch.setattr(figures_cache, "SHAPE", figures_cache.shape(indicators.Figures, Rates))
    client.get(URL)

    assert len(worked_out) == 2
    assert ("Rates", ("agreement", "mediation")) in figures_cache.SHAPE
