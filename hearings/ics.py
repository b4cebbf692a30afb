"""The calendar invitation (.ics, RFC 5545) sent with every change to a hearing.

One UID for the life of the hearing (Hearing.ical_uid) and SEQUENCE = Hearing.ical_sequence, which
the services bump on every change: calendar programs then update or remove the same event instead
of adding a second one. Times are in UTC, which every program reads without a VTIMEZONE block.
The parties are not listed as attendees: the invitation goes to each of them separately, and the
consumer and the company's staff need not learn each other's e-mail addresses from it."""

from datetime import UTC
from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress

from .models import Hearing
from .notify import hearing_url

PRODID = "-//Concilia//Audiencias de conciliación//ES"


def _organizer() -> vCalAddress:
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{address or 'no-responder@concilia.example'}")
    organizer.params["cn"] = name or "Concilia"
    return organizer


def hearing_ics(hearing: Hearing, *, cancelled: bool = False) -> str:
    """The invitation for the hearing as it is now (METHOD:REQUEST), or its withdrawal (METHOD:CANCEL).
    Written in the office's language: one file goes to every party."""
    case = hearing.complaint
    number = case.number or ""
    url = hearing_url(hearing)
    with translation.override(settings.LANGUAGE_CODE):
        local_start = timezone.localtime(hearing.starts_at)
        description = "\n".join(
            [
                _("Conciliation hearing of case %(number)s (%(consumer)s v. %(company)s).")
                % {"number": number, "consumer": case.consumer_name, "company": case.company_display_name},
                _("It is held by video call on %(date)s. Join from Concilia: %(url)s")
                % {"date": date_format(local_start, "DATETIME_FORMAT"), "url": url},
                _("Enter a few minutes early to test your camera and microphone."),
            ]
        )
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", f"{hearing.ical_uid}@concilia")
    event.add("sequence", hearing.ical_sequence)
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", hearing.starts_at.astimezone(UTC))
    event.add("dtend", hearing.ends_at.astimezone(UTC))
    event.add("summary", f"Audiencia de conciliación {number}".strip())
    event.add("description", description)
    event.add("location", url)
    event.add("url", url)
    event.add("organizer", _organizer())
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    calendar.add_component(event)
    return calendar.to_ical().decode()
