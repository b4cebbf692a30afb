"""Every conciliator's week shows each day's first hearings and sends the office to the list for the
rest ("And N more: the T hearings of the day in the list"). The list that link opens shows exactly
those T hearings, the cancelled ones left out as the calendar leaves them out, in the calendar's time
order. The clock stands at Thursday 19 March 2026 (tests/hearings/factories.SERVED)."""

import html
import re
from datetime import date

import pytest
import time_machine
from django.urls import reverse

from hearings.models import Hearing
from hearings.views import scheduling as scheduling_views
from tests.hearings.factories import SERVED, at, make_conciliator, scheduled_hearing

pytestmark = pytest.mark.django_db

LIST = reverse("hearing_list")


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(SERVED, tick=True) as traveller:
        yield traveller


@pytest.fixture
def tuesday(conciliator, consumer, company, officer) -> dict[str, Hearing]:
    """Tuesday 31 March: three standing hearings (one already held), one cancelled in between."""
    bruno = make_conciliator("bruno@oficina.test", "Bruno", "Aguirre")
    hearings = {
        "nine": scheduled_hearing(consumer, company, officer, conciliator, starts_at=at(3, 31, 9)),
        "cancelled": scheduled_hearing(consumer, company, officer, bruno, starts_at=at(3, 31, 10)),
        "eleven": scheduled_hearing(consumer, company, officer, bruno, starts_at=at(3, 31, 11)),
        "held": scheduled_hearing(consumer, company, officer, conciliator, starts_at=at(3, 31, 14)),
    }
    Hearing.objects.filter(pk=hearings["cancelled"].pk).update(status=Hearing.Status.CANCELLED)
    Hearing.objects.filter(pk=hearings["held"].pk).update(status=Hearing.Status.HELD)
    return hearings


def the_link_to_the_day(page: str) -> str:
    links = re.findall(r'<a href="([^"]+)">And \d+ more: the \d+ hearings of the day in the list</a>', page)
    assert len(links) == 1, links
    return html.unescape(links[0])


def test_the_list_the_calendar_links_to_shows_the_days_hearings_it_counted_in_time_order(
    tuesday, officer, client_for, monkeypatch
):
    monkeypatch.setattr(scheduling_views, "DAY_SHOWN", 1)
    client = client_for(officer)
    week = client.get(reverse("hearing_calendar"), {"week": "2026-03-31"})
    day = next(day for day in week.context["days"] if day.day == date(2026, 3, 31))
    page = week.content.decode()

    assert (day.total, day.more) == (3, 2)
    assert "And 2 more: the 3 hearings of the day in the list" in page

    listed = client.get(the_link_to_the_day(page))
    assert listed.context["page_obj"].paginator.count == day.total
    assert [hearing for hearing, _links in listed.context["rows"]] == [
        tuesday["nine"],
        tuesday["eleven"],
        tuesday["held"],
    ]


def test_any_but_cancelled_leaves_out_only_the_cancelled(tuesday, officer, client_for):
    listed = client_for(officer).get(LIST, {"when": "all", "status": "standing"})

    shown = {hearing for hearing, _links in listed.context["rows"]}
    assert shown == {tuesday["nine"], tuesday["eleven"], tuesday["held"]}
    assert listed.context["filtered"]  # offers to clear the filter


def test_a_single_day_reads_in_time_order_and_a_longer_span_newest_first(
    tuesday, conciliator, consumer, company, officer, client_for
):
    wednesday = scheduled_hearing(consumer, company, officer, conciliator, starts_at=at(4, 1, 9))
    client = client_for(officer)

    one_day = client.get(LIST, {"when": "all", "date_from": "2026-03-31", "date_to": "2026-03-31"})
    two_days = client.get(LIST, {"when": "all", "date_from": "2026-03-31", "date_to": "2026-04-01"})

    in_order = [tuesday[name] for name in ("nine", "cancelled", "eleven", "held")]
    assert [hearing for hearing, _links in one_day.context["rows"]] == in_order
    assert [hearing for hearing, _links in two_days.context["rows"]] == [wednesday, *reversed(in_order)]
