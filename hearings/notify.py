"""Telling the people of a hearing what happened: the consumer, the company's representatives and
the conciliator, each once per occurrence (the idempotency key names it)."""

from collections.abc import Sequence

from django.conf import settings
from django.urls import reverse

from complaints.services import case_url
from notifications.services import notify, notify_address
from parties.models import Representation, User

from .models import Hearing

# Hearing dates served at the domicile have legal effect (a company absent from a hearing it was
# told of at its domicile bears the consequence).
FORMAL_EVENTS = frozenset({"hearing_scheduled", "hearing_rescheduled", "hearing_cancelled"})


def hearing_people(hearing: Hearing, *, conciliator: bool = True) -> list[User]:
    case = hearing.complaint
    people: list[User] = [case.consumer]
    if case.company_id:
        people += [
            rep.user
            for rep in Representation.objects.active().filter(company_id=case.company_id).select_related("user")
        ]
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
    for person in hearing_people(hearing, conciliator=conciliator):
        notify(
            recipient=person,
            event=event,
            context={**base, **(context or {})},
            idempotency_key=key,
            case_number=case.number or "",
            attachments=attachments,
        )
    # The company's electronic domicile is where it is legally notified: it is served every date,
    # even when no representative has an account yet (then nobody else would tell it).
    domicile = case.company.electronic_domicile if case.company_id and case.company else ""
    if domicile and event in FORMAL_EVENTS:
        notify_address(
            email=domicile,
            event=event,
            context={**base, **(context or {})},
            idempotency_key=key,
            case_number=case.number or "",
            attachments=attachments,
            formal=True,
        )
