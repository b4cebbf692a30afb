"""The acta as a PDF: what a hearing was, who came and when, how it ended (WeasyPrint, like the case
file export). Written in the office's language and time zone: it is the record, whoever reads it."""

from datetime import datetime

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints.models import ConsumerRepresentative
from complaints.pdf import render_pdf
from parties.models import Representation

from .models import Agreement, Attendance, Hearing, PartOutcome
from .selectors import attendance_summary

ACTA_TEMPLATE = "hearings/acta/acta.html"


def acta_context(hearing: Hearing, *, generated_at: datetime) -> dict:
    case = hearing.complaint
    agreement = (
        Agreement.objects.filter(complaint=case, hearing=hearing).order_by("pk").first()
        if hearing.outcome == Hearing.Outcome.AGREEMENT
        else None
    )
    return {
        "companies": companies_at(hearing),
        "consumer_appearances": consumer_appearances(hearing),
        "hearing": hearing,
        "case": case,
        "attendance": attendance_summary(hearing),
        "agreement": agreement,
        "continuation": hearing.continuations.exclude(status=Hearing.Status.CANCELLED).order_by("starts_at").first(),
        "continues": hearing.continues,
        "tolerance_minutes": settings.HEARINGS["TOLERANCE_MINUTES"],
        "generated_at": generated_at,
    }


def _power_of(user_id: int | None, company_id: int | None) -> str:
    """Under which power a person appeared for a company: its kind and whether the office validated it."""
    if user_id is None or company_id is None:
        return ""
    power = Representation.objects.filter(user_id=user_id, company_id=company_id).order_by("-pk").first()
    if power is None:
        return ""
    kind = power.get_power_kind_display() if power.power_kind else _("power not stated")
    return f"{kind} — {power.get_power_status_display()}"


def companies_at(hearing: Hearing) -> list[dict]:
    """A hearing of several companies: each company, who appeared for it and under which power, and
    how the hearing ended for it (its agreement, or its deadline to justify an absence)."""
    outcomes = list(PartOutcome.objects.filter(hearing=hearing).select_related("part__company").order_by("pk"))
    if not outcomes:
        return []
    agreements = {a.part_id: a for a in Agreement.objects.filter(hearing=hearing, part__isnull=False)}
    rows = Attendance.objects.filter(hearing=hearing, party=Attendance.Party.COMPANY, kind=Attendance.Kind.JOINED)
    companies = []
    for outcome in outcomes:
        part = outcome.part
        people: dict[object, dict] = {}
        for row in rows:
            if row.part_id != part.pk:
                continue
            key = row.user_id or row.display_name
            people.setdefault(
                key, {"name": row.display_name, "power": _power_of(row.user_id, part.company_id), "at": row.at}
            )
        companies.append(
            {
                "part": part,
                "outcome": outcome,
                "agreement": agreements.get(part.pk),
                "appeared": list(people.values()),
            }
        )
    return companies


def consumer_appearances(hearing: Hearing) -> list[dict]:
    """Who appeared for the consumer: in person, or their representative (apoderado, lawyer)."""
    case = hearing.complaint
    agents = {
        agent.user_id: agent for agent in ConsumerRepresentative.objects.filter(complaint_id=case.pk).order_by("pk")
    }
    people: dict[object, dict] = {}
    for row in hearing.attendance.filter(party=Attendance.Party.CONSUMER, kind=Attendance.Kind.JOINED):
        agent = agents.get(row.user_id) if row.user_id is not None else None
        people.setdefault(
            row.user_id or row.display_name,
            {
                "name": row.display_name,
                "as": str(agent.get_kind_display()) if agent is not None else _("in person"),
            },
        )
    return list(people.values())


def render_acta(hearing: Hearing, *, generated_at: datetime) -> bytes:
    with translation.override(settings.LANGUAGE_CODE), timezone.override(timezone.get_default_timezone()):
        return render_pdf(ACTA_TEMPLATE, acta_context(hearing, generated_at=generated_at))
