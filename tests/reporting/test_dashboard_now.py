"""The 'now' figures say when they were counted, and the companies' own survey answers have their lines."""

from dataclasses import replace
from datetime import UTC, datetime

from django.urls import reverse

from reporting.indicators import Filters
from tests.reporting.dashboard_support import hand_figures, table_of

URL = reverse("dashboard")


def test_the_backlog_says_when_it_was_counted(client_for, supervisor, monkeypatch):
    counted = datetime(2026, 5, 20, 13, 5, tzinfo=UTC)  # 10:05 in Buenos Aires
    monkeypatch.setattr("reporting.indicators.figures", lambda filters: replace(hand_figures(filters), live_at=counted))

    page = client_for(supervisor).get(URL).text

    assert "Counted at" in page
    assert "10:05" in page


def test_before_the_first_refresh_the_page_says_nothing_was_counted(client_for, supervisor, monkeypatch):
    monkeypatch.setattr("reporting.indicators.figures", lambda filters: replace(hand_figures(filters), live_at=None))

    page = client_for(supervisor).get(URL).text

    assert "Not counted yet: the figures appear after the first refresh." in page


def test_the_companies_answers_have_their_own_lines(client_for, supervisor, monkeypatch):
    def with_company_answers(filters: Filters):
        figures = hand_figures(filters)
        rates = replace(figures.rates, company_satisfaction=3.5, company_solved=0.25, company_would_return=0.75)
        return replace(figures, rates=rates)

    monkeypatch.setattr("reporting.indicators.figures", with_company_answers)

    rows = {row[0]: row[1] for row in table_of(client_for(supervisor).get(URL).text, "rates")[1:]}

    assert rows["Companies' satisfaction (1 to 5)"] == "3.5"
    assert rows["Companies that say the problem was solved"] == "25.0 %"
    assert rows["Companies that would use the service again"] == "75.0 %"
