"""Who speaks for whom in a case, asked by every policy, service and page alike.

- The consumer speaks for themselves, or through a representative (apoderado or lawyer) named in the
  case whose power an officer validated and the consumer has not revoked.
- A company speaks through its active representatives; only those whose power (poder, statute) an
  officer validated *bind* it: make offers, agree, confirm an acta.
"""

from django.db.models import QuerySet

from complaints.models import CaseCompany, Complaint, ConsumerRepresentative
from parties.models import PowerStatus, Representation, User


def consumer_agent(user: User | None, case: Complaint) -> ConsumerRepresentative | None:
    """The user's active representation of the consumer in this case with a validated power. Office
    staff never represent a party (and are asked on every page that lists hearings: no query)."""
    if user is None or user.pk is None or user.has_staff_role:
        return None
    return (
        ConsumerRepresentative.objects.filter(
            complaint_id=case.pk, user_id=user.pk, revoked_at__isnull=True, power_status=PowerStatus.VALIDATED
        )
        .order_by("-pk")
        .first()
    )


def speaks_for_consumer(user: User | None, case: Complaint) -> bool:
    """The consumer in person, or their representative with a validated power."""
    if user is None or user.pk is None:
        return False
    return user.pk == case.consumer_id or consumer_agent(user, case) is not None


def parts_represented_by(user: User | None, case: Complaint) -> QuerySet[CaseCompany]:
    """The case's companies the user is an active representative of (validated power or not)."""
    if user is None or user.pk is None or not user.is_representative:
        return CaseCompany.objects.none()
    companies = Representation.objects.active().filter(user_id=user.pk).values("company_id")
    return CaseCompany.objects.filter(complaint_id=case.pk, company_id__in=companies).order_by("position")


def parts_bound_by(user: User | None, case: Complaint) -> QuerySet[CaseCompany]:
    """The case's companies the user may bind: an active representation with a validated power."""
    if user is None or user.pk is None or not user.is_representative:
        return CaseCompany.objects.none()
    companies = Representation.objects.binding().filter(user_id=user.pk).values("company_id")
    return CaseCompany.objects.filter(complaint_id=case.pk, company_id__in=companies).order_by("position")


def may_bind(user: User | None, part: CaseCompany) -> bool:
    if user is None or user.pk is None or part.company_id is None:
        return False
    return Representation.objects.binding().filter(user_id=user.pk, company_id=part.company_id).exists()
