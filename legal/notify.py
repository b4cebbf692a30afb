"""Who hears of a proceeding's move: the company's assignee in the case, else its active
representatives (the proceeding is about that company alone, not every company of the case), and
the consumer with their representatives holding a validated power. These are news, of no legal
effect: the charge and the resolution reach the company formally as formal notices (cédulas) on its
electronic domicile (legal/services/moves.py)."""

from django.conf import settings
from django.urls import reverse

from complaints.models import ConsumerRepresentative
from complaints.services.assignment import company_recipients
from notifications.services import notify
from parties.models import PowerStatus, User

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
        # The part's assignee, else every active representative (complaints/services/assignment.py);
        # served or not, the proceeding concerns that company.
        recipients += company_recipients(case, part_ids=[proceeding.part_id], served_only=False)
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
