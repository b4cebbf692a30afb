"""The dashboard at a national office's size (30 conciliators, 5 channels, 24 months): it shows every
row, its drawing holds every text, and its rendering does not grow a template per row or per option.

`PROFILE_DASHBOARD=1 pytest -s tests/reporting/test_dashboard_render.py -k profile` prints how long
building the sections and rendering the page take (the bench's "Python rendering"), in that order."""

import os
import statistics
import time
from collections.abc import Callable
from datetime import date

import pytest
from django.template.base import Template
from django.test import Client
from django.test.utils import _TestState
from django.utils import translation

from parties.models import Role, User
from reporting import dashboard_sections
from reporting.charts import BarChart
from reporting.indicators import Figures, Filters
from reporting.views import dashboard as dashboard_view
from tests.conftest import log_in, make_user
from tests.reporting.dashboard_support import realistic_figures, table_of

URL = "/oficina/indicadores/"
PERIOD = {"start": "2024-06", "end": "2026-05"}
FILTERS = Filters(start=date(2024, 6, 1), end=date(2026, 5, 1))


def conciliators(n: int) -> None:
    for i in range(n):
        make_user(f"conciliador{i}@oficina.test", Role.CONCILIATOR, first_name=f"Nombre{i}", last_name="Conciliador")


def spanish(user: User) -> Client:
    return log_in(Client(HTTP_ACCEPT_LANGUAGE="es-AR"), user)


def test_a_big_office_s_page_shows_every_row_and_every_text_inside_its_drawing(supervisor, monkeypatch):
    figures = realistic_figures(FILTERS)
    monkeypatch.setattr("reporting.indicators.figures", lambda filters: figures)

    page = spanish(supervisor).get(URL, PERIOD).text

    assert len(table_of(page, "conciliators")) == 1 + 30
    assert len(table_of(page, "channels")) == 1 + 5
    assert len(table_of(page, "trend")) == 1 + 24
    assert table_of(page, "channels")[1][1] == "600.000"
    with translation.override("es-ar"):
        sections = dashboard_sections.sections(figures)
    for section in sections:
        chart = section.chart
        if isinstance(chart, BarChart):
            assert str(chart.svg) in page
            for group in chart.groups:
                for bar in group.bars:
                    assert bar.text_x >= 0 and bar.text_end <= chart.width, (chart.id, bar.text)
    assert ">600.000 denuncias</text>" in page


def templates_rendered(client: Client, figures: Figures, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setattr("reporting.indicators.figures", lambda filters: figures)
    response = client.get(URL, PERIOD)
    assert response.status_code == 200
    return sorted(template.name or "" for template in response.templates)


def test_no_template_is_rendered_per_row_or_per_option(supervisor, monkeypatch):
    """Rows of a table, bars of a chart and options of a select are written without a template each:
    a template per item was most of the page's time at a national office's size."""
    client = spanish(supervisor)
    conciliators(2)
    small = templates_rendered(client, realistic_figures(FILTERS, conciliators=2, channels=1, months=3), monkeypatch)
    conciliators_more = 30
    for i in range(2, conciliators_more):
        make_user(f"otro{i}@oficina.test", Role.CONCILIATOR)
    big = templates_rendered(client, realistic_figures(FILTERS), monkeypatch)

    assert big == small
    assert "django/forms/widgets/select_option.html" not in big


def timed(run: Callable[[], object], times: int = 30) -> tuple[float, float]:
    """The fastest and the median of `times` runs, in milliseconds of wall-clock time."""
    spent = []
    for _ in range(times):
        start = time.perf_counter()
        run()
        spent.append((time.perf_counter() - start) * 1000)
    return min(spent), statistics.median(spent)


@pytest.mark.skipif(not os.environ.get("PROFILE_DASHBOARD"), reason="a measurement, not a test: PROFILE_DASHBOARD=1")
@pytest.mark.parametrize("select_conciliators", [0, 30])
@pytest.mark.parametrize("language", ["es-ar", "en"])
def test_profile_the_dashboard_s_rendering(supervisor, monkeypatch, language, select_conciliators):
    conciliators(select_conciliators)
    # Rendered as in production: without the test runner's signal on every template rendered.
    monkeypatch.setattr(Template, "_render", _TestState.saved_data.template_render)  # type: ignore[attr-defined]
    figures = realistic_figures(FILTERS)
    monkeypatch.setattr("reporting.indicators.figures", lambda filters: figures)
    rendering: list[float] = []
    render = dashboard_view.render

    def timed_render(*args, **kwargs):
        start = time.perf_counter()
        response = render(*args, **kwargs)
        rendering.append((time.perf_counter() - start) * 1000)
        return response

    monkeypatch.setattr(dashboard_view, "render", timed_render)
    client = log_in(Client(HTTP_ACCEPT_LANGUAGE=language), supervisor)
    assert client.get(URL, PERIOD).status_code == 200
    rendering.clear()
    for _ in range(30):
        client.get(URL, PERIOD)
    with translation.override(language):
        building = timed(lambda: dashboard_sections.sections(figures))
    page = (min(rendering), statistics.median(rendering))
    print(
        f"\n[{language}, {select_conciliators} conciliators in the select] sections(): min {building[0]:.1f} ms, "
        f"median {building[1]:.1f} ms; render(): min {page[0]:.1f} ms, median {page[1]:.1f} ms; "
        f"together: min {building[0] + page[0]:.1f} ms, median {building[1] + page[1]:.1f} ms"
    )
