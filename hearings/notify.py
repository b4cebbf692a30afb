"""Telling the people of a hearing what happened: the consumer and their validated representatives,
each served company's side (its assignee, else every active representative:
complaints/services/assignment.py `company_recipients`), and the conciliator, each once per occurrence
(the idempotency key names it); the formal ones also to each served company's electronic domicile.

Who is *told* is narrower than who takes part: `hearing_parties` (the room's people, whose attendance
is recorded) keeps every active representative of a served company, assigned or not."""

from collections.abc import Sequence

from django.conf import settings
from django.urls import reverse

from complaints.models import CaseCompany, ConsumerRepresentative
from complaints.services import case_url
from complaints.services.assignment import company_recipients
from notifications.services import notify, notify_address
from parties.models import PowerStatus, Representation, User

from .models import Attendance, Hearing

# Hearing dates served at the domicile have legal effect (a company absent from a hearing it was
# told of at its domicile bears the consequence).
FORMAL_EVENTS = frozenset({"hearing_scheduled", "hearing_rescheduled", "hearing_cancelled"})
# Events that ask the company for a move only a validated power may make (confirming the acta): when
# a company's assignee has no such power, its representatives who have one are told too.
BINDING_EVENTS = frozenset({"acta_ready"})


def served_parts(hearing: Hearing) -> list[CaseCompany]:
    """The case's companies that have been served (a proven notice): they are cited to its hearings."""
    return list(
        CaseCompany.objects.filter(complaint_id=hearing.complaint_id, notified_at__isnull=False)
        .select_related("company")
        .order_by("position", "pk")
    )


def hearing_parties(hearing: Hearing, *, companies: bool = True) -> list[tuple[User, str, CaseCompany | None]]:
    """Everyone cited to the hearing, with their side and (a company's representative) the first
    served company they represent in the case: the consumer, the consumer's representatives with a
    validated power, the active representatives of every served company (not `companies`: the
    consumer's side alone). Two queries."""
    case = hearing.complaint
    people: list[tuple[User, str, CaseCompany | None]] = [(case.consumer, Attendance.Party.CONSUMER, None)]
    seen = {case.consumer_id}
    agents = (
        ConsumerRepresentative.objects.filter(
            complaint_id=case.pk, revoked_at__isnull=True, power_status=PowerStatus.VALIDATED
        )
        .select_related("user")
        .order_by("pk")
    )
    for agent in agents:
        if agent.user_id not in seen:
            seen.add(agent.user_id)
            people.append((agent.user, Attendance.Party.CONSUMER, None))
    if not companies:
        return people
    parts = {part.company_id: part for part in reversed(served_parts(hearing)) if part.company_id}
    if parts:
        representations = (
            Representation.objects.active()
            .filter(company_id__in=parts)
            .select_related("user")
            .order_by("user_id", "pk")
        )
        first: dict[int, CaseCompany] = {}
        users: dict[int, User] = {}
        for rep in representations:
            part = parts[rep.company_id]
            users[rep.user_id] = rep.user
            if rep.user_id not in first or part.position < first[rep.user_id].position:
                first[rep.user_id] = part
        for user_id in sorted(users, key=lambda pk: (first[pk].position, pk)):
            if user_id not in seen:
                seen.add(user_id)
                people.append((users[user_id], Attendance.Party.COMPANY, first[user_id]))
    return people


def hearing_people(hearing: Hearing, *, conciliator: bool = True, binding: bool = False) -> list[User]:
    """Who is told of the hearing: the consumer's side of its parties (hearing_parties), each served
    company's assignee or else all its active representatives (company_recipients; `binding`: and
    those who can bind the company when the assignee cannot) and, unless asked not to, the
    conciliator. Three queries."""
    people = [person for person, side, _part in hearing_parties(hearing, companies=False)]
    seen = {person.pk for person in people}
    for person in company_recipients(hearing.complaint, binding=binding):
        if person.pk not in seen:
            seen.add(person.pk)
            people.append(person)
    if conciliator:
        people.append(hearing.conciliator)
    return people


def hearing_url(hearing: Hearing) -> str:
    return settings.SITE_URL + reverse("hearing_room", args=[hearing.pk])


def notify_hearing(
    hearing: Hearing,
    event: str,
    *,
    key: str,
    context: dict | None = None,
    attachments: Sequence[dict] | None = None,
    conciliator: bool = True,
) -> None:
    """Queue `event` to everyone of the hearing. `key` names the occurrence, e.g.
    f"hearing:{pk}:scheduled:{sequence}"; the outbox scopes it per recipient and channel."""
    case = hearing.complaint
    base = {
        "case_number": case.number or "",
        "case_url": case_url(case),
        "hearing_start": hearing.starts_at,
        "hearing_url": hearing_url(hearing),
    }
    for person in hearing_people(hearing, conciliator=conciliator, binding=event in BINDING_EVENTS):
        notify(
            recipient=person,
            event=event,
            context={**base, **(context or {})},
            idempotency_key=key,
            case_number=case.number or "",
            attachments=attachments,
        )
    # Each served company's electronic domicile is where it is legally notified: it is served every
    # date, even when no representative has an account yet (then nobody else would tell it).
    if event not in FORMAL_EVENTS:
        return
    domiciles = {part.company.electronic_domicile.strip().lower() for part in served_parts(hearing) if part.company}
    for domicile in sorted(d for d in domiciles if d):
        notify_address(
            email=domicile,
            event=event,
            context={**base, **(context or {})},
            idempotency_key=key,
            case_number=case.number or "",
            attachments=attachments,
            formal=True,
        )
