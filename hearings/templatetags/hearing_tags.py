"""The case file's hearings panel and small helpers for hearing pages: `{% load hearing_tags %}`.

- ``{% case_hearings case request.user as panel %}``: the panel, as `hearings.selectors.
  case_hearings_panel` reads it (its offers come from the rules in hearings/policy.py). The
  complaints floor includes the panel through this tag, without importing hearings.
- ``{% hearing_status_badge hearing %}``: the coloured pill for a hearing's status.
- ``moment|hh_mm`` and ``moment|iso_datetime``: what ``|time:"H:i"`` and ``|date:'c'`` give, in the
  current time zone, without the template's date formatter: the week draws both for each end of each
  of its hundreds of hearings (a tenth of the page's work).
"""

from datetime import datetime

from django import template
from django.utils import timezone

from complaints.models import Complaint
from complaints.templatetags.cases import choice_label
from parties.models import User
from parties.templatetags.ui import status_badge

from ..models import Attendance, Hearing
from ..selectors import HearingsPanel, case_hearings_panel

register = template.Library()

# A hearing's status drawn with the colours of the case state it goes with.
STATUS_COLOURS: dict[str, str] = {
    Hearing.Status.SCHEDULED: "hearing_scheduled",
    Hearing.Status.HELD: "agreement_approved",
    Hearing.Status.ADJOURNED: "adjourned",
    Hearing.Status.CANCELLED: "withdrawn",
}


@register.simple_tag
def hearing_status_badge(hearing: Hearing) -> str:
    return status_badge(STATUS_COLOURS.get(hearing.status, "draft"), choice_label(hearing, "status"))


@register.simple_tag
def case_hearings(case: Complaint, user: User) -> HearingsPanel:
    return case_hearings_panel(case, user)


@register.filter
def party_label(party: str) -> str:
    try:
        return str(Attendance.Party(party).label)
    except ValueError:
        return str(party)


@register.filter
def lookup(flags: dict[int, bool], key: int) -> bool:
    """`row.can_decide|lookup:justification.pk`: a flag kept per object."""
    return bool(flags.get(key, False))


@register.filter
def hh_mm(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%H:%M") if moment else ""


@register.filter
def iso_datetime(moment: datetime | None) -> str:
    return timezone.localtime(moment).isoformat() if moment else ""
