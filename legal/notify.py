"""Who hears of a proceeding's move: the company's active representatives (the proceeding is about
that company alone, not every company of the case) and the consumer with their representatives
holding a validated power. These are news, of no legal effect: the charge and the resolution reach the
company formally as formal notices (cédulas) on its electronic domicile (legal/services/moves.py)."""

from django.conf import settings
from django.urls import reverse

from complaints.models import ConsumerRepresentative
from notifications.services import notify
from parties.models import PowerStatus, Representation, User

from .models import Proceeding


def tell(
    proceeding: Proceeding,
    update: str,
    *,
    key: str,
    consumer: bool = True,
    company: bool = True,
    **context: object,
) -> None:
    case = proceeding.complaint
    recipients: list[User] = []
    if consumer:
        recipients.append(case.consumer)
        recipients += [
            agent.user
            for agent in ConsumerRepresentative.objects.filter(
                complaint_id=case.pk, revoked_at__isnull=True, power_status=PowerStatus.VALIDATED
            ).select_related("user")
        ]
    if company and proceeding.part.company_id is not None:
        representatives = [
            rep.user
            for rep in Representation.objects.active()
            .filter(company_id=proceeding.part.company_id)
            .select_related("user")
            .order_by("pk")
        ]
        recipients += representatives
    values = {
        "update": update,
        "company_name": proceeding.company_name,
        "case_number": case.number,
        "case_url": settings.SITE_URL + reverse("complaint_detail", args=[case.pk]),
        **{name: value for name, value in context.items() if value not in (None, "")},
    }
    for recipient in recipients:
        notify(
            recipient=recipient,
            event="legal_update",
            context=values,
            idempotency_key=key,
            case_number=case.number or "",
        )
