"""The office's time zone is one setting (TIME_ZONE, from OFFICE_TIME_ZONE): the room's pages give
their hours in it, and the acta and the exported case file name it. Tried with an office in Madrid,
whose clock is never Buenos Aires'."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation

from complaints.services import complaint_transition
from hearings.acta import render_acta
from hearings.models import Hearing
from hearings.services.outcome import outcome_record
from tests.hearings.test_outcome_support import attend, hearing_under_way, read_text

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")


@pytest.fixture
def hearing(consumer, company, officer, conciliator) -> Hearing:
    return hearing_under_way(consumer, company, officer, conciliator)


@pytest.fixture
def office_in_madrid(settings) -> None:
    settings.TIME_ZONE = "Europe/Madrid"


def madrid_hhmm(moment) -> str:
    return moment.astimezone(MADRID).strftime("%H:%M")


def test_the_room_page_gives_the_hearings_hours_in_the_office_time_zone(
    client_for, hearing, conciliator, office_in_madrid
):
    page = client_for(conciliator).get(reverse("hearing_room", args=[hearing.pk])).content.decode()

    assert f"{madrid_hhmm(hearing.starts_at)} to {madrid_hhmm(hearing.ends_at)}" in page


def test_the_attendance_page_gives_the_hours_in_the_office_time_zone(
    client_for, hearing, consumer, conciliator, office_in_madrid
):
    joined = hearing.starts_at + timedelta(minutes=7)
    attend(hearing, consumer, "consumer", joined=joined)

    page = client_for(conciliator).get(reverse("hearing_attendance_edit", args=[hearing.pk])).content.decode()

    assert f"<td>{madrid_hhmm(joined)}</td>" in page


def test_the_recording_page_gives_the_start_in_the_office_time_zone(client_for, hearing, conciliator, office_in_madrid):
    page = client_for(conciliator).get(reverse("hearing_recording_register", args=[hearing.pk])).content.decode()

    with translation.override("en"):
        start = formats.date_format(hearing.starts_at.astimezone(MADRID), "SHORT_DATETIME_FORMAT")
    assert f"{hearing.complaint.number} · {start}" in page


def test_the_acta_names_the_office_time_zone(hearing, conciliator, office_in_madrid):
    outcome_record(hearing=hearing, by=conciliator, outcome=Hearing.Outcome.NO_AGREEMENT, notes="Sin acuerdo.")
    attend(hearing, conciliator, "conciliator", joined=hearing.starts_at)

    text = read_text(render_acta(hearing, generated_at=timezone.now()))

    assert "(Europe/Madrid)" in text
    assert "Buenos_Aires" not in text


def test_the_case_page_and_its_export_read_the_office_time_zone(
    hearing, conciliator, officer, client_for, office_in_madrid
):
    outcome_record(hearing=hearing, by=conciliator, outcome=Hearing.Outcome.NO_AGREEMENT, notes="Sin acuerdo.")
    complaint_transition(complaint=hearing.complaint, transition="refer", by=officer, reason="Sin acuerdo")

    response = client_for(officer).get(reverse("complaint_export_pdf", args=[hearing.complaint.pk]))

    assert response.status_code == 200
    text = read_text(response.content)
    assert "(Europe/Madrid)" in text
    assert "Buenos_Aires" not in text
