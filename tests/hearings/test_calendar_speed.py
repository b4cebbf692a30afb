"""The office's list of hearings and the week under load (issue 16, "pages under load"): each row's
status is looked up rather than rebuilt, and the list's column captions are translated once for the
page, not once per row — what a row shows stays the same, in the reader's language."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import translation

from hearings.models import Hearing
from tests.conftest import log_in
from tests.hearings.factories import SERVED, at, scheduled_hearing

pytestmark = pytest.mark.django_db

CAPTIONS = ("Date and time", "Case", "Parties", "Conciliator", "Status", "Actions")


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(SERVED, tick=True) as traveller:
        yield traveller


@pytest.fixture
def hearings(consumer, company, officer, conciliator) -> list[Hearing]:
    first = scheduled_hearing(consumer, company, officer, conciliator, starts_at=at(3, 31, 9))
    held = Hearing.objects.create(
        complaint=first.complaint,
        conciliator=conciliator,
        starts_at=at(4, 1, 9),
        ends_at=at(4, 1, 9) + timedelta(hours=1),
        status=Hearing.Status.HELD,
    )
    return [first, held]


@pytest.mark.parametrize("language", ["en", "es-ar"])
def test_every_row_of_the_list_shows_its_status_and_captions_in_the_reader_s_language(hearings, officer, language):
    client = log_in(Client(HTTP_ACCEPT_LANGUAGE=language), officer)
    page = client.get(reverse("hearing_list"), {"when": "all"}).content.decode()
    with translation.override(language):
        statuses = [str(hearing.get_status_display()) for hearing in hearings]
        captions = [str(translation.gettext(caption)) for caption in CAPTIONS]
    rows = page.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count("<tr>") == 2
    for status in statuses:
        assert f">{status}</span>" in rows, status
    for caption in captions:
        assert rows.count(f'data-label="{caption}"') == 2, caption


@pytest.mark.parametrize("language", ["en", "es-ar"])
def test_the_week_shows_the_status_of_a_hearing_no_longer_to_be_held(hearings, officer, language):
    client = log_in(Client(HTTP_ACCEPT_LANGUAGE=language), officer)
    page = client.get(reverse("hearing_calendar"), {"week": "2026-03-30"}).content.decode()
    with translation.override(language):
        held = str(hearings[1].get_status_display())
    assert f">{held}</span>" in page
