"""The calendar invitation: one UID for the life of the hearing, SEQUENCE as the hearing says, times
in UTC, the room as location, and a withdrawal that calendar programs apply to the same event."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from icalendar import Calendar

from hearings.ics import hearing_ics
from tests.hearings.factories import next_weekday_at, scheduled_hearing
from tests.helpers import case_number

pytestmark = pytest.mark.django_db


def parse(text: str):
    calendar = Calendar.from_ical(text)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def test_the_invitation_describes_the_hearing(consumer, company, officer, conciliator):
    hearing = scheduled_hearing(consumer, company, officer, conciliator, starts_at=next_weekday_at(10))

    calendar, event = parse(hearing_ics(hearing))

    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == f"{hearing.ical_uid}@concilia"
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == hearing.starts_at
    assert event["DTSTART"].to_ical().endswith(b"Z")  # UTC: no VTIMEZONE needed
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=60)
    assert str(event["SUMMARY"]) == f"Audiencia de conciliación {hearing.complaint.number}"
    room = settings.SITE_URL + reverse("hearing_room", args=[hearing.pk])
    assert str(event["LOCATION"]) == room
    assert str(event["URL"]) == room
    assert str(event["ORGANIZER"]).startswith("mailto:")
    assert str(event["STATUS"]) == "CONFIRMED"
    assert case_number(hearing.complaint) in str(event["DESCRIPTION"])


def test_a_change_keeps_the_uid_and_carries_the_new_sequence(consumer, company, officer, conciliator):
    hearing = scheduled_hearing(consumer, company, officer, conciliator)
    _cal, before = parse(hearing_ics(hearing))

    hearing.starts_at += timedelta(days=1)
    hearing.ends_at += timedelta(days=1)
    hearing.ical_sequence = 3
    _cal, after = parse(hearing_ics(hearing))

    assert str(after["UID"]) == str(before["UID"])
    assert int(after["SEQUENCE"]) == 3
    assert after.decoded("DTSTART") == before.decoded("DTSTART") + timedelta(days=1)


def test_the_withdrawal_is_a_cancel_of_the_same_event(consumer, company, officer, conciliator):
    hearing = scheduled_hearing(consumer, company, officer, conciliator)

    calendar, event = parse(hearing_ics(hearing, cancelled=True))

    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == f"{hearing.ical_uid}@concilia"


def test_the_stamp_is_the_moment_it_was_written(consumer, company, officer, conciliator):
    hearing = scheduled_hearing(consumer, company, officer, conciliator)

    _cal, event = parse(hearing_ics(hearing))

    assert abs(event.decoded("DTSTAMP") - datetime.now(UTC)) < timedelta(minutes=1)
