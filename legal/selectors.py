"""Reads on proceedings. Every view and download starts from `proceedings_visible_to`."""

import re
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from complaints.models import ConsumerRepresentative
from parties.models import PowerStatus, Representation, Role, User

from .models import Proceeding, ProceedingStatus

S = ProceedingStatus
CUIT_DIGITS = re.compile(r"^\d{11}$")
CASE_NUMBER = re.compile(r"^(?:DC-)?(\d{4})-(\d{1,6})$", re.IGNORECASE)
SEPARATORS = re.compile(r"[\s.\-/]")


def proceedings_visible_to(user: User) -> QuerySet[Proceeding]:
    """legal directorate and supervisor: all · a company's representative: its company's · the
    consumer (or their representative with a validated power): those of their cases · others: none."""
    if not user.is_authenticated:
        return Proceeding.objects.none()
    if user.role in (Role.LEGAL, Role.SUPERVISOR):
        return Proceeding.objects.all()
    if not user.may_act_as_consumer:
        return Proceeding.objects.none()
    represented = ConsumerRepresentative.objects.filter(
        user=user, revoked_at__isnull=True, power_status=PowerStatus.VALIDATED
    ).values("complaint_id")
    scope = Q(complaint__consumer=user) | Q(complaint_id__in=represented)
    if user.is_representative:
        companies = Representation.objects.active().filter(user=user).values("company_id")
        scope |= Q(part__company_id__in=companies)
    return Proceeding.objects.filter(scope)


def proceeding_for(user: User, pk: int) -> Proceeding:
    """The proceeding, if this person may see it; a 404 otherwise (the same as one that does not exist)."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(proceedings_visible_to(user).select_related("complaint", "part", "part__company"), pk=pk)


def overdue() -> Q:
    """A window passed and the beat has not moved it yet, or the directorate has not acknowledged."""
    now = timezone.now()
    return Q(status=S.CHARGED, defence_due_at__lt=now) | Q(status=S.SANCTIONED, appeal_due_at__lt=now)


@dataclass
class QueueFilters:
    status: str = ""
    reason: str = ""
    company: str = ""
    case_number: str = ""
    overdue: bool = False


def queue(proceedings: QuerySet[Proceeding], filters: QueueFilters) -> QuerySet[Proceeding]:
    """The legal directorate's queue, filtered in SQL: one query for the rows (the case and the
    company come with them)."""
    rows = proceedings.select_related("complaint")
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.reason:
        rows = rows.filter(referral_reason=filters.reason)
    company = filters.company.strip()
    if company:
        digits = SEPARATORS.sub("", company)
        if CUIT_DIGITS.match(digits):
            rows = rows.filter(company_cuit=digits)
        else:
            rows = rows.filter(company_name__icontains=company)
    number = filters.case_number.strip()
    if number:
        match = CASE_NUMBER.match(number)
        rows = rows.filter(complaint__number=f"DC-{match.group(1)}-{int(match.group(2)):06d}") if match else rows.none()
    if filters.overdue:
        rows = rows.filter(overdue())
    return rows.order_by("received_at", "pk")
